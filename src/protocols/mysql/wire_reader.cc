#include "protocols/mysql/wire_reader.h"

namespace otelbpf::mysql {

size_t LenencIntSize(uint8_t first) {
  if (first < 0xFB) return 1;
  switch (first) {
    case 0xFC:
      return 3;
    case 0xFD:
      return 4;
    case 0xFE:
      return 9;
    default:
      return 0;
  }
}

std::optional<uint64_t> WireReader::FixedInt(size_t size) {
  if (failed_ || size > 8 || bytes_.size() - pos_ < size) return Fail();
  uint64_t value = 0;
  for (size_t i = 0; i < size; ++i)
    value |= static_cast<uint64_t>(static_cast<uint8_t>(bytes_[pos_ + i])) << (8 * i);
  pos_ += size;
  return value;
}

std::optional<uint64_t> WireReader::LenencInt() {
  if (failed_ || pos_ >= bytes_.size()) return Fail();
  const size_t size = LenencIntSize(static_cast<uint8_t>(bytes_[pos_]));
  if (size == 0) return Fail();
  if (size == 1) return static_cast<uint8_t>(bytes_[pos_++]);
  if (bytes_.size() - pos_ < size) return Fail();
  ++pos_;
  return FixedInt(size - 1);
}

std::optional<std::string_view> WireReader::LenencString() {
  const std::optional<uint64_t> size = LenencInt();
  if (!size) return std::nullopt;
  if (*size > bytes_.size() - pos_) return Fail();
  return Bytes(static_cast<size_t>(*size));
}

std::optional<std::string_view> WireReader::NulString() {
  if (failed_) return std::nullopt;
  const size_t end = bytes_.find('\0', pos_);
  if (end == std::string_view::npos) return Fail();
  const std::string_view text = bytes_.substr(pos_, end - pos_);
  pos_ = end + 1;
  return text;
}

std::optional<std::string_view> WireReader::Bytes(size_t size) {
  if (failed_ || bytes_.size() - pos_ < size) return Fail();
  const std::string_view out = bytes_.substr(pos_, size);
  pos_ += size;
  return out;
}

std::string_view WireReader::Rest() {
  if (failed_) return {};
  const std::string_view out = bytes_.substr(pos_);
  pos_ = bytes_.size();
  return out;
}

}  // namespace otelbpf::mysql
