#include "discovery/own_telemetry.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "assembly/span_pipeline.h"

namespace otelbpf {
namespace {

using namespace std::string_literals;

TEST(OwnTelemetryEvidence, StrongSignsOfAnSdk) {
  EXPECT_EQ(OwnTelemetryEvidence("PATH=/bin\0OTEL_TRACES_EXPORTER=otlp\0"s, ""),
            "OTEL_TRACES_EXPORTER=otlp");
  EXPECT_NE(OwnTelemetryEvidence("JAVA_TOOL_OPTIONS=-Xmx1g -javaagent:/otel/opentelemetry-javaagent.jar\0"s, ""), "");
  EXPECT_NE(OwnTelemetryEvidence("NODE_OPTIONS=--require @opentelemetry/auto-instrumentations-node/register\0"s, ""), "");
  EXPECT_NE(OwnTelemetryEvidence(
                "PYTHONPATH=/usr/lib/python3/dist-packages/opentelemetry/instrumentation/auto_instrumentation\0"s, ""),
            "");
  EXPECT_NE(OwnTelemetryEvidence("OTEL_DOTNET_AUTO_HOME=/otel-dotnet-auto\0"s, ""), "");
  EXPECT_EQ(OwnTelemetryEvidence("",
                                 "7f1c2a000000-7f1c2a100000 r-xp 00000000 08:01 1234 "
                                 "/usr/local/lib/libopentelemetry_trace.so\n"),
            "maps /usr/local/lib/libopentelemetry_trace.so");
}

TEST(OwnTelemetryEvidence, WeakSignsAreNotEnough) {
  // Set for every process by shells and images, or what otelbpf itself reads to name services.
  EXPECT_EQ(OwnTelemetryEvidence("OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318\0"
                                 "OTEL_SERVICE_NAME=checkout\0OTEL_TRACES_EXPORTER=none\0"s,
                                 ""),
            "");
  EXPECT_EQ(OwnTelemetryEvidence("JAVA_TOOL_OPTIONS=-javaagent:/dd/dd-java-agent.jar\0"s, ""), "");
  EXPECT_EQ(OwnTelemetryEvidence("", "7f1c2a000000-7f1c2a100000 r-xp 00000000 08:01 1 /usr/lib/libssl.so.3\n"
                                     "7ffd000-7ffe000 rw-p 00000000 00:00 0 [stack]\n"),
            "");
}

class CountingSink : public SpanSink {
 public:
  void Consume(const Span&) override { ++spans; }
  void Shutdown() override {}
  int spans = 0;
};

TEST(SpanPipelineOwnTelemetry, ProcessesWithAnSdkAreLeftToIt) {
  auto with_sdk = std::make_shared<Resource>();
  with_sdk->own_telemetry = "OTEL_TRACES_EXPORTER=otlp";
  auto plain = std::make_shared<Resource>();
  for (const bool emit : {false, true}) {
    SpanPipeline pipeline(0, SamplerConfig{}, AssemblyLimits{});
    pipeline.EmitProcessesWithOwnTelemetry(emit);
    CountingSink every_span;
    pipeline.AddEverySpanSink(&every_span);
    for (const ResourcePtr& r : {ResourcePtr(with_sdk), ResourcePtr(plain)}) {
      Span span;
      span.kind = SpanKind::kServer;
      span.resource = r;
      span.start_time_unix_nano = 1;
      span.end_time_unix_nano = 2;
      pipeline.OnSpan(std::move(span), ConnectionInfo{}, SpanOrigin{});
    }
    EXPECT_EQ(every_span.spans, emit ? 2 : 1) << "request metrics see only the emitted spans";
    EXPECT_EQ(pipeline.spans_left_to_sdk(), emit ? 0u : 1u);
  }
}

}  // namespace
}  // namespace otelbpf
