#include "routes/path_template.h"

#include <array>
#include <cstdint>

namespace otelbpf::routes {
namespace {

constexpr size_t kMaxWordBytes = 64;
constexpr size_t kMinTokenBytes = 16;

// Byte classes, one table lookup per byte: this loop runs over every unmatched path.
enum : uint8_t { kDigit = 1, kLower = 2, kUpper = 4, kHex = 8, kWord = 16 };
constexpr std::array<uint8_t, 256> kClasses = [] {
  std::array<uint8_t, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = kDigit | kHex | kWord;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = kLower | kWord | (c <= 'f' ? kHex : 0);
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = kUpper | kWord | (c <= 'F' ? kHex : 0);
  // RFC 3986's other unreserved characters: what route words are made of.
  for (char c : {'-', '_', '.', '~'}) t[static_cast<uint8_t>(c)] = kWord;
  return t;
}();
uint8_t ClassOf(char c) { return kClasses[static_cast<uint8_t>(c)]; }
bool IsDigit(char c) { return ClassOf(c) & kDigit; }
bool IsHex(char c) { return ClassOf(c) & kHex; }

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !IsHex(s[i])) return false;
  }
  return true;
}

// v1, v2.1, V3.0.12: `v` then digits, dots between them.
bool IsVersion(std::string_view s) {
  if (s.size() < 2 || (s[0] != 'v' && s[0] != 'V') || !IsDigit(s[1])) return false;
  for (size_t i = 2; i < s.size(); ++i) {
    if (IsDigit(s[i])) continue;
    if (s[i] == '.' && IsDigit(s[i - 1]) && i + 1 < s.size() && IsDigit(s[i + 1])) continue;
    return false;
  }
  return true;
}

}  // namespace

bool LooksLikeId(std::string_view s) {
  if (s.empty()) return false;
  if (s.size() > kMaxWordBytes) return true;
  size_t digits = 0, letters = 0, flips = 0;
  bool all_hex = true;
  uint8_t previous_case = 0;  // kLower or kUpper of the last letter
  for (char c : s) {
    const uint8_t cls = ClassOf(c);
    if (!(cls & kWord)) return true;
    if (cls & kDigit) {
      ++digits;
    } else if (const uint8_t letter_case = cls & (kLower | kUpper)) {
      ++letters;
      if (previous_case != 0 && previous_case != letter_case) ++flips;
      previous_case = letter_case;
    }
    if (!(cls & kHex)) all_hex = false;
  }
  if (digits == s.size()) return true;
  if (IsUuid(s)) return true;
  if (all_hex && digits > 0 && s.size() >= kMinTokenBytes) return true;
  if (digits >= 3 && !IsVersion(s)) return true;
  if (digits == 0 && letters >= kMinTokenBytes && flips * 3 >= letters) return true;
  return false;
}

std::string HeuristicTemplate(std::string_view path, std::string_view placeholder) {
  if (path == "*") return std::string(path);  // OPTIONS *: the server itself, not a resource
  std::string out;
  out.reserve(path.size());
  size_t segments = 0;
  size_t start = 0;
  if (!path.empty() && path.front() == '/') {
    out.push_back('/');
    start = 1;
  }
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start, end - start);
    if (++segments > kMaxTemplateSegments) {
      out.append("**");
      break;
    }
    out.append(LooksLikeId(segment) ? placeholder : segment);
    if (end == path.size()) break;
    out.push_back('/');
    start = end + 1;
  }
  return out;
}

}  // namespace otelbpf::routes
