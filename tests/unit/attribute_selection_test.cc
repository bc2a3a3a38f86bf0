// attributes.select: which selection a metric gets, which attributes it keeps, and points that
// become equal merged (counters and histograms added up).
#include <gtest/gtest.h>

#include "metrics/attribute_selection.h"

namespace otelbpf::metrics {
namespace {

DataPoint Counter(std::string route, int64_t code, int64_t value, uint64_t start = 10) {
  return {{{"http.route", std::move(route)}, {"http.response.status_code", code}}, start, 100,
          value};
}

DataPoint Histogram(std::string route, int64_t code, std::vector<uint64_t> buckets, double sum) {
  HistogramValue h;
  h.bounds = {0.1, 1};
  h.bucket_counts = std::move(buckets);
  for (uint64_t c : h.bucket_counts) h.count += c;
  h.sum = sum;
  h.min = 0.05;
  h.max = sum;
  return {{{"http.route", std::move(route)}, {"http.response.status_code", code}}, 10, 100, h};
}

TEST(AttributeSelectionTest, ExactNamesWinOverGlobsAndTheLongestGlobWins) {
  AttributeSelections s;
  s["*"].exclude = {"a"};
  s["http_*"].exclude = {"b"};
  s["http_server_request_duration"].exclude = {"c"};
  EXPECT_EQ(SelectionFor(s, "http.server.request.duration")->exclude[0], "c");
  EXPECT_EQ(SelectionFor(s, "http.client.request.duration")->exclude[0], "b");
  EXPECT_EQ(SelectionFor(s, "tcp.connection.rtt")->exclude[0], "a");
  AttributeSelections none;
  none["db.*"].include = {"x"};
  EXPECT_EQ(SelectionFor(none, "http.server.request.duration"), nullptr);
}

TEST(AttributeSelectionTest, IncludeThenExcludeByNameOrGlob) {
  AttributeSelection s;
  s.include = {"http.*", "server.port"};
  s.exclude = {"http.route"};
  EXPECT_TRUE(Keeps(s, "http.request.method"));
  EXPECT_TRUE(Keeps(s, "server.port"));
  EXPECT_FALSE(Keeps(s, "http.route"));
  EXPECT_FALSE(Keeps(s, "k8s.pod.name"));
  AttributeSelection only_exclude;
  only_exclude.exclude = {"k8s.*.uid"};
  EXPECT_TRUE(Keeps(only_exclude, "k8s.pod.name"));
  EXPECT_FALSE(Keeps(only_exclude, "k8s.pod.uid"));
}

TEST(AttributeSelectionTest, PointsLeftEqualAreAddedUp) {
  MetricData requests{"http.server.requests", "", "{request}", MetricKind::kCounter, {}};
  requests.points = {Counter("/a", 200, 5, 30), Counter("/b", 200, 7, 20), Counter("/a", 500, 1)};
  MetricData duration{"http.server.request.duration", "", "s", MetricKind::kHistogram, {}};
  duration.points = {Histogram("/a", 200, {3, 1, 0}, 1.2), Histogram("/b", 200, {0, 2, 1}, 3.5)};
  MetricData other{"tcp.connection.rtt", "", "s", MetricKind::kHistogram, {}};
  other.points = {Histogram("/a", 200, {1, 0, 0}, 0.01)};
  MetricsSnapshot snapshot = {{nullptr, {requests, duration, other}}};

  AttributeSelections s;
  s["http_server_*"].exclude = {"http.route"};
  SelectAttributes(s, &snapshot);

  const auto& counters = snapshot[0].metrics[0].points;
  ASSERT_EQ(counters.size(), 2u);  // by status code only
  EXPECT_EQ(counters[0].attributes.size(), 1u);
  EXPECT_EQ(std::get<int64_t>(counters[0].value), 12);
  EXPECT_EQ(counters[0].start_time_unix_nano, 20u);  // the earliest start
  EXPECT_EQ(std::get<int64_t>(counters[1].value), 1);

  const auto& histograms = snapshot[0].metrics[1].points;
  ASSERT_EQ(histograms.size(), 1u);
  const auto& h = std::get<HistogramValue>(histograms[0].value);
  EXPECT_EQ(h.bucket_counts, (std::vector<uint64_t>{3, 3, 1}));
  EXPECT_EQ(h.count, 7u);
  EXPECT_DOUBLE_EQ(h.sum, 4.7);
  EXPECT_DOUBLE_EQ(h.max, 3.5);

  // A metric no selection names is left alone.
  EXPECT_EQ(snapshot[0].metrics[2].points[0].attributes.size(), 2u);
}

class FixedProducer : public MetricProducer {
 public:
  void Collect(uint64_t, MetricsSnapshot* out) override {
    MetricData m{"http.server.requests", "", "{request}", MetricKind::kCounter, {}};
    m.points = {Counter("/a", 200, 1), Counter("/b", 200, 2)};
    out->push_back({nullptr, {m}});
  }
};

TEST(AttributeSelectionTest, SelectingProducerChangesOnlyWhatItsProducerAdded) {
  FixedProducer inner;
  AttributeSelections s;
  s["*"].include = {"http.response.status_code"};
  SelectingProducer selecting(&inner, &s);
  MetricsSnapshot out;
  inner.Collect(0, &out);  // someone else's points first
  selecting.Collect(0, &out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].metrics[0].points.size(), 2u);
  ASSERT_EQ(out[1].metrics[0].points.size(), 1u);
  EXPECT_EQ(std::get<int64_t>(out[1].metrics[0].points[0].value), 3);
}

}  // namespace
}  // namespace otelbpf::metrics
