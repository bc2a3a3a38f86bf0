#include "query/red_stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <tuple>

#include "query/span_lines.h"

namespace otelbpf::query {
namespace {

// The operation as a low-cardinality key: HTTP by its route or template, not its raw path.
std::string OperationKey(const store::StoredSpan& s) {
  if (!s.http_method.empty())
    return s.http_method + " " + (s.route.empty() ? s.target : s.route);
  return OperationOf(s);
}

}  // namespace

uint64_t Percentile(const std::vector<WeightedDuration>& sorted, double p) {
  if (sorted.empty()) return 0;
  double total = 0;
  for (const auto& d : sorted) total += d.weight;
  const double target = p / 100.0 * total;
  double seen = 0;
  for (const auto& d : sorted) {
    seen += d.weight;
    if (seen >= target - 1e-9) return d.ns;
  }
  return sorted.back().ns;
}

std::string FormatCount(double count) {
  const double rounded = std::round(count);
  if (std::fabs(count - rounded) < 1e-6) return std::to_string(static_cast<uint64_t>(rounded));
  return "~" + std::to_string(static_cast<uint64_t>(rounded));
}

std::vector<RedRow> ComputeRed(const std::vector<store::StoredSpan>& spans, uint64_t window_ns) {
  using Key = std::tuple<std::string, std::string, std::string, std::string>;
  std::map<Key, std::pair<RedRow, std::vector<WeightedDuration>>> groups;
  for (const auto& s : spans) {
    const std::string kind = s.kind == SpanKind::kClient ? "client" : "server";
    Key key{s.resource.service_name, kind, s.protocol, OperationKey(s)};
    auto& [row, durations] = groups[key];
    if (durations.empty()) {
      row.service = std::get<0>(key);
      row.kind = kind;
      row.protocol = s.protocol;
      row.operation = std::get<3>(key);
    }
    row.count += s.weight;
    if (s.status == StatusCode::kError) row.errors += s.weight;
    durations.push_back({s.duration_ns, s.weight});
  }
  std::vector<RedRow> out;
  const double window_s = window_ns ? static_cast<double>(window_ns) / 1e9 : 1.0;
  for (auto& [key, group] : groups) {
    auto& [row, durations] = group;
    std::sort(durations.begin(), durations.end());
    row.rate_per_s = row.count / window_s;
    row.p50_ns = Percentile(durations, 50);
    row.p90_ns = Percentile(durations, 90);
    row.p99_ns = Percentile(durations, 99);
    out.push_back(std::move(row));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const RedRow& a, const RedRow& b) { return a.count > b.count; });
  return out;
}

std::string FormatRedTable(const std::vector<RedRow>& rows) {
  std::vector<std::vector<std::string>> table = {
      {"SERVICE", "KIND", "PROTOCOL", "OPERATION", "COUNT", "RATE/s", "ERRORS", "P50", "P90",
       "P99"}};
  for (const RedRow& r : rows) {
    char rate[32], errors[32];
    std::snprintf(rate, sizeof rate, "%.2f", r.rate_per_s);
    std::snprintf(errors, sizeof errors, "%.1f%%", r.count > 0 ? 100.0 * r.errors / r.count : 0.0);
    table.push_back({r.service, r.kind, r.protocol, r.operation, FormatCount(r.count), rate,
                     errors, FormatDuration(r.p50_ns), FormatDuration(r.p90_ns),
                     FormatDuration(r.p99_ns)});
  }
  return AlignColumns(table);
}

}  // namespace otelbpf::query
