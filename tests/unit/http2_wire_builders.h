// Byte fixtures for the HTTP/2 tests: HPACK representations and frames built the way RFC 7541
// and RFC 9113 lay them out (our own small encoder), so tests read like the conversations they
// replay. The RFC's own examples are kept as hex (FromHex) to check we decode them byte for byte.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocols/common/protocol.h"
#include "protocols/http2/frame_header.h"
#include "protocols/http2/huffman.h"

namespace otelbpf::http2::wire {

// "8286 8441" -> the octets; spaces and newlines ignored.
inline std::string FromHex(std::string_view hex) {
  std::string out;
  int high = -1;
  for (char c : hex) {
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    if (v < 0) continue;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<char>(high << 4 | v));
      high = -1;
    }
  }
  return out;
}

inline std::string U32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>((v >> 16) & 0xff),
          static_cast<char>((v >> 8) & 0xff), static_cast<char>(v & 0xff)};
}

// ---- HPACK (RFC 7541) ----

// An integer with an N-bit prefix (section 5.1); `pattern` holds the first octet's high bits.
inline std::string Integer(uint8_t pattern, int prefix_bits, uint32_t value) {
  const uint32_t max = (1u << prefix_bits) - 1;
  std::string out;
  if (value < max) {
    out.push_back(static_cast<char>(pattern | value));
    return out;
  }
  out.push_back(static_cast<char>(pattern | max));
  value -= max;
  while (value >= 128) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
  return out;
}

inline std::string HuffmanEncode(std::string_view text) {
  std::string out;
  uint64_t bits = 0;
  int count = 0;
  for (char c : text) {
    const HuffmanCode code = HuffmanCodeOf(static_cast<uint8_t>(c));
    bits = (bits << code.length) | code.bits;
    count += code.length;
    while (count >= 8) {
      out.push_back(static_cast<char>(bits >> (count - 8)));
      count -= 8;
    }
  }
  if (count > 0)
    out.push_back(static_cast<char>((bits << (8 - count)) | ((1u << (8 - count)) - 1)));
  return out;
}

// A string literal (section 5.2).
inline std::string String(std::string_view text, bool huffman = false) {
  const std::string octets = huffman ? HuffmanEncode(text) : std::string(text);
  return Integer(huffman ? 0x80 : 0x00, 7, static_cast<uint32_t>(octets.size())) + octets;
}

inline std::string Indexed(uint32_t index) { return Integer(0x80, 7, index); }

// Literals (section 6.2): with incremental indexing (0x40, 6-bit prefix), without indexing
// (0x00, 4 bits), never indexed (0x10, 4 bits). Name by index, or literal (index 0).
enum class Indexing : uint8_t { kIncremental, kWithout, kNever };
inline std::string Literal(Indexing indexing, uint32_t name_index, std::string_view name,
                           std::string_view value, bool huffman) {
  const uint8_t pattern = indexing == Indexing::kIncremental ? 0x40
                          : indexing == Indexing::kNever     ? 0x10
                                                             : 0x00;
  const int prefix = indexing == Indexing::kIncremental ? 6 : 4;
  std::string out = Integer(pattern, prefix, name_index);
  if (name_index == 0) out += String(name, huffman);
  return out + String(value, huffman);
}
inline std::string Field(std::string_view name, std::string_view value,
                         Indexing indexing = Indexing::kWithout, bool huffman = false) {
  return Literal(indexing, 0, name, value, huffman);
}
inline std::string FieldNamed(uint32_t name_index, std::string_view value,
                              Indexing indexing = Indexing::kWithout, bool huffman = false) {
  return Literal(indexing, name_index, "", value, huffman);
}
inline std::string SizeUpdate(uint32_t size) { return Integer(0x20, 5, size); }

// Static table indexes the fixtures use (RFC 7541 Appendix A).
inline constexpr uint32_t kMethodGet = 2, kMethodPost = 3, kPathRoot = 4, kSchemeHttp = 6,
                          kSchemeHttps = 7, kStatus200 = 8, kStatus404 = 13, kAuthority = 1,
                          kPath = 4, kStatus = 8, kContentType = 31, kUserAgent = 58;

