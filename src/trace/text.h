// Small text helpers shared across layers (trace/ is the lowest one): parsing environment
// variables, config values and tokens all trims the same way.
#pragma once

#include <cctype>
#include <string_view>

namespace otelbpf {

// `s` without leading and trailing whitespace (space, tab, CR, LF, VT, FF).
inline std::string_view TrimWhitespace(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace otelbpf
