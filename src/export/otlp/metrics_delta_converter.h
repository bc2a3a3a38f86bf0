// Derives delta points from the cumulative points producers always report (metric_data.h), for
// the kinds a delta or lowmemory temporality preference exports as delta (metrics_temporality.h:
// counters and histograms; up-down counters and gauges pass through untouched).
//
// A series is (resource pointer, metric name, attribute set; attribute order is irrelevant).
// For each, the converter keeps the baseline: the cumulative point last exported.
//  - No baseline yet: the point goes out as is. Its cumulative value since start_time *is* the
//    delta over (start_time, time].
//  - Otherwise: value - baseline over (baseline time, time].
//  - Reset (a counter went backwards, a histogram's count or a bucket decreased or its bounds
//    changed, or start_time moved): as is, i.e. everything since the new start.
// Histogram min/max cannot be diffed: a delta point keeps one only when it is known to lie in
// the interval (the cumulative min fell, or the max rose, or there was no count before);
// otherwise it is NaN, which the encoder leaves out ("unknown", as OTLP allows).
//
// Memory is bounded by the last snapshot: only series present in it keep a baseline, so
// series that disappeared are forgotten (and reappear as new). Baselines hold a reference to
// their resource, so that no other resource can be allocated at the same address while the
// address is part of a key.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "export/otlp/metrics_temporality.h"
#include "metrics/metric_data.h"

namespace otelbpf::otlp {

class DeltaConverter {
 public:
  explicit DeltaConverter(TemporalityPreference preference) : preference_(preference) {}

  // Rewrites, in place, the points of `snapshot` that are exported as delta. Follow each call
  // with Commit.
  void Convert(metrics::MetricsSnapshot* snapshot);

  // Ends the cycle Convert started. exported=true: the converted values become the baselines.
  // exported=false (the collector never took them): the previous baselines stay, so the next
  // delta covers the lost interval too and nothing is lost. Either way, series absent from the
  // converted snapshot are dropped.
  void Commit(bool exported);

  // Series with a baseline (for tests and self-metrics).
  size_t series() const { return baselines_.size(); }

 private:
  struct Baseline {
    metrics::MetricKind kind;
    uint64_t start_time_unix_nano;
    uint64_t time_unix_nano;
    metrics::PointValue value;
    ResourcePtr resource;  // pins the address that is part of the key
  };
  struct Staged {
    std::string key;
    Baseline current;  // the cumulative point, before conversion
  };

  // Converts one point in place, diffing against `base` (null: none).
  static void ConvertPoint(const Baseline* base, metrics::DataPoint* point);
  void SeriesKey(const ResourcePtr& resource, const metrics::MetricData& metric,
                 const Attributes& attributes, std::string* key);

  const TemporalityPreference preference_;
  std::unordered_map<std::string, Baseline> baselines_;
  std::vector<Staged> staged_;
  std::vector<const Attribute*> sorted_;  // scratch for SeriesKey
};

}  // namespace otelbpf::otlp
