// RED metrics of HTTP traffic, derived from spans, per the stable HTTP semantic conventions
// (https://opentelemetry.io/docs/specs/semconv/http/http-metrics/):
//
//   http.server.request.duration    s   histogram, buckets [0, 0.005, ... 10] (semconv advice)
//   http.server.request.body.size   By  histogram, default SDK buckets [0, 5, ... 10000]
//   http.server.response.body.size  By  histogram, default SDK buckets
//   http.client.request.duration, http.client.request.body.size, http.client.response.body.size
//
// Series attributes: http.request.method, http.response.status_code, http.route (server, when
// known), url.scheme, network.protocol.version, error.type, and server.address/server.port on
// client metrics only. One set of series per resource (observed process).
//
// Bounded: each resource keeps at most `max_series_per_metric` series per side (server/client;
// the three metrics of a side share their series, so that is per metric too). Later new
// attribute sets go to ONE overflow series with the attribute otel.metric.overflow=true (the
// OTel SDK's cardinality-limit convention), and each such measurement is counted.
//
// Threading: Record on the capture thread, Collect from exporter threads. Record allocates
// nothing for an existing series; Collect holds Record's mutex only while it copies numbers.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "metrics/histogram.h"
#include "metrics/http_measurement.h"
#include "metrics/metric_data.h"
#include "trace/span.h"

namespace otelbpf::metrics {

struct HttpMetricsOptions {
  // Series per metric per resource before measurements go to the overflow series.
  size_t max_series_per_metric = 2000;
  // Resources (processes) tracked at once; spans of further resources are dropped and counted
  // (dropped_measurements). A safety net: the agent forgets resources of exited processes.
  size_t max_resources = 10000;
  // How long the series of a forgotten resource stay after the first Collect that saw them
  // forgotten. 0: dropped right after that Collect reported their final values. With several
  // exporters on different schedules, set it to the longest export/scrape interval so each one
  // sees the final values.
  uint64_t forgotten_retention_ns = 0;
};

// The semconv bucket boundaries of the HTTP duration histograms, in seconds.
std::span<const double> HttpDurationBoundsSeconds();

class HttpMetrics : public MetricProducer {
 public:
  explicit HttpMetrics(HttpMetricsOptions options = {});
  ~HttpMetrics() override;

  // Adds one SERVER or CLIENT span (others are ignored). Cheap: see the header comment.
  void Record(const Span& span);

  // The process behind `resource` exited. Its series stay until a Collect has reported them
  // (plus forgotten_retention_ns), so their last values are not lost, then are dropped. Call it
  // after the process's last span was recorded: a later span would start a fresh set of series
  // that is never forgotten.
  void ForgetResource(const Resource* resource);

  // Cumulative points of every resource with at least one series.
  void Collect(uint64_t now_unix_nano, MetricsSnapshot* out) override;

  // Measurements recorded into an overflow series (cardinality limit hit). Monotonic.
  uint64_t overflow_measurements() const { return overflow_.load(std::memory_order_relaxed); }
  // Measurements dropped because max_resources was reached. Monotonic.
  uint64_t dropped_measurements() const { return dropped_.load(std::memory_order_relaxed); }
  // Series held right now, all resources and sides (overflow series included).
  size_t series_count() const;
  size_t resource_count() const;

 private:
  struct Series;
  struct Side;
  struct ResourceState;
  struct SeriesCopy;
  struct ResourceCopy;

  ResourceState* FindOrAddResource(const Span& span);
  void RecordInto(Side& side, const HttpMeasurement& m, uint64_t start_time);
  static void CopySide(const Side& side, std::vector<SeriesCopy>* out);
  static void AppendSide(const std::vector<SeriesCopy>& side, bool client, uint64_t now,
                         ResourceMetrics* out);

  const HttpMetricsOptions options_;
  std::mutex collect_mu_;  // one Collect at a time; taken before mu_
  mutable std::mutex mu_;  // everything below
  std::unordered_map<const Resource*, std::unique_ptr<ResourceState>> resources_;
  ResourceState* last_state_ = nullptr;  // the capture thread sees runs of one process's spans
  std::atomic<uint64_t> overflow_{0};
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace otelbpf::metrics
