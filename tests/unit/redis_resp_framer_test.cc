// RespFramer (RESP2/RESP3 framing of one direction) and PlausibleMessageStart: every type, splits
// at every offset, pipelining, capture gaps (skipped by length, or losing boundaries), garbage,
// nesting and size bounds, inline commands.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "protocols/redis/resp_framer.h"

namespace otelbpf::redis {
namespace {

using namespace std::string_literals;

const std::string kSet = "*3\r\n$3\r\nSET\r\n$5\r\nmykey\r\n$7\r\nmyvalue\r\n";
const std::string kGet = "*2\r\n$3\r\nGET\r\n$5\r\nmykey\r\n";

// Feeds `stream` cut at `cuts` (ascending offsets), piece i stamped [10 i, 10 i + 1], tid 100 + i.
std::vector<Frame> FeedCut(RespFramer& framer, const std::string& stream,
                           const std::vector<size_t>& cuts) {
  size_t from = 0;
  uint64_t t = 0;
  uint32_t tid = 100;
  for (size_t to : cuts) {
    framer.OnData(std::string_view(stream).substr(from, to - from), to - from, t, t + 1, tid++);
    from = to;
    t += 10;
  }
  framer.OnData(std::string_view(stream).substr(from), stream.size() - from, t, t + 1, tid);
  std::vector<Frame> frames = std::move(framer.frames());
  framer.frames().clear();
  return frames;
}

std::vector<Frame> Feed(const std::string& stream, StreamKind kind = StreamKind::kUnknown) {
  RespFramer framer(kind);
  return FeedCut(framer, stream, {});
}

// One piece holding all of `bytes`.
void FeedWhole(RespFramer& framer, const std::string& bytes, uint64_t t = 0) {
  framer.OnData(bytes, bytes.size(), t, t + 1, 1);
}

std::vector<Frame> Messages(const std::vector<Frame>& frames) {
  std::vector<Frame> out;
  for (const Frame& f : frames) {
    if (f.kind == Frame::Kind::kMessage) out.push_back(f);
  }
  return out;
}

TEST(RedisRespFramer, CommandArrayKeepsItsArguments) {
  const std::vector<Frame> frames = Feed(kSet);
  ASSERT_EQ(frames.size(), 1u);
  const Frame& f = frames[0];
  EXPECT_EQ(f.kind, Frame::Kind::kMessage);
  EXPECT_EQ(f.type, '*');
  EXPECT_EQ(f.count, 3u);
  EXPECT_FALSE(f.cut);
  ASSERT_EQ(f.elements.size(), 3u);
  EXPECT_EQ(f.elements[0].prefix, "SET");
  EXPECT_EQ(f.elements[1].prefix, "mykey");
  EXPECT_EQ(f.elements[2].size, 7u);
  EXPECT_EQ(f.start_ns, 0u);
  EXPECT_EQ(f.end_ns, 1u);
  EXPECT_EQ(f.tid, 100u);
}

TEST(RedisRespFramer, EveryReplyType) {
  struct Case {
    std::string bytes;
    char type;
  };
  const std::vector<Case> cases = {
      {"+OK\r\n", '+'},
      {"-ERR unknown command 'FOO'\r\n", '-'},
      {":1000\r\n", ':'},
      {":-5\r\n", ':'},
      {"$5\r\nhello\r\n", '$'},
      {"$0\r\n\r\n", '$'},
      {"$-1\r\n", '$'},
      {"*-1\r\n", '*'},
      {"*0\r\n", '*'},
      {"*2\r\n:1\r\n*1\r\n+x\r\n", '*'},
      {"_\r\n", '_'},
      {",3.14\r\n", ','},
      {",-inf\r\n", ','},
      {"#t\r\n", '#'},
      {"!21\r\nSYNTAX invalid syntax\r\n", '!'},
      {"=15\r\ntxt:Some string\r\n", '='},
      {"(3492890328409238509324850943850943825024385\r\n", '('},
      {"%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n", '%'},
      {"~3\r\n+a\r\n+b\r\n+c\r\n", '~'},
      {">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n", '>'},
      {"$?\r\n;4\r\nHell\r\n;1\r\no\r\n;0\r\n", '$'},
      {"*?\r\n:1\r\n:2\r\n.\r\n", '*'},
      {"%?\r\n+a\r\n:1\r\n.\r\n", '%'},
  };
  std::string all;
  for (const Case& c : cases) {
    const std::vector<Frame> frames = Feed(c.bytes, StreamKind::kResponses);
    ASSERT_EQ(frames.size(), 1u) << c.bytes;
    EXPECT_EQ(frames[0].kind, Frame::Kind::kMessage) << c.bytes;
    EXPECT_EQ(frames[0].type, c.type) << c.bytes;
    EXPECT_FALSE(frames[0].cut) << c.bytes;
    all += c.bytes;
  }
  // Pipelined in one piece, and split at every offset.
  EXPECT_EQ(Feed(all, StreamKind::kResponses).size(), cases.size());
  for (size_t cut = 1; cut < all.size(); ++cut) {
    RespFramer framer(StreamKind::kResponses);
    const std::vector<Frame> frames = FeedCut(framer, all, {cut});
    ASSERT_EQ(frames.size(), cases.size()) << "cut at " << cut;
    for (size_t i = 0; i < cases.size(); ++i) EXPECT_EQ(frames[i].type, cases[i].type);
    EXPECT_EQ(framer.parse_errors(), 0u);
  }
}

TEST(RedisRespFramer, NullsAndCounts) {
  EXPECT_TRUE(Feed("$-1\r\n")[0].null);
  EXPECT_TRUE(Feed("*-1\r\n")[0].null);
  EXPECT_TRUE(Feed("_\r\n")[0].null);
  EXPECT_FALSE(Feed("$0\r\n\r\n")[0].null);
  EXPECT_EQ(Feed("%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n")[0].count, 2u);
  EXPECT_EQ(Feed("*?\r\n:1\r\n:2\r\n:3\r\n.\r\n")[0].count, 3u);
}

TEST(RedisRespFramer, ErrorsKeepTheirText) {
  EXPECT_EQ(Feed("-WRONGTYPE Operation against a key\r\n")[0].head,
            "WRONGTYPE Operation against a key");
  EXPECT_EQ(Feed("!21\r\nSYNTAX invalid syntax\r\n")[0].head, "SYNTAX invalid syntax");
}

TEST(RedisRespFramer, AttributesAnnotateTheValueThatFollows) {
  const std::string reply =
      "|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.19\r\n$1\r\nb\r\n,0.0012\r\n"
      "*2\r\n:2039123\r\n:9543892\r\n";
  const std::vector<Frame> frames = Feed(reply, StreamKind::kResponses);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].type, '*');
  EXPECT_EQ(frames[0].count, 2u);
  // Inside an aggregate, an attribute is not one of its elements.
  const std::string nested = "*3\r\n:1\r\n:2\r\n|1\r\n+ttl\r\n:3600\r\n:3\r\n+OK\r\n";
  const std::vector<Frame> two = Feed(nested, StreamKind::kResponses);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].type, '*');
  EXPECT_EQ(two[1].type, '+');
}

