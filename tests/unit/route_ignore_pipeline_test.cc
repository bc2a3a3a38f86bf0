// Ignored paths through the whole SpanPipeline: which spans reach metrics, which are exported,
// and what becomes of the spans linked below an ignored one (withheld with it) or above it
// (exported without it).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "assembly/span_pipeline.h"
#include "trace/span_sink.h"

namespace otelbpf {
namespace {

struct Collect : SpanSink {
  void Consume(const Span& span) override { spans.push_back(span); }
  void Shutdown() override {}
  std::vector<std::string> Names() const {
    std::vector<std::string> out;
    for (const Span& s : spans) out.push_back(s.name);
    return out;
  }
  std::vector<Span> spans;
};

constexpr uint32_t kPid = 7, kThread = 70;

// An HTTP span as the builders make it: named by its method, with its path.
Span HttpSpan(SpanKind kind, const std::string& path, uint64_t start, uint64_t end) {
  Span s;
  s.kind = kind;
  s.family = SemanticFamily::kHttp;
  s.name = "GET";
  s.start_time_unix_nano = start;
  s.end_time_unix_nano = end;
  s.attributes.push_back({"http.request.method", std::string("GET")});
  s.attributes.push_back({"url.path", path});
  return s;
}

Span DbSpan(uint64_t start, uint64_t end) {
  Span s;
  s.kind = SpanKind::kClient;
  s.family = SemanticFamily::kDb;
  s.name = "SELECT";
  s.start_time_unix_nano = start;
  s.end_time_unix_nano = end;
  return s;
}

ConnectionInfo Connection(ConnectionRole role, uint16_t local_port, uint16_t peer_port) {
  ConnectionInfo c;
  c.pid = kPid;
  c.role = role;
  c.local = {"127.0.0.1", local_port};
  c.peer = {"10.0.0.9", peer_port};
  return c;
}

SpanOrigin OnThread() {
  SpanOrigin o;
  o.tid = kThread;
  return o;
}

class RouteIgnorePipeline : public ::testing::Test {
 protected:
  void Make(routes::IgnoreMode mode) {
    routes::RouteOptions o;
    o.patterns = {"/health", "/orders/{id}"};
    o.ignored_patterns = {"/health"};
    o.ignore_mode = mode;
    pipeline_.SetRoutes(o);
    pipeline_.AddEverySpanSink(&metrics_);
    pipeline_.AddSink(&exporter_);
  }
  // A /health request served on kThread whose handler pinged the database: the child is
  // reported first, as the kernel reports them.
  void HealthCheckWithDatabasePing() {
    pipeline_.OnSpan(DbSpan(20, 30), Connection(ConnectionRole::kClient, 41000, 5432), OnThread());
    pipeline_.OnSpan(HttpSpan(SpanKind::kServer, "/health", 10, 100),
                     Connection(ConnectionRole::kServer, 8080, 50000), OnThread());
  }

