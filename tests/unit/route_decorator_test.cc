// RouteDecorator on spans built by the real HTTP span builder: http.route vs url.template,
// span names, the unmatched modes, the per-service cap and the ignore modes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "metrics/http_measurement.h"
#include "protocols/common/http_semantics.h"
#include "routes/route_decorator.h"
#include "service_resource.h"

namespace otelbpf::routes {
namespace {

using testing_support::ServiceResource;

Span HttpSpan(SpanKind kind, std::string_view method, std::string_view target,
              const ResourcePtr& resource) {
  http::HttpCall call;
  call.method = method;
  call.target = target;
  call.authority = "shop.example:8080";
  call.protocol_version = "1.1";
  call.status_code = 200;
  ConnectionInfo c;
  c.role = kind == SpanKind::kServer ? ConnectionRole::kServer : ConnectionRole::kClient;
  c.local = {"127.0.0.1", kind == SpanKind::kServer ? uint16_t{8080} : uint16_t{40000}};
  c.peer = {"127.0.0.1", kind == SpanKind::kServer ? uint16_t{40000} : uint16_t{8080}};
  c.resource = resource;
  return http::BuildHttpSpan(call, c, SpanBuildOptions{});
}

std::string StringAttr(const Span& span, std::string_view key) {
  const AttributeValue* v = FindAttribute(span.attributes, key);
  if (v == nullptr) return "(absent)";
  const auto* s = std::get_if<std::string>(v);
  return s ? *s : "(not a string)";
}

class RouteDecoratorTest : public ::testing::Test {
 protected:
  ResourcePtr shop_ = ServiceResource("shop");
};

TEST_F(RouteDecoratorTest, MatchedServerSpanGetsHttpRouteAndItsName) {
  RouteOptions o;
  o.patterns = {"/users/{id}"};
  RouteDecorator d(o);
  Span s = HttpSpan(SpanKind::kServer, "GET", "/users/42?tab=1", shop_);
  const RouteVerdict v = d.Decorate(s);
  EXPECT_TRUE(v.traces);
  EXPECT_TRUE(v.metrics);
  EXPECT_EQ(s.name, "GET /users/{id}");
  EXPECT_EQ(StringAttr(s, "http.route"), "/users/{id}");
  EXPECT_EQ(StringAttr(s, "url.template"), "(absent)");
  EXPECT_EQ(StringAttr(s, "url.path"), "/users/42") << "the path itself is left alone";
  metrics::HttpMeasurement m;
  ASSERT_TRUE(metrics::MeasureHttpSpan(s, &m));
  EXPECT_EQ(m.key.route, "/users/{id}");
  EXPECT_EQ(m.key.url_template, "");
  EXPECT_EQ(d.counters().routes_matched, 1u);
}

TEST_F(RouteDecoratorTest, MatchedClientSpanGetsUrlTemplateNeverHttpRoute) {
  RouteOptions o;
  o.patterns = {"/users/{id}"};
  RouteDecorator d(o);
  Span s = HttpSpan(SpanKind::kClient, "DELETE", "/users/42", shop_);
  d.Decorate(s);
  EXPECT_EQ(s.name, "DELETE /users/{id}");
  EXPECT_EQ(StringAttr(s, "http.route"), "(absent)");
  EXPECT_EQ(StringAttr(s, "url.template"), "/users/{id}");
  metrics::HttpMeasurement m;
  ASSERT_TRUE(metrics::MeasureHttpSpan(s, &m));
  EXPECT_EQ(m.key.route, "");
  EXPECT_EQ(m.key.url_template, "/users/{id}");
  EXPECT_EQ(metrics::ToAttributes(metrics::HttpSeriesKey(m.key)).size(), 7u)
      << "method, status, url.template, scheme, version, server.address, server.port";
}

TEST_F(RouteDecoratorTest, UnmatchedServerSpanGetsItsTemplateInUrlTemplateOnly) {
  RouteDecorator d(RouteOptions{});  // defaults: heuristic, not as a route
  Span s = HttpSpan(SpanKind::kServer, "GET", "/orders/9912/items/3", shop_);
  d.Decorate(s);
  EXPECT_EQ(s.name, "GET") << "a SERVER span is named by a real route only";
  EXPECT_EQ(StringAttr(s, "http.route"), "(absent)");
  EXPECT_EQ(StringAttr(s, "url.template"), "/orders/{id}/items/{id}");
  metrics::HttpMeasurement m;
  ASSERT_TRUE(metrics::MeasureHttpSpan(s, &m));
  EXPECT_EQ(m.key.route, "");
  EXPECT_EQ(m.key.url_template, "/orders/{id}/items/{id}");
  EXPECT_EQ(d.counters().templated, 1u);
}

TEST_F(RouteDecoratorTest, UnmatchedClientSpanIsNamedByItsTemplate) {
  RouteDecorator d(RouteOptions{});
  Span s = HttpSpan(SpanKind::kClient, "POST", "/orders/9912", shop_);
  d.Decorate(s);
  EXPECT_EQ(s.name, "POST /orders/{id}");
  EXPECT_EQ(StringAttr(s, "url.template"), "/orders/{id}");
}

TEST_F(RouteDecoratorTest, UnmatchedAsRoutePutsTheTemplateInHttpRouteWhenAsked) {
  RouteOptions o;
  o.unmatched_as_route = true;
  RouteDecorator d(o);
  Span server = HttpSpan(SpanKind::kServer, "GET", "/orders/9912", shop_);
  d.Decorate(server);
  EXPECT_EQ(server.name, "GET /orders/{id}");
  EXPECT_EQ(StringAttr(server, "http.route"), "/orders/{id}");
  EXPECT_EQ(StringAttr(server, "url.template"), "(absent)");
  Span client = HttpSpan(SpanKind::kClient, "GET", "/orders/9912", shop_);
  d.Decorate(client);
  EXPECT_EQ(StringAttr(client, "http.route"), "(absent)") << "clients never get http.route";
  EXPECT_EQ(StringAttr(client, "url.template"), "/orders/{id}");
}

TEST_F(RouteDecoratorTest, UnmatchedModes) {
  struct Case {
    Unmatched mode;
    const char* url_template;
    const char* client_name;
  };
  const Case cases[] = {
      {Unmatched::kUnset, "(absent)", "GET"},
      {Unmatched::kPath, "/orders/9912", "GET"},  // a raw path never names a span
      {Unmatched::kWildcard, "/**", "GET /**"},
      {Unmatched::kHeuristic, "/orders/{id}", "GET /orders/{id}"},
  };
  for (const Case& c : cases) {
    RouteOptions o;
    o.unmatched = c.mode;
    RouteDecorator d(o);
    Span s = HttpSpan(SpanKind::kClient, "GET", "/orders/9912", shop_);
    d.Decorate(s);
    EXPECT_EQ(StringAttr(s, "url.template"), c.url_template) << Name(c.mode);
    EXPECT_EQ(s.name, c.client_name) << Name(c.mode);
  }
}

TEST_F(RouteDecoratorTest, UnknownMethodsAreNamedHttp) {
  RouteOptions o;
  o.patterns = {"/users/{id}"};
  RouteDecorator d(o);
  Span s = HttpSpan(SpanKind::kServer, "PURGE", "/users/1", shop_);
  d.Decorate(s);
  EXPECT_EQ(s.name, "HTTP /users/{id}");
}

TEST_F(RouteDecoratorTest, OnlyHttpSpansWithAPathAreTouched) {
  RouteOptions o;
  o.patterns = {"/*"};
  o.ignored_patterns = {"/*"};
  RouteDecorator d(o);
  Span db;
  db.family = SemanticFamily::kDb;
  db.name = "SELECT";
  db.attributes.push_back({"url.path", std::string("/x")});
  EXPECT_TRUE(d.Decorate(db).traces);
  EXPECT_EQ(db.name, "SELECT");
  EXPECT_EQ(db.attributes.size(), 1u);
  Span connect = HttpSpan(SpanKind::kClient, "CONNECT", "shop.example:443", shop_);
  const size_t before = connect.attributes.size();
  EXPECT_TRUE(d.Decorate(connect).metrics) << "no url.path: nothing to match";
  EXPECT_EQ(connect.attributes.size(), before);
  EXPECT_EQ(d.counters().ignored_spans, 0u);
}

TEST_F(RouteDecoratorTest, TemplatesPerServiceAreCappedThenOverflow) {
  RouteOptions o;
  o.patterns = {"/users/{id}"};
  o.max_templates_per_service = 3;
  RouteDecorator d(o);
  auto template_of = [&](const ResourcePtr& r, SpanKind kind, const std::string& path) {
    Span s = HttpSpan(kind, "GET", path, r);
    d.Decorate(s);
    return std::make_pair(StringAttr(s, "url.template"), s.name);
  };
  EXPECT_EQ(template_of(shop_, SpanKind::kServer, "/a/1").first, "/a/{id}");
  EXPECT_EQ(template_of(shop_, SpanKind::kServer, "/b/1").first, "/b/{id}");
  EXPECT_EQ(template_of(shop_, SpanKind::kClient, "/c").first, "/c");
  // Route patterns are bounded by the configuration: they never use the budget.
  for (int i = 0; i < 10; ++i) template_of(shop_, SpanKind::kServer, "/users/" + std::to_string(i));
  // A fourth template: the cap.
  const auto [overflowed, name] = template_of(shop_, SpanKind::kClient, "/d/1");
  EXPECT_EQ(overflowed, kOverflowTemplate);
  EXPECT_EQ(name, "GET") << "the overflow marker names no span";
  EXPECT_EQ(d.counters().templates_overflowed, 1u);
  // Templates already held stay.
  EXPECT_EQ(template_of(shop_, SpanKind::kServer, "/a/77").first, "/a/{id}");
  // Another service has its own budget.
  const ResourcePtr other = ServiceResource("other");
  EXPECT_EQ(template_of(other, SpanKind::kServer, "/d/1").first, "/d/{id}");
  EXPECT_EQ(d.counters().templates_overflowed, 1u);
  EXPECT_EQ(template_of(shop_, SpanKind::kServer, "/e/1").first, kOverflowTemplate);
  EXPECT_EQ(d.counters().templates_overflowed, 2u);
}

TEST_F(RouteDecoratorTest, OverlongValuesOverflow) {
  RouteOptions o;
  o.unmatched = Unmatched::kPath;
  RouteDecorator d(o);
  Span s = HttpSpan(SpanKind::kServer, "GET", "/" + std::string(kMaxTemplateBytes, 'a'), shop_);
  d.Decorate(s);
  EXPECT_EQ(StringAttr(s, "url.template"), kOverflowTemplate);
  EXPECT_EQ(d.counters().templates_overflowed, 1u);
}

TEST_F(RouteDecoratorTest, ServicesOfExitedProcessesAreForgotten) {
  RouteDecorator d(RouteOptions{});
  std::vector<ResourcePtr> processes;  // alive together: 64 distinct addresses
  for (int i = 0; i < 64; ++i) {
    processes.push_back(ServiceResource("s" + std::to_string(i)));
    Span s = HttpSpan(SpanKind::kServer, "GET", "/x/1", processes.back());
    d.Decorate(s);
  }
  EXPECT_EQ(d.services(), 64u);
  processes.clear();  // every one of them exited
  Span s = HttpSpan(SpanKind::kServer, "GET", "/x/1", shop_);
  d.Decorate(s);
  EXPECT_EQ(d.services(), 1u);
  EXPECT_EQ(StringAttr(s, "url.template"), "/x/{id}");
}

TEST_F(RouteDecoratorTest, IgnoreModes) {
  struct Case {
    IgnoreMode mode;
    bool traces, metrics;
  };
  const Case cases[] = {{IgnoreMode::kAll, false, false},
                        {IgnoreMode::kTraces, false, true},
                        {IgnoreMode::kMetrics, true, false}};
  for (const Case& c : cases) {
    RouteOptions o;
    o.patterns = {"/health"};
    o.ignored_patterns = {"/health", "/internal/*"};
    o.ignore_mode = c.mode;
    RouteDecorator d(o);
    for (const char* path : {"/health", "/internal/stats/1"}) {
      Span s = HttpSpan(SpanKind::kServer, "GET", path, shop_);
      const RouteVerdict v = d.Decorate(s);
      EXPECT_EQ(v.traces, c.traces) << Name(c.mode) << " " << path;
      EXPECT_EQ(v.metrics, c.metrics) << Name(c.mode) << " " << path;
    }
    Span client = HttpSpan(SpanKind::kClient, "GET", "/health", shop_);
    EXPECT_EQ(d.Decorate(client).traces, c.traces) << "client spans are matched too";
    Span kept = HttpSpan(SpanKind::kServer, "GET", "/healthz", shop_);
    const RouteVerdict v = d.Decorate(kept);
    EXPECT_TRUE(v.traces && v.metrics) << Name(c.mode);
    EXPECT_EQ(d.counters().ignored_spans, 3u);
    EXPECT_EQ(d.counters().ignored_measurements, c.metrics ? 0u : 3u);
  }
}

TEST_F(RouteDecoratorTest, AnIgnoredSpanKeptForOneSignalIsStillDecorated) {
  RouteOptions o;
  o.patterns = {"/health"};
  o.ignored_patterns = {"/health"};
  o.ignore_mode = IgnoreMode::kTraces;  // metrics still measure it, by its route
  RouteDecorator d(o);
  Span s = HttpSpan(SpanKind::kServer, "GET", "/health", shop_);
  d.Decorate(s);
  EXPECT_EQ(StringAttr(s, "http.route"), "/health");
  EXPECT_EQ(s.name, "GET /health");
}

TEST_F(RouteDecoratorTest, InvalidPatternsAreReportedAndSkipped) {
  RouteOptions o;
  o.patterns = {"/ok/{id}", "/bad/{id"};
  o.ignored_patterns = {"health"};
  std::vector<std::string> errors;
  RouteDecorator d(o, &errors);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].find("routes.patterns"), std::string::npos);
  EXPECT_NE(errors[0].find("/bad/{id"), std::string::npos);
  EXPECT_NE(errors[1].find("routes.ignored_patterns"), std::string::npos);
  Span s = HttpSpan(SpanKind::kServer, "GET", "/ok/1", shop_);
  d.Decorate(s);
  EXPECT_EQ(StringAttr(s, "http.route"), "/ok/{id}");
  EXPECT_EQ(Validate(o).size(), 2u);
}