TEST(RedisRespFramer, ReplyElementsKeepOnlyTheEventNameAndIntegers) {
  const std::vector<Frame> frames = Feed(
      "*3\r\n$9\r\nsubscribe\r\n$7\r\nchannel\r\n:1\r\n*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$6\r\n"
      "secret\r\n",
      StreamKind::kResponses);
  ASSERT_EQ(frames.size(), 2u);
  ASSERT_EQ(frames[0].elements.size(), 3u);
  EXPECT_EQ(frames[0].elements[0].prefix, "subscribe");
  EXPECT_EQ(frames[0].elements[1].prefix, "");
  EXPECT_EQ(frames[0].elements[2].prefix, "1");
  ASSERT_EQ(frames[1].elements.size(), 3u);
  EXPECT_EQ(frames[1].elements[2].prefix, "");  // the published payload is not kept
  EXPECT_EQ(frames[1].elements[2].size, 6u);
}

TEST(RedisRespFramer, ReplyArraysKeepAtMostThreeElements) {
  std::string reply = "*100\r\n";
  for (int i = 0; i < 100; ++i) reply += "$4\r\nitem\r\n";
  const std::vector<Frame> frames = Feed(reply, StreamKind::kResponses);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].count, 100u);
  EXPECT_EQ(frames[0].elements.size(), kMaxKeptReplyElements);
}

