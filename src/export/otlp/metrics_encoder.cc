#include "export/otlp/metrics_encoder.h"

#include <cmath>
#include <variant>

#include "export/otlp/common_encoding.h"

namespace otelbpf::otlp {
namespace {

using encoding::AttributesSize;
using encoding::DoubleBits;
using encoding::EncodeResource;
using encoding::EncodeScope;
using encoding::kFixed64FieldSize;
using encoding::UncheckedAttributes;

// Field numbers from proto/opentelemetry/proto/**. Fields are written in increasing number
// order, as the generated serializer does, so our output is byte-identical to it.
namespace field {
// collector.metrics.v1.ExportMetricsServiceRequest
constexpr uint32_t kRequestResourceMetrics = 1;
// metrics.v1.ResourceMetrics
constexpr uint32_t kResourceMetricsResource = 1;
constexpr uint32_t kResourceMetricsScopeMetrics = 2;
// metrics.v1.ScopeMetrics
constexpr uint32_t kScopeMetricsScope = 1;
constexpr uint32_t kScopeMetricsMetrics = 2;
// metrics.v1.Metric
constexpr uint32_t kMetricName = 1;
constexpr uint32_t kMetricDescription = 2;
constexpr uint32_t kMetricUnit = 3;
constexpr uint32_t kMetricGauge = 5;
constexpr uint32_t kMetricSum = 7;
constexpr uint32_t kMetricHistogram = 9;
// metrics.v1.Gauge / Sum / Histogram
constexpr uint32_t kDataPoints = 1;
constexpr uint32_t kAggregationTemporality = 2;
constexpr uint32_t kSumIsMonotonic = 3;
// metrics.v1.NumberDataPoint
constexpr uint32_t kNumberStartTime = 2;
constexpr uint32_t kNumberTime = 3;
constexpr uint32_t kNumberAsDouble = 4;
constexpr uint32_t kNumberAsInt = 6;
constexpr uint32_t kNumberAttributes = 7;
// metrics.v1.HistogramDataPoint
constexpr uint32_t kHistogramStartTime = 2;
constexpr uint32_t kHistogramTime = 3;
constexpr uint32_t kHistogramCount = 4;
constexpr uint32_t kHistogramSum = 5;
constexpr uint32_t kHistogramBucketCounts = 6;
constexpr uint32_t kHistogramExplicitBounds = 7;
constexpr uint32_t kHistogramAttributes = 9;
constexpr uint32_t kHistogramMin = 11;
constexpr uint32_t kHistogramMax = 12;
}  // namespace field

// Bytes set aside for the length of nested messages of unknown size (see WireWriter): a
// metric with many series, and a resource with many metrics, easily exceed 16 KiB.
constexpr size_t kLengthGuess = 3;

// --- data points: of exactly computable size, so they need no back-patching ---

// Proto3 leaves zero timestamps out (a gauge may have no start time).
size_t TimesSize(const metrics::DataPoint& p) {
  return (p.start_time_unix_nano != 0 ? kFixed64FieldSize : 0) +
         (p.time_unix_nano != 0 ? kFixed64FieldSize : 0);
}

void UncheckedTimes(WireWriter& w, const metrics::DataPoint& p, uint32_t start_field,
                    uint32_t time_field) {
  if (p.start_time_unix_nano != 0) w.UncheckedFixed64Field(start_field, p.start_time_unix_nano);
  if (p.time_unix_nano != 0) w.UncheckedFixed64Field(time_field, p.time_unix_nano);
}

void EncodeNumberPoint(WireWriter& w, const metrics::DataPoint& p) {
  size_t body = TimesSize(p) + kFixed64FieldSize + AttributesSize(p.attributes);
  w.Reserve(WireWriter::kMaxFieldOverhead + body);
  w.UncheckedNestedHeader(field::kDataPoints, body);
  UncheckedTimes(w, p, field::kNumberStartTime, field::kNumberTime);
  if (const auto* d = std::get_if<double>(&p.value)) {
    w.UncheckedFixed64Field(field::kNumberAsDouble, DoubleBits(*d));
  } else {  // sfixed64: the int64's bits, little-endian
    w.UncheckedFixed64Field(field::kNumberAsInt, static_cast<uint64_t>(std::get<int64_t>(p.value)));
  }
  UncheckedAttributes(w, field::kNumberAttributes, p.attributes);
}

// A packed repeated 8-byte field; an empty one is left out, as the generated code does.
size_t PackedFixed64Size(size_t count) { return count == 0 ? 0 : LengthDelimitedSize(count * 8); }

void EncodeHistogramPoint(WireWriter& w, const metrics::DataPoint& p) {
  const auto* h = std::get_if<metrics::HistogramValue>(&p.value);
  bool has_min = h->count > 0 && !std::isnan(h->min);
  bool has_max = h->count > 0 && !std::isnan(h->max);
  size_t body = TimesSize(p) + (h->count != 0 ? kFixed64FieldSize : 0) + kFixed64FieldSize +
                PackedFixed64Size(h->bucket_counts.size()) + PackedFixed64Size(h->bounds.size()) +
                AttributesSize(p.attributes) + (has_min ? kFixed64FieldSize : 0) +
                (has_max ? kFixed64FieldSize : 0);
  w.Reserve(WireWriter::kMaxFieldOverhead + body);
  w.UncheckedNestedHeader(field::kDataPoints, body);
  UncheckedTimes(w, p, field::kHistogramStartTime, field::kHistogramTime);
  if (h->count != 0) w.UncheckedFixed64Field(field::kHistogramCount, h->count);
  w.UncheckedFixed64Field(field::kHistogramSum, DoubleBits(h->sum));  // optional: always present
  if (!h->bucket_counts.empty()) {
    w.UncheckedNestedHeader(field::kHistogramBucketCounts, h->bucket_counts.size() * 8);
    for (uint64_t c : h->bucket_counts) w.UncheckedFixed64(c);
  }
  if (!h->bounds.empty()) {
    w.UncheckedNestedHeader(field::kHistogramExplicitBounds, h->bounds.size() * 8);
    for (double b : h->bounds) w.UncheckedFixed64(DoubleBits(b));
  }
  UncheckedAttributes(w, field::kHistogramAttributes, p.attributes);
  if (has_min) w.UncheckedFixed64Field(field::kHistogramMin, DoubleBits(h->min));
  if (has_max) w.UncheckedFixed64Field(field::kHistogramMax, DoubleBits(h->max));
}

// Histograms go in Histogram metrics, numbers in the others; see the header.
bool FitsKind(const metrics::MetricData& metric, const metrics::DataPoint& p) {
  bool is_histogram = std::holds_alternative<metrics::HistogramValue>(p.value);
  return is_histogram == (metric.kind == metrics::MetricKind::kHistogram);
}

// Checked before writing anything, so that nothing written ever needs taking back.
bool HasEncodablePoints(const metrics::MetricData& metric) {
  for (const auto& p : metric.points) {
    if (FitsKind(metric, p)) return true;
  }
  return false;
}

bool HasEncodablePoints(const metrics::ResourceMetrics& entry) {
  for (const auto& m : entry.metrics) {
    if (HasEncodablePoints(m)) return true;
  }
  return false;
}

}  // namespace

void MetricsRequestEncoder::GroupByResource(const metrics::MetricsSnapshot& snapshot) {
  for (auto& g : groups_) g.clear();  // keep the inner vectors' capacity
  size_t used = 0;
  group_index_.clear();
  for (size_t i = 0; i < snapshot.size(); ++i) {
    if (!HasEncodablePoints(snapshot[i])) continue;
    auto [it, inserted] = group_index_.try_emplace(snapshot[i].resource.get(), used);
    if (inserted) {
      if (groups_.size() == used) groups_.emplace_back();
      ++used;
    }
    groups_[it->second].push_back(i);
  }
  groups_.resize(used);
}

void MetricsRequestEncoder::EncodeMetric(const metrics::MetricData& metric,
                                         TemporalityPreference preference) {
  if (!HasEncodablePoints(metric)) return;
  auto metric_mark = writer_.BeginNested(field::kScopeMetricsMetrics, kLengthGuess);
  writer_.Reserve(3 * WireWriter::kMaxFieldOverhead + metric.name.size() +
                  metric.description.size() + metric.unit.size());
  if (!metric.name.empty()) writer_.UncheckedBytesField(field::kMetricName, metric.name);
  if (!metric.description.empty()) {
    writer_.UncheckedBytesField(field::kMetricDescription, metric.description);
  }
  if (!metric.unit.empty()) writer_.UncheckedBytesField(field::kMetricUnit, metric.unit);

  using metrics::MetricKind;
  uint32_t data_field = metric.kind == MetricKind::kGauge       ? field::kMetricGauge
                        : metric.kind == MetricKind::kHistogram ? field::kMetricHistogram
                                                                : field::kMetricSum;
  auto data_mark = writer_.BeginNested(data_field, kLengthGuess);
  for (const auto& p : metric.points) {
    if (!FitsKind(metric, p)) continue;
    if (metric.kind == MetricKind::kHistogram) {
      EncodeHistogramPoint(writer_, p);
    } else {
      EncodeNumberPoint(writer_, p);
    }
    ++points_;
  }
  writer_.Reserve(2 * WireWriter::kMaxFieldOverhead);
  if (metric.kind != MetricKind::kGauge) {
    writer_.UncheckedVarintField(field::kAggregationTemporality,
                                 static_cast<uint64_t>(TemporalityFor(metric.kind, preference)));
  }
  if (metric.kind == MetricKind::kCounter) writer_.UncheckedVarintField(field::kSumIsMonotonic, 1);
  writer_.EndNested(data_mark);
  writer_.EndNested(metric_mark);
}

std::string_view MetricsRequestEncoder::Encode(const metrics::MetricsSnapshot& snapshot,
                                               TemporalityPreference preference) {
  writer_.Clear();
  points_ = 0;
  GroupByResource(snapshot);
  for (const auto& group : groups_) {
    auto resource_mark = writer_.BeginNested(field::kRequestResourceMetrics, kLengthGuess);
    const Resource* resource = snapshot[group.front()].resource.get();
    if (resource != nullptr) EncodeResource(writer_, field::kResourceMetricsResource, *resource);
    auto scope_mark = writer_.BeginNested(field::kResourceMetricsScopeMetrics, kLengthGuess);
    EncodeScope(writer_, field::kScopeMetricsScope);
    for (size_t entry : group) {
      for (const auto& metric : snapshot[entry].metrics) EncodeMetric(metric, preference);
    }
    writer_.EndNested(scope_mark);
    writer_.EndNested(resource_mark);
  }
  return writer_.view();
}

std::string EncodeMetricsRequest(const metrics::MetricsSnapshot& snapshot,
                                 TemporalityPreference preference) {
  MetricsRequestEncoder encoder;
  return std::string(encoder.Encode(snapshot, preference));
}

}  // namespace otelbpf::otlp
