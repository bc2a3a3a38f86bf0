#include <gtest/gtest.h>

#include "service_resource.h"

#include <cerrno>

#include "metrics/tcp_connection_metrics.h"

namespace otelbpf::metrics {
namespace {

constexpr auto MakeResource = testing_support::ServiceResource;

TcpConnectionEvent Event(TcpConnectionEvent::Kind kind, const ResourcePtr& r,
                         ConnectionRole role = ConnectionRole::kClient, uint16_t peer_port = 5432) {
  TcpConnectionEvent e;
  e.kind = kind;
  e.role = role;
  e.resource = r;
  e.local = {"127.0.0.1", role == ConnectionRole::kServer ? uint16_t{8080} : uint16_t{40000}};
  e.peer = {"10.0.0.7", peer_port};
  return e;
}

const MetricData* FindMetric(const ResourceMetrics& rm, const std::string& name) {
  for (const auto& m : rm.metrics)
    if (m.name == name) return &m;
  return nullptr;
}

int64_t IntOf(const DataPoint& p) { return std::get<int64_t>(p.value); }
std::string StrAttr(const DataPoint& p, const char* key) {
  const AttributeValue* v = FindAttribute(p.attributes, key);
  return v ? std::get<std::string>(*v) : std::string("<absent>");
}

TEST(TcpConnectionMetricsTest, UpAndDownMakeOpenedActiveDurationIoAndRtt) {
  TcpConnectionMetrics m;
  auto r = MakeResource("api");
  m.Record(Event(TcpConnectionEvent::Kind::kUp, r), 10);
  m.Record(Event(TcpConnectionEvent::Kind::kUp, r), 20);
  auto down = Event(TcpConnectionEvent::Kind::kDown, r);
  down.start_ns = 1'000'000'000;
  down.end_ns = 1'250'000'000;  // 0.25 s
  down.bytes_sent = 100;
  down.bytes_received = 2000;
  down.srtt_us = 1500;
  m.Record(down, 30);

  MetricsSnapshot snap;
  m.Collect(1000, &snap);
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_EQ(snap[0].resource, r);
  const MetricData* opened = FindMetric(snap[0], "tcp.connections.opened");
  ASSERT_NE(opened, nullptr);
  ASSERT_EQ(opened->points.size(), 1u);
  EXPECT_EQ(IntOf(opened->points[0]), 2);
  EXPECT_EQ(StrAttr(opened->points[0], "otelbpf.tcp.role"), "client");
  EXPECT_EQ(StrAttr(opened->points[0], "network.peer.address"), "10.0.0.7");
  EXPECT_EQ(std::get<int64_t>(*FindAttribute(opened->points[0].attributes, "server.port")), 5432);
  EXPECT_EQ(StrAttr(opened->points[0], "network.type"), "ipv4");
  EXPECT_EQ(opened->points[0].start_time_unix_nano, 10u);

  const MetricData* active = FindMetric(snap[0], "tcp.connections.active");
  ASSERT_NE(active, nullptr);
  EXPECT_EQ(active->kind, MetricKind::kUpDownCounter);
  EXPECT_EQ(IntOf(active->points[0]), 1);

  const MetricData* duration = FindMetric(snap[0], "tcp.connection.duration");
  ASSERT_NE(duration, nullptr);
  const auto& h = std::get<HistogramValue>(duration->points[0].value);
  EXPECT_EQ(h.count, 1u);
  EXPECT_DOUBLE_EQ(h.sum, 0.25);

  const MetricData* io = FindMetric(snap[0], "tcp.connection.io");
  ASSERT_NE(io, nullptr);
  ASSERT_EQ(io->points.size(), 2u);
  for (const auto& p : io->points)
    EXPECT_EQ(IntOf(p), StrAttr(p, "network.io.direction") == "transmit" ? 100 : 2000);

  const MetricData* rtt = FindMetric(snap[0], "tcp.connection.rtt");
  ASSERT_NE(rtt, nullptr);
  EXPECT_DOUBLE_EQ(std::get<HistogramValue>(rtt->points[0].value).sum, 0.0015);
  EXPECT_EQ(FindMetric(snap[0], "tcp.connections.failed"), nullptr);  // nothing failed
}

TEST(TcpConnectionMetricsTest, ServerSeriesUseTheLocalPortAsServerPort) {
  TcpConnectionMetrics m;
  auto r = MakeResource("web");
  m.Record(Event(TcpConnectionEvent::Kind::kUp, r, ConnectionRole::kServer, 51234), 1);
  MetricsSnapshot snap;
  m.Collect(2, &snap);
  const DataPoint& p = FindMetric(snap[0], "tcp.connections.opened")->points[0];
  EXPECT_EQ(std::get<int64_t>(*FindAttribute(p.attributes, "server.port")), 8080);
  EXPECT_EQ(StrAttr(p, "otelbpf.tcp.role"), "server");
}

TEST(TcpConnectionMetricsTest, FailuresAreCountedByErrorType) {
  TcpConnectionMetrics m;
  auto r = MakeResource("client");
  auto refused = Event(TcpConnectionEvent::Kind::kFailed, r);
  refused.error = ECONNREFUSED;
  auto timed_out = Event(TcpConnectionEvent::Kind::kFailed, r);
  timed_out.error = ETIMEDOUT;
  m.Record(refused, 1);
  m.Record(refused, 2);
  m.Record(timed_out, 3);
  MetricsSnapshot snap;
  m.Collect(4, &snap);
  const MetricData* failed = FindMetric(snap[0], "tcp.connections.failed");
  ASSERT_NE(failed, nullptr);
  ASSERT_EQ(failed->points.size(), 2u);
  for (const auto& p : failed->points)
    EXPECT_EQ(IntOf(p), StrAttr(p, "error.type") == "connection_refused" ? 2 : 1);
  EXPECT_EQ(FindMetric(snap[0], "tcp.connections.opened"), nullptr);
}

TEST(TcpConnectionMetricsTest, ActiveNeverGoesNegativeAndRetiringZeroesIt) {
  TcpConnectionMetrics m(2000, /*retired_retention_ns=*/100);
  auto r = MakeResource("api");
  m.Record(Event(TcpConnectionEvent::Kind::kUp, r), 1);
  m.Record(Event(TcpConnectionEvent::Kind::kDown, r), 2);
  m.Record(Event(TcpConnectionEvent::Kind::kDown, r), 3);  // its UP was lost
  m.Record(Event(TcpConnectionEvent::Kind::kUp, r), 4);
  m.RetireResource(r, 10);
  MetricsSnapshot snap;
  m.Collect(50, &snap);  // within the retention: final values, active 0
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_EQ(IntOf(FindMetric(snap[0], "tcp.connections.active")->points[0]), 0);
  EXPECT_EQ(IntOf(FindMetric(snap[0], "tcp.connections.opened")->points[0]), 2);
  snap.clear();
  m.Collect(200, &snap);  // retention over: gone
  EXPECT_TRUE(snap.empty());
}

TEST(TcpConnectionMetricsTest, ManyPeersOverflowIntoOneSeries) {
  TcpConnectionMetrics m(/*max_series_per_resource=*/5);
  auto r = MakeResource("api");
  for (int i = 0; i < 20; ++i) {
    auto e = Event(TcpConnectionEvent::Kind::kUp, r);
    e.peer.address = "10.0.1." + std::to_string(i);
    m.Record(e, 1);
  }
  MetricsSnapshot snap;
  m.Collect(2, &snap);
  const MetricData* opened = FindMetric(snap[0], "tcp.connections.opened");
  ASSERT_EQ(opened->points.size(), 6u);
  int64_t total = 0;
  for (const auto& p : opened->points) total += IntOf(p);
  EXPECT_EQ(total, 20);
  EXPECT_EQ(std::get<bool>(*FindAttribute(opened->points.back().attributes, "otel.metric.overflow")),
            true);
  EXPECT_EQ(IntOf(opened->points.back()), 15);
  EXPECT_EQ(m.overflowed(), 15u);
}

TEST(TcpConnectionEventTest, ConnectErrorTypes) {
  EXPECT_EQ(ConnectErrorType(ECONNREFUSED), "connection_refused");
  EXPECT_EQ(ConnectErrorType(ETIMEDOUT), "timed_out");
  EXPECT_EQ(ConnectErrorType(EHOSTUNREACH), "host_unreachable");
  EXPECT_EQ(ConnectErrorType(0), "cancelled");
  EXPECT_EQ(ConnectErrorType(999), "errno_999");
}

TEST(TcpConnectionEventTest, DecodesTheKernelRecord) {
  otelbpf_tcp_conn_event raw = {};
  raw.hdr.type = OTELBPF_EV_TCP_CONN_DOWN;
  raw.hdr.role = OTELBPF_ROLE_SERVER;
  raw.hdr.tgid = 42;
  raw.hdr.start_ns = 5;
  raw.hdr.end_ns = 9;
  raw.family = 10;  // AF_INET6, an IPv4-mapped peer
  raw.local_port = 80;
  raw.peer_port = 60000;
  raw.peer_addr[10] = raw.peer_addr[11] = 0xff;
  raw.peer_addr[12] = 192;
  raw.peer_addr[13] = 0;
  raw.peer_addr[14] = 2;
  raw.peer_addr[15] = 1;
  raw.local_addr[15] = 1;  // ::1
  raw.bytes_sent = 7;
  raw.bytes_received = 8;
  raw.srtt_us = 9;
  raw.retransmits = 3;
  TcpConnectionEvent e = DecodeTcpConnection(raw);
  EXPECT_EQ(e.kind, TcpConnectionEvent::Kind::kDown);
  EXPECT_EQ(e.role, ConnectionRole::kServer);
  EXPECT_EQ(e.pid, 42u);
  EXPECT_EQ(e.peer.address, "192.0.2.1");
  EXPECT_FALSE(e.ipv6);  // mapped IPv4 is reported as IPv4
  EXPECT_EQ(e.local.address, "::1");
  EXPECT_EQ(e.local.port, 80);
  EXPECT_EQ(e.bytes_sent, 7u);
  EXPECT_EQ(e.bytes_received, 8u);
  EXPECT_EQ(e.srtt_us, 9u);
  EXPECT_EQ(e.retransmits, 3u);
}

}  // namespace
}  // namespace otelbpf::metrics