TEST(RedisRespFramer, SplitAtEveryOffsetAndByteByByte) {
  const std::string stream = kSet + kGet + "*1\r\n$4\r\nPING\r\n";
  for (size_t cut = 1; cut < stream.size(); ++cut) {
    RespFramer framer(StreamKind::kRequests);
    const std::vector<Frame> frames = FeedCut(framer, stream, {cut});
    ASSERT_EQ(frames.size(), 3u) << "cut at " << cut;
    EXPECT_EQ(frames[0].elements[0].prefix, "SET");
    EXPECT_EQ(frames[0].elements[1].prefix, "mykey");
    EXPECT_EQ(frames[1].elements[1].prefix, "mykey");
    EXPECT_EQ(frames[2].elements[0].prefix, "PING");
    // Stamped by the pieces that carried the first and the last byte.
    EXPECT_EQ(frames[0].start_ns, 0u);
    EXPECT_EQ(frames[0].tid, 100u);
    EXPECT_EQ(frames[0].end_ns, cut >= kSet.size() ? 1u : 11u) << "cut at " << cut;
    EXPECT_EQ(frames[1].start_ns, cut > kSet.size() ? 0u : 10u) << "cut at " << cut;
    EXPECT_EQ(frames[1].tid, cut > kSet.size() ? 100u : 101u) << "cut at " << cut;
  }
  std::vector<size_t> cuts;
  for (size_t i = 1; i < stream.size(); ++i) cuts.push_back(i);
  RespFramer framer(StreamKind::kRequests);
  const std::vector<Frame> frames = FeedCut(framer, stream, cuts);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].elements[2].prefix, "myvalue");
  EXPECT_EQ(frames[0].start_ns, 0u);
  EXPECT_EQ(frames[0].end_ns, (kSet.size() - 1) * 10 + 1);
}

TEST(RedisRespFramer, InlineCommands) {
  const std::vector<Frame> frames = Feed("PING\r\nset  key value\r\n\r\nget key\n");
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].type, 'I');
  EXPECT_EQ(frames[0].count, 1u);
  EXPECT_EQ(frames[0].elements[0].prefix, "PING");
  EXPECT_EQ(frames[1].count, 3u);
  EXPECT_EQ(frames[1].elements[1].prefix, "key");
  EXPECT_EQ(frames[2].elements[0].prefix, "get");
  // Not in a reply stream, and not words that are no command.
  RespFramer replies(StreamKind::kResponses);
  EXPECT_TRUE(Messages(FeedCut(replies, "PING\r\n", {})).empty());
  EXPECT_EQ(replies.parse_errors(), 1u);
  RespFramer requests(StreamKind::kRequests);
  EXPECT_EQ(FeedCut(requests, "howdy there\r\n*1\r\n$4\r\nPING\r\n", {}).size(), 1u);
  EXPECT_EQ(requests.parse_errors(), 1u);
}

