// Inputs export_response_fuzz found: a collector's partial-success error_message is logged, so
// control characters in it must not reach the log as they are, nor may an unbounded message.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "export/otlp/export_response.h"
#include "export/otlp/metrics_export_response.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace otelbpf::otlp {
namespace {

using namespace std::string_view_literals;

// crash-30f30599d8a84ffb5d056cce9e3757cff32d7499: partial_success { rejected_spans: 3
// error_message: "span 2\x10\x00invalid trace id" }. Both responses share this layout.
constexpr std::string_view kControlCharacters =
    "\x0a\x1c\x08\x03\x12\x18span 2\x10\x00invalid trace id"sv;

TEST(ExportResponseFuzzRegression, ControlCharactersInErrorMessageAreEscaped) {
  EXPECT_EQ(DescribePartialSuccess(kControlCharacters),
            "collector rejected 3 spans: span 2\\x10\\x00invalid trace id");
  EXPECT_EQ(DescribeMetricsPartialSuccess(kControlCharacters),
            "collector rejected 3 data points: span 2\\x10\\x00invalid trace id");
}

TEST(ExportResponseFuzzRegression, ForgedLogLineStaysOnOneLine) {
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse response;
  response.mutable_partial_success()->set_error_message(
      "ok\n[2024-01-01 00:00:00] [info] exported 0 spans\x1b[2K\x7f");
  EXPECT_EQ(DescribePartialSuccess(response.SerializeAsString()),
            "collector rejected 0 spans: ok\\x0a[2024-01-01 00:00:00] [info] exported 0 "
            "spans\\x1b[2K\\x7f");
}

TEST(ExportResponseFuzzRegression, LongErrorMessageIsCutOnACharacterBoundary) {
  // 1023 ASCII bytes then a 3-byte character across the limit: cut before the character.
  const std::string message = std::string(kMaxPeerTextBytes - 1, 'a') + "\xe2\x82\xac" + "tail";
  EXPECT_EQ(SanitizePeerText(message), std::string(kMaxPeerTextBytes - 1, 'a') + "...");
  EXPECT_EQ(SanitizePeerText(std::string(kMaxPeerTextBytes, 'b')),
            std::string(kMaxPeerTextBytes, 'b'));
  EXPECT_EQ(SanitizePeerText("caf\xc3\xa9"), "caf\xc3\xa9");  // printable UTF-8 is kept
}

}  // namespace
}  // namespace otelbpf::otlp
