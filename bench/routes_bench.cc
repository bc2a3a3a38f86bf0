// Cost of routes per HTTP span (docs/design.md, "Routes"), on one core:
//
//   BM_RouteMatch        RouteMatcher::Find over 24 patterns of a typical REST service
//   BM_RouteMiss         the same for a path no pattern matches (every branch tried)
//   BM_HeuristicTemplate the template of an unmatched path with a number and a UUID
//   BM_Decorate          RouteDecorator::Decorate on a span as the HTTP builder makes it,
//                        matched (Arg 1) or templated (Arg 0); the span is copied in each
//                        iteration: BM_CopySpan is that copy alone, to subtract
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "protocols/common/http_semantics.h"
#include "routes/path_template.h"
#include "routes/route_decorator.h"
#include "routes/route_matcher.h"

namespace otelbpf::routes {
namespace {

std::vector<std::string> ServicePatterns() {
  return {"/",
          "/health",
          "/api/v1/users",
          "/api/v1/users/{id}",
          "/api/v1/users/{id}/orders",
          "/api/v1/users/{id}/orders/{order}",
          "/api/v1/users/{id}/orders/{order}/items",
          "/api/v1/users/me",
          "/api/v1/products",
          "/api/v1/products/{sku}",
          "/api/v1/products/{sku}/reviews",
          "/api/v1/carts/{cart}",
          "/api/v1/carts/{cart}/checkout",
          "/api/v1/search",
          "/api/v2/users/{id}",
          "/api/v2/products/{sku}",
          "/api/:version/status",
          "/files/{name}.json",
          "/files/{name}",
          "/static/*",
          "/admin/*",
          "/login",
          "/logout",
          "/metrics"};
}

void BM_RouteMatch(benchmark::State& state) {
  const RouteMatcher m = RouteMatcher::Compile(ServicePatterns(), nullptr);
  const std::string path = "/api/v1/users/8412/orders/77/items";
  for (auto _ : state) benchmark::DoNotOptimize(m.Find(path));
}
BENCHMARK(BM_RouteMatch);

void BM_RouteMiss(benchmark::State& state) {
  const RouteMatcher m = RouteMatcher::Compile(ServicePatterns(), nullptr);
  const std::string path = "/api/v1/users/8412/invoices/2024-05-01/pdf";
  for (auto _ : state) benchmark::DoNotOptimize(m.Find(path));
}
BENCHMARK(BM_RouteMiss);

void BM_HeuristicTemplate(benchmark::State& state) {
  const std::string path = "/api/v1/users/8412/jobs/0b3d5f7e-1c2a-4e8f-9a6b-7c5d3e1f2a4b/logs";
  for (auto _ : state) benchmark::DoNotOptimize(HeuristicTemplate(path));
}
BENCHMARK(BM_HeuristicTemplate);

Span BuiltSpan(const ResourcePtr& resource, const char* target) {
  http::HttpCall call;
  call.method = "GET";
  call.target = target;
  call.authority = "shop.example:8080";
  call.protocol_version = "1.1";
  call.status_code = 200;
  ConnectionInfo c;
  c.role = ConnectionRole::kServer;
  c.local = {"127.0.0.1", 8080};
  c.peer = {"127.0.0.1", 40000};
  c.resource = resource;
  return http::BuildHttpSpan(call, c, SpanBuildOptions{});
}

const char* Target(const benchmark::State& state) {
  return state.range(0) ? "/api/v1/users/8412/orders/77" : "/api/v1/users/8412/invoices/77";
}

void BM_CopySpan(benchmark::State& state) {
  const auto resource = std::make_shared<Resource>();
  const Span span = BuiltSpan(resource, Target(state));
  for (auto _ : state) {
    Span copy = span;
    copy.attributes.reserve(20);  // as the builder does: adding one attribute moves nothing
    benchmark::DoNotOptimize(copy);
  }
}
BENCHMARK(BM_CopySpan)->Arg(0)->Arg(1);

void BM_Decorate(benchmark::State& state) {
  const auto resource = std::make_shared<Resource>();
  RouteOptions o;
  o.patterns = ServicePatterns();
  RouteDecorator d(o);
  const Span span = BuiltSpan(resource, Target(state));
  for (auto _ : state) {
    Span copy = span;
    copy.attributes.reserve(20);
    benchmark::DoNotOptimize(d.Decorate(copy));
  }
  if (d.counters().routes_matched + d.counters().templated !=
      static_cast<uint64_t>(state.iterations()))
    state.SkipWithError("ERROR OCCURRED: spans were not decorated");
}
BENCHMARK(BM_Decorate)->Arg(0)->Arg(1);

}  // namespace
}  // namespace otelbpf::routes

BENCHMARK_MAIN();
