// What the user tells otelbpf about HTTP routes (docs/configuration.md, "Routes"). The names
// follow OBI's `routes` section (OpenTelemetry eBPF Instrumentation, formerly Grafana Beyla) so a
// configuration maps key for key: routes.patterns, routes.ignored_patterns, routes.ignore_mode,
// routes.unmatched, routes.wildcard_char; plus what OBI does not have: where an unmatched
// template goes (OBI always puts it in http.route) and a hard cap per service.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace otelbpf::routes {

// routes.ignore_mode: which signals drop a request whose path matches ignored_patterns.
enum class IgnoreMode { kAll, kTraces, kMetrics };

// routes.unmatched: what a request whose path matches no pattern gets.
enum class Unmatched {
  kUnset,      // nothing: no route, no template (strict semantic conventions)
  kPath,       // the path itself (high cardinality: bounded only by max_templates_per_service)
  kWildcard,   // "/**" for every unmatched request
  kHeuristic,  // the path with ids, UUIDs, hashes and numbers replaced (path_template.h)
};

struct RouteOptions {
  // Route patterns, e.g. "/users/{id}", "/api/:version/items", "/static/*" (syntax:
  // route_matcher.h). A match sets http.route on SERVER spans and url.template on CLIENT spans.
  std::vector<std::string> patterns;
  // Paths to ignore (same syntax), e.g. "/health", "/metrics". Matched on SERVER and CLIENT spans.
  std::vector<std::string> ignored_patterns;
  IgnoreMode ignore_mode = IgnoreMode::kAll;
  Unmatched unmatched = Unmatched::kHeuristic;
  // What replaces an id-like path segment in heuristic templates. OBI's `wildcard_char: '*'`
  // maps to placeholder "*".
  std::string placeholder = "{id}";
  // false (default): the template of an unmatched path goes to url.template only, never to
  // http.route, which the semantic conventions reserve for real routes. true: it also becomes
  // the http.route of SERVER spans (OBI's behaviour).
  bool unmatched_as_route = false;
  // Distinct unmatched values (templates, or paths with unmatched=path) kept per service
  // (resource); later new ones become kOverflowTemplate and are counted. Pattern routes are
  // bounded by the configuration and never count.
  size_t max_templates_per_service = 100;
};

// The value an unmatched request gets once its service has max_templates_per_service of them.
inline constexpr std::string_view kOverflowTemplate = "/{overflow}";
// unmatched=wildcard's value (OBI's).
inline constexpr std::string_view kWildcardTemplate = "/**";

// Case-sensitive, as OBI spells them: "all", "traces", "metrics".
std::optional<IgnoreMode> ParseIgnoreMode(std::string_view text);
// "unset", "path", "wildcard", "heuristic".
std::optional<Unmatched> ParseUnmatched(std::string_view text);
std::string_view Name(IgnoreMode mode);
std::string_view Name(Unmatched unmatched);

// Every problem with `options`, one message each (a bad pattern names itself and what is wrong
// with it); empty when they are usable.
std::vector<std::string> Validate(const RouteOptions& options);

}  // namespace otelbpf::routes
