// PacketFramer (MySQL packets to messages) and WireReader (the protocol's basic types): splits at
// every offset, multi-packet payloads, capture gaps, lost boundaries, huge messages.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "protocols/mysql/constants.h"
#include "protocols/mysql/packet_framer.h"
#include "protocols/mysql/wire_reader.h"

namespace otelbpf::mysql {
namespace {

using namespace std::string_literals;

std::string Header(uint32_t length, uint8_t seq) {
  return std::string{static_cast<char>(length & 0xFF), static_cast<char>((length >> 8) & 0xFF),
                     static_cast<char>((length >> 16) & 0xFF), static_cast<char>(seq)};
}

std::string Packet(uint8_t seq, std::string_view payload) {
  return Header(static_cast<uint32_t>(payload.size()), seq) + std::string(payload);
}

// A message as the sink saw it, copied (the payload view dies with the call).
struct Seen {
  std::string payload;
  uint64_t length = 0;
  uint8_t first_seq = 0;
  uint8_t next_seq = 0;
  bool complete = false;
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
  uint32_t tid = 0;
  size_t offset = 0;
};

class Recorder : public MessageSink {
 public:
  bool OnMessage(const Message& m) override {
    seen.push_back({std::string(m.payload), m.length, m.first_seq, m.next_seq, m.complete,
                    m.start_ns, m.end_ns, m.tid, m.offset});
    return seen.size() != reject_at;
  }
  std::vector<Seen> seen;
  size_t reject_at = 0;  // refuse the n-th message (1-based); 0: none
};

// Feeds `stream` cut at `cuts` (ascending offsets), piece i stamped [10 i, 10 i + 1], tid 100 + i.
std::vector<Seen> FeedCut(const std::string& stream, const std::vector<size_t>& cuts) {
  PacketFramer framer;
  Recorder recorder;
  size_t from = 0;
  uint64_t t = 0;
  uint32_t tid = 100;
  for (size_t to : cuts) {
    framer.OnData(std::string_view(stream).substr(from, to - from), to - from, t, t + 1, tid++,
                  recorder);
    from = to;
    t += 10;
  }
  framer.OnData(std::string_view(stream).substr(from), stream.size() - from, t, t + 1, tid,
                recorder);
  return recorder.seen;
}

const std::string kQuery = "\x03SELECT 1"s;
const std::string kOk = "\x00\x00\x00\x02\x00\x00\x00"s;

TEST(MysqlPacketFramer, OneMessageInOnePiece) {
  const std::vector<Seen> seen = FeedCut(Packet(0, kQuery), {});
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].payload, kQuery);
  EXPECT_EQ(seen[0].length, kQuery.size());
  EXPECT_EQ(seen[0].first_seq, 0);
  EXPECT_EQ(seen[0].next_seq, 1);
  EXPECT_TRUE(seen[0].complete);
  EXPECT_EQ(seen[0].start_ns, 0u);
  EXPECT_EQ(seen[0].end_ns, 1u);
  EXPECT_EQ(seen[0].tid, 100u);
  EXPECT_EQ(seen[0].offset, 0u);
}

TEST(MysqlPacketFramer, ReassemblesTwoMessagesSplitAtEveryOffset) {
  const std::string stream = Packet(0, kQuery) + Packet(1, kOk);
  const size_t first_end = 4 + kQuery.size();
  for (size_t cut = 1; cut < stream.size(); ++cut) {
    const std::vector<Seen> seen = FeedCut(stream, {cut});
    ASSERT_EQ(seen.size(), 2u) << "cut at " << cut;
    EXPECT_EQ(seen[0].payload, kQuery) << "cut at " << cut;
    EXPECT_EQ(seen[1].payload, kOk) << "cut at " << cut;
    EXPECT_TRUE(seen[0].complete && seen[1].complete);
    EXPECT_EQ(seen[1].first_seq, 1);
    // Stamped by the pieces that carried their first and last bytes.
    EXPECT_EQ(seen[0].start_ns, 0u);
    EXPECT_EQ(seen[0].tid, 100u);
    EXPECT_EQ(seen[0].end_ns, cut >= first_end ? 1u : 11u) << "cut at " << cut;
    EXPECT_EQ(seen[1].start_ns, cut > first_end ? 0u : 10u) << "cut at " << cut;
    EXPECT_EQ(seen[1].tid, cut > first_end ? 100u : 101u) << "cut at " << cut;
    EXPECT_EQ(seen[1].end_ns, 11u);
    // Its header's offset in the piece that delivered it, unless an earlier piece held it.
    const size_t offset = cut < first_end    ? first_end - cut
                          : cut == first_end ? 0
                                             : std::string_view::npos;
    EXPECT_EQ(seen[1].offset, offset) << "cut at " << cut;
  }
}

