// HTTP/2 frame headers (RFC 9113 section 4.1) and what each frame type allows (section 6): the
// vocabulary of the frame reader, and the checks that find frame boundaries in bytes of
// unknown position.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace otelbpf::http2 {

enum class FrameType : uint8_t {
  kData = 0,
  kHeaders = 1,
  kPriority = 2,
  kRstStream = 3,
  kSettings = 4,
  kPushPromise = 5,
  kPing = 6,
  kGoaway = 7,
  kWindowUpdate = 8,
  kContinuation = 9,
};
inline constexpr uint8_t kLastKnownFrameType = 9;

inline constexpr uint8_t kFlagEndStream = 0x01;   // DATA, HEADERS
inline constexpr uint8_t kFlagAck = 0x01;         // SETTINGS, PING
inline constexpr uint8_t kFlagEndHeaders = 0x04;  // HEADERS, PUSH_PROMISE, CONTINUATION
inline constexpr uint8_t kFlagPadded = 0x08;      // DATA, HEADERS, PUSH_PROMISE
inline constexpr uint8_t kFlagPriority = 0x20;    // HEADERS

inline constexpr size_t kFrameHeaderSize = 9;
// SETTINGS_MAX_FRAME_SIZE's initial value: what senders use unless the receiver allowed more.
inline constexpr uint32_t kDefaultMaxFrameSize = 16384;
// What the client sends first on every HTTP/2 connection (section 3.4).
inline constexpr std::string_view kClientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

struct FrameHeader {
  uint32_t length = 0;  // of the payload, 24 bits
  uint8_t type = 0;     // raw: frames of unknown types exist and are ignored (section 4.1)
  uint8_t flags = 0;
  uint32_t stream_id = 0;     // the reserved bit removed
  bool reserved_bit = false;  // senders leave it unset

  bool has(uint8_t flag) const { return (flags & flag) != 0; }
  bool is(FrameType t) const { return type == static_cast<uint8_t>(t); }
};

// The first kFrameHeaderSize octets of `bytes` (which must hold them).
FrameHeader ParseFrameHeader(std::string_view bytes);

// The frame's length and stream id are possible for its type (section 6): a frame that breaks
// this is a connection error for its receiver, and for us a sign we are not where we think.
// Frames of unknown types always pass.
bool HasValidShape(const FrameHeader& header);

// Stricter, for bytes whose position in the stream is unknown: a known type with a valid
// shape, no undefined flag, the reserved bit clear, and a length the receiver accepts.
bool IsPlausibleFrameStart(const FrameHeader& header, uint32_t max_frame_size);

}  // namespace otelbpf::http2
