// The web UI's API on a real store written by the real writer: each endpoint's JSON checked
// against what was written, with the filters of `otelbpf observe`; then the same through the
// real HTTP server (cpp-httplib) with its token check, Host check and embedded pages.
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "store/span_query.h"
#include "store/span_store.h"
#include "store/sqlite_db.h"
#include "store_test_support.h"
#include "ui/ui_api.h"
#include "ui/ui_assets.h"
#include "ui/ui_server.h"

namespace otelbpf::ui {
namespace {

using nlohmann::json;

constexpr uint64_t kNow = 1'800'000'000'000'000'000ull;
constexpr uint64_t kMs = 1'000'000ull;

// testing::WriteCurlNginxWorld (curl → nginx → an untraced upstream, 10 traces, the last two
// failing, the last one with TCP retransmissions; one DNS query), and connection and lookup
// events.
class UiApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::StoreOptions o;
    o.path = dir_.File();
    o.retention = std::chrono::seconds(0);  // the fixed times below are "old"
    o.max_spans_per_second = 0;
    store::SpanStore writer(o);
    testing::WriteCurlNginxWorld(writer, kNow);
    auto curl = testing::MakeResource("curl", 100);  // the same process as the world's curl
    store::NetEvent up;
    up.time_ns = kNow - 3000 * kMs;
    up.kind = "tcp_up";
    up.local_address = "127.0.0.1";
    up.local_port = 40000;
    up.peer_address = "127.0.0.1";
    up.peer_port = 8080;
    up.duration_ns = 50'000;
    up.details_json = R"({"role":"client"})";
    up.resource = curl;
    writer.RecordNetEvent(store::NetEvent(up));
    store::NetEvent lookup;
    lookup.time_ns = kNow - 2000 * kMs;
    lookup.kind = "dns_lookup";
    lookup.name = "example.com";
    lookup.duration_ns = 2 * kMs;
    lookup.resource = curl;
    writer.RecordNetEvent(std::move(lookup));
    writer.Shutdown();
    db_ = store::OpenForReading(dir_.File());
  }

  json Get(ApiResponse r, int status = 200) {
    EXPECT_EQ(r.status, status) << r.body;
    return json::parse(r.body);
  }
  json Spans(const std::string& query) {
    return Get(SpansApi(*db_, ParseQueryString(query), kNow))["spans"];
  }

  testing::TempStoreDir dir_;
  std::unique_ptr<store::Database> db_;
};

TEST(UiQueryStringTest, KeepsOrderAndDecodes) {
  const QueryParams p = ParseQueryString("since=5m&not&http-status=5%2B&q=--to+nginx&&x=a%3Db");
  ASSERT_EQ(p.size(), 5u);
  EXPECT_EQ(p[0], (std::pair<std::string, std::string>{"since", "5m"}));
  EXPECT_EQ(p[1], (std::pair<std::string, std::string>{"not", ""}));
  EXPECT_EQ(p[2].second, "5+");
  EXPECT_EQ(p[3].second, "--to nginx");
  EXPECT_EQ(p[4].second, "a=b");
  EXPECT_EQ(ParseQueryString("bad=%zz%4")[0].second, "%zz%4");  // malformed escapes kept
}

TEST(UiQueryStringTest, SplitsObserveFlagsLikeAShell) {
  QueryParams out;
  std::string error;
  ASSERT_TRUE(SplitFilterText("--protocol http  --not --http-path '^/a b/' --to=nginx --errors",
                              &out, &error))
      << error;
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0], (std::pair<std::string, std::string>{"protocol", "http"}));
  EXPECT_EQ(out[1], (std::pair<std::string, std::string>{"not", ""}));
  EXPECT_EQ(out[2], (std::pair<std::string, std::string>{"http-path", "^/a b/"}));
  EXPECT_EQ(out[3], (std::pair<std::string, std::string>{"to", "nginx"}));
  EXPECT_EQ(out[4], (std::pair<std::string, std::string>{"errors", ""}));
  out.clear();
  EXPECT_FALSE(SplitFilterText("nginx", &out, &error));
  EXPECT_FALSE(SplitFilterText("--to", &out, &error));
  EXPECT_FALSE(SplitFilterText("--http-path '^/a", &out, &error));
}

