// Route patterns, compiled once, matched per request (docs/design.md, "Routes").
//
// Syntax (OBI's, so configurations carry over): a pattern is an absolute path whose segments are
//   - literal text:            /users/list
//   - a parameter:             /users/{id}   or   /users/:id    (one whole, non-empty segment)
//   - a parameter with text:   /files/{name}.json, /v1/{name}:cancel, /@:user  (one parameter per
//                              segment; with `:` the parameter runs to the segment's end, so a
//                              `:` always starts one outside braces)
//   - `*` (or `**`):           /static/*  matches /static and anything below it; in the middle,
//                              /api/*/status, it stands for one or more segments (one per pattern)
// A trailing slash is ignored on both sides (/users/ matches /users). Patterns match the path
// only: `?` and `#` are errors. The reported route is the pattern as written.
//
// Which pattern wins when several match: the most specific, segment by segment from the left
// (a literal segment beats a parameter with text, which beats a bare parameter, which beats
// `*`), so the order of the list does not matter except between patterns of the same shape
// (/users/{id} and /users/:uid): the first one listed names the route.
//
// Cost: a trie walked once per request, no allocation (segments are views on the path); with
// a `*`, the segments after it are retried at each split, so at most (trie size x segments).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace otelbpf::routes {

// Paths with more segments match nothing (and their templates are cut, path_template.h).
inline constexpr size_t kMaxPathSegments = 64;

// Why `pattern` is not a valid route pattern (a sentence naming it), or nullopt when it is.
std::optional<std::string> PatternError(std::string_view pattern);

class RouteMatcher {
 public:
  RouteMatcher();
  ~RouteMatcher();
  RouteMatcher(RouteMatcher&&) noexcept;
  RouteMatcher& operator=(RouteMatcher&&) noexcept;

  // Compiles every valid pattern; each invalid one is skipped and its PatternError appended to
  // `errors` (may be null).
  static RouteMatcher Compile(const std::vector<std::string>& patterns,
                              std::vector<std::string>* errors);

  // The pattern `path` matches (as written in the configuration), or nullopt. `path` is
  // url.path: no query. The view lives as long as the matcher.
  std::optional<std::string_view> Find(std::string_view path) const;

  bool empty() const { return routes_.empty(); }
  size_t size() const { return routes_.size(); }

 private:
  struct Node;
  int Match(const Node& node, const std::string_view* segments, size_t count, size_t i) const;
  void Add(std::string_view pattern);

  std::unique_ptr<Node> root_;
  std::vector<std::string> routes_;
};

// Splits `path` into its segments ("/a/b/" -> a, b; "/" -> none): at most `capacity`, else
// returns SIZE_MAX. Views on `path`.
size_t SplitPath(std::string_view path, std::string_view* out, size_t capacity);

}  // namespace otelbpf::routes
