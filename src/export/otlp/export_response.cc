#include "export/otlp/export_response.h"

#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace otelbpf::otlp {

std::string SanitizePeerText(std::string_view text) {
  static constexpr char kDigits[] = "0123456789abcdef";
  bool cut = false;
  if (text.size() > kMaxPeerTextBytes) {
    size_t end = kMaxPeerTextBytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    text = text.substr(0, end);
    cut = true;
  }
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += {'\\', 'x', kDigits[byte >> 4], kDigits[byte & 15]};
    } else {
      out.push_back(c);
    }
  }
  if (cut) out += "...";
  return out;
}

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
  if (!partial.error_message().empty()) note += ": " + SanitizePeerText(partial.error_message());
  return note;
}

}  // namespace otelbpf::otlp
