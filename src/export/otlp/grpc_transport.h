// OTLP/gRPC: TraceService/Export (or another signal's Export method) over a grpc++ channel.
//
// The request is already serialized by our encoder, so it goes out through grpc::GenericStub
// as raw bytes: no parse into generated message objects and no second serialization.
// Failures are classified per the OTLP spec: CANCELLED, DEADLINE_EXCEEDED,
// RESOURCE_EXHAUSTED, ABORTED, OUT_OF_RANGE, UNAVAILABLE and DATA_LOSS are retryable.
// (The spec retries RESOURCE_EXHAUSTED only when the server attached RetryInfo; we retry it
// always, which the bounded backoff keeps harmless.)
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "export/otlp/export_response.h"
#include "export/otlp/otlp_config.h"
#include "export/otlp/otlp_transport.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace otelbpf::otlp {

inline constexpr char kOtlpTraceExportMethod[] =
    "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

struct GrpcTransportOptions {
  std::string target;    // "host:port"
  bool insecure = true;  // plaintext channel; false = TLS with the system's root certificates
  OtlpHeaders headers;   // sent as call metadata (names lower-cased, as gRPC requires)
  std::chrono::milliseconds timeout{10000};
  OtlpCompression compression = OtlpCompression::kNone;
  // The signal's Export method and response reader (defaults: traces).
  std::string method = kOtlpTraceExportMethod;
  ResponseDescriber describe_response = &DescribePartialSuccess;
};

class GrpcTransport final : public OtlpTransport {
 public:
  explicit GrpcTransport(GrpcTransportOptions options);
  ~GrpcTransport() override;

  ExportResult Send(std::string_view body) override;

 private:
  GrpcTransportOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace otelbpf::otlp
