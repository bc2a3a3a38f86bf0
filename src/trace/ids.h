// Random W3C-valid trace and span ids (never all zero). Fast, non-cryptographic generator
// seeded from the kernel's CSPRNG: ids must be unique, not unpredictable.
#pragma once

#include "trace/span.h"

namespace otelbpf {

class IdGenerator {
 public:
  IdGenerator();
  TraceId NewTraceId();
  SpanId NewSpanId();

 private:
  uint64_t Next();
  uint64_t state_[2];
};

bool IsValid(const TraceId& id);
bool IsValid(const SpanId& id);
std::string ToHex(const uint8_t* bytes, size_t size);
template <size_t N>
std::string ToHex(const std::array<uint8_t, N>& id) {
  return ToHex(id.data(), N);
}

}  // namespace otelbpf
