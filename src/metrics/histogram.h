// An explicit-bucket histogram (OTel "explicit bucket histogram" aggregation), cumulative.
//
// Not synchronised: the owner (e.g. HttpMetrics) guards it with its own lock, so one lock covers
// the several histograms a single measurement updates.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "metrics/metric_data.h"

namespace otelbpf::metrics {

// The OpenTelemetry SDK's default explicit bucket boundaries (metrics SDK spec), used for byte
// sizes: [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000].
std::span<const double> DefaultExplicitBounds();

class ExplicitHistogram {
 public:
  // `bounds`: ascending upper bounds. Not copied: it must outlive the histogram (the bounds in
  // use are static constants), which keeps a series small and its construction to one allocation.
  explicit ExplicitHistogram(std::span<const double> bounds);

  // Bucket i holds values in (bounds[i-1], bounds[i]]: a value equal to a bound counts in the
  // bucket that bound closes, as Prometheus' `le` ("less or equal") says. NaN is ignored.
  void Record(double value);

  uint64_t count() const { return count_; }
  // The cumulative value, for a DataPoint (copies the bounds: a snapshot owns its data).
  HistogramValue ToValue() const;

  // Index of the bucket `value` falls in, for `bounds` (exposed for tests).
  static size_t BucketIndex(std::span<const double> bounds, double value);

 private:
  std::span<const double> bounds_;
  std::vector<uint64_t> bucket_counts_;  // bounds_.size() + 1
  uint64_t count_ = 0;
  double sum_ = 0;
  double min_ = 0;
  double max_ = 0;
};

}  // namespace otelbpf::metrics
