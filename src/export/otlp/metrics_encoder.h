// Encodes a metrics snapshot as a serialized OTLP ExportMetricsServiceRequest (the body of both
// OTLP/HTTP protobuf and OTLP/gRPC metric exports), writing protobuf wire format directly like
// trace_encoder.h does. proto/opentelemetry/proto/{metrics,collector/metrics}/... define the
// messages; the unit tests parse our bytes with the generated classes and check that
// re-serializing them gives the very same bytes.
//
// Layout: one ResourceMetrics per distinct `resource` pointer (entries of several producers for
// the same process are merged, in order of first appearance; a null resource yields a
// ResourceMetrics without a resource), each holding one ScopeMetrics whose scope is
// {name "otelbpf", version OTELBPF_VERSION}. Metrics without points, and resources without
// such metrics, are left out.
//
// Kinds: kCounter -> Sum{is_monotonic}, kUpDownCounter -> Sum, kGauge -> Gauge,
// kHistogram -> Histogram; Sum and Histogram carry TemporalityFor(kind, preference). The
// encoder writes values as given: converting cumulative values into deltas is
// DeltaConverter's job (metrics_delta_converter.h), done before encoding.
//
// Values: int64 -> as_int, double -> as_double. A point whose value does not fit its metric's
// kind (a histogram in a Sum, a number in a Histogram) is a producer bug; it is skipped rather
// than sent malformed. Histogram min/max are written when count > 0 and they are not NaN (NaN
// marks "unknown", see DeltaConverter); sum is always written.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "export/otlp/metrics_temporality.h"
#include "export/otlp/wire_writer.h"
#include "metrics/metric_data.h"

namespace otelbpf::otlp {

// Reusable encoder: keeps its buffer between calls. Not thread-safe.
class MetricsRequestEncoder {
 public:
  // Returns the serialized request; the view stays valid until the next Encode call.
  std::string_view Encode(const metrics::MetricsSnapshot& snapshot,
                          TemporalityPreference preference);

  // Data points written by the last Encode (skipped ones not included).
  size_t points() const { return points_; }

 private:
  void GroupByResource(const metrics::MetricsSnapshot& snapshot);
  void EncodeMetric(const metrics::MetricData& metric, TemporalityPreference preference);

  WireWriter writer_;
  size_t points_ = 0;
  // Per distinct resource, the indices of its snapshot entries.
  std::vector<std::vector<size_t>> groups_;
  std::unordered_map<const Resource*, size_t> group_index_;
};

// One-shot convenience wrapper around MetricsRequestEncoder.
std::string EncodeMetricsRequest(const metrics::MetricsSnapshot& snapshot,
                                 TemporalityPreference preference);

}  // namespace otelbpf::otlp