TEST_F(UiApiTest, SpanListUsesObserveFiltersNewestFirst) {
  EXPECT_EQ(Spans("since=1h").size(), 31u);
  const json all = Spans("");  // no window: the newest 200
  ASSERT_EQ(all.size(), 31u);
  EXPECT_EQ(all[0]["protocol"], "dns");  // the newest first
  EXPECT_EQ(all[0]["from"], "curl(100)");
  EXPECT_EQ(Spans("protocol=dns").size(), 1u);
  EXPECT_EQ(Spans("not&protocol=dns").size(), 30u);
}

TEST_F(UiApiTest, FilterOrderAndTypedFiltersMatchTheCommandLine) {
  EXPECT_EQ(Spans("http-status=5%2B").size(), 6u);
  EXPECT_EQ(Spans("not&http-status=5%2B").size(), 25u);
  EXPECT_EQ(Spans("q=--not+--http-status+5%2B").size(), 25u);
  EXPECT_EQ(Spans("q=" + std::string("--service nginx --kind client")).size(), 10u);
  EXPECT_EQ(Spans("to=nginx").size(), 20u);
  EXPECT_EQ(Spans("from=nginx").size(), 10u);
  EXPECT_EQ(Spans("min-duration=75ms").size(), 6u);
  EXPECT_EQ(Spans("since=10500ms").size(), 4u);  // relative to the API's clock
  EXPECT_EQ(Spans("last=2").size(), 2u);
  const json trace = Spans("trace=0000000000000000000000000000000a");
  ASSERT_EQ(trace.size(), 3u);
  // The upstream call carries its kernel context in the list too.
  bool flagged = false;
  for (const json& s : trace)
    if (s.contains("kernel")) flagged = s["kernel"]["retransmits"] == 2;
  EXPECT_TRUE(flagged) << trace.dump();
}

TEST_F(UiApiTest, BadFiltersAreBadRequestsNamingTheFlag) {
  json e = Get(SpansApi(*db_, ParseQueryString("http-status=7x"), kNow), 400);
  EXPECT_NE(e["error"].get<std::string>().find("--http-status 7x"), std::string::npos) << e;
  Get(SpansApi(*db_, ParseQueryString("protocol=dns&not"), kNow), 400);
  Get(SpansApi(*db_, ParseQueryString("colour=red"), kNow), 400);
  Get(SpansApi(*db_, ParseQueryString("http-path=%28"), kNow), 400);  // "(": a bad regex
  Get(SpansApi(*db_, ParseQueryString("q=nginx"), kNow), 400);
  // last is capped: a browser table never receives the whole store.
  EXPECT_EQ(Get(SpansApi(*db_, ParseQueryString("last=100000000"), kNow))["limit"], kMaxRows);
}

TEST_F(UiApiTest, TraceInWaterfallOrderWithKernelContext) {
  const json t = Get(TraceApi(*db_, "0000000000000000000000000000000a"));
  ASSERT_EQ(t["spans"].size(), 3u);
  EXPECT_EQ(t["spans"][0]["service"], "curl");
  EXPECT_EQ(t["spans"][0]["depth"], 0);
  EXPECT_EQ(t["spans"][1]["kind"], "server");
  EXPECT_EQ(t["spans"][1]["depth"], 1);
  const json& upstream = t["spans"][2];
  EXPECT_EQ(upstream["depth"], 2);
  EXPECT_EQ(upstream["outcome"], "502");
  EXPECT_EQ(upstream["kernel"]["retransmits"], 2);
  EXPECT_DOUBLE_EQ(upstream["kernel"]["rtt_s"].get<double>(), 0.0125);
  ASSERT_EQ(upstream["kernel"]["retransmit_events"].size(), 2u);
  EXPECT_EQ(upstream["kernel"]["retransmit_events"][0]["state"], "ESTABLISHED");
  EXPECT_EQ(upstream["attributes"]["url.path"], "/backend");
  EXPECT_EQ(t["start_ns"], t["spans"][0]["start_ns"]);
  EXPECT_EQ(t["duration_ns"], 100 * kMs);  // curl's span covers the trace

  Get(TraceApi(*db_, "00000000000000000000000000000077"), 404);
  Get(TraceApi(*db_, "not-a-trace"), 400);
}

