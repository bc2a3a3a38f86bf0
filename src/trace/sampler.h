// Head sampling per the OpenTelemetry SDK specification (trace/sdk.md "Sampling" and the
// OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG environment variables). otelbpf decides once
// per trace, for the trace's first span on this host; every other span of it follows.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "trace/span_origin.h"

namespace otelbpf {

enum class SamplerKind : uint8_t {
  kAlwaysOn,
  kAlwaysOff,
  kTraceIdRatio,
  kParentBasedAlwaysOn,  // the specification's default
  kParentBasedAlwaysOff,
  kParentBasedTraceIdRatio,
};

struct SamplerConfig {
  SamplerKind kind = SamplerKind::kParentBasedAlwaysOn;
  double ratio = 1.0;  // the *traceidratio kinds only
};

// Same signature as otlp::EnvLookup.
using SamplerEnvLookup = std::function<std::optional<std::string>(std::string_view)>;

// From OTEL_TRACES_SAMPLER (case-insensitive; empty means unset) and OTEL_TRACES_SAMPLER_ARG.
// An unknown or unsupported sampler falls back to parentbased_always_on, a bad ratio to 1.0;
// each with a warning that says so.
SamplerConfig SamplerConfigFromEnv(const SamplerEnvLookup& env, std::vector<std::string>* warnings);

// "parentbased_traceidratio (ratio 0.25)": for the start-up log.
std::string Describe(const SamplerConfig& config);

class Sampler {
 public:
  explicit Sampler(SamplerConfig config);
  // The decision for a trace seen first here. `remote_parent`: the context the trace's first
  // span joined (its request's traceparent), if any; parent-based samplers follow its flag.
  bool ShouldSample(const TraceId& trace_id, const std::optional<TraceContext>& remote_parent) const;
  // True when no trace can ever be sampled: spans then skip assembly entirely.
  bool NeverSamples() const;
  const SamplerConfig& config() const { return config_; }
  // The root rule as a number, for the kernel's traceparent injector (bpf/propagation.bpf.h):
  // a new trace is sampled when the last 56 bits of its id are >= this. Always on: 0; always
  // off: 2^56 (no 56-bit value reaches it).
  uint64_t RootRejectionThreshold() const;
  bool ParentBased() const;

 private:
  bool RatioSamples(const TraceId& trace_id) const;
  SamplerConfig config_;
  uint64_t rejection_threshold_ = 0;  // see RatioSamples
};

}  // namespace otelbpf
