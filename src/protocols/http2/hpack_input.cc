#include "protocols/http2/hpack_input.h"

#include "protocols/http2/huffman.h"

namespace otelbpf::http2 {
namespace {

constexpr uint8_t kHuffmanFlag = 0x80;
constexpr int kStringLengthPrefixBits = 7;
// 7 value bits per continuation octet; five of them already pass 32 bits.
constexpr int kMaxContinuationShift = 28;

}  // namespace

HpackError HpackInput::ReadInteger(int prefix_bits, uint32_t& value) {
  if (rest_.empty()) return HpackError::kTruncated;
  const uint32_t prefix_max = (1u << prefix_bits) - 1;
  uint64_t result = static_cast<uint8_t>(rest_.front()) & prefix_max;
  rest_.remove_prefix(1);
  if (result == prefix_max) {
    int shift = 0;
    while (true) {
      if (rest_.empty()) return HpackError::kTruncated;
      const auto octet = static_cast<uint8_t>(rest_.front());
      rest_.remove_prefix(1);
      if (shift > kMaxContinuationShift) return HpackError::kIntegerOverflow;
      result += static_cast<uint64_t>(octet & 0x7f) << shift;
      if (result > kMaxHpackInteger) return HpackError::kIntegerOverflow;
      if ((octet & 0x80) == 0) break;
      shift += 7;
    }
  }
  value = static_cast<uint32_t>(result);
  return HpackError::kNone;
}

HpackError HpackInput::ReadString(std::string& out) {
  if (rest_.empty()) return HpackError::kTruncated;
  const bool huffman = (Peek() & kHuffmanFlag) != 0;
  uint32_t length = 0;
  if (HpackError e = ReadInteger(kStringLengthPrefixBits, length); e != HpackError::kNone) {
    return e;
  }
  if (length > rest_.size()) return HpackError::kTruncated;
  const std::string_view octets = rest_.substr(0, length);
  rest_.remove_prefix(length);
  out.clear();
  if (!huffman) {
    out.assign(octets);
    return HpackError::kNone;
  }
  return HuffmanDecode(octets, out) ? HpackError::kNone : HpackError::kInvalidHuffman;
}

}  // namespace otelbpf::http2
