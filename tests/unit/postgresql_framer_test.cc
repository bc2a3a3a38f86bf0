// MessageFramer: typed and untyped messages split at every offset, pipelining, the one-byte
// SSL answer, capture gaps, huge messages in constant memory, garbage and mid-stream starts.
#include "protocols/postgresql/framer.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "postgresql_wire_builders.h"

namespace otelbpf::postgresql {
namespace {

using namespace wire_builders;

struct Seen {
  Message::Kind kind;
  char type;
  uint32_t body_length;
  std::string body;
  bool complete;
  uint64_t start_ns;
  uint64_t end_ns;
  uint32_t tid;
  std::optional<uint32_t> tcp_seq;
};

class Collector final : public MessageSink {
 public:
  void OnMessage(const Message& m) override {
    seen.push_back({m.kind, m.type, m.body_length, std::string(m.body), m.complete, m.start_ns,
                    m.end_ns, m.tid, m.tcp_seq});
  }
  std::vector<Seen> seen;
};

// The TCP sequence number Feed gives the stream's first byte: close to 2^32, so that the
// numbers of later bytes wrap around.
constexpr uint32_t kFirstSeq = 0xfffffff0u;

// Feeds `stream` as pieces cut at `cuts`; piece i is stamped [10 i, 10 i + 1], tid 100 + i,
// and numbered from kFirstSeq.
std::vector<Seen> Feed(MessageFramer& framer, const std::string& stream,
                       const std::vector<size_t>& cuts = {}) {
  Collector sink;
  size_t from = 0;
  uint64_t i = 0;
  auto piece = [&](size_t to) {
    Piece p;
    p.bytes = std::string_view(stream).substr(from, to - from);
    p.length = to - from;
    p.start_ns = 10 * i;
    p.end_ns = 10 * i + 1;
    p.tid = static_cast<uint32_t>(100 + i);
    p.tcp_seq = kFirstSeq + static_cast<uint32_t>(from);
    framer.OnData(p, sink);
    from = to;
    ++i;
  };
  for (size_t to : cuts) piece(to);
  piece(stream.size());
  return sink.seen;
}

void FeedPiece(MessageFramer& framer, Collector& sink, std::string_view captured, uint64_t length,
               uint64_t t = 0) {
  Piece p;
  p.bytes = captured;
  p.length = length;
  p.start_ns = t;
  p.end_ns = t + 1;
  framer.OnData(p, sink);
}

TEST(PostgresFramer, OneTypedMessage) {
  MessageFramer framer(MessageFramer::Start::kTyped);
  framer.set_side(Side::kFrontend);
  const std::vector<Seen> seen = Feed(framer, Query("SELECT 1"));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, Message::Kind::kTyped);
  EXPECT_EQ(seen[0].type, 'Q');
  EXPECT_EQ(seen[0].body, CStr("SELECT 1"));
  EXPECT_EQ(seen[0].body_length, 9u);
  EXPECT_TRUE(seen[0].complete);
  EXPECT_EQ(seen[0].start_ns, 0u);
  EXPECT_EQ(seen[0].end_ns, 1u);
  EXPECT_EQ(seen[0].tid, 100u);
}

TEST(PostgresFramer, PipelinedBatchSplitAtEveryOffset) {
  const std::string stream = Parse("s1", "SELECT * FROM t WHERE id = $1", 1) +
                             Bind("", "s1", {"42"}) + Describe('P', "") + Execute("") + Sync();
  const std::vector<char> types = {'P', 'B', 'D', 'E', 'S'};
  for (size_t cut = 1; cut < stream.size(); ++cut) {
    MessageFramer framer(MessageFramer::Start::kTyped);
    framer.set_side(Side::kFrontend);
    const std::vector<Seen> seen = Feed(framer, stream, {cut});
    ASSERT_EQ(seen.size(), types.size()) << "cut " << cut;
    size_t offset = 0;
    for (size_t k = 0; k < seen.size(); ++k) {
      EXPECT_EQ(seen[k].type, types[k]) << "cut " << cut;
      EXPECT_TRUE(seen[k].complete) << "cut " << cut;
      const size_t end = offset + 5 + seen[k].body_length;
      // Stamped by the pieces that carried the first and the last byte.
      EXPECT_EQ(seen[k].start_ns, offset < cut ? 0u : 10u) << "cut " << cut;
      EXPECT_EQ(seen[k].end_ns, end <= cut ? 1u : 11u) << "cut " << cut;
      EXPECT_EQ(seen[k].tcp_seq, std::optional<uint32_t>(kFirstSeq + static_cast<uint32_t>(offset)))
          << "cut " << cut;
      offset = end;
    }
    EXPECT_EQ(framer.parse_errors(), 0u);
  }
}

TEST(PostgresFramer, ByteByByte) {
  const std::string stream = RowDescription({"id", "name"}) + DataRow({"1", "alice"}) +
                             DataRow({"2", "bob"}) + CommandComplete("SELECT 2") +
                             ReadyForQuery('I');
  std::vector<size_t> cuts;
  for (size_t i = 1; i < stream.size(); ++i) cuts.push_back(i);
  MessageFramer framer(MessageFramer::Start::kTyped);
  framer.set_side(Side::kBackend);
  const std::vector<Seen> seen = Feed(framer, stream, cuts);
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen[3].type, 'C');
  EXPECT_EQ(seen[3].body, CStr("SELECT 2"));
  EXPECT_EQ(seen[4].type, 'Z');
  EXPECT_EQ(seen[4].body, "I");
}

