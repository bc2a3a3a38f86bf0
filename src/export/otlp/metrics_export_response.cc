#include "export/otlp/metrics_export_response.h"

#include "export/otlp/export_response.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"

namespace otelbpf::otlp {

std::string DescribeMetricsPartialSuccess(std::string_view response_body) {
  if (response_body.empty()) return {};
  opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceResponse response;
  if (!response.ParseFromArray(response_body.data(), static_cast<int>(response_body.size())) ||
      !response.has_partial_success()) {
    return {};
  }
  const auto& partial = response.partial_success();
  if (partial.rejected_data_points() == 0 && partial.error_message().empty()) return {};
  std::string note =
      "collector rejected " + std::to_string(partial.rejected_data_points()) + " data points";
  if (!partial.error_message().empty()) note += ": " + SanitizePeerText(partial.error_message());
  return note;
}

}  // namespace otelbpf::otlp
