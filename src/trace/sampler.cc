#include "trace/sampler.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "trace/text.h"

namespace otelbpf {
namespace {

constexpr const char* kDefaultName = "parentbased_always_on";
constexpr int kRandomnessBits = 56;  // W3C Trace Context Level 2: the trace id's last 7 bytes

struct NamedKind {
  std::string_view name;
  SamplerKind kind;
};
constexpr NamedKind kKinds[] = {
    {"always_on", SamplerKind::kAlwaysOn},
    {"always_off", SamplerKind::kAlwaysOff},
    {"traceidratio", SamplerKind::kTraceIdRatio},
    {"parentbased_always_on", SamplerKind::kParentBasedAlwaysOn},
    {"parentbased_always_off", SamplerKind::kParentBasedAlwaysOff},
    {"parentbased_traceidratio", SamplerKind::kParentBasedTraceIdRatio},
};

bool TakesRatio(SamplerKind kind) {
  return kind == SamplerKind::kTraceIdRatio || kind == SamplerKind::kParentBasedTraceIdRatio;
}

bool IsParentBased(SamplerKind kind) {
  return kind == SamplerKind::kParentBasedAlwaysOn || kind == SamplerKind::kParentBasedAlwaysOff ||
         kind == SamplerKind::kParentBasedTraceIdRatio;
}

std::string Lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<double> ParseRatio(std::string_view text) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value) || value < 0 || value > 1)
    return std::nullopt;
  return value;
}

}  // namespace

SamplerConfig SamplerConfigFromEnv(const SamplerEnvLookup& env,
                                   std::vector<std::string>* warnings) {
  SamplerConfig config;
  const std::optional<std::string> raw = env("OTEL_TRACES_SAMPLER");
  const std::string name = Lowercase(TrimWhitespace(raw.value_or("")));
  if (!name.empty()) {
    auto found = std::find_if(std::begin(kKinds), std::end(kKinds),
                              [&](const NamedKind& k) { return k.name == name; });
    if (found != std::end(kKinds)) {
      config.kind = found->kind;
    } else if (warnings) {
      const bool known_elsewhere = name == "jaeger_remote" || name == "parentbased_jaeger_remote" ||
                                   name == "xray";
      warnings->push_back(fmt::format(
          "OTEL_TRACES_SAMPLER=\"{}\" is {}; using the default, {} (accepted: always_on, "
          "always_off, traceidratio, parentbased_always_on, parentbased_always_off, "
          "parentbased_traceidratio)",
          *raw, known_elsewhere ? "not supported by otelbpf" : "not a sampler name", kDefaultName));
    }
  }
  if (!TakesRatio(config.kind)) return config;
  const std::string arg(TrimWhitespace(env("OTEL_TRACES_SAMPLER_ARG").value_or("")));
  if (arg.empty()) return config;  // the specification's default ratio: 1.0
  if (std::optional<double> ratio = ParseRatio(arg)) {
    config.ratio = *ratio;
  } else if (warnings) {
    warnings->push_back(fmt::format(
        "OTEL_TRACES_SAMPLER_ARG=\"{}\" is not a sampling ratio (a number from 0 to 1); using 1.0",
        arg));
  }
  return config;
}

std::string Describe(const SamplerConfig& config) {
  auto found = std::find_if(std::begin(kKinds), std::end(kKinds),
                            [&](const NamedKind& k) { return k.kind == config.kind; });
  std::string out(found->name);
  if (TakesRatio(config.kind)) out += fmt::format(" (ratio {})", config.ratio);
  return out;
}

Sampler::Sampler(SamplerConfig config) : config_(config) {
  // OTel SDK spec, TraceIdRatioBased: the rejection threshold is (1 - ratio) * 2^56; a trace is
  // sampled when the 56 random bits at the end of its id are >= the threshold. The same id and
  // ratio give the same answer in every SDK and agent that follows the specification.
  const double scale = std::ldexp(1.0, kRandomnessBits);
  const double threshold = std::round((1.0 - config_.ratio) * scale);
  rejection_threshold_ = static_cast<uint64_t>(std::clamp(threshold, 0.0, scale));
}

bool Sampler::RatioSamples(const TraceId& trace_id) const {
  uint64_t randomness = 0;
  for (size_t i = trace_id.size() - kRandomnessBits / 8; i < trace_id.size(); ++i)
    randomness = randomness << 8 | trace_id[i];
  return randomness >= rejection_threshold_;
}

bool Sampler::ShouldSample(const TraceId& trace_id,
                           const std::optional<TraceContext>& remote_parent) const {
  // ParentBased with its default delegates: a sampled remote parent means sample, an unsampled
  // one means drop; only a root uses the root sampler.
  if (IsParentBased(config_.kind) && remote_parent) return remote_parent->sampled;
  switch (config_.kind) {
    case SamplerKind::kAlwaysOn:
    case SamplerKind::kParentBasedAlwaysOn:
      return true;
    case SamplerKind::kAlwaysOff:
    case SamplerKind::kParentBasedAlwaysOff:
      return false;
    case SamplerKind::kTraceIdRatio:
    case SamplerKind::kParentBasedTraceIdRatio:
      return RatioSamples(trace_id);
  }
  return true;
}

uint64_t Sampler::RootRejectionThreshold() const {
  switch (config_.kind) {
    case SamplerKind::kAlwaysOn:
    case SamplerKind::kParentBasedAlwaysOn:
      return 0;
    case SamplerKind::kAlwaysOff:
    case SamplerKind::kParentBasedAlwaysOff:
      return uint64_t{1} << kRandomnessBits;
    case SamplerKind::kTraceIdRatio:
    case SamplerKind::kParentBasedTraceIdRatio:
      return rejection_threshold_;
  }
  return 0;
}

bool Sampler::ParentBased() const { return IsParentBased(config_.kind); }

bool Sampler::NeverSamples() const {
  return config_.kind == SamplerKind::kAlwaysOff ||
         (config_.kind == SamplerKind::kTraceIdRatio && config_.ratio == 0.0);
}

}  // namespace otelbpf