TEST(PostgresFramer, StartupIsUntypedThenTyped) {
  const std::string stream =
      Startup({{"user", "bob"}, {"database", "shop"}}) + Password("hunter2") + Query("SELECT 1");
  for (size_t cut = 1; cut < stream.size(); ++cut) {
    MessageFramer framer(MessageFramer::Start::kUntyped);
    const std::vector<Seen> seen = Feed(framer, stream, {cut});
    ASSERT_EQ(seen.size(), 3u) << "cut " << cut;
    EXPECT_EQ(seen[0].kind, Message::Kind::kUntyped);
    EXPECT_EQ(seen[0].body.substr(0, 4), Int32(196608));
    EXPECT_EQ(seen[1].type, 'p');
    EXPECT_EQ(seen[1].body, "") << "a password is never kept";
    EXPECT_FALSE(seen[1].complete);
    EXPECT_EQ(seen[2].type, 'Q');
  }
}

TEST(PostgresFramer, EncryptionRequestsKeepTheNextMessageUntyped) {
  MessageFramer framer(MessageFramer::Start::kUntyped);
  const std::vector<Seen> seen =
      Feed(framer, GssEncRequest() + SslRequest() + Startup({{"database", "d"}}) + Sync());
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].kind, Message::Kind::kUntyped);
  EXPECT_EQ(seen[1].kind, Message::Kind::kUntyped);
  EXPECT_EQ(seen[2].kind, Message::Kind::kUntyped);
  EXPECT_EQ(seen[3].kind, Message::Kind::kTyped);
  EXPECT_EQ(seen[3].type, 'S');
}

TEST(PostgresFramer, SingleByteAnswerThenTypedMessages) {
  MessageFramer framer(MessageFramer::Start::kTyped);
  framer.ExpectSingleByteAnswer();
  const std::vector<Seen> seen = Feed(framer, "N" + AuthenticationOk() + ReadyForQuery());
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].kind, Message::Kind::kSingleByte);
  EXPECT_EQ(seen[0].type, 'N');
  EXPECT_EQ(seen[1].type, 'R');
  EXPECT_EQ(seen[2].type, 'Z');
}

TEST(PostgresFramer, OldServerAnsweringSslRequestWithAnError) {
  MessageFramer framer(MessageFramer::Start::kTyped);
  framer.ExpectSingleByteAnswer();
  const std::vector<Seen> seen = Feed(framer, ErrorResponse("08P01", "unsupported"));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, Message::Kind::kTyped);
  EXPECT_EQ(seen[0].type, 'E');
}

