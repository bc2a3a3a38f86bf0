// `otelbpf metrics`: the agent's metrics as the store snapshotted them (store/metric_points.h),
// one row per series: its latest value and what it did over the window (increase, rate, and
// for histograms the mean and bucket-bound percentiles of the window's observations). Exact
// where `stats` estimates: the metrics count every request, sampled or not.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/metric_points.h"

namespace otelbpf::query {

struct MetricRow {
  std::string service;
  std::string name;
  std::string unit;
  std::string attributes;  // "k=v k=v", for display
  std::string attributes_json;
  metrics::MetricKind kind = metrics::MetricKind::kCounter;
  double value = 0;     // latest: a counter's total, a gauge's value, a histogram's count
  double increase = 0;  // over the window: counters and histograms (observations)
  double rate_per_s = 0;
  // Histograms, over the window: the mean, and the upper bound of the bucket holding the
  // 50th/99th percentile (a bound, not an exact value; +Inf when beyond the last bound).
  double mean = 0;
  double p50 = 0, p99 = 0;
};

// `window` and `baselines` as QueryMetricPoints returns them; `since_ns`..`now_ns` the window.
// Sorted by service, then name, then attributes.
std::vector<MetricRow> ComputeMetricRows(const std::vector<store::MetricPoint>& window,
                                         const std::vector<store::MetricPoint>& baselines,
                                         uint64_t since_ns, uint64_t now_ns);
// The upper bound of the bucket where the cumulative count reaches p % (0..100) of the total.
double BucketPercentile(const std::vector<double>& bounds, const std::vector<uint64_t>& counts,
                        double p);
std::string FormatMetricTable(const std::vector<MetricRow>& rows);
std::string FormatMetricJson(const MetricRow& row);

}  // namespace otelbpf::query
