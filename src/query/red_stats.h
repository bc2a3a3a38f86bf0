// `otelbpf stats`: rate, errors and duration (RED) per service and operation over a window,
// computed from the stored spans (exact percentiles, not histogram estimates).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/span_record.h"

namespace otelbpf::query {

struct RedRow {
  std::string service;
  std::string kind;       // "server" or "client"
  std::string protocol;
  std::string operation;  // "GET /users/{id}", "SELECT users", ...
  // Estimated calls: each stored span counts with its weight (the store keeps a share of
  // traces under load, store/write_sampler.h), so these are real rates, not stored rows.
  double count = 0;
  double errors = 0;
  double rate_per_s = 0;
  uint64_t p50_ns = 0, p90_ns = 0, p99_ns = 0;
};

// A duration and how many calls it stands for.
struct WeightedDuration {
  uint64_t ns;
  double weight;
  bool operator<(const WeightedDuration& o) const { return ns < o.ns; }
};

// One row per (service, kind, protocol, operation); busiest first. `window_ns` divides counts
// into rates.
std::vector<RedRow> ComputeRed(const std::vector<store::StoredSpan>& spans, uint64_t window_ns);
// The weighted nearest-rank percentile of sorted durations (p in 0..100): the first duration
// at which the cumulative weight reaches p % of the total.
uint64_t Percentile(const std::vector<WeightedDuration>& sorted, double p);
// Calls with a count that may be an estimate: "12" or "≈1500".
std::string FormatCount(double count);
std::string FormatRedTable(const std::vector<RedRow>& rows);

}  // namespace otelbpf::query
