#include "trace/traceparent.h"

#include <algorithm>
#include <string>

namespace otelbpf {
namespace {

// traceparent = version "-" trace-id "-" parent-id "-" trace-flags: 2+1+32+1+16+1+2.
constexpr size_t kVersion00Length = 55;
constexpr size_t kMaxTraceStateMembers = 32;
constexpr uint8_t kSampledFlag = 0x01;

int LowerHexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // uppercase is invalid too: the spec allows lowercase only
}

// Lowercase hex of exactly `out_size` bytes.
bool ParseHex(std::string_view hex, uint8_t* out, size_t out_size) {
  if (hex.size() != out_size * 2) return false;
  for (size_t i = 0; i < out_size; ++i) {
    const int hi = LowerHexDigit(hex[2 * i]), lo = LowerHexDigit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

bool AllZero(const uint8_t* bytes, size_t size) {
  return std::all_of(bytes, bytes + size, [](uint8_t b) { return b == 0; });
}

bool IsLcAlpha(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsKeyChar(char c) {
  return IsLcAlpha(c) || IsDigit(c) || c == '_' || c == '-' || c == '*' || c == '/';
}

// first-char, then up to max_rest key characters.
bool IsKeyPart(std::string_view s, bool digit_first_ok, size_t max_rest) {
  if (s.empty() || s.size() > 1 + max_rest) return false;
  if (!IsLcAlpha(s[0]) && !(digit_first_ok && IsDigit(s[0]))) return false;
  return std::all_of(s.begin() + 1, s.end(), IsKeyChar);
}

// key = simple-key / multi-tenant-key
//   simple-key = lcalpha 0*255(keychar); tenant-id = (lcalpha / DIGIT) 0*240(keychar);
//   system-id = lcalpha 0*13(keychar)
bool IsTraceStateKey(std::string_view key) {
  const size_t at = key.find('@');
  if (at == std::string_view::npos) return IsKeyPart(key, false, 255);
  return IsKeyPart(key.substr(0, at), true, 240) && IsKeyPart(key.substr(at + 1), false, 13);
}

// value = 0*255(chr) nblk-chr; chr = %x20 / nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
bool IsTraceStateValue(std::string_view value) {
  if (value.empty() || value.size() > 256 || value.back() == ' ') return false;
  return std::all_of(value.begin(), value.end(), [](char c) {
    return c >= 0x20 && c <= 0x7E && c != ',' && c != '=';
  });
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string> ParseTraceState(const std::vector<std::string_view>& values) {
  std::vector<std::string_view> keys;
  std::string joined;
  for (std::string_view value : values) {
    size_t from = 0;
    while (from <= value.size()) {
      size_t comma = value.find(',', from);
      if (comma == std::string_view::npos) comma = value.size();
      const std::string_view member = TrimOws(value.substr(from, comma - from));
      from = comma + 1;
      if (member.empty()) continue;  // empty list-members are allowed and do not count
      const size_t eq = member.find('=');
      if (eq == std::string_view::npos) return std::nullopt;
      const std::string_view key = member.substr(0, eq);
      if (!IsTraceStateKey(key) || !IsTraceStateValue(member.substr(eq + 1))) return std::nullopt;
      if (std::find(keys.begin(), keys.end(), key) != keys.end()) return std::nullopt;
      if (keys.size() == kMaxTraceStateMembers) return std::nullopt;
      keys.push_back(key);
      if (!joined.empty()) joined += ',';
      joined.append(member);
    }
  }
  return joined;
}

std::optional<TraceContext> ParseTraceContext(
    std::string_view traceparent, const std::vector<std::string_view>& tracestate_values) {
  const std::string_view s = TrimOws(traceparent);
  if (s.size() < kVersion00Length) return std::nullopt;
  uint8_t version = 0;
  if (!ParseHex(s.substr(0, 2), &version, 1) || version == 0xff) return std::nullopt;
  if (version == 0x00 && s.size() != kVersion00Length) return std::nullopt;
  // A future version may append fields, always after a '-'.
  if (s.size() > kVersion00Length && s[kVersion00Length] != '-') return std::nullopt;
  if (s[2] != '-' || s[35] != '-' || s[52] != '-') return std::nullopt;
  TraceContext context;
  uint8_t flags = 0;
  if (!ParseHex(s.substr(3, 32), context.trace_id.data(), context.trace_id.size()) ||
      !ParseHex(s.substr(36, 16), context.span_id.data(), context.span_id.size()) ||
      !ParseHex(s.substr(53, 2), &flags, 1))
    return std::nullopt;
  if (AllZero(context.trace_id.data(), context.trace_id.size()) ||
      AllZero(context.span_id.data(), context.span_id.size()))
    return std::nullopt;
  context.sampled = (flags & kSampledFlag) != 0;  // other bits are not ours to interpret
  context.trace_state = ParseTraceState(tracestate_values).value_or(std::string());
  return context;
}

}  // namespace otelbpf
