// Inputs text_parsers_fuzz found. OTEL_RESOURCE_ATTRIBUTES comes from the environment of any
// observed process: 256 KiB of distinct short keys made ParseResourceAttributes quadratic
// (~12 s of agent CPU per such process, a libFuzzer timeout at -max_len=262144).
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "discovery/process_registry.h"

namespace otelbpf {
namespace {

// The fuzzer's timeout input: "0=,1=,2=,..." up to the 256 KiB the registry reads of environ.
std::string ManyDistinctKeys() {
  std::string text;
  for (int i = 0; text.size() < 256 * 1024 - 32; ++i) text += std::to_string(i) + "=,";
  return text;
}

TEST(ProcessRegistryFuzzRegression, ManyDistinctResourceAttributesParseInLinearTime) {
  const std::string text = ManyDistinctKeys();
  const auto start = std::chrono::steady_clock::now();
  const Attributes attributes = ParseResourceAttributes(text);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(attributes.size(), 39032u);
  EXPECT_EQ(attributes.front().key, "0");
  EXPECT_EQ(attributes.back().key, "39031");
  // Linear: tens of milliseconds, even under ASan. Quadratic took over 10 s unsanitized; the
  // bound leaves a wide margin for a loaded CI machine.
  EXPECT_LT(elapsed, std::chrono::seconds(3));
}

TEST(ProcessRegistryFuzzRegression, DuplicateKeysKeepFirstPositionAndLastValue) {
  const Attributes attributes = ParseResourceAttributes("a=1,b=2, a =3,c=4,b=%35");
  ASSERT_EQ(attributes.size(), 3u);
  EXPECT_EQ(attributes[0].key, "a");
  EXPECT_EQ(std::get<std::string>(attributes[0].value), "3");
  EXPECT_EQ(attributes[1].key, "b");
  EXPECT_EQ(std::get<std::string>(attributes[1].value), "5");
  EXPECT_EQ(attributes[2].key, "c");
}

}  // namespace
}  // namespace otelbpf
