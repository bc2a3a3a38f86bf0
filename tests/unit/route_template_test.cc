// Heuristic templates of unmatched paths: which segments are ids, as a table.
#include <gtest/gtest.h>

#include <string>

#include "routes/path_template.h"

namespace otelbpf::routes {
namespace {

TEST(PathTemplate, IdLikeSegmentsBecomeThePlaceholder) {
  struct Case {
    std::string path;
    const char* expected;
  };
  const Case cases[] = {
      {"/users/8412", "/users/{id}"},
      {"/users/8412/orders/17", "/users/{id}/orders/{id}"},
      {"/page/7", "/page/{id}"},
      {"/jobs/0b3d5f7e-1c2a-4e8f-9a6b-7c5d3e1f2a4b/logs", "/jobs/{id}/logs"},
      {"/jobs/0B3D5F7E-1C2A-4E8F-9A6B-7C5D3E1F2A4B", "/jobs/{id}"},
      {"/blobs/5f1c9a2e77b04c1d", "/blobs/{id}"},                            // 16 hex digits
      {"/objects/507f1f77bcf86cd799439011", "/objects/{id}"},                // Mongo ObjectId
      {"/commit/da39a3ee5e6b4b0d3255bfef95601890afd80709", "/commit/{id}"},  // SHA-1
      {"/days/2024-05-01", "/days/{id}"},
      {"/u/user123", "/u/{id}"},
      {"/img/1234.png", "/img/{id}"},
      {"/static/app.3f9a2b1c.js", "/static/{id}"},
      {"/find/caf%C3%A9", "/find/{id}"},
      {"/u/a@b.c", "/u/{id}"},
      {"/x/k=v", "/x/{id}"},
      {"/document/d/CfMkAGbE_aivhFydEpaRafPuGWbmHfG/edit", "/document/d/{id}/edit"},
      {"/p/" + std::string(65, 'a'), "/p/{id}"},
  };
  for (const Case& c : cases) EXPECT_EQ(HeuristicTemplate(c.path), c.expected) << c.path;
}

TEST(PathTemplate, WordsVersionsAndShortMixedTokensAreKept) {
  const char* kept[] = {"/",
                        "/api/v1/users",
                        "/api/v2.1.3/users",
                        "/api/V10/items",
                        "/oauth2/token",
                        "/s3/buckets",
                        "/ipv6/routes",
                        "/en-US/docs/Web",
                        "/static/logo.png",
                        "/getUserProfileInformation",
                        "/getHTTPResponseCode",
                        "/deadbeef",  // hex letters but no digit: a word as far as we can tell
                        "/a//b",
                        "/users/",
                        "/~alice/notes",
                        "*"};
  for (const char* p : kept) EXPECT_EQ(HeuristicTemplate(p), p) << p;
}

TEST(PathTemplate, PlaceholderIsConfigurable) {
  EXPECT_EQ(HeuristicTemplate("/users/12/edit", "*"), "/users/*/edit");
  EXPECT_EQ(HeuristicTemplate("/users/12/edit", ":id"), "/users/:id/edit");
}

TEST(PathTemplate, DeepPathsAreCut) {
  std::string path, expected;
  for (size_t i = 0; i < kMaxTemplateSegments; ++i) {
    path += "/s";
    expected += "/s";
  }
  EXPECT_EQ(HeuristicTemplate(path), expected) << "exactly the limit: kept whole";
  EXPECT_EQ(HeuristicTemplate(path + "/t/u"), expected + "/**");
}

TEST(PathTemplate, Deterministic) {
  EXPECT_EQ(HeuristicTemplate("/a/123/b"), HeuristicTemplate("/a/456/b"));
  EXPECT_EQ(HeuristicTemplate("/a/123/b"), HeuristicTemplate("/a/123/b"));
}

TEST(PathTemplate, LooksLikeIdEdges) {
  EXPECT_FALSE(LooksLikeId(""));
  EXPECT_TRUE(LooksLikeId("0"));
  EXPECT_FALSE(LooksLikeId("v1"));
  EXPECT_FALSE(LooksLikeId("v1."));
  EXPECT_TRUE(LooksLikeId("v1.2.3a4"));          // not a version, 4 digits
  EXPECT_FALSE(LooksLikeId("a1b2"));             // two digits: kept
  EXPECT_TRUE(LooksLikeId("a1b2c3"));            // three: an id
  EXPECT_FALSE(LooksLikeId("abcdefabcdefab1"));  // hex, one digit, 15 long: kept
  EXPECT_TRUE(LooksLikeId("abcdefabcdefabc1"));  // 16 long: a hash
  EXPECT_TRUE(LooksLikeId(std::string(64, 'x') + "y"));
  EXPECT_FALSE(LooksLikeId(std::string(64, 'x')));
}

}  // namespace
}  // namespace otelbpf::routes