TEST(RedisRespFramer, BulkLargerThanTheCaptureIsSkippedByLength) {
  // SET k <1 MiB>: the kernel copied 1024 bytes of the syscall; the rest is a gap.
  const std::string value(1 << 20, 'v');
  const std::string set =
      "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + std::to_string(value.size()) + "\r\n" + value + "\r\n";
  RespFramer framer(StreamKind::kRequests);
  framer.OnData(std::string_view(set).substr(0, 1024), set.size(), 0, 1, 7);
  framer.OnData(kGet, kGet.size(), 10, 11, 7);
  const std::vector<Frame> frames = framer.frames();
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].count, 3u);
  EXPECT_EQ(frames[0].elements[2].size, value.size());
  EXPECT_LE(frames[0].elements[2].prefix.size(), kMaxKeptElementBytes);
  EXPECT_FALSE(frames[0].cut);
  EXPECT_EQ(frames[1].elements[0].prefix, "GET");
  EXPECT_TRUE(framer.synchronized());
  EXPECT_EQ(framer.sync_losses(), 0u);
}

TEST(RedisRespFramer, HugeBulkStreamsThroughManyPiecesWithGaps) {
  // A 100 MB GET reply written in 64 KiB syscalls, each captured to 1024 bytes.
  const uint64_t size = 100'000'000;
  RespFramer framer(StreamKind::kResponses);
  const std::string header = "$" + std::to_string(size) + "\r\n";
  uint64_t total = header.size() + size + 2;
  uint64_t sent = 0;
  uint64_t t = 0;
  std::string chunk(1024, 'x');
  while (sent < total) {
    const uint64_t length = std::min<uint64_t>(65536, total - sent);
    std::string captured;
    if (sent == 0) captured = header;
    captured += chunk.substr(0, std::min<size_t>(1024 - captured.size(), length - captured.size()));
    if (sent + length == total && length <= 1024) captured.replace(captured.size() - 2, 2, "\r\n");
    framer.OnData(captured, length, t, t + 1, 1);
    sent += length;
    t += 10;
  }
  framer.OnData("+OK\r\n", 5, t, t + 1, 1);
  const std::vector<Frame> frames = framer.frames();
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].type, '$');
  EXPECT_EQ(frames[0].end_ns, t - 9);
  EXPECT_EQ(frames[1].type, '+');
  EXPECT_TRUE(framer.synchronized());
}

TEST(RedisRespFramer, GapHidingElementsCutsTheMessageAndResynchronises) {
  // LRANGE reply of 1000 elements in one syscall: only 1024 bytes captured, the element headers
  // after them are hidden.
  std::string reply = "*1000\r\n";
  for (int i = 0; i < 1000; ++i)
    reply += "$6\r\nitem" + std::to_string(100 + i % 900).substr(0, 2) + "\r\n";
  RespFramer framer(StreamKind::kResponses);
  framer.OnData(std::string_view(reply).substr(0, 1024), reply.size(), 0, 1, 1);
  ASSERT_EQ(framer.frames().size(), 2u);
  EXPECT_EQ(framer.frames()[0].kind, Frame::Kind::kMessage);
  EXPECT_TRUE(framer.frames()[0].cut);
  EXPECT_EQ(framer.frames()[0].count, 1000u);
  EXPECT_EQ(framer.frames()[1].kind, Frame::Kind::kSyncLost);
  EXPECT_FALSE(framer.synchronized());
  EXPECT_EQ(framer.sync_losses(), 1u);
  EXPECT_EQ(framer.parse_errors(), 0u);
  framer.frames().clear();
  // The next reply begins a piece: boundaries are found again.
  FeedWhole(framer, "+OK\r\n", 10);
  ASSERT_EQ(framer.frames().size(), 1u);
  EXPECT_EQ(framer.frames()[0].type, '+');
  EXPECT_TRUE(framer.synchronized());
}

TEST(RedisRespFramer, GapAtABoundaryLosesItWithoutACutMessage) {
  const std::string stream = kGet + kGet;
  RespFramer framer(StreamKind::kRequests);
  framer.OnData(std::string_view(stream).substr(0, kGet.size()), stream.size(), 0, 1, 1);
  ASSERT_EQ(framer.frames().size(), 2u);
  EXPECT_FALSE(framer.frames()[0].cut);
  EXPECT_EQ(framer.frames()[1].kind, Frame::Kind::kSyncLost);
}