TEST(MysqlPacketFramer, ReassemblesByteByByte) {
  const std::string stream =
      Packet(0, kQuery) + Packet(1, kOk) + Packet(0, ""s) + Packet(0, kQuery);
  std::vector<size_t> cuts;
  for (size_t i = 1; i < stream.size(); ++i) cuts.push_back(i);
  const std::vector<Seen> seen = FeedCut(stream, cuts);
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].payload, kQuery);
  EXPECT_EQ(seen[1].payload, kOk);
  EXPECT_EQ(seen[2].length, 0u);  // an empty packet is a message (it ends LOCAL INFILE data)
  EXPECT_TRUE(seen[2].complete);
  EXPECT_EQ(seen[3].payload, kQuery);
}

TEST(MysqlPacketFramer, JoinsPacketsOfAPayloadOver16MiB) {
  const std::string big(kMaxPacketPayload, 'x');
  const std::string stream =
      Header(kMaxPacketPayload, 3) + big + Packet(4, "tail") + Packet(0, kQuery);
  const std::vector<Seen> seen = FeedCut(stream, {100, 5000, 4 + kMaxPacketPayload + 2});
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].length, kMaxPacketPayload + 4u);
  EXPECT_EQ(seen[0].first_seq, 3);
  EXPECT_EQ(seen[0].next_seq, 5);  // the reply continues the sequence after the last packet
  EXPECT_FALSE(seen[0].complete);  // over the kept cap
  EXPECT_EQ(seen[0].payload, std::string(kMaxKeptPayloadBytes, 'x'));
  EXPECT_EQ(seen[0].start_ns, 0u);
  EXPECT_EQ(seen[0].end_ns, 31u);
  EXPECT_EQ(seen[1].payload, kQuery);
}

TEST(MysqlPacketFramer, PayloadOfExactly16MiBEndsWithAnEmptyPacket) {
  const std::string stream = Header(kMaxPacketPayload, 0) + std::string(kMaxPacketPayload, 'y') +
                             Packet(1, "") + Packet(2, kOk);
  const std::vector<Seen> seen = FeedCut(stream, {});
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].length, kMaxPacketPayload);
  EXPECT_EQ(seen[0].next_seq, 2);
  EXPECT_EQ(seen[1].payload, kOk);
}

TEST(MysqlPacketFramer, ContinuationOutOfSequenceLosesTheBoundary) {
  PacketFramer framer;
  Recorder recorder;
  const std::string first = Header(kMaxPacketPayload, 0);
  framer.OnData(first, first.size() + kMaxPacketPayload, 0, 1, 1, recorder);
  const std::string wrong = Packet(7, "tail");
  framer.OnData(wrong, wrong.size(), 2, 3, 1, recorder);
  EXPECT_TRUE(framer.lost());
  EXPECT_EQ(framer.sync_losses(), 1u);
  EXPECT_TRUE(recorder.seen.empty());
}

