// W3C Trace Context parsing: fixtures from the specification's traceparent and tracestate
// sections (https://www.w3.org/TR/trace-context/).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "trace/ids.h"
#include "trace/traceparent.h"

namespace otelbpf {
namespace {

constexpr const char* kSpecExample = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

std::optional<TraceContext> Parse(std::string_view traceparent,
                                  std::vector<std::string_view> tracestate = {}) {
  return ParseTraceContext(traceparent, tracestate);
}

TEST(TraceparentParse, SpecExampleSampled) {
  auto c = Parse(kSpecExample);
  ASSERT_TRUE(c);
  EXPECT_EQ(ToHex(c->trace_id), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(ToHex(c->span_id), "00f067aa0ba902b7");
  EXPECT_TRUE(c->sampled);
  EXPECT_EQ(c->trace_state, "");
}

TEST(TraceparentParse, NotSampledAndUnknownFlagBitsIgnored) {
  auto c = Parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->sampled);
  c = Parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->sampled);
  c = Parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-fe");
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->sampled);
}

TEST(TraceparentParse, SurroundingWhitespaceIsNotPartOfTheValue) {
  EXPECT_TRUE(Parse(std::string(" ") + kSpecExample + "\t"));
}

TEST(TraceparentParse, MalformedValuesAreIgnored) {
  const char* bad[] = {
      "",
      "00",
      // uppercase hex is not allowed anywhere
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01",
      "0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      // all-zero ids are invalid
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
      // version ff is forbidden
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      // version 00 has exactly 55 characters
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
      "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e47366-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01",
      // wrong separators, non-hex characters
      "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01",
      "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
      "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      // two headers joined by HTTP
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01,"
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  };
  for (const char* value : bad) EXPECT_FALSE(Parse(value)) << value;
}

TEST(TraceparentParse, FutureVersionsAreReadAsVersion00) {
  auto c = Parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->sampled);
  c = Parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-will-be-like");
  ASSERT_TRUE(c);
  EXPECT_EQ(ToHex(c->span_id), "00f067aa0ba902b7");
  // ... but whatever follows the first 55 characters must start with a '-'.
  EXPECT_FALSE(Parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01.what"));
  EXPECT_FALSE(Parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0"));
  // and the ids keep their rules.
  EXPECT_FALSE(Parse("cc-00000000000000000000000000000000-00f067aa0ba902b7-01-x"));
}

TEST(TracestateParse, SpecExamplesAreKept) {
  auto c = Parse(kSpecExample, {"rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->trace_state, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  // Optional whitespace around members and empty members are allowed; the result is joined.
  EXPECT_EQ(ParseTraceState({" rojo=00f067aa0ba902b7 ,\t, congo=t61rcWkgMzE "}),
            "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  // Several tracestate headers form one list, in order.
  EXPECT_EQ(ParseTraceState({"rojo=1", "congo=2"}), "rojo=1,congo=2");
  // Multi-tenant keys: tenant (may start with a digit) @ system (at most 14 characters).
  EXPECT_EQ(ParseTraceState({"fw529a3039@dt=abc,0tenant@sys_-*/=x"}),
            "fw529a3039@dt=abc,0tenant@sys_-*/=x");
  EXPECT_EQ(ParseTraceState({""}), "");
  // Values may contain spaces inside, and any printable except ',' and '='.
  EXPECT_EQ(ParseTraceState({"k=a b!~"}), "k=a b!~");
}

TEST(TracestateParse, InvalidListIsDroppedButTraceparentKept) {
  const char* bad[] = {
      "rojo=1,rojo=2",          // duplicate key
      "Rojo=1",                 // uppercase key
      "1abc=1",                 // a simple key starts with a letter
      "rojo",                   // no '='
      "rojo=",                  // empty value
      "rojo=a=b",               // '=' in value
      "t@sys012345678901=1",    // system-id longer than 14
      "t@=1",                   // empty system-id
      "@sys=1",                 // empty tenant-id
  };
  for (const char* value : bad) {
    auto c = Parse(kSpecExample, {value});
    ASSERT_TRUE(c) << value;
    EXPECT_EQ(c->trace_state, "") << value;
  }
  // Keys: a simple key has at most 256 characters, a value at most 256.
  EXPECT_TRUE(ParseTraceState({"a" + std::string(255, 'b') + "=1"}));
  EXPECT_FALSE(ParseTraceState({"a" + std::string(256, 'b') + "=1"}));
  EXPECT_TRUE(ParseTraceState({"k=" + std::string(256, 'v')}));
  EXPECT_FALSE(ParseTraceState({"k=" + std::string(257, 'v')}));
}

TEST(TracestateParse, AtMost32Members) {
  std::string list;
  for (int i = 0; i < 32; ++i) list += (i ? ",k" : "k") + std::to_string(i) + "=v";
  EXPECT_TRUE(ParseTraceState({list}));
  EXPECT_FALSE(ParseTraceState({list + ",k32=v"}));
  // Empty members do not count.
  EXPECT_TRUE(ParseTraceState({list + ",,"}));
}

TEST(TracestateParse, NotReadWhenTraceparentIsInvalid) {
  EXPECT_FALSE(Parse("00-00000000000000000000000000000000-00f067aa0ba902b7-01", {"rojo=1"}));
}

}  // namespace
}  // namespace otelbpf
