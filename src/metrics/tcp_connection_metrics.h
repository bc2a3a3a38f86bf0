// TCP connection telemetry from the kernel's connection lifecycle (bpf/tcp_lifecycle.bpf.h).
// The semantic conventions have no per-connection TCP metrics, so the names are ours, in the
// `tcp.` namespace next to `tcp.retransmissions` (docs/design.md lists them):
//
//   tcp.connections.opened    {connection}  counter        established (client) / accepted (server)
//   tcp.connections.failed    {connection}  counter        connect() without a connection; error.type
//   tcp.connections.active    {connection}  updowncounter  established and not yet closed
//   tcp.connection.duration   s             histogram      established -> closed
//   tcp.connection.io         By            counter        bytes per closed connection;
//                                                          network.io.direction=transmit|receive
//   tcp.connection.rtt        s             histogram      smoothed RTT when the connection closed
//
// Series attributes: otelbpf.tcp.role (client: this process connected; server: it accepted),
// network.peer.address, server.port (the service's port: the peer's for a client, ours for a
// server), network.type (ipv4/ipv6). Per resource (observed process), bounded (BoundedSeries).
// Bytes, duration and RTT are known when a connection closes, so long-lived connections count
// there; connections that existed before otelbpf started are not counted at all.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "capture/lifecycle_events.h"
#include "metrics/bounded_series.h"
#include "metrics/histogram.h"
#include "metrics/metric_data.h"

namespace otelbpf::metrics {

class TcpConnectionMetrics : public MetricProducer {
 public:
  explicit TcpConnectionMetrics(size_t max_series_per_resource = 2000,
                                uint64_t retired_retention_ns = 120ull * 1000000000ull)
      : series_(max_series_per_resource, retired_retention_ns) {}

  void Record(const TcpConnectionEvent& event, uint64_t now_unix_nano);
  // The process exited: its connections are gone (active drops to 0); series stay a while.
  void RetireResource(const ResourcePtr& resource, uint64_t now_unix_nano);
  void Collect(uint64_t now_unix_nano, MetricsSnapshot* out) override;
  uint64_t overflowed() const;

 private:
  // role, peer address, server port, ipv6
  using Key = std::tuple<ConnectionRole, std::string, uint16_t, bool>;
  struct Series {
    explicit Series(uint64_t start);
    uint64_t start_unix_nano;
    uint64_t opened = 0;
    int64_t active = 0;
    std::map<std::string, uint64_t> failed;  // by error.type (a handful of errno names)
    ExplicitHistogram duration;
    ExplicitHistogram rtt;
    uint64_t bytes_sent = 0, bytes_received = 0;
  };

  mutable std::mutex mu_;
  BoundedSeries<Key, Series> series_;
};

}  // namespace otelbpf::metrics
