// Spans of HTTP/2 exchanges: plain requests as HTTP spans (shared with HTTP/1), gRPC calls as
// RPC spans with the conventions' status and error rules.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "http2_parser_harness.h"
#include "protocols/http2/grpc_status.h"
#include "protocols/http2/span_builder.h"

namespace otelbpf::http2 {
namespace {

using wire::AttributeMap;
using wire::HasAttr;
using wire::IntAttr;
using wire::StringAttr;

ConnectionInfo Connection(ConnectionRole role, bool tls = false) {
  ConnectionInfo c;
  c.role = role;
  c.tls = tls;
  const bool client = role == ConnectionRole::kClient;
  c.local = client ? Endpoint{"10.0.0.2", 40000} : Endpoint{"10.0.0.1", 443};
  c.peer = client ? Endpoint{"10.0.0.1", 443} : Endpoint{"10.0.0.2", 40000};
  return c;
}

Exchange HttpGet(int status) {
  Exchange x;
  x.stream_id = 1;
  x.request.method = "GET";
  x.request.scheme = "https";
  x.request.authority = "shop.example";
  x.request.path = "/cart?sig=s3cret";
  x.response_started = true;
  x.response.status = status;
  x.first_byte_ns = 100;
  x.last_byte_ns = 900;
  return x;
}

Exchange GrpcCall(std::optional<int> grpc_status, StreamEnd end = StreamEnd::kComplete) {
  Exchange x;
  x.stream_id = 1;
  x.request.method = "POST";
  x.request.authority = "greeter:50051";
  x.request.path = "/demo.v1.Greeter/SayHello";
  x.request.content_type = "application/grpc";
  x.response_started = end == StreamEnd::kComplete;
  if (end == StreamEnd::kComplete) x.response.status = 200;
  if (grpc_status) x.response.grpc_status = std::to_string(*grpc_status);
  x.end = end;
  x.first_byte_ns = 100;
  x.last_byte_ns = 900;
  return x;
}

Span Build(const Exchange& x, ConnectionRole role, bool tls = false) {
  return BuildSpan(x, Connection(role, tls), SpanBuildOptions{});
}

TEST(Http2SpanBuilderTest, AServerSpanOverTlsHasExactlyTheHttpAttributes) {
  const Span span = Build(HttpGet(200), ConnectionRole::kServer, true);
  const std::map<std::string, AttributeValue> expected = {
      {"http.request.method", std::string("GET")},
      {"url.scheme", std::string("https")},
      {"url.path", std::string("/cart")},
      {"url.query", std::string("sig=REDACTED")},
      {"server.address", std::string("shop.example")},
      {"server.port", int64_t{443}},  // no port in :authority: https's
      {"client.address", std::string("10.0.0.2")},
      {"network.peer.address", std::string("10.0.0.2")},
      {"network.peer.port", int64_t{40000}},
      {"network.protocol.version", std::string("2")},
      {"http.response.status_code", int64_t{200}},
  };
  EXPECT_EQ(AttributeMap(span), expected);
  EXPECT_EQ(span.kind, SpanKind::kServer);
  EXPECT_EQ(span.name, "GET");
  EXPECT_EQ(span.family, SemanticFamily::kHttp);
}

TEST(Http2SpanBuilderTest, ClientErrorsFollowTheHttpRules) {
  EXPECT_EQ(Build(HttpGet(404), ConnectionRole::kClient).status, StatusCode::kError);
  EXPECT_EQ(Build(HttpGet(404), ConnectionRole::kServer).status, StatusCode::kUnset);
  EXPECT_EQ(StringAttr(Build(HttpGet(503), ConnectionRole::kServer), "error.type"), "503");
  const Span client = Build(HttpGet(200), ConnectionRole::kClient, true);
  EXPECT_EQ(StringAttr(client, "url.full"), "https://shop.example/cart?sig=REDACTED");
}

TEST(Http2SpanBuilderTest, UnknownMethodsAreOther) {
  Exchange x = HttpGet(200);
  x.request.method = "PURGE";
  const Span span = Build(x, ConnectionRole::kServer);
  EXPECT_EQ(span.name, "HTTP");
  EXPECT_EQ(StringAttr(span, "http.request.method"), "_OTHER");
  EXPECT_EQ(StringAttr(span, "http.request.method_original"), "PURGE");
}

TEST(Http2SpanBuilderTest, AResetStreamIsAnErrorNamedByItsCode) {
  Exchange x = HttpGet(200);
  x.response_started = false;
  x.response.status.reset();
  x.end = StreamEnd::kReset;
  x.reset_code = 0x7;
  EXPECT_EQ(StringAttr(Build(x, ConnectionRole::kClient), "error.type"), "refused_stream");
  x.reset_code = 0x1234;
  EXPECT_EQ(StringAttr(Build(x, ConnectionRole::kClient), "error.type"), "stream_reset");
}

TEST(Http2SpanBuilderTest, GrpcCallsAreRpcSpans) {
  const Span span = Build(GrpcCall(0), ConnectionRole::kServer);
  const std::map<std::string, AttributeValue> expected = {
      {"rpc.system.name", std::string("grpc")},
      {"rpc.method", std::string("demo.v1.Greeter/SayHello")},
      {"rpc.response.status_code", std::string("OK")},
      {"server.address", std::string("greeter")},
      {"server.port", int64_t{50051}},
      {"network.peer.address", std::string("10.0.0.2")},
      {"network.peer.port", int64_t{40000}},
  };
  EXPECT_EQ(AttributeMap(span), expected);
  EXPECT_EQ(span.name, "demo.v1.Greeter/SayHello");
  EXPECT_EQ(span.kind, SpanKind::kServer);
  EXPECT_EQ(span.family, SemanticFamily::kRpc);
}

TEST(Http2SpanBuilderTest, GrpcErrorRulesDependOnTheSide) {
  // Server spans: only these are the server's failures.
  const std::set<int> server_errors = {2, 4, 12, 13, 14, 15};
  for (int code = 0; code <= 16; ++code) {
    const Span client = Build(GrpcCall(code), ConnectionRole::kClient);
    const Span server = Build(GrpcCall(code), ConnectionRole::kServer);
    const std::string name = GrpcStatusName(code);
    EXPECT_EQ(StringAttr(client, "rpc.response.status_code"), name);
    EXPECT_EQ(client.status == StatusCode::kError, code != 0) << name;
    EXPECT_EQ(StringAttr(client, "error.type"), code != 0 ? name : "");
    EXPECT_EQ(server.status == StatusCode::kError, server_errors.count(code) == 1) << name;
    EXPECT_EQ(StringAttr(server, "error.type"), server_errors.count(code) ? name : "");
  }
  EXPECT_EQ(GrpcStatusName(16), "UNAUTHENTICATED");
  // Codes gRPC does not define are kept by number.
  const Span odd = Build(GrpcCall(42), ConnectionRole::kClient);
  EXPECT_EQ(StringAttr(odd, "rpc.response.status_code"), "42");
  EXPECT_EQ(odd.status, StatusCode::kError);
  EXPECT_EQ(Build(GrpcCall(42), ConnectionRole::kServer).status, StatusCode::kUnset);
}

TEST(Http2SpanBuilderTest, WithoutGrpcStatusTheStreamsEndDecides) {
  Exchange reset = GrpcCall(std::nullopt, StreamEnd::kReset);
  reset.reset_code = 0x8;  // CANCEL
  EXPECT_EQ(StringAttr(Build(reset, ConnectionRole::kClient), "rpc.response.status_code"),
            "CANCELLED");
  reset.reset_code = 0x2;  // INTERNAL_ERROR
  EXPECT_EQ(StringAttr(Build(reset, ConnectionRole::kClient), "rpc.response.status_code"),
            "INTERNAL");
  const Exchange refused = GrpcCall(std::nullopt, StreamEnd::kRefused);
  EXPECT_EQ(StringAttr(Build(refused, ConnectionRole::kClient), "rpc.response.status_code"),
            "UNAVAILABLE");
  Exchange http_error = GrpcCall(std::nullopt);
  http_error.response.status = 503;
  EXPECT_EQ(StringAttr(Build(http_error, ConnectionRole::kClient), "rpc.response.status_code"),
            "UNAVAILABLE");
  http_error.response.status = 404;
  EXPECT_EQ(StringAttr(Build(http_error, ConnectionRole::kClient), "rpc.response.status_code"),
            "UNIMPLEMENTED");
  // Cut by the connection: no status is known, only how it ended.
  const Span closed =
      Build(GrpcCall(std::nullopt, StreamEnd::kConnectionClosed), ConnectionRole::kClient);
  EXPECT_FALSE(HasAttr(closed, "rpc.response.status_code"));
  EXPECT_EQ(StringAttr(closed, "error.type"), "closed_before_response");
  EXPECT_EQ(closed.status, StatusCode::kError);
}

TEST(Http2SpanBuilderTest, APathThatIsNoGrpcMethodIsOther) {
  Exchange x = GrpcCall(0);
  x.request.path = "/no-method";
  const Span span = Build(x, ConnectionRole::kClient);
  EXPECT_EQ(span.name, "grpc");
  EXPECT_EQ(StringAttr(span, "rpc.method"), "_OTHER");
  EXPECT_EQ(StringAttr(span, "rpc.method_original"), "/no-method");
  for (const char* path : {"/a/b/c", "//m", "/s/", "/"}) {
    x.request.path = path;
    EXPECT_EQ(StringAttr(Build(x, ConnectionRole::kClient), "rpc.method"), "_OTHER") << path;
  }
}

TEST(Http2SpanBuilderTest, OnlyGrpcContentTypesMakeGrpcSpans) {
  Exchange x = GrpcCall(0);
  for (const char* type :
       {"application/grpc+proto", "application/grpc;charset=utf-8", "Application/GRPC"}) {
    x.request.content_type = type;
    EXPECT_TRUE(IsGrpcCall(x)) << type;
  }
  x.response.grpc_status.reset();
  for (const char* type : {"application/grpc-web", "application/json", ""}) {
    x.request.content_type = type;
    EXPECT_FALSE(IsGrpcCall(x)) << type;
  }
}

}  // namespace
}  // namespace otelbpf::http2
