// Metric snapshots in the store: only changed series are written, a snapshot is taken at
// stop, points read back with their baselines, and `otelbpf metrics` rows (increase over the
// window, restarts, histogram percentile bounds).
#include <atomic>
#include <cmath>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "query/metric_table.h"
#include "store/metric_points.h"
#include "store/span_query.h"
#include "store/span_store.h"
#include "store/sqlite_db.h"
#include "store_test_support.h"

namespace otelbpf::store {
namespace {

using testing::MakeResource;
using testing::TempStoreDir;

constexpr uint64_t kSecond = 1000000000ull;

metrics::MetricsSnapshot CounterSnapshot(const ResourcePtr& r, int64_t requests,
                                         int64_t other_series, uint64_t start_ns) {
  metrics::MetricData counter{"http.server.requests", "", "{request}", metrics::MetricKind::kCounter,
                              {}};
  counter.points.push_back({{{"http.route", std::string("/a")}}, start_ns, 0, requests});
  counter.points.push_back({{{"http.route", std::string("/b")}}, start_ns, 0, other_series});
  return {{r, {counter}}};
}

TEST(MetricPointsTest, OnlyChangedSeriesAreWrittenAndStopTakesASnapshot) {
  TempStoreDir dir;
  StoreOptions o;
  o.path = dir.File();
  o.batch_interval = std::chrono::milliseconds(10);
  o.metrics_interval = std::chrono::milliseconds(30);
  auto nginx = MakeResource("nginx", 3);
  std::atomic<int64_t> requests{1};
  std::atomic<int> calls{0};
  {
    SpanStore store(o);
    store.SnapshotMetricsFrom([&](uint64_t) {
      ++calls;
      return CounterSnapshot(nginx, requests.load(), 7, 1000);
    });
    // Several snapshots of the same values: one point per series.
    while (calls < 3) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    requests = 5;  // only /a moves
    store.Shutdown();  // the final snapshot has it
  }
  auto db = OpenForReading(dir.File());
  const auto points = QueryMetricPoints(*db, MetricPointFilter{}, nullptr);
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[0].service, "nginx");
  EXPECT_EQ(points[0].name, "http.server.requests");
  EXPECT_EQ(points[0].unit, "{request}");
  EXPECT_EQ(points[2].value, 5);
  EXPECT_EQ(points[2].attributes_json, "{\"http.route\":\"/a\"}");

  MetricPointFilter by_name;
  by_name.name_globs = {"http.client.*"};
  EXPECT_TRUE(QueryMetricPoints(*db, by_name, nullptr).empty());
  by_name.name_globs = {"http.server.*"};
  EXPECT_EQ(QueryMetricPoints(*db, by_name, nullptr).size(), 3u);
  MetricPointFilter other_service;
  other_service.services = {"redis"};
  EXPECT_TRUE(QueryMetricPoints(*db, other_service, nullptr).empty());
}

TEST(MetricPointsTest, BaselinesAreTheLastPointBeforeTheWindow) {
  TempStoreDir dir;
  auto r = MakeResource("svc", 1);
  {
    StoreOptions o;
    o.path = dir.File();
    SpanStore store(o);  // creates the schema; no collector, so no points
  }
  // Points written straight through the writer at chosen times.
  Database db(dir.File(), Database::Mode::kReadWrite);
  MetricPointWriter writer;
  auto row = [&](const ResourcePtr&) { return int64_t{1}; };
  db.Execute("INSERT INTO resources (id, fingerprint, service_name, attributes) "
             "VALUES (1, '{}', 'svc', '{}')");
  writer.Write(db, CounterSnapshot(r, 10, 1, 100), 100 * kSecond, row);
  writer.Write(db, CounterSnapshot(r, 20, 1, 100), 200 * kSecond, row);
  writer.Write(db, CounterSnapshot(r, 50, 2, 100), 300 * kSecond, row);

  MetricPointFilter window;
  window.since_ns = 250 * kSecond;
  std::vector<MetricPoint> baselines;
  const auto points = QueryMetricPoints(db, window, &baselines);
  ASSERT_EQ(points.size(), 2u);  // /a and /b at 300 s
  ASSERT_EQ(baselines.size(), 2u);
  const auto rows = query::ComputeMetricRows(points, baselines, 250 * kSecond, 350 * kSecond);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].attributes, "http.route=/a");
  EXPECT_EQ(rows[0].value, 50);
  EXPECT_EQ(rows[0].increase, 30);  // from 20 (at 200 s) to 50
  EXPECT_DOUBLE_EQ(rows[0].rate_per_s, 30.0 / 100.0);
  EXPECT_EQ(rows[1].increase, 1);  // /b: 1 → 2
}

}  // namespace
}  // namespace otelbpf::store

namespace otelbpf::query {
namespace {

store::MetricPoint HistogramPoint(uint64_t time_ns, uint64_t start_ns, std::vector<uint64_t> counts,
                                  double sum) {
  store::MetricPoint p;
  p.time_ns = time_ns;
  p.start_ns = start_ns;
  p.name = "http.server.request.duration";
  p.unit = "s";
  p.kind = metrics::MetricKind::kHistogram;
  p.attributes_json = "{}";
  p.bounds = {0.01, 0.1, 1};
  p.bucket_counts = std::move(counts);
  for (uint64_t c : p.bucket_counts) p.count += c;
  p.value = sum;
  p.resource_id = 1;
  p.service = "svc";
  return p;
}

TEST(MetricTableTest, HistogramWindowIsTheDifferenceOfBuckets) {
  // Before the window: 100 fast calls. In it: 10 more fast and 10 slow (0.1-1 s).
  const auto before = HistogramPoint(10, 1, {100, 0, 0, 0}, 0.5);
  const auto now = HistogramPoint(20, 1, {110, 0, 10, 0}, 0.55 + 5.0);
  const auto rows = ComputeMetricRows({now}, {before}, 15, 25);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].value, 120);
  EXPECT_EQ(rows[0].increase, 20);
  EXPECT_NEAR(rows[0].mean, 5.05 / 20, 1e-9);
  EXPECT_EQ(rows[0].p50, 0.01);
  EXPECT_EQ(rows[0].p99, 1);
  const auto json = nlohmann::json::parse(FormatMetricJson(rows[0]));
  EXPECT_EQ(json["kind"], "histogram");
  EXPECT_EQ(json["p99_le"], 1.0);
}

TEST(MetricTableTest, ASeriesThatRestartedCountsFromZero) {
  // The agent restarted between the baseline and the window: a new start time.
  const auto before = HistogramPoint(10, 1, {100, 0, 0, 0}, 0.5);
  const auto after = HistogramPoint(20, 18, {3, 0, 0, 0}, 0.01);
  const auto rows = ComputeMetricRows({after}, {before}, 15, 25);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].increase, 3);
}

TEST(MetricTableTest, PercentileBoundsAndOverflow) {
  EXPECT_EQ(BucketPercentile({1, 2}, {0, 0, 0}, 50), 0);
  EXPECT_EQ(BucketPercentile({1, 2}, {1, 1, 0}, 50), 1);
  EXPECT_EQ(BucketPercentile({1, 2}, {1, 1, 0}, 99), 2);
  EXPECT_TRUE(std::isinf(BucketPercentile({1, 2}, {0, 0, 5}, 50)));
  const std::string table = FormatMetricTable(
      ComputeMetricRows({HistogramPoint(20, 1, {0, 0, 0, 4}, 40)}, {}, 0, 20));
  EXPECT_NE(table.find("+Inf"), std::string::npos) << table;
}

}  // namespace
}  // namespace otelbpf::query