TEST_F(UiApiTest, StatsAndMapAreTheCommandsFigures) {
  const json stats = Get(StatsApi(*db_, ParseQueryString("since=20s"), kNow));
  EXPECT_EQ(stats["window_ns"], 20'000 * kMs);
  const json* backend = nullptr;
  for (const json& r : stats["rows"])
    if (r["service"] == "nginx" && r["kind"] == "client") backend = &r;
  ASSERT_NE(backend, nullptr) << stats.dump();
  EXPECT_EQ((*backend)["operation"], "GET /backend");
  EXPECT_EQ((*backend)["count"], 10);
  EXPECT_DOUBLE_EQ((*backend)["error_pct"].get<double>(), 20.0);
  EXPECT_DOUBLE_EQ((*backend)["rate_per_s"].get<double>(), 0.5);
  EXPECT_EQ((*backend)["p99_ns"], 80 * kMs);

  const json graph = Get(MapApi(*db_, ParseQueryString("since=20s"), kNow));
  std::map<std::string, json> edges;
  for (const json& e : graph["edges"])
    edges[e["from"].get<std::string>() + ">" + e["to"].get<std::string>()] = e;
  ASSERT_EQ(edges.size(), 3u) << graph.dump();
  EXPECT_EQ(edges["curl>nginx"]["count"], 10);
  EXPECT_EQ(edges["nginx>10.0.0.5:8080"]["errors"], 2);
  EXPECT_EQ(edges["curl>127.0.0.53:53"]["protocol"], "dns");
  std::set<std::string> nodes;
  for (const json& n : graph["nodes"]) nodes.insert(n["name"]);
  EXPECT_EQ(nodes, (std::set<std::string>{"curl", "nginx", "10.0.0.5:8080", "127.0.0.53:53"}));

  // The overview is both in one read, the same figures.
  const json overview = Get(OverviewApi(*db_, ParseQueryString("since=20s"), kNow));
  EXPECT_EQ(overview["map"], graph);
  EXPECT_EQ(overview["stats"], stats);

  // The window and the service filter narrow both.
  EXPECT_EQ(Get(MapApi(*db_, ParseQueryString("since=5500ms"), kNow))["edges"].size(), 1u);
  const json curl_rows = Get(StatsApi(*db_, ParseQueryString("since=1h&service=curl"), kNow));
  ASSERT_FALSE(curl_rows["rows"].empty());
  for (const json& r : curl_rows["rows"]) EXPECT_EQ(r["service"], "curl") << r;
  Get(StatsApi(*db_, ParseQueryString("since=soon"), kNow), 400);
  Get(MapApi(*db_, ParseQueryString("window=5m"), kNow), 400);
}

TEST_F(UiApiTest, NetEventsByKindNewestFirst) {
  const json all = Get(EventsApi(*db_, ParseQueryString("since=1h"), kNow))["events"];
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]["kind"], "dns_lookup");  // newest first
  EXPECT_EQ(all[0]["name"], "example.com");
  EXPECT_EQ(all[1]["peer_port"], 8080);
  EXPECT_EQ(all[1]["details"]["role"], "client");
  EXPECT_EQ(all[1]["service"], "curl");
  EXPECT_EQ(Get(EventsApi(*db_, ParseQueryString("since=1h&kind=tcp_up"), kNow))["events"].size(),
            1u);
  EXPECT_EQ(Get(EventsApi(*db_, ParseQueryString("since=2500ms"), kNow))["events"].size(), 1u);
  Get(EventsApi(*db_, ParseQueryString("kind=udp"), kNow), 400);
  Get(EventsApi(*db_, ParseQueryString("last=0"), kNow), 400);
}

// --- the same through HTTP ---------------------------------------------------------------

class UiServerTest : public UiApiTest {
 protected:
  std::unique_ptr<UiServer> Serve(const std::string& token = "") {
    UiServerOptions o;
    o.address = {"127.0.0.1", 0};
    o.token = token;
    o.store_path = dir_.File();
    o.threads = 2;
    o.now_ns = [] { return kNow; };
    auto server = std::make_unique<UiServer>(std::move(o));
    std::string error;
    EXPECT_TRUE(server->Start(&error)) << error;
    return server;
  }
};

