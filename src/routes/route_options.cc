#include "routes/route_options.h"

#include "routes/route_matcher.h"

namespace otelbpf::routes {

std::optional<IgnoreMode> ParseIgnoreMode(std::string_view text) {
  if (text == "all") return IgnoreMode::kAll;
  if (text == "traces") return IgnoreMode::kTraces;
  if (text == "metrics") return IgnoreMode::kMetrics;
  return std::nullopt;
}

std::optional<Unmatched> ParseUnmatched(std::string_view text) {
  if (text == "unset") return Unmatched::kUnset;
  if (text == "path") return Unmatched::kPath;
  if (text == "wildcard") return Unmatched::kWildcard;
  if (text == "heuristic") return Unmatched::kHeuristic;
  return std::nullopt;
}

std::string_view Name(IgnoreMode mode) {
  switch (mode) {
    case IgnoreMode::kAll:
      return "all";
    case IgnoreMode::kTraces:
      return "traces";
    case IgnoreMode::kMetrics:
      return "metrics";
  }
  return "all";
}

std::string_view Name(Unmatched unmatched) {
  switch (unmatched) {
    case Unmatched::kUnset:
      return "unset";
    case Unmatched::kPath:
      return "path";
    case Unmatched::kWildcard:
      return "wildcard";
    case Unmatched::kHeuristic:
      return "heuristic";
  }
  return "heuristic";
}

std::vector<std::string> Validate(const RouteOptions& options) {
  std::vector<std::string> errors;
  for (const std::string& p : options.patterns) {
    if (auto e = PatternError(p)) errors.push_back("routes.patterns: " + *e);
  }
  for (const std::string& p : options.ignored_patterns) {
    if (auto e = PatternError(p)) errors.push_back("routes.ignored_patterns: " + *e);
  }
  if (options.placeholder.empty() || options.placeholder.find('/') != std::string::npos)
    errors.push_back("routes.wildcard_char: the placeholder must be non-empty and hold no '/'");
  if (options.max_templates_per_service == 0)
    errors.push_back("routes.max_templates_per_service must be at least 1");
  return errors;
}

}  // namespace otelbpf::routes
