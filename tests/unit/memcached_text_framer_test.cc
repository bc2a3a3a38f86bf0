// TextFramer (memcached text protocol framing of one direction): lines and the data blocks
// skipped by length (never copied), splits at every offset, capture gaps, garbage, overlong
// lines, the binary protocol, and resynchronisation.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "protocols/memcached/text_framer.h"

namespace otelbpf::memcached {
namespace {

using namespace std::string_literals;

std::vector<Line> FeedCut(TextFramer& framer, const std::string& stream,
                          const std::vector<size_t>& cuts) {
  size_t from = 0;
  uint64_t t = 0;
  for (size_t to : cuts) {
    framer.OnData(std::string_view(stream).substr(from, to - from), to - from, t, t + 1, 1);
    from = to;
    t += 10;
  }
  framer.OnData(std::string_view(stream).substr(from), stream.size() - from, t, t + 1, 1);
  std::vector<Line> lines = std::move(framer.lines());
  framer.lines().clear();
  return lines;
}

std::vector<Line> Feed(const std::string& stream, StreamKind kind = StreamKind::kUnknown) {
  TextFramer framer(kind);
  return FeedCut(framer, stream, {});
}

std::vector<Line> Texts(const std::vector<Line>& lines) {
  std::vector<Line> out;
  for (const Line& l : lines) {
    if (l.kind == Line::Kind::kLine) out.push_back(l);
  }
  return out;
}

// Nothing of a line may hold bytes of a key or a value.
void ExpectNothingOf(const std::vector<Line>& lines, const std::string& secret) {
  for (const Line& l : lines) EXPECT_EQ(l.word.find(secret), std::string::npos) << l.word;
}

TEST(MemcachedTextFramer, CommandsAndTheirDataBlocks) {
  const std::string stream =
      "set secret-key 0 0 12\r\nsecret-value\r\n"
      "get secret-key other\r\n"
      "cas secret-key 1 60 3 12345 noreply\r\nabc\r\n"
      "delete secret-key noreply\r\n"
      "ms secret-key 2 T60 q\r\nhi\r\n";
  const std::vector<Line> lines = Feed(stream, StreamKind::kRequests);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0].word, "set");
  EXPECT_TRUE(lines[0].word_whole);
  EXPECT_EQ(lines[0].words, 5u);
  EXPECT_EQ(lines[0].data_bytes, 12u);
  EXPECT_FALSE(lines[0].noreply);
  EXPECT_EQ(lines[1].word, "get");
  EXPECT_EQ(lines[1].words, 3u);
  EXPECT_FALSE(lines[1].data_bytes.has_value());
  EXPECT_EQ(lines[2].word, "cas");
  EXPECT_EQ(lines[2].data_bytes, 3u);
  EXPECT_TRUE(lines[2].noreply);
  EXPECT_TRUE(lines[3].noreply);
  EXPECT_EQ(lines[4].word, "ms");
  EXPECT_EQ(lines[4].data_bytes, 2u);
  EXPECT_TRUE(lines[4].quiet);
  ExpectNothingOf(lines, "secret");
}

TEST(MemcachedTextFramer, RepliesAndTheirItems) {
  const std::string stream =
      "VALUE k1 0 5\r\nhello\r\nVALUE k2 3 3 99\r\n\r\n\r\r\nEND\r\n"
      "STORED\r\n42\r\nSTAT pid 123\r\nEND\r\nSERVER_ERROR out of memory\r\n"
      "VA 4 f1\r\ndata\r\nHD\r\n";
  const std::vector<Line> lines = Feed(stream, StreamKind::kResponses);
  ASSERT_EQ(lines.size(), 10u);
  EXPECT_EQ(lines[0].word, "VALUE");
  EXPECT_EQ(lines[0].data_bytes, 5u);
  EXPECT_EQ(lines[1].data_bytes, 3u);  // a value made of line ends is still 3 bytes
  EXPECT_EQ(lines[2].word, "END");
  EXPECT_EQ(lines[3].word, "STORED");
  EXPECT_EQ(lines[4].word, "42");
  EXPECT_EQ(lines[5].word, "STAT");
  EXPECT_EQ(lines[7].word, "SERVER_ERROR");
  EXPECT_EQ(lines[8].word, "VA");
  EXPECT_EQ(lines[8].data_bytes, 4u);
  EXPECT_EQ(lines[9].word, "HD");
}

TEST(MemcachedTextFramer, SplitAtEveryOffset) {
  const std::string stream =
      "set k 0 0 10\r\n0123456789\r\nget a b c\r\nincr n 1 noreply\r\nversion\r\n";
  for (size_t cut = 1; cut < stream.size(); ++cut) {
    TextFramer framer(StreamKind::kRequests);
    const std::vector<Line> lines = FeedCut(framer, stream, {cut});
    ASSERT_EQ(lines.size(), 4u) << "cut at " << cut;
    EXPECT_EQ(lines[0].word, "set");
    EXPECT_EQ(lines[0].data_bytes, 10u);
    EXPECT_EQ(lines[0].end_ns, cut >= 26 ? 1u : 11u) << "cut at " << cut;
    EXPECT_EQ(lines[1].word, "get");
    EXPECT_EQ(lines[1].words, 4u);
    EXPECT_TRUE(lines[2].noreply);
    EXPECT_EQ(lines[3].word, "version");
    EXPECT_EQ(framer.parse_errors(), 0u);
  }
}