TEST(PostgresFramer, DetectsWhichStartTheFirstBytesAre) {
  {
    MessageFramer framer(MessageFramer::Start::kDetect);
    const std::vector<Seen> seen = Feed(framer, Startup({{"user", "u"}}) + Query("SELECT 1"));
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].kind, Message::Kind::kUntyped);
    EXPECT_EQ(seen[1].type, 'Q');
  }
  {
    MessageFramer framer(MessageFramer::Start::kDetect);
    const std::vector<Seen> seen = Feed(framer, AuthenticationOk() + ReadyForQuery());
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_EQ(seen[0].type, 'R');
  }
  {
    MessageFramer framer(MessageFramer::Start::kDetect);
    EXPECT_TRUE(Feed(framer, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03").empty());
    EXPECT_TRUE(framer.tls());
  }
}

TEST(PostgresFramer, HugeMessagesStreamThroughInBoundedMemory) {
  // A 100 MB DataRow, then its CommandComplete, in 64 KiB reads that are all captured.
  constexpr uint32_t kRowBytes = 100u << 20;
  std::string header = "D" + Int32(4 + kRowBytes);
  const std::string chunk(64 * 1024, 'x');
  MessageFramer framer(MessageFramer::Start::kTyped);
  framer.set_side(Side::kBackend);
  Collector sink;
  FeedPiece(framer, sink, header, header.size());
  for (uint32_t sent = 0; sent < kRowBytes; sent += chunk.size()) {
    FeedPiece(framer, sink, chunk, chunk.size(), 1);
  }
  const std::string tail = CommandComplete("SELECT 1") + ReadyForQuery();
  FeedPiece(framer, sink, tail, tail.size(), 2);
  ASSERT_EQ(sink.seen.size(), 3u);
  EXPECT_EQ(sink.seen[0].type, 'D');
  EXPECT_EQ(sink.seen[0].body_length, kRowBytes);
  EXPECT_EQ(sink.seen[0].body.size(), 0u);  // rows are never kept
  EXPECT_FALSE(sink.seen[0].complete);
  EXPECT_EQ(sink.seen[1].type, 'C');
  EXPECT_TRUE(sink.seen[1].complete);
  EXPECT_EQ(framer.parse_errors(), 0u);
}

TEST(PostgresFramer, HugeQueryKeepsOnlyItsBeginning) {
  const std::string text = "SELECT '" + std::string(1 << 20, 'a') + "'";
  MessageFramer framer(MessageFramer::Start::kTyped);
  framer.set_side(Side::kFrontend);
  const std::vector<Seen> seen = Feed(framer, Query(text) + Sync(), {4096, 70000});
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].body.size(), kMaxQueryTextBytes + 1);
  EXPECT_FALSE(seen[0].complete);
  EXPECT_EQ(seen[1].type, 'S');
}

TEST(PostgresFramer, CaptureGapInsideAMessageCostsOnlyItsTail) {
  // The kernel copied 20 of the Query's bytes; the rest is a gap of known size.
  const std::string query = Query("SELECT * FROM big_table WHERE x = 1");
  MessageFramer framer(MessageFramer::Start::kTyped);
  framer.set_side(Side::kFrontend);
  Collector sink;
  FeedPiece(framer, sink, std::string_view(query).substr(0, 20), query.size());
  const std::string next = Sync();
  FeedPiece(framer, sink, next, next.size(), 10);
  ASSERT_EQ(sink.seen.size(), 2u);
  EXPECT_EQ(sink.seen[0].type, 'Q');
  EXPECT_FALSE(sink.seen[0].complete);
  EXPECT_EQ(sink.seen[0].body, query.substr(5, 15));
  EXPECT_EQ(sink.seen[0].end_ns, 1u);
  EXPECT_EQ(sink.seen[1].type, 'S');
  EXPECT_TRUE(framer.synchronized());
}

TEST(PostgresFramer, GapHidingBoundariesIsNeverParsedAndResyncsAtTheNextMessage) {
  // One read of 30 rows, only the first 100 bytes captured: the gap holds headers that must not
  // be guessed at. The next read starts at a message boundary.
  std::string rows;
  for (int i = 0; i < 30; ++i) rows += DataRow({std::to_string(i), "value"});
  MessageFramer framer(MessageFramer::Start::kTyped);
  framer.set_side(Side::kBackend);
  Collector sink;
  FeedPiece(framer, sink, std::string_view(rows).substr(0, 100), rows.size());
  EXPECT_FALSE(framer.synchronized());
  const size_t whole_rows = sink.seen.size();
  const std::string tail = CommandComplete("SELECT 30") + ReadyForQuery();
  FeedPiece(framer, sink, tail, tail.size(), 10);
  ASSERT_EQ(sink.seen.size(), whole_rows + 2);
  EXPECT_EQ(sink.seen[whole_rows].type, 'C');
  EXPECT_EQ(sink.seen[whole_rows + 1].type, 'Z');
  EXPECT_EQ(framer.parse_errors(), 0u);  // a capture gap is not a parse error
  EXPECT_EQ(framer.gap_losses(), 1u);
}

