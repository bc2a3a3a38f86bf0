#include "export/otlp/metrics_delta_converter.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <variant>

namespace otelbpf::otlp {
namespace {

constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();

template <typename T>
void AppendRaw(std::string* out, const T& v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof v);
}

// Length-prefixed, so that no two different attribute sets share an encoding.
void AppendString(std::string* out, std::string_view s) {
  AppendRaw(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

bool Reset(const metrics::HistogramValue& cur, const metrics::HistogramValue& base) {
  if (cur.count < base.count || cur.bounds != base.bounds ||
      cur.bucket_counts.size() != base.bucket_counts.size()) {
    return true;
  }
  for (size_t i = 0; i < cur.bucket_counts.size(); ++i) {
    if (cur.bucket_counts[i] < base.bucket_counts[i]) return true;
  }
  return false;
}

// Returns false when `value` is a reset relative to `base` (then left as is).
bool Subtract(const metrics::PointValue& base, metrics::PointValue* value) {
  if (auto* i = std::get_if<int64_t>(value)) {
    int64_t b = std::get<int64_t>(base);
    if (*i < b) return false;
    *i -= b;
    return true;
  }
  if (auto* d = std::get_if<double>(value)) {
    double b = std::get<double>(base);
    if (*d < b) return false;
    *d -= b;
    return true;
  }
  auto& h = std::get<metrics::HistogramValue>(*value);
  const auto& b = std::get<metrics::HistogramValue>(base);
  if (Reset(h, b)) return false;
  for (size_t i = 0; i < h.bucket_counts.size(); ++i) h.bucket_counts[i] -= b.bucket_counts[i];
  // A new extreme can only come from this interval's values; an unchanged one may be older.
  bool fresh = b.count == 0;
  h.min = h.count > b.count && (fresh || h.min < b.min) ? h.min : kUnknown;
  h.max = h.count > b.count && (fresh || h.max > b.max) ? h.max : kUnknown;
  h.count -= b.count;
  h.sum -= b.sum;
  return true;
}

}  // namespace

void DeltaConverter::SeriesKey(const ResourcePtr& resource, const metrics::MetricData& metric,
                               const Attributes& attributes, std::string* key) {
  key->clear();
  AppendRaw(key, reinterpret_cast<uintptr_t>(resource.get()));
  AppendString(key, metric.name);
  // Producers need not keep attributes in a fixed order: sort by key for a canonical form.
  sorted_.clear();
  for (const auto& a : attributes) sorted_.push_back(&a);
  std::sort(sorted_.begin(), sorted_.end(),
            [](const Attribute* x, const Attribute* y) { return x->key.view() < y->key.view(); });
  for (const Attribute* a : sorted_) {
    AppendString(key, a->key.view());
    key->push_back(static_cast<char>(a->value.index()));
    if (const auto* s = std::get_if<std::string>(&a->value)) {
      AppendString(key, *s);
    } else if (const auto* i = std::get_if<int64_t>(&a->value)) {
      AppendRaw(key, *i);
    } else if (const auto* d = std::get_if<double>(&a->value)) {
      AppendRaw(key, *d);
    } else {
      key->push_back(std::get<bool>(a->value) ? 1 : 0);
    }
  }
}

void DeltaConverter::ConvertPoint(const Baseline* base, metrics::DataPoint* point) {
  if (base == nullptr || base->value.index() != point->value.index() ||
      base->start_time_unix_nano != point->start_time_unix_nano) {
    return;  // new series, or restarted: its cumulative value is its first delta
  }
  metrics::PointValue delta = point->value;
  if (!Subtract(base->value, &delta)) return;  // reset: as is
  point->value = std::move(delta);
  point->start_time_unix_nano = base->time_unix_nano;
}

void DeltaConverter::Convert(metrics::MetricsSnapshot* snapshot) {
  staged_.clear();
  std::string key;
  for (auto& entry : *snapshot) {
    for (auto& metric : entry.metrics) {
      if (TemporalityFor(metric.kind, preference_) != AggregationTemporality::kDelta) continue;
      for (auto& point : metric.points) {
        SeriesKey(entry.resource, metric, point.attributes, &key);
        auto it = baselines_.find(key);
        const Baseline* base =
            it != baselines_.end() && it->second.kind == metric.kind ? &it->second : nullptr;
        staged_.push_back({key, Baseline{metric.kind, point.start_time_unix_nano,
                                         point.time_unix_nano, point.value, entry.resource}});
        ConvertPoint(base, &point);
      }
    }
  }
}

void DeltaConverter::Commit(bool exported) {
  std::unordered_map<std::string, Baseline> next;
  next.reserve(staged_.size());
  for (auto& s : staged_) {
    if (exported) {
      next.insert_or_assign(std::move(s.key), std::move(s.current));
    } else if (auto it = baselines_.find(s.key); it != baselines_.end()) {
      next.insert_or_assign(std::move(s.key), std::move(it->second));
    }
  }
  baselines_ = std::move(next);
  staged_.clear();
}

}  // namespace otelbpf::otlp
