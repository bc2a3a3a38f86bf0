// SpanPipeline: metrics-style sinks see every span at once; export sinks see sampled,
// assembled spans after the hold; Flush delivers what is held.
#include <gtest/gtest.h>

#include "trace/span_sink.h"
#include "trace/ids.h"
#include "assembly/span_pipeline.h"

namespace otelbpf {
namespace {

struct Collect : SpanSink {
  void Consume(const Span& span) override { spans.push_back(span); }
  void Shutdown() override {}
  std::vector<Span> spans;
};

Span ServerSpan(uint64_t start, uint64_t end) {
  Span s;
  s.kind = SpanKind::kServer;
  s.start_time_unix_nano = start;
  s.end_time_unix_nano = end;
  return s;
}

ConnectionInfo Server() {
  ConnectionInfo c;
  c.pid = 7;
  c.role = ConnectionRole::kServer;
  c.local = {"127.0.0.1", 80};
  c.peer = {"127.0.0.1", 40000};
  return c;
}

TEST(TracePipeline, EverySpanSinkAtOnceExportSinksAfterTheHold) {
  SpanPipeline pipeline(/*monotonic_to_realtime_ns=*/0);
  Collect metrics, exporter;
  pipeline.AddEverySpanSink(&metrics);
  pipeline.AddSink(&exporter);
  pipeline.OnSpan(ServerSpan(10, 20), Server(), SpanOrigin{});
  EXPECT_EQ(metrics.spans.size(), 1u);
  EXPECT_TRUE(exporter.spans.empty());
  pipeline.Tick(20 + AssemblyLimits{}.hold_ns + AssemblyLimits{}.root_grace_ns);
  ASSERT_EQ(exporter.spans.size(), 1u);
  EXPECT_TRUE(IsValid(exporter.spans[0].trace_id));
  EXPECT_TRUE(IsValid(exporter.spans[0].span_id));
  EXPECT_EQ(pipeline.spans(), 1u);
}

TEST(TracePipeline, AlwaysOffSkipsAssemblyButMetricsStillCount) {
  SpanPipeline pipeline(0, SamplerConfig{SamplerKind::kAlwaysOff, 1.0});
  Collect metrics, exporter;
  pipeline.AddEverySpanSink(&metrics);
  pipeline.AddSink(&exporter);
  pipeline.OnSpan(ServerSpan(10, 20), Server(), SpanOrigin{});
  pipeline.Flush();
  EXPECT_EQ(metrics.spans.size(), 1u);
  EXPECT_TRUE(exporter.spans.empty());
  EXPECT_EQ(pipeline.assembly_stats().spans, 0u) << "never held";
}

TEST(TracePipeline, FlushDeliversHeldSpans) {
  SpanPipeline pipeline(0);
  Collect exporter;
  pipeline.AddSink(&exporter);
  TraceContext caller;
  caller.trace_id[3] = 1;
  caller.span_id[1] = 2;
  caller.sampled = true;
  SpanOrigin origin;
  origin.incoming = caller;
  pipeline.OnSpan(ServerSpan(10, 20), Server(), origin);
  pipeline.Flush();
  ASSERT_EQ(exporter.spans.size(), 1u);
  EXPECT_EQ(exporter.spans[0].trace_id, caller.trace_id);
  EXPECT_EQ(exporter.spans[0].parent_span_id, caller.span_id);
}

}  // namespace
}  // namespace otelbpf
