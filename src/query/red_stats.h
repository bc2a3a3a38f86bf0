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
  uint64_t count = 0;
  uint64_t errors = 0;
  double rate_per_s = 0;
  uint64_t p50_ns = 0, p90_ns = 0, p99_ns = 0;
};

// One row per (service, kind, protocol, operation); busiest first. `window_ns` divides counts
// into rates.
std::vector<RedRow> ComputeRed(const std::vector<store::StoredSpan>& spans, uint64_t window_ns);
// The nearest-rank percentile of sorted durations (p in 0..100).
uint64_t Percentile(const std::vector<uint64_t>& sorted, double p);
std::string FormatRedTable(const std::vector<RedRow>& rows);

}  // namespace otelbpf::query
