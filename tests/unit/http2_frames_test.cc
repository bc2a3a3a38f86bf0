// The frame reader and header-block reassembly: frames split at every offset across pieces,
// gaps skipped by length, resynchronisation, and the frame shapes RFC 9113 forbids.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http2_wire_builders.h"
#include "protocols/http2/frames.h"
#include "protocols/http2/header_block.h"

namespace otelbpf::http2 {
namespace {

using namespace wire;

// A compact view of events: "P" preface, "L" sync lost, "<type>:<stream>:<flags>[!]" frames
// ("!" when the kept payload was not captured whole).
std::string Describe(const std::vector<FrameEvent>& events) {
  std::string out;
  for (const FrameEvent& e : events) {
    if (e.kind == FrameEvent::Kind::kPreface) {
      out += "P ";
    } else if (e.kind == FrameEvent::Kind::kSyncLost) {
      out += "L ";
    } else {
      const FrameHeader& h = e.frame.header;
      out += std::to_string(h.type) + ":" + std::to_string(h.stream_id) + ":" +
             std::to_string(h.flags) + (e.frame.payload_lost ? "!" : "") + " ";
    }
  }
  return out;
}

// Feeds `pieces` (all captured) to a reader; returns the events.
std::string Read(const std::vector<std::string>& pieces, bool from_start = true) {
  FrameReader reader(from_start);
  uint64_t t = 100;
  for (const std::string& p : pieces) {
    reader.OnData(MakePiece(Direction::kSend, p, t));
    t += 100;
  }
  return Describe(reader.events());
}

const std::string kClientStream = Preface() + Settings({{1, 8192}}) + WindowUpdate(0, 1000) +
                                  Headers(1, RequestBlock("GET", "/a", "h"), true) +
                                  Headers(3, RequestBlock("POST", "/b", "h"), false) +
                                  Data(3, "hello", true) + Ping();
const std::string kClientEvents = "P 4:0:0 8:0:0 1:1:5 1:3:4 0:3:1 6:0:0 ";

TEST(Http2FramesTest, ReadsTheClientStream) { EXPECT_EQ(Read({kClientStream}), kClientEvents); }

TEST(Http2FramesTest, SameFramesWhereverThePiecesAreCut) {
  for (size_t cut = 0; cut <= kClientStream.size(); ++cut) {
    EXPECT_EQ(Read({kClientStream.substr(0, cut), kClientStream.substr(cut)}), kClientEvents)
        << "cut at " << cut;
  }
  for (size_t a = 1; a < kClientStream.size(); a += 7) {
    for (size_t b = a; b < kClientStream.size(); b += 5) {
      EXPECT_EQ(Read({kClientStream.substr(0, a), kClientStream.substr(a, b - a),
                      kClientStream.substr(b)}),
                kClientEvents)
          << "cuts at " << a << " and " << b;
    }
  }
}

TEST(Http2FramesTest, AServerStreamHasNoPreface) {
  EXPECT_EQ(Read({Settings() + SettingsAck() + Headers(1, StatusBlock(200), true)}),
            "4:0:0 4:0:1 1:1:5 ");
}

TEST(Http2FramesTest, AGapInsideADataPayloadIsSkippedByLength) {
  // A 100 000-octet DATA frame of which only the first 1000 octets (and its header) were
  // captured; the next syscall starts with the response trailers.
  const std::string header_and_start = Data(1, std::string(100000, 'x'), false).substr(0, 1009);
  FrameReader reader(true);
  reader.OnData(MakePiece(Direction::kRecv, Settings() + header_and_start, 1, 99000));
  reader.OnData(MakePiece(Direction::kRecv, Headers(1, StatusBlock(200), true), 2));
  EXPECT_EQ(Describe(reader.events()), "4:0:0 0:1:0 1:1:5 ");
  EXPECT_EQ(reader.events()[1].frame.header.length, 100000u);
  EXPECT_EQ(reader.parse_errors(), 0u);
}

TEST(Http2FramesTest, AHeaderFragmentNotCapturedWholeIsMarkedLost) {
  const std::string frame = Headers(1, std::string(3000, 'h'), true);
  FrameReader reader(false);
  reader.OnData(MakePiece(Direction::kRecv, frame.substr(0, 1024), 1, frame.size() - 1024));
  reader.OnData(MakePiece(Direction::kRecv, Ping(), 2));
  EXPECT_EQ(Describe(reader.events()), "1:1:5! 6:0:0 ");
}

TEST(Http2FramesTest, AGapAcrossFramesLosesSyncUntilTheNextPiece) {
  FrameReader reader(true);
  // Two frames, the second one's header in the uncaptured part.
  const std::string two = Data(1, "abc", false) + Data(1, "defgh", true);
  reader.OnData(MakePiece(Direction::kSend, two.substr(0, 10), 1, two.size() - 10));
  reader.OnData(MakePiece(Direction::kSend, Headers(3, RequestBlock("GET", "/", "h"), true), 2));
  EXPECT_EQ(Describe(reader.events()), "0:1:0 L 1:3:5 ");
  EXPECT_EQ(reader.parse_errors(), 1u);
}

TEST(Http2FramesTest, FramesImpossibleForTheirTypeLoseSync) {
  const std::string bad_frames[] = {
      RawFrame(FrameType::kPing, 0, 0, "1234567"),            // PING is 8 octets
      RawFrame(FrameType::kSettings, 0, 1, ""),               // SETTINGS belongs to stream 0
      RawFrame(FrameType::kData, 0, 0, "x"),                  // DATA belongs to a stream
      RawFrame(FrameType::kWindowUpdate, 0, 1, "abc"),        // WINDOW_UPDATE is 4 octets
      RawFrame(FrameType::kRstStream, 0, 1, "12345"),         // RST_STREAM is 4 octets
      RawFrame(FrameType::kSettings, kFlagAck, 0, "123456"),  // an ACK carries nothing
  };
  for (const std::string& bad : bad_frames) {
    FrameReader reader(true);
    reader.OnData(MakePiece(Direction::kRecv, Settings() + bad, 1));
    EXPECT_EQ(Describe(reader.events()), "4:0:0 L ");
    EXPECT_EQ(reader.parse_errors(), 1u);
  }
}

TEST(Http2FramesTest, UnknownFrameTypesAreSkipped) {
  EXPECT_EQ(
      Read({Settings() + RawFrame(static_cast<FrameType>(0x42), 0xff, 7, "whatever") + Ping()}),
      "4:0:0 66:7:255 6:0:0 ");
}

TEST(Http2FramesTest, MidstreamReaderFindsAFrameAtAPieceStart) {
  FrameReader reader(false);
  // Inside a body first: nothing to find. Then a piece that starts with frames.
  reader.OnData(MakePiece(Direction::kRecv, std::string(300, '\x07'), 1));
  reader.OnData(
      MakePiece(Direction::kRecv, Headers(5, StatusBlock(200), false) + Data(5, "ok", true), 2));
  EXPECT_EQ(Describe(reader.events()), "1:5:4 0:5:1 ");
  EXPECT_EQ(reader.skipped_bytes(), 300u);
}

TEST(Http2FramesTest, MidstreamReaderFindsTwoFramesInARowInsideAPiece) {
  FrameReader reader(false);
  const std::string frames = WindowUpdate(0, 5) + Headers(7, StatusBlock(404), true);
  reader.OnData(MakePiece(Direction::kRecv, std::string(13, 'z') + frames, 1));
  EXPECT_EQ(Describe(reader.events()), "8:0:0 1:7:5 ");
  EXPECT_EQ(reader.skipped_bytes(), 13u);
}

TEST(Http2FramesTest, MidstreamReaderRecognisesThePreface) {
  EXPECT_EQ(Read({"junk junk", kClientStream}, false), kClientEvents);
}

// ---- header blocks ----

std::vector<HeaderBlock> Blocks(const std::string& bytes) {
  FrameReader reader(false);
  reader.OnData(MakePiece(Direction::kRecv, bytes, 1));
  HeaderBlockAssembler assembler;
  std::vector<HeaderBlock> blocks;
  for (FrameEvent& e : reader.events()) {
    if (e.kind == FrameEvent::Kind::kFrame) assembler.OnFrame(e.frame, blocks);
  }
  return blocks;
}

TEST(Http2FramesTest, ContinuationFramesReassembleOneBlock) {
  const std::string block = RequestBlock("GET", "/long/path", "example.com");
  const std::string bytes = Headers(1, block.substr(0, 4), true, false) +
                            Continuation(1, block.substr(4, 6), false) +
                            Continuation(1, block.substr(10), true);
  const std::vector<HeaderBlock> blocks = Blocks(bytes);
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].fragment, block);
  EXPECT_TRUE(blocks[0].end_stream);
  EXPECT_FALSE(blocks[0].lost);
}

