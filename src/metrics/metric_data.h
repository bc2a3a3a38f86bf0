// The metrics model shared by producers (RED metrics, kernel connection metrics, self-metrics)
// and exporters (Prometheus, OTLP). Plain data.
//
// Producers always keep CUMULATIVE state: Prometheus wants that, and an OTLP exporter asked for
// delta temporality derives deltas itself by diffing consecutive cumulative snapshots. So two
// exporters with different temporalities never disturb each other.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "trace/span.h"

namespace otelbpf::metrics {

enum class MetricKind : uint8_t {
  kCounter,        // monotonic sum (OTLP Sum, is_monotonic=true; Prometheus counter)
  kUpDownCounter,  // non-monotonic sum (OTLP Sum, is_monotonic=false; Prometheus gauge)
  kGauge,          // last value (OTLP Gauge; Prometheus gauge)
  kHistogram,      // explicit-bucket histogram (OTLP Histogram; Prometheus histogram)
};

struct HistogramValue {
  std::vector<double> bounds;           // upper bounds, ascending; buckets = bounds.size() + 1
  std::vector<uint64_t> bucket_counts;  // per bucket (not cumulative), size bounds.size() + 1
  uint64_t count = 0;
  double sum = 0;
  double min = 0;  // meaningful when count > 0
  double max = 0;
};

using PointValue = std::variant<int64_t, double, HistogramValue>;

struct DataPoint {
  Attributes attributes;
  uint64_t start_time_unix_nano = 0;  // when this series began accumulating
  uint64_t time_unix_nano = 0;        // when it was collected
  PointValue value;
};

struct MetricData {
  std::string name;  // OpenTelemetry name, e.g. "http.server.request.duration"
  std::string description;
  std::string unit;  // UCUM, e.g. "s", "By", "{connection}"
  MetricKind kind = MetricKind::kCounter;
  std::vector<DataPoint> points;
};

// All metrics of one resource (one observed process, or otelbpf itself).
struct ResourceMetrics {
  ResourcePtr resource;
  std::vector<MetricData> metrics;
};

using MetricsSnapshot = std::vector<ResourceMetrics>;

// Anything that can report metrics. Collect is called from exporter threads: implementations
// synchronise with their writers. It APPENDS to `out` (several producers share one snapshot).
class MetricProducer {
 public:
  virtual ~MetricProducer() = default;
  virtual void Collect(uint64_t now_unix_nano, MetricsSnapshot* out) = 0;
};

}  // namespace otelbpf::metrics
