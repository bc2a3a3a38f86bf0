#include "config/value_parsers.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "trace/text.h"

namespace otelbpf::config {
namespace {

std::optional<uint32_t> ParsePort(std::string_view text) {
  uint32_t v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end || v == 0 || v > 65535) return std::nullopt;
  return v;
}

// A finite number, the whole text (from_chars: no locale, no leading '+').
std::optional<double> ParseNumber(std::string_view text) {
  text = TrimWhitespace(text);
  if (text.empty()) return std::nullopt;
  double v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<std::vector<PortRange>> ParsePortList(std::string_view text, std::string* error) {
  std::vector<PortRange> ranges;
  std::string_view rest = text;
  while (true) {
    size_t comma = rest.find(',');
    std::string_view item = TrimWhitespace(rest.substr(0, comma));
    size_t dash = item.find('-');
    auto first = ParsePort(TrimWhitespace(item.substr(0, dash)));
    auto last = dash == std::string_view::npos ? first
                                               : ParsePort(TrimWhitespace(item.substr(dash + 1)));
    if (!first || !last || *last < *first) {
      *error = "'" + std::string(item) + "' is not a port (1-65535) or a range like 8000-8999";
      return std::nullopt;
    }
    ranges.push_back({static_cast<uint16_t>(*first), static_cast<uint16_t>(*last)});
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return ranges;
}

std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text, std::string* error) {
  std::string_view t = TrimWhitespace(text);
  size_t unit_at = t.size();
  while (unit_at > 0 && std::isalpha(static_cast<unsigned char>(t[unit_at - 1]))) --unit_at;
  std::string unit = Lower(t.substr(unit_at));
  double scale = unit == "ms" ? 1 : unit == "s" ? 1e3 : unit == "m" ? 60e3 : unit == "h" ? 3600e3 : 0;
  auto number = ParseNumber(t.substr(0, unit_at));
  if (scale == 0 || !number || *number * scale < 1 || *number * scale > 0x7fffffff) {
    *error = "'" + std::string(t) + "' is not a duration like 500ms, 60s, 5m or 1h (at least 1ms)";
    return std::nullopt;
  }
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(*number * scale)));
}

std::optional<double> ParseSampleRate(std::string_view text, std::string* error) {
  std::string_view t = TrimWhitespace(text);
  bool percent = !t.empty() && t.back() == '%';
  if (percent) t.remove_suffix(1);
  auto number = ParseNumber(t);
  if (number && !percent && *number > 1) percent = true;  // "25" as users write it
  if (number && percent) *number /= 100;
  if (!number || *number < 0 || *number > 1) {
    *error = "'" + std::string(TrimWhitespace(text)) +
             "' is not a sample rate: a ratio from 0 to 1 (0.25) or a percentage up to 100 "
             "(25 or 25%)";
    return std::nullopt;
  }
  return number;
}

std::optional<double> ParseRatio(std::string_view text, std::string* error) {
  auto number = ParseNumber(text);
  if (!number || *number < 0 || *number > 1) {
    *error = "'" + std::string(TrimWhitespace(text)) + "' is not a ratio from 0 to 1";
    return std::nullopt;
  }
  return number;
}

std::string FormatRatio(double ratio) {
  char buffer[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, ratio);
    if (std::strtod(buffer, nullptr) == ratio) break;
  }
  return buffer;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace otelbpf::config
