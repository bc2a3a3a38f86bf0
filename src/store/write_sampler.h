// Keeps the store's CPU bounded: writing a span costs the writer ~11 µs (docs/performance.md,
// "Store"), so under load the store keeps a share of traces instead of all spans: at most
// about `max_per_second` spans a second. The share for each second follows the rate of the
// second before it, and the choice is by trace id (the same for every span of a trace, so
// stored traces stay whole). Each kept span carries its weight (1 / share) so that `stats` and
// `map` estimate the real rates. A burst beyond twice the budget within one second is cut off
// (counted by the caller).
#pragma once

#include <cstdint>

#include "trace/span.h"

namespace otelbpf::store {

class WriteSampler {
 public:
  // 0: keep everything.
  explicit WriteSampler(uint32_t max_per_second) : max_per_second_(max_per_second) {}

  enum class Verdict { kKeep, kSampledOut, kOverBudget };
  // Called once per span, in time order. On kKeep, *weight is how many spans this one stands
  // for (1 when everything is kept).
  Verdict Admit(const TraceId& trace, uint64_t now_ns, double* weight);

  double share() const { return share_; }

 private:
  const uint32_t max_per_second_;
  uint64_t window_start_ns_ = 0;
  uint64_t offered_ = 0;  // spans offered in the current second
  uint64_t kept_ = 0;     // spans kept in the current second
  double share_ = 1.0;    // share of traces kept this second
};

}  // namespace otelbpf::store
