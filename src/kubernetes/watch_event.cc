#include "kubernetes/watch_event.h"

namespace otelbpf::kubernetes {
namespace {

using nlohmann::json;

std::string MetadataResourceVersion(const json& object) {
  auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return "";
  auto rv = metadata->find("resourceVersion");
  return rv != metadata->end() && rv->is_string() ? rv->get<std::string>() : "";
}

std::string StringField(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

std::optional<WatchEvent> ParseWatchEvent(std::string_view line, std::string* error) {
  json doc = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    *error = "watch event is not a JSON object";
    return std::nullopt;
  }
  const std::string type = StringField(doc, "type");
  auto object = doc.find("object");
  if (object == doc.end() || !object->is_object()) {
    *error = "watch event without an object";
    return std::nullopt;
  }
  WatchEvent event;
  if (type == "ADDED")
    event.type = WatchEvent::Type::kAdded;
  else if (type == "MODIFIED")
    event.type = WatchEvent::Type::kModified;
  else if (type == "DELETED")
    event.type = WatchEvent::Type::kDeleted;
  else if (type == "BOOKMARK")
    event.type = WatchEvent::Type::kBookmark;
  else if (type == "ERROR")
    event.type = WatchEvent::Type::kError;
  else {
    *error = "watch event of unknown type '" + type.substr(0, 32) + "'";
    return std::nullopt;
  }
  if (event.type == WatchEvent::Type::kError) {
    auto code = object->find("code");
    event.error_code = code != object->end() && code->is_number_integer() ? code->get<int>() : 0;
    event.error_message = StringField(*object, "message");
  } else {
    event.resource_version = MetadataResourceVersion(*object);
  }
  event.object = std::move(*object);
  return event;
}

std::optional<ListPage> ParseListPage(std::string_view body, std::string* error) {
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    *error = "list answer is not a JSON object";
    return std::nullopt;
  }
  ListPage page;
  page.resource_version = MetadataResourceVersion(doc);
  if (page.resource_version.empty()) {
    *error = "list answer without metadata.resourceVersion";
    return std::nullopt;
  }
  if (auto metadata = doc.find("metadata"); metadata != doc.end() && metadata->is_object()) {
    page.continue_token = StringField(*metadata, "continue");
  }
  auto items = doc.find("items");
  if (items != doc.end() && items->is_array()) {
    page.items = std::move(*items);
  } else if (items == doc.end() || items->is_null()) {
    page.items = json::array();  // an empty list may be served as "items": null
  } else {
    *error = "list answer whose items is not an array";
    return std::nullopt;
  }
  return page;
}

StatusSummary SummarizeStatus(std::string_view body) {
  StatusSummary summary;
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    summary.message = std::string(body.substr(0, 200));
    return summary;
  }
  auto code = doc.find("code");
  if (code != doc.end() && code->is_number_integer()) summary.code = code->get<int>();
  summary.reason = StringField(doc, "reason");
  summary.message = StringField(doc, "message").substr(0, 512);
  return summary;
}

}  // namespace otelbpf::kubernetes
