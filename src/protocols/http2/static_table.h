// The HPACK static table (RFC 7541 Appendix A): the 61 header fields every decoder knows.
#pragma once

#include <cstddef>
#include <string_view>

namespace otelbpf::http2 {

inline constexpr size_t kStaticTableSize = 61;

struct StaticEntry {
  std::string_view name;
  std::string_view value;
};

// Entry `index`, 1 to kStaticTableSize.
const StaticEntry& StaticTableEntry(size_t index);

}  // namespace otelbpf::http2
