// The static Huffman code of HPACK (RFC 7541 section 5.2 and Appendix B): decoding string
// literals, and the code of each symbol (tests encode their fixtures with it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace otelbpf::http2 {

inline constexpr uint16_t kHuffmanEos = 256;  // the end-of-string symbol, never in a string

struct HuffmanCode {
  uint32_t bits = 0;   // the code, right-aligned
  uint8_t length = 0;  // in bits, 5 to 30
};

// The code of `symbol` (0-255, or kHuffmanEos).
HuffmanCode HuffmanCodeOf(uint16_t symbol);

// Decodes `encoded` and appends the octets to `out`. False (with `out` holding a partial result)
// when the input is not a valid encoding: it contains EOS, or its padding is longer than 7 bits
// or is not the most significant bits of EOS (all ones), as RFC 7541 section 5.2 requires.
bool HuffmanDecode(std::string_view encoded, std::string& out);

}  // namespace otelbpf::http2
