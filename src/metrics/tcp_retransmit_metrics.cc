#include "metrics/tcp_retransmit_metrics.h"

namespace otelbpf::metrics {

void TcpRetransmitMetrics::Record(const ResourcePtr& resource, const Endpoint& local,
                                  const Endpoint& peer, uint16_t tcp_state,
                                  uint64_t now_unix_nano) {
  if (!resource) return;
  std::lock_guard<std::mutex> lock(mu_);
  PerResource& r = resources_[resource.get()];
  r.resource = resource;  // keeps the pointer key from being reused by a new resource
  SeriesKey key{peer.address, peer.port, local.port, tcp_state};
  auto it = r.series.find(key);
  if (it == r.series.end()) {
    if (r.series.size() >= max_series_) {
      if (r.overflow.count++ == 0) r.overflow.start_unix_nano = now_unix_nano;
      ++overflowed_;
      return;
    }
    it = r.series.emplace(std::move(key), Series{0, now_unix_nano}).first;
  }
  ++it->second.count;
}

void TcpRetransmitMetrics::Collect(uint64_t now_unix_nano, MetricsSnapshot* out) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [ptr, r] : resources_) {
    MetricData m;
    m.name = "tcp.retransmissions";
    m.description = "TCP segments the kernel retransmitted on this process's connections";
    m.unit = "{segment}";
    m.kind = MetricKind::kCounter;
    for (const auto& [key, s] : r.series) {
      const auto& [peer_address, peer_port, local_port, state] = key;
      m.points.push_back({{{"network.peer.address", peer_address},
                           {"network.peer.port", static_cast<int64_t>(peer_port)},
                           {"network.local.port", static_cast<int64_t>(local_port)},
                           {"otelbpf.tcp.state", std::string(TcpStateName(state))}},
                          s.start_unix_nano,
                          now_unix_nano,
                          static_cast<int64_t>(s.count)});
    }
    if (r.overflow.count)
      m.points.push_back({{{"otel.metric.overflow", true}},
                          r.overflow.start_unix_nano,
                          now_unix_nano,
                          static_cast<int64_t>(r.overflow.count)});
    out->push_back({r.resource, {std::move(m)}});
  }
}

uint64_t TcpRetransmitMetrics::overflowed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return overflowed_;
}

}  // namespace otelbpf::metrics