TEST(MemcachedTextFramer, HugeBlocksAreSkippedThroughGaps) {
  // set of 1 MiB: the syscall moved everything, the kernel copied 1024 bytes.
  const std::string value(1 << 20, 'v');
  const std::string set = "set k 0 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\n";
  TextFramer framer(StreamKind::kRequests);
  framer.OnData(std::string_view(set).substr(0, 1024), set.size(), 0, 1, 1);
  framer.OnData("get k\r\n", 7, 10, 11, 1);
  ASSERT_EQ(framer.lines().size(), 2u);
  EXPECT_EQ(framer.lines()[0].data_bytes, value.size());
  EXPECT_FALSE(framer.lines()[0].cut);
  EXPECT_EQ(framer.lines()[0].end_ns, 1u);
  EXPECT_EQ(framer.lines()[1].word, "get");
  EXPECT_EQ(framer.sync_losses(), 0u);
  // A 100 MB item read back in 64 KiB syscalls of which 1024 bytes each are captured.
  TextFramer replies(StreamKind::kResponses);
  const uint64_t size = 100'000'000;
  const std::string header = "VALUE k 0 " + std::to_string(size) + "\r\n";
  const uint64_t total = header.size() + size + 2 + 5;  // then "END\r\n"
  uint64_t sent = 0;
  uint64_t t = 0;
  while (sent < total) {
    const uint64_t length = std::min<uint64_t>(65536, total - sent);
    std::string captured = sent == 0 ? header + std::string(1024 - header.size(), 'x')
                                     : std::string(std::min<uint64_t>(1024, length), 'x');
    if (sent + length == total) captured = std::string(length - 7, 'x') + "\r\nEND\r\n";
    replies.OnData(captured, length, t, t + 1, 1);
    sent += length;
    t += 10;
  }
  const std::vector<Line> lines = replies.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].word, "VALUE");
  EXPECT_EQ(lines[1].word, "END");
  EXPECT_TRUE(replies.synchronized());
}

TEST(MemcachedTextFramer, GapHidingALineEndCutsItAndResynchronises) {
  std::string stream;
  for (int i = 0; i < 100; ++i) stream += "VALUE key" + std::to_string(i) + " 0 5\r\nhello\r\n";
  stream += "END\r\n";
  TextFramer framer(StreamKind::kResponses);
  framer.OnData(std::string_view(stream).substr(0, 1000), stream.size(), 0, 1, 1);
  const std::vector<Line> lines = framer.lines();
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines.back().kind, Line::Kind::kSyncLost);
  EXPECT_FALSE(framer.synchronized());
  EXPECT_EQ(framer.sync_losses(), 1u);
  EXPECT_EQ(framer.parse_errors(), 0u);
  framer.lines().clear();
  framer.OnData("STORED\r\n", 8, 10, 11, 1);
  ASSERT_EQ(framer.lines().size(), 1u);
  EXPECT_EQ(framer.lines()[0].word, "STORED");
}

TEST(MemcachedTextFramer, FirstWordCutByAGapIsNotWhole) {
  TextFramer framer(StreamKind::kRequests);
  framer.OnData("ge", 7, 0, 1, 1);  // "get k\r\n" of which 2 bytes were captured
  ASSERT_EQ(framer.lines().size(), 2u);
  EXPECT_TRUE(framer.lines()[0].cut);
  EXPECT_FALSE(framer.lines()[0].word_whole);
  EXPECT_EQ(framer.lines()[1].kind, Line::Kind::kSyncLost);
}

TEST(MemcachedTextFramer, MidStreamStartsAtThePlausibleLine) {
  TextFramer framer(StreamKind::kResponses, /*start_lost=*/true);
  // The tail of a value (holding a line that is no reply), then replies.
  const std::string bytes = "lue\r\nxx yy\r\nSTORED\r\nEND\r\n";
  framer.OnData(bytes, bytes.size(), 0, 1, 1);
  const std::vector<Line> lines = Texts(framer.lines());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].word, "STORED");
  EXPECT_EQ(lines[1].word, "END");
  EXPECT_EQ(framer.skipped_bytes(), 12u);
}

TEST(MemcachedTextFramer, GarbageLinesAreDroppedAndCounted) {
  TextFramer framer(StreamKind::kResponses);
  const std::string stream = "\x01\x02\xff junk\r\nSTORED\r\n\r\n\x7f\r\nEND\r\n"s;
  const std::vector<Line> lines = Texts(FeedCut(framer, stream, {}));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].word, "STORED");
  EXPECT_EQ(lines[1].word, "END");
  EXPECT_EQ(framer.parse_errors(), 3u);  // two non-text lines, one blank line
  for (size_t cut = 1; cut < stream.size(); ++cut) {
    TextFramer split(StreamKind::kResponses);
    EXPECT_EQ(Texts(FeedCut(split, stream, {cut})).size(), 2u) << "cut at " << cut;
  }
}

