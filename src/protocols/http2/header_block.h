// Header blocks of one direction (RFC 9113 section 4.3): a HEADERS or PUSH_PROMISE frame and the
// CONTINUATION frames that follow it, reassembled, without padding and priority fields.
//
// A block that was not seen whole is handed out as `lost` (its stream still learns END_STREAM):
// a fragment not captured whole, a block above kMaxHeaderFragmentBytes, padding longer than the
// frame, a block interrupted by another frame (a connection error for real peers), bytes
// skipped while it was open, or a CONTINUATION whose start we never saw. The HPACK decoder must
// hear of every one of them: their insertions into the dynamic table are unknown.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocols/http2/frames.h"

namespace otelbpf::http2 {

struct HeaderBlock {
  uint32_t stream_id = 0;
  bool end_stream = false;    // the HEADERS frame ended its stream
  bool push_promise = false;  // a PUSH_PROMISE's block (the request of a pushed stream)
  bool lost = false;
  std::string fragment;        // the HPACK block (empty when lost)
  uint64_t first_byte_ns = 0;  // the first frame's first octet
  uint64_t last_byte_ns = 0;   // the last frame's last octet
  uint32_t tid = 0;            // the thread that carried the first octet
};

class HeaderBlockAssembler {
 public:
  // Every frame of the direction, in order; completed blocks are appended to `out`.
  void OnFrame(Frame& frame, std::vector<HeaderBlock>& out);
  // Bytes were skipped: an open block is lost.
  void OnSyncLost(std::vector<HeaderBlock>& out);

 private:
  void Open(const Frame& frame);
  void Append(const Frame& frame, size_t skip_front, size_t padding);
  void Close(std::vector<HeaderBlock>& out);

  HeaderBlock block_;
  bool open_ = false;
};

}  // namespace otelbpf::http2