TEST(RedisRespFramer, LostStreamResynchronisesAfterALineFeedOnly) {
  RespFramer framer(StreamKind::kResponses, /*start_lost=*/true);
  // Mid-stream: the tail of a bulk string, then a reply.
  FeedWhole(framer, "lo world\r\n+OK\r\n:5\r\n");
  std::vector<Frame> frames = Messages(framer.frames());
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].type, '+');
  EXPECT_EQ(frames[1].type, ':');
  EXPECT_EQ(framer.skipped_bytes(), 10u);
  EXPECT_EQ(framer.parse_errors(), 0u);
}

TEST(RedisRespFramer, RequestsResynchroniseOnlyOnCommandShapes) {
  RespFramer framer(StreamKind::kRequests, /*start_lost=*/true);
  // Mid-command: a value line that looks like RESP, then a real command.
  FeedWhole(framer, "alue\r\n$3\r\nfoo\r\n" + kGet);
  const std::vector<Frame> frames = Messages(framer.frames());
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].elements[0].prefix, "GET");
}

TEST(RedisRespFramer, GarbageBeforeAndBetweenMessages) {
  // garbage [0, 11), "+OK\r\n" [11, 16), garbage [16, 20), ":1\r\n" [20, 24)
  const std::string stream = "\x01\x02garbage\r\n+OK\r\n\xff\xfe\r\n:1\r\n"s;
  RespFramer whole(StreamKind::kResponses);
  std::vector<Frame> frames = Messages(FeedCut(whole, stream, {}));
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].type, '+');
  EXPECT_EQ(frames[1].type, ':');
  EXPECT_EQ(whole.parse_errors(), 2u);
  for (size_t cut = 1; cut < stream.size(); ++cut) {
    RespFramer split(StreamKind::kResponses);
    frames = Messages(FeedCut(split, stream, {cut}));
    // While lost, a message is only recognised when its first line is in one piece.
    const bool ok_split = cut > 11 && cut < 16;
    const bool one_split = cut > 20 && cut < 24;
    ASSERT_EQ(frames.size(), 2u - ok_split - one_split) << "cut at " << cut;
    if (!ok_split) {
      EXPECT_EQ(frames[0].type, '+') << "cut at " << cut;
    }
    if (!one_split) {
      EXPECT_EQ(frames.back().type, ':') << "cut at " << cut;
    }
    // A piece ending lost keeps the next garbage from counting again.
    EXPECT_EQ(split.parse_errors(), ok_split ? 1u : 2u) << "cut at " << cut;
  }
}

TEST(RedisRespFramer, MalformedInsideAMessageCutsIt) {
  RespFramer framer(StreamKind::kResponses);
  // The bulk announces 3 bytes but carries 5: its terminator is wrong.
  FeedWhole(framer, "*2\r\n$3\r\nhello\r\n+OK\r\n");
  const std::vector<Frame> frames = framer.frames();
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_TRUE(frames[0].cut);
  EXPECT_EQ(frames[1].kind, Frame::Kind::kSyncLost);
  EXPECT_EQ(frames[2].type, '+');
  EXPECT_EQ(framer.parse_errors(), 1u);
}

TEST(RedisRespFramer, NestingIsBounded) {
  std::string deep;
  for (size_t i = 0; i < kMaxDepth + 1; ++i) deep += "*1\r\n";
  deep += ":1\r\n";
  RespFramer framer(StreamKind::kResponses);
  framer.OnData(deep + "+OK\r\n", deep.size() + 5, 0, 1, 1);
  const std::vector<Frame> frames = Messages(framer.frames());
  ASSERT_FALSE(frames.empty());
  EXPECT_TRUE(frames[0].cut);
  EXPECT_EQ(frames.back().type, '+');
  EXPECT_EQ(framer.parse_errors(), 1u);
  // Exactly at the bound is fine.
  std::string ok;
  for (size_t i = 0; i < kMaxDepth; ++i) ok += "*1\r\n";
  ok += ":1\r\n";
  RespFramer fine(StreamKind::kResponses);
  fine.OnData(ok, ok.size(), 0, 1, 1);
  ASSERT_EQ(fine.frames().size(), 1u);
  EXPECT_FALSE(fine.frames()[0].cut);
}

