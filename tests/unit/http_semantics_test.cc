// The HTTP conventions shared by every HTTP version: TLS decides url.scheme and the default
// port, for HTTP/1 as for HTTP/2.
#include <gtest/gtest.h>

#include <string>

#include "protocols/common/http_semantics.h"
#include "protocols/http1/http1_exchange.h"

namespace otelbpf {
namespace {

std::string StringAttr(const Span& span, std::string_view key) {
  const AttributeValue* v = FindAttribute(span.attributes, key);
  return v && std::holds_alternative<std::string>(*v) ? std::get<std::string>(*v) : "";
}

http1::Exchange Http1Get(std::string host) {
  http1::Exchange x;
  x.request.is_request = true;
  x.request.method = "GET";
  x.request.target = "/a?b=c";
  x.request.version = "1.1";
  x.request.headers = {{"Host", std::move(host)}};
  http1::Message response;
  response.status_code = 200;
  response.version = "1.1";
  x.response = response;
  return x;
}

ConnectionInfo Client(bool tls) {
  ConnectionInfo c;
  c.role = ConnectionRole::kClient;
  c.tls = tls;
  c.peer = {"192.0.2.1", 443};
  return c;
}

TEST(HttpSemanticsTest, Http1OverTlsIsHttps) {
  const Span span = http1::BuildSpan(Http1Get("api.example"), Client(true), {});
  EXPECT_EQ(StringAttr(span, "url.scheme"), "https");
  EXPECT_EQ(StringAttr(span, "url.full"), "https://api.example/a?b=c");
  EXPECT_EQ(std::get<int64_t>(*FindAttribute(span.attributes, "server.port")), 443);
}

TEST(HttpSemanticsTest, Http1InTheClearIsHttp) {
  const Span span = http1::BuildSpan(Http1Get("api.example"), Client(false), {});
  EXPECT_EQ(StringAttr(span, "url.scheme"), "http");
  EXPECT_EQ(StringAttr(span, "url.full"), "http://api.example/a?b=c");
  EXPECT_EQ(std::get<int64_t>(*FindAttribute(span.attributes, "server.port")), 80);
}

TEST(HttpSemanticsTest, KnownMethodsAreCaseSensitive) {
  EXPECT_TRUE(http::IsKnownMethod("PATCH"));
  EXPECT_FALSE(http::IsKnownMethod("get"));
  EXPECT_FALSE(http::IsKnownMethod("PURGE"));
}

}  // namespace
}  // namespace otelbpf
