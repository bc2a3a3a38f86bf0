// HTTP GETs to the Kubernetes API server over libcurl: one-shot requests (lists, a ReplicaSet)
// and streamed watches (newline-delimited JSON events over a chunked response).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "kubernetes/api_config.h"

namespace otelbpf::kubernetes {

class ApiClient {
 public:
  explicit ApiClient(ApiServerConfig config) : config_(std::move(config)) {}

  struct Response {
    long status = 0;    // HTTP status; 0 when the transfer failed
    std::string body;   // at most the max_bytes asked for
    std::string error;  // transport error ("" when an HTTP response arrived)
    bool truncated = false;
  };
  // GET server + path_and_query. `stop` aborts a transfer in progress (within about a second).
  Response Get(const std::string& path_and_query, size_t max_bytes,
               std::chrono::milliseconds timeout, const std::atomic<bool>& stop) const;

  // Outcome of a streamed GET. on_line returning false ends the stream early (stopped_by_reader).
  struct StreamResult {
    long status = 0;
    std::string error;  // transport error, "" when the server ended the response cleanly
    std::string body;   // the body of a non-200 answer (capped)
    bool stopped_by_reader = false;
    size_t oversized_lines = 0;  // lines longer than max_line_bytes, skipped
  };
  using LineHandler = std::function<bool(std::string_view line)>;
  StreamResult Stream(const std::string& path_and_query, size_t max_line_bytes,
                      std::chrono::milliseconds timeout, const std::atomic<bool>& stop,
                      const LineHandler& on_line) const;

  const ApiServerConfig& config() const { return config_; }

  // Percent-encodes a query parameter value.
  static std::string EscapeQueryValue(std::string_view value);

 private:
  // The Authorization header value ("" when no token): re-reads token_file when there is one.
  std::string BearerToken() const;

  ApiServerConfig config_;
};

}  // namespace otelbpf::kubernetes
