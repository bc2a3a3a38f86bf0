// The HPACK decoder of one direction of a connection (RFC 7541): header blocks in, header
// fields out, with the dynamic table kept in step with the encoder's.
//
// For a connection learned mid-stream (or after a lost header block) the table's older entries
// are unknown (dynamic_table.h): a field that references one comes out marked `unknown`, never
// invented, and is counted. Insertions still happen, so the entries we do learn keep their
// right indexes and names come back as soon as the peer sends them literally again.
//
// An invalid block (any HpackError) on a table we knew whole leaves it in a state nobody can
// know, so the decoder fails for good: every later block is refused, and the caller stops
// producing anything from this direction's header blocks instead of guessing. On a table that
// was already partly unknown (mid-stream, after lost bytes) an invalid block is far more likely
// bytes we took for a block after finding frame boundaries again than a broken peer: it is
// counted and treated as lost (every known entry forgotten), so one false resynchronisation
// does not silence a long-lived connection for good.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/http2/dynamic_table.h"
#include "protocols/http2/hpack_input.h"

namespace otelbpf::http2 {

struct HeaderField {
  std::string name;
  std::string value;
  // It referenced a dynamic table entry we never saw: its name is not known (name empty).
  bool unknown = false;
};

// Bounds on what one block hands out; decoding (and the table) still covers the whole block.
inline constexpr size_t kMaxFieldsPerBlock = 256;
inline constexpr size_t kMaxFieldBytesPerBlock = 64 * 1024;  // names + values handed out

struct HpackCounters {
  uint64_t decode_errors = 0;   // invalid blocks
  uint64_t refused_blocks = 0;  // blocks not decoded because the decoder had failed
  uint64_t unknown_fields = 0;  // fields that referenced entries we never saw
  uint64_t lost_blocks = 0;     // blocks we could not see whole (their insertions are unknown)
};

class HpackDecoder {
 public:
  // `learned_midstream`: the connection was open before we watched; its table is unknown.
  explicit HpackDecoder(bool learned_midstream);

  // SETTINGS_HEADER_TABLE_SIZE announced by the side that decodes this direction: the largest
  // table size update the encoder may send. The largest value announced counts, since a lower
  // one binds the encoder only once acknowledged.
  void OnTableSizeSetting(uint32_t value);

  // Decodes one whole header block into `fields` (replaced). False when the block is invalid or
  // the decoder has failed; `fields` is then empty.
  bool Decode(std::string_view block, std::vector<HeaderField>& fields);
  // A header block that was not seen whole (capture gap, oversized): its insertions are
  // unknown, so every known entry loses its place.
  void OnBlockLost();

  // Failed for good (see above).
  bool failed() const { return failed_; }
  // The last invalid block's error (kNone while every block was valid).
  HpackError error() const { return error_; }
  // The last decoded block had more fields than the bounds above: some were not handed out.
  bool last_block_cut() const { return last_block_cut_; }
  const DynamicTable& table() const { return table_; }
  const HpackCounters& counters() const { return counters_; }

 private:
  HpackError DecodeField(HpackInput& in, bool& fields_seen, std::vector<HeaderField>& fields);
  HpackError ReadLiteral(HpackInput& in, int prefix_bits, HeaderField& field);
  HpackError ResolveIndex(uint32_t index, HeaderField& field, bool name_only);
  void Emit(HeaderField field, std::vector<HeaderField>& fields);

  DynamicTable table_;
  uint32_t size_limit_;  // from SETTINGS_HEADER_TABLE_SIZE (unknown mid-stream: no limit)
  HpackError error_ = HpackError::kNone;
  bool failed_ = false;
  HpackCounters counters_;
  size_t emitted_bytes_ = 0;  // in the current block
  bool last_block_cut_ = false;
};

}  // namespace otelbpf::http2
