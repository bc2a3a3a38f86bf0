// The query layer: observe's filter flags, the SQL they become (run against a real store), and
// the views (lines, RED table, service graph, waterfall).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "query/filter_flags.h"
#include "query/red_stats.h"
#include "query/service_graph.h"
#include "query/span_lines.h"
#include "query/trace_waterfall.h"
#include "store/span_query.h"
#include "store/span_store.h"
#include "store/sqlite_db.h"
#include "store_test_support.h"

namespace otelbpf::query {
namespace {

using store::SpanCondition;

constexpr uint64_t kNow = 1'800'000'000'000'000'000ull;  // 2027-01-15
constexpr uint64_t kMs = 1'000'000ull;

std::optional<store::SpanFilter> Build(std::vector<FilterFlag> flags, std::string* error) {
  return BuildFilter(flags, kNow, error);
}

TEST(FilterFlagsTest, TimesDurationsAndStatusClasses) {
  EXPECT_EQ(ParseTimePoint("5m", kNow), kNow - 300'000 * kMs);
  EXPECT_EQ(ParseTimePoint("1d", kNow), kNow - 86'400'000 * kMs);
  EXPECT_EQ(ParseTimePoint("2026-12-04T05:00:00Z", kNow), 1796360400ull * 1'000'000'000ull);
  EXPECT_EQ(ParseTimePoint("2026-12-04T05:00:00.5Z", kNow),
            1796360400ull * 1'000'000'000ull + 500 * kMs);
  EXPECT_FALSE(ParseTimePoint("2026-12-04T05:00:00+01:00", kNow));  // UTC only
  EXPECT_FALSE(ParseTimePoint("yesterday", kNow));
  EXPECT_EQ(ParseDurationNs("100ms"), 100 * kMs);
  EXPECT_EQ(ParseDurationNs("250us"), 250'000u);
  EXPECT_EQ(ParseDurationNs("1.5s"), 1500 * kMs);
  EXPECT_FALSE(ParseDurationNs("10"));
  EXPECT_FALSE(ParseDurationNs("-1s"));
  EXPECT_EQ(ParseStatusRange("5+"), "500-599");
  EXPECT_EQ(ParseStatusRange("404"), "404-404");
  EXPECT_EQ(ParseStatusRange("400-499"), "400-499");
  EXPECT_FALSE(ParseStatusRange("6+"));
  EXPECT_FALSE(ParseStatusRange("499-400"));
  EXPECT_FALSE(ParseStatusRange("abc"));
}

TEST(FilterFlagsTest, RepeatsAreAlternativesAndNotNegatesTheNextFlag) {
  std::string error;
  auto f = Build({{"protocol", "http"}, {"protocol", "dns"}, {"not", ""}, {"from", "curl"},
                  {"http-method", "get"}, {"last", "7"}},
                 &error);
  ASSERT_TRUE(f) << error;
  ASSERT_EQ(f->conditions.size(), 3u);
  EXPECT_EQ(f->conditions[0].field, SpanCondition::Field::kProtocol);
  EXPECT_EQ(f->conditions[0].values, (std::vector<std::string>{"http", "dns"}));
  EXPECT_FALSE(f->conditions[0].negated);
  EXPECT_EQ(f->conditions[1].field, SpanCondition::Field::kFrom);
  EXPECT_TRUE(f->conditions[1].negated);
  EXPECT_EQ(f->conditions[2].values, (std::vector<std::string>{"GET"}));  // methods upper-cased
  EXPECT_EQ(f->last, 7u);
}

TEST(FilterFlagsTest, BadValuesNameTheFlagAndWhatItAccepts) {
  std::string error;
  EXPECT_FALSE(Build({{"http-status", "5xx"}}, &error));
  EXPECT_NE(error.find("--http-status 5xx"), std::string::npos) << error;
  EXPECT_FALSE(Build({{"pid", "12a"}}, &error));
  EXPECT_FALSE(Build({{"trace", "abc"}}, &error));
  EXPECT_FALSE(Build({{"last", "0"}}, &error));
  EXPECT_FALSE(Build({{"min-duration", "fast"}}, &error));
  EXPECT_FALSE(Build({{"kind", "producer"}}, &error));
  EXPECT_FALSE(Build({{"protocol", "http"}, {"not", ""}}, &error));
  EXPECT_NE(error.find("--not must be followed"), std::string::npos) << error;
}

// A small world in a real store (testing::WriteCurlNginxWorld): curl → nginx (both traced,
// stitched), nginx → an untraced upstream at 10.0.0.5:8080 returning 502, and one DNS lookup.
class QueryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::StoreOptions o;
    o.path = dir_.File();
    o.retention = std::chrono::seconds(0);  // the fixed times below are "old"
    o.max_spans_per_second = 0;
    store::SpanStore writer(o);
    testing::WriteCurlNginxWorld(writer, kNow);
    writer.Shutdown();
    db_ = store::OpenForReading(dir_.File());
  }

  std::vector<store::StoredSpan> Query(std::vector<FilterFlag> flags) {
    std::string error;
    auto filter = BuildFilter(flags, kNow, &error);
    EXPECT_TRUE(filter) << error;
    return filter ? store::QuerySpans(*db_, *filter) : std::vector<store::StoredSpan>{};
  }

  testing::TempStoreDir dir_;
  std::unique_ptr<store::Database> db_;
};

TEST_F(QueryStoreTest, FiltersSelectWhatTheyName) {
  EXPECT_EQ(Query({}).size(), 31u);
  EXPECT_EQ(Query({{"protocol", "dns"}}).size(), 1u);
  EXPECT_EQ(Query({{"not", ""}, {"protocol", "dns"}}).size(), 30u);
  EXPECT_EQ(Query({{"http-status", "5+"}}).size(), 6u);
  EXPECT_EQ(Query({{"not", ""}, {"http-status", "5+"}}).size(), 25u);  // the DNS span too
  EXPECT_EQ(Query({{"service", "nginx"}, {"kind", "client"}}).size(), 10u);
  EXPECT_EQ(Query({{"pid", "100"}}).size(), 11u);
  EXPECT_EQ(Query({{"exe", "ngi*"}}).size(), 20u);
  EXPECT_EQ(Query({{"http-path", "^/api/1"}}).size(), 4u);  // /api/1 and /api/10, both ends
  // curl 80, 90, 100 ms; nginx's SERVER 81, 90 ms; nginx's CLIENT 80 ms.
  EXPECT_EQ(Query({{"min-duration", "75ms"}}).size(), 6u);
  EXPECT_EQ(Query({{"errors", ""}}).size(), 6u);
  // t=10 started 10 s before now (3 spans), the DNS lookup 5 s before.
  EXPECT_EQ(Query({{"since", "10500ms"}}).size(), 3u + 1u);
  EXPECT_EQ(Query({{"last", "2"}}).back().protocol, "dns");
  EXPECT_EQ(Query({{"trace", "0000000000000000000000000000000a"}}).size(), 3u);
}

TEST_F(QueryStoreTest, FromAndToFollowTheCallDirection) {
  // curl calls: its CLIENT spans (10) and the nginx SERVER spans under them (10). DNS too.
  EXPECT_EQ(Query({{"from", "curl"}}).size(), 21u);
  // nginx is called (its SERVER spans, curl's CLIENT spans) and calls (its CLIENT spans).
  EXPECT_EQ(Query({{"to", "nginx"}}).size(), 20u);  // its SERVER spans, and curl's calls to it
  EXPECT_EQ(Query({{"from", "nginx"}}).size(), 10u);
  // The untraced upstream, by address, port and address:port.
  EXPECT_EQ(Query({{"to", "10.0.0.5"}}).size(), 20u);  // curl's and nginx's client spans
  EXPECT_EQ(Query({{"to", "10.0.0.5:8080"}}).size(), 20u);
  EXPECT_EQ(Query({{"to", "53"}}).size(), 1u);
}

TEST_F(QueryStoreTest, StitchedEndsNameEachOther) {
  const auto spans = Query({{"trace", "00000000000000000000000000000001"}});
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(CalleeOf(spans[0]), "nginx");  // curl's CLIENT span, answered by nginx
  EXPECT_EQ(CallerOf(spans[1]), "curl");   // nginx's SERVER span, called by curl
  EXPECT_EQ(CalleeOf(spans[2]), "10.0.0.5:8080");
}

TEST_F(QueryStoreTest, RedStatsPerServiceAndOperation) {
  store::SpanFilter all;
  all.with_attributes = false;
  const auto rows = ComputeRed(store::QuerySpans(*db_, all), 20'000 * kMs);
  const RedRow* nginx_backend = nullptr;
  for (const auto& r : rows)
    if (r.service == "nginx" && r.kind == "client") nginx_backend = &r;
  ASSERT_NE(nginx_backend, nullptr);
  EXPECT_EQ(nginx_backend->operation, "GET /backend");
  EXPECT_EQ(nginx_backend->count, 10u);
  EXPECT_EQ(nginx_backend->errors, 2u);
  EXPECT_DOUBLE_EQ(nginx_backend->rate_per_s, 0.5);
  EXPECT_EQ(nginx_backend->p50_ns, 40 * kMs);   // 8, 16, ... 80 ms: the 5th
  EXPECT_EQ(nginx_backend->p90_ns, 72 * kMs);
  EXPECT_EQ(nginx_backend->p99_ns, 80 * kMs);
  EXPECT_NE(FormatRedTable(rows).find("GET /backend"), std::string::npos);
}

TEST_F(QueryStoreTest, ServiceGraphCountsEachCallOnce) {
  const auto edges = ComputeGraph(store::QuerySpans(*db_, store::SpanFilter{}), 20'000 * kMs);
  std::map<std::string, GraphEdge> by_name;
  for (const auto& e : edges) by_name[e.from + ">" + e.to + ">" + e.protocol] = e;
  ASSERT_EQ(by_name.count("curl>nginx>http"), 1u);
  EXPECT_EQ(by_name["curl>nginx>http"].count, 10u);  // not 20: the SERVER ends are the same calls
  EXPECT_EQ(by_name["nginx>10.0.0.5:8080>http"].count, 10u);
  EXPECT_EQ(by_name["nginx>10.0.0.5:8080>http"].errors, 2u);
  EXPECT_EQ(by_name["curl>127.0.0.53:53>dns"].count, 1u);
  EXPECT_EQ(edges.size(), 3u);
  const std::string dot = FormatGraphDot(edges);
  EXPECT_NE(dot.find("\"curl\" -> \"nginx\""), std::string::npos) << dot;
}

TEST_F(QueryStoreTest, WaterfallNestsChildrenAndShowsRetransmits) {
  auto id = store::ParseTraceId("0000000000000000000000000000000a");
  ASSERT_TRUE(id);
  const std::string text = FormatWaterfall(store::TraceSpans(*db_, *id), 20);
  EXPECT_NE(text.find("3 spans"), std::string::npos) << text;
  EXPECT_NE(text.find("curl client http GET /api/10"), std::string::npos) << text;
  EXPECT_NE(text.find("  nginx server http GET /api/10"), std::string::npos) << text;
  EXPECT_NE(text.find("    nginx client http GET /backend"), std::string::npos) << text;
  EXPECT_NE(text.find("[2 tcp retransmits]"), std::string::npos) << text;
  EXPECT_NE(text.find("|####################|"), std::string::npos) << text;  // the root: all
}

TEST_F(QueryStoreTest, JsonLinesCarryIdsAndAttributes) {
  const auto spans = Query({{"trace", "00000000000000000000000000000001"}, {"kind", "server"}});
  ASSERT_EQ(spans.size(), 1u);
  const auto json = nlohmann::json::parse(FormatJson(spans[0]));
  EXPECT_EQ(json["trace_id"], "00000000000000000000000000000001");
  EXPECT_EQ(json["span_id"], "0000000000000002");
  EXPECT_EQ(json["parent_span_id"], "0000000000000001");
  EXPECT_EQ(json["from"], "curl");
  EXPECT_EQ(json["attributes"]["url.path"], "/api/1");
  EXPECT_EQ(json["resource"]["service.name"], "nginx");
}

}  // namespace
}  // namespace otelbpf::query

namespace otelbpf::query {
namespace {

TEST(RedStatsTest, WeightsEstimateWhatTheStoreSampledOut) {
  // Two stored spans standing for 10 calls each (the store kept a tenth of the traces) and
  // one slow span standing for itself.
  std::vector<store::StoredSpan> spans(3);
  for (auto& s : spans) {
    s.resource.service_name = "api";
    s.kind = SpanKind::kServer;
    s.protocol = "http";
    s.http_method = "GET";
    s.route = "/items";
  }
  spans[0].duration_ns = 1 * kMs, spans[0].weight = 10;
  spans[1].duration_ns = 2 * kMs, spans[1].weight = 10, spans[1].status = StatusCode::kError;
  spans[2].duration_ns = 900 * kMs, spans[2].weight = 1;
  const auto rows = ComputeRed(spans, 7'000 * kMs);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_DOUBLE_EQ(rows[0].count, 21);
  EXPECT_DOUBLE_EQ(rows[0].errors, 10);
  EXPECT_DOUBLE_EQ(rows[0].rate_per_s, 3);
  EXPECT_EQ(rows[0].p50_ns, 2 * kMs);    // cumulative weight 10, 20, 21: half is 10.5
  EXPECT_EQ(rows[0].p90_ns, 2 * kMs);    // 18.9 <= 20
  EXPECT_EQ(rows[0].p99_ns, 900 * kMs);  // 20.79 > 20
  EXPECT_EQ(FormatCount(21), "21");
  EXPECT_EQ(FormatCount(20.6), "~21");
}

}  // namespace
}  // namespace otelbpf::query
