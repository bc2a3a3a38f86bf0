// rpc.server.call.duration and rpc.client.call.duration, fed by the spans the HTTP/2 parser
// builds for gRPC calls, and what reaches Prometheus and OTLP.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "export/otlp/metrics_encoder.h"
#include "export/prometheus/prometheus_naming.h"
#include "export/prometheus/prometheus_text.h"
#include "metrics/rpc_metrics.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"
#include "protocols/http2/span_builder.h"

namespace otelbpf::metrics {
namespace {

constexpr uint64_t kStart = 1700000000000000000ull;

ResourcePtr MakeResource(const std::string& service) {
  auto r = std::make_shared<Resource>();
  r->attributes = {{"service.name", service}};
  return r;
}

// The span the HTTP/2 parser builds for a gRPC call that took `duration_ns` and ended with
// `grpc_status`, seen from `role`.
Span GrpcSpan(const ResourcePtr& resource, ConnectionRole role, int grpc_status,
              uint64_t duration_ns = 2'000'000, std::string method = "/demo.Greeter/SayHello") {
  http2::Exchange x;
  x.stream_id = 1;
  x.request.method = "POST";
  x.request.authority = "greeter:50051";
  x.request.path = std::move(method);
  x.request.content_type = "application/grpc";
  x.response.status = 200;
  x.response.grpc_status = std::to_string(grpc_status);
  x.first_byte_ns = 1000;
  x.last_byte_ns = 1000 + duration_ns;
  ConnectionInfo c;
  c.role = role;
  c.resource = resource;
  c.peer = {"10.0.0.9", 50051};
  SpanBuildOptions options;
  options.monotonic_to_realtime_ns = kStart - 1000;
  return http2::BuildSpan(x, c, options);
}

MetricsSnapshot CollectAll(RpcMetrics& m) {
  MetricsSnapshot out;
  m.Collect(kStart + 1'000'000'000, &out);
  return out;
}

const AttributeValue* Find(const Attributes& attributes, std::string_view key) {
  return FindAttribute(attributes, key);
}

std::string StringOf(const Attributes& attributes, std::string_view key) {
  const AttributeValue* v = Find(attributes, key);
  return v ? std::get<std::string>(*v) : "";
}

const HistogramValue& Hist(const DataPoint& p) { return std::get<HistogramValue>(p.value); }

TEST(MetricsRpcMetricsTest, ServerAndClientSpansFeedTheirHistograms) {
  RpcMetrics metrics;
  const ResourcePtr app = MakeResource("app");
  metrics.Record(GrpcSpan(app, ConnectionRole::kServer, 0, 5'000'000));  // 0.005 s: le="0.005"
  metrics.Record(GrpcSpan(app, ConnectionRole::kClient, 14, 30'000'000));
  const MetricsSnapshot snap = CollectAll(metrics);
  ASSERT_EQ(snap.size(), 1u);
  ASSERT_EQ(snap[0].metrics.size(), 2u);
  const MetricData& server = snap[0].metrics[0];
  const MetricData& client = snap[0].metrics[1];
  EXPECT_EQ(server.name, "rpc.server.call.duration");
  EXPECT_EQ(client.name, "rpc.client.call.duration");
  EXPECT_EQ(server.unit, "s");
  EXPECT_EQ(server.kind, MetricKind::kHistogram);
  ASSERT_EQ(server.points.size(), 1u);
  const Attributes& s = server.points[0].attributes;
  EXPECT_EQ(StringOf(s, "rpc.system.name"), "grpc");
  EXPECT_EQ(StringOf(s, "rpc.method"), "demo.Greeter/SayHello");
  EXPECT_EQ(StringOf(s, "rpc.response.status_code"), "OK");
  EXPECT_EQ(Find(s, "error.type"), nullptr);
  EXPECT_EQ(Find(s, "server.address"), nullptr);  // client side only
  EXPECT_EQ(Hist(server.points[0]).count, 1u);
  EXPECT_EQ(Hist(server.points[0]).bucket_counts[0], 1u);
  const Attributes& c = client.points.at(0).attributes;
  EXPECT_EQ(StringOf(c, "rpc.response.status_code"), "UNAVAILABLE");
  EXPECT_EQ(StringOf(c, "error.type"), "UNAVAILABLE");
  EXPECT_EQ(StringOf(c, "server.address"), "greeter");
  EXPECT_EQ(std::get<int64_t>(*Find(c, "server.port")), 50051);
}

TEST(MetricsRpcMetricsTest, BucketsAreTheDurationAdvice) {
  const std::vector<double> expected = {0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25,
                                        0.5,   0.75, 1,     2.5,  5,     7.5, 10};
  const auto bounds = RpcDurationBoundsSeconds();
  EXPECT_EQ(std::vector<double>(bounds.begin(), bounds.end()), expected);
}

TEST(MetricsRpcMetricsTest, OtherFamiliesAndInternalSpansFeedNothing) {
  RpcMetrics metrics;
  const ResourcePtr app = MakeResource("app");
  Span http = GrpcSpan(app, ConnectionRole::kServer, 0);
  http.family = SemanticFamily::kHttp;
  metrics.Record(http);
  metrics.Record(GrpcSpan(app, ConnectionRole::kUnknown, 0));  // INTERNAL
  EXPECT_TRUE(CollectAll(metrics).empty());
  EXPECT_EQ(metrics.series_count(), 0u);
}

TEST(MetricsRpcMetricsTest, SameAttributesShareASeries) {
  RpcMetrics metrics;
  const ResourcePtr app = MakeResource("app");
  for (int i = 0; i < 3; ++i) metrics.Record(GrpcSpan(app, ConnectionRole::kServer, 0));
  metrics.Record(GrpcSpan(app, ConnectionRole::kServer, 0, 1000, "/demo.Greeter/Other"));
  const MetricsSnapshot snap = CollectAll(metrics);
  ASSERT_EQ(snap.at(0).metrics.size(), 1u);
  ASSERT_EQ(snap[0].metrics[0].points.size(), 2u);
  EXPECT_EQ(Hist(snap[0].metrics[0].points[0]).count, 3u);
}

TEST(MetricsRpcMetricsTest, CardinalityIsBounded) {
  SpanMetricsOptions options;
  options.max_series_per_metric = 2;
  RpcMetrics metrics(options);
  const ResourcePtr app = MakeResource("app");
  for (int i = 0; i < 5; ++i) {
    metrics.Record(
        GrpcSpan(app, ConnectionRole::kServer, 0, 1000, "/demo.Greeter/M" + std::to_string(i)));
  }
  EXPECT_EQ(metrics.series_count(), 3u);  // two, and the overflow series
  EXPECT_EQ(metrics.overflow_measurements(), 3u);
}

TEST(MetricsRpcMetricsTest, ForgottenResourcesAreDroppedAfterACollection) {
  RpcMetrics metrics;
  const ResourcePtr app = MakeResource("app");
  metrics.Record(GrpcSpan(app, ConnectionRole::kServer, 0));
  metrics.ForgetResource(app.get());
  EXPECT_EQ(CollectAll(metrics).size(), 1u);
  EXPECT_TRUE(CollectAll(metrics).empty());
}

TEST(MetricsRpcMetricsTest, PrometheusNamesTheMetricsInSeconds) {
  RpcMetrics metrics;
  metrics.Record(GrpcSpan(MakeResource("app"), ConnectionRole::kServer, 0));
  const std::string text = prometheus::FormatPrometheusText(CollectAll(metrics));
  EXPECT_NE(text.find("# TYPE rpc_server_call_duration_seconds histogram\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("rpc_system_name=\"grpc\""), std::string::npos);
  EXPECT_NE(text.find("rpc_response_status_code=\"OK\""), std::string::npos);
}

TEST(MetricsRpcMetricsTest, OtlpCarriesTheHistograms) {
  RpcMetrics metrics;
  metrics.Record(GrpcSpan(MakeResource("app"), ConnectionRole::kClient, 4));
  const std::string bytes =
      otlp::EncodeMetricsRequest(CollectAll(metrics), otlp::TemporalityPreference::kCumulative);
  opentelemetry::proto::collector::metrics::v1::ExportMetricsServiceRequest request;
  ASSERT_TRUE(request.ParseFromString(bytes));
  const auto& metric = request.resource_metrics(0).scope_metrics(0).metrics(0);
  EXPECT_EQ(metric.name(), "rpc.client.call.duration");
  EXPECT_EQ(metric.unit(), "s");
  ASSERT_EQ(metric.histogram().data_points_size(), 1);
  EXPECT_EQ(metric.histogram().data_points(0).count(), 1u);
}

}  // namespace
}  // namespace otelbpf::metrics
