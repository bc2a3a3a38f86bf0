// The RPC RED metrics, derived from spans, per the RPC semantic conventions as reworked after
// semconv v1.37.0 (https://opentelemetry.io/docs/specs/semconv/rpc/rpc-metrics/), where they
// replaced rpc.{server,client}.duration in milliseconds:
//
//   rpc.server.call.duration  s  histogram, buckets [0.005, 0.01, ... 10] (the HTTP advice)
//   rpc.client.call.duration  s  histogram
//
// Fed by SERVER and CLIENT spans of family kRpc (today: gRPC calls, protocols/http2). Series
// attributes: rpc.system.name, rpc.method, rpc.response.status_code, error.type, and
// server.address/server.port on client metrics only (as for HTTP: on the server side they name
// the process itself, and a client-chosen authority must not multiply its series).
//
// Bounded and forgotten like every span-derived metric (resource_series_table.h).
//
// Threading: Record on the capture thread, Collect from exporter threads. Record allocates
// nothing for an existing series; Collect holds Record's mutex only while it copies numbers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "metrics/metric_data.h"
#include "metrics/resource_series_table.h"
#include "trace/span.h"

namespace otelbpf::metrics {

using RpcMetricsOptions = SpanMetricsOptions;

// The bucket boundaries of the RPC duration histograms, in seconds.
std::span<const double> RpcDurationBoundsSeconds();

class RpcMetrics : public MetricProducer {
 public:
  explicit RpcMetrics(RpcMetricsOptions options = {});
  ~RpcMetrics() override;

  // Adds one SERVER or CLIENT span of family kRpc; ignores any other.
  void Record(const Span& span);
  // See DbMetrics::ForgetResource.
  void ForgetResource(const Resource* resource);
  void Collect(uint64_t now_unix_nano, MetricsSnapshot* out) override;

  uint64_t overflow_measurements() const;
  uint64_t dropped_measurements() const;
  size_t series_count() const;
  size_t resource_count() const;

 private:
  struct Table;

  std::unique_ptr<Table> table_;
};

}  // namespace otelbpf::metrics
