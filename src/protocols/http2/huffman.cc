#include "protocols/http2/huffman.h"

#include <array>
#include <cstddef>

namespace otelbpf::http2 {
namespace {

constexpr size_t kSymbols = 257;
constexpr uint8_t kMaxCodeLength = 30;
constexpr uint8_t kMaxPaddingBits = 7;

// The code length of every symbol, from RFC 7541 Appendix B. The code is canonical (within one
// length, codes rise with the symbol value, and each length starts where the shorter ones
// stopped), so the lengths alone define it: the codes are derived below, and a unit test checks
// a sample of them and EOS against the RFC's table.
// clang-format off
constexpr std::array<uint8_t, kSymbols> kCodeLengths = {
    // 0-31: control characters
    13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
    28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
    // ' ' to '/'
    6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
    // '0' to '?'
    5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
    // '@' to 'O'
    13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
    // 'P' to '_'
    7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
    // '`' to 'o'
    15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
    // 'p' to 127
    6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
    // 128-255
    20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
    24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
    22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
    21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
    26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
    19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
    20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
    26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
    // EOS
    30,
};
// clang-format on

// The canonical code, laid out for decoding one bit at a time: for each length, the first code
// of that length, how many codes have it, and where its symbols start in `symbols` (sorted by
// length, then value).
struct CanonicalCode {
  std::array<HuffmanCode, kSymbols> codes{};
  std::array<uint32_t, kMaxCodeLength + 1> first_code{};
  std::array<uint16_t, kMaxCodeLength + 1> count{};
  std::array<uint16_t, kMaxCodeLength + 1> first_index{};
  std::array<uint16_t, kSymbols> symbols{};
};

// The usual canonical construction: each length's first code follows the last code of the
// shorter lengths, shifted left by one.
constexpr CanonicalCode BuildCanonicalCode() {
  CanonicalCode c;
  for (uint8_t length : kCodeLengths) ++c.count[length];
  uint32_t code = 0;
  uint16_t index = 0;
  for (uint8_t length = 1; length <= kMaxCodeLength; ++length) {
    code = (code + c.count[length - 1]) << 1;
    c.first_code[length] = code;
    c.first_index[length] = index;
    index = static_cast<uint16_t>(index + c.count[length]);
  }
  std::array<uint32_t, kMaxCodeLength + 1> next_code = c.first_code;
  std::array<uint16_t, kMaxCodeLength + 1> next_index = c.first_index;
  for (uint16_t symbol = 0; symbol < kSymbols; ++symbol) {
    const uint8_t length = kCodeLengths[symbol];
    c.codes[symbol] = HuffmanCode{next_code[length]++, length};
    c.symbols[next_index[length]++] = symbol;
  }
  return c;
}

constexpr CanonicalCode kCode = BuildCanonicalCode();
// A complete code ends with EOS as all ones: the lengths above are the RFC's.
static_assert(kCode.codes[kHuffmanEos].bits == 0x3fffffff);
static_assert(kCode.codes['0'].bits == 0 && kCode.codes[' '].bits == 0x14);

}  // namespace

HuffmanCode HuffmanCodeOf(uint16_t symbol) {
  return symbol < kSymbols ? kCode.codes[symbol] : HuffmanCode{};
}

bool HuffmanDecode(std::string_view encoded, std::string& out) {
  uint32_t code = 0;   // bits read since the last symbol
  uint8_t length = 0;  // how many
  for (char c : encoded) {
    const auto octet = static_cast<uint8_t>(c);
    for (int bit = 7; bit >= 0; --bit) {
      code = (code << 1) | ((octet >> bit) & 1u);
      ++length;
      const uint32_t offset = code - kCode.first_code[length];
      if (code >= kCode.first_code[length] && offset < kCode.count[length]) {
        const uint16_t symbol = kCode.symbols[kCode.first_index[length] + offset];
        if (symbol == kHuffmanEos) return false;
        out.push_back(static_cast<char>(symbol));
        code = 0;
        length = 0;
      } else if (length == kMaxCodeLength) {
        return false;  // unreachable for a complete code; kept so `length` stays in bounds
      }
    }
  }
  // What is left is padding: at most 7 bits, all ones (a prefix of EOS).
  return length <= kMaxPaddingBits && code == (1u << length) - 1;
}

}  // namespace otelbpf::http2