TEST(RedisRespFramer, OverlongLinesAndLengthsAreGarbage) {
  RespFramer framer(StreamKind::kResponses);
  const std::string line = "+" + std::string(kMaxLineBytes + 10, 'a') + "\r\n+OK\r\n";
  framer.OnData(line, line.size(), 0, 1, 1);
  const std::vector<Frame> frames = Messages(framer.frames());
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].head, "OK");
  EXPECT_EQ(framer.parse_errors(), 1u);
  RespFramer lengths(StreamKind::kResponses);
  FeedWhole(lengths, "$99999999999999999999999\r\n+OK\r\n");
  EXPECT_EQ(Messages(lengths.frames()).size(), 1u);
  EXPECT_GE(lengths.parse_errors(), 1u);
}

TEST(RedisRespFramer, KeepsAtMostTheBoundedBytesOfAnElement) {
  const std::string key(1000, 'k');
  const std::string get = "*2\r\n$3\r\nGET\r\n$1000\r\n" + key + "\r\n";
  const std::vector<Frame> frames = Feed(get, StreamKind::kRequests);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].elements[1].prefix.size(), kMaxKeptElementBytes);
  EXPECT_EQ(frames[0].elements[1].size, 1000u);
  std::string many = "*200\r\n";
  for (int i = 0; i < 200; ++i) many += "$1\r\nx\r\n";
  EXPECT_EQ(Feed(many, StreamKind::kRequests)[0].elements.size(), kMaxKeptElements);
}

TEST(RedisRespFramer, PlausibleMessageStarts) {
  EXPECT_TRUE(PlausibleMessageStart(kGet, StreamKind::kRequests));
  EXPECT_TRUE(PlausibleMessageStart("PING\r\n", StreamKind::kRequests));
  EXPECT_FALSE(PlausibleMessageStart("PONG\r\n", StreamKind::kRequests));
  EXPECT_FALSE(PlausibleMessageStart("$3\r\nfoo\r\n", StreamKind::kRequests));
  EXPECT_FALSE(PlausibleMessageStart("*2\r\n$3\r\nG\x01T\r\n", StreamKind::kRequests));
  EXPECT_FALSE(PlausibleMessageStart("*2\r\n:1\r\n", StreamKind::kRequests));
  EXPECT_TRUE(PlausibleMessageStart("+OK\r\n", StreamKind::kResponses));
  EXPECT_TRUE(PlausibleMessageStart("-ERR x\r\n", StreamKind::kResponses));
  EXPECT_FALSE(PlausibleMessageStart("-err x\r\n", StreamKind::kResponses));
  EXPECT_TRUE(PlausibleMessageStart("*2\r\n:1\r\n", StreamKind::kResponses));
  EXPECT_FALSE(PlausibleMessageStart("*2\r\nxx\r\n", StreamKind::kResponses));
  EXPECT_FALSE(PlausibleMessageStart(":12a\r\n", StreamKind::kResponses));
  EXPECT_FALSE(PlausibleMessageStart("+OK", StreamKind::kResponses));  // line not ended
  EXPECT_FALSE(PlausibleMessageStart("+OK\n", StreamKind::kResponses));
  EXPECT_FALSE(PlausibleMessageStart("#x\r\n", StreamKind::kResponses));
  EXPECT_TRUE(PlausibleMessageStart("+OK\r\n", StreamKind::kUnknown));
  EXPECT_TRUE(PlausibleMessageStart(kGet, StreamKind::kUnknown));
  EXPECT_FALSE(PlausibleMessageStart("", StreamKind::kUnknown));
}

}  // namespace
}  // namespace otelbpf::redis
