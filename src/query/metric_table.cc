#include "query/metric_table.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

#include <nlohmann/json.hpp>

#include "query/span_lines.h"

namespace otelbpf::query {
namespace {

using SeriesKey = std::tuple<int64_t, std::string, std::string>;  // resource, name, attributes

SeriesKey KeyOf(const store::MetricPoint& p) {
  return {p.resource_id, p.name, p.attributes_json};
}

bool IsCumulative(metrics::MetricKind kind) {
  return kind == metrics::MetricKind::kCounter || kind == metrics::MetricKind::kHistogram;
}

// What one point counts: a histogram's observations, otherwise its value.
double Amount(const store::MetricPoint& p) {
  return p.kind == metrics::MetricKind::kHistogram ? static_cast<double>(p.count) : p.value;
}

std::string DisplayAttributes(const std::string& json) {
  const auto parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return "";
  std::string out;
  for (const auto& [key, value] : parsed.items()) {
    if (!out.empty()) out += ' ';
    out += key + "=" + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return out;
}

std::string FormatNumber(double v) {
  if (std::isinf(v)) return "+Inf";
  char buf[32];
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

}  // namespace

double BucketPercentile(const std::vector<double>& bounds, const std::vector<uint64_t>& counts,
                        double p) {
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  if (total == 0) return 0;
  const double target = std::max(1.0, std::ceil(p / 100.0 * static_cast<double>(total)));
  uint64_t cumulative = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    cumulative += counts[i];
    if (static_cast<double>(cumulative) >= target)
      return i < bounds.size() ? bounds[i] : std::numeric_limits<double>::infinity();
  }
  return std::numeric_limits<double>::infinity();
}

std::vector<MetricRow> ComputeMetricRows(const std::vector<store::MetricPoint>& window,
                                         const std::vector<store::MetricPoint>& baselines,
                                         uint64_t since_ns, uint64_t now_ns) {
  std::map<SeriesKey, const store::MetricPoint*> first, last, base;
  for (const auto& p : window) {
    first.emplace(KeyOf(p), &p);  // oldest first: emplace keeps the first
    last[KeyOf(p)] = &p;
  }
  for (const auto& p : baselines) base[KeyOf(p)] = &p;
  const double seconds = now_ns > since_ns ? static_cast<double>(now_ns - since_ns) / 1e9 : 0;

  std::vector<MetricRow> rows;
  for (const auto& [key, newest] : last) {
    MetricRow row;
    row.service = newest->service;
    row.name = newest->name;
    row.unit = newest->unit;
    row.kind = newest->kind;
    row.attributes_json = newest->attributes_json;
    row.attributes = DisplayAttributes(newest->attributes_json);
    row.value = Amount(*newest);
    if (IsCumulative(newest->kind)) {
      // Measured from the last point before the window when it belongs to the same run of the
      // series; a series that (re)started inside the window counts from zero; otherwise from
      // the window's first point (a baseline evicted: an underestimate, never more).
      const store::MetricPoint* from = nullptr;
      if (auto b = base.find(key); b != base.end() && b->second->start_ns == newest->start_ns)
        from = b->second;
      else if (newest->start_ns < since_ns && first[key]->start_ns == newest->start_ns)
        from = first[key];
      row.increase = row.value - (from ? Amount(*from) : 0);
      if (newest->kind == metrics::MetricKind::kHistogram) {
        const double sum = newest->value - (from ? from->value : 0);
        row.mean = row.increase > 0 ? sum / row.increase : 0;
        std::vector<uint64_t> counts = newest->bucket_counts;
        if (from && from->bucket_counts.size() == counts.size() && from->bounds == newest->bounds)
          for (size_t i = 0; i < counts.size(); ++i)
            counts[i] -= std::min(counts[i], from->bucket_counts[i]);
        row.p50 = BucketPercentile(newest->bounds, counts, 50);
        row.p99 = BucketPercentile(newest->bounds, counts, 99);
      }
      row.rate_per_s = seconds > 0 ? row.increase / seconds : 0;
    }
    rows.push_back(std::move(row));
  }
  std::sort(rows.begin(), rows.end(), [](const MetricRow& a, const MetricRow& b) {
    return std::tie(a.service, a.name, a.attributes) < std::tie(b.service, b.name, b.attributes);
  });
  return rows;
}

std::string FormatMetricTable(const std::vector<MetricRow>& rows) {
  std::vector<std::vector<std::string>> table = {
      {"SERVICE", "METRIC", "VALUE", "INCREASE", "RATE/s", "MEAN", "P50<=", "P99<=", "ATTRIBUTES"}};
  for (const MetricRow& r : rows) {
    const bool cumulative = IsCumulative(r.kind);
    const bool histogram = r.kind == metrics::MetricKind::kHistogram;
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.2f", r.rate_per_s);
    // Attributes last: they are the long column.
    table.push_back({r.service, r.name + (r.unit.empty() ? "" : " [" + r.unit + "]"),
                     FormatNumber(r.value), cumulative ? FormatNumber(r.increase) : "-",
                     cumulative ? rate : "-", histogram ? FormatNumber(r.mean) : "-",
                     histogram ? FormatNumber(r.p50) : "-", histogram ? FormatNumber(r.p99) : "-",
                     r.attributes.empty() ? "-" : r.attributes});
  }
  return AlignColumns(table);
}

std::string FormatMetricJson(const MetricRow& r) {
  static const char* const kKinds[] = {"counter", "updowncounter", "gauge", "histogram"};
  nlohmann::json out = {{"service", r.service},
                        {"name", r.name},
                        {"unit", r.unit},
                        {"kind", kKinds[static_cast<int>(r.kind)]},
                        {"attributes", nlohmann::json::parse(r.attributes_json, nullptr, false)},
                        {"value", r.value}};
  if (IsCumulative(r.kind)) {
    out["increase"] = r.increase;
    out["rate_per_s"] = r.rate_per_s;
  }
  if (r.kind == metrics::MetricKind::kHistogram) {
    out["mean"] = r.mean;
    // JSON has no infinity: a percentile beyond the last bound is null.
    out["p50_le"] = std::isinf(r.p50) ? nlohmann::json() : nlohmann::json(r.p50);
    out["p99_le"] = std::isinf(r.p99) ? nlohmann::json() : nlohmann::json(r.p99);
  }
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace otelbpf::query
