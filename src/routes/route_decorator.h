// Routes on HTTP spans, before metrics and trace assembly see them (docs/design.md, "Routes"):
//   - a path matching routes.ignored_patterns is withheld from traces and/or metrics
//     (routes.ignore_mode);
//   - a path matching routes.patterns gets its route: http.route on SERVER spans (span name
//     "{method} {route}"), url.template on CLIENT spans (span name "{method} {template}");
//   - any other path gets what routes.unmatched says (by default its heuristic template,
//     path_template.h) in url.template, and in http.route only when the user asked
//     (RouteOptions::unmatched_as_route); per service at most max_templates_per_service
//     distinct such values, later ones become kOverflowTemplate (counted).
//
// Not thread-safe: the capture thread owns it (SpanPipeline::OnSpan). Per span: one or two trie
// walks on url.path, one template built (the attribute's own string), one hash lookup in the
// service's set of templates; no other allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "routes/route_matcher.h"
#include "routes/route_options.h"
#include "trace/span.h"

namespace otelbpf::routes {

// Where a span may go after Decorate.
struct RouteVerdict {
  bool traces = true;   // false: trace assembly links it but it is not exported (nor its subtree)
  bool metrics = true;  // false: it feeds no metric
};

struct RouteCounters {
  uint64_t routes_matched = 0;        // spans whose path matched a route pattern
  uint64_t templated = 0;             // spans given an unmatched value (template, path, "/**")
  uint64_t ignored_spans = 0;         // spans whose path matched ignored_patterns
  uint64_t ignored_measurements = 0;  // of those, left out of metrics (ignore_mode all|metrics)
  uint64_t templates_overflowed = 0;  // unmatched values replaced by kOverflowTemplate (cap)
};

// Longer unmatched values count as overflow: no route is that long, and each service keeps up
// to max_templates_per_service of them.
inline constexpr size_t kMaxTemplateBytes = 256;

class RouteDecorator {
 public:
  // Invalid patterns are skipped, each with a message in `errors` (may be null); the rest of
  // the options are used as given (Validate them first for the other messages).
  explicit RouteDecorator(const RouteOptions& options, std::vector<std::string>* errors = nullptr);

  // Only HTTP spans (SemanticFamily::kHttp) with a url.path are touched; others pass.
  RouteVerdict Decorate(Span& span);

  const RouteCounters& counters() const { return counters_; }
  // Services (resources) with templates held now; for tests and self-checks.
  size_t services() const { return services_.size(); }

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct ServiceTemplates {
    std::weak_ptr<const Resource> resource;  // expired: its process is gone, the entry is stale
    std::unordered_set<std::string, StringHash, std::equal_to<>> values;
  };

  // `value` itself while its service has room (or already holds it), else kOverflowTemplate.
  std::string_view Admit(const ResourcePtr& resource, std::string_view value);
  ServiceTemplates& ServiceOf(const ResourcePtr& resource);
  void SweepExpired();

  RouteOptions options_;
  RouteMatcher patterns_;
  RouteMatcher ignored_;
  std::unordered_map<const Resource*, ServiceTemplates> services_;
  ServiceTemplates* last_service_ = nullptr;
  const Resource* last_key_ = nullptr;
  size_t sweep_at_ = 64;
  RouteCounters counters_;
};

}  // namespace otelbpf::routes
