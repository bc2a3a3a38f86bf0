#include "routes/route_matcher.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

namespace otelbpf::routes {
namespace {

// One segment of a pattern.
struct PatternSegment {
  enum class Kind { kLiteral, kParameter, kPartial, kWildcard };
  Kind kind = Kind::kLiteral;
  std::string_view prefix;  // kLiteral: the text; kPartial: literal text before the parameter
  std::string_view suffix;  // kPartial: literal text after it ({name}.json)
};

std::string Quoted(std::string_view pattern) {
  return "route pattern \"" + std::string(pattern) + "\"";
}

// Parses one segment; an error sentence (without the pattern's name) when it is invalid.
std::optional<std::string> ParseSegment(std::string_view s, PatternSegment* out) {
  *out = PatternSegment{};
  if (s == "*" || s == "**") {
    out->kind = PatternSegment::Kind::kWildcard;
    return std::nullopt;
  }
  const size_t open = s.find('{');
  if (open != std::string_view::npos) {
    const size_t close = s.find('}', open);
    if (close == std::string_view::npos)
      return "has '{' without '}' in segment \"" + std::string(s) + "\"";
    const std::string_view name = s.substr(open + 1, close - open - 1);
    if (name.empty()) return "has an empty parameter name '{}'";
    if (name.find('{') != std::string_view::npos) return "has '{' inside a parameter name";
    const std::string_view prefix = s.substr(0, open);
    const std::string_view suffix = s.substr(close + 1);
    if (prefix.find('}') != std::string_view::npos) return "has '}' without '{'";
    if (suffix.find_first_of("{}") != std::string_view::npos ||
        suffix.find('*') != std::string_view::npos || prefix.find('*') != std::string_view::npos)
      return "has more than one parameter in segment \"" + std::string(s) + "\"";
    out->kind = prefix.empty() && suffix.empty() ? PatternSegment::Kind::kParameter
                                                 : PatternSegment::Kind::kPartial;
    out->prefix = prefix;
    out->suffix = suffix;
    return std::nullopt;
  }
  if (s.find('}') != std::string_view::npos) return "has '}' without '{'";
  const size_t colon = s.find(':');
  if (colon != std::string_view::npos) {
    if (colon + 1 == s.size()) return "has an empty parameter name after ':'";
    const std::string_view prefix = s.substr(0, colon);
    if (prefix.find('*') != std::string_view::npos)
      return "has '*' inside a segment (it must be a whole segment)";
    out->kind = prefix.empty() ? PatternSegment::Kind::kParameter : PatternSegment::Kind::kPartial;
    out->prefix = prefix;
    return std::nullopt;
  }
  if (s.find('*') != std::string_view::npos)
    return "has '*' inside a segment (it must be a whole segment)";
  out->kind = PatternSegment::Kind::kLiteral;
  out->prefix = s;
  return std::nullopt;
}

// The segments of a valid pattern, or the reason it is not valid.
std::optional<std::string> ParsePattern(std::string_view pattern,
                                        std::vector<PatternSegment>* out) {
  out->clear();
  if (pattern.empty()) return "empty route pattern";
  if (pattern.front() != '/') return Quoted(pattern) + " must start with '/'";
  if (pattern.find_first_of("?#") != std::string_view::npos)
    return Quoted(pattern) + " has '?' or '#': patterns match the path only";
  std::array<std::string_view, kMaxPathSegments> segments;
  const size_t n = SplitPath(pattern, segments.data(), segments.size());
  if (n == SIZE_MAX)
    return Quoted(pattern) + " has more than " + std::to_string(kMaxPathSegments) + " segments";
  int wildcards = 0;
  for (size_t i = 0; i < n; ++i) {
    PatternSegment seg;
    if (std::optional<std::string> error = ParseSegment(segments[i], &seg))
      return Quoted(pattern) + " " + *error;
    if (seg.kind == PatternSegment::Kind::kWildcard && ++wildcards > 1)
      return Quoted(pattern) + " has more than one '*'";
    out->push_back(seg);
  }
  return std::nullopt;
}

}  // namespace

struct RouteMatcher::Node {
  struct Partial {
    std::string prefix, suffix;
    std::unique_ptr<Node> node;
    bool Matches(std::string_view segment) const {
      // The parameter takes at least one character.
      return segment.size() > prefix.size() + suffix.size() && segment.starts_with(prefix) &&
             segment.ends_with(suffix);
    }
  };
  // Literal children, searched linearly: a route tree's nodes have a handful each, and
  // comparing a few views (lengths first) beats hashing the segment (measured in
  // bench/routes_bench.cc).
  std::vector<std::pair<std::string, std::unique_ptr<Node>>> literals;
  const Node* Literal(std::string_view segment) const {
    for (const auto& [text, node] : literals)
      if (text == segment) return node.get();
    return nullptr;
  }
  std::vector<Partial> partials;  // most literal text first; same length: as listed
  std::unique_ptr<Node> parameter;
  std::unique_ptr<Node> wildcard;
  int route = -1;  // index into routes_ of the pattern that ends here
};

size_t SplitPath(std::string_view path, std::string_view* out, size_t capacity) {
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) return 0;
  size_t n = 0;
  while (true) {
    const size_t slash = path.find('/');
    if (n == capacity) return SIZE_MAX;
    out[n++] = path.substr(0, slash);
    if (slash == std::string_view::npos) return n;
    path.remove_prefix(slash + 1);
  }
}

