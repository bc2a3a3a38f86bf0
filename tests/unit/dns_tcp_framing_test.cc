// TcpFramer (RFC 7766 length-prefixed messages) and SocketStitcher (bytes of one socket to
// lookups): splits at every offset, capture gaps, lost boundaries, oversized messages.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "protocols/dns/socket_stitcher.h"
#include "protocols/dns/tcp_framing.h"

namespace otelbpf::dns {
namespace {

using namespace std::string_literals;

// id 0x1234, RD, "example.com" A IN.
const std::string kQuery = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"s + "\x07" +
                           "example" + "\x03" + "com" + "\x00\x00\x01\x00\x01"s;
// Its answer: 93.184.216.34, owner compressed to the question's name.
const std::string kResponse = "\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00"s + "\x07" +
                              "example" + "\x03" + "com" + "\x00\x00\x01\x00\x01"s +
                              "\xc0\x0c\x00\x01\x00\x01\x00\x00\x01\x2c\x00\x04\x5d\xb8\xd8\x22"s;

std::string Framed(std::string_view message) {
  std::string out;
  out.push_back(static_cast<char>(message.size() >> 8));
  out.push_back(static_cast<char>(message.size() & 0xFF));
  out.append(message);
  return out;
}

// Feeds `stream` cut at `cuts` (ascending offsets), piece i stamped [10 i, 10 i + 1].
std::vector<Frame> FeedCut(const std::string& stream, const std::vector<size_t>& cuts) {
  TcpFramer framer;
  size_t from = 0;
  uint64_t t = 0;
  for (size_t to : cuts) {
    framer.OnData(std::string_view(stream).substr(from, to - from), to - from, t, t + 1);
    from = to;
    t += 10;
  }
  framer.OnData(std::string_view(stream).substr(from), stream.size() - from, t, t + 1);
  return framer.frames();
}

TEST(DnsTcpFraming, OneMessageInOnePiece) {
  const std::vector<Frame> frames = FeedCut(Framed(kQuery), {});
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].bytes, kQuery);
  EXPECT_EQ(frames[0].length, kQuery.size());
  EXPECT_TRUE(frames[0].complete);
  EXPECT_EQ(frames[0].start_ns, 0u);
  EXPECT_EQ(frames[0].end_ns, 1u);
}

TEST(DnsTcpFraming, ReassemblesTwoMessagesSplitAtEveryOffset) {
  const std::string stream = Framed(kQuery) + Framed(kResponse);
  for (size_t cut = 1; cut < stream.size(); ++cut) {
    const std::vector<Frame> frames = FeedCut(stream, {cut});
    ASSERT_EQ(frames.size(), 2u) << "cut at " << cut;
    EXPECT_EQ(frames[0].bytes, kQuery) << "cut at " << cut;
    EXPECT_EQ(frames[1].bytes, kResponse) << "cut at " << cut;
    EXPECT_TRUE(frames[0].complete && frames[1].complete);
    // Each frame is stamped by the pieces that carried its first and last bytes.
    const size_t first_end = 2 + kQuery.size();
    EXPECT_EQ(frames[0].start_ns, 0u);
    EXPECT_EQ(frames[0].end_ns, cut >= first_end ? 1u : 11u) << "cut at " << cut;
    EXPECT_EQ(frames[1].start_ns, cut > first_end ? 0u : 10u) << "cut at " << cut;
    EXPECT_EQ(frames[1].end_ns, 11u);
  }
}

TEST(DnsTcpFraming, ReassemblesByteByByte) {
  const std::string stream = Framed(kQuery) + Framed(kResponse) + Framed(kQuery);
  std::vector<size_t> cuts;
  for (size_t i = 1; i < stream.size(); ++i) cuts.push_back(i);
  const std::vector<Frame> frames = FeedCut(stream, cuts);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[2].bytes, kQuery);
  EXPECT_EQ(frames[2].start_ns, 10 * (2 + kQuery.size() + 2 + kResponse.size()));
}

TEST(DnsTcpFraming, GapInsideMessageKeepsItsPrefixAndTheNextBoundary) {
  const std::string stream = Framed(kResponse) + Framed(kQuery);
  TcpFramer framer;
  // The kernel captured only 20 bytes of the first message's syscall.
  framer.OnData(std::string_view(stream).substr(0, 20), 2 + kResponse.size(), 0, 1);
  framer.OnData(std::string_view(stream).substr(2 + kResponse.size()), 2 + kQuery.size(), 10, 11);
  ASSERT_EQ(framer.frames().size(), 2u);
  EXPECT_FALSE(framer.frames()[0].complete);
  EXPECT_EQ(framer.frames()[0].bytes, kResponse.substr(0, 18));
  EXPECT_EQ(framer.frames()[0].length, kResponse.size());
  EXPECT_TRUE(framer.frames()[1].complete);
  EXPECT_EQ(framer.frames()[1].bytes, kQuery);
  EXPECT_TRUE(framer.synchronized());
}

