// HTTP/2 on one connection: the bytes both ways in, one span per stream out (RFC 9113).
//
// Per direction: frames (frames.h), header blocks (header_block.h) and an HPACK decoder
// (hpack_decoder.h) whose table must follow every block of that direction, requests and
// responses alike, including PUSH_PROMISE's. Streams (streams.h) pair a request's blocks and
// DATA with the response's by stream id; a stream is an exchange once its response ends
// (END_STREAM), is reset (RST_STREAM), refused (the server's GOAWAY names a lower last stream),
// or cut by the connection's end. Only client-initiated (odd) streams are followed: pushed
// streams are not requests anyone made.
//
// A connection upgraded from HTTP/1.1 (h2c) starts with the upgrading request open as stream 1
// (ParserSetup::switched_from). Role: ParserSetup's when given; else the side that sends the client preface is the client,
// or the side that sends a block with :method. A connection learned mid-stream is parsed too:
// the frame readers find frame boundaries, and fields that reference the HPACK entries sent
// before we watched come out unknown (never invented) and are counted on the span.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "protocols/common/protocol.h"
#include "protocols/http2/exchange.h"
#include "protocols/http2/frames.h"
#include "protocols/http2/header_block.h"
#include "protocols/http2/hpack_decoder.h"
#include "protocols/http2/streams.h"

namespace otelbpf::http2 {

// Like HTTP/1's: a connection whose bytes never once framed as HTTP/2 is given up after this
// many unframable octets and pieces (the kernel's patience with mid-stream connections).
inline constexpr uint64_t kAbandonAfterUnparseableBytes = 4 * 1024;
inline constexpr uint64_t kAbandonAfterUnparseablePieces = 64;

class Http2Parser final : public ConnectionParser {
 public:
  explicit Http2Parser(const ParserSetup& setup);

  void OnData(const Piece& piece) override;
  void OnClose(uint64_t ns, bool reset) override;
  void Expire(uint64_t now_ns) override;
  void Drain(const ConnectionInfo& connection, const SpanBuildOptions& options,
             std::vector<ExchangeSpan>& out) override;
  ConnectionRole role() const override { return role_; }
  bool abandoned() const override;
  ParserCounters counters() const override;

  // For tests and the fuzz target.
  const HpackDecoder& decoder(Direction direction) const { return side(direction).hpack; }
  size_t open_streams() const { return streams_.size(); }
  // Exchanges ended so far and not drained yet.
  const std::vector<Exchange>& completed() const { return completed_; }

 private:
  struct Side {
    explicit Side(bool from_start) : reader(from_start), hpack(!from_start) {}
    FrameReader reader;
    HeaderBlockAssembler blocks;
    HpackDecoder hpack;
  };

  Side& side(Direction d) { return sides_[static_cast<size_t>(d)]; }
  const Side& side(Direction d) const { return sides_[static_cast<size_t>(d)]; }
  Direction RequestDirection() const;
  // The HTTP/1.1 request that upgraded the connection to h2c, as stream 1.
  void OpenUpgradedStream(const ProtocolSwitch::Request& request);

  void OnEvent(Direction d, FrameEvent& event);
  void OnFrame(Direction d, Frame& frame);
  void OnHeaderBlock(Direction d, const HeaderBlock& block);
  void OnRequestBlock(const HeaderBlock& block, bool decoded);
  void OnResponseBlock(const HeaderBlock& block, bool decoded);
  void OnData(Direction d, const Frame& frame);
  void OnSettings(Direction d, const Frame& frame);
  void OnGoaway(Direction d, const Frame& frame);
  void End(OpenStream& stream, StreamEnd end, uint64_t ns);
  void Finish(std::vector<OpenStream>& ended);

  Side sides_[2];  // indexed by Direction
  ConnectionRole role_ = ConnectionRole::kUnknown;
  StreamTable streams_;
  std::vector<Exchange> completed_;
  std::vector<HeaderBlock> blocks_;   // scratch: blocks completed by the frame at hand
  std::vector<HeaderField> fields_;   // scratch: the block at hand, decoded
  std::vector<OpenStream> ended_;     // scratch: streams ended by the frame at hand
  uint32_t last_request_stream_ = 0;  // the highest stream a request opened
  uint32_t last_unmatched_stream_ = 0;
  uint64_t unmatched_responses_ = 0;
  uint64_t undecodable_requests_ = 0;  // ended streams whose request we could not read
  uint64_t unknown_outcomes_ = 0;      // ended streams whose response we could not read
  uint64_t pieces_unrecognized_ = 0;
  bool closed_ = false;
};

std::unique_ptr<ConnectionParser> MakeParser(const ParserSetup& setup);

}  // namespace otelbpf::http2
