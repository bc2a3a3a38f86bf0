// Protobuf wire-format primitives for hand-written encoders (see trace_encoder.cc).
//
// Why not the generated classes: building one message object per span (allocations, copies,
// then a serialization pass) costs several microseconds per span, too much at ~100k spans/s
// on a machine shared with the traced workload. Writing the bytes directly costs a fraction.
//
// The writer owns a growable byte buffer that is reused across messages, so a steady-state
// encoder allocates nothing. Two write styles:
//  - checked:   every call makes room first (simple, used for rare/large parts);
//  - unchecked: the caller reserved an upper bound with Reserve() and then writes freely
//               (the per-span hot path: one capacity check per span instead of one per field).
// Nested messages whose size is unknown up front are written with BeginNested/EndNested:
// a guessed number of bytes is reserved for the length, and the body is shifted if the final
// length varint turns out shorter or longer than the guess. The output is therefore always
// canonical (minimal varints), byte-identical to what the generated serializer produces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace otelbpf::otlp {

enum class WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// Encoded size of a varint.
constexpr size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

constexpr uint32_t MakeTag(uint32_t field, WireType type) {
  return (field << 3) | static_cast<uint32_t>(type);
}

// Size of a length-delimited field (tag + length + payload) whose payload is `len` bytes.
// Valid for field numbers < 16 (one-byte tags), which is all our encoders use on hot paths.
constexpr size_t LengthDelimitedSize(size_t len) { return 1 + VarintSize(len) + len; }

class WireWriter {
 public:
  // Largest encoding of a field header: a 5-byte tag plus a 10-byte length/varint.
  static constexpr size_t kMaxFieldOverhead = 15;

  void Clear() { pos_ = 0; }
  size_t size() const { return pos_; }
  std::string_view view() const { return {buf_.data(), pos_}; }

  // Guarantees room for `n` more bytes, so that Unchecked* calls within them are safe.
  void Reserve(size_t n) {
    if (pos_ + n > buf_.size()) Grow(pos_ + n);
  }

  // --- unchecked writes (the caller has reserved enough room) ---
  void UncheckedVarint(uint64_t v) {
    char* p = buf_.data() + pos_;
    while (v >= 0x80) {
      *p++ = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    *p++ = static_cast<char>(v);
    pos_ = static_cast<size_t>(p - buf_.data());
  }
  void UncheckedTag(uint32_t field, WireType type) { UncheckedVarint(MakeTag(field, type)); }
  void UncheckedRaw(const void* data, size_t n) {
    if (n != 0) std::memcpy(buf_.data() + pos_, data, n);  // memcpy(nullptr, 0) is UB
    pos_ += n;
  }
  void UncheckedFixed64(uint64_t v) {
    // The wire format is little-endian, as are all targets we build for (x86-64, arm64).
    static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);
    UncheckedRaw(&v, sizeof v);
  }
  void UncheckedFixed32(uint32_t v) { UncheckedRaw(&v, sizeof v); }

  void UncheckedVarintField(uint32_t field, uint64_t v) {
    UncheckedTag(field, WireType::kVarint);
    UncheckedVarint(v);
  }
  void UncheckedFixed64Field(uint32_t field, uint64_t v) {
    UncheckedTag(field, WireType::kFixed64);
    UncheckedFixed64(v);
  }
  void UncheckedFixed32Field(uint32_t field, uint32_t v) {
    UncheckedTag(field, WireType::kFixed32);
    UncheckedFixed32(v);
  }
  void UncheckedBytesField(uint32_t field, const void* data, size_t n) {
    UncheckedTag(field, WireType::kLengthDelimited);
    UncheckedVarint(n);
    UncheckedRaw(data, n);
  }
  void UncheckedBytesField(uint32_t field, std::string_view s) {
    UncheckedBytesField(field, s.data(), s.size());
  }
  // Header of a nested message whose exact size is already known.
  void UncheckedNestedHeader(uint32_t field, size_t size) {
    UncheckedTag(field, WireType::kLengthDelimited);
    UncheckedVarint(size);
  }

  // --- checked writes ---
  void BytesField(uint32_t field, std::string_view s) {
    Reserve(kMaxFieldOverhead + s.size());
    UncheckedBytesField(field, s);
  }

  // Where a nested message's length goes, and how many bytes were set aside for it.
  struct NestedMark {
    size_t length_pos;
    size_t guessed_length_bytes;
  };

  // Starts a nested message of not-yet-known size: writes the tag and sets aside
  // `guessed_length_bytes` (1..10) for the length, to be filled in by EndNested.
  NestedMark BeginNested(uint32_t field, size_t guessed_length_bytes) {
    Reserve(kMaxFieldOverhead);
    UncheckedTag(field, WireType::kLengthDelimited);
    NestedMark mark{pos_, guessed_length_bytes};
    pos_ += guessed_length_bytes;
    return mark;
  }

  // Writes the length of the message started at `mark`, moving the body if the guess was off
  // (rare when guesses fit typical sizes; costs one memmove of the body when it happens).
  void EndNested(NestedMark mark) {
    size_t guessed = mark.guessed_length_bytes;
    size_t len_pos = mark.length_pos;
    size_t body_pos = len_pos + guessed;
    size_t body_len = pos_ - body_pos;
    size_t actual = VarintSize(body_len);
    if (actual != guessed) {
      if (actual > guessed) Reserve(actual - guessed);
      std::memmove(buf_.data() + len_pos + actual, buf_.data() + body_pos, body_len);
      pos_ = len_pos + actual + body_len;
    }
    size_t end = pos_;
    pos_ = len_pos;
    UncheckedVarint(body_len);
    pos_ = end;
  }

 private:
  void Grow(size_t needed) {
    size_t capacity = buf_.size() < 4096 ? 4096 : buf_.size();
    while (capacity < needed) capacity *= 2;
    buf_.resize(capacity);  // zero-fills only the new part, and only when growing
  }

  std::string buf_;  // buf_.size() is the capacity; pos_ is the written length
  size_t pos_ = 0;
};

}  // namespace otelbpf::otlp
