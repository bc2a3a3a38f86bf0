// How an encoded ExportTraceServiceRequest reaches the collector. Two implementations:
// http_transport.h (OTLP/HTTP, libcurl) and grpc_transport.h (OTLP/gRPC). The batch
// processor owns retries; a transport makes exactly one attempt per Send and classifies it.
// Transports carry other signals' requests too (metrics: otlp_metrics_exporter.h), given that
// signal's URL or gRPC method and response reader in their options.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace otelbpf::otlp {

struct ExportResult {
  bool ok = false;
  // Only meaningful when !ok: the OTLP spec says the same request may be sent again.
  bool retryable = false;
  // Server-requested delay before retrying (HTTP Retry-After); 0 when none was given.
  uint64_t retry_after_ms = 0;
  // Why it failed; when ok, a partial-success note from the collector (or empty).
  std::string message;

  static ExportResult Success(std::string note = {}) { return {true, false, 0, std::move(note)}; }
  static ExportResult Failure(bool retryable, std::string message, uint64_t retry_after_ms = 0) {
    return {false, retryable, retry_after_ms, std::move(message)};
  }
};

// Turns a successful response's body into a note for ExportResult::message (a partial
// success), or "" when there is nothing to say. Trace default: DescribePartialSuccess.
using ResponseDescriber = std::string (*)(std::string_view response_body);

class OtlpTransport {
 public:
  virtual ~OtlpTransport() = default;
  // Sends one serialized ExportTraceServiceRequest, blocking at most the configured timeout.
  // Called from one thread at a time (the export thread).
  virtual ExportResult Send(std::string_view body) = 0;
};

}  // namespace otelbpf::otlp
