// OTLP/HTTP with binary protobuf bodies, over libcurl.
//
// One CURL easy handle is reused for every request, so the connection to the collector stays
// open between exports (keep-alive) and TLS is negotiated once. Failures are classified as
// the OTLP/HTTP spec says: 429, 502, 503 and 504 are retryable (honouring Retry-After),
// other HTTP errors are not, and connection-level errors are retryable.
#pragma once

#include <chrono>
#include <string>

#include "export/otlp/export_response.h"
#include "export/otlp/otlp_config.h"
#include "export/otlp/otlp_transport.h"

namespace otelbpf::otlp {

struct HttpTransportOptions {
  std::string url;  // e.g. http://localhost:4318/v1/traces
  OtlpHeaders headers;
  std::chrono::milliseconds timeout{10000};
  OtlpCompression compression = OtlpCompression::kNone;
  // Reads the signal's Export*ServiceResponse (the default reads the trace one).
  ResponseDescriber describe_response = &DescribePartialSuccess;
};

class HttpTransport final : public OtlpTransport {
 public:
  explicit HttpTransport(HttpTransportOptions options);
  ~HttpTransport() override;
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  ExportResult Send(std::string_view body) override;

 private:
  static size_t CollectResponse(char* data, size_t size, size_t count, void* self);

  HttpTransportOptions options_;
  void* curl_ = nullptr;         // CURL*, kept opaque so users need not include curl.h
  void* header_list_ = nullptr;  // curl_slist*
  std::string compressed_;       // reused gzip output buffer
  std::string response_;         // body of the last response (capped)
};

}  // namespace otelbpf::otlp
