// What the libFuzzer targets of database protocols share: the input layout, turned into pieces of
// a connection, and the checks every database span must pass.
//
// Input: one mode byte (its bits 0-1 the role given by the tracker: 0 unknown, 1 server,
// 2 client, 3 unknown; the other bits are the target's), then records [control][length][length
// bytes]. Control: bit 0 direction (1 = sent by the observed process), bits 1-2 a capture gap
// after the bytes (none, small, medium, 64 KiB), bits 3-5 seconds that pass before the piece,
// bit 6 an Expire() after it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "protocols/common/connection.h"
#include "protocols/common/protocol.h"
#include "trace/span.h"

namespace otelbpf::fuzz {

inline constexpr uint64_t kSecond = 1'000'000'000;
inline constexpr uint64_t kGapSizes[] = {0, 3, 300, 65536};

inline void Check(bool invariant) {
  if (!invariant) std::abort();
}

inline ConnectionRole RoleFromMode(uint8_t mode) {
  static constexpr ConnectionRole kRoles[] = {ConnectionRole::kUnknown, ConnectionRole::kServer,
                                              ConnectionRole::kClient, ConnectionRole::kUnknown};
  return kRoles[mode & 3];
}

// The role and mid-stream bits of the mode byte (bits 0-2) as the tracker would set them up.
inline ParserSetup SetupFromMode(uint8_t mode) {
  ParserSetup setup;
  setup.role = RoleFromMode(mode);
  setup.learned_midstream = (mode & 4) != 0;
  return setup;
}

// A string attribute's value, empty when it is not set; set, it must be a string.
inline std::string StringAttribute(const Span& span, std::string_view key) {
  const AttributeValue* value = FindAttribute(span.attributes, key);
  if (!value) return {};
  Check(std::holds_alternative<std::string>(*value));
  return std::get<std::string>(*value);
}

// What holds for every span of every database protocol: a window that does not run backwards,
// exchange indexes in order with none skipped (`next_index` follows them), the protocol's
// db.system.name, and error.type exactly on errors.
inline void CheckDbSpan(const ExchangeSpan& x, std::string_view system, uint64_t& next_index) {
  const Span& span = x.span;
  Check(span.end_time_unix_nano >= span.start_time_unix_nano);
  Check(x.last_byte_ns >= x.first_byte_ns);
  Check(x.origin.exchange_index == next_index++);
  Check(span.family == SemanticFamily::kDb);
  Check(StringAttribute(span, "db.system.name") == system);
  Check(StringAttribute(span, "error.type").empty() == (span.status != StatusCode::kError));
}

// The records of an input, as the pieces of one connection: time starts at 1 and advances 2 ns
// past each piece (plus the seconds its control asks for, before it); tid is the record's end.
class PieceRecords {
 public:
  // `data`: the whole input, mode byte included.
  PieceRecords(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  // The next record's piece, false at the end of the input.
  bool Next(Piece& piece) {
    if (pos_ + 2 > size_) return false;
    control_ = data_[pos_];
    const size_t length = std::min<size_t>(data_[pos_ + 1], size_ - pos_ - 2);
    const std::string_view bytes(reinterpret_cast<const char*>(data_ + pos_ + 2), length);
    pos_ += 2 + length;
    now_ += ((control_ >> 3) & 7) * kSecond;
    piece = Piece{};
    piece.direction = (control_ & 1) ? Direction::kSend : Direction::kRecv;
    piece.bytes = bytes;
    piece.length = bytes.size() + kGapSizes[(control_ >> 1) & 3];
    piece.start_ns = now_;
    piece.end_ns = now_ + 1;
    piece.tid = static_cast<uint32_t>(pos_);
    now_ += 2;
    return true;
  }

  // The last piece asks for an Expire() after it.
  bool expire_after() const { return (control_ & 0x40) != 0; }
  // After the last piece: the time to Expire() or close at.
  uint64_t now() const { return now_; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 1;  // after the mode byte
  uint64_t now_ = 1;
  uint8_t control_ = 0;
};

}  // namespace otelbpf::fuzz