TEST(RouteOptions, ParseOptionValuesAsObiSpellsThem) {
  EXPECT_EQ(ParseIgnoreMode("all"), IgnoreMode::kAll);
  EXPECT_EQ(ParseIgnoreMode("traces"), IgnoreMode::kTraces);
  EXPECT_EQ(ParseIgnoreMode("metrics"), IgnoreMode::kMetrics);
  EXPECT_EQ(ParseIgnoreMode("logs"), std::nullopt);
  EXPECT_EQ(ParseUnmatched("unset"), Unmatched::kUnset);
  EXPECT_EQ(ParseUnmatched("path"), Unmatched::kPath);
  EXPECT_EQ(ParseUnmatched("wildcard"), Unmatched::kWildcard);
  EXPECT_EQ(ParseUnmatched("heuristic"), Unmatched::kHeuristic);
  EXPECT_EQ(ParseUnmatched("Heuristic"), std::nullopt);
  for (Unmatched u :
       {Unmatched::kUnset, Unmatched::kPath, Unmatched::kWildcard, Unmatched::kHeuristic})
    EXPECT_EQ(ParseUnmatched(Name(u)), u);
  for (IgnoreMode m : {IgnoreMode::kAll, IgnoreMode::kTraces, IgnoreMode::kMetrics})
    EXPECT_EQ(ParseIgnoreMode(Name(m)), m);
  RouteOptions bad;
  bad.placeholder = "a/b";
  bad.max_templates_per_service = 0;
  EXPECT_EQ(Validate(bad).size(), 2u);
  EXPECT_TRUE(Validate(RouteOptions{}).empty());
}

}  // namespace
}  // namespace otelbpf::routes
