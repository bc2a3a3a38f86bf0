#include "metrics/tcp_connection_metrics.h"

#include <array>

namespace otelbpf::metrics {
namespace {

constexpr std::array<double, 18> kDurationBounds = {0.005, 0.01, 0.025, 0.05, 0.1,  0.25,
                                                    0.5,   1,    2.5,   5,    10,   30,
                                                    60,    120,  300,   600,  1800, 3600};
// Loopback RTTs are tens of microseconds; WAN ones hundreds of milliseconds.
constexpr std::array<double, 13> kRttBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                               0.005,  0.01,    0.025,  0.05,  0.1,
                                               0.25,   0.5,     1};

// Indexes into the metrics of one resource, in the order Collect emits them.
enum Instrument { kOpened, kFailed, kActive, kDuration, kIo, kRtt, kInstrumentCount };

std::vector<MetricData> EmptyInstruments() {
  std::vector<MetricData> m(kInstrumentCount);
  m[kOpened] = {"tcp.connections.opened", "TCP connections established or accepted",
                "{connection}", MetricKind::kCounter, {}};
  m[kFailed] = {"tcp.connections.failed", "connect() calls that ended without a connection",
                "{connection}", MetricKind::kCounter, {}};
  m[kActive] = {"tcp.connections.active", "TCP connections established and not yet closed",
                "{connection}", MetricKind::kUpDownCounter, {}};
  m[kDuration] = {"tcp.connection.duration", "Lifetime of closed TCP connections", "s",
                  MetricKind::kHistogram, {}};
  m[kIo] = {"tcp.connection.io", "Bytes carried by closed TCP connections", "By",
            MetricKind::kCounter, {}};
  m[kRtt] = {"tcp.connection.rtt", "Smoothed round-trip time of TCP connections when they closed",
             "s", MetricKind::kHistogram, {}};
  return m;
}

const char* RoleName(ConnectionRole role) {
  return role == ConnectionRole::kServer ? "server" : "client";
}

}  // namespace

TcpConnectionMetrics::Series::Series(uint64_t start)
    : start_unix_nano(start), duration(kDurationBounds), rtt(kRttBounds) {}

void TcpConnectionMetrics::Record(const TcpConnectionEvent& e, uint64_t now_unix_nano) {
  if (!e.resource) return;
  const uint16_t server_port = e.role == ConnectionRole::kServer ? e.local.port : e.peer.port;
  Key key{e.role, e.peer.address, server_port, e.ipv6};
  std::lock_guard<std::mutex> lock(mu_);
  Series& s = series_.At(e.resource, key, now_unix_nano);
  switch (e.kind) {
    case TcpConnectionEvent::Kind::kUp:
      ++s.opened;
      ++s.active;
      break;
    case TcpConnectionEvent::Kind::kFailed:
      ++s.failed[ConnectErrorType(e.error)];
      break;
    case TcpConnectionEvent::Kind::kDown:
      if (s.active > 0) --s.active;  // never below zero, even if an UP was lost
      if (e.end_ns >= e.start_ns) s.duration.Record(static_cast<double>(e.end_ns - e.start_ns) / 1e9);
      if (e.srtt_us) s.rtt.Record(static_cast<double>(e.srtt_us) / 1e6);
      s.bytes_sent += e.bytes_sent;
      s.bytes_received += e.bytes_received;
      break;
  }
}

void TcpConnectionMetrics::RetireResource(const ResourcePtr& resource, uint64_t now_unix_nano) {
  if (!resource) return;
  std::lock_guard<std::mutex> lock(mu_);
  series_.ForEachOf(resource.get(), [](Series& s) { s.active = 0; });
  series_.Retire(resource.get(), now_unix_nano);
}

void TcpConnectionMetrics::Collect(uint64_t now_unix_nano, MetricsSnapshot* out) {
  std::lock_guard<std::mutex> lock(mu_);
  // ForEach visits a resource's series together: one ResourceMetrics per run of them.
  ResourcePtr current;
  std::vector<MetricData> metrics;
  auto flush = [&] {
    if (!current) return;
    ResourceMetrics rm{current, {}};
    for (auto& m : metrics)
      if (!m.points.empty()) rm.metrics.push_back(std::move(m));
    if (!rm.metrics.empty()) out->push_back(std::move(rm));
  };
  series_.ForEach(now_unix_nano, [&](const ResourcePtr& r, const Key* key, const Series& s) {
    if (r != current) {
      flush();
      current = r;
      metrics = EmptyInstruments();
    }
    Attributes base;
    if (key) {
      const auto& [role, peer, port, ipv6] = *key;
      base = {{"otelbpf.tcp.role", std::string(RoleName(role))},
              {"network.peer.address", peer},
              {"server.port", static_cast<int64_t>(port)},
              {"network.type", std::string(ipv6 ? "ipv6" : "ipv4")}};
    } else {
      base = {{"otel.metric.overflow", true}};
    }
    auto point = [&](Attributes a, PointValue v) {
      return DataPoint{std::move(a), s.start_unix_nano, now_unix_nano, std::move(v)};
    };
    auto with = [&](std::string k, std::string v) {
      Attributes a = base;
      a.push_back({std::move(k), std::move(v)});
      return a;
    };
    if (s.opened) metrics[kOpened].points.push_back(point(base, static_cast<int64_t>(s.opened)));
    for (const auto& [error, n] : s.failed)
      metrics[kFailed].points.push_back(point(with("error.type", error), static_cast<int64_t>(n)));
    if (s.opened) metrics[kActive].points.push_back(point(base, s.active));
    if (s.duration.count()) {
      metrics[kDuration].points.push_back(point(base, s.duration.ToValue()));
      metrics[kIo].points.push_back(
          point(with("network.io.direction", "transmit"), static_cast<int64_t>(s.bytes_sent)));
      metrics[kIo].points.push_back(
          point(with("network.io.direction", "receive"), static_cast<int64_t>(s.bytes_received)));
    }
    if (s.rtt.count()) metrics[kRtt].points.push_back(point(base, s.rtt.ToValue()));
  });
  flush();
}

uint64_t TcpConnectionMetrics::overflowed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return series_.overflowed();
}

}  // namespace otelbpf::metrics