// A request block: the pseudo-fields, then `extra` (already encoded).
inline std::string RequestBlock(std::string_view method, std::string_view path,
                                std::string_view authority, std::string_view extra = "") {
  std::string block = method == "GET"    ? Indexed(kMethodGet)
                      : method == "POST" ? Indexed(kMethodPost)
                                         : Field(":method", method);
  block += Indexed(kSchemeHttp);
  block += FieldNamed(kPath, path);
  block += FieldNamed(kAuthority, authority);
  return block + std::string(extra);
}
inline std::string StatusBlock(int status, std::string_view extra = "") {
  return FieldNamed(kStatus, std::to_string(status)) + std::string(extra);
}

// ---- frames (RFC 9113) ----

inline std::string RawFrame(FrameType type, uint8_t flags, uint32_t stream,
                            std::string_view payload) {
  const auto length = static_cast<uint32_t>(payload.size());
  std::string out = {static_cast<char>(length >> 16), static_cast<char>((length >> 8) & 0xff),
                     static_cast<char>(length & 0xff), static_cast<char>(type),
                     static_cast<char>(flags)};
  return out + U32(stream) + std::string(payload);
}
inline std::string Preface() { return std::string(kClientPreface); }
inline std::string Settings(const std::vector<std::pair<uint16_t, uint32_t>>& settings = {}) {
  std::string payload;
  for (const auto& [id, value] : settings) {
    payload += std::string{static_cast<char>(id >> 8), static_cast<char>(id & 0xff)} + U32(value);
  }
  return RawFrame(FrameType::kSettings, 0, 0, payload);
}
inline std::string SettingsAck() { return RawFrame(FrameType::kSettings, kFlagAck, 0, ""); }
inline std::string Headers(uint32_t stream, std::string_view block, bool end_stream,
                           bool end_headers = true) {
  const uint8_t flags = (end_stream ? kFlagEndStream : 0) | (end_headers ? kFlagEndHeaders : 0);
  return RawFrame(FrameType::kHeaders, flags, stream, block);
}
inline std::string Continuation(uint32_t stream, std::string_view fragment, bool end_headers) {
  return RawFrame(FrameType::kContinuation, end_headers ? kFlagEndHeaders : 0, stream, fragment);
}
inline std::string Data(uint32_t stream, std::string_view body, bool end_stream) {
  return RawFrame(FrameType::kData, end_stream ? kFlagEndStream : 0, stream, body);
}
inline std::string RstStream(uint32_t stream, uint32_t code) {
  return RawFrame(FrameType::kRstStream, 0, stream, U32(code));
}
inline std::string Goaway(uint32_t last_stream, uint32_t code) {
  return RawFrame(FrameType::kGoaway, 0, 0, U32(last_stream) + U32(code));
}
inline std::string WindowUpdate(uint32_t stream, uint32_t increment) {
  return RawFrame(FrameType::kWindowUpdate, 0, stream, U32(increment));
}
inline std::string Ping() { return RawFrame(FrameType::kPing, 0, 0, std::string(8, 'p')); }

// gRPC's message framing: compressed flag, 4-octet length, message.
inline std::string GrpcMessage(std::string_view message) {
  return std::string(1, '\0') + U32(static_cast<uint32_t>(message.size())) + std::string(message);
}

// ---- pieces ----

// A piece of `bytes`, all captured; `gap` more octets moved but were not captured.
inline Piece MakePiece(Direction direction, std::string_view bytes, uint64_t start_ns,
                       uint64_t gap = 0, uint32_t tid = 0) {
  Piece p;
  p.direction = direction;
  p.bytes = bytes;
  p.length = bytes.size() + gap;
  p.start_ns = start_ns;
  p.end_ns = start_ns + 10;
  p.tid = tid;
  return p;
}

}  // namespace otelbpf::http2::wire
