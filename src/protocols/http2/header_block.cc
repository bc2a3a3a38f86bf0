#include "protocols/http2/header_block.h"

#include <string_view>
#include <utility>

namespace otelbpf::http2 {
namespace {

constexpr size_t kPriorityFieldsSize = 5;    // HEADERS with PRIORITY: dependency + weight
constexpr size_t kPromisedStreamIdSize = 4;  // PUSH_PROMISE

bool StartsBlock(const FrameHeader& h) {
  return h.is(FrameType::kHeaders) || h.is(FrameType::kPushPromise);
}

}  // namespace

void HeaderBlockAssembler::OnFrame(Frame& frame, std::vector<HeaderBlock>& out) {
  const FrameHeader& h = frame.header;
  const bool continuation = h.is(FrameType::kContinuation);
  if (open_ && !(continuation && h.stream_id == block_.stream_id)) {
    block_.lost = true;  // section 6.10: nothing may come between a block's frames
    Close(out);
  }
  if (!StartsBlock(h) && !continuation) return;
  if (!open_) {
    Open(frame);
    // A CONTINUATION with no block open: the block's start was never seen.
    if (continuation) block_.lost = true;
  }
  if (frame.payload_lost) block_.lost = true;
  if (continuation) {
    Append(frame, 0, 0);
  } else {
    // Section 6.2 and 6.6: [pad length] [priority | promised stream id] fragment [padding].
    const std::string_view payload = frame.payload;
    size_t front = 0;
    size_t padding = 0;
    if (h.has(kFlagPadded) && !payload.empty()) {
      padding = static_cast<uint8_t>(payload[0]);
      front = 1;
    }
    if (h.is(FrameType::kHeaders) && h.has(kFlagPriority)) front += kPriorityFieldsSize;
    if (h.is(FrameType::kPushPromise)) front += kPromisedStreamIdSize;
    if (front + padding > h.length) block_.lost = true;  // a PROTOCOL_ERROR for real peers
    Append(frame, front, padding);
  }
  block_.last_byte_ns = frame.last_byte_ns;
  if (h.has(kFlagEndHeaders)) Close(out);
}

void HeaderBlockAssembler::OnSyncLost(std::vector<HeaderBlock>& out) {
  if (!open_) return;
  block_.lost = true;
  Close(out);
}

void HeaderBlockAssembler::Open(const Frame& frame) {
  block_ = HeaderBlock{};
  block_.stream_id = frame.header.stream_id;
  block_.end_stream = frame.header.is(FrameType::kHeaders) && frame.header.has(kFlagEndStream);
  block_.push_promise = frame.header.is(FrameType::kPushPromise);
  block_.first_byte_ns = frame.first_byte_ns;
  block_.tid = frame.tid;
  open_ = true;
}

void HeaderBlockAssembler::Append(const Frame& frame, size_t skip_front, size_t padding) {
  if (block_.lost) return;
  const std::string_view payload = frame.payload;
  if (skip_front + padding > payload.size()) {
    block_.lost = true;
    return;
  }
  const std::string_view fragment =
      payload.substr(skip_front, payload.size() - skip_front - padding);
  if (block_.fragment.size() + fragment.size() > kMaxHeaderFragmentBytes) {
    block_.lost = true;
    return;
  }
  block_.fragment.append(fragment);
}

void HeaderBlockAssembler::Close(std::vector<HeaderBlock>& out) {
  if (block_.lost) std::string().swap(block_.fragment);
  out.push_back(std::move(block_));
  block_ = HeaderBlock{};
  open_ = false;
}

}  // namespace otelbpf::http2
