// The hand-written OTLP metrics encoder checked against the generated protobuf classes:
// whatever we write must parse into exactly the request we meant, and re-serialize to the
// same bytes.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>

#include "export/otlp/metrics_encoder.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.pb.h"

namespace otelbpf::otlp {
namespace {

namespace pb_collector = opentelemetry::proto::collector::metrics::v1;
namespace pb_metrics = opentelemetry::proto::metrics::v1;
namespace pb_common = opentelemetry::proto::common::v1;
using metrics::DataPoint;
using metrics::HistogramValue;
using metrics::MetricData;
using metrics::MetricKind;
using metrics::MetricsSnapshot;

constexpr uint64_t kStart = 1'700'000'000'000'000'000ULL;
constexpr uint64_t kNow = 1'700'000'060'000'000'000ULL;

ResourcePtr MakeResource(const std::string& service) {
  auto r = std::make_shared<Resource>();
  r->attributes = {{"service.name", service}, {"process.pid", int64_t{4242}}};
  return r;
}

DataPoint Point(metrics::PointValue value, Attributes attributes = {}) {
  return DataPoint{std::move(attributes), kStart, kNow, std::move(value)};
}

MetricData Metric(std::string name, MetricKind kind, std::vector<DataPoint> points) {
  return MetricData{std::move(name), "a description", "s", kind, std::move(points)};
}

HistogramValue SampleHistogram() {
  HistogramValue h;
  h.bounds = {0.005, 0.01, 0.025};
  h.bucket_counts = {3, 0, 5, 1};
  h.count = 9;
  h.sum = 0.125;
  h.min = 0.001;
  h.max = 0.5;
  return h;
}

pb_collector::ExportMetricsServiceRequest Decode(std::string_view bytes) {
  pb_collector::ExportMetricsServiceRequest request;
  EXPECT_TRUE(request.ParseFromString(std::string(bytes)));
  // Canonical output: the generated serializer reproduces our bytes exactly.
  EXPECT_EQ(request.SerializeAsString(), bytes);
  return request;
}

pb_collector::ExportMetricsServiceRequest EncodeAndDecode(
    const MetricsSnapshot& snapshot,
    TemporalityPreference preference = TemporalityPreference::kCumulative) {
  return Decode(EncodeMetricsRequest(snapshot, preference));
}

const pb_common::AnyValue& FindValue(
    const google::protobuf::RepeatedPtrField<pb_common::KeyValue>& attributes,
    const std::string& key) {
  for (const auto& kv : attributes) {
    if (kv.key() == key) return kv.value();
  }
  ADD_FAILURE() << "attribute not found: " << key;
  return pb_common::AnyValue::default_instance();
}

TEST(OtlpMetricsEncoderTest, CounterWithResourceScopeAndAttributes) {
  MetricsSnapshot snapshot{
      {MakeResource("web"),
       {Metric("http.server.requests", MetricKind::kCounter,
               {Point(int64_t{42}, {{"http.request.method", std::string("GET")},
                                    {"http.response.status_code", int64_t{200}},
                                    {"error", false},
                                    {"ratio", 0.5}})})}}};
  auto request = EncodeAndDecode(snapshot);

  ASSERT_EQ(request.resource_metrics_size(), 1);
  const auto& rm = request.resource_metrics(0);
  EXPECT_EQ(FindValue(rm.resource().attributes(), "service.name").string_value(), "web");
  EXPECT_EQ(FindValue(rm.resource().attributes(), "process.pid").int_value(), 4242);
  ASSERT_EQ(rm.scope_metrics_size(), 1);
  EXPECT_EQ(rm.scope_metrics(0).scope().name(), "otelbpf");
  EXPECT_EQ(rm.scope_metrics(0).scope().version(), OTELBPF_VERSION);
  ASSERT_EQ(rm.scope_metrics(0).metrics_size(), 1);

  const auto& m = rm.scope_metrics(0).metrics(0);
  EXPECT_EQ(m.name(), "http.server.requests");
  EXPECT_EQ(m.description(), "a description");
  EXPECT_EQ(m.unit(), "s");
  ASSERT_TRUE(m.has_sum());
  EXPECT_TRUE(m.sum().is_monotonic());
  EXPECT_EQ(m.sum().aggregation_temporality(), pb_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
  ASSERT_EQ(m.sum().data_points_size(), 1);
  const auto& p = m.sum().data_points(0);
  EXPECT_EQ(p.value_case(), pb_metrics::NumberDataPoint::kAsInt);
  EXPECT_EQ(p.as_int(), 42);
  EXPECT_EQ(p.start_time_unix_nano(), kStart);
  EXPECT_EQ(p.time_unix_nano(), kNow);
  ASSERT_EQ(p.attributes_size(), 4);
  EXPECT_EQ(p.attributes(0).key(), "http.request.method");  // order kept
  EXPECT_EQ(FindValue(p.attributes(), "http.request.method").string_value(), "GET");
  EXPECT_EQ(FindValue(p.attributes(), "http.response.status_code").int_value(), 200);
  EXPECT_EQ(FindValue(p.attributes(), "error").value_case(), pb_common::AnyValue::kBoolValue);
  EXPECT_FALSE(FindValue(p.attributes(), "error").bool_value());
  EXPECT_EQ(FindValue(p.attributes(), "ratio").double_value(), 0.5);
}

TEST(OtlpMetricsEncoderTest, EveryKindAndValueType) {
  MetricsSnapshot snapshot{{MakeResource("api"),
                            {Metric("c.int", MetricKind::kCounter, {Point(int64_t{7})}),
                             Metric("c.double", MetricKind::kCounter, {Point(2.5)}),
                             Metric("ud.int", MetricKind::kUpDownCounter, {Point(int64_t{-3})}),
                             Metric("ud.double", MetricKind::kUpDownCounter, {Point(-0.25)}),
                             Metric("g.int", MetricKind::kGauge, {Point(int64_t{0})}),
                             Metric("g.double", MetricKind::kGauge, {Point(1e300)}),
                             Metric("h", MetricKind::kHistogram, {Point(SampleHistogram())})}}};
  auto request = EncodeAndDecode(snapshot);
  const auto& ms = request.resource_metrics(0).scope_metrics(0).metrics();
  ASSERT_EQ(ms.size(), 7);

  EXPECT_EQ(ms[0].sum().data_points(0).as_int(), 7);
  EXPECT_TRUE(ms[0].sum().is_monotonic());
  EXPECT_EQ(ms[1].sum().data_points(0).value_case(), pb_metrics::NumberDataPoint::kAsDouble);
  EXPECT_EQ(ms[1].sum().data_points(0).as_double(), 2.5);

  ASSERT_TRUE(ms[2].has_sum());
  EXPECT_FALSE(ms[2].sum().is_monotonic());
  EXPECT_EQ(ms[2].sum().aggregation_temporality(), pb_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
  EXPECT_EQ(ms[2].sum().data_points(0).as_int(), -3);  // sfixed64, negative
  EXPECT_EQ(ms[3].sum().data_points(0).as_double(), -0.25);

  ASSERT_TRUE(ms[4].has_gauge());
  // A zero value is still written: the oneof says it is an int.
  EXPECT_EQ(ms[4].gauge().data_points(0).value_case(), pb_metrics::NumberDataPoint::kAsInt);
  EXPECT_EQ(ms[4].gauge().data_points(0).as_int(), 0);
  EXPECT_EQ(ms[5].gauge().data_points(0).as_double(), 1e300);

  ASSERT_TRUE(ms[6].has_histogram());
  EXPECT_EQ(ms[6].histogram().aggregation_temporality(),
            pb_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
  const auto& h = ms[6].histogram().data_points(0);
  EXPECT_EQ(h.count(), 9u);
  ASSERT_TRUE(h.has_sum());
  EXPECT_EQ(h.sum(), 0.125);
  EXPECT_EQ(std::vector<uint64_t>(h.bucket_counts().begin(), h.bucket_counts().end()),
            (std::vector<uint64_t>{3, 0, 5, 1}));
  EXPECT_EQ(std::vector<double>(h.explicit_bounds().begin(), h.explicit_bounds().end()),
            (std::vector<double>{0.005, 0.01, 0.025}));
  ASSERT_TRUE(h.has_min());
  ASSERT_TRUE(h.has_max());
  EXPECT_EQ(h.min(), 0.001);
  EXPECT_EQ(h.max(), 0.5);
  EXPECT_EQ(h.start_time_unix_nano(), kStart);
  EXPECT_EQ(h.time_unix_nano(), kNow);
}

struct TemporalityCase {
  TemporalityPreference preference;
  pb_metrics::AggregationTemporality counter;
  pb_metrics::AggregationTemporality histogram;
  pb_metrics::AggregationTemporality up_down;
};

class OtlpMetricsEncoderTemporalityTest : public ::testing::TestWithParam<TemporalityCase> {};

TEST_P(OtlpMetricsEncoderTemporalityTest, FollowsThePreferencePerKind) {
  MetricsSnapshot snapshot{{MakeResource("api"),
                            {Metric("c", MetricKind::kCounter, {Point(int64_t{1})}),
                             Metric("h", MetricKind::kHistogram, {Point(SampleHistogram())}),
                             Metric("u", MetricKind::kUpDownCounter, {Point(int64_t{1})})}}};
  auto request = EncodeAndDecode(snapshot, GetParam().preference);
  const auto& ms = request.resource_metrics(0).scope_metrics(0).metrics();
  EXPECT_EQ(ms[0].sum().aggregation_temporality(), GetParam().counter);
  EXPECT_TRUE(ms[0].sum().is_monotonic());
  EXPECT_EQ(ms[1].histogram().aggregation_temporality(), GetParam().histogram);
  EXPECT_EQ(ms[2].sum().aggregation_temporality(), GetParam().up_down);
  EXPECT_FALSE(ms[2].sum().is_monotonic());
}

constexpr auto kDelta = pb_metrics::AGGREGATION_TEMPORALITY_DELTA;
constexpr auto kCumulative = pb_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE;

INSTANTIATE_TEST_SUITE_P(OtlpMetricsTable, OtlpMetricsEncoderTemporalityTest,
                         ::testing::Values(TemporalityCase{TemporalityPreference::kCumulative,
                                                           kCumulative, kCumulative, kCumulative},
                                           TemporalityCase{TemporalityPreference::kDelta, kDelta,
                                                           kDelta, kCumulative},
                                           TemporalityCase{TemporalityPreference::kLowMemory,
                                                           kDelta, kDelta, kCumulative}));

TEST(OtlpMetricsEncoderTest, EntriesOfOneResourceAreMergedInOrderOfFirstAppearance) {
  auto web = MakeResource("web");
  auto db = MakeResource("db");
  MetricsSnapshot snapshot{
      {web, {Metric("a", MetricKind::kCounter, {Point(int64_t{1})})}},
      {db, {Metric("b", MetricKind::kCounter, {Point(int64_t{2})})}},
      {web, {Metric("c", MetricKind::kGauge, {Point(3.0)})}},
      {nullptr, {Metric("d", MetricKind::kGauge, {Point(4.0)})}},
  };
  auto request = EncodeAndDecode(snapshot);
  ASSERT_EQ(request.resource_metrics_size(), 3);
  const auto& first = request.resource_metrics(0);
  EXPECT_EQ(FindValue(first.resource().attributes(), "service.name").string_value(), "web");
  ASSERT_EQ(first.scope_metrics(0).metrics_size(), 2);
  EXPECT_EQ(first.scope_metrics(0).metrics(0).name(), "a");
  EXPECT_EQ(first.scope_metrics(0).metrics(1).name(), "c");
  EXPECT_EQ(
      FindValue(request.resource_metrics(1).resource().attributes(), "service.name").string_value(),
      "db");
  EXPECT_FALSE(request.resource_metrics(2).has_resource());  // null resource: none at all
  EXPECT_EQ(request.resource_metrics(2).scope_metrics(0).metrics(0).name(), "d");
}

TEST(OtlpMetricsEncoderTest, MetricsAndResourcesWithoutPointsAreLeftOut) {
  MetricsSnapshot snapshot{
      {MakeResource("idle"), {Metric("empty", MetricKind::kCounter, {})}},
      {MakeResource("busy"),
       {Metric("empty", MetricKind::kCounter, {}),
        Metric("full", MetricKind::kCounter, {Point(int64_t{1}), Point(int64_t{2})})}},
  };
  MetricsRequestEncoder encoder;
  auto request = Decode(encoder.Encode(snapshot, TemporalityPreference::kCumulative));
  EXPECT_EQ(encoder.points(), 2u);
  ASSERT_EQ(request.resource_metrics_size(), 1);
  ASSERT_EQ(request.resource_metrics(0).scope_metrics(0).metrics_size(), 1);
  EXPECT_EQ(request.resource_metrics(0).scope_metrics(0).metrics(0).name(), "full");

  EXPECT_TRUE(encoder.Encode({}, TemporalityPreference::kCumulative).empty());
  EXPECT_EQ(encoder.points(), 0u);
}

TEST(OtlpMetricsEncoderTest, PointsOfTheWrongTypeForTheKindAreSkipped) {
  MetricsSnapshot snapshot{
      {MakeResource("web"),
       {Metric("sum", MetricKind::kCounter, {Point(SampleHistogram()), Point(int64_t{5})}),
        Metric("hist", MetricKind::kHistogram, {Point(1.0)}),  // nothing valid: left out
        Metric("gauge", MetricKind::kGauge, {Point(SampleHistogram())})}}};
  MetricsRequestEncoder encoder;
  auto request = Decode(encoder.Encode(snapshot, TemporalityPreference::kCumulative));
  EXPECT_EQ(encoder.points(), 1u);
  const auto& ms = request.resource_metrics(0).scope_metrics(0).metrics();
  ASSERT_EQ(ms.size(), 1);
  EXPECT_EQ(ms[0].name(), "sum");
  ASSERT_EQ(ms[0].sum().data_points_size(), 1);
  EXPECT_EQ(ms[0].sum().data_points(0).as_int(), 5);
}

TEST(OtlpMetricsEncoderTest, HistogramExtremesOnlyWhenKnown) {
  HistogramValue empty;
  empty.bounds = {1.0};
  empty.bucket_counts = {0, 0};
  HistogramValue unknown_min = SampleHistogram();
  unknown_min.min = std::numeric_limits<double>::quiet_NaN();
  MetricsSnapshot snapshot{
      {MakeResource("web"),
       {Metric("h", MetricKind::kHistogram, {Point(empty), Point(unknown_min)})}}};
  auto request = EncodeAndDecode(snapshot);
  const auto& points = request.resource_metrics(0).scope_metrics(0).metrics(0).histogram();
  ASSERT_EQ(points.data_points_size(), 2);
  const auto& e = points.data_points(0);
  EXPECT_EQ(e.count(), 0u);
  EXPECT_TRUE(e.has_sum());  // sum 0 is still a known sum
  EXPECT_FALSE(e.has_min());
  EXPECT_FALSE(e.has_max());
  EXPECT_EQ(e.bucket_counts_size(), 2);
  const auto& u = points.data_points(1);
  EXPECT_FALSE(u.has_min());
  ASSERT_TRUE(u.has_max());
  EXPECT_EQ(u.max(), 0.5);
}

TEST(OtlpMetricsEncoderTest, ZeroTimesAndEmptyStringsAreOmitted) {
  MetricData m{"", "", "", MetricKind::kGauge, {DataPoint{{{"", std::string()}}, 0, 0, 1.0}}};
  auto request = EncodeAndDecode({{nullptr, {m}}});
  const auto& decoded = request.resource_metrics(0).scope_metrics(0).metrics(0);
  EXPECT_EQ(decoded.name(), "");
  const auto& p = decoded.gauge().data_points(0);
  EXPECT_EQ(p.start_time_unix_nano(), 0u);
  EXPECT_EQ(p.time_unix_nano(), 0u);
  ASSERT_EQ(p.attributes_size(), 1);
  EXPECT_EQ(p.attributes(0).value().value_case(), pb_common::AnyValue::kStringValue);
}

TEST(OtlpMetricsEncoderTest, LargeRequestsAndEncoderReuseStayCanonical) {
  // Thousands of series push nested lengths past the guessed size; a second encode of a small
  // snapshot with the same encoder must not carry anything over.
  std::vector<DataPoint> points;
  for (int i = 0; i < 3000; ++i) {
    points.push_back(Point(SampleHistogram(), {{"route", "/items/" + std::to_string(i)},
                                               {"http.request.method", std::string("GET")}}));
  }
  MetricsSnapshot big{
      {MakeResource("web"),
       {Metric("http.server.request.duration", MetricKind::kHistogram, std::move(points))}}};
  MetricsSnapshot small{
      {MakeResource("web"), {Metric("c", MetricKind::kCounter, {Point(int64_t{1})})}}};

  MetricsRequestEncoder encoder;
  std::string first(encoder.Encode(big, TemporalityPreference::kDelta));
  EXPECT_GT(first.size(), 1u << 18);
  auto request = Decode(first);
  EXPECT_EQ(request.resource_metrics(0).scope_metrics(0).metrics(0).histogram().data_points_size(),
            3000);
  EXPECT_EQ(encoder.points(), 3000u);

  std::string second(encoder.Encode(small, TemporalityPreference::kCumulative));
  EXPECT_EQ(second, EncodeMetricsRequest(small, TemporalityPreference::kCumulative));
  Decode(second);
}

}  // namespace
}  // namespace otelbpf::otlp
