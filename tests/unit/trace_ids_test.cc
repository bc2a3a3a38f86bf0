#include <gtest/gtest.h>

#include <set>

#include "trace/ids.h"

namespace otelbpf {
namespace {

TEST(TraceIdsTest, IdsAreValidAndDistinct) {
  IdGenerator gen;
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    TraceId t = gen.NewTraceId();
    SpanId s = gen.NewSpanId();
    EXPECT_TRUE(IsValid(t));
    EXPECT_TRUE(IsValid(s));
    EXPECT_TRUE(seen.insert(ToHex(t)).second);
  }
}

TEST(TraceIdsTest, TwoGeneratorsDiffer) {
  IdGenerator a, b;
  EXPECT_NE(ToHex(a.NewTraceId()), ToHex(b.NewTraceId()));
}

TEST(TraceIdsTest, HexIsLowercaseAndFixedWidth) {
  TraceId t{};
  t[0] = 0xAB;
  t[15] = 0x01;
  EXPECT_EQ(ToHex(t), "ab000000000000000000000000000001");
  EXPECT_FALSE(IsValid(TraceId{}));
  EXPECT_FALSE(IsValid(SpanId{}));
}

}  // namespace
}  // namespace otelbpf