TEST(DnsTcpFraming, BytesAfterAGapAreNotGluedToThoseBefore) {
  const std::string stream = Framed(kResponse);
  TcpFramer framer;
  framer.OnData(std::string_view(stream).substr(0, 10), 15, 0, 1);  // 5 bytes lost
  framer.OnData(std::string_view(stream).substr(15), stream.size() - 15, 10, 11);
  ASSERT_EQ(framer.frames().size(), 1u);
  EXPECT_EQ(framer.frames()[0].bytes, kResponse.substr(0, 8));
  EXPECT_FALSE(framer.frames()[0].complete);
  EXPECT_EQ(framer.frames()[0].end_ns, 11u);
}

TEST(DnsTcpFraming, GapOverALengthPrefixLosesSyncUntilAPlausibleStart) {
  const std::string first = Framed(kResponse);
  TcpFramer framer;
  // One syscall moved the whole first message and 3 bytes of the next; 10 were captured.
  framer.OnData(std::string_view(first).substr(0, 10), first.size() + 3, 0, 1);
  ASSERT_EQ(framer.frames().size(), 1u);
  EXPECT_FALSE(framer.synchronized());
  EXPECT_EQ(framer.sync_losses(), 1u);
  // The rest of that message cannot be told from a new one: skipped.
  framer.OnData("\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"s, 14, 10, 11);
  EXPECT_FALSE(framer.synchronized());
  // A piece that starts with a length and a header with one question resynchronises.
  framer.OnData(Framed(kQuery), 2 + kQuery.size(), 20, 21);
  EXPECT_TRUE(framer.synchronized());
  ASSERT_EQ(framer.frames().size(), 2u);
  EXPECT_EQ(framer.frames()[1].bytes, kQuery);
  EXPECT_EQ(framer.skipped_bytes(), 3u + 14u);
}

TEST(DnsTcpFraming, ALengthOnlyPieceResynchronises) {
  TcpFramer framer;
  framer.OnData("", 7, 0, 1);  // a gap at a boundary
  EXPECT_FALSE(framer.synchronized());
  const std::string framed = Framed(kQuery);
  framer.OnData("\x00\x05"s, 2, 10, 11);  // too short for a header: not a message start
  EXPECT_FALSE(framer.synchronized());
  framer.OnData(framed.substr(0, 2), 2, 20, 21);  // readers that fetch the length first
  framer.OnData(framed.substr(2), kQuery.size(), 30, 31);
  ASSERT_EQ(framer.frames().size(), 1u);
  EXPECT_EQ(framer.frames()[0].bytes, kQuery);
  EXPECT_EQ(framer.frames()[0].start_ns, 20u);
}

TEST(DnsTcpFraming, GapEndingExactlyAtABoundaryKeepsSync) {
  const std::string stream = Framed(kResponse) + Framed(kQuery);
  TcpFramer framer;
  framer.OnData(std::string_view(stream).substr(0, 4), 2 + kResponse.size(), 0, 1);
  EXPECT_TRUE(framer.synchronized());
  framer.OnData(std::string_view(stream).substr(2 + kResponse.size()), 2 + kQuery.size(), 10, 11);
  ASSERT_EQ(framer.frames().size(), 2u);
  EXPECT_TRUE(framer.frames()[1].complete);
}

TEST(DnsTcpFraming, HugeMessageKeepsAtMostTheCap) {
  TcpFramer framer;
  const std::string body(0xFFFF, 'x');
  const std::string stream = Framed(body) + Framed(kQuery);
  for (size_t from = 0; from < stream.size(); from += 1000) {
    const std::string_view piece = std::string_view(stream).substr(from, 1000);
    framer.OnData(piece, piece.size(), from, from + 1);
  }
  ASSERT_EQ(framer.frames().size(), 2u);
  EXPECT_EQ(framer.frames()[0].length, 0xFFFF);
  EXPECT_EQ(framer.frames()[0].bytes.size(), kMaxKeptMessageBytes);
  EXPECT_FALSE(framer.frames()[0].complete);
  EXPECT_EQ(framer.frames()[1].bytes, kQuery);
}

