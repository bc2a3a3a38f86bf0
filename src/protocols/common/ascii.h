// ASCII case folding for protocol text (header names, SQL keywords, Redis commands). Locale-free
// on purpose: wire protocols define their keywords in ASCII, and std::tolower would consult the
// process locale and treat bytes >= 0x80 as it pleases.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace otelbpf::ascii {

constexpr char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
constexpr char Upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

inline std::string ToUpper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = Upper(c);
  return out;
}

// Equal when both are folded to one case.
constexpr bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (Lower(a[i]) != Lower(b[i])) return false;
  return true;
}

// `text` folded to lower case contains `lower_needle` (given in lower case).
constexpr bool ContainsIgnoreCase(std::string_view text, std::string_view lower_needle) {
  if (lower_needle.size() > text.size()) return false;
  for (size_t i = 0; i + lower_needle.size() <= text.size(); ++i) {
    size_t k = 0;
    while (k < lower_needle.size() && Lower(text[i + k]) == lower_needle[k]) ++k;
    if (k == lower_needle.size()) return true;
  }
  return false;
}

}  // namespace otelbpf::ascii
