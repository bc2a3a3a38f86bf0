#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "export/prometheus/prometheus_naming.h"

namespace otelbpf::prometheus {
namespace {

using metrics::MetricKind;

TEST(PrometheusNamingTest, UnitsBecomeWords) {
  EXPECT_EQ(PrometheusUnit("s", MetricKind::kHistogram), "seconds");
  EXPECT_EQ(PrometheusUnit("ms", MetricKind::kHistogram), "milliseconds");
  EXPECT_EQ(PrometheusUnit("By", MetricKind::kHistogram), "bytes");
  EXPECT_EQ(PrometheusUnit("By/s", MetricKind::kGauge), "bytes_per_second");
  EXPECT_EQ(PrometheusUnit("{request}/s", MetricKind::kGauge), "per_second");
  EXPECT_EQ(PrometheusUnit("{connection}", MetricKind::kUpDownCounter), "");
  EXPECT_EQ(PrometheusUnit("1", MetricKind::kGauge), "ratio");
  EXPECT_EQ(PrometheusUnit("1", MetricKind::kCounter), "");
  EXPECT_EQ(PrometheusUnit("", MetricKind::kCounter), "");
  EXPECT_EQ(PrometheusUnit("widgets", MetricKind::kCounter), "widgets");
  EXPECT_EQ(PrometheusUnit("%", MetricKind::kGauge), "percent");
}

TEST(PrometheusNamingTest, MetricNamesFollowTheCompatibilitySpec) {
  EXPECT_EQ(PrometheusMetricName("http.server.request.duration", "s", MetricKind::kHistogram),
            "http_server_request_duration_seconds");
  EXPECT_EQ(PrometheusMetricName("http.client.response.body.size", "By", MetricKind::kHistogram),
            "http_client_response_body_size_bytes");
  EXPECT_EQ(PrometheusMetricName("otelbpf.capture.events", "{event}", MetricKind::kCounter),
            "otelbpf_capture_events_total");
  EXPECT_EQ(PrometheusMetricName("otelbpf.ringbuffer.fill", "1", MetricKind::kGauge),
            "otelbpf_ringbuffer_fill_ratio");
  EXPECT_EQ(PrometheusMetricName("otelbpf.connections.tracked", "{connection}",
                                 MetricKind::kUpDownCounter),
            "otelbpf_connections_tracked");
  // Unit already in the name: not repeated. "_total" stays last, after the unit.
  EXPECT_EQ(PrometheusMetricName("process.cpu.seconds", "s", MetricKind::kCounter),
            "process_cpu_seconds_total");
  EXPECT_EQ(PrometheusMetricName("sent_total", "By", MetricKind::kCounter), "sent_bytes_total");
  EXPECT_EQ(PrometheusMetricName("a..b--c", "", MetricKind::kGauge), "a_b_c");
  EXPECT_EQ(PrometheusMetricName("9lives", "", MetricKind::kGauge), "_9lives");
  EXPECT_EQ(PrometheusMetricName("ns:metric", "", MetricKind::kGauge), "ns:metric");
  EXPECT_EQ(PrometheusMetricName("", "", MetricKind::kGauge), "_");
}

TEST(PrometheusNamingTest, LabelNamesAreSanitized) {
  EXPECT_EQ(SanitizeLabelName("http.request.method"), "http_request_method");
  EXPECT_EQ(SanitizeLabelName("2xx.count"), "key_2xx_count");
  EXPECT_EQ(SanitizeLabelName("a..b"), "a_b");
  EXPECT_EQ(SanitizeLabelName("ok_name"), "ok_name");
  EXPECT_EQ(SanitizeLabelName("ns:x"), "ns_x");  // ':' is for metric names only
  EXPECT_EQ(SanitizeLabelName(""), "");
}

TEST(PrometheusNamingTest, CollidingLabelsJoinValuesInKeyOrder) {
  const Labels labels = AttributesToLabels({{"b.c", std::string("2")},
                                            {"x", int64_t{-5}},
                                            {"b_c", std::string("1")},
                                            {"flag", true},
                                            {"ratio", 0.5},
                                            {"", std::string("dropped")}});
  ASSERT_EQ(labels.size(), 4u);
  EXPECT_EQ(labels[0], (std::pair<std::string, std::string>{"b_c", "2;1"}));  // "b.c" < "b_c"
  EXPECT_EQ(labels[1], (std::pair<std::string, std::string>{"x", "-5"}));
  EXPECT_EQ(labels[2], (std::pair<std::string, std::string>{"flag", "true"}));
  EXPECT_EQ(labels[3], (std::pair<std::string, std::string>{"ratio", "0.5"}));
}

TEST(PrometheusNamingTest, DoublesUsePrometheusSpelling) {
  EXPECT_EQ(FormatDouble(0.005), "0.005");
  EXPECT_EQ(FormatDouble(10), "10");
  EXPECT_EQ(FormatDouble(2.5), "2.5");
  EXPECT_EQ(FormatDouble(1e-7), "1e-07");
  EXPECT_EQ(FormatDouble(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatDouble(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatDouble(std::nan("")), "NaN");
}

TEST(PrometheusNamingTest, LabelValuesAreEscapedAndValidUtf8) {
  std::string out;
  AppendLabelValue(&out, "a\"b\\c\nd");
  EXPECT_EQ(out, "a\\\"b\\\\c\\nd");
  out.clear();
  AppendLabelValue(&out, "caf\xC3\xA9 \xFF \xC0\xAF \xED\xA0\x80 \xE2\x82");  // é, junk, overlong,
  EXPECT_EQ(out,
            "caf\xC3\xA9 \xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD "  // surrogate, cut
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD");
  out.clear();
  AppendHelpText(&out, "line\nwith \"quotes\" and \\");
  EXPECT_EQ(out, "line\\nwith \"quotes\" and \\\\");
}

}  // namespace
}  // namespace otelbpf::prometheus