TEST(MysqlPacketFramer, GapInsideAPayloadIsSkippedExactly) {
  // A 3000-byte packet of which the syscall copied 1024 bytes, then the next packet.
  const std::string row = Packet(1, std::string(3000, 'r'));
  PacketFramer framer;
  Recorder recorder;
  framer.OnData(std::string_view(row).substr(0, 1024), row.size(), 0, 1, 7, recorder);
  const std::string next = Packet(2, kOk);
  framer.OnData(next, next.size(), 2, 3, 8, recorder);
  ASSERT_EQ(recorder.seen.size(), 2u);
  EXPECT_EQ(recorder.seen[0].length, 3000u);
  EXPECT_FALSE(recorder.seen[0].complete);
  EXPECT_EQ(recorder.seen[0].payload, std::string(1020, 'r'));
  EXPECT_EQ(recorder.seen[0].end_ns, 1u);
  EXPECT_EQ(recorder.seen[1].payload, kOk);
  EXPECT_TRUE(recorder.seen[1].complete);
  EXPECT_FALSE(framer.lost());
}

TEST(MysqlPacketFramer, GapEndingAtABoundaryKeepsSync) {
  const std::string stream = Packet(1, std::string(2000, 'r')) + Packet(2, kOk);
  PacketFramer framer;
  Recorder recorder;
  // The first syscall moved exactly the first packet, of which 100 bytes were copied.
  framer.OnData(std::string_view(stream).substr(0, 100), 2004, 0, 1, 1, recorder);
  framer.OnData(std::string_view(stream).substr(2004), stream.size() - 2004, 2, 3, 1, recorder);
  ASSERT_EQ(recorder.seen.size(), 2u);
  EXPECT_EQ(recorder.seen[1].payload, kOk);
}

TEST(MysqlPacketFramer, GapOverAHeaderLosesSyncUntilResync) {
  const std::string stream = Packet(1, "abc") + Packet(2, "defgh") + Packet(3, "ij");
  PacketFramer framer;
  Recorder recorder;
  // Copied: the first packet and one byte of the second's header.
  framer.OnData(std::string_view(stream).substr(0, 8), 17, 0, 1, 1, recorder);
  EXPECT_TRUE(framer.lost());
  EXPECT_EQ(framer.sync_losses(), 1u);
  ASSERT_EQ(recorder.seen.size(), 1u);
  // Nothing is consumed while lost, even a valid packet.
  const std::string next = Packet(3, "ij");
  framer.OnData(next, next.size(), 2, 3, 1, recorder);
  EXPECT_EQ(recorder.seen.size(), 1u);
  framer.Resync();
  framer.OnData(next, next.size(), 4, 5, 1, recorder);
  ASSERT_EQ(recorder.seen.size(), 2u);
  EXPECT_EQ(recorder.seen[1].payload, "ij");
}

TEST(MysqlPacketFramer, RefusedMessageDropsTheRestOfThePiece) {
  const std::string stream = Packet(0, kQuery) + Packet(0, kQuery) + Packet(0, kQuery);
  PacketFramer framer;
  Recorder recorder;
  recorder.reject_at = 2;
  framer.OnData(stream, stream.size(), 0, 1, 1, recorder);
  EXPECT_EQ(recorder.seen.size(), 2u);
  EXPECT_EQ(recorder.seen[1].offset, 4 + kQuery.size());
  EXPECT_TRUE(framer.lost());
  EXPECT_EQ(framer.sync_losses(), 0u);  // the owner's decision, counted by the owner
}

TEST(MysqlPacketFramer, StartsLostWhenJoinedMidway) {
  PacketFramer framer(/*start_lost=*/true);
  Recorder recorder;
  const std::string p = Packet(0, kQuery);
  framer.OnData(p, p.size(), 0, 1, 1, recorder);
  EXPECT_TRUE(recorder.seen.empty());
  EXPECT_TRUE(framer.lost());
}

