// ConnectionStitcher on byte fixtures: framing, pairing, splits at every offset, capture gaps,
// garbage, bounds, close/reset and role inference.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "fixtures/http1/harness.h"
#include "protocols/http1/h2c_upgrade.h"
#include "protocols/http1/http1_exchange.h"

namespace otelbpf::http1 {
namespace {

using testing::ByteByByte;
using testing::Connection;
using testing::Describe;
using testing::Piece;
using testing::Recv;
using testing::RunScript;
using testing::Send;
using testing::SplitPiece;

constexpr char kGet[] =
    "GET /index.html?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.0\r\nAccept: "
    "*/*\r\n\r\n";
constexpr char kHello[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";
// Only the fields spans read are stored (Host, User-Agent, traceparent, tracestate, and Upgrade,
// which a 101 needs): Accept and the response's fields are parsed for framing, never kept.
constexpr char kGetDescribed[] =
    "REQ GET /index.html?x=1 v1.1 body=0 [Host: example.com] [User-Agent: curl/8.0]";
constexpr char kHelloDescribed[] = "RESP 200 v1.1 body=5";

std::string Get(const std::string& path) { return "GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n"; }
std::string Ok(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// ---------------------------------------------------------------------------------------
// Fixtures that must give the same exchanges however their pieces are cut.

struct Script {
  const char* name;
  std::vector<Piece> pieces;
  bool close_at_end = false;
  size_t expected_exchanges;
};

std::vector<Script> SplittableScripts() {
  return {
      {"simple", {Recv(kGet), Send(kHello)}, false, 1},
      {"post_with_body",
       {Recv("POST /api/items HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
             "Content-Length: 13\r\n\r\n{\"name\":\"x\"}\n"),
        Send("HTTP/1.1 201 Created\r\nLocation: /api/items/7\r\nContent-Length: 0\r\n\r\n")},
       false,
       1},
      {"pipelined",
       {Recv(Get("/a") + Get("/b") + Get("/c")), Send(Ok("A") + Ok("BB") + Ok("CCC"))},
       false,
       3},
      {"chunked_extensions_trailers",
       {Recv(Get("/stream")),
        Send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
             "5;name=value\r\nhello\r\n"
             "1A; ext=\"quoted\"\r\nabcdefghijklmnopqrstuvwxyz\r\n"
             "0\r\nX-Checksum: 1234\r\nX-Other: y\r\n\r\n"),
        Recv(Get("/after")), Send(Ok("done"))},
       false,
       2},
      {"chunked_request",
       {Recv("POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
             "3\r\nabc\r\n0\r\n\r\n"),
        Send(Ok("ok"))},
       false,
       1},
      {"head_then_get",
       {Recv("HEAD /file HTTP/1.1\r\nHost: h\r\n\r\n"),
        Send("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"), Recv(Get("/next")),
        Send(Ok("body"))},
       false,
       2},
      {"no_body_statuses",
       {Recv(Get("/a") + Get("/b") + Get("/c")),
        Send("HTTP/1.1 204 No Content\r\n\r\n"
             "HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\nETag: \"x\"\r\n\r\n" +
             Ok("third"))},
       false,
       3},
      {"continue_100",
       {Recv("PUT /obj HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"),
        Send("HTTP/1.1 100 Continue\r\n\r\n"), Recv("data"), Send(Ok("stored"))},
       false,
       1},
      {"close_delimited",
       {Recv("GET /old HTTP/1.0\r\n\r\n"), Send("HTTP/1.0 200 OK\r\nServer: old\r\n\r\n"),
        Send("first part, "), Send("second part")},
       true,
       1},
      {"bare_lf",
       {Recv("GET /lf HTTP/1.1\nHost: h\n\n"), Send("HTTP/1.1 200 OK\nContent-Length: 2\n\nok")},
       false,
       1},
  };
}

TEST(Http1StitcherTest, SimpleGetAndResponse) {
  Connection c(ConnectionRole::kServer);
  c.Feed({Recv(kGet), Send(kHello)});
  ASSERT_EQ(c.exchanges().size(), 1u);
  EXPECT_EQ(Describe(c.exchanges()[0]), std::string(kGetDescribed) + " => " + kHelloDescribed);
  EXPECT_EQ(c.stitcher().parse_errors(), 0u);
  EXPECT_FALSE(c.stitcher().abandoned());
}

TEST(Http1StitcherTest, ScriptsGiveTheirExpectedExchangeCount) {
  for (const Script& s : SplittableScripts()) {
    std::vector<std::string> got = RunScript(s.pieces, s.close_at_end);
    EXPECT_EQ(got.size(), s.expected_exchanges) << s.name;
    for (const std::string& x : got) {
      EXPECT_EQ(x.find("truncated"), std::string::npos) << s.name << ": " << x;
      EXPECT_EQ(x.find('!'), std::string::npos) << s.name << ": " << x;
    }
  }
}

TEST(Http1StitcherTest, EverySplitOffsetGivesIdenticalExchanges) {
  for (const Script& s : SplittableScripts()) {
    const std::vector<std::string> baseline = RunScript(s.pieces, s.close_at_end);
    for (size_t p = 0; p < s.pieces.size(); ++p) {
      for (size_t cut = 1; cut < s.pieces[p].bytes.size(); ++cut) {
        ASSERT_EQ(RunScript(SplitPiece(s.pieces, p, {cut}), s.close_at_end), baseline)
            << s.name << ": piece " << p << " cut at " << cut;
      }
    }
  }
}

TEST(Http1StitcherTest, EveryThreeWaySplitOfShortPiecesGivesIdenticalExchanges) {
  constexpr size_t kShort = 160;
  for (const Script& s : SplittableScripts()) {
    const std::vector<std::string> baseline = RunScript(s.pieces, s.close_at_end);
    for (size_t p = 0; p < s.pieces.size(); ++p) {
      const size_t n = s.pieces[p].bytes.size();
      if (n > kShort) continue;
      for (size_t a = 1; a < n; ++a) {
        for (size_t b = a + 1; b < n; ++b) {
          ASSERT_EQ(RunScript(SplitPiece(s.pieces, p, {a, b}), s.close_at_end), baseline)
              << s.name << ": piece " << p << " cut at " << a << "," << b;
        }
      }
    }
  }
}

TEST(Http1StitcherTest, OneByteAtATimeGivesIdenticalExchanges) {
  for (const Script& s : SplittableScripts()) {
    EXPECT_EQ(RunScript(ByteByByte(s.pieces), s.close_at_end), RunScript(s.pieces, s.close_at_end))
        << s.name;
  }
}

TEST(Http1StitcherTest, TimestampsComeFromThePiecesCarryingFirstAndLastBytes) {
  Connection c(ConnectionRole::kServer);
  const std::string request = kGet;
  const std::string response = kHello;
  // Request in two pieces (0, 1), response in three (2, 3, 4).
  c.Feed({Recv(request.substr(0, 10)), Recv(request.substr(10)), Send(response.substr(0, 4)),
          Send(response.substr(4, 20)), Send(response.substr(24))});
  ASSERT_EQ(c.exchanges().size(), 1u);
  const Exchange& x = c.exchanges()[0];
  EXPECT_EQ(x.request.first_byte_ns, Connection::PieceStart(0));
  EXPECT_EQ(x.request.last_byte_ns, Connection::PieceEnd(1));
  EXPECT_EQ(x.response->first_byte_ns, Connection::PieceStart(2));
  EXPECT_EQ(x.response->last_byte_ns, Connection::PieceEnd(4));
}

TEST(Http1StitcherTest, PipelinedMessagesShareTheirPieceTimestamps) {
  Connection c(ConnectionRole::kServer);
  c.Feed({Recv(Get("/a") + Get("/b") + Get("/c")), Send(Ok("1") + Ok("22") + Ok("333"))});
  ASSERT_EQ(c.exchanges().size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const Exchange& x = c.exchanges()[i];
    EXPECT_EQ(x.request.target, std::string("/") + static_cast<char>('a' + i));
    EXPECT_EQ(x.response->body_bytes, i + 1);
    EXPECT_EQ(x.request.first_byte_ns, Connection::PieceStart(0));
    EXPECT_EQ(x.response->last_byte_ns, Connection::PieceEnd(1));
  }
}

TEST(Http1StitcherTest, ChunkedBodySizeExcludesFraming) {
  Connection c(ConnectionRole::kServer);
  c.Feed(SplittableScripts()[3].pieces);
  ASSERT_EQ(c.exchanges().size(), 2u);
  EXPECT_EQ(c.exchanges()[0].response->body_bytes, 5u + 26u);
  EXPECT_EQ(c.exchanges()[1].request.target, "/after");
}

TEST(Http1StitcherTest, HeadResponseHasNoBody) {
  Connection c(ConnectionRole::kServer);
  c.Feed(SplittableScripts()[5].pieces);
  ASSERT_EQ(c.exchanges().size(), 2u);
  EXPECT_EQ(c.exchanges()[0].request.method, "HEAD");
  EXPECT_EQ(c.exchanges()[0].response->body_bytes, 0u);
  EXPECT_EQ(c.exchanges()[1].response->body_bytes, 4u);
}

TEST(Http1StitcherTest, InterimResponseIsFollowedByTheFinalOne) {
  Connection c(ConnectionRole::kServer);
  c.Feed(SplittableScripts()[7].pieces);
  ASSERT_EQ(c.exchanges().size(), 1u);
  EXPECT_EQ(c.exchanges()[0].response->status_code, 200);
  EXPECT_EQ(c.exchanges()[0].request.body_bytes, 4u);
  EXPECT_EQ(c.exchanges()[0].response->body_bytes, 6u);
}

TEST(Http1StitcherTest, CloseDelimitedBodyEndsAtClose) {
  Connection c(ConnectionRole::kServer);
  c.Feed(SplittableScripts()[8].pieces);
  EXPECT_TRUE(c.exchanges().empty());  // the body could go on
  c.Close();
  ASSERT_EQ(c.exchanges().size(), 1u);
  const Exchange& x = c.exchanges()[0];
  EXPECT_EQ(x.error, ExchangeError::kNone);
  EXPECT_EQ(x.response->body_bytes, 23u);
  EXPECT_EQ(x.response->last_byte_ns, Connection::PieceEnd(3));  // not the close time
}

// ---------------------------------------------------------------------------------------
// Capture gaps: only a prefix of each syscall's bytes is captured.

// A piece whose bytes are `full`, but only the first `captured` of them were copied.
Piece Captured(Direction d, const std::string& full, size_t captured) {
  return {d, full.substr(0, captured), full.size()};
}

TEST(Http1StitcherTest, GapInsideBodyOfKnownLengthIsSkippedByCount) {
  const std::string body(3000, 'b');
  Connection c(ConnectionRole::kServer);
  c.Feed({Recv(Get("/big")), Captured(Direction::kSend, Ok(body), 1024), Recv(Get("/next")),
          Send(Ok("small"))});
  ASSERT_EQ(c.exchanges().size(), 2u);
  EXPECT_EQ(c.exchanges()[0].response->body_bytes, 3000u);
  EXPECT_FALSE(c.exchanges()[0].response->truncated);
  EXPECT_EQ(c.exchanges()[0].response->last_byte_ns, Connection::PieceEnd(1));
  EXPECT_EQ(c.exchanges()[1].request.target, "/next");
  EXPECT_EQ(c.exchanges()[1].response->body_bytes, 5u);
  EXPECT_EQ(c.stitcher().parse_errors(), 0u);
}

TEST(Http1StitcherTest, GapAcrossManyPiecesOfOneBody) {
  Connection c(ConnectionRole::kServer);
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 40000\r\n\r\n";
  c.Feed(Recv(Get("/huge")));
  c.Feed(Captured(Direction::kSend, head + std::string(16384 - head.size(), 'x'), 1024));
  c.Feed(Captured(Direction::kSend, std::string(16384, 'y'), 1024));
  EXPECT_TRUE(c.exchanges().empty());
  c.Feed(Captured(Direction::kSend, std::string(40000 + head.size() - 32768, 'z'), 1024));
  ASSERT_EQ(c.exchanges().size(), 1u);
  EXPECT_EQ(c.exchanges()[0].response->body_bytes, 40000u);
}

// A request whose headers (with a long cookie) are longer than the capture limit.
std::string BigHeaderPost(size_t content_length, bool length_first) {
  std::string length_header = "Content-Length: " + std::to_string(content_length) + "\r\n";
  std::string out = "POST /submit HTTP/1.1\r\nHost: h\r\n";
  if (length_first) out += length_header;
  out += "Cookie: " + std::string(1500, 'c') + "\r\n";
  if (!length_first) out += length_header;
  return out + "\r\n";
}

TEST(Http1StitcherTest, GapInsideHeadersUsesContentLengthSeenBeforeIt) {
  Connection c(ConnectionRole::kServer);
  const std::string request = BigHeaderPost(100, true) + std::string(100, 'd');
  c.Feed({Captured(Direction::kRecv, request, 1024), Send(Ok("ok")), Recv(Get("/next")),
          Send(Ok("fine"))});
  ASSERT_EQ(c.exchanges().size(), 2u);
  const Exchange& x = c.exchanges()[0];
  EXPECT_TRUE(x.request.truncated);
  EXPECT_EQ(x.request.method, "POST");
  EXPECT_EQ(x.request.target, "/submit");
  EXPECT_EQ(x.request.body_bytes, 100u);
  EXPECT_EQ(x.request.last_byte_ns, Connection::PieceEnd(0));
  EXPECT_NE(x.request.FindHeader("Host"), nullptr);
  EXPECT_EQ(x.request.FindHeader("Cookie"), nullptr);  // cut by the capture: not kept
  EXPECT_EQ(c.exchanges()[1].request.target, "/next");
}

TEST(Http1StitcherTest, GapInsideHeadersWithLongerBodyKeepsCountingIt) {
  // Headers ~1.6 KB, body 5000 bytes arriving in later pieces. The parser assumes the
  // gap was body, so it ends the body a few hundred bytes early and resynchronises.
  Connection c(ConnectionRole::kServer);
  const std::string head = BigHeaderPost(5000, true);
  c.Feed(Captured(Direction::kRecv, head, 1024));
  c.Feed(Recv(std::string(2500, 'd')));
  c.Feed(Recv(std::string(2500, 'd')));
  c.Feed(Send(Ok("ok")));
  c.Feed(Recv(Get("/next")));
  c.Feed(Send(Ok("fine")));
  ASSERT_EQ(c.exchanges().size(), 2u);
  EXPECT_TRUE(c.exchanges()[0].request.truncated);
  EXPECT_EQ(c.exchanges()[0].request.body_bytes, 5000u);
  EXPECT_EQ(c.exchanges()[1].request.target, "/next");
  EXPECT_EQ(c.exchanges()[1].response->body_bytes, 4u);
}

TEST(Http1StitcherTest, GapInsideHeadersWithoutLengthEndsMessageAtPieceEnd) {
  Connection c(ConnectionRole::kServer);
  const std::string request = BigHeaderPost(100, false) + std::string(100, 'd');
  c.Feed({Captured(Direction::kRecv, request, 1024), Send(Ok("ok")), Recv(Get("/next")),
          Send(Ok("fine"))});
  ASSERT_EQ(c.exchanges().size(), 2u);
  EXPECT_TRUE(c.exchanges()[0].request.truncated);
  EXPECT_EQ(c.exchanges()[0].request.body_bytes, 0u);  // unknowable
  EXPECT_EQ(c.exchanges()[1].request.target, "/next");
}

TEST(Http1StitcherTest, GapInsideStartLineKeepsWhatWasCaptured) {
  Connection c(ConnectionRole::kServer);
  const std::string request = "GET /" + std::string(2000, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n";
  c.Feed({Captured(Direction::kRecv, request, 1024), Send(Ok("ok"))});
  ASSERT_EQ(c.exchanges().size(), 1u);
  const Message& r = c.exchanges()[0].request;
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/" + std::string(1019, 'a'));
  EXPECT_EQ(r.version, "");
}

TEST(Http1StitcherTest, GapInsideChunkedFramingEndsMessageAtPieceEnd) {
  Connection c(ConnectionRole::kServer);
  const std::string response =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "400\r\n" +
      std::string(0x400, 'q') +
      "\r\n"
      "800\r\n" +
      std::string(0x800, 'r') + "\r\n0\r\n\r\n";
  c.Feed({Recv(Get("/chunks")), Captured(Direction::kSend, response, 1024)});
  ASSERT_EQ(c.exchanges().size(), 1u);
  const Message& r = *c.exchanges()[0].response;
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.last_byte_ns, Connection::PieceEnd(1));
  // A later exchange on the same connection still parses.
  c.Feed({Recv(Get("/again")), Send(Ok("x"))});
  ASSERT_EQ(c.exchanges().size(), 2u);
  EXPECT_EQ(c.exchanges()[1].response->body_bytes, 1u);
}

TEST(Http1StitcherTest, GapInsideChunkDataOfKnownSizeIsSkippedByCount) {
  Connection c(ConnectionRole::kServer);
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string first = head + "1000\r\n" + std::string(0x1000 - 100, 'q');
  c.Feed({Recv(Get("/chunks")), Captured(Direction::kSend, first, 1024),
          Send(std::string(100, 'q') + "\r\n0\r\n\r\n")});
  ASSERT_EQ(c.exchanges().size(), 1u);
  EXPECT_FALSE(c.exchanges()[0].response->truncated);
  EXPECT_EQ(c.exchanges()[0].response->body_bytes, 0x1000u);
}

// ---------------------------------------------------------------------------------------
// Garbage, resynchronisation, abandonment.

TEST(Http1StitcherTest, GarbageBetweenRequestsIsSkippedAndCounted) {
  Connection c(ConnectionRole::kServer);
  c.Feed({Recv(Get("/a")), Send(Ok("1"))});
  constexpr char kJunk[] = "\x16\x03\x01 binary junk \x00\xff GETX";
  c.Feed(Recv(std::string(kJunk, sizeof(kJunk) - 1) + Get("/b")));
  c.Feed(Send(Ok("2")));
  ASSERT_EQ(c.exchanges().size(), 2u);
  EXPECT_EQ(c.exchanges()[1].request.target, "/b");
  EXPECT_EQ(c.stitcher().parse_errors(), 1u);
}

TEST(Http1StitcherTest, EmptyLinesBetweenMessagesAreNotErrors) {
  Connection c(ConnectionRole::kServer);
  c.Feed({Recv("POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nab\r\n"), Send(Ok("1")),
          Recv("\r\n" + Get("/b")), Send(Ok("2"))});
  ASSERT_EQ(c.exchanges().size(), 2u);
  EXPECT_EQ(c.exchanges()[1].request.target, "/b");
  EXPECT_EQ(c.stitcher().parse_errors(), 0u);
}

TEST(Http1StitcherTest, GarbageBeforeFirstRequestIsSkipped) {
  Connection c(ConnectionRole::kServer);
  c.Feed({Recv("trailing bytes of something else}\r\n" + Get("/first")), Send(Ok("x"))});
  ASSERT_EQ(c.exchanges().size(), 1u);
  EXPECT_EQ(c.exchanges()[0].request.target, "/first");
  // At the very start of a stream this is the normal "learned mid-message" case.
  EXPECT_EQ(c.stitcher().parse_errors(), 0u);
}

TEST(Http1StitcherTest, LookalikeStartLinesInGarbageAreRejected) {
  Connection c(ConnectionRole::kServer);
  c.Feed(
      Recv("GET  HTTP/1.1\r\nget / HTTP/1.1\r\nGET / HTTP/2.0\r\nGET /\x01 HTTP/1.1\r\n"
           "GET / HTTP/1.1 trailing\r\n" +
           Get("/real")));
  c.Feed(Send(Ok("x")));
  ASSERT_EQ(c.exchanges().size(), 1u);
  EXPECT_EQ(c.exchanges()[0].request.target, "/real");
}

TEST(Http1StitcherTest, RandomBinaryGarbageYieldsNothingAndIsAbandoned) {
  std::mt19937 rng(20240601);
  std::uniform_int_distribution<int> byte(0, 255);
  Connection c(ConnectionRole::kUnknown);
  int pieces = 0;
  for (; pieces < 256 && !c.stitcher().abandoned(); ++pieces) {
    std::string junk(1024, '\0');
    for (char& ch : junk) ch = static_cast<char>(byte(rng));
    c.Feed(pieces % 2 ? Send(junk) : Recv(junk));
  }
  EXPECT_TRUE(c.stitcher().abandoned());
  EXPECT_EQ(pieces, static_cast<int>(kAbandonAfterUnparseablePieces));
  c.Close();
  EXPECT_TRUE(c.exchanges().empty());
  EXPECT_EQ(c.stitcher().role(), ConnectionRole::kUnknown);
}

TEST(Http1StitcherTest, ConnectionCaughtInsideALargeBodyIsNotAbandonedEarly) {
  // Agent started during a 1 MiB download on a keep-alive connection: 16 KiB writes, 1 KiB
  // captured each. The next response must still be seen.
  Connection c(ConnectionRole::kClient);
  const std::string body_piece(16384, 'b');
  for (int i = 0; i < 40; ++i) c.Feed(Captured(Direction::kRecv, body_piece, 1024));
  EXPECT_FALSE(c.stitcher().abandoned());
  c.Feed({Send(Get("/next")), Recv(Ok("x"))});
  ASSERT_EQ(c.exchanges().size(), 1u);
  EXPECT_EQ(c.exchanges()[0].request.target, "/next");
}

TEST(Http1StitcherTest, RecognizedConnectionIsNeverAbandonedForLaterGarbage) {
  Connection c(ConnectionRole::kServer);
  c.Feed({Recv(Get("/a")), Send(Ok("1"))});
  c.Feed(Recv(std::string(64 * 1024, '\x01')));
  EXPECT_FALSE(c.stitcher().abandoned());
  c.Feed({Recv(Get("/b")), Send(Ok("2"))});
  EXPECT_EQ(c.exchanges().size(), 2u);
}

TEST(Http1StitcherTest, OneMebibyteHeaderIsBoundedAndParsingContinues) {
  const std::string big = "GET /big HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(1 << 20, 'a') +
                          "\r\n\r\n" + Get("/next");
  Connection c(ConnectionRole::kServer);
  for (size_t at = 0; at < big.size(); at += 4096) c.Feed(Recv(big.substr(at, 4096)));
  c.Feed(Send("HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n\r\n"));
  c.Feed(Send(Ok("next")));
  ASSERT_EQ(c.exchanges().size(), 2u);
  const Exchange& first = c.exchanges()[0];
  EXPECT_EQ(first.request.target, "/big");
  EXPECT_TRUE(first.request.truncated);
  EXPECT_NE(first.request.FindHeader("Host"), nullptr);
  EXPECT_EQ(first.request.FindHeader("X-Big"), nullptr);
  EXPECT_EQ(first.response->status_code, 431);
  EXPECT_EQ(c.exchanges()[1].request.target, "/next");
  EXPECT_EQ(c.exchanges()[1].response->status_code, 200);
}

TEST(Http1StitcherTest, BinaryBytesInsideAnOversizedHeaderDropTheMessage) {
  const std::string bogus = "GET /x HTTP/1.1\r\nX-Big: " + std::string(20000, 'a') +
                            std::string("\x00\x01", 2) + std::string(100, 'b') + Get("/next");
  Connection c(ConnectionRole::kServer);
  c.Feed(Recv(bogus));
  c.Feed(Send(Ok("n")));
  ASSERT_EQ(c.exchanges().size(), 1u);
  EXPECT_EQ(c.exchanges()[0].request.target, "/next");
  EXPECT_EQ(c.stitcher().parse_errors(), 1u);
}

// ---------------------------------------------------------------------------------------
// Close, reset, lies.

TEST(Http1StitcherTest, LyingContentLengthCompletesOnlyAtClose) {
  Connection c(ConnectionRole::kServer);
  c.Feed({Recv(Get("/lie")), Send("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nshort body")});
  c.Feed({Recv(Get("/more"))});  // the client gave up waiting and asked again: still a body
  EXPECT_TRUE(c.exchanges().empty());
  c.Close();
  ASSERT_EQ(c.exchanges().size(), 2u);
  EXPECT_EQ(c.exchanges()[0].response->status_code, 200);
  EXPECT_EQ(c.exchanges()[0].response->body_bytes, 10u);
  EXPECT_EQ(c.exchanges()[0].error, ExchangeError::kClosedEarly);
  EXPECT_FALSE(c.exchanges()[1].response.has_value());
  EXPECT_EQ(c.exchanges()[1].error, ExchangeError::kClosedEarly);
}

TEST(Http1StitcherTest, ResetFailsEveryPendingRequest) {
  Connection c(ConnectionRole::kServer);
  c.Feed({Recv(Get("/1") + Get("/2") + Get("/3")), Send(Ok("one"))});
  ASSERT_EQ(c.exchanges().size(), 1u);
  c.Close(/*reset=*/true);
  ASSERT_EQ(c.exchanges().size(), 3u);
  for (size_t i = 1; i < 3; ++i) {
    EXPECT_FALSE(c.exchanges()[i].response.has_value());
    EXPECT_EQ(c.exchanges()[i].error, ExchangeError::kConnectionReset);
  }
  EXPECT_EQ(c.exchanges()[2].request.target, "/3");
}

TEST(Http1StitcherTest, CloseWithPendingRequestIsClosedEarly) {
  Connection c(ConnectionRole::kClient);
  c.Feed(Send(Get("/slow")));
  c.Close();
  ASSERT_EQ(c.exchanges().size(), 1u);
  EXPECT_EQ(c.exchanges()[0].error, ExchangeError::kClosedEarly);
}

TEST(Http1StitcherTest, RequestBodyCutByCloseStillReportsTheResponse) {
  Connection c(ConnectionRole::kServer);
  c.Feed(
      {Recv("POST /up HTTP/1.1\r\nContent-Length: 1000000\r\n\r\npartial"),
       Send("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")});
  c.Close();
  ASSERT_EQ(c.exchanges().size(), 1u);
  EXPECT_EQ(c.exchanges()[0].response->status_code, 413);
  EXPECT_EQ(c.exchanges()[0].error, ExchangeError::kNone);
  EXPECT_EQ(c.exchanges()[0].request.body_bytes, 7u);
}

TEST(Http1StitcherTest, NothingIsReportedAfterClose) {
  Connection c(ConnectionRole::kServer);
  c.Close();
  c.Feed({Recv(Get("/late")), Send(Ok("x"))});
  EXPECT_TRUE(c.exchanges().empty());
}

// ---------------------------------------------------------------------------------------
// Roles, mid-stream starts, bounds, protocol switches.

TEST(Http1StitcherTest, UnknownRoleIsInferredAsClientFromSentRequest) {
  Connection c(ConnectionRole::kUnknown);
  c.Feed({Send(Get("/c")), Recv(Ok("x"))});
  EXPECT_EQ(c.stitcher().role(), ConnectionRole::kClient);
  ASSERT_EQ(c.exchanges().size(), 1u);
  EXPECT_EQ(c.exchanges()[0].request.target, "/c");
  // ...and kept: a request-looking message on the receive side is not a request now.
  c.Feed({Send(Get("/d")), Recv(Ok("y"))});
  EXPECT_EQ(c.stitcher().role(), ConnectionRole::kClient);
  EXPECT_EQ(c.exchanges().size(), 2u);
}

TEST(Http1StitcherTest, UnknownRoleIsInferredAsServerFromReceivedRequest) {
  Connection c(ConnectionRole::kUnknown);
  c.Feed({Recv(Get("/s")), Send(Ok("x"))});
  EXPECT_EQ(c.stitcher().role(), ConnectionRole::kServer);
  ASSERT_EQ(c.exchanges().size(), 1u);
}

TEST(Http1StitcherTest, UnknownRoleIsInferredFromAResponseToo) {
  Connection c(ConnectionRole::kUnknown);
  c.Feed(Recv(Ok("answer to a request we never saw")));
  EXPECT_EQ(c.stitcher().role(), ConnectionRole::kClient);
  EXPECT_EQ(c.stitcher().unmatched_responses(), 1u);
  c.Feed({Send(Get("/next")), Recv(Ok("x"))});
  ASSERT_EQ(c.exchanges().size(), 1u);
}

TEST(Http1StitcherTest, ConnectionLearnedMidBody) {
  Connection c(ConnectionRole::kServer);
  // We start seeing the connection in the middle of a request body and of its response body.
  c.Feed(Recv("\"key\": \"value\", \"n\": 42}\n" + Get("/b")));
  c.Feed(Send("rest of an earlier body with words: Hello There\n"));
  c.Feed(Send(Ok("b")));
  ASSERT_EQ(c.exchanges().size(), 1u);
  EXPECT_EQ(c.exchanges()[0].request.target, "/b");
  EXPECT_EQ(c.exchanges()[0].response->body_bytes, 1u);
  EXPECT_EQ(c.stitcher().parse_errors(), 0u);
  EXPECT_EQ(c.stitcher().unmatched_responses(), 0u);
}

TEST(Http1StitcherTest, ConnectionLearnedMidBodyWithNextResponseInSamePiece) {
  Connection c(ConnectionRole::kClient);
  c.Feed(Send(Get("/x")));
  c.Feed(Recv("tail of a previous body" + Ok("x")));
  ASSERT_EQ(c.exchanges().size(), 1u);
  EXPECT_EQ(c.exchanges()[0].response->body_bytes, 1u);
}

TEST(Http1StitcherTest, PendingRequestsAreBoundedAndPairingStaysAligned) {
  constexpr size_t kSent = kMaxPendingRequests + 6;
  Connection c(ConnectionRole::kServer);
  std::string requests;
  for (size_t i = 0; i < kSent; ++i) requests += Get("/" + std::to_string(i));
  c.Feed(Recv(requests));
  EXPECT_EQ(c.stitcher().dropped_requests(), 6u);
  // Response i has a body of i bytes, so pairing can be checked.
  std::string responses;
  for (size_t i = 0; i < kSent; ++i) responses += Ok(std::string(i, 'r'));
  c.Feed(Send(responses));
  ASSERT_EQ(c.exchanges().size(), kMaxPendingRequests);
  for (const Exchange& x : c.exchanges()) {
    EXPECT_EQ(x.request.target, "/" + std::to_string(x.response->body_bytes));
  }
}

TEST(Http1StitcherTest, UpgradeStopsParsingAndEndsTheConnection) {
  Connection c(ConnectionRole::kServer);
  c.Feed(Recv("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"));
  c.Feed(Send("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello"));
  ASSERT_EQ(c.exchanges().size(), 1u);
  EXPECT_EQ(c.exchanges()[0].response->status_code, 101);
  EXPECT_TRUE(c.stitcher().abandoned());
}

// RFC 7540 section 3.2: the upgrading request is answered on HTTP/2 stream 1.
constexpr char kH2cRequest[] =
    "GET /up?q=1 HTTP/1.1\r\nHost: h:8080\r\nConnection: Upgrade, HTTP2-Settings\r\n"
    "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nUser-Agent: curl/7.88\r\n"
    "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n\r\n";
constexpr char k101ToH2c[] =
    "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n";
// A server SETTINGS frame (no parameters): the first HTTP/2 bytes after the 101.
const std::string kServerSettings("\0\0\0\x04\0\0\0\0\0", 9);
constexpr uint32_t kHttp2Followed = 1u << OTELBPF_PROTO_HTTP2;

TEST(Http1StitcherTest, H2cUpgradeHandsTheRequestAndTheBytesAfterThe101ToHttp2) {
  Connection c(ConnectionRole::kServer, kHttp2Followed);
  c.Feed(Recv(kH2cRequest));
  EXPECT_EQ(c.stitcher().TakeSwitch(), nullptr);  // nothing switched yet
  c.Feed(Send(std::string(k101ToH2c) + kServerSettings));
  EXPECT_TRUE(c.exchanges().empty()) << "the request is answered on stream 1, not in HTTP/1";
  std::unique_ptr<ProtocolSwitch> handover = c.stitcher().TakeSwitch();
  ASSERT_NE(handover, nullptr);
  EXPECT_EQ(handover->protocol, OTELBPF_PROTO_HTTP2);
  ASSERT_TRUE(handover->request);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {":method", "GET"},
      {":scheme", "http"},
      {":authority", "h:8080"},
      {":path", "/up?q=1"},
      {"user-agent", "curl/7.88"},
      {"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}};
  EXPECT_EQ(handover->request->fields, expected);
  EXPECT_EQ(handover->request->first_byte_ns, Connection::PieceStart(0));
  ASSERT_TRUE(handover->rest);
  EXPECT_EQ(handover->rest->bytes, kServerSettings);
  EXPECT_EQ(handover->rest->meta.length, kServerSettings.size());
  EXPECT_EQ(handover->rest->meta.direction, Direction::kSend);
  EXPECT_EQ(handover->rest->meta.start_ns, Connection::PieceStart(1));
  EXPECT_EQ(c.stitcher().TakeSwitch(), nullptr) << "handed over once";
  EXPECT_TRUE(c.stitcher().abandoned()) << "HTTP/1 is done with the connection";
}

TEST(Http1StitcherTest, H2cUpgradeWithNothingAfterThe101HandsNoBytes) {
  Connection c(ConnectionRole::kClient, kHttp2Followed);
  c.Feed(Send(kH2cRequest));
  c.Feed(Recv(k101ToH2c));
  std::unique_ptr<ProtocolSwitch> handover = c.stitcher().TakeSwitch();
  ASSERT_NE(handover, nullptr);
  EXPECT_FALSE(handover->rest);
}

TEST(Http1StitcherTest, H2cUpgradeEndsLikeAnyUpgradeWhenHttp2IsNotFollowed) {
  Connection c(ConnectionRole::kServer, /*switch_targets=*/0);
  c.Feed(Recv(kH2cRequest));
  c.Feed(Send(std::string(k101ToH2c) + kServerSettings));
  ASSERT_EQ(c.exchanges().size(), 1u);
  EXPECT_EQ(c.exchanges()[0].response->status_code, 101);
  EXPECT_EQ(c.stitcher().TakeSwitch(), nullptr);
  EXPECT_TRUE(c.stitcher().abandoned());
}

TEST(Http1StitcherTest, OtherUpgradesAreNoSwitchEvenWithHttp2Followed) {
  Connection c(ConnectionRole::kServer, kHttp2Followed);
  c.Feed(Recv("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket, h2c\r\n\r\n"));
  c.Feed(Send("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello"));
  ASSERT_EQ(c.exchanges().size(), 1u);  // the server chose websocket: nothing to follow
  EXPECT_EQ(c.stitcher().TakeSwitch(), nullptr);
  EXPECT_TRUE(c.stitcher().abandoned());
}

TEST(Http1StitcherTest, UpgradedRequestInAbsoluteFormNamesItsAuthority) {
  Message request;
  request.is_request = true;
  request.method = "POST";
  request.target = "http://api.example:8080";
  request.headers = {{"Host", "ignored"}, {"Upgrade", "h2c"}};
  const ProtocolSwitch::Request r = UpgradedRequest(request);
  const std::vector<std::pair<std::string, std::string>> expected = {
      {":method", "POST"}, {":scheme", "http"}, {":authority", "api.example:8080"}, {":path", "/"}};
  EXPECT_EQ(r.fields, expected);
}

TEST(Http1StitcherTest, ConnectTunnelStopsParsing) {
  Connection c(ConnectionRole::kClient);
  c.Feed(Send("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"));
  c.Feed(Recv("HTTP/1.1 200 Connection Established\r\n\r\n"));
  ASSERT_EQ(c.exchanges().size(), 1u);
  EXPECT_EQ(c.exchanges()[0].request.method, "CONNECT");
  EXPECT_TRUE(c.stitcher().abandoned());
}

TEST(Http1StitcherTest, ResponseWithoutRequestIsCountedNotPaired) {
  Connection c(ConnectionRole::kServer);
  c.Feed(Send(Ok("unsolicited")));
  c.Feed({Recv(Get("/a")), Send(Ok("a"))});
  ASSERT_EQ(c.exchanges().size(), 1u);
  EXPECT_EQ(c.exchanges()[0].response->body_bytes, 1u);
  EXPECT_EQ(c.stitcher().unmatched_responses(), 1u);
}

// ---------------------------------------------------------------------------------------
// Resting (ConnectionStitcher::Rest): an idle connection's parsing state released and rebuilt.

TEST(Http1StitcherTest, RestingAfterEveryPieceGivesIdenticalExchanges) {
  for (const Script& s : SplittableScripts()) {
    const std::vector<std::string> baseline = RunScript(s.pieces, s.close_at_end);
    Connection c(ConnectionRole::kServer);
    size_t rests = 0;
    for (const Piece& p : s.pieces) {
      c.Feed(p);
      rests += c.stitcher().Rest() ? 1 : 0;
    }
    if (s.close_at_end) c.Close();
    EXPECT_EQ(Describe(c.exchanges()), baseline) << s.name;
    for (size_t i = 0; i < c.exchanges().size(); ++i) EXPECT_EQ(c.exchanges()[i].index, i);
    if (!s.close_at_end) {
      EXPECT_GE(rests, 1u) << s.name << ": never at rest after its exchanges";
    }
  }
}

TEST(Http1StitcherTest, RestsOnlyBetweenExchanges) {
  Connection c(ConnectionRole::kServer);
  EXPECT_FALSE(c.stitcher().Rest());  // nothing recognised yet
  c.Feed(Recv(Get("/a")));
  EXPECT_FALSE(c.stitcher().Rest());  // a request waits for its response
  c.Feed(Send("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhe"));
  EXPECT_FALSE(c.stitcher().Rest());  // inside the response's body
  EXPECT_FALSE(c.stitcher().resting());
  c.Feed(Send("llo"));
  EXPECT_TRUE(c.stitcher().Rest());
  EXPECT_TRUE(c.stitcher().resting());
  c.Feed({Recv(Get("/b")), Send(Ok("2"))});
  EXPECT_FALSE(c.stitcher().resting());
  ASSERT_EQ(c.exchanges().size(), 2u);
  EXPECT_EQ(c.exchanges()[1].index, 1u);
  EXPECT_EQ(Describe(c.exchanges()[1]), "REQ GET /b v1.1 body=0 [Host: h] => RESP 200 v1.1 body=1");
}

TEST(Http1StitcherTest, CountersAndRoleSurviveARest) {
  Connection c(ConnectionRole::kUnknown);
  c.Feed({Recv(Get("/a")), Send(Ok("1"))});
  constexpr char kJunk[] = "\x16\x03\x01 binary junk \x00\xff GETX";
  c.Feed(Recv(std::string(kJunk, sizeof(kJunk) - 1) + Get("/b")));
  c.Feed(Send(Ok("2")));
  c.Feed(Send(Ok("unsolicited")));
  ASSERT_EQ(c.stitcher().parse_errors(), 1u);
  ASSERT_EQ(c.stitcher().unmatched_responses(), 1u);
  ASSERT_TRUE(c.stitcher().Rest());
  EXPECT_EQ(c.stitcher().parse_errors(), 1u);
  EXPECT_EQ(c.stitcher().unmatched_responses(), 1u);
  EXPECT_EQ(c.stitcher().role(), ConnectionRole::kServer);
  EXPECT_FALSE(c.stitcher().abandoned());
  c.Feed({Recv(Get("/c")), Send(Ok("3"))});
  ASSERT_EQ(c.exchanges().size(), 3u);
  EXPECT_EQ(c.exchanges()[2].index, 2u);
  EXPECT_EQ(c.stitcher().parse_errors(), 1u);
}

TEST(Http1StitcherTest, CloseWhileRestingReportsNothingMore) {
  Connection c(ConnectionRole::kServer);
  c.Feed({Recv(Get("/a")), Send(Ok("1"))});
  ASSERT_TRUE(c.stitcher().Rest());
  c.Close();
  c.Feed({Recv(Get("/late")), Send(Ok("x"))});
  EXPECT_EQ(c.exchanges().size(), 1u);
}

TEST(Http1StitcherTest, NeverRestsAfterAProtocolSwitch) {
  Connection c(ConnectionRole::kServer);
  c.Feed(Recv("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"));
  c.Feed(Send("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"));
  EXPECT_FALSE(c.stitcher().Rest());
  EXPECT_TRUE(c.stitcher().abandoned());
}

// Robustness: random valid traffic cut and gapped at random, mixed with garbage, never
// crashes, and exchanges keep coming once the garbage stops.
TEST(Http1StitcherTest, RandomCutsGapsAndGarbageNeverBreakTheStitcher) {
  std::mt19937 rng(7);
  const std::vector<std::string> requests = {
      Get("/a"), "POST /p HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
      "PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"};
  const std::vector<std::string> responses = {
      Ok("hello"), "HTTP/1.1 204 No Content\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\n\r\n"};
  for (int round = 0; round < 300; ++round) {
    Connection c(round % 3 == 0 ? ConnectionRole::kUnknown : ConnectionRole::kServer);
    for (int i = 0; i < 20; ++i) {
      const size_t k = rng() % requests.size();
      for (Direction d : {Direction::kRecv, Direction::kSend}) {
        std::string bytes = d == Direction::kRecv ? requests[k] : responses[k];
        if (rng() % 10 == 0) {
          bytes.insert(rng() % bytes.size(), std::string(rng() % 50, static_cast<char>(rng())));
        }
        size_t at = 0;
        while (at < bytes.size()) {
          const size_t n = std::min<size_t>(1 + rng() % 40, bytes.size() - at);
          const size_t captured = rng() % 8 == 0 ? rng() % (n + 1) : n;
          c.Feed(Piece{d, bytes.substr(at, captured), n});
          at += n;
        }
      }
    }
    c.Feed({Recv(Get("/final")), Send(Ok("end"))});
    c.Close(rng() % 2 == 0);
    ASSERT_FALSE(c.exchanges().empty()) << "round " << round;
  }
}

}  // namespace
}  // namespace otelbpf::http1
