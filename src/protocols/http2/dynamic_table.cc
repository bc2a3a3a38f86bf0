#include "protocols/http2/dynamic_table.h"

#include <algorithm>
#include <utility>

namespace otelbpf::http2 {
namespace {

// Every entry takes at least kEntryOverhead octets: the most a table of that size can hold.
constexpr size_t kMaxEntries = kMaxObservedTableSize / kEntryOverhead;
constexpr size_t kInitialRingSlots = 8;

}  // namespace

DynamicTable::DynamicTable(bool contents_known)
    : max_size_(contents_known ? kDefaultTableSize : kMaxObservedTableSize),
      max_size_known_(contents_known),
      complete_(contents_known) {}

DynamicEntry& DynamicTable::Slot(size_t index) {
  return ring_[(oldest_ + count_ - index) % ring_.size()];
}

const DynamicEntry& DynamicTable::Slot(size_t index) const {
  return ring_[(oldest_ + count_ - index) % ring_.size()];
}

DynamicTable::Lookup DynamicTable::Find(size_t index, const DynamicEntry** entry) const {
  if (index >= 1 && index <= count_) {
    *entry = &Slot(index);
    return Lookup::kKnown;
  }
  if (!complete_ && index >= 1 && index <= kMaxEntries) return Lookup::kUnknown;
  return Lookup::kOutOfRange;
}

void DynamicTable::EvictOldest() {
  DynamicEntry& oldest = ring_[oldest_];
  size_ -= std::min(size_, oldest.size());
  oldest = DynamicEntry{};  // frees its strings now
  oldest_ = (oldest_ + 1) % ring_.size();
  --count_;
  // Beyond our own bound the encoder may still hold what we drop.
  if (!max_size_known_) complete_ = false;
}

void DynamicTable::EvictToFit(size_t incoming) {
  while (count_ > 0 && size_ + incoming > max_size_) EvictOldest();
}

void DynamicTable::Insert(DynamicEntry entry) {
  const size_t entry_size = entry.size();
  if (entry_size > max_size_) {
    // Section 4.4: the table ends up empty. Only a known maximum makes that certain.
    while (count_ > 0) EvictOldest();
    if (max_size_known_) complete_ = true;
    return;
  }
  EvictToFit(entry_size);
  if (count_ == ring_.size()) {
    // Grow, unrolling the ring so the oldest entry is first again.
    std::vector<DynamicEntry> grown;
    grown.reserve(std::min(kMaxEntries, std::max(kInitialRingSlots, 2 * ring_.size())));
    for (size_t i = count_; i >= 1; --i) grown.push_back(std::move(Slot(i)));
    grown.resize(grown.capacity());
    ring_ = std::move(grown);
    oldest_ = 0;
  }
  size_ += entry_size;
  ++count_;
  Slot(1) = std::move(entry);
  NoteCompleteIfFull();
}

void DynamicTable::SetMaxSize(uint32_t max_size) {
  max_size_known_ = max_size <= kMaxObservedTableSize;
  max_size_ = std::min(max_size, kMaxObservedTableSize);
  EvictToFit(0);
  NoteCompleteIfFull();
}

void DynamicTable::ForgetContents() {
  while (count_ > 0) EvictOldest();
  complete_ = false;
  NoteCompleteIfFull();
}

void DynamicTable::NoteCompleteIfFull() {
  if (!complete_ && max_size_known_ && size_ + kEntryOverhead > max_size_) complete_ = true;
}

}  // namespace otelbpf::http2
