#include "metrics/attribute_selection.h"

#include <fnmatch.h>

#include <algorithm>
#include <string>
#include <unordered_map>
#include <variant>

namespace otelbpf::metrics {
namespace {

bool Matches(const std::string& pattern, std::string_view name) {
  const std::string text(name);
  return fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

bool AnyMatches(const std::vector<std::string>& patterns, std::string_view name) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return Matches(p, name); });
}

std::string Underscored(std::string_view name) {
  std::string out(name);
  std::replace(out.begin(), out.end(), '.', '_');
  return out;
}

// A text equal for equal attribute sets (the producers emit a metric's attributes in a fixed
// order, so a kept subset keeps it too), for grouping.
std::string GroupKey(const Attributes& attributes) {
  std::string key;
  for (const Attribute& a : attributes) {
    key += a.key.view();
    key += '\0';
    key += static_cast<char>('0' + a.value.index());
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>) key += v;
          else key += std::to_string(v);
        },
        a.value);
    key += '\x1e';
  }
  return key;
}

void AddInto(DataPoint* into, const DataPoint& from) {
  into->start_time_unix_nano = std::min(into->start_time_unix_nano, from.start_time_unix_nano);
  std::visit(
      [&](auto& total) {
        using T = std::decay_t<decltype(total)>;
        const T& more = std::get<T>(from.value);
        if constexpr (std::is_same_v<T, HistogramValue>) {
          if (total.bounds == more.bounds) {
            for (size_t i = 0; i < total.bucket_counts.size() && i < more.bucket_counts.size(); ++i)
              total.bucket_counts[i] += more.bucket_counts[i];
          }
          if (more.count) {
            total.min = total.count ? std::min(total.min, more.min) : more.min;
            total.max = total.count ? std::max(total.max, more.max) : more.max;
          }
          total.count += more.count;
          total.sum += more.sum;
        } else {
          total += more;
        }
      },
      into->value);
}

void SelectMetric(const AttributeSelection& selection, MetricData* metric) {
  std::vector<DataPoint> merged;
  merged.reserve(metric->points.size());
  std::unordered_map<std::string, size_t> by_attributes;  // GroupKey → index in merged
  for (DataPoint& point : metric->points) {
    Attributes kept;
    for (Attribute& a : point.attributes)
      if (Keeps(selection, a.key.view())) kept.push_back(std::move(a));
    point.attributes = std::move(kept);
    const auto [it, first] = by_attributes.try_emplace(GroupKey(point.attributes), merged.size());
    DataPoint* same = first ? nullptr : &merged[it->second];
    // Points of one metric share a value type; a histogram with other bounds is not merged.
    const bool mergeable =
        same && same->value.index() == point.value.index() &&
        (!std::holds_alternative<HistogramValue>(point.value) ||
         std::get<HistogramValue>(same->value).bounds == std::get<HistogramValue>(point.value).bounds);
    if (mergeable)
      AddInto(same, point);
    else
      merged.push_back(std::move(point));
  }
  metric->points = std::move(merged);
}

}  // namespace

const AttributeSelection* SelectionFor(const AttributeSelections& selections,
                                       std::string_view metric_name) {
  const std::string underscored = Underscored(metric_name);
  if (auto it = selections.find(std::string(metric_name)); it != selections.end()) return &it->second;
  if (auto it = selections.find(underscored); it != selections.end()) return &it->second;
  const AttributeSelection* best = nullptr;
  size_t best_length = 0;
  for (const auto& [pattern, selection] : selections) {
    if ((Matches(pattern, metric_name) || Matches(pattern, underscored)) &&
        (!best || pattern.size() > best_length)) {
      best = &selection;
      best_length = pattern.size();
    }
  }
  return best;
}

bool Keeps(const AttributeSelection& selection, std::string_view name) {
  if (!selection.include.empty() && !AnyMatches(selection.include, name)) return false;
  return !AnyMatches(selection.exclude, name);
}

void SelectAttributes(const AttributeSelections& selections, MetricsSnapshot* snapshot) {
  if (selections.empty()) return;
  for (ResourceMetrics& rm : *snapshot)
    for (MetricData& metric : rm.metrics)
      if (const AttributeSelection* selection = SelectionFor(selections, metric.name))
        SelectMetric(*selection, &metric);
}

void SelectingProducer::Collect(uint64_t now_unix_nano, MetricsSnapshot* out) {
  // The inner producer appends; only what it appended is ours to change.
  const size_t before = out->size();
  inner_->Collect(now_unix_nano, out);
  MetricsSnapshot mine(std::make_move_iterator(out->begin() + static_cast<long>(before)),
                       std::make_move_iterator(out->end()));
  out->resize(before);
  SelectAttributes(*selections_, &mine);
  for (ResourceMetrics& rm : mine) out->push_back(std::move(rm));
}

}  // namespace otelbpf::metrics
