#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>

#include "metrics/histogram.h"
#include "metrics/http_metrics.h"

namespace otelbpf::metrics {
namespace {

constexpr std::array<double, 3> kBounds = {0, 1, 2.5};

TEST(MetricsHistogramTest, ValueOnABoundGoesInTheBucketItCloses) {
  EXPECT_EQ(ExplicitHistogram::BucketIndex(kBounds, -1), 0u);
  EXPECT_EQ(ExplicitHistogram::BucketIndex(kBounds, 0), 0u);  // le="0" holds 0
  EXPECT_EQ(ExplicitHistogram::BucketIndex(kBounds, 0.0001), 1u);
  EXPECT_EQ(ExplicitHistogram::BucketIndex(kBounds, 1), 1u);
  EXPECT_EQ(ExplicitHistogram::BucketIndex(kBounds, std::nextafter(1.0, 2.0)), 2u);
  EXPECT_EQ(ExplicitHistogram::BucketIndex(kBounds, 2.5), 2u);
  EXPECT_EQ(ExplicitHistogram::BucketIndex(kBounds, 2.5000001), 3u);
  EXPECT_EQ(ExplicitHistogram::BucketIndex(kBounds, std::numeric_limits<double>::infinity()), 3u);
}

TEST(MetricsHistogramTest, AccumulatesCountSumMinMax) {
  ExplicitHistogram h(kBounds);
  for (double v : {0.0, 1.0, 1.0, 3.0, 0.5}) h.Record(v);
  h.Record(std::nan(""));  // ignored
  const HistogramValue v = h.ToValue();
  EXPECT_EQ(v.bounds, (std::vector<double>{0, 1, 2.5}));
  EXPECT_EQ(v.bucket_counts, (std::vector<uint64_t>{1, 3, 0, 1}));
  EXPECT_EQ(v.count, 5u);
  EXPECT_DOUBLE_EQ(v.sum, 5.5);
  EXPECT_DOUBLE_EQ(v.min, 0);
  EXPECT_DOUBLE_EQ(v.max, 3);
}

TEST(MetricsHistogramTest, EmptyHistogramHasAllBucketsAndNoCount) {
  const HistogramValue v = ExplicitHistogram(kBounds).ToValue();
  EXPECT_EQ(v.bucket_counts, (std::vector<uint64_t>{0, 0, 0, 0}));
  EXPECT_EQ(v.count, 0u);
}

TEST(MetricsHistogramTest, BoundsFollowTheConventions) {
  const std::vector<double> duration(HttpDurationBoundsSeconds().begin(),
                                     HttpDurationBoundsSeconds().end());
  // http.*.request.duration: the conventions' advice exactly, without a leading 0.
  EXPECT_EQ(duration, (std::vector<double>{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1,
                                           2.5, 5, 7.5, 10}));
  const std::vector<double> sizes(DefaultExplicitBounds().begin(), DefaultExplicitBounds().end());
  EXPECT_EQ(sizes, (std::vector<double>{0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000,
                                        7500, 10000}));
}

}  // namespace
}  // namespace otelbpf::metrics
