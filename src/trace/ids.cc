#include "trace/ids.h"

#include <sys/random.h>

#include <cstring>

namespace otelbpf {

IdGenerator::IdGenerator() {
  if (getrandom(state_, sizeof(state_), 0) != sizeof(state_) || (state_[0] | state_[1]) == 0) {
    state_[0] = 0x9E3779B97F4A7C15ull;
    state_[1] = 0xD1B54A32D192ED03ull ^ reinterpret_cast<uintptr_t>(this);
  }
}

// xorshift128+: two 64-bit words per call, period 2^128-1.
uint64_t IdGenerator::Next() {
  uint64_t s1 = state_[0];
  const uint64_t s0 = state_[1];
  state_[0] = s0;
  s1 ^= s1 << 23;
  state_[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
  return state_[1] + s0;
}

TraceId IdGenerator::NewTraceId() {
  TraceId id;
  do {
    const uint64_t a = Next(), b = Next();
    std::memcpy(id.data(), &a, 8);
    std::memcpy(id.data() + 8, &b, 8);
  } while (!IsValid(id));
  return id;
}

SpanId IdGenerator::NewSpanId() {
  SpanId id;
  do {
    const uint64_t a = Next();
    std::memcpy(id.data(), &a, 8);
  } while (!IsValid(id));
  return id;
}

template <size_t N>
static bool AnyNonZero(const std::array<uint8_t, N>& id) {
  for (uint8_t b : id)
    if (b) return true;
  return false;
}
bool IsValid(const TraceId& id) { return AnyNonZero(id); }
bool IsValid(const SpanId& id) { return AnyNonZero(id); }

std::string ToHex(const uint8_t* bytes, size_t size) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0xF];
  }
  return out;
}

}  // namespace otelbpf
