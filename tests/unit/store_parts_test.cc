// The store's small parts: JSON text, the trace Bloom filters, the links between stitched
// ends, and the write sampler.
#include <cmath>
#include <cstring>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "store/json_text.h"
#include "store/recent_spans.h"
#include "store/trace_bloom.h"
#include "store/write_sampler.h"

namespace otelbpf::store {
namespace {

TEST(StoreJsonText, EscapesAndParsesBack) {
  Attributes a = {{"url.path", std::string("/a\"b\\c\n\t\x01")},
                  {"n", int64_t{-42}},
                  {"rtt", 0.25},
                  {"ok", true},
                  {"utf8", std::string("caf\xC3\xA9 \xE2\x82\xAC")}};
  const auto parsed = nlohmann::json::parse(AttributesJson(a));
  EXPECT_EQ(parsed["url.path"], "/a\"b\\c\n\t\x01");
  EXPECT_EQ(parsed["n"], -42);
  EXPECT_DOUBLE_EQ(parsed["rtt"].get<double>(), 0.25);
  EXPECT_EQ(parsed["ok"], true);
  EXPECT_EQ(parsed["utf8"], "caf\xC3\xA9 \xE2\x82\xAC");
  EXPECT_EQ(AttributesJson({}), "{}");
}

TEST(StoreJsonText, InvalidUtf8BecomesReplacementCharacters) {
  // A lone continuation byte, a truncated sequence, an overlong encoding, a surrogate.
  Attributes a = {{"p", std::string("a\x80z\xC3\xE2\x82\xC0\xAF\xED\xA0\x80")}};
  const std::string text = AttributesJson(a);
  const auto parsed = nlohmann::json::parse(text);  // throws on invalid UTF-8
  const std::string p = parsed["p"];
  EXPECT_EQ(p.substr(0, 1), "a");
  EXPECT_NE(p.find("\xEF\xBF\xBD"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(AttributesJson({{"d", std::nan("")}}))["d"], nullptr);
}

TEST(StoreJsonText, Events) {
  EXPECT_EQ(EventsJson({}), "");
  const auto parsed = nlohmann::json::parse(
      EventsJson({{5, "otelbpf.tcp.retransmit", {{"otelbpf.tcp.state", std::string("ESTABLISHED")}}}}));
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed[0]["time_unix_nano"], 5);
  EXPECT_EQ(parsed[0]["name"], "otelbpf.tcp.retransmit");
  EXPECT_EQ(parsed[0]["attributes"]["otelbpf.tcp.state"], "ESTABLISHED");
}

TraceId RandomTrace(std::mt19937_64& rng) {
  TraceId id;
  for (size_t i = 0; i < id.size(); i += 8) {
    const uint64_t v = rng();
    std::memcpy(id.data() + i, &v, 8);
  }
  return id;
}

TEST(TraceBloomTest, NoFalseNegativesAndFewFalsePositives) {
  std::mt19937_64 rng(7);
  TraceBloom bloom;
  std::vector<TraceId> added;
  for (int64_t i = 0; i < kRowsPerBlock; ++i) {
    added.push_back(RandomTrace(rng));
    bloom.Add(added.back());
  }
  for (const auto& id : added) EXPECT_TRUE(bloom.MayContain(id));
  int false_positives = 0;
  for (int i = 0; i < 100000; ++i) false_positives += bloom.MayContain(RandomTrace(rng));
  EXPECT_LT(false_positives, 2000) << "more than 2 % false positives at a full block";
  // Stored and read back, it answers the same; a blob of another size scans (all ones).
  EXPECT_TRUE(TraceBloom(bloom.bytes()).MayContain(added[17]));
  EXPECT_TRUE(TraceBloom(std::string(3, '\0')).MayContain(RandomTrace(rng)));
}

Span EndOf(SpanKind kind, uint8_t trace, uint8_t id, uint8_t parent) {
  Span s;
  s.kind = kind;
  s.trace_id[15] = trace;
  s.span_id[7] = id;
  s.parent_span_id[7] = parent;
  return s;
}

TEST(RecentSpansTest, LinksBothEndsInEitherOrder) {
  RecentSpans recent(RecentSpansCapacity(2000));
  std::vector<RowUpdate> updates;
  // Client first: the server finds it, and the client's row gets its callee.
  const Span client = EndOf(SpanKind::kClient, 1, 1, 0);
  EXPECT_EQ(recent.Find(client, "curl", &updates).callee, "");
  recent.Remember(client, "curl", 10, false);
  const Span server = EndOf(SpanKind::kServer, 1, 2, 1);
  auto links = recent.Find(server, "nginx", &updates);
  EXPECT_EQ(links.caller, "curl");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].row_id, 10);
  EXPECT_FALSE(updates[0].caller);
  EXPECT_EQ(updates[0].service, "nginx");

