// Bounds-checked reads of the protocol's basic types (MySQL source documentation, "Basic Data
// Types"): little-endian fixed-length integers, length-encoded integers and strings,
// NUL-terminated strings. A read past the end fails (std::nullopt) and leaves the reader failed:
// callers read a whole structure, then check once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace otelbpf::mysql {

class WireReader {
 public:
  explicit WireReader(std::string_view bytes) : bytes_(bytes) {}

  std::optional<uint64_t> FixedInt(size_t size);  // int<1> .. int<8>
  // int<lenenc>: 0x00-0xFA the value itself; 0xFC, 0xFD, 0xFE: 2, 3 or 8 bytes follow. 0xFB
  // (NULL in rows) and 0xFF are not integers.
  std::optional<uint64_t> LenencInt();
  std::optional<std::string_view> LenencString();
  // string<NUL>: up to (not including) the NUL, which is consumed.
  std::optional<std::string_view> NulString();
  std::optional<std::string_view> Bytes(size_t size);
  bool Skip(size_t size) { return Bytes(size).has_value(); }
  std::string_view Rest();  // string<EOF>

  size_t remaining() const { return failed_ ? 0 : bytes_.size() - pos_; }
  size_t position() const { return pos_; }
  bool failed() const { return failed_; }

 private:
  std::nullopt_t Fail() {
    failed_ = true;
    return std::nullopt;
  }

  std::string_view bytes_;
  size_t pos_ = 0;
  bool failed_ = false;
};

// Size of the int<lenenc> whose first byte is `first` (1, 3, 4 or 9); 0 when it cannot start one.
size_t LenencIntSize(uint8_t first);

}  // namespace otelbpf::mysql
