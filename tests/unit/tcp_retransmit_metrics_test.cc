#include <gtest/gtest.h>

#include "service_resource.h"

#include "metrics/tcp_retransmit_metrics.h"

namespace otelbpf::metrics {
namespace {

constexpr auto MakeResource = testing_support::ServiceResource;

TEST(TcpRetransmitMetricsTest, CountsPerResourceAndAttributeSet) {
  TcpRetransmitMetrics m;
  auto a = MakeResource("a"), b = MakeResource("b");
  Endpoint local{"127.0.0.1", 8080}, peer{"127.0.0.1", 50000};
  m.Record(a, local, peer, 1, 100);
  m.Record(a, local, peer, 1, 200);
  m.Record(a, local, peer, 2, 300);
  m.Record(b, local, peer, 1, 400);
  MetricsSnapshot snap;
  m.Collect(1000, &snap);
  ASSERT_EQ(snap.size(), 2u);
  uint64_t total = 0;
  for (const auto& rm : snap) {
    ASSERT_EQ(rm.metrics.size(), 1u);
    const MetricData& md = rm.metrics[0];
    EXPECT_EQ(md.name, "tcp.retransmissions");
    EXPECT_EQ(md.kind, MetricKind::kCounter);
    for (const auto& p : md.points) {
      total += std::get<int64_t>(p.value);
      EXPECT_EQ(p.time_unix_nano, 1000u);
      EXPECT_EQ(std::get<int64_t>(*FindAttribute(p.attributes, "network.peer.port")), 50000);
      EXPECT_EQ(std::get<int64_t>(*FindAttribute(p.attributes, "network.local.port")), 8080);
    }
  }
  EXPECT_EQ(total, 4u);
  // Resource a: ESTABLISHED x2 started at 100, SYN_SENT x1.
  const auto& a_points = (snap[0].resource == a ? snap[0] : snap[1]).metrics[0].points;
  ASSERT_EQ(a_points.size(), 2u);
  for (const auto& p : a_points) {
    const auto& state = std::get<std::string>(*FindAttribute(p.attributes, "otelbpf.tcp.state"));
    EXPECT_EQ(std::get<int64_t>(p.value), state == "ESTABLISHED" ? 2 : 1);
    EXPECT_EQ(p.start_time_unix_nano, state == "ESTABLISHED" ? 100u : 300u);
  }
}

TEST(TcpRetransmitMetricsTest, ManyPeersOverflowIntoOneSeries) {
  TcpRetransmitMetrics m(/*max_series_per_resource=*/10);
  auto a = MakeResource("a");
  for (uint16_t port = 1; port <= 25; ++port)
    m.Record(a, {"127.0.0.1", 80}, {"10.0.0.1", port}, 1, port);
  MetricsSnapshot snap;
  m.Collect(99, &snap);
  ASSERT_EQ(snap.size(), 1u);
  const auto& points = snap[0].metrics[0].points;
  ASSERT_EQ(points.size(), 11u);
  const auto& overflow = points.back();
  EXPECT_EQ(std::get<bool>(*FindAttribute(overflow.attributes, "otel.metric.overflow")), true);
  EXPECT_EQ(std::get<int64_t>(overflow.value), 15);
  EXPECT_EQ(m.overflowed(), 15u);
}

}  // namespace
}  // namespace otelbpf::metrics
