#include <gtest/gtest.h>

#include <atomic>

#include "metrics/callback_metrics.h"

namespace otelbpf::metrics {
namespace {

TEST(MetricsCallbackMetricsTest, ReportsRegisteredMetricsUnderItsResource) {
  auto self = std::make_shared<Resource>();
  self->attributes = {{"service.name", std::string("otelbpf")}};
  CallbackMetrics producer(self, 100);
  std::atomic<uint64_t> lost{7};
  producer.RegisterInt(
      {"otelbpf.capture.events.lost", "Events lost.", "{event}", MetricKind::kCounter},
      [&] { return static_cast<int64_t>(lost.load()); });
  producer.RegisterDouble({"otelbpf.ringbuffer.fill", "Ring buffer fill.", "1", MetricKind::kGauge},
                          [] { return 0.25; });
  producer.Register(
      {"otelbpf.capture.events", "Events per probe.", "{event}", MetricKind::kCounter},
      [](std::vector<CallbackPoint>* out) {
        out->push_back({{{"probe", std::string("read")}}, int64_t{10}});
        out->push_back({{{"probe", std::string("write")}}, int64_t{20}});
      });
  producer.Register({"otelbpf.silent", "", "", MetricKind::kGauge},
                    [](std::vector<CallbackPoint>*) {});  // no points: left out

  MetricsSnapshot snap;
  producer.Collect(500, &snap);
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_EQ(snap[0].resource, self);
  ASSERT_EQ(snap[0].metrics.size(), 3u);
  const MetricData& lost_md = snap[0].metrics[0];
  EXPECT_EQ(lost_md.name, "otelbpf.capture.events.lost");
  EXPECT_EQ(lost_md.unit, "{event}");
  EXPECT_EQ(lost_md.kind, MetricKind::kCounter);
  ASSERT_EQ(lost_md.points.size(), 1u);
  EXPECT_EQ(std::get<int64_t>(lost_md.points[0].value), 7);
  EXPECT_EQ(lost_md.points[0].start_time_unix_nano, 100u);
  EXPECT_EQ(lost_md.points[0].time_unix_nano, 500u);
  EXPECT_DOUBLE_EQ(std::get<double>(snap[0].metrics[1].points[0].value), 0.25);
  const MetricData& events = snap[0].metrics[2];
  ASSERT_EQ(events.points.size(), 2u);
  EXPECT_EQ(events.points[1].attributes[0].key, "probe");
  EXPECT_EQ(std::get<int64_t>(events.points[1].value), 20);

  lost = 9;  // read at each collection
  MetricsSnapshot again;
  producer.Collect(600, &again);
  EXPECT_EQ(std::get<int64_t>(again[0].metrics[0].points[0].value), 9);
}

TEST(MetricsCallbackMetricsTest, NothingRegisteredAddsNothing) {
  CallbackMetrics producer(nullptr, 0);
  MetricsSnapshot snap;
  producer.Collect(1, &snap);
  EXPECT_TRUE(snap.empty());
}

}  // namespace
}  // namespace otelbpf::metrics
