#include <gtest/gtest.h>

#include "export/prometheus/prometheus_text.h"

namespace otelbpf::prometheus {
namespace {

using metrics::DataPoint;
using metrics::HistogramValue;
using metrics::MetricData;
using metrics::MetricKind;
using metrics::MetricsSnapshot;
using metrics::ResourceMetrics;

MetricData Duration(const std::string& method, std::vector<uint64_t> counts, double sum) {
  HistogramValue h;
  h.bounds = {0, 0.005, 0.01};
  h.bucket_counts = std::move(counts);
  for (uint64_t c : h.bucket_counts) h.count += c;
  h.sum = sum;
  MetricData md;
  md.name = "http.server.request.duration";
  md.description = "Duration of HTTP server requests.";
  md.unit = "s";
  md.kind = MetricKind::kHistogram;
  md.points.push_back(DataPoint{
      {{"http.request.method", method}, {"http.response.status_code", int64_t{200}}}, 1, 2, h});
  return md;
}

MetricsSnapshot SmallSnapshot() {
  auto shop = std::make_shared<Resource>();
  shop->attributes = {{"service.name", std::string("shop")},
                      {"service.namespace", std::string("prod")},
                      {"service.instance.id", std::string("i-1")},
                      {"process.pid", int64_t{7}},
                      {"note", std::string("a\"b\\c\nd")}};
  auto curl = std::make_shared<Resource>();
  curl->attributes = {{"service.name", std::string("curl")},
                      {"host.name", std::string("box")},
                      {"process.pid", int64_t{42}}};

  MetricsSnapshot snap;
  ResourceMetrics& a = snap.emplace_back();
  a.resource = shop;
  a.metrics.push_back(Duration("GET", {1, 2, 0, 1}, 0.5));
  MetricData events;
  events.name = "otelbpf.capture.events";
  events.description = "Events read.";
  events.unit = "{event}";
  events.kind = MetricKind::kCounter;
  events.points.push_back(DataPoint{{{"probe", std::string("read")}}, 1, 2, int64_t{10}});
  a.metrics.push_back(events);
  MetricData fill;
  fill.name = "otelbpf.ringbuffer.fill";
  fill.description = "Fill.";
  fill.unit = "1";
  fill.kind = MetricKind::kGauge;
  fill.points.push_back(DataPoint{{}, 1, 2, 0.25});
  a.metrics.push_back(fill);

  ResourceMetrics& b = snap.emplace_back();
  b.resource = curl;
  b.metrics.push_back(Duration("POST", {0, 0, 3, 0}, 0.021));
  return snap;
}

TEST(PrometheusTextTest, GoldenSmallSnapshot) {
  const std::string expected =
      "# HELP target_info Target metadata\n"
      "# TYPE target_info gauge\n"
      "target_info{job=\"prod/shop\",instance=\"i-1\",service_name=\"shop\","
      "service_namespace=\"prod\",service_instance_id=\"i-1\",process_pid=\"7\","
      "note=\"a\\\"b\\\\c\\nd\"} 1\n"
      "target_info{job=\"curl\",instance=\"box:42\",service_name=\"curl\",host_name=\"box\","
      "process_pid=\"42\"} 1\n"
      "# HELP http_server_request_duration_seconds Duration of HTTP server requests.\n"
      "# TYPE http_server_request_duration_seconds histogram\n"
      "http_server_request_duration_seconds_bucket{job=\"prod/shop\",instance=\"i-1\","
      "http_request_method=\"GET\",http_response_status_code=\"200\",le=\"0\"} 1\n"
      "http_server_request_duration_seconds_bucket{job=\"prod/shop\",instance=\"i-1\","
      "http_request_method=\"GET\",http_response_status_code=\"200\",le=\"0.005\"} 3\n"
      "http_server_request_duration_seconds_bucket{job=\"prod/shop\",instance=\"i-1\","
      "http_request_method=\"GET\",http_response_status_code=\"200\",le=\"0.01\"} 3\n"
      "http_server_request_duration_seconds_bucket{job=\"prod/shop\",instance=\"i-1\","
      "http_request_method=\"GET\",http_response_status_code=\"200\",le=\"+Inf\"} 4\n"
      "http_server_request_duration_seconds_sum{job=\"prod/shop\",instance=\"i-1\","
      "http_request_method=\"GET\",http_response_status_code=\"200\"} 0.5\n"
      "http_server_request_duration_seconds_count{job=\"prod/shop\",instance=\"i-1\","
      "http_request_method=\"GET\",http_response_status_code=\"200\"} 4\n"
      "http_server_request_duration_seconds_bucket{job=\"curl\",instance=\"box:42\","
      "http_request_method=\"POST\",http_response_status_code=\"200\",le=\"0\"} 0\n"
      "http_server_request_duration_seconds_bucket{job=\"curl\",instance=\"box:42\","
      "http_request_method=\"POST\",http_response_status_code=\"200\",le=\"0.005\"} 0\n"
      "http_server_request_duration_seconds_bucket{job=\"curl\",instance=\"box:42\","
      "http_request_method=\"POST\",http_response_status_code=\"200\",le=\"0.01\"} 3\n"
      "http_server_request_duration_seconds_bucket{job=\"curl\",instance=\"box:42\","
      "http_request_method=\"POST\",http_response_status_code=\"200\",le=\"+Inf\"} 3\n"
      "http_server_request_duration_seconds_sum{job=\"curl\",instance=\"box:42\","
      "http_request_method=\"POST\",http_response_status_code=\"200\"} 0.021\n"
      "http_server_request_duration_seconds_count{job=\"curl\",instance=\"box:42\","
      "http_request_method=\"POST\",http_response_status_code=\"200\"} 3\n"
      "# HELP otelbpf_capture_events_total Events read.\n"
      "# TYPE otelbpf_capture_events_total counter\n"
      "otelbpf_capture_events_total{job=\"prod/shop\",instance=\"i-1\",probe=\"read\"} 10\n"
      "# HELP otelbpf_ringbuffer_fill_ratio Fill.\n"
      "# TYPE otelbpf_ringbuffer_fill_ratio gauge\n"
      "otelbpf_ringbuffer_fill_ratio{job=\"prod/shop\",instance=\"i-1\"} 0.25\n";
  EXPECT_EQ(FormatPrometheusText(SmallSnapshot()), expected);
}

TEST(PrometheusTextTest, EmptySnapshotIsEmptyText) { EXPECT_EQ(FormatPrometheusText({}), ""); }

TEST(PrometheusTextTest, TargetLabelsFallBackToHostAndPid) {
  Resource r;
  EXPECT_TRUE(TargetLabels(&r).empty());
  EXPECT_TRUE(TargetLabels(nullptr).empty());
  r.attributes = {{"process.pid", int64_t{9}}};
  EXPECT_EQ(TargetLabels(&r), (Labels{{"instance", "9"}}));
  r.attributes = {{"service.namespace", std::string("ns")}};
  EXPECT_EQ(TargetLabels(&r), (Labels{{"job", "ns"}}));
}

TEST(PrometheusTextTest, ConflictingTypeDropsTheLaterMetric) {
  MetricsSnapshot snap = SmallSnapshot();
  MetricData gauge;
  gauge.name = "otelbpf.capture.events.total";  // -> otelbpf_capture_events_total, a gauge
  gauge.kind = MetricKind::kGauge;
  gauge.points.push_back(DataPoint{{}, 1, 2, int64_t{5}});
  snap[1].metrics.push_back(gauge);
  MetricData count;
  count.name = "http.server.request.duration.seconds.count";  // a histogram's _count
  count.kind = MetricKind::kGauge;
  count.points.push_back(DataPoint{{}, 1, 2, int64_t{5}});
  snap[1].metrics.push_back(count);
  const std::string text = FormatPrometheusText(snap);
  EXPECT_EQ(text, FormatPrometheusText(SmallSnapshot()));
}

TEST(PrometheusTextTest, DuplicateSeriesAndReservedLabels) {
  MetricsSnapshot snap;
  auto r = std::make_shared<Resource>();
  r->attributes = {{"service.name", std::string("s")}};
  for (int i = 0; i < 2; ++i) {  // two producers reporting the same series for one resource
    ResourceMetrics& rm = snap.emplace_back();
    rm.resource = r;
    MetricData md;
    md.name = "up.down";
    md.description = "x";
    md.kind = MetricKind::kUpDownCounter;
    md.points.push_back(DataPoint{{{"job", std::string("mine")}}, 1, 2, int64_t{i}});
    rm.metrics.push_back(md);
  }
  EXPECT_EQ(FormatPrometheusText(snap),
            "# HELP target_info Target metadata\n"
            "# TYPE target_info gauge\n"
            "target_info{job=\"s\",service_name=\"s\"} 1\n"
            "# HELP up_down x\n"
            "# TYPE up_down gauge\n"
            "up_down{job=\"s\",exported_job=\"mine\"} 0\n");
}

TEST(PrometheusTextTest, HistogramWithNegativeValuesHasNoSum) {
  MetricsSnapshot snap;
  ResourceMetrics& rm = snap.emplace_back();
  MetricData md = Duration("GET", {1, 0, 0, 0}, -1);
  std::get<HistogramValue>(md.points[0].value).min = -1;
  md.points[0].attributes.clear();
  rm.metrics.push_back(md);
  EXPECT_EQ(FormatPrometheusText(snap),
            "# HELP http_server_request_duration_seconds Duration of HTTP server requests.\n"
            "# TYPE http_server_request_duration_seconds histogram\n"
            "http_server_request_duration_seconds_bucket{le=\"0\"} 1\n"
            "http_server_request_duration_seconds_bucket{le=\"0.005\"} 1\n"
            "http_server_request_duration_seconds_bucket{le=\"0.01\"} 1\n"
            "http_server_request_duration_seconds_bucket{le=\"+Inf\"} 1\n"
            "http_server_request_duration_seconds_count 1\n");
}

}  // namespace
}  // namespace otelbpf::prometheus
