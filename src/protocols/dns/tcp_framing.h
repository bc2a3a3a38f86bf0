// DNS over TCP (RFC 7766 section 8, RFC 1035 section 4.2.2): every message is preceded by a
// two-octet big-endian length. One TcpFramer per direction of a connection turns syscall-sized
// pieces of the byte stream back into messages.
//
// Memory is bounded whatever the peer sends: at most kMaxKeptMessageBytes of a message are
// kept; the rest is skipped by its length. Capture gaps (bytes a syscall moved but the kernel
// did not copy) are skipped by size too: a gap inside a message only costs that message its
// tail; a gap that swallows a length prefix loses the boundaries, and the framer then waits for
// a piece that plausibly begins a message (see TcpFramer::OnData).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace otelbpf::dns {

// Enough for the header and question of any message and the whole of nearly every answer.
inline constexpr size_t kMaxKeptMessageBytes = 4 * 1024;
inline constexpr size_t kLengthPrefixSize = 2;

struct Frame {
  std::string bytes;      // the message's first bytes: all of it when `complete`
  uint16_t length = 0;    // the length prefix: the message's full size
  bool complete = false;  // `bytes` is the whole message (no capture gap, under the cap)
  uint64_t start_ns = 0;  // start of the syscall that carried the length prefix's first byte
  uint64_t end_ns = 0;    // end of the syscall that carried (or skipped) the last byte
};

class TcpFramer {
 public:
  // One syscall's bytes: `captured` is a prefix of the `length` bytes it moved; the rest is a gap
  // of known size. While the boundaries are lost, a piece is only taken as the start of a message
  // when it begins with a length prefix that could be one: either the piece is exactly the two
  // prefix bytes (readers that fetch the length first) announcing at least a header, or the
  // prefix is followed by a standard query/response header with one question.
  void OnData(std::string_view captured, uint64_t length, uint64_t start_ns, uint64_t end_ns);

  // Messages whose last byte arrived (or was skipped), oldest first. The caller consumes and
  // clear()s it.
  std::vector<Frame>& frames() { return frames_; }

  bool synchronized() const { return state_ != State::kLost; }
  uint64_t sync_losses() const { return sync_losses_; }      // gaps that hid a boundary
  uint64_t skipped_bytes() const { return skipped_bytes_; }  // bytes dropped while lost

 private:
  enum class State : uint8_t {
    kLengthPrefix,  // at a boundary: collecting the two length octets
    kBody,          // inside a message; remaining_ bytes to go
    kLost,          // a gap hid where the next message starts
  };

  void Consume(std::string_view data);
  void ConsumeGap(uint64_t gap);
  void BeginBody();
  void EmitFrame();
  void LoseSync();
  static bool PlausibleMessageStart(std::string_view captured, uint64_t length);

  State state_ = State::kLengthPrefix;
  uint8_t prefix_[kLengthPrefixSize] = {};
  size_t prefix_have_ = 0;
  size_t remaining_ = 0;  // kBody: body bytes still to come
  bool intact_ = true;    // kBody: every byte so far was captured and kept
  Frame current_;
  uint64_t piece_start_ns_ = 0;
  uint64_t piece_end_ns_ = 0;
  std::vector<Frame> frames_;
  uint64_t sync_losses_ = 0;
  uint64_t skipped_bytes_ = 0;
};

}  // namespace otelbpf::dns
