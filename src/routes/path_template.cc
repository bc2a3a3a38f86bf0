#include "routes/path_template.h"

#include <cstdint>

namespace otelbpf::routes {
namespace {

constexpr size_t kMaxWordBytes = 64;
constexpr size_t kMinTokenBytes = 16;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
// RFC 3986's unreserved characters: what route words are made of.
bool IsWordByte(char c) {
  return IsDigit(c) || IsLower(c) || IsUpper(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

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
  char previous_letter = 0;
  for (char c : s) {
    if (!IsWordByte(c)) return true;
    if (IsDigit(c)) {
      ++digits;
    } else if (IsLower(c) || IsUpper(c)) {
      ++letters;
      if (previous_letter != 0 && IsUpper(previous_letter) != IsUpper(c)) ++flips;
      previous_letter = c;
    }
    if (!IsHex(c)) all_hex = false;
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