TEST(DnsTcpFraming, HugeLengthSkippedAsAGap) {
  TcpFramer framer;
  framer.OnData("\xff\xff"s + kQuery, 2 + 0xFFFF, 0, 1);  // captured a little, rest a gap
  ASSERT_EQ(framer.frames().size(), 1u);
  EXPECT_EQ(framer.frames()[0].bytes, kQuery);
  EXPECT_FALSE(framer.frames()[0].complete);
  EXPECT_TRUE(framer.synchronized());
}

TEST(DnsTcpFraming, ZeroLengthMessageIsAnEmptyFrame) {
  const std::vector<Frame> frames = FeedCut("\x00\x00"s + Framed(kQuery), {});
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].length, 0);
  EXPECT_TRUE(frames[0].bytes.empty());
  EXPECT_EQ(frames[1].bytes, kQuery);
}

TEST(DnsSocketStitcher, UdpQueryAndResponse) {
  SocketStitcher s(Transport::kUdp);
  s.OnData(Direction::kSend, kQuery, kQuery.size(), 100, 110);
  s.OnData(Direction::kRecv, kResponse, kResponse.size(), 900, 910);
  ASSERT_EQ(s.completed().size(), 1u);
  const Exchange& x = s.completed()[0];
  EXPECT_EQ(x.question_name, "example.com");
  EXPECT_EQ(x.question_type, 1);
  EXPECT_EQ(x.response->answer_count, 1);
  EXPECT_FALSE(x.over_tcp);
  EXPECT_EQ(x.query_start_ns, 100u);
  EXPECT_EQ(x.response_end_ns, 910u);
  EXPECT_EQ(s.parse_errors(), 0u);
}

TEST(DnsSocketStitcher, UdpResponseCutByTheCaptureLimitStillMatches) {
  SocketStitcher s(Transport::kUdp);
  s.OnData(Direction::kSend, kQuery, kQuery.size(), 100, 110);
  // Header and question captured, the answer not.
  s.OnData(Direction::kRecv, std::string_view(kResponse).substr(0, kQuery.size() + 3), 512, 900,
           910);
  ASSERT_EQ(s.completed().size(), 1u);
  EXPECT_EQ(s.parse_errors(), 0u);
  // Cut inside the question: matched by id alone.
  s.OnData(Direction::kSend, kQuery, kQuery.size(), 1000, 1010);
  s.OnData(Direction::kRecv, std::string_view(kResponse).substr(0, 16), 512, 1100, 1110);
  ASSERT_EQ(s.completed().size(), 2u);
  EXPECT_EQ(s.parse_errors(), 0u);
}

TEST(DnsSocketStitcher, UdpGarbageIsAParseErrorNotAnExchange) {
  SocketStitcher s(Transport::kUdp);
  s.OnData(Direction::kRecv, "hello", 5, 1, 2);
  std::string bad_question = kQuery;
  bad_question[12] = static_cast<char>(0x80);
  s.OnData(Direction::kSend, bad_question, bad_question.size(), 3, 4);
  EXPECT_EQ(s.parse_errors(), 2u);
  EXPECT_EQ(s.matcher().pending(), 0u);
  s.OnClose(10);
  EXPECT_TRUE(s.completed().empty());
}

TEST(DnsSocketStitcher, TcpQueryAndResponseSplitAtEveryOffset) {
  const std::string query = Framed(kQuery);
  const std::string response = Framed(kResponse);
  for (size_t cut = 1; cut < response.size(); ++cut) {
    SocketStitcher s(Transport::kTcp);
    s.OnData(Direction::kSend, query, query.size(), 100, 110);
    s.OnData(Direction::kRecv, response.substr(0, cut), cut, 200, 210);
    EXPECT_TRUE(s.completed().empty());
    s.OnData(Direction::kRecv, response.substr(cut), response.size() - cut, 300, 310);
    ASSERT_EQ(s.completed().size(), 1u) << "cut at " << cut;
    const Exchange& x = s.completed()[0];
    EXPECT_TRUE(x.over_tcp);
    EXPECT_EQ(x.response_start_ns, 200u);
    EXPECT_EQ(x.response_end_ns, 310u);
    EXPECT_EQ(x.response->answer_count, 1);
  }
}

TEST(DnsSocketStitcher, TcpCloseEndsPendingQueries) {
  SocketStitcher s(Transport::kTcp);
  const std::string query = Framed(kQuery);
  s.OnData(Direction::kSend, query, query.size(), 100, 110);
  s.OnClose(500);
  ASSERT_EQ(s.completed().size(), 1u);
  EXPECT_EQ(s.completed()[0].error, ExchangeError::kClosed);
}

}  // namespace
}  // namespace otelbpf::dns
