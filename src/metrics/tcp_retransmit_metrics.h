// The `tcp.retransmissions` counter: retransmitted segments per observed process (resource),
// by peer address/port, local port and TCP state. Fed from the connection tracker on the
// capture thread; collected by exporter threads. Bounded: past max_series per resource, new
// attribute sets go to one overflow series (otel.metric.overflow=true) and are counted.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "protocols/common/connection.h"
#include "metrics/metric_data.h"

namespace otelbpf::metrics {

class TcpRetransmitMetrics : public MetricProducer {
 public:
  explicit TcpRetransmitMetrics(size_t max_series_per_resource = 2000)
      : max_series_(max_series_per_resource) {}

  void Record(const ResourcePtr& resource, const Endpoint& local, const Endpoint& peer,
              uint16_t tcp_state, uint64_t now_unix_nano);
  void Collect(uint64_t now_unix_nano, MetricsSnapshot* out) override;
  uint64_t overflowed() const;

 private:
  using SeriesKey = std::tuple<std::string, uint16_t, uint16_t,
                               uint16_t>;  // peer addr, peer port, local port, state
  struct Series {
    uint64_t count = 0;
    uint64_t start_unix_nano = 0;
  };
  struct PerResource {
    ResourcePtr resource;
    std::map<SeriesKey, Series> series;
    Series overflow;
  };

  const size_t max_series_;
  mutable std::mutex mu_;
  std::map<const Resource*, PerResource> resources_;
  uint64_t overflowed_ = 0;
};

}  // namespace otelbpf::metrics
