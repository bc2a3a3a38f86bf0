// How OTLP exporters retry retryable failures: exponential backoff with jitter, shared by the
// trace (BatchSpanProcessor) and metrics (OtlpMetricsExporter) exporters.
#pragma once

#include <chrono>
#include <random>

namespace otelbpf::otlp {

struct RetryPolicy {
  int max_attempts = 5;  // first try included
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{5000};
};

// At shutdown, exporters flush within min(their export timeout, this): a stop that outlasts an
// orchestrator's grace period (Kubernetes: 30 s) ends in SIGKILL and loses everything, so a dead
// or hung collector must not hold SIGTERM hostage. What cannot be sent by then is counted.
inline constexpr std::chrono::milliseconds kShutdownFlushBudget{10000};

// Delay before retry number `retry_number` (1 = first retry): initial, 2x, 4x... up to
// max_backoff, each drawn uniformly from its upper half so that many agents restarted together
// do not retry in lockstep.
std::chrono::milliseconds JitteredBackoff(const RetryPolicy& policy, int retry_number,
                                          std::minstd_rand& rng);

}  // namespace otelbpf::otlp
