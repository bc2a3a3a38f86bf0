// The HPACK decoder: RFC 7541 Appendix C byte for byte (fields and dynamic table after every
// block), then hostile input (integer overflow, table-size abuse, bad indexes) and what an
// observer that joined late can and cannot know.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "http2_wire_builders.h"
#include "protocols/http2/hpack_decoder.h"

namespace otelbpf::http2 {
namespace {

using wire::FromHex;
using Pairs = std::vector<std::pair<std::string, std::string>>;
// (name, value, size) from newest to oldest.
struct Row {
  std::string name;
  std::string value;
  size_t size;
  bool operator==(const Row&) const = default;
};
using Rows = std::vector<Row>;

Pairs Decode(HpackDecoder& decoder, const std::string& block) {
  std::vector<HeaderField> fields;
  EXPECT_TRUE(decoder.Decode(block, fields)) << "error " << static_cast<int>(decoder.error());
  Pairs out;
  for (const HeaderField& f : fields) out.emplace_back(f.name, f.value);
  return out;
}

Rows TableOf(const HpackDecoder& decoder) {
  Rows rows;
  const DynamicTable& table = decoder.table();
  for (size_t i = 1; i <= table.entry_count(); ++i) {
    const DynamicEntry* e = nullptr;
    EXPECT_EQ(table.Find(i, &e), DynamicTable::Lookup::kKnown);
    rows.push_back(Row{e->name, e->value, e->size()});
  }
  return rows;
}

HpackError ErrorOf(const std::string& block, bool learned_midstream = false) {
  HpackDecoder decoder(learned_midstream);
  std::vector<HeaderField> fields;
  EXPECT_FALSE(decoder.Decode(block, fields));
  EXPECT_TRUE(fields.empty());
  return decoder.error();
}

// ---- Appendix C.2: one representation each ----

TEST(Http2HpackDecoderTest, C21LiteralWithIndexing) {
  HpackDecoder d(false);
  EXPECT_EQ(Decode(d, FromHex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572")),
            (Pairs{{"custom-key", "custom-header"}}));
  EXPECT_EQ(TableOf(d), (Rows{{"custom-key", "custom-header", 55}}));
  EXPECT_EQ(d.table().size(), 55u);
}

TEST(Http2HpackDecoderTest, C22LiteralWithoutIndexing) {
  HpackDecoder d(false);
  EXPECT_EQ(Decode(d, FromHex("040c 2f73 616d 706c 652f 7061 7468")),
            (Pairs{{":path", "/sample/path"}}));
  EXPECT_TRUE(TableOf(d).empty());
}

TEST(Http2HpackDecoderTest, C23LiteralNeverIndexed) {
  HpackDecoder d(false);
  EXPECT_EQ(Decode(d, FromHex("1008 7061 7373 776f 7264 0673 6563 7265 74")),
            (Pairs{{"password", "secret"}}));
  EXPECT_TRUE(TableOf(d).empty());
}

TEST(Http2HpackDecoderTest, C24IndexedField) {
  HpackDecoder d(false);
  EXPECT_EQ(Decode(d, FromHex("82")), (Pairs{{":method", "GET"}}));
  EXPECT_TRUE(TableOf(d).empty());
}

// ---- Appendix C.3 to C.6: one decoder per chain ----

const Pairs kRequest1 = {
    {":method", "GET"}, {":scheme", "http"}, {":path", "/"}, {":authority", "www.example.com"}};
const Pairs kRequest2 = {{":method", "GET"},
                         {":scheme", "http"},
                         {":path", "/"},
                         {":authority", "www.example.com"},
                         {"cache-control", "no-cache"}};
const Pairs kRequest3 = {{":method", "GET"},
                         {":scheme", "https"},
                         {":path", "/index.html"},
                         {":authority", "www.example.com"},
                         {"custom-key", "custom-value"}};
const Rows kRequestTable1 = {{":authority", "www.example.com", 57}};
const Rows kRequestTable2 = {{"cache-control", "no-cache", 53},
                             {":authority", "www.example.com", 57}};
const Rows kRequestTable3 = {{"custom-key", "custom-value", 54},
                             {"cache-control", "no-cache", 53},
                             {":authority", "www.example.com", 57}};

void ExpectRequestChain(const std::vector<std::string>& blocks) {
  HpackDecoder d(false);
  EXPECT_EQ(Decode(d, FromHex(blocks[0])), kRequest1);
  EXPECT_EQ(TableOf(d), kRequestTable1);
  EXPECT_EQ(d.table().size(), 57u);
  EXPECT_EQ(Decode(d, FromHex(blocks[1])), kRequest2);
  EXPECT_EQ(TableOf(d), kRequestTable2);
  EXPECT_EQ(d.table().size(), 110u);
  EXPECT_EQ(Decode(d, FromHex(blocks[2])), kRequest3);
  EXPECT_EQ(TableOf(d), kRequestTable3);
  EXPECT_EQ(d.table().size(), 164u);
}

TEST(Http2HpackDecoderTest, C3RequestsWithoutHuffman) {
  ExpectRequestChain({
      "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
      "8286 84be 5808 6e6f 2d63 6163 6865",
      "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
  });
}

TEST(Http2HpackDecoderTest, C4RequestsWithHuffman) {
  ExpectRequestChain({
      "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
      "8286 84be 5886 a8eb 1064 9cbf",
      "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
  });
}

const std::string kDate1 = "Mon, 21 Oct 2013 20:13:21 GMT";
const std::string kDate2 = "Mon, 21 Oct 2013 20:13:22 GMT";
const std::string kLocation = "https://www.example.com";
const std::string kCookie = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";

// The examples assume a 256-octet table (SETTINGS_HEADER_TABLE_SIZE=256) from the start; here
// the first block carries the size update an encoder sends after that setting (3fe101 = 256).
void ExpectResponseChain(const std::vector<std::string>& blocks) {
  HpackDecoder d(false);
  d.OnTableSizeSetting(256);
  EXPECT_EQ(Decode(d, FromHex("3fe101") + FromHex(blocks[0])), (Pairs{{":status", "302"},
                                                                      {"cache-control", "private"},
                                                                      {"date", kDate1},
                                                                      {"location", kLocation}}));
  EXPECT_EQ(d.table().max_size(), 256u);
  EXPECT_EQ(TableOf(d), (Rows{{"location", kLocation, 63},
                              {"date", kDate1, 65},
                              {"cache-control", "private", 52},
                              {":status", "302", 42}}));
  EXPECT_EQ(d.table().size(), 222u);
  EXPECT_EQ(Decode(d, FromHex(blocks[1])), (Pairs{{":status", "307"},
                                                  {"cache-control", "private"},
                                                  {"date", kDate1},
                                                  {"location", kLocation}}));
  EXPECT_EQ(TableOf(d), (Rows{{":status", "307", 42},
                              {"location", kLocation, 63},
                              {"date", kDate1, 65},
                              {"cache-control", "private", 52}}));
  EXPECT_EQ(d.table().size(), 222u);
  EXPECT_EQ(Decode(d, FromHex(blocks[2])), (Pairs{{":status", "200"},
                                                  {"cache-control", "private"},
                                                  {"date", kDate2},
                                                  {"location", kLocation},
                                                  {"content-encoding", "gzip"},
                                                  {"set-cookie", kCookie}}));
  EXPECT_EQ(
      TableOf(d),
      (Rows{{"set-cookie", kCookie, 98}, {"content-encoding", "gzip", 52}, {"date", kDate2, 65}}));
  EXPECT_EQ(d.table().size(), 215u);
}

TEST(Http2HpackDecoderTest, C5ResponsesWithoutHuffmanEvict) {
  ExpectResponseChain({
      "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a"
      "3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
      "4803 3330 37c1 c0bf",
      "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04"
      "677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49"
      "553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31",
  });
}

TEST(Http2HpackDecoderTest, C6ResponsesWithHuffmanEvict) {
  ExpectResponseChain({
      "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e"
      "919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
      "4883 640e ffc1 c0bf",
      "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7"
      "821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed"
      "4ee5 b106 3d50 07",
  });
}

// ---- bad input ----

TEST(Http2HpackDecoderTest, InvalidBlocksAreErrors) {
  EXPECT_EQ(ErrorOf(FromHex("80")), HpackError::kInvalidIndex);             // index 0
  EXPECT_EQ(ErrorOf(FromHex("be")), HpackError::kInvalidIndex);             // 62, table empty
  EXPECT_EQ(ErrorOf(FromHex("3fe21f")), HpackError::kTableSizeAboveLimit);  // 4097 > 4096
  EXPECT_EQ(ErrorOf(FromHex("400a6375")), HpackError::kTruncated);          // name cut short
  EXPECT_EQ(ErrorOf(FromHex("41")), HpackError::kTruncated);                // no value
  EXPECT_EQ(ErrorOf(FromHex("ff")), HpackError::kTruncated);                // integer cut short
  EXPECT_EQ(ErrorOf(FromHex("0081ff")), HpackError::kInvalidHuffman);       // 8 bits of padding
  EXPECT_EQ(ErrorOf(FromHex("82 20")), HpackError::kMisplacedTableSizeUpdate);
}

TEST(Http2HpackDecoderTest, IntegersAreBoundedAgainstOverflow) {
  // 2^32 and beyond, and an endless run of continuation octets.
  EXPECT_EQ(ErrorOf(FromHex("ff 81 ff ff ff 0f")), HpackError::kIntegerOverflow);
  EXPECT_EQ(ErrorOf(FromHex("ff ff ff ff ff ff ff ff ff 01")), HpackError::kIntegerOverflow);
  EXPECT_EQ(ErrorOf(FromHex("ff 80 80 80 80 80 80 80 00")), HpackError::kIntegerOverflow);
  // The largest value still reads (as a far too large index).
  EXPECT_EQ(ErrorOf(wire::Indexed(0xffffffffu)), HpackError::kInvalidIndex);
}

TEST(Http2HpackDecoderTest, AFailedDecoderRefusesEveryLaterBlock) {
  HpackDecoder d(false);
  std::vector<HeaderField> fields;
  EXPECT_FALSE(d.Decode(FromHex("80"), fields));
  EXPECT_FALSE(d.Decode(FromHex("82"), fields));
  EXPECT_TRUE(d.failed());
  EXPECT_EQ(d.counters().decode_errors, 1u);
  EXPECT_EQ(d.counters().refused_blocks, 1u);
}

TEST(Http2HpackDecoderTest, TableSizeUpdatesFollowTheSettingUpToAFixedBound) {
  HpackDecoder d(false);
  std::vector<HeaderField> fields;
  // The peer allowed 1 MiB: the encoder may use it, the observer keeps at most 64 KiB.
  d.OnTableSizeSetting(1 << 20);
  ASSERT_TRUE(d.Decode(wire::SizeUpdate(1 << 20), fields));
  EXPECT_EQ(d.table().max_size(), kMaxObservedTableSize);
  // 64 entries of 2 KiB: more than we hold. The newest stay known, older ones read as unknown.
  std::string block;
  for (int i = 0; i < 64; ++i) {
    block +=
        wire::Field("k" + std::to_string(i), std::string(2000, 'v'), wire::Indexing::kIncremental);
  }
  ASSERT_TRUE(d.Decode(block, fields));
  EXPECT_LE(d.table().size(), kMaxObservedTableSize);
  EXPECT_FALSE(d.table().complete());
  EXPECT_EQ(Decode(d, wire::Indexed(62)), (Pairs{{"k63", std::string(2000, 'v')}}));
  ASSERT_TRUE(d.Decode(wire::Indexed(62 + 40), fields));
  ASSERT_EQ(fields.size(), 1u);
  EXPECT_TRUE(fields[0].unknown);
  // Above the setting is an error, even within our bound.
  HpackDecoder strict(false);
  EXPECT_FALSE(strict.Decode(wire::SizeUpdate(8192), fields));
  EXPECT_EQ(strict.error(), HpackError::kTableSizeAboveLimit);
}

TEST(Http2HpackDecoderTest, AnEntryLargerThanTheTableEmptiesIt) {
  HpackDecoder d(false);
  std::vector<HeaderField> fields;
  ASSERT_TRUE(d.Decode(wire::Field("a", "b", wire::Indexing::kIncremental), fields));
  ASSERT_TRUE(
      d.Decode(wire::Field("big", std::string(5000, 'x'), wire::Indexing::kIncremental), fields));
  EXPECT_EQ(d.table().entry_count(), 0u);
  EXPECT_TRUE(d.table().complete());
  EXPECT_FALSE(d.Decode(wire::Indexed(62), fields));  // nothing there any more
}

TEST(Http2HpackDecoderTest, HandsOutBoundedFieldsButDecodesThemAll) {
  HpackDecoder d(false);
  std::string block;
  for (size_t i = 0; i < kMaxFieldsPerBlock + 10; ++i) block += wire::Indexed(2);
  block += wire::Field("last", "x", wire::Indexing::kIncremental);
  std::vector<HeaderField> fields;
  ASSERT_TRUE(d.Decode(block, fields));
  EXPECT_EQ(fields.size(), kMaxFieldsPerBlock);
  EXPECT_TRUE(d.last_block_cut());
  EXPECT_EQ(TableOf(d), (Rows{{"last", "x", 37}}));  // the table saw the field it did not hand out
}

// ---- a connection learned mid-stream ----

TEST(Http2HpackDecoderTest, MidstreamReferencesToUnseenEntriesAreUnknownNeverInvented) {
  HpackDecoder d(true);
  std::vector<HeaderField> fields;
  // :method GET (static), then dynamic 62 (never seen), then a literal with a dynamic name.
  ASSERT_TRUE(d.Decode(wire::Indexed(2) + wire::Indexed(62) + wire::FieldNamed(63, "v"), fields));
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields[0].name, ":method");
  EXPECT_TRUE(fields[1].unknown);
  EXPECT_TRUE(fields[1].name.empty());
  EXPECT_TRUE(fields[2].unknown);
  EXPECT_EQ(d.counters().unknown_fields, 2u);
}

TEST(Http2HpackDecoderTest, MidstreamInsertionsKeepTheirIndexes) {
  HpackDecoder d(true);
  std::vector<HeaderField> fields;
  // The peer sends x-id literally again (indexed); it is entry 62 from then on, while 63 and
  // beyond are still the entries sent before we watched.
  ASSERT_TRUE(d.Decode(wire::Field("x-id", "1", wire::Indexing::kIncremental), fields));
  EXPECT_EQ(Decode(d, wire::Indexed(62)), (Pairs{{"x-id", "1"}}));
  ASSERT_TRUE(d.Decode(wire::Indexed(63), fields));
  EXPECT_TRUE(fields.at(0).unknown);
  // An insertion whose name was unknown keeps its place, and reads as unknown.
  ASSERT_TRUE(d.Decode(wire::FieldNamed(70, "value", wire::Indexing::kIncremental), fields));
  ASSERT_TRUE(d.Decode(wire::Indexed(62) + wire::Indexed(63), fields));
  EXPECT_TRUE(fields.at(0).unknown);
  EXPECT_EQ(fields.at(1).name, "x-id");
}

TEST(Http2HpackDecoderTest, MidstreamTableBecomesWholeAfterASizeUpdateToZero) {
  HpackDecoder d(true);
  std::vector<HeaderField> fields;
  ASSERT_TRUE(d.Decode(wire::SizeUpdate(0) + wire::SizeUpdate(4096) + wire::Indexed(2), fields));
  EXPECT_TRUE(d.table().complete());
  EXPECT_FALSE(d.Decode(wire::Indexed(62), fields));  // now an error: the table is known empty
}

TEST(Http2HpackDecoderTest, AnInvalidBlockOnAPartlyUnknownTableIsLostNotFatal) {
  // Mid-stream, an invalid block is most likely bytes mistaken for one after a resync.
  HpackDecoder d(true);
  std::vector<HeaderField> fields;
  ASSERT_TRUE(d.Decode(wire::Field("x-id", "1", wire::Indexing::kIncremental), fields));
  EXPECT_FALSE(d.Decode(FromHex("0081ff"), fields));  // bad Huffman padding
  EXPECT_FALSE(d.failed());
  EXPECT_EQ(d.error(), HpackError::kInvalidHuffman);
  EXPECT_EQ(d.counters().decode_errors, 1u);
  EXPECT_EQ(d.table().entry_count(), 0u);  // what it knew may have been overwritten: forgotten
  EXPECT_EQ(Decode(d, wire::Indexed(2)), (Pairs{{":method", "GET"}}));
}

TEST(Http2HpackDecoderTest, ALostBlockMakesKnownEntriesUnknown) {
  HpackDecoder d(false);
  std::vector<HeaderField> fields;
  ASSERT_TRUE(d.Decode(wire::Field("x-id", "1", wire::Indexing::kIncremental), fields));
  d.OnBlockLost();
  EXPECT_FALSE(d.table().complete());
  ASSERT_TRUE(d.Decode(wire::Indexed(62), fields));
  EXPECT_TRUE(fields.at(0).unknown);
  EXPECT_EQ(d.counters().lost_blocks, 1u);
}

}  // namespace
}  // namespace otelbpf::http2
