// Route patterns: what is valid (and the message for what is not), and which pattern a path
// matches, as tables.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "routes/route_matcher.h"

namespace otelbpf::routes {
namespace {

TEST(RoutePattern, ValidPatterns) {
  for (const char* p : {"/", "/users", "/users/", "/users/{id}", "/users/:id",
                        "/api/:version/items", "/files/{name}.json", "/v1/{name}:cancel", "/@:user",
                        "/static/*", "/api/*/status", "/assets/**", "/a//b", "/{id:int}"}) {
    EXPECT_EQ(PatternError(p), std::nullopt) << p;
  }
}

TEST(RoutePattern, InvalidPatternsSayWhatIsWrong) {
  struct Case {
    const char* pattern;
    const char* says;
  };
  const Case cases[] = {
      {"", "empty route pattern"},
      {"users/{id}", "must start with '/'"},
      {"/users?id={id}", "path only"},
      {"/users#top", "path only"},
      {"/users/{id", "'{' without '}'"},
      {"/users/id}", "'}' without '{'"},
      {"/users/{}", "empty parameter name"},
      {"/users/:", "empty parameter name"},
      {"/users/{a}-{b}", "more than one parameter"},
      {"/files/*.json", "'*' inside a segment"},
      {"/a/*/b/*", "more than one '*'"},
  };
  for (const Case& c : cases) {
    const std::optional<std::string> error = PatternError(c.pattern);
    ASSERT_TRUE(error.has_value()) << c.pattern;
    EXPECT_NE(error->find(c.says), std::string::npos) << c.pattern << ": " << *error;
    if (*c.pattern != '\0') {
      EXPECT_NE(error->find(c.pattern), std::string::npos) << *error;
    }
  }
}

TEST(RoutePattern, CompileSkipsInvalidPatternsAndReportsEach) {
  std::vector<std::string> errors;
  const RouteMatcher m = RouteMatcher::Compile({"/ok/{id}", "bad", "/x/{"}, &errors);
  EXPECT_EQ(m.size(), 1u);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].find("\"bad\""), std::string::npos);
  EXPECT_NE(errors[1].find("\"/x/{\""), std::string::npos);
  EXPECT_EQ(m.Find("/ok/1"), "/ok/{id}");
}

struct MatchCase {
  const char* path;
  const char* route;  // nullptr: no match
};

void ExpectMatches(const std::vector<std::string>& patterns, const std::vector<MatchCase>& cases) {
  std::vector<std::string> errors;
  const RouteMatcher m = RouteMatcher::Compile(patterns, &errors);
  ASSERT_TRUE(errors.empty()) << errors[0];
  for (const MatchCase& c : cases) {
    const std::optional<std::string_view> found = m.Find(c.path);
    if (c.route == nullptr) {
      EXPECT_EQ(found, std::nullopt) << c.path << " matched " << found.value_or("");
    } else {
      EXPECT_EQ(found.value_or("(none)"), c.route) << c.path;
    }
  }
}

TEST(RouteMatcher, ParametersTakeOneNonEmptySegment) {
  ExpectMatches({"/user/{id}", "/user/{id}/basket/{product}", "/api/:version/items"},
                {{"/user/123", "/user/{id}"},
                 {"/user/456/", "/user/{id}"},
                 {"/user/123/basket/1", "/user/{id}/basket/{product}"},
                 {"/api/v2/items", "/api/:version/items"},
                 {"/user", nullptr},
                 {"/user//basket/1", nullptr},
                 {"/user/1/2", nullptr},
                 {"/users/1", nullptr},
                 {"/", nullptr}});
}

TEST(RouteMatcher, LiteralsBeatParametersWhateverTheOrder) {
  ExpectMatches({"/users/{id}", "/users/me", "/users/{id}/posts", "/users/me/{tab}"},
                {{"/users/me", "/users/me"},
                 {"/users/42", "/users/{id}"},
                 {"/users/me/posts", "/users/me/{tab}"},
                 // the literal branch fails further down: back off to the parameter
                 {"/users/me/x/y", nullptr},
                 {"/users/you/posts", "/users/{id}/posts"}});
}