TEST(MemcachedTextFramer, OverlongLinesAreDroppedToTheirEnd) {
  TextFramer framer(StreamKind::kRequests);
  const std::string line = "get " + std::string(kMaxLineBytes, 'k') + "\r\nversion\r\n";
  framer.OnData(line, line.size(), 0, 1, 1);
  const std::vector<Line> lines = framer.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].word, "version");
  EXPECT_EQ(framer.parse_errors(), 1u);
}

TEST(MemcachedTextFramer, WrongBlockLengthLosesBoundaries) {
  TextFramer framer(StreamKind::kRequests);
  const std::string stream = "set k 0 0 3\r\ntoolong\r\nget k\r\n";
  framer.OnData(stream, stream.size(), 0, 1, 1);
  const std::vector<Line> lines = framer.lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(lines[0].cut);
  EXPECT_EQ(lines[1].kind, Line::Kind::kSyncLost);
  EXPECT_EQ(lines[2].word, "get");
  EXPECT_EQ(framer.parse_errors(), 1u);
  // A length that is no number: memcached reads no block.
  EXPECT_FALSE(Feed("set k 0 0 x\r\n", StreamKind::kRequests)[0].data_bytes.has_value());
}

TEST(MemcachedTextFramer, BinaryProtocol) {
  // A binary "get" request header on a fresh connection.
  const std::string get =
      "\x80\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00"
      "\x00\x00\x00\x00\x00\x00\x00\x00k"s;
  const std::vector<Line> lines = Feed(get);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].kind, Line::Kind::kBinary);
  // Mid-stream, a magic byte alone is not enough: a value can start with it.
  TextFramer midstream(StreamKind::kUnknown, /*start_lost=*/true);
  const std::string junk = "\x80garbage\r\nSTORED\r\n"s;
  midstream.OnData(junk, junk.size(), 0, 1, 1);
  ASSERT_EQ(midstream.lines().size(), 1u);
  EXPECT_EQ(midstream.lines()[0].word, "STORED");
  TextFramer binary_midstream(StreamKind::kUnknown, /*start_lost=*/true);
  binary_midstream.OnData(get, get.size(), 0, 1, 1);
  ASSERT_EQ(binary_midstream.lines().size(), 1u);
  EXPECT_EQ(binary_midstream.lines()[0].kind, Line::Kind::kBinary);
  // Once text was seen, 0x80 is garbage.
  TextFramer text(StreamKind::kResponses);
  const std::string stored = "STORED\r\n\x80\r\nEND\r\n"s;
  text.OnData(stored, stored.size(), 0, 1, 1);
  EXPECT_EQ(Texts(text.lines()).size(), 2u);
}

TEST(MemcachedTextFramer, PlausibleLineStarts) {
  EXPECT_TRUE(PlausibleLineStart("get k\r\n", StreamKind::kRequests));
  EXPECT_TRUE(PlausibleLineStart("version\r\n", StreamKind::kRequests));
  EXPECT_TRUE(PlausibleLineStart("get k1 k2 k3", StreamKind::kRequests));  // cut by the capture
  EXPECT_FALSE(PlausibleLineStart("getx k\r\n", StreamKind::kRequests));
  EXPECT_FALSE(PlausibleLineStart("GET k\r\n", StreamKind::kRequests));
  EXPECT_FALSE(PlausibleLineStart("STORED\r\n", StreamKind::kRequests));
  EXPECT_TRUE(PlausibleLineStart("STORED\r\n", StreamKind::kResponses));
  EXPECT_TRUE(PlausibleLineStart("VALUE k 0 5\r\n", StreamKind::kResponses));
  EXPECT_TRUE(PlausibleLineStart("42\r\n", StreamKind::kResponses));
  EXPECT_FALSE(PlausibleLineStart("42", StreamKind::kResponses));
  EXPECT_FALSE(PlausibleLineStart("STORED\n", StreamKind::kResponses));
  EXPECT_FALSE(PlausibleLineStart("hello\r\n", StreamKind::kResponses));
  EXPECT_TRUE(PlausibleLineStart("set k 0 0 1\r\n", StreamKind::kUnknown));
  EXPECT_TRUE(PlausibleLineStart("END\r\n", StreamKind::kUnknown));
  EXPECT_FALSE(PlausibleLineStart("", StreamKind::kUnknown));
  EXPECT_TRUE(IsKnownCommand("flush_all"));
  EXPECT_FALSE(IsKnownCommand("FLUSH_ALL"));
  EXPECT_TRUE(IsReplyKeyword("NOT_FOUND"));
}

TEST(MemcachedTextFramer, KeysNeverKept) {
  const std::string key = "k" + std::string(200, 'x');
  const std::vector<Line> lines = Feed("get " + key + " short\r\nVALUE " + key + " 0 1\r\nv\r\n");
  ASSERT_EQ(lines.size(), 2u);
  ExpectNothingOf(lines, "xxxxxxxx");
  ExpectNothingOf(lines, "short");
}

}  // namespace
}  // namespace otelbpf::memcached
