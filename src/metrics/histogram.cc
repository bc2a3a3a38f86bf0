#include "metrics/histogram.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace otelbpf::metrics {
namespace {

constexpr std::array<double, 15> kDefaultBounds = {0,   5,   10,   25,   50,   75,   100,  250,
                                                   500, 750, 1000, 2500, 5000, 7500, 10000};

}  // namespace

std::span<const double> DefaultExplicitBounds() { return kDefaultBounds; }

ExplicitHistogram::ExplicitHistogram(std::span<const double> bounds)
    : bounds_(bounds), bucket_counts_(bounds.size() + 1, 0) {}

size_t ExplicitHistogram::BucketIndex(std::span<const double> bounds, double value) {
  // lower_bound: the first bound >= value, so a value on a bound lands in the bucket it closes.
  return static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), value) -
                             bounds.begin());
}

void ExplicitHistogram::Record(double value) {
  if (std::isnan(value)) return;  // would poison sum, min and max for the series' whole life
  ++bucket_counts_[BucketIndex(bounds_, value)];
  if (count_ == 0) {
    min_ = max_ = value;
  } else {
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  ++count_;
  sum_ += value;
}

HistogramValue ExplicitHistogram::ToValue() const {
  HistogramValue v;
  v.bounds.assign(bounds_.begin(), bounds_.end());
  v.bucket_counts = bucket_counts_;
  v.count = count_;
  v.sum = sum_;
  v.min = min_;
  v.max = max_;
  return v;
}

}  // namespace otelbpf::metrics