TEST(PostgresFramer, GarbageBeforeAndBetweenMessagesIsSkippedAndCounted) {
  // Before: found by a header whose next message lines up. Between: a bad header where one
  // belongs, and the search starts again one byte further.
  const std::string stream = std::string("\xff\xfe garbage!!", 12) + Query("SELECT 1") +
                             Query("SELECT 2") + std::string("\x01\x02\x03", 3) +
                             Query("SELECT 3") + Sync();
  for (size_t cut = 1; cut < stream.size(); ++cut) {
    MessageFramer framer(MessageFramer::Start::kTyped);
    framer.set_side(Side::kFrontend);
    const std::vector<Seen> seen = Feed(framer, stream, {cut});
    ASSERT_EQ(seen.size(), 4u) << "cut " << cut;
    EXPECT_EQ(seen[0].body, CStr("SELECT 1"));
    EXPECT_EQ(seen[1].body, CStr("SELECT 2"));
    EXPECT_EQ(seen[2].body, CStr("SELECT 3"));
    EXPECT_EQ(seen[3].type, 'S');
    EXPECT_EQ(framer.parse_errors(), 2u) << "cut " << cut;
  }
}

TEST(PostgresFramer, MidStreamStartFindsTheFirstWholeMessage) {
  const std::string stream = DataRow({"17", "some text value"}) + DataRow({"18", "another"}) +
                             CommandComplete("SELECT 18") + ReadyForQuery('T');
  const size_t command_complete = stream.size() - 15 - 6;
  for (size_t start = 1; start < stream.size() - 6; ++start) {
    MessageFramer framer(MessageFramer::Start::kLost);
    const std::vector<Seen> seen = Feed(framer, stream.substr(start));
    ASSERT_GE(seen.size(), start <= command_complete ? 2u : 1u) << "start " << start;
    if (start <= command_complete) {
      EXPECT_EQ(seen[seen.size() - 2].type, 'C') << "start " << start;
    }
    EXPECT_EQ(seen.back().type, 'Z') << "start " << start;
    EXPECT_EQ(seen.back().body, "T");
    EXPECT_EQ(framer.parse_errors(), start == 32 || start == 56 ? 0u : 1u) << "start " << start;
  }
}

TEST(PostgresFramer, MidStreamStartSplitAtEveryOffsetStillFindsTheEnd) {
  // Joined in the middle of a row; the reads then split the rest anywhere, even inside the
  // short CommandComplete and ReadyForQuery headers.
  const std::string stream = DataRow({"17", "some text value"}).substr(9) +
                             DataRow({"18", "another"}) + CommandComplete("SELECT 18") +
                             ReadyForQuery('T');
  for (size_t cut = 1; cut < stream.size(); ++cut) {
    MessageFramer framer(MessageFramer::Start::kLost);
    const std::vector<Seen> seen = Feed(framer, stream, {cut});
    ASSERT_GE(seen.size(), 2u) << "cut " << cut;
    EXPECT_EQ(seen[seen.size() - 2].type, 'C') << "cut " << cut;
    EXPECT_EQ(seen[seen.size() - 2].body, CStr("SELECT 18")) << "cut " << cut;
    EXPECT_EQ(seen.back().type, 'Z') << "cut " << cut;
    EXPECT_EQ(framer.parse_errors(), 1u) << "cut " << cut;
  }
}

TEST(PostgresFramer, BytesLookedAtAgainDoNotShiftTheNextGap) {
  // Lost; a CommandComplete header straddles two reads; the second read's tail is a gap inside
  // a DataRow; the third read starts right after it.
  const std::string complete = CommandComplete("SELECT 1");
  const std::string row = DataRow({"1", std::string(40, 'v')});
  MessageFramer framer(MessageFramer::Start::kLost);
  framer.set_side(Side::kBackend);
  Collector sink;
  const std::string first = "\x01\x02" + complete.substr(0, 3);
  FeedPiece(framer, sink, first, first.size(), 0);
  const std::string second = complete.substr(3) + ReadyForQuery() + row.substr(0, 10);
  FeedPiece(framer, sink, second, second.size() + row.size() - 10, 10);
  const std::string third = ReadyForQuery('T');
  FeedPiece(framer, sink, third, third.size(), 20);
  ASSERT_EQ(sink.seen.size(), 4u);
  EXPECT_EQ(sink.seen[0].type, 'C');
  EXPECT_EQ(sink.seen[1].type, 'Z');
  EXPECT_EQ(sink.seen[2].type, 'D');
  EXPECT_FALSE(sink.seen[2].complete);
  EXPECT_EQ(sink.seen[3].type, 'Z');
  EXPECT_EQ(sink.seen[3].body, "T");
  EXPECT_TRUE(framer.synchronized());
}

