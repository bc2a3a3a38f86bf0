// The web UI's address flag and the rule that only loopback may go without a token; the token
// check itself (header, cookie, ?token=) and the Host check against DNS rebinding.
#include <gtest/gtest.h>

#include "ui/ui_address.h"
#include "ui/ui_auth.h"

namespace otelbpf::ui {
namespace {

TEST(UiAddressTest, ParsesHostAndPortOrNone) {
  std::string error;
  auto a = ParseUiAddress("127.0.0.1:9465", &error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 9465);
  a = ParseUiAddress("[::1]:8080", &error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(FormatUiAddress(*a), "[::1]:8080");
  a = ParseUiAddress("localhost:0", &error);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(a->port, 0);
  EXPECT_FALSE(ParseUiAddress("none", &error));
  EXPECT_TRUE(error.empty());  // off, not an error
}

TEST(UiAddressTest, RejectsMalformedValuesSayingWhy) {
  std::string error;
  for (const char* bad : {"9465", "127.0.0.1", "127.0.0.1:", ":9465", "127.0.0.1:99999",
                          "127.0.0.1:http", "::1:9465", "[::1]9465", "[nothost]:80", ""}) {
    EXPECT_FALSE(ParseUiAddress(bad, &error)) << bad;
    EXPECT_NE(error.find("--ui"), std::string::npos) << bad << ": " << error;
  }
}

TEST(UiAddressTest, OnlyLoopbackGoesWithoutAToken) {
  EXPECT_TRUE(IsLoopback("127.0.0.1"));
  EXPECT_TRUE(IsLoopback("127.1.2.3"));
  EXPECT_TRUE(IsLoopback("::1"));
  EXPECT_TRUE(IsLoopback("::ffff:127.0.0.1"));
  EXPECT_TRUE(IsLoopback("localhost"));
  EXPECT_FALSE(IsLoopback("0.0.0.0"));
  EXPECT_FALSE(IsLoopback("::"));
  EXPECT_FALSE(IsLoopback("10.1.2.3"));
  EXPECT_FALSE(IsLoopback("example.com"));

  EXPECT_EQ(ValidateUiSecurity({"127.0.0.1", 9465}, ""), "");
  const std::string refused = ValidateUiSecurity({"0.0.0.0", 9465}, "");
  EXPECT_NE(refused.find("--ui-token"), std::string::npos) << refused;
  EXPECT_EQ(ValidateUiSecurity({"0.0.0.0", 9465}, "s3cret-token"), "");
  // A token that would need quoting in a cookie is refused, not mangled.
  EXPECT_NE(ValidateUiSecurity({"0.0.0.0", 9465}, "a b;c"), "");
}

TEST(UiAuthTest, HeaderCookieOrQueryToken) {
  const std::string t = "abc123";
  EXPECT_EQ(CheckToken("", "", "", ""), AuthVerdict::kAllowed);  // no token configured
  EXPECT_EQ(CheckToken(t, "", "", ""), AuthVerdict::kDenied);
  EXPECT_EQ(CheckToken(t, "Bearer abc123", "", ""), AuthVerdict::kAllowed);
  EXPECT_EQ(CheckToken(t, "Bearer abc124", "", ""), AuthVerdict::kDenied);
  EXPECT_EQ(CheckToken(t, "Basic abc123", "", ""), AuthVerdict::kDenied);
  EXPECT_EQ(CheckToken(t, "", "x=1; otelbpf_ui_token=abc123", ""), AuthVerdict::kAllowed);
  EXPECT_EQ(CheckToken(t, "", "otelbpf_ui_token=abc12", ""), AuthVerdict::kDenied);
  EXPECT_EQ(CheckToken(t, "", "other_token=abc123", ""), AuthVerdict::kDenied);
  EXPECT_EQ(CheckToken(t, "", "", "abc123"), AuthVerdict::kAllowedSetCookie);
  EXPECT_EQ(CheckToken(t, "", "", "abc"), AuthVerdict::kDenied);
  const std::string cookie = TokenCookie(t);
  EXPECT_EQ(cookie.rfind("otelbpf_ui_token=abc123;", 0), 0u) << cookie;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
}

TEST(UiAuthTest, ConstantTimeEqualsIsEquality) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("token", "token"));
  EXPECT_FALSE(ConstantTimeEquals("token", "tokem"));
  EXPECT_FALSE(ConstantTimeEquals("token", "token2"));
  EXPECT_FALSE(ConstantTimeEquals("token2", "token"));
}

TEST(UiAuthTest, HostHeaderMustNameLoopbackWithoutAToken) {
  EXPECT_TRUE(HostIsLoopback("127.0.0.1:9465"));
  EXPECT_TRUE(HostIsLoopback("localhost:9465"));
  EXPECT_TRUE(HostIsLoopback("localhost"));
  EXPECT_TRUE(HostIsLoopback("[::1]:9465"));
  EXPECT_FALSE(HostIsLoopback("attacker.example:9465"));  // DNS rebinding
  EXPECT_FALSE(HostIsLoopback(""));
  EXPECT_FALSE(HostIsLoopback("[::1"));
}

}  // namespace
}  // namespace otelbpf::ui
