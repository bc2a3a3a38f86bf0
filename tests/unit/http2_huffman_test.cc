// HPACK's Huffman code (RFC 7541 Appendix B): the table, decoding, and the padding rules of
// section 5.2.
#include <gtest/gtest.h>

#include <string>

#include "http2_wire_builders.h"
#include "protocols/http2/huffman.h"

namespace otelbpf::http2 {
namespace {

using wire::FromHex;
using wire::HuffmanEncode;

std::string Decoded(const std::string& encoded) {
  std::string out;
  EXPECT_TRUE(HuffmanDecode(encoded, out)) << "for " << out;
  return out;
}

bool Decodes(const std::string& encoded) {
  std::string out;
  return HuffmanDecode(encoded, out);
}

TEST(Http2HuffmanTest, CodesAreTheRfcTable) {
  // A sample across every code length, copied from Appendix B.
  const struct {
    uint16_t symbol;
    uint32_t bits;
    uint8_t length;
  } kRows[] = {
      {0, 0x1ff8, 13},      {1, 0x7fffd8, 23},
      {9, 0xffffea, 24},    {10, 0x3ffffffc, 30},
      {' ', 0x14, 6},       {'!', 0x3f8, 10},
      {'0', 0x0, 5},        {':', 0x5c, 7},
      {'<', 0x7ffc, 15},    {'X', 0xfc, 8},
      {'\\', 0x7fff0, 19},  {'a', 0x3, 5},
      {'{', 0x7ffe, 15},    {127, 0xffffffc, 28},
      {128, 0xfffe6, 20},   {129, 0x3fffd2, 22},
      {153, 0x1fffdc, 21},  {199, 0x1ffffec, 25},
      {203, 0x7ffffde, 27}, {220, 0xffffffd, 28},
      {255, 0x3ffffee, 26}, {kHuffmanEos, 0x3fffffff, 30},
  };
  for (const auto& row : kRows) {
    const HuffmanCode code = HuffmanCodeOf(row.symbol);
    EXPECT_EQ(code.bits, row.bits) << "symbol " << row.symbol;
    EXPECT_EQ(code.length, row.length) << "symbol " << row.symbol;
  }
}

TEST(Http2HuffmanTest, DecodesTheStringsOfAppendixC) {
  EXPECT_EQ(Decoded(FromHex("f1e3 c2e5 f23a 6ba0 ab90 f4ff")), "www.example.com");
  EXPECT_EQ(Decoded(FromHex("a8eb 1064 9cbf")), "no-cache");
  EXPECT_EQ(Decoded(FromHex("25a8 49e9 5ba9 7d7f")), "custom-key");
  EXPECT_EQ(Decoded(FromHex("25a8 49e9 5bb8 e8b4 bf")), "custom-value");
  EXPECT_EQ(Decoded(FromHex("6402")), "302");
  EXPECT_EQ(Decoded(FromHex("aec3 771a 4b")), "private");
  EXPECT_EQ(Decoded(FromHex("d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff")),
            "Mon, 21 Oct 2013 20:13:21 GMT");
  EXPECT_EQ(Decoded(FromHex("9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3")),
            "https://www.example.com");
}

TEST(Http2HuffmanTest, EveryOctetRoundTrips) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  EXPECT_EQ(Decoded(HuffmanEncode(all)), all);
  EXPECT_EQ(Decoded(""), "");
}

TEST(Http2HuffmanTest, PaddingLongerThanSevenBitsIsRejected) {
  // 'a' is 00011: three bits of padding fill its octet; a whole octet of ones more is 11 bits.
  ASSERT_EQ(HuffmanEncode("a"), std::string(1, '\x1f'));
  EXPECT_FALSE(Decodes(std::string("\x1f\xff", 2)));
  // Only padding: eight ones.
  EXPECT_FALSE(Decodes(std::string(1, '\xff')));
}

TEST(Http2HuffmanTest, PaddingThatIsNotAPrefixOfEosIsRejected) {
  EXPECT_FALSE(Decodes(std::string(1, '\x18')));  // 'a' then 000
  EXPECT_FALSE(Decodes(std::string(1, '\x1d')));  // 'a' then 101
}

TEST(Http2HuffmanTest, EosInsideAStringIsRejected) {
  // 30 ones (EOS), then 'a' (00011) and five ones of padding.
  EXPECT_FALSE(Decodes(FromHex("ffff fffc 7f")));
  // 32 ones: EOS, then two bits of padding.
  EXPECT_FALSE(Decodes(FromHex("ffff ffff")));
}

}  // namespace
}  // namespace otelbpf::http2
