// RED metrics of HTTP traffic, derived from spans, per the stable HTTP semantic conventions
// (https://opentelemetry.io/docs/specs/semconv/http/http-metrics/):
//
//   http.server.request.duration    s   histogram, buckets [0.005, 0.01, ... 10] (semconv advice)
//   http.server.request.body.size   By  histogram, default SDK buckets [0, 5, ... 10000]
//   http.server.response.body.size  By  histogram, default SDK buckets
//   http.client.request.duration, http.client.request.body.size, http.client.response.body.size
//
// Series attributes: http.request.method, http.response.status_code, http.route (server, when
// a route pattern matched), url.template (the template of an unmatched path, or a client's
// matched pattern: routes/route_decorator.h, capped per service), url.scheme,
// network.protocol.version, error.type, and server.address/server.port on client metrics only.
// One set of series per resource (observed process).
//
// Bounded and forgotten like every span-derived metric (resource_series_table.h): per resource
// at most `max_series_per_metric` series per side (server/client; the three metrics of a side
// share their series, so that is per metric too), then one overflow series
// (otel.metric.overflow=true), counted.
//
// Threading: Record on the capture thread, Collect from exporter threads. Record allocates
// nothing for an existing series; Collect holds Record's mutex only while it copies numbers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "metrics/http_measurement.h"
#include "metrics/metric_data.h"
#include "metrics/resource_series_table.h"
#include "trace/span.h"

namespace otelbpf::metrics {

// Options are those of every span-derived metric.
using HttpMetricsOptions = SpanMetricsOptions;

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
  uint64_t overflow_measurements() const;
  // Measurements dropped because max_resources was reached. Monotonic.
  uint64_t dropped_measurements() const;
  // Series held right now, all resources and sides (overflow series included).
  size_t series_count() const;
  size_t resource_count() const;

 private:
  struct Series;
  struct Table;

  std::unique_ptr<Table> table_;
};

}  // namespace otelbpf::metrics
