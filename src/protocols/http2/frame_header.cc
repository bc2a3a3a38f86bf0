#include "protocols/http2/frame_header.h"

namespace otelbpf::http2 {
namespace {

constexpr uint32_t kReservedBit = 0x80000000u;
constexpr uint32_t kPriorityFieldsSize = 5;  // stream dependency + weight
constexpr uint32_t kSettingSize = 6;

uint8_t Octet(std::string_view bytes, size_t i) { return static_cast<uint8_t>(bytes[i]); }

// The flags each type defines (section 6); others must be ignored by receivers, but senders
// never set them, so seeing one is evidence against a frame boundary.
uint8_t DefinedFlags(FrameType type) {
  switch (type) {
    case FrameType::kData:
      return kFlagEndStream | kFlagPadded;
    case FrameType::kHeaders:
      return kFlagEndStream | kFlagEndHeaders | kFlagPadded | kFlagPriority;
    case FrameType::kSettings:
    case FrameType::kPing:
      return kFlagAck;
    case FrameType::kPushPromise:
      return kFlagEndHeaders | kFlagPadded;
    case FrameType::kContinuation:
      return kFlagEndHeaders;
    case FrameType::kPriority:
    case FrameType::kRstStream:
    case FrameType::kGoaway:
    case FrameType::kWindowUpdate:
      break;
  }
  return 0;
}

}  // namespace

FrameHeader ParseFrameHeader(std::string_view bytes) {
  FrameHeader h;
  h.length = (uint32_t{Octet(bytes, 0)} << 16) | (uint32_t{Octet(bytes, 1)} << 8) | Octet(bytes, 2);
  h.type = Octet(bytes, 3);
  h.flags = Octet(bytes, 4);
  const uint32_t stream = (uint32_t{Octet(bytes, 5)} << 24) | (uint32_t{Octet(bytes, 6)} << 16) |
                          (uint32_t{Octet(bytes, 7)} << 8) | Octet(bytes, 8);
  h.reserved_bit = (stream & kReservedBit) != 0;
  h.stream_id = stream & ~kReservedBit;
  return h;
}

bool HasValidShape(const FrameHeader& h) {
  if (h.type > kLastKnownFrameType) return true;
  const bool on_stream = h.stream_id != 0;
  const uint32_t padding_field = h.has(kFlagPadded) ? 1 : 0;
  switch (static_cast<FrameType>(h.type)) {
    case FrameType::kData:
      return on_stream && h.length >= padding_field;
    case FrameType::kHeaders:
      return on_stream &&
             h.length >= padding_field + (h.has(kFlagPriority) ? kPriorityFieldsSize : 0);
    case FrameType::kPriority:
      return on_stream && h.length == kPriorityFieldsSize;
    case FrameType::kRstStream:
      return on_stream && h.length == 4;
    case FrameType::kSettings:
      return !on_stream && h.length % kSettingSize == 0 && (!h.has(kFlagAck) || h.length == 0);
    case FrameType::kPushPromise:
      return on_stream && h.length >= 4 + padding_field;
    case FrameType::kPing:
      return !on_stream && h.length == 8;
    case FrameType::kGoaway:
      return !on_stream && h.length >= 8;
    case FrameType::kWindowUpdate:
      return h.length == 4;
    case FrameType::kContinuation:
      return on_stream;
  }
  return true;
}

bool IsPlausibleFrameStart(const FrameHeader& h, uint32_t max_frame_size) {
  if (h.type > kLastKnownFrameType || h.reserved_bit || h.length > max_frame_size) return false;
  if ((h.flags & ~DefinedFlags(static_cast<FrameType>(h.type))) != 0) return false;
  return HasValidShape(h);
}

}  // namespace otelbpf::http2