TEST(PostgresFramer, ImplausibleLengthLosesSyncAndRecovers) {
  // A ReadyForQuery must be 5 bytes long: this one claims 9.
  const std::string stream = "Z" + Int32(9) + "I" + CommandComplete("SELECT 1") + ReadyForQuery();
  MessageFramer framer(MessageFramer::Start::kTyped);
  framer.set_side(Side::kBackend);
  const std::vector<Seen> seen = Feed(framer, stream);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].type, 'C');
  EXPECT_EQ(seen[1].type, 'Z');
  EXPECT_EQ(framer.parse_errors(), 1u);
}

// Start::kProbe: a first piece that is exactly one startup-phase message starts the stream;
// anything else (a message not filling the piece, a cut capture that contradicts it, typed
// bytes) leaves the framer lost, as Start::kLost would.
TEST(PostgresFramer, ProbeTakesAWholeStartupPhaseMessageForTheStart) {
  const std::string startup = Startup({{"user", "app"}, {"database", "shop"}});
  for (const std::string& first : {SslRequest(), GssEncRequest(), startup,
                                   CancelRequest(1, 2)}) {
    MessageFramer framer(MessageFramer::Start::kProbe);
    framer.set_side(Side::kFrontend);
    Collector sink;
    FeedPiece(framer, sink, first, first.size());
    ASSERT_EQ(sink.seen.size(), 1u);
    EXPECT_EQ(sink.seen[0].kind, Message::Kind::kUntyped);
    EXPECT_TRUE(framer.synchronized());
    EXPECT_EQ(framer.parse_errors(), 0u);
  }
  {
    // A startup message bigger than the capture: its length is the whole write.
    MessageFramer framer(MessageFramer::Start::kProbe);
    framer.set_side(Side::kFrontend);
    Collector sink;
    FeedPiece(framer, sink, std::string_view(startup).substr(0, 20), startup.size());
    ASSERT_EQ(sink.seen.size(), 1u);
    EXPECT_FALSE(sink.seen[0].complete);
  }
  for (const std::string& first :
       {startup + Query("SELECT 1"), SslRequest().substr(0, 7), Query("SELECT 1"),
        Untyped(Int32(196608) + "user" + std::string(1, '\0'))}) {
    MessageFramer framer(MessageFramer::Start::kProbe);
    framer.set_side(Side::kFrontend);
    Collector sink;
    FeedPiece(framer, sink, first, first.size());
    for (const Seen& s : sink.seen) EXPECT_EQ(s.kind, Message::Kind::kTyped);
  }
}

TEST(PostgresFramer, LostFramerFollowsTheStartOnlyBeforeItsFirstByte) {
  {
    MessageFramer framer(MessageFramer::Start::kLost);
    framer.set_side(Side::kBackend);
    framer.ExpectSingleByteAnswer();
    Collector sink;
    FeedPiece(framer, sink, "N", 1);
    ASSERT_EQ(sink.seen.size(), 1u);
    EXPECT_EQ(sink.seen[0].kind, Message::Kind::kSingleByte);
    framer.ExpectTypedStart();  // already at a boundary: no change
    FeedPiece(framer, sink, AuthenticationOk(), AuthenticationOk().size());
    ASSERT_EQ(sink.seen.size(), 2u);
    EXPECT_EQ(sink.seen[1].type, 'R');
  }
  {
    MessageFramer framer(MessageFramer::Start::kLost);
    framer.set_side(Side::kBackend);
    Collector sink;
    const std::string tail = DataRow({"1", "x"}).substr(3);
    FeedPiece(framer, sink, tail, tail.size());
    framer.ExpectTypedStart();
    framer.ExpectSingleByteAnswer();
    EXPECT_FALSE(framer.synchronized());
  }
}

}  // namespace
}  // namespace otelbpf::postgresql
