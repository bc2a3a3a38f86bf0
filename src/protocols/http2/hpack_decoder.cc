#include "protocols/http2/hpack_decoder.h"

#include <algorithm>
#include <utility>

#include "protocols/http2/static_table.h"

namespace otelbpf::http2 {
namespace {

// The representations (RFC 7541 section 6), by their leading bits.
constexpr uint8_t kIndexedMask = 0x80;      // 1xxxxxxx: indexed field (6.1)
constexpr uint8_t kIncrementalMask = 0xc0;  // 01xxxxxx: literal, incremental indexing (6.2.1)
constexpr uint8_t kIncrementalBits = 0x40;
constexpr uint8_t kSizeUpdateMask = 0xe0;  // 001xxxxx: dynamic table size update (6.3)
constexpr uint8_t kSizeUpdateBits = 0x20;
// 0000xxxx (without indexing, 6.2.2) and 0001xxxx (never indexed, 6.2.3) decode alike.
constexpr int kIndexedPrefix = 7;
constexpr int kIncrementalPrefix = 6;
constexpr int kSizeUpdatePrefix = 5;
constexpr int kLiteralPrefix = 4;

}  // namespace

HpackDecoder::HpackDecoder(bool learned_midstream)
    : table_(!learned_midstream),
      size_limit_(learned_midstream ? static_cast<uint32_t>(kMaxHpackInteger) : kDefaultTableSize) {
}

void HpackDecoder::OnTableSizeSetting(uint32_t value) {
  size_limit_ = std::max(size_limit_, value);
}

void HpackDecoder::OnBlockLost() {
  ++counters_.lost_blocks;
  table_.ForgetContents();
}

bool HpackDecoder::Decode(std::string_view block, std::vector<HeaderField>& fields) {
  fields.clear();
  last_block_cut_ = false;
  if (failed()) {
    ++counters_.refused_blocks;
    return false;
  }
  emitted_bytes_ = 0;
  HpackInput in(block);
  const bool table_was_whole = table_.complete();
  bool fields_seen = false;
  while (!in.empty()) {
    if (HpackError e = DecodeField(in, fields_seen, fields); e != HpackError::kNone) {
      error_ = e;
      ++counters_.decode_errors;
      fields.clear();
      if (table_was_whole) {
        failed_ = true;
      } else {
        table_.ForgetContents();  // see the header: lost, not fatal
      }
      return false;
    }
  }
  return true;
}

HpackError HpackDecoder::DecodeField(HpackInput& in, bool& fields_seen,
                                     std::vector<HeaderField>& fields) {
  const uint8_t first = in.Peek();
  if ((first & kSizeUpdateMask) == kSizeUpdateBits) {
    // Section 4.2: only at the beginning of a block.
    if (fields_seen) return HpackError::kMisplacedTableSizeUpdate;
    uint32_t max_size = 0;
    if (HpackError e = in.ReadInteger(kSizeUpdatePrefix, max_size); e != HpackError::kNone) {
      return e;
    }
    if (max_size > size_limit_) return HpackError::kTableSizeAboveLimit;
    table_.SetMaxSize(max_size);
    return HpackError::kNone;
  }
  fields_seen = true;
  HeaderField field;
  if ((first & kIndexedMask) != 0) {
    uint32_t index = 0;
    if (HpackError e = in.ReadInteger(kIndexedPrefix, index); e != HpackError::kNone) return e;
    if (HpackError e = ResolveIndex(index, field, false); e != HpackError::kNone) return e;
    Emit(std::move(field), fields);
    return HpackError::kNone;
  }
  const bool incremental = (first & kIncrementalMask) == kIncrementalBits;
  if (HpackError e = ReadLiteral(in, incremental ? kIncrementalPrefix : kLiteralPrefix, field);
      e != HpackError::kNone) {
    return e;
  }
  if (incremental) {
    table_.Insert(
        DynamicEntry{field.unknown ? std::string() : field.name, field.value, field.unknown});
  }
  Emit(std::move(field), fields);
  return HpackError::kNone;
}

HpackError HpackDecoder::ReadLiteral(HpackInput& in, int prefix_bits, HeaderField& field) {
  uint32_t name_index = 0;
  if (HpackError e = in.ReadInteger(prefix_bits, name_index); e != HpackError::kNone) return e;
  if (name_index == 0) {
    if (HpackError e = in.ReadString(field.name); e != HpackError::kNone) return e;
  } else if (HpackError e = ResolveIndex(name_index, field, true); e != HpackError::kNone) {
    return e;
  }
  return in.ReadString(field.value);
}

HpackError HpackDecoder::ResolveIndex(uint32_t index, HeaderField& field, bool name_only) {
  if (index == 0) return HpackError::kInvalidIndex;
  if (index <= kStaticTableSize) {
    const StaticEntry& entry = StaticTableEntry(index);
    field.name.assign(entry.name);
    if (!name_only) field.value.assign(entry.value);
    return HpackError::kNone;
  }
  const DynamicEntry* entry = nullptr;
  switch (table_.Find(index - kStaticTableSize, &entry)) {
    case DynamicTable::Lookup::kKnown:
      field.unknown = entry->name_unknown;
      field.name = entry->name;
      if (!name_only) field.value = entry->value;
      break;
    case DynamicTable::Lookup::kUnknown:
      field.unknown = true;
      break;
    case DynamicTable::Lookup::kOutOfRange:
      return HpackError::kInvalidIndex;
  }
  if (field.unknown) ++counters_.unknown_fields;
  return HpackError::kNone;
}

void HpackDecoder::Emit(HeaderField field, std::vector<HeaderField>& fields) {
  const size_t bytes = field.name.size() + field.value.size();
  if (fields.size() >= kMaxFieldsPerBlock || emitted_bytes_ + bytes > kMaxFieldBytesPerBlock) {
    last_block_cut_ = true;
    return;
  }
  emitted_bytes_ += bytes;
  fields.push_back(std::move(field));
}

}  // namespace otelbpf::http2