TEST(RouteMatcher, BacktracksWhenTheMoreSpecificBranchFailsLater) {
  ExpectMatches({"/a/b/c", "/a/{x}/d"}, {{"/a/b/d", "/a/{x}/d"}, {"/a/b/c", "/a/b/c"}});
}

TEST(RouteMatcher, TextAroundAParameter) {
  ExpectMatches({"/files/{name}.json", "/files/{name}", "/v1/{name}:cancel", "/@:user", "/{page}"},
                {{"/files/report.json", "/files/{name}.json"},
                 {"/files/.json", "/files/{name}"},  // the parameter needs a character
                 {"/files/report.csv", "/files/{name}"},
                 {"/v1/op-7:cancel", "/v1/{name}:cancel"},
                 {"/@alice", "/@:user"},
                 {"/@", "/{page}"},
                 {"/about", "/{page}"}});
}

TEST(RouteMatcher, TheLongestTextAroundAParameterWins) {
  ExpectMatches({"/f/{n}.gz", "/f/{n}.tar.gz"},
                {{"/f/a.tar.gz", "/f/{n}.tar.gz"}, {"/f/a.gz", "/f/{n}.gz"}});
}

TEST(RouteMatcher, TrailingWildcardMatchesThePrefixAndBelow) {
  ExpectMatches({"/user/*", "/static/**"}, {{"/user", "/user/*"},
                                            {"/user/", "/user/*"},
                                            {"/user/123", "/user/*"},
                                            {"/user/123/basket/1", "/user/*"},
                                            {"/static/css/site.css", "/static/**"},
                                            {"/users", nullptr}});
}

TEST(RouteMatcher, MiddleWildcardTakesOneOrMoreSegments) {
  ExpectMatches({"/api/*/status", "/api/*"},
                {{"/api/a/status", "/api/*/status"},
                 {"/api/a/b/c/status", "/api/*/status"},
                 {"/api/status", "/api/*"},  // '*' needs a segment before /status
                 {"/api/a/b", "/api/*"}});
  ExpectMatches({"/repos/*/blob/{file}"},
                {{"/repos/o/r/blob/x.c", "/repos/*/blob/{file}"}, {"/repos/o/r/blob", nullptr}});
}

TEST(RouteMatcher, WildcardLosesToEverythingElse) {
  ExpectMatches({"/*", "/health", "/{page}"},
                {{"/health", "/health"}, {"/x", "/{page}"}, {"/x/y", "/*"}, {"/", "/*"}});
}

TEST(RouteMatcher, RootPattern) { ExpectMatches({"/"}, {{"/", "/"}, {"", "/"}, {"/x", nullptr}}); }

TEST(RouteMatcher, SameShapeFirstListedNamesTheRoute) {
  ExpectMatches({"/users/{id}", "/users/:uid"}, {{"/users/1", "/users/{id}"}});
  ExpectMatches({"/users/:uid", "/users/{id}"}, {{"/users/1", "/users/:uid"}});
}

TEST(RouteMatcher, EmptyMatcherAndTooDeepPathsMatchNothing) {
  const RouteMatcher none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.Find("/anything"), std::nullopt);
  const RouteMatcher all = RouteMatcher::Compile({"/*"}, nullptr);
  std::string deep;
  for (size_t i = 0; i < kMaxPathSegments; ++i) deep += "/a";
  EXPECT_EQ(all.Find(deep), "/*");
  EXPECT_EQ(all.Find(deep + "/a"), std::nullopt);
}

TEST(SplitPath, Segments) {
  std::string_view out[4];
  EXPECT_EQ(SplitPath("/", out, 4), 0u);
  EXPECT_EQ(SplitPath("", out, 4), 0u);
  ASSERT_EQ(SplitPath("/a//b/", out, 4), 3u);
  EXPECT_EQ(out[0], "a");
  EXPECT_EQ(out[1], "");
  EXPECT_EQ(out[2], "b");
  EXPECT_EQ(SplitPath("/a/b/c/d/e", out, 4), SIZE_MAX);
}

}  // namespace
}  // namespace otelbpf::routes
