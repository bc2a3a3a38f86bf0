// One line of a Kubernetes watch stream: {"type": ADDED|MODIFIED|DELETED|BOOKMARK|ERROR,
// "object": ...}. A BOOKMARK's object carries only metadata.resourceVersion; an ERROR's is a
// meta/v1 Status whose code 410 (reason Expired or Gone) means the resourceVersion is too old
// and the client must list again.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace otelbpf::kubernetes {

struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted, kBookmark, kError };
  Type type = Type::kAdded;
  nlohmann::json object;
  std::string resource_version;  // object.metadata.resourceVersion ("" for errors)
  int error_code = 0;            // Status.code of an ERROR
  std::string error_message;     // Status.message of an ERROR
};

// nullopt (with *error) for a line that is not JSON, has no known type or no object.
std::optional<WatchEvent> ParseWatchEvent(std::string_view line, std::string* error);

// The resourceVersion and items of a list answer (PodList); nullopt (with *error) otherwise.
struct ListPage {
  std::string resource_version;
  std::string continue_token;
  nlohmann::json items;  // an array
};
std::optional<ListPage> ParseListPage(std::string_view body, std::string* error);

// The message and code of a meta/v1 Status body (an error answer), for logs and 410 checks.
struct StatusSummary {
  int code = 0;
  std::string reason;
  std::string message;
};
StatusSummary SummarizeStatus(std::string_view body);

}  // namespace otelbpf::kubernetes
