// OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG and the decisions of each sampler
// (OpenTelemetry SDK specification, trace/sdk.md "Sampling").
#include <gtest/gtest.h>

#include <cstring>

#include "map_env.h"
#include "trace/ids.h"
#include "trace/sampler.h"

namespace otelbpf {
namespace {

using test_env::MapEnv;

SamplerConfig FromEnv(test_env::EnvMap env, std::vector<std::string>* warnings = nullptr) {
  std::vector<std::string> ignored;
  return SamplerConfigFromEnv(MapEnv(std::move(env)), warnings ? warnings : &ignored);
}

// A trace id whose last 7 bytes (the 56 random bits) hold `randomness`.
TraceId WithRandomness(uint64_t randomness) {
  TraceId id{};
  id[0] = 0xab;
  for (int i = 0; i < 7; ++i) id[15 - i] = static_cast<uint8_t>(randomness >> (8 * i));
  return id;
}

TEST(SamplerConfig, DefaultIsParentBasedAlwaysOn) {
  std::vector<std::string> warnings;
  EXPECT_EQ(FromEnv({}, &warnings).kind, SamplerKind::kParentBasedAlwaysOn);
  EXPECT_EQ(FromEnv({{"OTEL_TRACES_SAMPLER", ""}}, &warnings).kind,
            SamplerKind::kParentBasedAlwaysOn);
  EXPECT_TRUE(warnings.empty());
}

TEST(SamplerConfig, EveryNameCaseInsensitive) {
  EXPECT_EQ(FromEnv({{"OTEL_TRACES_SAMPLER", "always_on"}}).kind, SamplerKind::kAlwaysOn);
  EXPECT_EQ(FromEnv({{"OTEL_TRACES_SAMPLER", "ALWAYS_OFF"}}).kind, SamplerKind::kAlwaysOff);
  EXPECT_EQ(FromEnv({{"OTEL_TRACES_SAMPLER", "traceidratio"}}).kind, SamplerKind::kTraceIdRatio);
  EXPECT_EQ(FromEnv({{"OTEL_TRACES_SAMPLER", "parentbased_always_on"}}).kind,
            SamplerKind::kParentBasedAlwaysOn);
  EXPECT_EQ(FromEnv({{"OTEL_TRACES_SAMPLER", " parentbased_always_off "}}).kind,
            SamplerKind::kParentBasedAlwaysOff);
  EXPECT_EQ(FromEnv({{"OTEL_TRACES_SAMPLER", "ParentBased_TraceIdRatio"}}).kind,
            SamplerKind::kParentBasedTraceIdRatio);
}

TEST(SamplerConfig, UnknownOrUnsupportedNameFallsBackWithWarning) {
  for (const char* name : {"sometimes", "jaeger_remote", "xray"}) {
    std::vector<std::string> warnings;
    EXPECT_EQ(FromEnv({{"OTEL_TRACES_SAMPLER", name}}, &warnings).kind,
              SamplerKind::kParentBasedAlwaysOn);
    ASSERT_EQ(warnings.size(), 1u) << name;
    EXPECT_NE(warnings[0].find(name), std::string::npos);
    EXPECT_NE(warnings[0].find("parentbased_always_on"), std::string::npos);
  }
}

TEST(SamplerConfig, RatioArgument) {
  std::vector<std::string> warnings;
  auto c = FromEnv({{"OTEL_TRACES_SAMPLER", "traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", "0.25"}},
                   &warnings);
  EXPECT_DOUBLE_EQ(c.ratio, 0.25);
  EXPECT_DOUBLE_EQ(FromEnv({{"OTEL_TRACES_SAMPLER", "traceidratio"}}).ratio, 1.0);
  EXPECT_TRUE(warnings.empty());
  EXPECT_EQ(Describe(c), "traceidratio (ratio 0.25)");
  for (const char* bad : {"abc", "1.5", "-0.1", "0.5x", "nan"}) {
    warnings.clear();
    c = FromEnv({{"OTEL_TRACES_SAMPLER", "parentbased_traceidratio"},
                 {"OTEL_TRACES_SAMPLER_ARG", bad}},
                &warnings);
    EXPECT_DOUBLE_EQ(c.ratio, 1.0) << bad;
    ASSERT_EQ(warnings.size(), 1u) << bad;
    EXPECT_NE(warnings[0].find("using 1.0"), std::string::npos);
  }
  // Samplers without an argument ignore it.
  warnings.clear();
  FromEnv({{"OTEL_TRACES_SAMPLER", "always_on"}, {"OTEL_TRACES_SAMPLER_ARG", "x"}}, &warnings);
  EXPECT_TRUE(warnings.empty());
}

TEST(Sampler, FixedSamplers) {
  const TraceId id = WithRandomness(12345);
  TraceContext unsampled_parent;
  unsampled_parent.sampled = false;
  EXPECT_TRUE(Sampler({SamplerKind::kAlwaysOn, 1}).ShouldSample(id, std::nullopt));
  EXPECT_TRUE(Sampler({SamplerKind::kAlwaysOn, 1}).ShouldSample(id, unsampled_parent));
  EXPECT_FALSE(Sampler({SamplerKind::kAlwaysOff, 1}).ShouldSample(id, std::nullopt));
  EXPECT_TRUE(Sampler({SamplerKind::kAlwaysOff, 1}).NeverSamples());
  EXPECT_FALSE(Sampler({SamplerKind::kParentBasedAlwaysOff, 1}).NeverSamples());
}

TEST(Sampler, ParentBasedFollowsTheRemoteParentsFlag) {
  const TraceId id = WithRandomness(0);  // a ratio sampler below 1 would drop it as a root
  TraceContext sampled, unsampled;
  sampled.sampled = true;
  for (SamplerKind kind : {SamplerKind::kParentBasedAlwaysOn, SamplerKind::kParentBasedAlwaysOff,
                           SamplerKind::kParentBasedTraceIdRatio}) {
    Sampler s({kind, 0.0});
    EXPECT_TRUE(s.ShouldSample(id, sampled));
    EXPECT_FALSE(s.ShouldSample(id, unsampled));
  }
  EXPECT_TRUE(Sampler({SamplerKind::kParentBasedAlwaysOn, 1}).ShouldSample(id, std::nullopt));
  EXPECT_FALSE(Sampler({SamplerKind::kParentBasedAlwaysOff, 1}).ShouldSample(id, std::nullopt));
  // A non-parent-based ratio sampler decides from the trace id alone.
  EXPECT_FALSE(Sampler({SamplerKind::kTraceIdRatio, 0.5}).ShouldSample(id, sampled));
}

TEST(Sampler, RatioComparesThe56RandomBitsWithTheRejectionThreshold) {
  const uint64_t half = uint64_t{1} << 55;  // threshold for ratio 0.5: (1 - 0.5) * 2^56
  Sampler s({SamplerKind::kTraceIdRatio, 0.5});
  EXPECT_TRUE(s.ShouldSample(WithRandomness(half), std::nullopt));
  EXPECT_FALSE(s.ShouldSample(WithRandomness(half - 1), std::nullopt));
  // The first 9 bytes do not matter.
  TraceId other = WithRandomness(half);
  std::memset(other.data(), 0x5a, 9);
  EXPECT_TRUE(s.ShouldSample(other, std::nullopt));
  // Ratio 0 never samples, ratio 1 always does.
  EXPECT_FALSE(Sampler({SamplerKind::kTraceIdRatio, 0.0})
                   .ShouldSample(WithRandomness((uint64_t{1} << 56) - 1), std::nullopt));
  EXPECT_TRUE(Sampler({SamplerKind::kTraceIdRatio, 0.0}).NeverSamples());
  EXPECT_TRUE(Sampler({SamplerKind::kTraceIdRatio, 1.0}).ShouldSample(WithRandomness(0), {}));
}

TEST(Sampler, RatioIsConsistentAndMonotonic) {
  IdGenerator ids;
  Sampler low({SamplerKind::kTraceIdRatio, 0.1}), high({SamplerKind::kTraceIdRatio, 0.3});
  int sampled_low = 0;
  for (int i = 0; i < 20000; ++i) {
    const TraceId id = ids.NewTraceId();
    const bool l = low.ShouldSample(id, std::nullopt);
    EXPECT_EQ(l, low.ShouldSample(id, std::nullopt));  // same id, same answer
    if (l) {
      EXPECT_TRUE(high.ShouldSample(id, std::nullopt));  // kept at 0.1 => kept at 0.3
    }
    sampled_low += l;
  }
  EXPECT_NEAR(sampled_low / 20000.0, 0.1, 0.015);
}

}  // namespace
}  // namespace otelbpf