std::optional<std::string> PatternError(std::string_view pattern) {
  std::vector<PatternSegment> segments;
  return ParsePattern(pattern, &segments);
}

RouteMatcher::RouteMatcher() : root_(std::make_unique<Node>()) {}
RouteMatcher::~RouteMatcher() = default;
RouteMatcher::RouteMatcher(RouteMatcher&&) noexcept = default;
RouteMatcher& RouteMatcher::operator=(RouteMatcher&&) noexcept = default;

RouteMatcher RouteMatcher::Compile(const std::vector<std::string>& patterns,
                                   std::vector<std::string>* errors) {
  RouteMatcher m;
  for (const std::string& p : patterns) {
    if (std::optional<std::string> error = PatternError(p)) {
      if (errors) errors->push_back(std::move(*error));
      continue;
    }
    m.Add(p);
  }
  return m;
}

void RouteMatcher::Add(std::string_view pattern) {
  std::vector<PatternSegment> segments;
  ParsePattern(pattern, &segments);  // validated by the caller
  Node* node = root_.get();
  auto child = [](std::unique_ptr<Node>& slot) -> Node* {
    if (!slot) slot = std::make_unique<Node>();
    return slot.get();
  };
  for (const PatternSegment& seg : segments) {
    switch (seg.kind) {
      case PatternSegment::Kind::kLiteral: {
        Node* next = const_cast<Node*>(node->Literal(seg.prefix));
        if (next == nullptr) {
          node->literals.emplace_back(std::string(seg.prefix), std::make_unique<Node>());
          next = node->literals.back().second.get();
        }
        node = next;
        break;
      }
      case PatternSegment::Kind::kPartial: {
        auto same =
            std::find_if(node->partials.begin(), node->partials.end(), [&](const Node::Partial& p) {
              return p.prefix == seg.prefix && p.suffix == seg.suffix;
            });
        if (same == node->partials.end()) {
          Node::Partial p{std::string(seg.prefix), std::string(seg.suffix),
                          std::make_unique<Node>()};
          // Keep the most literal text first (stable: same length keeps the listed order).
          auto at = std::find_if(
              node->partials.begin(), node->partials.end(), [&](const Node::Partial& q) {
                return q.prefix.size() + q.suffix.size() < p.prefix.size() + p.suffix.size();
              });
          same = node->partials.insert(at, std::move(p));
        }
        node = same->node.get();
        break;
      }
      case PatternSegment::Kind::kParameter:
        node = child(node->parameter);
        break;
      case PatternSegment::Kind::kWildcard:
        node = child(node->wildcard);
        break;
    }
  }
  if (node->route < 0) {  // the first pattern of a shape names it
    node->route = static_cast<int>(routes_.size());
    routes_.emplace_back(pattern);
  }
}

int RouteMatcher::Match(const Node& node, const std::string_view* segments, size_t count,
                        size_t i) const {
  if (i == count) {
    if (node.route >= 0) return node.route;
    // A trailing '*' also matches nothing at all: /static/* matches /static.
    if (node.wildcard && node.wildcard->route >= 0) return node.wildcard->route;
    return -1;
  }
  const std::string_view segment = segments[i];
  if (const Node* literal = node.Literal(segment)) {
    if (int r = Match(*literal, segments, count, i + 1); r >= 0) return r;
  }
  for (const Node::Partial& p : node.partials) {
    if (!p.Matches(segment)) continue;
    if (int r = Match(*p.node, segments, count, i + 1); r >= 0) return r;
  }
  if (node.parameter && !segment.empty()) {
    if (int r = Match(*node.parameter, segments, count, i + 1); r >= 0) return r;
  }
  if (node.wildcard) {
    const Node& w = *node.wildcard;
    // The '*' takes one or more segments: first the longest take after which the rest of the
    // pattern still matches, then (a trailing '*') everything.
    for (size_t end = count - 1; end > i; --end) {
      if (int r = Match(w, segments, count, end); r >= 0) return r;
    }
    if (w.route >= 0) return w.route;
  }
  return -1;
}

std::optional<std::string_view> RouteMatcher::Find(std::string_view path) const {
  if (routes_.empty()) return std::nullopt;
  std::array<std::string_view, kMaxPathSegments> segments;
  const size_t n = SplitPath(path, segments.data(), segments.size());
  if (n == SIZE_MAX) return std::nullopt;
  const int r = Match(*root_, segments.data(), n, 0);
  if (r < 0) return std::nullopt;
  return routes_[static_cast<size_t>(r)];
}

}  // namespace otelbpf::routes