TEST_F(UiServerTest, ServesEmbeddedPagesAndTheApi) {
  auto server = Serve();
  httplib::Client client("127.0.0.1", server->port());
  auto page = client.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("/app.js"), std::string::npos);
  EXPECT_NE(page->get_header_value("Content-Security-Policy").find("default-src 'self'"),
            std::string::npos);
  for (const Asset& a : Assets()) {
    auto r = client.Get(std::string(a.path).c_str());
    ASSERT_TRUE(r) << a.path;
    EXPECT_EQ(r->status, 200) << a.path;
    EXPECT_EQ(r->body, a.data) << a.path;  // byte for byte what src/ui/assets holds
  }
  EXPECT_NE(FindAsset("/app.js"), nullptr);
  EXPECT_NE(FindAsset("/style.css"), nullptr);
  EXPECT_EQ(client.Get("/nothing.txt")->status, 404);
  EXPECT_EQ(client.Get("/api/nothing")->status, 404);

  // Order survives the trip: "not" applies to the filter after it.
  auto spans = client.Get("/api/spans?not&http-status=5%2B");
  ASSERT_TRUE(spans);
  EXPECT_EQ(spans->status, 200) << spans->body;
  EXPECT_EQ(json::parse(spans->body)["spans"].size(), 25u);
  EXPECT_EQ(client.Get("/api/spans?http-status=5%2B&not")->status, 400);
  auto trace = client.Get("/api/trace/0000000000000000000000000000000a");
  EXPECT_EQ(json::parse(trace->body)["spans"].size(), 3u);
  EXPECT_EQ(client.Get("/api/stats?since=1h")->status, 200);
  EXPECT_EQ(client.Get("/api/map?since=1h")->status, 200);
  EXPECT_EQ(client.Get("/api/overview?since=1h")->status, 200);
  EXPECT_EQ(client.Get("/api/events?kind=dns_lookup&since=1h")->status, 200);
  EXPECT_EQ(json::parse(client.Get("/api/status")->body)["store"], dir_.File());
}

TEST_F(UiServerTest, RefusesHostsOtherThanLoopbackWithoutAToken) {
  auto server = Serve();
  httplib::Client client("127.0.0.1", server->port());
  auto r = client.Get("/api/status", {{"Host", "rebound.example:9465"}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
}

TEST_F(UiServerTest, TokenByHeaderOrCookieFromAQueryToken) {
  auto server = Serve("s3cret");
  httplib::Client client("127.0.0.1", server->port());
  auto denied = client.Get("/api/spans");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 401);
  EXPECT_EQ(client.Get("/")->status, 401);  // pages too
  EXPECT_EQ(client.Get("/api/spans", {{"Authorization", "Bearer wrong"}})->status, 401);
  EXPECT_EQ(client.Get("/api/spans", {{"Authorization", "Bearer s3cret"}})->status, 200);
  // Any Host is fine once the token is checked (the UI is meant to be reached from elsewhere).
  EXPECT_EQ(
      client
          .Get("/api/status", {{"Authorization", "Bearer s3cret"}, {"Host", "node-7.example:9465"}})
          ->status,
      200);

  auto opened = client.Get("/?token=s3cret");  // a page: the cookie, and the token leaves the URL
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->status, 303);
  EXPECT_EQ(opened->get_header_value("Location"), "/");
  const std::string cookie = opened->get_header_value("Set-Cookie");
  EXPECT_NE(cookie.find("otelbpf_ui_token=s3cret"), std::string::npos) << cookie;
  EXPECT_EQ(client.Get("/app.js", {{"Cookie", "otelbpf_ui_token=s3cret"}})->status, 200);
  EXPECT_EQ(client.Get("/api/spans?token=s3cret")->status, 200);  // an API call just passes
}

TEST_F(UiServerTest, ABusyPortIsAnErrorNamingTheAddress) {
  auto first = Serve();
  UiServerOptions o;
  o.address = {"127.0.0.1", first->port()};
  o.store_path = dir_.File();
  UiServer second(std::move(o));
  std::string error;
  EXPECT_FALSE(second.Start(&error));
  EXPECT_NE(error.find("127.0.0.1:" + std::to_string(first->port())), std::string::npos) << error;
  EXPECT_NE(error.find("in use"), std::string::npos) << error;
}

TEST_F(UiServerTest, WithoutAStoreTheApiSaysSo) {
  UiServerOptions o;
  o.address = {"127.0.0.1", 0};
  UiServer server(std::move(o));
  std::string error;
  ASSERT_TRUE(server.Start(&error)) << error;
  httplib::Client client("127.0.0.1", server.port());
  auto r = client.Get("/api/spans");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_NE(r->body.find("--store none"), std::string::npos);
  EXPECT_EQ(client.Get("/")->status, 200);  // the page itself still loads
  server.Stop();
  server.Stop();  // idempotent
}

}  // namespace
}  // namespace otelbpf::ui
