// Which aggregation temporality each metric kind is exported with, from the user's preference
// (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE, per the OTLP metrics exporter spec):
//
//   preference   Counter     Histogram   UpDownCounter   (Gauge: no temporality)
//   cumulative   cumulative  cumulative  cumulative
//   delta        delta       delta       cumulative
//   lowmemory    delta       delta       cumulative
//
// The spec's delta and lowmemory differ only for asynchronous counters (delta vs cumulative).
// Our producers do not distinguish synchronous from asynchronous instruments; all their
// counters and histograms are updated as events happen, i.e. synchronous, so both
// preferences give the same result here.
#pragma once

#include <cstdint>

#include "metrics/metric_data.h"

namespace otelbpf::otlp {

enum class TemporalityPreference : uint8_t { kCumulative, kDelta, kLowMemory };

// Values are OTLP's metrics.v1.AggregationTemporality numbers.
enum class AggregationTemporality : uint8_t { kDelta = 1, kCumulative = 2 };

// The temporality `kind` is exported with. Gauges have none: kCumulative, never written.
constexpr AggregationTemporality TemporalityFor(metrics::MetricKind kind,
                                                TemporalityPreference preference) {
  bool delta_kind =
      kind == metrics::MetricKind::kCounter || kind == metrics::MetricKind::kHistogram;
  return delta_kind && preference != TemporalityPreference::kCumulative
             ? AggregationTemporality::kDelta
             : AggregationTemporality::kCumulative;
}

}  // namespace otelbpf::otlp