  // Server first: it waits; the client finds it and the server's row gets its caller.
  updates.clear();
  const Span server2 = EndOf(SpanKind::kServer, 2, 2, 1);
  EXPECT_EQ(recent.Find(server2, "nginx", &updates).caller, "");
  recent.Remember(server2, "nginx", 20, false);
  const Span client2 = EndOf(SpanKind::kClient, 2, 1, 0);
  EXPECT_EQ(recent.Find(client2, "curl", &updates).callee, "nginx");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].row_id, 20);
  EXPECT_TRUE(updates[0].caller);
  EXPECT_EQ(updates[0].service, "curl");

  // Same span id in another trace: no link.
  updates.clear();
  EXPECT_EQ(recent.Find(EndOf(SpanKind::kServer, 3, 2, 1), "nginx", &updates).caller, "");
  EXPECT_TRUE(updates.empty());
}

TEST(RecentSpansTest, StaysBounded) {
  RecentSpans recent(100);
  std::vector<RowUpdate> updates;
  for (int i = 0; i < 1000; ++i) {
    Span c = EndOf(SpanKind::kClient, static_cast<uint8_t>(i), 1, 0);
    c.trace_id[0] = static_cast<uint8_t>(i >> 8);
    recent.Remember(c, "x", i, false);
  }
  EXPECT_LE(recent.size(), 100u);
}

TEST(WriteSamplerTest, KeepsEverythingUnderTheBudget) {
  WriteSampler sampler(100);
  std::mt19937_64 rng(1);
  double weight;
  for (int i = 0; i < 90; ++i)
    EXPECT_EQ(sampler.Admit(RandomTrace(rng), 1000 + i, &weight), WriteSampler::Verdict::kKeep);
  EXPECT_EQ(weight, 1.0);
}

TEST(WriteSamplerTest, AboveTheBudgetKeepsWholeTracesWithWeights) {
  constexpr uint64_t kSecond = 1000000000ull;
  WriteSampler sampler(1000);
  std::mt19937_64 rng(2);
  double weight = 0;
  // Second 0: 10 000 spans offered; the cut at twice the budget applies.
  int kept = 0;
  for (int i = 0; i < 10000; ++i)
    kept += sampler.Admit(RandomTrace(rng), kSecond + i, &weight) == WriteSampler::Verdict::kKeep;
  EXPECT_EQ(kept, 2000);
  // Second 1: the share follows the last second's rate (1000 / 10000), traces pairwise.
  kept = 0;
  double weighted = 0;
  for (int i = 0; i < 5000; ++i) {
    const TraceId trace = RandomTrace(rng);
    double w1 = 0, w2 = 0;
    const auto first = sampler.Admit(trace, 2 * kSecond + 2 * i, &w1);
    const auto second = sampler.Admit(trace, 2 * kSecond + 2 * i + 1, &w2);
    EXPECT_EQ(first, second) << "both spans of a trace get the same answer";
    if (first == WriteSampler::Verdict::kKeep) {
      kept += 2;
      weighted += w1 + w2;
      EXPECT_DOUBLE_EQ(w1, 10.0);
    }
  }
  EXPECT_NEAR(sampler.share(), 0.1, 1e-9);
  EXPECT_NEAR(kept, 1000, 150);
  EXPECT_NEAR(weighted, 10000, 1500);  // the estimate of what was offered
  // After a quiet gap everything is kept again.
  EXPECT_EQ(sampler.Admit(RandomTrace(rng), 10 * kSecond, &weight), WriteSampler::Verdict::kKeep);
  EXPECT_EQ(weight, 1.0);
}

}  // namespace
}  // namespace otelbpf::store
