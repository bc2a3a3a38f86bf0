// Http2Parser: whole conversations in both directions, client and server side, cut anywhere,
// with resets, GOAWAY, trailers, lost bytes, and connections learned mid-stream.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "http2_parser_harness.h"

namespace otelbpf::http2 {
namespace {

using namespace wire;

const std::string kClientStart = Preface() + Settings({{1, 4096}, {4, 65535}});
const std::string kServerStart = Settings({{3, 100}}) + SettingsAck();

// Path and status (or error.type) of each span, in completion order.
std::vector<std::string> Outcomes(const std::vector<ExchangeSpan>& spans) {
  std::vector<std::string> out;
  for (const ExchangeSpan& s : spans) {
    const std::string error = StringAttr(s.span, "error.type");
    out.push_back(StringAttr(s.span, "url.path") + " " +
                  std::to_string(IntAttr(s.span, "http.response.status_code")) +
                  (error.empty() ? "" : " " + error));
  }
  return out;
}

TEST(Http2ConnectionParserTest, AClientRequestBecomesAnHttpSpan) {
  Conversation c(ConnectionRole::kClient);
  c.Send(kClientStart + Headers(1,
                                RequestBlock("GET", "/items?token=abc&page=2", "example.com:8443",
                                             FieldNamed(kUserAgent, "curl/8.0")),
                                true),
         0, 42);
  c.Recv(kServerStart + Headers(1, StatusBlock(200), false));
  c.Recv(Data(1, "hello", true));
  const std::vector<ExchangeSpan> spans = c.Spans();
  ASSERT_EQ(spans.size(), 1u);
  const Span& span = spans[0].span;
  EXPECT_EQ(span.name, "GET");
  EXPECT_EQ(span.kind, SpanKind::kClient);
  EXPECT_EQ(span.family, SemanticFamily::kHttp);
  EXPECT_EQ(span.status, StatusCode::kUnset);
  const std::map<std::string, AttributeValue> expected = {
      {"http.request.method", std::string("GET")},
      {"url.scheme", std::string("http")},
      {"url.path", std::string("/items")},
      {"url.query", std::string("token=REDACTED&page=2")},
      {"url.full", std::string("http://example.com:8443/items?token=REDACTED&page=2")},
      {"server.address", std::string("example.com")},
      {"server.port", int64_t{8443}},
      {"network.peer.address", std::string("10.0.0.1")},
      {"network.peer.port", int64_t{8443}},
      {"network.protocol.version", std::string("2")},
      {"user_agent.original", std::string("curl/8.0")},
      {"http.response.status_code", int64_t{200}},
      {"http.response.body.size", int64_t{5}},
  };
  EXPECT_EQ(AttributeMap(span), expected);
  EXPECT_EQ(spans[0].first_byte_ns, 1'000'000u);
  EXPECT_EQ(spans[0].last_byte_ns, 1'002'010u);
  EXPECT_EQ(spans[0].origin.tid, 42u);
  // The stream id, which both ends of the connection see alike: same-host stitching's key.
  EXPECT_EQ(spans[0].origin.exchange_index, std::optional<uint64_t>(1));
  EXPECT_FALSE(spans[0].origin.request_tcp_seq.has_value());
  EXPECT_EQ(c.parser().open_streams(), 0u);
}

TEST(Http2ConnectionParserTest, TheRoleComesFromThePrefaceOrTheFirstRequest) {
  Conversation client(ConnectionRole::kClient, false, false);
  client.Send(kClientStart);
  EXPECT_EQ(client.parser().role(), ConnectionRole::kClient);

  Conversation server(ConnectionRole::kServer, false, false);
  server.Recv(kClientStart);
  EXPECT_EQ(server.parser().role(), ConnectionRole::kServer);

  Conversation midstream(ConnectionRole::kServer, true, false);
  midstream.Send(Headers(3, StatusBlock(200), true));  // a response: we are the server
  EXPECT_EQ(midstream.parser().role(), ConnectionRole::kServer);
}

TEST(Http2ConnectionParserTest, InterleavedStreamsPairByStreamId) {
  Conversation c(ConnectionRole::kServer);
  c.Recv(kClientStart + Headers(1, RequestBlock("GET", "/one", "h"), true) +
         Headers(3, RequestBlock("POST", "/three", "h"), false));
  c.Recv(Headers(5, RequestBlock("GET", "/five", "h"), true) + Data(3, "body", true));
  c.Send(kServerStart + Headers(5, StatusBlock(404), true) + Headers(1, StatusBlock(200), false) +
         Headers(3, StatusBlock(201), false) + Data(1, "x", false) + Data(3, "yy", true));
  c.Send(Data(1, "z", true));
  const std::vector<ExchangeSpan> spans = c.Spans();
  EXPECT_EQ(Outcomes(spans), (std::vector<std::string>{"/five 404", "/three 201", "/one 200"}));
  EXPECT_EQ(IntAttr(spans[1].span, "http.request.body.size"), 4);
  EXPECT_EQ(IntAttr(spans[2].span, "http.response.body.size"), 2);
  EXPECT_EQ(StringAttr(spans[0].span, "error.type"), "");  // 404 is not a server's error
}

TEST(Http2ConnectionParserTest, RstStreamEndsTheExchangeWithItsErrorCode) {
  Conversation c(ConnectionRole::kClient);
  c.Send(kClientStart + Headers(1, RequestBlock("GET", "/slow", "h"), true) +
         Headers(3, RequestBlock("GET", "/fast", "h"), true));
  c.Send(RstStream(1, 0x8));  // the client cancels
  c.Recv(kServerStart + Headers(3, StatusBlock(200), true) + RstStream(3, 0));
  const std::vector<ExchangeSpan> spans = c.Spans();
  EXPECT_EQ(Outcomes(spans), (std::vector<std::string>{"/slow 0 cancel", "/fast 200"}));
  EXPECT_EQ(spans[0].span.status, StatusCode::kError);
}

TEST(Http2ConnectionParserTest, GoawayRefusesTheStreamsAboveItsLastStreamId) {
  Conversation c(ConnectionRole::kClient);
  c.Send(kClientStart + Headers(1, RequestBlock("GET", "/1", "h"), true) +
         Headers(3, RequestBlock("GET", "/3", "h"), true) +
         Headers(5, RequestBlock("GET", "/5", "h"), true));
  c.Recv(kServerStart + Goaway(3, 0));
  EXPECT_EQ(Outcomes(c.Spans()), (std::vector<std::string>{"/5 0 goaway"}));
  c.Recv(Headers(3, StatusBlock(200), true) + Headers(1, StatusBlock(200), true));
  EXPECT_EQ(Outcomes(c.Spans()), (std::vector<std::string>{"/3 200", "/1 200"}));
}

TEST(Http2ConnectionParserTest, TheConnectionsEndEndsOpenStreams) {
  Conversation c(ConnectionRole::kClient);
  c.Send(kClientStart + Headers(1, RequestBlock("GET", "/a", "h"), true) +
         Headers(3, RequestBlock("GET", "/b", "h"), true));
  c.Recv(kServerStart + Headers(3, StatusBlock(200), false) + Data(3, "part", false));
  c.Close(false);
  EXPECT_EQ(Outcomes(c.Spans()), (std::vector<std::string>{"/a 0 closed_before_response",
                                                           "/b 200 response_incomplete"}));

  Conversation r(ConnectionRole::kClient);
  r.Send(kClientStart + Headers(1, RequestBlock("GET", "/a", "h"), true));
  r.Close(true);
  EXPECT_EQ(Outcomes(r.Spans()), (std::vector<std::string>{"/a 0 connection_reset"}));
}

TEST(Http2ConnectionParserTest, AGrpcCallEndsWithItsTrailers) {
  Conversation c(ConnectionRole::kClient);
  const std::string grpc_request =
      RequestBlock("POST", "/demo.Greeter/SayHello", "greeter.local:50051",
                   Field("content-type", "application/grpc") + Field("te", "trailers"));
  c.Send(kClientStart + Headers(1, grpc_request, false) +
         Data(1, GrpcMessage("\x0a\x05world"), true));
  c.Recv(kServerStart +
         Headers(1, StatusBlock(200, Field("content-type", "application/grpc")), false));
  c.Recv(Data(1, GrpcMessage("\x0a\x0bhello world"), false));
  c.Recv(Headers(1, Field("grpc-status", "0") + Field("grpc-message", ""), true));
  const std::vector<ExchangeSpan> spans = c.Spans();
  ASSERT_EQ(spans.size(), 1u);
  const Span& span = spans[0].span;
  EXPECT_EQ(span.family, SemanticFamily::kRpc);
  EXPECT_EQ(span.name, "demo.Greeter/SayHello");
  EXPECT_EQ(StringAttr(span, "rpc.system.name"), "grpc");
  EXPECT_EQ(StringAttr(span, "rpc.method"), "demo.Greeter/SayHello");
  EXPECT_EQ(StringAttr(span, "rpc.response.status_code"), "OK");
  EXPECT_EQ(StringAttr(span, "server.address"), "greeter.local");
  EXPECT_EQ(IntAttr(span, "server.port"), 50051);
  EXPECT_FALSE(HasAttr(span, "error.type"));
  EXPECT_FALSE(HasAttr(span, "http.response.status_code"));
  EXPECT_EQ(span.status, StatusCode::kUnset);
}

std::string GrpcRequest(uint32_t stream) {
  return Headers(stream,
                 RequestBlock("POST", "/demo.Greeter/SayHello", "g",
                              Field("content-type", "application/grpc")),
                 false) +
         Data(stream, GrpcMessage("x"), true);
}

// A response with no message: headers and trailers in one block (gRPC's Trailers-Only).
std::string TrailersOnly(uint32_t stream, int code) {
  return Headers(stream,
                 StatusBlock(200, Field("content-type", "application/grpc") +
                                      Field("grpc-status", std::to_string(code)) +
                                      Field("grpc-message", "nope")),
                 true);
}

TEST(Http2ConnectionParserTest, TrailersOnlyGrpcErrors) {
  for (const auto role : {ConnectionRole::kClient, ConnectionRole::kServer}) {
    const bool client = role == ConnectionRole::kClient;
    Conversation c(role);
    const std::string requests = kClientStart + GrpcRequest(1) + GrpcRequest(3);
    const std::string responses = kServerStart + TrailersOnly(1, 5) + TrailersOnly(3, 14);
    if (client) {
      c.Send(requests);
      c.Recv(responses);
    } else {
      c.Recv(requests);
      c.Send(responses);
    }
    const std::vector<ExchangeSpan> spans = c.Spans();
    ASSERT_EQ(spans.size(), 2u);
    EXPECT_EQ(StringAttr(spans[0].span, "rpc.response.status_code"), "NOT_FOUND");
    // NOT_FOUND is the caller's problem: an error for the client only.
    EXPECT_EQ(StringAttr(spans[0].span, "error.type"), client ? "NOT_FOUND" : "");
    EXPECT_EQ(spans[0].span.status, client ? StatusCode::kError : StatusCode::kUnset);
    EXPECT_EQ(StringAttr(spans[1].span, "rpc.response.status_code"), "UNAVAILABLE");
    EXPECT_EQ(StringAttr(spans[1].span, "error.type"), "UNAVAILABLE");
    EXPECT_EQ(spans[1].span.status, StatusCode::kError);
  }
}

TEST(Http2ConnectionParserTest, ACapturedPrefixWithAGapStillEndsTheExchange) {
  Conversation c(ConnectionRole::kClient);
  c.Send(kClientStart + Headers(1, RequestBlock("GET", "/big", "h"), true));
  // One syscall: response headers and a 50 000-octet DATA frame, 1024 octets captured.
  const std::string response =
      kServerStart + Headers(1, StatusBlock(200), false) + Data(1, std::string(50000, 'b'), false);
  c.Recv(std::string_view(response).substr(0, 1024), response.size() - 1024);
  c.Recv(Data(1, "", true));
  const std::vector<ExchangeSpan> spans = c.Spans();
  EXPECT_EQ(Outcomes(spans), (std::vector<std::string>{"/big 200"}));
  EXPECT_EQ(IntAttr(spans.at(0).span, "http.response.body.size"), 50000);
  EXPECT_EQ(c.parser().counters().parse_errors, 0u);
}

TEST(Http2ConnectionParserTest, TheSameSpansWhereverTheBytesAreCut) {
  const std::string requests =
      kClientStart +
      Headers(1, RequestBlock("GET", "/a", "h", Field("x-a", "1", Indexing::kIncremental)), true) +
      Headers(3, RequestBlock("GET", "/b", "h", Indexed(62)), true);
  const std::string responses =
      kServerStart +
      Headers(3, StatusBlock(200, Field("x-r", "v", Indexing::kIncremental, true)), false) +
      Headers(1, StatusBlock(500, Indexed(62)), true) + Data(3, "body", true);
  for (size_t cut = 0; cut <= responses.size(); ++cut) {
    Conversation c(ConnectionRole::kClient);
    c.Send(requests.substr(0, cut % requests.size()));
    c.Send(requests.substr(cut % requests.size()));
    c.Recv(responses.substr(0, cut));
    c.Recv(responses.substr(cut));
    EXPECT_EQ(Outcomes(c.Spans()), (std::vector<std::string>{"/a 500 500", "/b 200"}))
        << "cut at " << cut;
    EXPECT_EQ(c.parser().counters().parse_errors, 0u);
  }
}

TEST(Http2ConnectionParserTest, ContinuationAndPaddingAreUndone) {
  Conversation c(ConnectionRole::kServer);
  const std::string block = RequestBlock("POST", "/upload", "h", FieldNamed(kUserAgent, "ua"));
  // Request headers in three frames; a padded DATA frame (pad length 4: 1 + 4 octets are not
  // body).
  c.Recv(kClientStart + Headers(1, block.substr(0, 5), false, false) +
         Continuation(1, block.substr(5, 7), false) + Continuation(1, block.substr(12), true));
  c.Recv(RawFrame(FrameType::kData, kFlagEndStream | kFlagPadded, 1,
                  std::string(1, '\x04') + "0123456789" + std::string(4, '\0')));
  c.Send(kServerStart + Headers(1, StatusBlock(201), true));
  const std::vector<ExchangeSpan> spans = c.Spans();
  EXPECT_EQ(Outcomes(spans), (std::vector<std::string>{"/upload 201"}));
  EXPECT_EQ(IntAttr(spans.at(0).span, "http.request.body.size"), 10);
  EXPECT_EQ(StringAttr(spans.at(0).span, "user_agent.original"), "ua");
}

TEST(Http2ConnectionParserTest, TraceparentJoinsTheTrace) {
  Conversation c(ConnectionRole::kServer);
  c.Recv(kClientStart +
         Headers(1,
                 RequestBlock("GET", "/", "h",
                              Field("traceparent",
                                    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01") +
                                  Field("tracestate", "congo=t61rcWkgMzE")),
                 true));
  c.Send(kServerStart + Headers(1, StatusBlock(200), true));
  const std::vector<ExchangeSpan> spans = c.Spans();
  ASSERT_EQ(spans.size(), 1u);
  ASSERT_TRUE(spans[0].origin.incoming.has_value());
  EXPECT_TRUE(spans[0].origin.incoming->sampled);
  EXPECT_EQ(spans[0].origin.incoming->trace_state, "congo=t61rcWkgMzE");
  EXPECT_EQ(spans[0].origin.incoming->span_id[0], 0xb7);
}

TEST(Http2ConnectionParserTest, AMidstreamConnectionMarksWhatItCannotKnow) {
  Conversation c(ConnectionRole::kServer, true);
  // Inside some body first; then a request whose :path and :authority are dynamic entries sent
  // before we watched, and the response to a request we never saw.
  c.Recv(std::string(200, '\x01'));
  c.Send(Headers(7, StatusBlock(200), true));
  c.Recv(Headers(9, Indexed(kMethodGet) + Indexed(kSchemeHttp) + Indexed(65) + Indexed(66), true));
  c.Send(Headers(9, StatusBlock(200), true));
  // The client sends the path literally again: known from then on.
  c.Recv(Headers(
      11, Indexed(kMethodGet) + FieldNamed(kPath, "/again", Indexing::kIncremental) + Indexed(66),
      true));
  c.Recv(Headers(13, Indexed(kMethodGet) + Indexed(62) + Indexed(67), true));
  c.Send(Headers(11, StatusBlock(200), true) + Headers(13, StatusBlock(204), true));
  const std::vector<ExchangeSpan> spans = c.Spans();
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[0].span.name, "GET");
  EXPECT_FALSE(HasAttr(spans[0].span, "url.path"));
  EXPECT_EQ(IntAttr(spans[0].span, "otelbpf.http2.unknown_header_fields"), 2);
  EXPECT_EQ(StringAttr(spans[1].span, "url.path"), "/again");
  EXPECT_EQ(StringAttr(spans[2].span, "url.path"), "/again");
  EXPECT_EQ(IntAttr(spans[2].span, "http.response.status_code"), 204);
  EXPECT_EQ(c.parser().counters().unmatched_responses, 1u);
  EXPECT_EQ(c.parser().decoder(Direction::kRecv).counters().unknown_fields, 4u);
  // ... and the parser's counters, which become otelbpf.protocol.events{event=unknown_header_field}.
  EXPECT_EQ(c.parser().counters().unknown_header_fields, 4u);
}

TEST(Http2ConnectionParserTest, PushPromiseBlocksKeepTheTableInStep) {
  Conversation c(ConnectionRole::kClient);
  c.Send(kClientStart + Headers(1, RequestBlock("GET", "/", "h"), true));
  // The server indexes a field inside its PUSH_PROMISE, then references it in the response.
  const std::string promise =
      RequestBlock("GET", "/style.css", "h", Field("x-pushed", "yes", Indexing::kIncremental));
  c.Recv(kServerStart + RawFrame(FrameType::kPushPromise, kFlagEndHeaders, 1, U32(2) + promise) +
         Headers(1, Field("x-pushed", "no", Indexing::kIncremental) + StatusBlock(200), true) +
         Headers(2, StatusBlock(200, Indexed(63)), true));
  EXPECT_EQ(Outcomes(c.Spans()), (std::vector<std::string>{"/ 200"}));
  EXPECT_EQ(c.parser().decoder(Direction::kRecv).table().entry_count(), 2u);
  EXPECT_FALSE(c.parser().decoder(Direction::kRecv).failed());
}

TEST(Http2ConnectionParserTest, AnHpackErrorStopsSpansFromThatDirection) {
  Conversation c(ConnectionRole::kServer);
  c.Recv(kClientStart + Headers(1, "\x80", true) + Headers(3, RequestBlock("GET", "/", "h"), true));
  c.Send(kServerStart + Headers(1, StatusBlock(400), true) + Headers(3, StatusBlock(200), true));
  EXPECT_TRUE(c.Spans().empty());
  EXPECT_TRUE(c.parser().decoder(Direction::kRecv).failed());
  EXPECT_EQ(c.parser().counters().parse_errors, 3u);  // the error, and two unreadable requests
}

TEST(Http2ConnectionParserTest, ALostRequestBlockMakesNoSpanAndForgetsTheTable) {
  Conversation c(ConnectionRole::kServer);
  c.Recv(
      kClientStart +
      Headers(1, RequestBlock("GET", "/x", "h", Field("x-a", "1", Indexing::kIncremental)), true));
  const std::string big = Headers(
      3,
      RequestBlock("GET", "/y", "h", Field("x-b", std::string(3000, 'b'), Indexing::kIncremental)),
      true);
  c.Recv(std::string_view(big).substr(0, 1024), big.size() - 1024);
  c.Recv(Headers(5, RequestBlock("GET", "/z", "h", Indexed(62)), true));
  c.Send(kServerStart + Headers(1, StatusBlock(200), true) + Headers(3, StatusBlock(200), true) +
         Headers(5, StatusBlock(200), true));
  const std::vector<ExchangeSpan> spans = c.Spans();
  EXPECT_EQ(Outcomes(spans), (std::vector<std::string>{"/x 200", "/z 200"}));
  // Entry 62 was x-b (lost with its block): it must not read as x-a.
  EXPECT_EQ(IntAttr(spans[1].span, "otelbpf.http2.unknown_header_fields"), 1);
}

TEST(Http2ConnectionParserTest, OpenStreamsAreBounded) {
  Conversation c(ConnectionRole::kClient);
  std::string requests = kClientStart;
  for (uint32_t id = 1; id < 2 * 300; id += 2) {
    requests += Headers(id, RequestBlock("GET", "/", "h"), true);
  }
  c.Send(requests);
  EXPECT_EQ(c.parser().open_streams(), kMaxOpenStreams);
  EXPECT_EQ(c.parser().counters().dropped_requests, 300 - kMaxOpenStreams);
  c.parser().Expire(c.now() + kStreamSilenceTimeoutNs + 1);
  EXPECT_EQ(c.parser().open_streams(), 0u);
  EXPECT_EQ(c.parser().counters().dropped_requests, 300u);
}

TEST(Http2ConnectionParserTest, BytesThatAreNotHttp2AreAbandoned) {
  Conversation c(ConnectionRole::kUnknown, true, false);
  const std::string text(200, 'A');
  for (int i = 0; i < 70; ++i) c.Recv(text);
  EXPECT_TRUE(c.parser().abandoned());
  EXPECT_TRUE(c.Spans().empty());
}

}  // namespace
}  // namespace otelbpf::http2