namespace otelbpf {
namespace {

// The kernel's injector applies the root rule as a threshold on the trace id's last 56 bits:
// it must decide exactly as Sampler::ShouldSample does.
TEST(SamplerRootRuleTest, KernelThresholdDecidesLikeTheSampler) {
  for (SamplerKind kind : {SamplerKind::kAlwaysOn, SamplerKind::kAlwaysOff,
                           SamplerKind::kTraceIdRatio, SamplerKind::kParentBasedTraceIdRatio}) {
    Sampler sampler(SamplerConfig{kind, 0.25});
    const uint64_t threshold = sampler.RootRejectionThreshold();
    for (uint32_t i = 0; i < 2000; ++i) {
      TraceId id{};
      uint64_t r = (i * 0x9e3779b97f4a7c15ull) >> 8;  // spread over 56 bits
      for (int b = 15; b >= 9; --b, r >>= 8) id[b] = static_cast<uint8_t>(r);
      id[0] = 1;
      uint64_t randomness = 0;
      for (int b = 9; b < 16; ++b) randomness = randomness << 8 | id[b];
      ASSERT_EQ(randomness >= threshold, sampler.ShouldSample(id, std::nullopt))
          << Describe(SamplerConfig{kind, 0.25}) << " id " << i;
    }
  }
  EXPECT_TRUE(Sampler(SamplerConfig{SamplerKind::kParentBasedAlwaysOn, 1.0}).ParentBased());
  EXPECT_FALSE(Sampler(SamplerConfig{SamplerKind::kTraceIdRatio, 0.5}).ParentBased());
}

}  // namespace
}  // namespace otelbpf
