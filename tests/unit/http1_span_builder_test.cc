// BuildSpan: exact attribute sets, span status rules, redaction, and URL helpers.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "protocols/http1/http1_exchange.h"
#include "protocols/common/http_url.h"

namespace otelbpf::http1 {
namespace {

// The URL helpers are shared by every HTTP version (protocols/common/http_url.h).
using http::RedactQuery;
using http::SplitHostAndPort;
using http::SplitTarget;
using http::TargetParts;

using AttributeMap = std::map<std::string, AttributeValue>;

AttributeMap ToMap(const Attributes& attributes) {
  AttributeMap out;
  for (const Attribute& a : attributes) {
    EXPECT_TRUE(out.emplace(a.key, a.value).second) << "duplicate attribute " << a.key;
  }
  return out;
}

Message Request(std::string method, std::string target,
                std::vector<Header> headers = {{"Host", "example.com:8080"}}) {
  Message m;
  m.is_request = true;
  m.method = std::move(method);
  m.target = std::move(target);
  m.version = "1.1";
  m.headers = std::move(headers);
  m.first_byte_ns = 1000;
  m.last_byte_ns = 1500;
  return m;
}

Message Response(int status, uint64_t body_bytes = 0) {
  Message m;
  m.status_code = status;
  m.version = "1.1";
  m.body_bytes = body_bytes;
  m.first_byte_ns = 2000;
  m.last_byte_ns = 2600;
  return m;
}

ConnectionInfo Connection(ConnectionRole role) {
  ConnectionInfo c;
  c.pid = 42;
  c.fd = 7;
  c.role = role;
  c.local =
      role == ConnectionRole::kServer ? Endpoint{"10.0.0.1", 8080} : Endpoint{"10.0.0.2", 54321};
  c.peer =
      role == ConnectionRole::kServer ? Endpoint{"10.0.0.2", 54321} : Endpoint{"10.0.0.1", 8080};
  c.resource = std::make_shared<Resource>();
  return c;
}

Exchange Answered(Message request, Message response) {
  return Exchange{std::move(request), std::move(response), ExchangeError::kNone};
}

const std::vector<Header> kSecretHeaders = {{"Host", "example.com:8080"},
                                            {"User-Agent", "test-agent/1.0"},
                                            {"Authorization", "Bearer s3cr3t-token"},
                                            {"Cookie", "session=s3cr3t-cookie"}};

TEST(Http1SpanBuilderTest, ServerSpanHasExactlyTheSemconvAttributes) {
  Message request = Request("GET", "/search?q=otel&sig=abc123", kSecretHeaders);
  const ConnectionInfo connection = Connection(ConnectionRole::kServer);
  const Span span =
      BuildSpan(Answered(request, Response(200, 5)), connection, SpanBuildOptions{1'000'000'000});
  EXPECT_EQ(span.name, "GET");
  EXPECT_EQ(span.kind, SpanKind::kServer);
  EXPECT_EQ(span.status, StatusCode::kUnset);
  EXPECT_EQ(span.start_time_unix_nano, 1'000'001'000u);
  EXPECT_EQ(span.end_time_unix_nano, 1'000'002'600u);
  EXPECT_EQ(span.resource, connection.resource);
  EXPECT_EQ(span.trace_id, TraceId{});
  EXPECT_EQ(span.span_id, SpanId{});
  const AttributeMap expected = {
      {"http.request.method", std::string("GET")},
      {"url.scheme", std::string("http")},
      {"url.path", std::string("/search")},
      {"url.query", std::string("q=otel&sig=REDACTED")},
      {"server.address", std::string("example.com")},
      {"server.port", int64_t{8080}},
      {"client.address", std::string("10.0.0.2")},
      {"network.peer.address", std::string("10.0.0.2")},
      {"network.peer.port", int64_t{54321}},
      {"network.protocol.version", std::string("1.1")},
      {"user_agent.original", std::string("test-agent/1.0")},
      {"http.response.status_code", int64_t{200}},
      {"http.response.body.size", int64_t{5}},
  };
  EXPECT_EQ(ToMap(span.attributes), expected);
}

TEST(Http1SpanBuilderTest, ClientSpanHasExactlyTheSemconvAttributes) {
  Message request = Request("POST", "/api/v1/items?token=abc&page=2", kSecretHeaders);
  request.body_bytes = 17;
  const Span span = BuildSpan(Answered(request, Response(201)), Connection(ConnectionRole::kClient),
                              SpanBuildOptions{});
  EXPECT_EQ(span.name, "POST");
  EXPECT_EQ(span.kind, SpanKind::kClient);
  EXPECT_EQ(span.status, StatusCode::kUnset);
  const AttributeMap expected = {
      {"http.request.method", std::string("POST")},
      {"url.scheme", std::string("http")},
      {"url.path", std::string("/api/v1/items")},
      {"url.query", std::string("token=REDACTED&page=2")},
      {"url.full", std::string("http://example.com:8080/api/v1/items?token=REDACTED&page=2")},
      {"server.address", std::string("example.com")},
      {"server.port", int64_t{8080}},
      {"network.peer.address", std::string("10.0.0.1")},
      {"network.peer.port", int64_t{8080}},
      {"network.protocol.version", std::string("1.1")},
      {"user_agent.original", std::string("test-agent/1.0")},
      {"http.request.body.size", int64_t{17}},
      {"http.response.status_code", int64_t{201}},
  };
  EXPECT_EQ(ToMap(span.attributes), expected);
}

TEST(Http1SpanBuilderTest, NoSecretEverReachesAttributes) {
  for (ConnectionRole role : {ConnectionRole::kServer, ConnectionRole::kClient}) {
    Message request = Request("GET", "/x?password=hunter2&X-Goog-Signature=g00g", kSecretHeaders);
    const Span span = BuildSpan(Answered(request, Response(200)), Connection(role), {});
    for (const Attribute& a : span.attributes) {
      if (const auto* s = std::get_if<std::string>(&a.value)) {
        EXPECT_EQ(s->find("s3cr3t"), std::string::npos) << a.key;
        EXPECT_EQ(s->find("hunter2"), std::string::npos) << a.key;
        EXPECT_EQ(s->find("g00g"), std::string::npos) << a.key;
      }
      EXPECT_EQ(a.key.view().find("authorization"), std::string::npos);
      EXPECT_EQ(a.key.view().find("cookie"), std::string::npos);
    }
  }
}

TEST(Http1SpanBuilderTest, UnknownRoleClaimsNeitherSide) {
  const Span span = BuildSpan(Answered(Request("GET", "/x"), Response(404)),
                              Connection(ConnectionRole::kUnknown), {});
  EXPECT_EQ(span.kind, SpanKind::kInternal);
  EXPECT_EQ(span.status, StatusCode::kUnset);
  EXPECT_EQ(FindAttribute(span.attributes, "server.address"), nullptr);
  EXPECT_EQ(FindAttribute(span.attributes, "client.address"), nullptr);
  EXPECT_EQ(FindAttribute(span.attributes, "url.full"), nullptr);
  EXPECT_NE(FindAttribute(span.attributes, "http.request.method"), nullptr);
}

TEST(Http1SpanBuilderTest, NotFoundIsAnErrorOnlyForClients) {
  const Span server = BuildSpan(Answered(Request("GET", "/missing"), Response(404)),
                                Connection(ConnectionRole::kServer), {});
  EXPECT_EQ(server.status, StatusCode::kUnset);
  EXPECT_EQ(FindAttribute(server.attributes, "error.type"), nullptr);

  const Span client = BuildSpan(Answered(Request("GET", "/missing"), Response(404)),
                                Connection(ConnectionRole::kClient), {});
  EXPECT_EQ(client.status, StatusCode::kError);
  ASSERT_NE(FindAttribute(client.attributes, "error.type"), nullptr);
  EXPECT_EQ(std::get<std::string>(*FindAttribute(client.attributes, "error.type")), "404");
}

TEST(Http1SpanBuilderTest, ServerErrorIsAnErrorOnBothSides) {
  for (ConnectionRole role : {ConnectionRole::kServer, ConnectionRole::kClient}) {
    const Span span =
        BuildSpan(Answered(Request("GET", "/boom"), Response(500)), Connection(role), {});
    EXPECT_EQ(span.status, StatusCode::kError);
    EXPECT_EQ(std::get<std::string>(*FindAttribute(span.attributes, "error.type")), "500");
    EXPECT_EQ(std::get<int64_t>(*FindAttribute(span.attributes, "http.response.status_code")), 500);
  }
}

TEST(Http1SpanBuilderTest, UnknownMethodIsOther) {
  const Span span = BuildSpan(Answered(Request("PURGE", "/cache"), Response(200)),
                              Connection(ConnectionRole::kServer), {});
  EXPECT_EQ(span.name, "HTTP");
  EXPECT_EQ(std::get<std::string>(*FindAttribute(span.attributes, "http.request.method")),
            "_OTHER");
  EXPECT_EQ(std::get<std::string>(*FindAttribute(span.attributes, "http.request.method_original")),
            "PURGE");
}

TEST(Http1SpanBuilderTest, KnownMethodHasNoOriginal) {
  const Span span = BuildSpan(Answered(Request("PATCH", "/x"), Response(200)),
                              Connection(ConnectionRole::kServer), {});
  EXPECT_EQ(span.name, "PATCH");
  EXPECT_EQ(FindAttribute(span.attributes, "http.request.method_original"), nullptr);
}

TEST(Http1SpanBuilderTest, ExchangeWithoutResponseIsAnError) {
  Exchange reset{Request("GET", "/x"), std::nullopt, ExchangeError::kConnectionReset};
  const Span a = BuildSpan(reset, Connection(ConnectionRole::kServer), {});
  EXPECT_EQ(a.status, StatusCode::kError);
  EXPECT_EQ(std::get<std::string>(*FindAttribute(a.attributes, "error.type")), "connection_reset");
  EXPECT_EQ(FindAttribute(a.attributes, "http.response.status_code"), nullptr);
  EXPECT_EQ(a.end_time_unix_nano, 1500u);  // the request's last byte

  Exchange closed{Request("GET", "/x"), std::nullopt, ExchangeError::kClosedEarly};
  const Span b = BuildSpan(closed, Connection(ConnectionRole::kClient), {});
  EXPECT_EQ(b.status, StatusCode::kError);
  EXPECT_EQ(std::get<std::string>(*FindAttribute(b.attributes, "error.type")),
            "closed_before_response");
}

TEST(Http1SpanBuilderTest, ResponseCutShortIsAnErrorWithItsStatusCode) {
  Exchange cut{Request("GET", "/x"), Response(200, 10), ExchangeError::kClosedEarly};
  const Span span = BuildSpan(cut, Connection(ConnectionRole::kServer), {});
  EXPECT_EQ(span.status, StatusCode::kError);
  EXPECT_EQ(std::get<std::string>(*FindAttribute(span.attributes, "error.type")),
            "response_incomplete");
  EXPECT_EQ(std::get<int64_t>(*FindAttribute(span.attributes, "http.response.status_code")), 200);
}

TEST(Http1SpanBuilderTest, EndNeverPrecedesStart) {
  Message request = Request("GET", "/x");
  Message response = Response(200);
  response.last_byte_ns = 10;  // clock oddity
  const Span span = BuildSpan(Answered(request, response), Connection(ConnectionRole::kServer), {});
  EXPECT_GE(span.end_time_unix_nano, span.start_time_unix_nano);
}

TEST(Http1SpanBuilderTest, WithoutHostTheSocketEndpointsNameTheServer) {
  const Message request = Request("GET", "/", {});
  const Span server =
      BuildSpan(Answered(request, Response(200)), Connection(ConnectionRole::kServer), {});
  EXPECT_EQ(std::get<std::string>(*FindAttribute(server.attributes, "server.address")), "10.0.0.1");
  EXPECT_EQ(std::get<int64_t>(*FindAttribute(server.attributes, "server.port")), 8080);

  ConnectionInfo v6 = Connection(ConnectionRole::kClient);
  v6.peer = {"::1", 9000};
  const Span client = BuildSpan(Answered(request, Response(200)), v6, {});
  EXPECT_EQ(std::get<std::string>(*FindAttribute(client.attributes, "server.address")), "::1");
  EXPECT_EQ(std::get<int64_t>(*FindAttribute(client.attributes, "server.port")), 9000);
  EXPECT_EQ(std::get<std::string>(*FindAttribute(client.attributes, "url.full")),
            "http://[::1]:9000/");
}

TEST(Http1SpanBuilderTest, HostWithoutPortMeansDefaultPort) {
  const Message request = Request("GET", "/", {{"Host", "example.com"}});
  const Span span =
      BuildSpan(Answered(request, Response(200)), Connection(ConnectionRole::kServer), {});
  EXPECT_EQ(std::get<std::string>(*FindAttribute(span.attributes, "server.address")),
            "example.com");
  EXPECT_EQ(std::get<int64_t>(*FindAttribute(span.attributes, "server.port")), 80);
}

TEST(Http1SpanBuilderTest, AbsoluteFormTargetToAProxy) {
  const Message request =
      Request("GET", "http://user:pw@origin.example:8000/p?sig=1", {{"Host", "proxy"}});
  const Span span =
      BuildSpan(Answered(request, Response(200)), Connection(ConnectionRole::kClient), {});
  EXPECT_EQ(std::get<std::string>(*FindAttribute(span.attributes, "url.full")),
            "http://REDACTED:REDACTED@origin.example:8000/p?sig=REDACTED");
  EXPECT_EQ(std::get<std::string>(*FindAttribute(span.attributes, "server.address")),
            "origin.example");
  EXPECT_EQ(std::get<int64_t>(*FindAttribute(span.attributes, "server.port")), 8000);
  EXPECT_EQ(std::get<std::string>(*FindAttribute(span.attributes, "url.path")), "/p");
}

TEST(Http1SpanBuilderTest, NoQueryMeansNoQueryAttribute) {
  const Span span = BuildSpan(Answered(Request("GET", "/plain"), Response(200)),
                              Connection(ConnectionRole::kServer), {});
  EXPECT_EQ(FindAttribute(span.attributes, "url.query"), nullptr);
  EXPECT_EQ(std::get<std::string>(*FindAttribute(span.attributes, "url.path")), "/plain");
}

TEST(Http1SpanBuilderTest, HttpOneZeroVersion) {
  Message request = Request("GET", "/");
  request.version = "1.0";
  const Span span =
      BuildSpan(Answered(request, Response(200)), Connection(ConnectionRole::kServer), {});
  EXPECT_EQ(std::get<std::string>(*FindAttribute(span.attributes, "network.protocol.version")),
            "1.0");
}

TEST(Http1UrlTest, RedactsCredentialQueryValuesKeepingKeys) {
  EXPECT_EQ(
      RedactQuery("sig=a&signature=b&Signature=c&token=d&access_token=e&password=f"
                  "&AWSAccessKeyId=g&X-Goog-Signature=h&keep=i"),
      "sig=REDACTED&signature=REDACTED&Signature=REDACTED&token=REDACTED&access_token=REDACTED"
      "&password=REDACTED&AWSAccessKeyId=REDACTED&X-Goog-Signature=REDACTED&keep=i");
  EXPECT_EQ(RedactQuery("a=1&&b&sig"), "a=1&&b&sig");
  EXPECT_EQ(RedactQuery("mysig=1&sig_x=2"), "mysig=1&sig_x=2");
}

TEST(Http1UrlTest, SplitsTargets) {
  TargetParts origin = SplitTarget("/a/b?c=d#frag");
  EXPECT_EQ(origin.form, TargetParts::Form::kOrigin);
  EXPECT_EQ(origin.path, "/a/b");
  EXPECT_EQ(origin.query, "c=d");
  EXPECT_FALSE(SplitTarget("/a").query.has_value());
  EXPECT_EQ(SplitTarget("*").form, TargetParts::Form::kAsterisk);
  TargetParts authority = SplitTarget("example.com:443");
  EXPECT_EQ(authority.form, TargetParts::Form::kAuthority);
  EXPECT_EQ(authority.authority, "example.com:443");
  TargetParts absolute = SplitTarget("http://h:1?x");
  EXPECT_EQ(absolute.authority, "h:1");
  EXPECT_EQ(absolute.path, "");
  EXPECT_EQ(absolute.query, "x");
}

TEST(Http1UrlTest, SplitsHostAndPort) {
  EXPECT_EQ(SplitHostAndPort("h:8080").host, "h");
  EXPECT_EQ(SplitHostAndPort("h:8080").port, 8080);
  EXPECT_FALSE(SplitHostAndPort("h").port.has_value());
  EXPECT_EQ(SplitHostAndPort("[::1]:80").host, "::1");
  EXPECT_EQ(SplitHostAndPort("[::1]:80").port, 80);
  EXPECT_EQ(SplitHostAndPort("::1").host, "::1");
  EXPECT_FALSE(SplitHostAndPort("h:99999").port.has_value());
  EXPECT_FALSE(SplitHostAndPort("h:x").port.has_value());
}

}  // namespace
}  // namespace otelbpf::http1
