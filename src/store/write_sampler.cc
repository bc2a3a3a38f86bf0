#include "store/write_sampler.h"

#include <cstring>

namespace otelbpf::store {

WriteSampler::Verdict WriteSampler::Admit(const TraceId& trace, uint64_t now_ns, double* weight) {
  *weight = 1.0;
  if (max_per_second_ == 0) return Verdict::kKeep;
  constexpr uint64_t kSecond = 1000000000ull;
  if (now_ns - window_start_ns_ >= kSecond) {
    // The next second keeps the share that would have fit the last one (the whole of an idle
    // gap counts as one quiet second).
    const bool consecutive = now_ns - window_start_ns_ < 2 * kSecond;
    const uint64_t rate = consecutive ? offered_ : 0;
    share_ = rate <= max_per_second_ ? 1.0
                                     : static_cast<double>(max_per_second_) / static_cast<double>(rate);
    window_start_ns_ = now_ns;
    offered_ = 0;
    kept_ = 0;
  }
  ++offered_;
  if (share_ < 1.0) {
    // Trace ids' right half is random (W3C): the same trace gets the same answer.
    uint64_t h;
    std::memcpy(&h, trace.data() + 8, sizeof h);
    if (static_cast<double>(h) >= share_ * 18446744073709551616.0) return Verdict::kSampledOut;
    *weight = 1.0 / share_;
  }
  if (kept_ >= 2ull * max_per_second_) return Verdict::kOverBudget;
  ++kept_;
  return Verdict::kKeep;
}

}  // namespace otelbpf::store