  SpanPipeline pipeline_{0};
  Collect metrics_, exporter_;
};

TEST_F(RouteIgnorePipeline, AllDropsTheSpanItsChildrenAndItsMeasurement) {
  Make(routes::IgnoreMode::kAll);
  HealthCheckWithDatabasePing();
  pipeline_.OnSpan(HttpSpan(SpanKind::kServer, "/orders/5", 200, 300),
                   Connection(ConnectionRole::kServer, 8080, 50001), SpanOrigin{});
  pipeline_.Flush();
  EXPECT_EQ(exporter_.Names(), std::vector<std::string>{"GET /orders/{id}"});
  // The database ping is not an HTTP request: its metric counts; the health check's does not.
  EXPECT_EQ(metrics_.Names(), (std::vector<std::string>{"SELECT", "GET /orders/{id}"}));
  EXPECT_EQ(pipeline_.assembly_stats().ignored, 2u) << "the health check and its ping";
  EXPECT_EQ(pipeline_.assembly_stats().linked_in_process, 1u) << "the ping found its parent";
  EXPECT_EQ(pipeline_.route_counters().ignored_spans, 1u);
  EXPECT_EQ(pipeline_.route_counters().ignored_measurements, 1u);
}

TEST_F(RouteIgnorePipeline, TracesModeKeepsTheMeasurement) {
  Make(routes::IgnoreMode::kTraces);
  HealthCheckWithDatabasePing();
  pipeline_.Flush();
  EXPECT_TRUE(exporter_.spans.empty());
  EXPECT_EQ(metrics_.Names(), (std::vector<std::string>{"SELECT", "GET /health"}));
  EXPECT_EQ(pipeline_.assembly_stats().ignored, 2u);
  EXPECT_EQ(pipeline_.route_counters().ignored_measurements, 0u);
}

TEST_F(RouteIgnorePipeline, MetricsModeKeepsTheTrace) {
  Make(routes::IgnoreMode::kMetrics);
  HealthCheckWithDatabasePing();
  pipeline_.Flush();
  ASSERT_EQ(exporter_.spans.size(), 2u);
  EXPECT_EQ(metrics_.Names(), std::vector<std::string>{"SELECT"});
  EXPECT_EQ(pipeline_.assembly_stats().ignored, 0u);
  const Span* ping =
      exporter_.spans[0].name == "SELECT" ? &exporter_.spans[0] : &exporter_.spans[1];
  const Span* health = ping == &exporter_.spans[0] ? &exporter_.spans[1] : &exporter_.spans[0];
  EXPECT_EQ(ping->parent_span_id, health->span_id);
}

TEST_F(RouteIgnorePipeline, AnIgnoredChildLeavesItsParentExported) {
  Make(routes::IgnoreMode::kAll);
  // /orders/5 served on kThread called another service's /health meanwhile.
  pipeline_.OnSpan(HttpSpan(SpanKind::kClient, "/health", 20, 30),
                   Connection(ConnectionRole::kClient, 41001, 80), OnThread());
  pipeline_.OnSpan(HttpSpan(SpanKind::kServer, "/orders/5", 10, 100),
                   Connection(ConnectionRole::kServer, 8080, 50000), OnThread());
  pipeline_.Flush();
  ASSERT_EQ(exporter_.Names(), std::vector<std::string>{"GET /orders/{id}"});
  EXPECT_EQ(pipeline_.assembly_stats().ignored, 1u);
}

TEST_F(RouteIgnorePipeline, AChildArrivingAfterItsIgnoredParentLeftIsWithheldToo) {
  Make(routes::IgnoreMode::kAll);
  pipeline_.OnSpan(HttpSpan(SpanKind::kServer, "/health", 10, 100),
                   Connection(ConnectionRole::kServer, 8080, 50000), OnThread());
  pipeline_.Tick(100 + AssemblyLimits{}.hold_ns + AssemblyLimits{}.root_grace_ns);  // it left
  EXPECT_EQ(pipeline_.assembly_stats().ignored, 1u);
  pipeline_.OnSpan(DbSpan(20, 30), Connection(ConnectionRole::kClient, 41000, 5432), OnThread());
  pipeline_.Flush();
  EXPECT_TRUE(exporter_.spans.empty());
  EXPECT_EQ(pipeline_.assembly_stats().ignored, 2u);
}

TEST(RoutePipeline, WithoutRoutesNothingChanges) {
  SpanPipeline pipeline(0);
  Collect metrics, exporter;
  pipeline.AddEverySpanSink(&metrics);
  pipeline.AddSink(&exporter);
  pipeline.OnSpan(HttpSpan(SpanKind::kServer, "/orders/5", 10, 100),
                  Connection(ConnectionRole::kServer, 8080, 50000), SpanOrigin{});
  pipeline.Flush();
  ASSERT_EQ(exporter.spans.size(), 1u);
  EXPECT_EQ(exporter.spans[0].name, "GET");
  EXPECT_EQ(FindAttribute(exporter.spans[0].attributes, "url.template"), nullptr);
  EXPECT_EQ(pipeline.route_counters().templated, 0u);
}

}  // namespace
}  // namespace otelbpf
