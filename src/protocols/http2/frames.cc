#include "protocols/http2/frames.h"

#include <algorithm>
#include <utility>

namespace otelbpf::http2 {
namespace {

// How much of a payload the parser reads, so how much is kept (see frames.h).
size_t KeptPayloadLimit(const FrameHeader& h) {
  if (h.type > kLastKnownFrameType) return 0;
  switch (static_cast<FrameType>(h.type)) {
    case FrameType::kHeaders:
    case FrameType::kPushPromise:
    case FrameType::kContinuation:
      return h.length;  // whole, or lost when above kMaxHeaderFragmentBytes
    case FrameType::kSettings:
      return std::min<size_t>(h.length, kMaxSettingsBytes);
    case FrameType::kRstStream:
      return 4;  // error code
    case FrameType::kGoaway:
      return 8;  // last stream id, error code; not the debug data
    case FrameType::kData:
      return h.has(kFlagPadded) ? 1 : 0;  // pad length
    case FrameType::kPriority:
    case FrameType::kPing:
    case FrameType::kWindowUpdate:
      break;
  }
  return 0;
}

// Enough of the client preface to tell it from frames (its first octets as a frame header would
// announce a 5 MiB frame of an unknown type).
bool StartsWithPreface(std::string_view bytes) {
  return bytes.size() >= kFrameHeaderSize &&
         bytes.substr(0, kFrameHeaderSize) == kClientPreface.substr(0, kFrameHeaderSize);
}

}  // namespace

FrameReader::FrameReader(bool from_start) : state_(from_start ? State::kPreface : State::kResync) {}

void FrameReader::OnData(const Piece& piece) {
  const std::string_view captured = piece.bytes.substr(0, piece.length);
  Consume(captured, piece.length, true, piece);
  if (piece.length > captured.size()) SkipGap(piece.length - captured.size(), piece);
}

void FrameReader::Consume(std::string_view bytes, uint64_t to_piece_end, bool at_piece_start,
                          const Piece& piece) {
  while (!bytes.empty()) {
    size_t used = 0;
    switch (state_) {
      case State::kPreface:
        used = ConsumePreface(bytes, piece);
        break;
      case State::kFrameHeader:
        used = ConsumeHeader(bytes, piece);
        break;
      case State::kPayload:
        used = ConsumePayload(bytes, piece);
        break;
      case State::kResync:
        used = FindFrameStart(bytes, to_piece_end, at_piece_start);
        skipped_bytes_ += used;
        if (used < bytes.size()) {
          state_ = StartsWithPreface(bytes.substr(used)) ? State::kPreface : State::kFrameHeader;
        }
        break;
    }
    bytes.remove_prefix(used);
    to_piece_end -= used;
    at_piece_start = at_piece_start && used == 0;
  }
}

size_t FrameReader::ConsumePreface(std::string_view bytes, const Piece& piece) {
  const size_t matched = header_.size();
  const size_t n = std::min(bytes.size(), kClientPreface.size() - matched);
  if (bytes.substr(0, n) != kClientPreface.substr(matched, n)) {
    if (matched == 0) {
      state_ = State::kFrameHeader;  // not the client's direction: frames from the first octet
    } else {
      LoseSync();  // began like the preface, then was not
    }
    return 0;
  }
  if (matched == 0) {
    header_start_ns_ = piece.start_ns;
    header_tid_ = piece.tid;
  }
  header_.append(bytes.substr(0, n));
  if (header_.size() == kClientPreface.size()) {
    header_.clear();
    recognized_any_ = true;
    FrameEvent event;
    event.kind = FrameEvent::Kind::kPreface;
    event.frame.first_byte_ns = header_start_ns_;
    event.frame.last_byte_ns = piece.end_ns;
    event.frame.tid = header_tid_;
    events_.push_back(std::move(event));
    state_ = State::kFrameHeader;
  }
  return n;
}

size_t FrameReader::ConsumeHeader(std::string_view bytes, const Piece& piece) {
  if (header_.empty()) {
    header_start_ns_ = piece.start_ns;
    header_tid_ = piece.tid;
  }
  const size_t n = std::min(bytes.size(), kFrameHeaderSize - header_.size());
  header_.append(bytes.substr(0, n));
  if (header_.size() < kFrameHeaderSize) return n;
  const FrameHeader header = ParseFrameHeader(header_);
  header_.clear();
  if (!HasValidShape(header)) {
    LoseSync();
    return n;
  }
  StartFrame(header);
  if (header.length == 0) FinishFrame(piece.end_ns);
  return n;
}

void FrameReader::StartFrame(const FrameHeader& header) {
  frame_ = Frame{};
  frame_.header = header;
  frame_.first_byte_ns = header_start_ns_;
  frame_.tid = header_tid_;
  payload_read_ = 0;
  payload_kept_limit_ = KeptPayloadLimit(header);
  if (payload_kept_limit_ > kMaxHeaderFragmentBytes) {
    payload_kept_limit_ = 0;
    frame_.payload_lost = true;
  }
  state_ = State::kPayload;
}

size_t FrameReader::ConsumePayload(std::string_view bytes, const Piece& piece) {
  const uint64_t remaining = frame_.header.length - payload_read_;
  const size_t n = static_cast<size_t>(std::min<uint64_t>(bytes.size(), remaining));
  if (payload_read_ < payload_kept_limit_) {
    const size_t keep = std::min<size_t>(n, payload_kept_limit_ - payload_read_);
    frame_.payload.append(bytes.substr(0, keep));
  }
  payload_read_ += n;
  if (payload_read_ == frame_.header.length) FinishFrame(piece.end_ns);
  return n;
}

void FrameReader::SkipGap(uint64_t gap, const Piece& piece) {
  if (state_ == State::kPayload) {
    const uint64_t n = std::min<uint64_t>(gap, frame_.header.length - payload_read_);
    if (payload_read_ < payload_kept_limit_) frame_.payload_lost = true;
    payload_read_ += n;
    gap -= n;
    if (payload_read_ == frame_.header.length) FinishFrame(piece.end_ns);
  }
  if (gap == 0) return;
  if (state_ == State::kResync) {
    skipped_bytes_ += gap;
    return;
  }
  // Frames start somewhere inside the gap: where, nobody can tell.
  LoseSync();
  skipped_bytes_ += gap;
}

void FrameReader::FinishFrame(uint64_t last_byte_ns) {
  frame_.last_byte_ns = last_byte_ns;
  // Frames of unknown types are skipped by length, but prove nothing about the bytes.
  if (frame_.header.type <= kLastKnownFrameType) recognized_any_ = true;
  FrameEvent event;
  event.frame = std::move(frame_);
  events_.push_back(std::move(event));
  frame_ = Frame{};
  state_ = State::kFrameHeader;
}

void FrameReader::LoseSync() {
  ++parse_errors_;
  header_.clear();
  state_ = State::kResync;
  FrameEvent event;
  event.kind = FrameEvent::Kind::kSyncLost;
  events_.push_back(std::move(event));
}

size_t FrameReader::FindFrameStart(std::string_view bytes, uint64_t to_piece_end,
                                   bool at_piece_start) const {
  // The preface only ever starts a piece (it is the connection's first write).
  if (at_piece_start && StartsWithPreface(bytes)) return 0;
  for (size_t pos = 0; pos + kFrameHeaderSize <= bytes.size(); ++pos) {
    if (IsFrameStartAt(bytes, pos, to_piece_end, at_piece_start && pos == 0)) return pos;
  }
  return bytes.size();
}

bool FrameReader::IsFrameStartAt(std::string_view bytes, size_t pos, uint64_t to_piece_end,
                                 bool at_piece_start) const {
  const FrameHeader first = ParseFrameHeader(bytes.substr(pos));
  if (!IsPlausibleFrameStart(first, max_frame_size_)) return false;
  const uint64_t end = pos + kFrameHeaderSize + first.length;  // where the next frame starts
  if (end == to_piece_end) return true;           // the frame ends exactly with the syscall
  if (end > to_piece_end) return at_piece_start;  // spans syscalls: nothing more to check
  if (end + kFrameHeaderSize <= bytes.size()) {
    return IsPlausibleFrameStart(ParseFrameHeader(bytes.substr(end)), max_frame_size_);
  }
  // The next header is not (wholly) captured: only a piece's start is trusted on its own.
  return at_piece_start;
}

}  // namespace otelbpf::http2
