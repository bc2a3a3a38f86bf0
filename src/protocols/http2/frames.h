// One direction of an HTTP/2 connection, cut into frames (RFC 9113 section 4).
//
// The reader takes the direction's pieces in order. A piece is a captured prefix of what one
// syscall moved; the rest is a gap of known length. Frames carry their length, so a gap inside
// a frame's payload is skipped exactly (a big DATA frame only needs its length). Only the
// payload bytes the parser reads are kept, bounded: whole header-block fragments (up to
// kMaxHeaderFragmentBytes; a fragment not captured whole is marked lost), the first settings,
// the error code of RST_STREAM, the last stream id of GOAWAY, DATA's pad length.
//
// A gap that crosses a frame boundary, or a frame impossible for its type, loses the reader
// its place: it says so (kSyncLost, a parse error) and looks for a frame boundary again, at the
// start of later pieces (where syscalls usually begin) and then anywhere, accepting a position
// only when a plausible frame header starts there and is followed by another one or ends
// exactly where the piece does. A connection learned mid-stream starts in that state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/common/protocol.h"
#include "protocols/http2/frame_header.h"

namespace otelbpf::http2 {

// A header block larger than this (all its fragments) is not kept: it is lost.
inline constexpr size_t kMaxHeaderFragmentBytes = 64 * 1024;
// SETTINGS payload kept: more than 64 settings in one frame is not a real peer.
inline constexpr size_t kMaxSettingsBytes = 64 * 6;

struct Frame {
  FrameHeader header;
  std::string payload;         // the kept prefix of the payload (see above)
  bool payload_lost = false;   // part of what should be kept was not captured (or too big)
  uint64_t first_byte_ns = 0;  // start of the piece with the frame's first octet
  uint64_t last_byte_ns = 0;   // end of the piece with its last octet
  uint32_t tid = 0;            // the thread of the piece with its first octet
};

struct FrameEvent {
  enum class Kind : uint8_t {
    kFrame,
    kPreface,   // the client connection preface: this direction is the client's
    kSyncLost,  // bytes were skipped: frames (and header blocks) in them are unknown
  };
  Kind kind = Kind::kFrame;
  Frame frame;  // kFrame
};

class FrameReader {
 public:
  // `from_start`: the direction is seen from its first octet (it may begin with the client
  // preface); otherwise the reader first has to find a frame boundary.
  explicit FrameReader(bool from_start);

  void OnData(const Piece& piece);
  // Events since the caller last cleared this.
  std::vector<FrameEvent>& events() { return events_; }

  // SETTINGS_MAX_FRAME_SIZE announced by this direction's receiver (plausibility only).
  void set_max_frame_size(uint32_t size) { max_frame_size_ = size; }

  uint64_t parse_errors() const { return parse_errors_; }
  uint64_t skipped_bytes() const { return skipped_bytes_; }
  // A frame (or the preface) was read in sync at least once.
  bool recognized_any() const { return recognized_any_; }

 private:
  enum class State : uint8_t { kPreface, kFrameHeader, kPayload, kResync };

  // `to_piece_end`: octets from the start of `bytes` to the end of the piece (gap included).
  void Consume(std::string_view bytes, uint64_t to_piece_end, bool at_piece_start,
               const Piece& piece);
  size_t ConsumePreface(std::string_view bytes, const Piece& piece);
  size_t ConsumeHeader(std::string_view bytes, const Piece& piece);
  size_t ConsumePayload(std::string_view bytes, const Piece& piece);
  void SkipGap(uint64_t gap, const Piece& piece);
  // The offset in `bytes` where a frame plausibly starts, or bytes.size().
  size_t FindFrameStart(std::string_view bytes, uint64_t to_piece_end, bool at_piece_start) const;
  bool IsFrameStartAt(std::string_view bytes, size_t pos, uint64_t to_piece_end,
                      bool at_piece_start) const;
  void StartFrame(const FrameHeader& header);
  void FinishFrame(uint64_t last_byte_ns);
  void LoseSync();

  State state_;
  std::string header_;  // octets of the frame header (or preface) read so far
  uint64_t header_start_ns_ = 0;
  uint32_t header_tid_ = 0;
  Frame frame_;                // the frame being read (kPayload)
  uint64_t payload_read_ = 0;  // octets of its payload consumed (captured or skipped)
  size_t payload_kept_limit_ = 0;
  uint32_t max_frame_size_ = kDefaultMaxFrameSize;
  std::vector<FrameEvent> events_;
  uint64_t parse_errors_ = 0;
  uint64_t skipped_bytes_ = 0;
  bool recognized_any_ = false;
};

}  // namespace otelbpf::http2
