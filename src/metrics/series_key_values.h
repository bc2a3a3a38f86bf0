// Reading span attributes into the key of a metric series: every series holds its key for the
// life of the process, so strings are cut to a bound (a hostile Host header or database name
// must not make each of thousands of series hold kilobytes), and keys are hashed field by field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "trace/span.h"

namespace otelbpf::metrics {

inline constexpr size_t kMaxSeriesValueBytes = 256;

// `s` cut to kMaxSeriesValueBytes, never inside a multi-byte UTF-8 sequence.
inline std::string_view CappedSeriesValue(std::string_view s) {
  if (s.size() <= kMaxSeriesValueBytes) return s;
  size_t n = kMaxSeriesValueBytes;
  // Back off over continuation bytes (10xxxxxx) to the start of the cut character.
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

// The string of an attribute value, capped; empty when it is not a string.
inline std::string_view SeriesStringOf(const AttributeValue& v) {
  const auto* s = std::get_if<std::string>(&v);
  return s ? CappedSeriesValue(*s) : std::string_view();
}

// The integer of an attribute value; 0 when it is not an integer.
inline int64_t SeriesIntOf(const AttributeValue& v) {
  const auto* i = std::get_if<int64_t>(&v);
  return i ? *i : 0;
}

// Folds `h` into `seed`: boost::hash_combine's mixing step, cheap and good enough for the few
// thousand keys of a resource.
inline size_t HashCombine(size_t seed, size_t h) {
  return seed ^ (h + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}

}  // namespace otelbpf::metrics
