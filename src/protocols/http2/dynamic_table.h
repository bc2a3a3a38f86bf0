// The HPACK dynamic table of one direction of a connection (RFC 7541 sections 2.3.2 and 4), as
// far as an observer can know it.
//
// An observer that joined late (or missed a header block) does not know every entry the
// encoder holds. What it does know is the entries inserted since: they are the newest, so they
// sit at the front of the encoder's table, at indexes 1..N, whatever older entries follow them.
// The table keeps those and says whether older, unknown entries may exist behind them
// (`complete()`): an index past the known entries is then an unknown field, not an error.
// Evictions cannot put a known entry at a wrong index either: both sides evict from the old
// end, so at worst the observer still holds an entry the encoder dropped (which the encoder
// never references again) or has dropped one the encoder still references (which then reads
// as unknown).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace otelbpf::http2 {

// RFC 7541 section 4.1: an entry's size is its name and value octets plus 32.
inline constexpr size_t kEntryOverhead = 32;
// The initial SETTINGS_HEADER_TABLE_SIZE (RFC 9113 section 6.5.2).
inline constexpr uint32_t kDefaultTableSize = 4096;
// However large a table the peers agree on, an observer holds at most this many octets of it
// per direction: a peer must not be able to make the agent hold more. Entries the encoder keeps
// beyond it read as unknown.
inline constexpr uint32_t kMaxObservedTableSize = 64 * 1024;

struct DynamicEntry {
  std::string name;
  std::string value;
  // Inserted by a literal whose name was an index into entries we never saw: the name is not
  // known, and the entry's size is only estimated (as if the name were empty).
  bool name_unknown = false;

  size_t size() const { return name.size() + value.size() + kEntryOverhead; }
};

class DynamicTable {
 public:
  // `contents_known`: the table is seen from the connection's start (empty, 4096 octets).
  explicit DynamicTable(bool contents_known);

  enum class Lookup : uint8_t { kKnown, kUnknown, kOutOfRange };
  // Entry `index` (1 = newest). kKnown sets `*entry`; kUnknown: the index may name an entry we
  // never saw; kOutOfRange: no table the encoder can have holds that index.
  Lookup Find(size_t index, const DynamicEntry** entry) const;

  // Adds an entry, evicting the oldest ones to make room (section 4.4).
  void Insert(DynamicEntry entry);
  // A dynamic table size update (section 6.3): the encoder's new maximum size.
  void SetMaxSize(uint32_t max_size);
  // Insertions were missed (a header block was lost): the known entries are no longer at known
  // indexes, so they are dropped and the table is incomplete until the rules above make it whole.
  void ForgetContents();

  bool complete() const { return complete_; }
  size_t entry_count() const { return count_; }
  size_t size() const { return size_; }  // octets of the known entries
  uint32_t max_size() const { return max_size_; }

 private:
  DynamicEntry& Slot(size_t index);  // 1 = newest
  const DynamicEntry& Slot(size_t index) const;
  void EvictOldest();
  void EvictToFit(size_t incoming);
  // Once the known entries leave no room for one more entry, no unknown one can remain.
  void NoteCompleteIfFull();

  std::vector<DynamicEntry> ring_;  // a ring buffer of count_ entries starting at oldest_
  size_t oldest_ = 0;
  size_t count_ = 0;
  size_t size_ = 0;
  // What this table evicts at: the encoder's maximum when known, else kMaxObservedTableSize.
  uint32_t max_size_ = kDefaultTableSize;
  bool max_size_known_ = true;
  bool complete_ = true;
};

}  // namespace otelbpf::http2