TEST(MysqlPacketFramer, HundredMegabyteMessageStreamsThroughBounded) {
  // One 100 MB payload (as seven 16 MiB packets) read by 64 KiB syscalls of which the kernel
  // copied 1 KiB each: only the header bytes and the first kilobyte are ever looked at.
  constexpr uint64_t kTotal = 100ull * 1000 * 1000;
  std::string stream;
  uint64_t left = kTotal;
  uint8_t seq = 0;
  std::vector<std::pair<uint64_t, std::string>> headers;  // offset in stream, header bytes
  uint64_t offset = 0;
  while (true) {
    const uint32_t size =
        left >= kMaxPacketPayload ? kMaxPacketPayload : static_cast<uint32_t>(left);
    headers.push_back({offset, Header(size, seq++)});
    offset += 4 + size;
    left -= size;
    if (size < kMaxPacketPayload) break;
  }
  const uint64_t stream_size = offset;
  // The bytes of the stream at [at, at + n), without materialising 100 MB: headers where they
  // are, 'z' elsewhere.
  const auto bytes_at = [&](uint64_t at, size_t n) {
    std::string out(n, 'z');
    for (const auto& [h_at, h] : headers)
      for (size_t i = 0; i < 4; ++i)
        if (h_at + i >= at && h_at + i < at + n) out[h_at + i - at] = h[i];
    return out;
  };
  PacketFramer framer;
  Recorder recorder;
  constexpr uint64_t kRead = 64 * 1024;
  uint64_t pos = 0;
  uint64_t t = 0;
  while (pos < stream_size) {
    const uint64_t moved = std::min(kRead, stream_size - pos);
    // Each syscall's copied prefix must hold any header it starts: align reads on headers.
    uint64_t this_read = moved;
    for (const auto& h : headers)
      if (h.first > pos && h.first < pos + this_read) this_read = h.first - pos;
    const std::string captured =
        bytes_at(pos, static_cast<size_t>(std::min<uint64_t>(1024, this_read)));
    framer.OnData(captured, this_read, t, t + 1, 1, recorder);
    pos += this_read;
    t += 2;
  }
  ASSERT_EQ(recorder.seen.size(), 1u);
  EXPECT_EQ(recorder.seen[0].length, kTotal);
  EXPECT_FALSE(recorder.seen[0].complete);
  EXPECT_LE(recorder.seen[0].payload.size(), kMaxKeptPayloadBytes);
  EXPECT_FALSE(framer.lost());
}

TEST(MysqlWireReader, LengthEncodedIntegers) {
  const std::string bytes = "\xFA\xFC\x34\x12\xFD\x56\x34\x12\xFE\x01\x02\x03\x04\x05\x06\x07\x08"s;
  WireReader r(bytes);
  EXPECT_EQ(r.LenencInt(), 250u);
  EXPECT_EQ(r.LenencInt(), 0x1234u);
  EXPECT_EQ(r.LenencInt(), 0x123456u);
  EXPECT_EQ(r.LenencInt(), 0x0807060504030201u);
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_FALSE(r.failed());
}

TEST(MysqlWireReader, NullMarkerAndUndefinedPrefixAreNoIntegers) {
  WireReader null_marker("\xFB");
  EXPECT_FALSE(null_marker.LenencInt());
  WireReader undefined("\xFF");
  EXPECT_FALSE(undefined.LenencInt());
  EXPECT_EQ(LenencIntSize(0xFB), 0u);
  EXPECT_EQ(LenencIntSize(0xFE), 9u);
}

TEST(MysqlWireReader, FailureIsStickyAndNeverReadsPastTheEnd) {
  WireReader r(
      "\x05"
      "abc");
  EXPECT_FALSE(r.LenencString());  // claims 5, has 3
  EXPECT_TRUE(r.failed());
  EXPECT_FALSE(r.FixedInt(1));
  EXPECT_EQ(r.Rest(), "");
  WireReader cut("\xFD\x01");
  EXPECT_FALSE(cut.LenencInt());
}

TEST(MysqlWireReader, StringsAndFixedIntegers) {
  const std::string bytes =
      "root\0\x03"
      "def\x34\x12rest"s;
  WireReader r(bytes);
  EXPECT_EQ(r.NulString(), "root");
  EXPECT_EQ(r.LenencString(), "def");
  EXPECT_EQ(r.FixedInt(2), 0x1234u);
  EXPECT_EQ(r.Rest(), "rest");
  WireReader unterminated("abc");
  EXPECT_FALSE(unterminated.NulString());
}

}  // namespace
}  // namespace otelbpf::mysql
