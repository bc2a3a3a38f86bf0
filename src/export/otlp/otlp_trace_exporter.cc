#include "export/otlp/otlp_trace_exporter.h"

#include "export/otlp/grpc_transport.h"
#include "export/otlp/http_transport.h"

namespace otelbpf::otlp {

std::unique_ptr<OtlpTransport> MakeOtlpTransport(const OtlpConfig& config) {
  if (config.protocol == OtlpProtocol::kGrpc) {
    return std::make_unique<GrpcTransport>(GrpcTransportOptions{
        config.endpoint, config.insecure, config.headers, config.timeout, config.compression});
  }
  return std::make_unique<HttpTransport>(
      HttpTransportOptions{config.endpoint, config.headers, config.timeout, config.compression});
}

std::unique_ptr<OtlpTraceExporter> MakeOtlpTraceExporter(const OtlpConfig& config) {
  return std::make_unique<BatchSpanProcessor>(MakeOtlpTransport(config), config.batch);
}

}  // namespace otelbpf::otlp
