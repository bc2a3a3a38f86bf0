#include "export/otlp/retry_policy.h"

#include <algorithm>
#include <cstdint>

namespace otelbpf::otlp {

std::chrono::milliseconds JitteredBackoff(const RetryPolicy& policy, int retry_number,
                                          std::minstd_rand& rng) {
  auto backoff = policy.initial_backoff;
  for (int i = 1; i < retry_number && backoff < policy.max_backoff; ++i) backoff *= 2;
  backoff = std::min(backoff, policy.max_backoff);
  auto ms = static_cast<uint64_t>(backoff.count());
  std::uniform_int_distribution<uint64_t> pick(ms / 2, ms);
  return std::chrono::milliseconds(pick(rng));
}

}  // namespace otelbpf::otlp