TEST(Http2FramesTest, PaddingAndPriorityAreRemoved) {
  const std::string block = StatusBlock(200);
  // Pad length 3; exclusive dependency on stream 1, weight 16; the block; 3 octets of padding.
  const std::string priority("\x80\x00\x00\x01\x10", 5);
  const std::string payload = std::string(1, '\x03') + priority + block + "pad";
  const std::vector<HeaderBlock> blocks = Blocks(
      RawFrame(FrameType::kHeaders, kFlagEndHeaders | kFlagPadded | kFlagPriority, 1, payload));
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].fragment, block);
  EXPECT_FALSE(blocks[0].lost);
}

TEST(Http2FramesTest, PaddingLongerThanTheFrameLosesTheBlock) {
  const std::string payload = std::string(1, '\x09') + StatusBlock(200);
  const std::vector<HeaderBlock> blocks =
      Blocks(RawFrame(FrameType::kHeaders, kFlagEndHeaders | kFlagPadded, 1, payload));
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_TRUE(blocks[0].lost);
}

TEST(Http2FramesTest, PushPromiseBlocksSkipThePromisedStreamId) {
  const std::string block = RequestBlock("GET", "/style.css", "h");
  const std::vector<HeaderBlock> blocks =
      Blocks(RawFrame(FrameType::kPushPromise, kFlagEndHeaders, 1, U32(2) + block));
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_TRUE(blocks[0].push_promise);
  EXPECT_EQ(blocks[0].fragment, block);
}

TEST(Http2FramesTest, AnInterruptedBlockIsLost) {
  const std::vector<HeaderBlock> blocks =
      Blocks(Headers(1, "\x82", true, false) + Ping() + Continuation(1, "\x84", true));
  ASSERT_EQ(blocks.size(), 2u);  // the interrupted one, and the stray CONTINUATION
  EXPECT_TRUE(blocks[0].lost);
  EXPECT_TRUE(blocks[1].lost);
}

TEST(Http2FramesTest, AnOversizedBlockIsLost) {
  std::string bytes = Headers(1, std::string(16000, 'a'), false, false);
  for (int i = 0; i < 4; ++i) bytes += Continuation(1, std::string(16000, 'b'), false);
  bytes += Continuation(1, "c", true);
  const std::vector<HeaderBlock> blocks = Blocks(bytes);
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_TRUE(blocks[0].lost);
  EXPECT_TRUE(blocks[0].fragment.empty());
}

}  // namespace
}  // namespace otelbpf::http2
