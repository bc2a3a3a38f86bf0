// Reading HPACK's primitive types (RFC 7541 section 5) from one header block: integers with an
// N-bit prefix and string literals, plain or Huffman-coded. Hostile input is the norm here, so
// every read is bounded by the block and by a largest integer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace otelbpf::http2 {

// Why a header block could not be decoded.
enum class HpackError : uint8_t {
  kNone = 0,
  kTruncated,                 // the block ends inside a representation
  kIntegerOverflow,           // an integer above kMaxHpackInteger (or endless continuation)
  kInvalidHuffman,            // EOS inside a string, or padding that is not 1-7 one-bits
  kInvalidIndex,              // index 0, or past every table entry there can be
  kTableSizeAboveLimit,       // a dynamic table size update above SETTINGS_HEADER_TABLE_SIZE
  kMisplacedTableSizeUpdate,  // a size update after the block's first field
};

// Largest integer accepted: every quantity HPACK carries (indexes, string lengths, table sizes)
// fits in 32 bits; more continuation octets are an attack, not an encoding.
inline constexpr uint64_t kMaxHpackInteger = 0xffffffffu;

class HpackInput {
 public:
  explicit HpackInput(std::string_view block) : rest_(block) {}

  bool empty() const { return rest_.empty(); }
  // The next octet, not consumed. Only when !empty().
  uint8_t Peek() const { return static_cast<uint8_t>(rest_.front()); }

  // An integer whose first octet keeps its low `prefix_bits` bits (1-8) for the value (5.1).
  HpackError ReadInteger(int prefix_bits, uint32_t& value);
  // A string literal (5.2), replacing `out`.
  HpackError ReadString(std::string& out);

 private:
  std::string_view rest_;
};

}  // namespace otelbpf::http2
