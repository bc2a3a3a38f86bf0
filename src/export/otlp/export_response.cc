#include "export/otlp/export_response.h"

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace otelbpf::otlp {

std::string DescribePartialSuccess(std::string_view response_body) {
  if (response_body.empty()) return {};
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse response;
  if (!response.ParseFromArray(response_body.data(), static_cast<int>(response_body.size())) ||
      !response.has_partial_success()) {
    return {};
  }
  const auto& partial = response.partial_success();
  if (partial.rejected_spans() == 0 && partial.error_message().empty()) return {};
  std::string note = "collector rejected " + std::to_string(partial.rejected_spans()) + " spans";
  if (!partial.error_message().empty()) note += ": " + partial.error_message();
  return note;
}

}  // namespace otelbpf::otlp
