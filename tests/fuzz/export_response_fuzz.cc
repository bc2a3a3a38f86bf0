// libFuzzer target: arbitrary bytes as the body of the collector's response to an export
// (DescribePartialSuccess for traces, DescribeMetricsPartialSuccess for metrics). Both
// responses have the same layout (partial_success = 1 { rejected_* = 1; error_message = 2 }), so
// the two notes must agree; a note must be stable under a parse -> serialise round trip, and
// must hold no control characters and stay bounded (it goes to the agent's log).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "export/otlp/export_response.h"
#include "export/otlp/metrics_export_response.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace otlp = otelbpf::otlp;

namespace {

void Check(bool invariant) {
  if (!invariant) std::abort();
}

// No control characters (they would forge or garble log lines), and bounded.
void CheckLoggable(std::string_view text, size_t max_size) {
  Check(text.size() <= max_size);
  for (char c : text) Check(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
}

constexpr std::string_view kPrefix = "collector rejected ";

}  // namespace

// protobuf logs every string field with invalid UTF-8 to stderr; that is noise here.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const std::string traces = otlp::DescribePartialSuccess(body);
  const std::string metrics = otlp::DescribeMetricsPartialSuccess(body);

  // The same note but for the unit.
  std::string expected = traces;
  if (const size_t at = expected.find(" spans"); !traces.empty()) {
    Check(traces.starts_with(kPrefix) && at != std::string::npos);
    expected.replace(at, 6, " data points");
  }
  Check(metrics == expected);
  CheckLoggable(traces, kPrefix.size() + 20 + sizeof(" spans: ") + 4 * otlp::kMaxPeerTextBytes + 3);
  CheckLoggable(otlp::SanitizePeerText(body), 4 * otlp::kMaxPeerTextBytes + 3);

  // What the note says survives a round trip through the message.
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse response;
  if (size == 0 || !response.ParseFromArray(data, static_cast<int>(size))) {
    Check(traces.empty());
    return 0;
  }
  Check(otlp::DescribePartialSuccess(response.SerializeAsString()) == traces);
  if (!traces.empty()) {
    const std::string count = std::to_string(response.partial_success().rejected_spans());
    Check(traces.compare(kPrefix.size(), count.size(), count) == 0);
  }
  return 0;
}
