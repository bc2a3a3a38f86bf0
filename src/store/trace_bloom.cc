#include "store/trace_bloom.h"

#include <cstring>

namespace otelbpf::store {
namespace {

// Trace ids are random (W3C: at least the right half), so their halves serve as two
// independent hashes for double hashing: probe i at h1 + i * h2.
void Hashes(const TraceId& id, uint64_t* h1, uint64_t* h2) {
  std::memcpy(h1, id.data(), 8);
  std::memcpy(h2, id.data() + 8, 8);
  *h1 ^= *h2 >> 17;  // mixes in the random half even when the left half is not random
  *h2 |= 1;          // odd: the probes never repeat
}

}  // namespace

TraceBloom::TraceBloom(std::string bytes) : bits_(std::move(bytes)) {
  if (bits_.size() != kBloomBits / 8) bits_.assign(kBloomBits / 8, '\xff');
}

void TraceBloom::Add(const TraceId& id) {
  uint64_t h1, h2;
  Hashes(id, &h1, &h2);
  for (int i = 0; i < kBloomProbes; ++i) {
    const uint64_t bit = (h1 + static_cast<uint64_t>(i) * h2) % kBloomBits;
    bits_[bit / 8] = static_cast<char>(static_cast<unsigned char>(bits_[bit / 8]) | (1u << (bit % 8)));
  }
}

bool TraceBloom::MayContain(const TraceId& id) const {
  uint64_t h1, h2;
  Hashes(id, &h1, &h2);
  for (int i = 0; i < kBloomProbes; ++i) {
    const uint64_t bit = (h1 + static_cast<uint64_t>(i) * h2) % kBloomBits;
    if (!(static_cast<unsigned char>(bits_[bit / 8]) & (1u << (bit % 8)))) return false;
  }
  return true;
}

}  // namespace otelbpf::store
