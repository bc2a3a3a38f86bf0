// The database RED metric, derived from spans, per the database semantic conventions
// (https://opentelemetry.io/docs/specs/semconv/database/database-metrics/):
//
//   db.client.operation.duration  s  histogram, buckets [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1,
//                                    5, 10] (semconv advice)
//
// Fed by CLIENT spans of family kDb only (protocols/common/db_span.h builds them). SERVER spans
// (the observed process is the database) feed nothing: the conventions define no server-side
// database metric.
//
// Series attributes: db.system.name, db.namespace, db.operation.name, db.collection.name,
// db.response.status_code, error.type, server.address, server.port. Never db.query.text: it is
// unbounded and, unsanitized, may carry the very values spans are careful to hide. Nor
// db.query.summary (recommended by the conventions, but one series per statement shape).
//
// Bounded and forgotten like every span-derived metric (resource_series_table.h): per resource
// at most `max_series_per_metric` series, then one overflow series (otel.metric.overflow=true),
// counted.
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

using DbMetricsOptions = SpanMetricsOptions;

// The semconv bucket boundaries of db.client.operation.duration, in seconds.
std::span<const double> DbDurationBoundsSeconds();

class DbMetrics : public MetricProducer {
 public:
  explicit DbMetrics(DbMetricsOptions options = {});
  ~DbMetrics() override;

  // Adds one span if it is a CLIENT span of family kDb; ignores any other.
  void Record(const Span& span);

  // The process behind `resource` exited. Its series stay until a Collect has reported them
  // (plus forgotten_retention_ns), then are dropped. Call it after the process's last span was
  // recorded: a later span would start a fresh set of series that is never forgotten.
  void ForgetResource(const Resource* resource);

  // Cumulative points of every resource with at least one series.
  void Collect(uint64_t now_unix_nano, MetricsSnapshot* out) override;

  // Measurements recorded into an overflow series (cardinality limit hit). Monotonic.
  uint64_t overflow_measurements() const;
  // Measurements dropped because max_resources was reached. Monotonic.
  uint64_t dropped_measurements() const;
  // Series held right now, all resources (overflow series included).
  size_t series_count() const;
  size_t resource_count() const;

 private:
  struct Table;

  std::unique_ptr<Table> table_;
};

}  // namespace otelbpf::metrics
