// MessageParser (one direction) and its helpers: start-line validation, header fields and
// their bounds, memory bounds, chunked framing errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocols/http1/headers.h"
#include "protocols/http1/message_parser.h"
#include "protocols/http1/start_line.h"

namespace otelbpf::http1 {
namespace {

// Collects messages; answers "which request" with a fixed method.
class RecordingSink : public MessageSink {
 public:
  void OnHeadersComplete(const Message&) override { ++headers_seen; }
  std::string_view MethodOfRequestAnswered() override { return request_method; }
  void OnMessage(Message&& message, MessageEnd end) override {
    messages.push_back(std::move(message));
    ends.push_back(end);
  }

  std::string request_method = "GET";
  int headers_seen = 0;
  std::vector<Message> messages;
  std::vector<MessageEnd> ends;
};

// Feeds one fully captured piece.
void Feed(MessageParser& parser, std::string_view bytes) {
  parser.OnData(bytes, bytes.size(), 1, 2);
}

StartLineScan::Verdict Scan(std::string_view line, StreamKind kind = StreamKind::kAny,
                            MethodPolicy policy = MethodPolicy::kAnyToken) {
  return ScanStartLine(line, kind, policy).verdict;
}

TEST(Http1StartLineTest, AcceptsValidRequestAndStatusLines) {
  for (std::string_view line :
       {"GET / HTTP/1.1\r\n", "POST /a/b?c=d HTTP/1.0\r\n", "OPTIONS * HTTP/1.1\r\n",
        "CONNECT example.com:443 HTTP/1.1\r\n", "GET http://h/x HTTP/1.1\n",
        "PROPFIND /dav HTTP/1.1\r\n", "M-SEARCH * HTTP/1.1\r\n", "HTTP/1.1 200 OK\r\n",
        "HTTP/1.0 404 Not Found\r\n", "HTTP/1.1 204\r\n", "HTTP/1.1 599 \r\n",
        "HTTP/1.1 100 Continue\n"}) {
    EXPECT_EQ(Scan(line), StartLineScan::kComplete) << line;
  }
  const StartLineScan scan =
      ScanStartLine("GET / HTTP/1.1\r\nHost: x\r\n", StreamKind::kAny, MethodPolicy::kAnyToken);
  EXPECT_EQ(scan.length, 16u);
}

TEST(Http1StartLineTest, RejectsLookalikes) {
  for (std::string_view line :
       {"get / HTTP/1.1\r\n", "GET  / HTTP/1.1\r\n", "GET / HTTP/2.0\r\n", "GET / HTTP/1.2\r\n",
        "GET / HTTP/1.1 x\r\n", "GET /\x01 HTTP/1.1\r\n", "GET / HTTP/1.1\r\r\n",
        "ABCDEFGHIJKLMNOPQRSTU / HTTP/1.1\r\n", "1GET / HTTP/1.1\r\n", "HTTP/1.1 600 Nope\r\n",
        "HTTP/1.1 099 Nope\r\n", "HTTP/1.1 20 OK\r\n", "HTTP/1.1  200 OK\r\n", "HTTP/2 200\r\n",
        "HTTP/1.1 200 O\x01K\r\n", "\x16\x03\x01\x02\x00"}) {
    EXPECT_EQ(Scan(line), StartLineScan::kInvalid) << line;
  }
}

TEST(Http1StartLineTest, PrefixesNeedMoreBytes) {
  for (std::string_view prefix :
       {"G", "GE", "GET", "GET ", "GET /a", "GET /a HTTP/1", "GET /a HTTP/1.1", "GET /a HTTP/1.1\r",
        "H", "HTTP/1.1 2", "HTTP/1.1 200 O"}) {
    EXPECT_EQ(Scan(prefix), StartLineScan::kNeedMore) << prefix;
  }
}

TEST(Http1StartLineTest, StreamKindAndMethodPolicyNarrowWhatIsAccepted) {
  EXPECT_EQ(Scan("HTTP/1.1 200 OK\r\n", StreamKind::kRequests), StartLineScan::kInvalid);
  EXPECT_EQ(Scan("GET / HTTP/1.1\r\n", StreamKind::kResponses), StartLineScan::kInvalid);
  EXPECT_EQ(Scan("PURGE / HTTP/1.1\r\n", StreamKind::kRequests, MethodPolicy::kKnownOnly),
            StartLineScan::kInvalid);
  EXPECT_EQ(Scan("PU", StreamKind::kRequests, MethodPolicy::kKnownOnly), StartLineScan::kNeedMore);
  EXPECT_EQ(Scan("PURGE / HTTP/1.1\r\n", StreamKind::kRequests, MethodPolicy::kAnyToken),
            StartLineScan::kComplete);
}

TEST(Http1StartLineTest, ParsesFields) {
  Message request;
  ParseStartLine("DELETE /items/7?force=1 HTTP/1.0\r\n", request);
  EXPECT_TRUE(request.is_request);
  EXPECT_EQ(request.method, "DELETE");
  EXPECT_EQ(request.target, "/items/7?force=1");
  EXPECT_EQ(request.version, "1.0");
  Message response;
  ParseStartLine("HTTP/1.1 503 Service Unavailable\r\n", response);
  EXPECT_FALSE(response.is_request);
  EXPECT_EQ(response.status_code, 503);
  EXPECT_EQ(response.version, "1.1");
}

TEST(Http1HeadersTest, ParsesFieldsAndFraming) {
  Message m;
  BodyFraming f;
  ParseHeaderFields(
      "Host:  example.com \r\nContent-Length: 42\r\nbad line\r\n folded\r\n"
      "Transfer-Encoding: gzip, chunked\r\n\r\nAfter: blank\r\n",
      m, f);
  ASSERT_EQ(m.headers.size(), 3u);
  EXPECT_EQ(*m.FindHeader("host"), "example.com");
  EXPECT_EQ(*m.FindHeader("CONTENT-LENGTH"), "42");
  EXPECT_EQ(m.FindHeader("After"), nullptr);
  EXPECT_EQ(f.usable_content_length(), 42u);
  EXPECT_TRUE(f.chunked);
  EXPECT_FALSE(m.truncated);
}

TEST(Http1HeadersTest, OnlyTheFieldsSpansReadAreStoredButFramingIsAlwaysSeen) {
  Message m;
  BodyFraming f;
  ParseHeaderFields(
      "Host: a\r\nCookie: secret\r\nUSER-AGENT: curl\r\nContent-Length: 3\r\n"
      "traceparent: 00-x\r\nTraceState: k=v\r\nHosts: no\r\n\r\n",
      m, f, HeaderSelection::kReported);
  ASSERT_EQ(m.headers.size(), 4u);
  EXPECT_EQ(*m.FindHeader("host"), "a");
  EXPECT_EQ(*m.FindHeader("user-agent"), "curl");
  EXPECT_EQ(*m.FindHeader("traceparent"), "00-x");
  EXPECT_EQ(*m.FindHeader("tracestate"), "k=v");
  EXPECT_EQ(m.FindHeader("Cookie"), nullptr);
  EXPECT_EQ(m.FindHeader("Hosts"), nullptr);
  EXPECT_EQ(f.usable_content_length(), 3u);
}

TEST(Http1HeadersTest, ContentLengthValidation) {
  EXPECT_EQ(ParseContentLength("0"), 0u);
  EXPECT_EQ(ParseContentLength("12, 12"), 12u);
  EXPECT_EQ(ParseContentLength("12, 13"), std::nullopt);
  EXPECT_EQ(ParseContentLength("-1"), std::nullopt);
  EXPECT_EQ(ParseContentLength(""), std::nullopt);
  EXPECT_EQ(ParseContentLength("1e3"), std::nullopt);
  EXPECT_EQ(ParseContentLength("9999999999999999999999"), std::nullopt);
  Message m;
  BodyFraming f;
  ParseHeaderFields("Content-Length: 5\r\nContent-Length: 6\r\n\r\n", m, f);
  EXPECT_EQ(f.usable_content_length(), std::nullopt);
}

TEST(Http1HeadersTest, StoredHeadersAreBoundedButFramingIsStillSeen) {
  std::string block;
  for (int i = 0; i < 100; ++i) block += "X-H" + std::to_string(i) + ": v\r\n";
  block += "Content-Length: 7\r\n\r\n";
  Message m;
  BodyFraming f;
  ParseHeaderFields(block, m, f);
  EXPECT_EQ(m.headers.size(), kMaxHeaders);
  EXPECT_TRUE(m.truncated);
  EXPECT_EQ(f.usable_content_length(), 7u);

  Message big;
  BodyFraming g;
  std::string large;
  for (int i = 0; i < 10; ++i)
    large += "X-Large" + std::to_string(i) + ": " + std::string(1000, 'v') + "\r\n";
  ParseHeaderFields(large + "\r\n", big, g);
  size_t stored = 0;
  for (const Header& h : big.headers) stored += h.name.size() + h.value.size();
  EXPECT_LE(stored, kMaxHeaderBytes);
  EXPECT_EQ(big.headers.size(), 8u);
  EXPECT_TRUE(big.truncated);
}

TEST(Http1HeadersTest, IncompleteLastLineIsIgnored) {
  Message m;
  BodyFraming f;
  ParseHeaderFields("Host: h\r\nContent-Length: 1", m, f);  // "12..." cut by the capture
  EXPECT_EQ(m.headers.size(), 1u);
  EXPECT_EQ(f.usable_content_length(), std::nullopt);
}

TEST(Http1MessageParserTest, EachMessageKnowsItsFirstBytesTcpSequenceNumber) {
  RecordingSink sink;
  MessageParser parser(StreamKind::kRequests, &sink);
  const std::string a = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string b = "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
  // Two pipelined requests in one piece, the piece starting 8 bytes before the 32-bit wrap:
  // the second request's number is the piece's plus its offset, modulo 2^32.
  const std::string piece = a + b;
  parser.OnData(piece, piece.size(), 1, 2, 0, 0xfffffff8u);
  // Garbage, then a request found by resynchronising 5 bytes into the piece.
  const std::string c = "xxxxxGET /c HTTP/1.1\r\n\r\n";
  parser.OnData(c, c.size(), 3, 4, 0, 1000u);
  // Without a number from the kernel (UDP, unknown socket): none.
  Feed(parser, "GET /d HTTP/1.1\r\n\r\n");
  ASSERT_EQ(sink.messages.size(), 4u);
  EXPECT_EQ(sink.messages[0].first_byte_tcp_seq, std::optional<uint32_t>(0xfffffff8u));
  EXPECT_EQ(sink.messages[1].first_byte_tcp_seq,
            std::optional<uint32_t>(static_cast<uint32_t>(0xfffffff8u + a.size())));
  EXPECT_EQ(sink.messages[2].target, "/c");
  EXPECT_EQ(sink.messages[2].first_byte_tcp_seq, std::optional<uint32_t>(1005u));
  EXPECT_EQ(sink.messages[3].first_byte_tcp_seq, std::nullopt);
}

TEST(Http1MessageParserTest, AMessageSplitAcrossPiecesKeepsItsFirstPiecesNumber) {
  RecordingSink sink;
  MessageParser parser(StreamKind::kRequests, &sink);
  parser.OnData("GET /split HT", 13, 1, 2, 0, 500u);
  parser.OnData("TP/1.1\r\n\r\n", 10, 3, 4, 0, 513u);
  ASSERT_EQ(sink.messages.size(), 1u);
  EXPECT_EQ(sink.messages[0].first_byte_tcp_seq, std::optional<uint32_t>(500u));
}

TEST(Http1MessageParserTest, HeaderBufferNeverExceedsItsBound) {
  RecordingSink sink;
  MessageParser parser(StreamKind::kRequests, &sink);
  const std::string big = "GET /big HTTP/1.1\r\nX-Big: " + std::string(1 << 20, 'a') +
                          "\r\n\r\nGET /next HTTP/1.1\r\n\r\n";
  uint64_t t = 0;
  for (size_t at = 0; at < big.size(); at += 4096) {
    parser.OnData(std::string_view(big).substr(at, 4096), std::min<size_t>(4096, big.size() - at),
                  t, t + 1);
    t += 10;
    ASSERT_LE(parser.buffered_bytes(), kMaxHeaderBlockBytes);
  }
  ASSERT_EQ(sink.messages.size(), 2u);
  EXPECT_TRUE(sink.messages[0].truncated);
  EXPECT_EQ(sink.messages[1].target, "/next");
  EXPECT_LE(parser.buffered_bytes(), 4096u);  // released after use
}

TEST(Http1MessageParserTest, LongRequestTargetIsKeptTruncated) {
  RecordingSink sink;
  MessageParser parser(StreamKind::kRequests, &sink);
  const std::string request = "GET /" + std::string(20000, 'p') + " HTTP/1.1\r\nHost: h\r\n\r\n" +
                              "GET /after HTTP/1.1\r\n\r\n";
  Feed(parser, request);
  ASSERT_EQ(sink.messages.size(), 2u);
  EXPECT_TRUE(sink.messages[0].truncated);
  EXPECT_EQ(sink.messages[0].method, "GET");
  EXPECT_LE(sink.messages[0].target.size(), kMaxHeaderBlockBytes);
  EXPECT_EQ(sink.messages[1].target, "/after");
}

TEST(Http1MessageParserTest, ResponseToHeadHasNoBody) {
  RecordingSink sink;
  sink.request_method = "HEAD";
  MessageParser parser(StreamKind::kResponses, &sink);
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n";
  Feed(parser, response);
  ASSERT_EQ(sink.messages.size(), 1u);
  EXPECT_EQ(sink.messages[0].body_bytes, 0u);
}

TEST(Http1MessageParserTest, InvalidChunkSizeEndsMessageAndResynchronises) {
  RecordingSink sink;
  MessageParser parser(StreamKind::kResponses, &sink);
  const std::string bytes =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
      "HTTP/1.1 204 No Content\r\n\r\n";
  Feed(parser, bytes);
  ASSERT_EQ(sink.messages.size(), 2u);
  EXPECT_TRUE(sink.messages[0].truncated);
  EXPECT_EQ(sink.messages[1].status_code, 204);
  EXPECT_EQ(parser.parse_errors(), 1u);
}

TEST(Http1MessageParserTest, OverflowingChunkSizeIsAFramingError) {
  RecordingSink sink;
  MessageParser parser(StreamKind::kResponses, &sink);
  const std::string bytes =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1ffffffffffffffff\r\n";
  Feed(parser, bytes);
  ASSERT_EQ(sink.messages.size(), 1u);
  EXPECT_TRUE(sink.messages[0].truncated);
}

TEST(Http1MessageParserTest, CloseEndsCloseDelimitedBodyOrCutsOthersShort) {
  {
    RecordingSink sink;
    MessageParser parser(StreamKind::kResponses, &sink);
    Feed(parser, "HTTP/1.0 200 OK\r\n\r\nabc");
    parser.OnClose();
    ASSERT_EQ(sink.ends.size(), 1u);
    EXPECT_EQ(sink.ends[0], MessageEnd::kEndedByClose);
    EXPECT_EQ(sink.messages[0].body_bytes, 3u);
  }
  {
    RecordingSink sink;
    MessageParser parser(StreamKind::kResponses, &sink);
    Feed(parser, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc");
    parser.OnClose();
    ASSERT_EQ(sink.ends.size(), 1u);
    EXPECT_EQ(sink.ends[0], MessageEnd::kCutShort);
  }
  {
    RecordingSink sink;
    MessageParser parser(StreamKind::kResponses, &sink);
    Feed(parser, "HTTP/1.1 200 OK\r\nContent-Le");
    parser.OnClose();
    ASSERT_EQ(sink.ends.size(), 1u);
    EXPECT_EQ(sink.ends[0], MessageEnd::kCutShort);
    EXPECT_TRUE(sink.messages[0].truncated);
  }
}

TEST(Http1MessageParserTest, RequestWhoseHeadNeverEndedIsNoMessage) {
  for (const char* cut :
       {"GET /hal", "GET /half HTTP/1.1\r\nHo", "POST /x HTTP/1.1\r\nHost: a\r\n"}) {
    RecordingSink sink;
    MessageParser parser(StreamKind::kRequests, &sink);
    Feed(parser, cut);
    parser.OnClose();
    EXPECT_TRUE(sink.messages.empty()) << cut;
  }
}

TEST(Http1MessageParserTest, ResponseCutInsideItsStatusLineIsNoMessage) {
  RecordingSink sink;
  MessageParser parser(StreamKind::kResponses, &sink);
  Feed(parser, "HTTP/1.1 20");
  parser.OnClose();
  EXPECT_TRUE(sink.messages.empty());
}

TEST(Http1MessageParserTest, FalseStartSplitAcrossPiecesIsRescanned) {
  // "GET /x HTTP/1.1" begins inside what first looked like the start of "GET GET ...".
  RecordingSink sink;
  MessageParser parser(StreamKind::kRequests, &sink);
  Feed(parser, "zzGET GE");
  Feed(parser, "T /x HTTP/1.1\r\n\r\n");
  ASSERT_EQ(sink.messages.size(), 1u);
  EXPECT_EQ(sink.messages[0].target, "/x");
}

TEST(Http1MessageParserTest, SkippedBytesAreCountedForAbandonment) {
  RecordingSink sink;
  MessageParser parser(StreamKind::kAny, &sink);
  const std::string junk(5000, '\x07');
  Feed(parser, junk);
  EXPECT_EQ(parser.skipped_bytes(), 5000u);
  EXPECT_FALSE(parser.recognized_any());
  EXPECT_EQ(parser.parse_errors(), 0u);  // the stream's start: not an error
}

}  // namespace
}  // namespace otelbpf::http1
