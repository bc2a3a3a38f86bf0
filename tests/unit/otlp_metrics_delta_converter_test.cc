// DeltaConverter: cumulative series in, delta series out, per the rules in its header.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "export/otlp/metrics_delta_converter.h"

namespace otelbpf::otlp {
namespace {

using metrics::DataPoint;
using metrics::HistogramValue;
using metrics::MetricData;
using metrics::MetricKind;
using metrics::MetricsSnapshot;
using metrics::PointValue;

constexpr uint64_t kStart = 1000;

ResourcePtr MakeResource(const std::string& service) {
  return std::make_shared<Resource>(Resource{{{"service.name", service}}});
}

// One series per call: `kind` metric "m" of `resource`, attributes {route=/a}.
MetricsSnapshot One(const ResourcePtr& resource, MetricKind kind, PointValue value, uint64_t time,
                    uint64_t start = kStart) {
  return {
      {resource,
       {MetricData{
           "m", "", "", kind, {DataPoint{{{"route", std::string("/a")}}, start, time, value}}}}}};
}

// The number kinds of PointValue: comparable and printable, unlike histograms.
using Number = std::variant<int64_t, double>;

Number AsNumber(const PointValue& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return *d;
  ADD_FAILURE() << "a histogram where a number was expected";
  return int64_t{-1};
}

PointValue ToPoint(const Number& n) {
  return std::visit([](auto x) { return PointValue(x); }, n);
}

const DataPoint& OnlyPoint(const MetricsSnapshot& s) { return s.at(0).metrics.at(0).points.at(0); }

// Converts and commits as exported.
const DataPoint& Cycle(DeltaConverter& c, MetricsSnapshot& s, bool exported = true) {
  c.Convert(&s);
  c.Commit(exported);
  return OnlyPoint(s);
}

struct CounterStep {
  Number cumulative;
  uint64_t time;
  uint64_t start;           // the series' start_time as reported
  Number expected;          // value after conversion
  uint64_t expected_start;  // start_time after conversion
};

struct CounterCase {
  std::string name;
  std::vector<CounterStep> steps;
};

class OtlpMetricsDeltaCounterTest : public ::testing::TestWithParam<CounterCase> {};

TEST_P(OtlpMetricsDeltaCounterTest, Converts) {
  DeltaConverter converter(TemporalityPreference::kDelta);
  auto resource = MakeResource("web");
  for (size_t i = 0; i < GetParam().steps.size(); ++i) {
    const auto& step = GetParam().steps[i];
    auto s = One(resource, MetricKind::kCounter, ToPoint(step.cumulative), step.time, step.start);
    const DataPoint& p = Cycle(converter, s);
    EXPECT_EQ(AsNumber(p.value), step.expected) << "step " << i;
    EXPECT_EQ(p.start_time_unix_nano, step.expected_start) << "step " << i;
    EXPECT_EQ(p.time_unix_nano, step.time) << "step " << i;  // never changes
  }
}

INSTANTIATE_TEST_SUITE_P(
    OtlpMetricsTable, OtlpMetricsDeltaCounterTest,
    ::testing::Values(
        // The first point is everything since the series' start: sent as is.
        CounterCase{"first_point_as_is", {{int64_t{5}, 2000, kStart, int64_t{5}, kStart}}},
        // Then differences, each starting at the previous collection.
        CounterCase{"increments",
                    {{int64_t{5}, 2000, kStart, int64_t{5}, kStart},
                     {int64_t{12}, 3000, kStart, int64_t{7}, 2000},
                     {int64_t{12}, 4000, kStart, int64_t{0}, 3000},
                     {int64_t{20}, 5000, kStart, int64_t{8}, 4000}}},
        CounterCase{"double_increments",
                    {{1.5, 2000, kStart, 1.5, kStart}, {4.0, 3000, kStart, 2.5, 2000}}},
        // Backwards: the producer restarted counting; the new value is all since then.
        CounterCase{"reset_went_backwards",
                    {{int64_t{50}, 2000, kStart, int64_t{50}, kStart},
                     {int64_t{3}, 3000, kStart, int64_t{3}, kStart},
                     {int64_t{10}, 4000, kStart, int64_t{7}, 3000}}},
        CounterCase{"reset_double_went_backwards",
                    {{9.0, 2000, kStart, 9.0, kStart}, {1.0, 3000, kStart, 1.0, kStart}}},
        // A new start time is a reset too, even if the value happens to be higher.
        CounterCase{"reset_start_time_moved",
                    {{int64_t{5}, 2000, kStart, int64_t{5}, kStart},
                     {int64_t{9}, 3000, 2500, int64_t{9}, 2500},
                     {int64_t{11}, 4000, 2500, int64_t{2}, 3000}}},
        // A value of another type is another series.
        CounterCase{
            "type_changed",
            {{int64_t{5}, 2000, kStart, int64_t{5}, kStart}, {7.0, 3000, kStart, 7.0, kStart}}}),
    [](const auto& info) { return info.param.name; });

TEST(OtlpMetricsDeltaConverterTest, HistogramBucketsCountAndSumAreDiffed) {
  DeltaConverter converter(TemporalityPreference::kDelta);
  auto resource = MakeResource("web");
  HistogramValue h1{{1.0, 2.0}, {1, 2, 0}, 3, 3.5, 0.5, 1.5};
  HistogramValue h2{{1.0, 2.0}, {1, 4, 1}, 6, 10.0, 0.5, 2.5};    // max rose: 2.5 is new
  HistogramValue h3{{1.0, 2.0}, {2, 4, 1}, 7, 10.25, 0.25, 2.5};  // min fell: 0.25 is new

  auto s1 = One(resource, MetricKind::kHistogram, h1, 2000);
  const auto& d1 = std::get<HistogramValue>(Cycle(converter, s1).value);
  EXPECT_EQ(d1.bucket_counts, h1.bucket_counts);  // first point as is, extremes included
  EXPECT_EQ(d1.min, 0.5);
  EXPECT_EQ(d1.max, 1.5);

  auto s2 = One(resource, MetricKind::kHistogram, h2, 3000);
  const DataPoint& p2 = Cycle(converter, s2);
  const auto& d2 = std::get<HistogramValue>(p2.value);
  EXPECT_EQ(p2.start_time_unix_nano, 2000u);
  EXPECT_EQ(d2.bounds, h2.bounds);
  EXPECT_EQ(d2.bucket_counts, (std::vector<uint64_t>{0, 2, 1}));
  EXPECT_EQ(d2.count, 3u);
  EXPECT_DOUBLE_EQ(d2.sum, 6.5);
  EXPECT_TRUE(std::isnan(d2.min));  // unchanged cumulative min: may predate the interval
  EXPECT_EQ(d2.max, 2.5);

  auto s3 = One(resource, MetricKind::kHistogram, h3, 4000);
  const auto& d3 = std::get<HistogramValue>(Cycle(converter, s3).value);
  EXPECT_EQ(d3.bucket_counts, (std::vector<uint64_t>{1, 0, 0}));
  EXPECT_EQ(d3.count, 1u);
  EXPECT_EQ(d3.min, 0.25);
  EXPECT_TRUE(std::isnan(d3.max));

  auto s4 = One(resource, MetricKind::kHistogram, h3, 5000);  // nothing new
  const auto& d4 = std::get<HistogramValue>(Cycle(converter, s4).value);
  EXPECT_EQ(d4.count, 0u);
  EXPECT_EQ(d4.sum, 0.0);
  EXPECT_EQ(d4.bucket_counts, (std::vector<uint64_t>{0, 0, 0}));
}

TEST(OtlpMetricsDeltaConverterTest, HistogramExtremesAreExactAfterAnEmptyBaseline) {
  DeltaConverter converter(TemporalityPreference::kDelta);
  auto resource = MakeResource("web");
  HistogramValue empty{{1.0}, {0, 0}, 0, 0, 0, 0};
  HistogramValue later{{1.0}, {1, 1}, 2, 3.0, 0.5, 2.5};
  auto s1 = One(resource, MetricKind::kHistogram, empty, 2000);
  Cycle(converter, s1);
  auto s2 = One(resource, MetricKind::kHistogram, later, 3000);
  const auto& d = std::get<HistogramValue>(Cycle(converter, s2).value);
  EXPECT_EQ(d.min, 0.5);
  EXPECT_EQ(d.max, 2.5);
}

struct HistogramResetCase {
  std::string name;
  HistogramValue next;
};

class OtlpMetricsDeltaHistogramResetTest : public ::testing::TestWithParam<HistogramResetCase> {};

TEST_P(OtlpMetricsDeltaHistogramResetTest, SendsTheNewCumulativeAsIs) {
  DeltaConverter converter(TemporalityPreference::kDelta);
  auto resource = MakeResource("web");
  HistogramValue before{{1.0, 2.0}, {4, 4, 4}, 12, 20.0, 0.5, 3.0};
  auto s1 = One(resource, MetricKind::kHistogram, before, 2000);
  Cycle(converter, s1);
  auto s2 = One(resource, MetricKind::kHistogram, GetParam().next, 3000);
  const DataPoint& p = Cycle(converter, s2);
  EXPECT_EQ(p.start_time_unix_nano, kStart);
  const auto& h = std::get<HistogramValue>(p.value);
  EXPECT_EQ(h.bucket_counts, GetParam().next.bucket_counts);
  EXPECT_EQ(h.count, GetParam().next.count);
  EXPECT_EQ(h.min, GetParam().next.min);
}

INSTANTIATE_TEST_SUITE_P(
    OtlpMetricsTable, OtlpMetricsDeltaHistogramResetTest,
    ::testing::Values(
        HistogramResetCase{"count_fell", {{1.0, 2.0}, {1, 1, 1}, 3, 2.0, 0.7, 2.5}},
        // Same total, but one bucket fell: it cannot be a continuation.
        HistogramResetCase{"bucket_fell", {{1.0, 2.0}, {3, 6, 4}, 13, 21.0, 0.5, 3.0}},
        HistogramResetCase{"bounds_changed", {{1.0, 5.0}, {5, 5, 5}, 15, 30.0, 0.5, 9.0}},
        HistogramResetCase{"bucket_count_changed", {{1.0}, {10, 10}, 20, 30.0, 0.5, 9.0}}),
    [](const auto& info) { return info.param.name; });

TEST(OtlpMetricsDeltaConverterTest, SeriesAreTrackedPerResourceMetricAndAttributeSet) {
  DeltaConverter converter(TemporalityPreference::kDelta);
  auto web = MakeResource("web");
  auto db = MakeResource("db");
  auto snapshot = [&](int64_t base) {
    return MetricsSnapshot{
        {web,
         {MetricData{"a",
                     "",
                     "",
                     MetricKind::kCounter,
                     {DataPoint{{{"k", std::string("1")}, {"j", int64_t{2}}}, kStart, 0, base},
                      DataPoint{{{"k", std::string("2")}}, kStart, 0, base + 100}}},
          MetricData{"b", "", "", MetricKind::kCounter, {DataPoint{{}, kStart, 0, base + 200}}}}},
        {db,
         {MetricData{"a", "", "", MetricKind::kCounter, {DataPoint{{}, kStart, 0, base + 300}}}}},
    };
  };
  auto first = snapshot(10);
  converter.Convert(&first);
  converter.Commit(true);
  EXPECT_EQ(converter.series(), 4u);

  auto second = snapshot(15);
  // Attribute order does not make another series.
  std::swap(second[0].metrics[0].points[0].attributes[0],
            second[0].metrics[0].points[0].attributes[1]);
  converter.Convert(&second);
  converter.Commit(true);
  EXPECT_EQ(AsNumber(second[0].metrics[0].points[0].value), Number(int64_t{5}));
  EXPECT_EQ(AsNumber(second[0].metrics[0].points[1].value), Number(int64_t{5}));
  EXPECT_EQ(AsNumber(second[0].metrics[1].points[0].value), Number(int64_t{5}));
  EXPECT_EQ(AsNumber(second[1].metrics[0].points[0].value), Number(int64_t{5}));
  EXPECT_EQ(converter.series(), 4u);
}

TEST(OtlpMetricsDeltaConverterTest, DisappearedSeriesAreForgotten) {
  DeltaConverter converter(TemporalityPreference::kDelta);
  auto web = MakeResource("web");
  auto s1 = One(web, MetricKind::kCounter, int64_t{10}, 2000);
  Cycle(converter, s1);
  EXPECT_EQ(converter.series(), 1u);

  MetricsSnapshot empty;  // the process exited, or the series went idle and was dropped
  converter.Convert(&empty);
  converter.Commit(true);
  EXPECT_EQ(converter.series(), 0u);

  // Back again: a new series, sent as is.
  auto s3 = One(web, MetricKind::kCounter, int64_t{14}, 4000);
  EXPECT_EQ(AsNumber(Cycle(converter, s3).value), Number(int64_t{14}));
}

TEST(OtlpMetricsDeltaConverterTest, BaselinesKeepTheirResourceAlive) {
  DeltaConverter converter(TemporalityPreference::kDelta);
  auto web = MakeResource("web");
  std::weak_ptr<const Resource> watch = web;
  auto s1 = One(web, MetricKind::kCounter, int64_t{10}, 2000);
  Cycle(converter, s1);
  s1.clear();
  web.reset();
  // Its address is part of the series key: no other resource may take it while tracked.
  EXPECT_FALSE(watch.expired());
  MetricsSnapshot empty;
  converter.Convert(&empty);
  converter.Commit(true);
  EXPECT_TRUE(watch.expired());
}

TEST(OtlpMetricsDeltaConverterTest, AFailedExportLosesNothing) {
  DeltaConverter converter(TemporalityPreference::kDelta);
  auto web = MakeResource("web");
  auto s1 = One(web, MetricKind::kCounter, int64_t{10}, 2000);
  Cycle(converter, s1);
  auto s2 = One(web, MetricKind::kCounter, int64_t{15}, 3000);
  EXPECT_EQ(AsNumber(Cycle(converter, s2, /*exported=*/false).value), Number(int64_t{5}));
  // The next delta spans both intervals, from the last exported point.
  auto s3 = One(web, MetricKind::kCounter, int64_t{18}, 4000);
  const DataPoint& p = Cycle(converter, s3);
  EXPECT_EQ(AsNumber(p.value), Number(int64_t{8}));
  EXPECT_EQ(p.start_time_unix_nano, 2000u);
}

TEST(OtlpMetricsDeltaConverterTest, AFailedFirstExportIsSentAsIsAgain) {
  DeltaConverter converter(TemporalityPreference::kDelta);
  auto web = MakeResource("web");
  auto s1 = One(web, MetricKind::kCounter, int64_t{10}, 2000);
  Cycle(converter, s1, /*exported=*/false);
  EXPECT_EQ(converter.series(), 0u);
  auto s2 = One(web, MetricKind::kCounter, int64_t{12}, 3000);
  const DataPoint& p = Cycle(converter, s2);
  EXPECT_EQ(AsNumber(p.value), Number(int64_t{12}));
  EXPECT_EQ(p.start_time_unix_nano, kStart);
}

struct PassThroughCase {
  std::string name;
  TemporalityPreference preference;
  MetricKind kind;
};

class OtlpMetricsDeltaPassThroughTest : public ::testing::TestWithParam<PassThroughCase> {};

TEST_P(OtlpMetricsDeltaPassThroughTest, StaysCumulative) {
  DeltaConverter converter(GetParam().preference);
  auto web = MakeResource("web");
  auto s1 = One(web, GetParam().kind, int64_t{10}, 2000);
  Cycle(converter, s1);
  auto s2 = One(web, GetParam().kind, int64_t{15}, 3000);
  const DataPoint& p = Cycle(converter, s2);
  EXPECT_EQ(AsNumber(p.value), Number(int64_t{15}));
  EXPECT_EQ(p.start_time_unix_nano, kStart);
  EXPECT_EQ(converter.series(), 0u);  // nothing to remember for them
}

INSTANTIATE_TEST_SUITE_P(
    OtlpMetricsTable, OtlpMetricsDeltaPassThroughTest,
    ::testing::Values(
        PassThroughCase{"delta_up_down", TemporalityPreference::kDelta, MetricKind::kUpDownCounter},
        PassThroughCase{"delta_gauge", TemporalityPreference::kDelta, MetricKind::kGauge},
        PassThroughCase{"lowmemory_up_down", TemporalityPreference::kLowMemory,
                        MetricKind::kUpDownCounter},
        PassThroughCase{"cumulative_counter", TemporalityPreference::kCumulative,
                        MetricKind::kCounter}),
    [](const auto& info) { return info.param.name; });

TEST(OtlpMetricsDeltaConverterTest, LowMemoryConvertsCountersLikeDelta) {
  DeltaConverter converter(TemporalityPreference::kLowMemory);
  auto web = MakeResource("web");
  auto s1 = One(web, MetricKind::kCounter, int64_t{10}, 2000);
  Cycle(converter, s1);
  auto s2 = One(web, MetricKind::kCounter, int64_t{15}, 3000);
  EXPECT_EQ(AsNumber(Cycle(converter, s2).value), Number(int64_t{5}));
}

}  // namespace
}  // namespace otelbpf::otlp
