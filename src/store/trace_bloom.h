// Finding a trace's spans without an index on trace_id. Trace ids are random, so a B-tree index
// on them takes every insert to a random leaf: once the index outgrows the cache, each span
// dirtied a page of its own and the WAL wrote it (the largest cost of a write at 1 M spans).
// Instead the writer keeps one Bloom filter per block of kRowsPerBlock consecutive span rows
// (table trace_blooms); a lookup reads the filters (~10 KiB per block) and scans only the
// blocks that may hold the trace, by row id. False positives cost a block scan, never a
// wrong answer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trace/span.h"

namespace otelbpf::store {

inline constexpr int64_t kRowsPerBlock = 8192;
// ~10 bits per row and 7 probes: about 1 % false positives when every row is another trace.
inline constexpr size_t kBloomBits = 8192 * 10;
inline constexpr int kBloomProbes = 7;

inline int64_t BlockOfRow(int64_t row_id) { return row_id / kRowsPerBlock; }

class TraceBloom {
 public:
  TraceBloom() : bits_(kBloomBits / 8, '\0') {}
  // From a stored filter; a blob of the wrong size (another version) gives an all-ones
  // filter: every lookup scans the block, which is slow but right.
  explicit TraceBloom(std::string bytes);
  void Add(const TraceId& id);
  bool MayContain(const TraceId& id) const;
  const std::string& bytes() const { return bits_; }

 private:
  std::string bits_;
};

}  // namespace otelbpf::store
