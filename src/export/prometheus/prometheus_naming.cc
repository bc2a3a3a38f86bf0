#include "export/prometheus/prometheus_naming.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <map>

namespace otelbpf::prometheus {
namespace {

using metrics::MetricKind;

struct UnitWord {
  std::string_view ucum;
  std::string_view word;
};

// UCUM units with a Prometheus spelling (abbreviations -> full words, base units preferred).
constexpr UnitWord kUnits[] = {
    {"d", "days"},          {"h", "hours"},         {"min", "minutes"},    {"s", "seconds"},
    {"ms", "milliseconds"}, {"us", "microseconds"}, {"ns", "nanoseconds"}, {"By", "bytes"},
    {"KiBy", "kibibytes"},  {"MiBy", "mebibytes"},  {"GiBy", "gibibytes"}, {"TiBy", "tibibytes"},
    {"KBy", "kilobytes"},   {"MBy", "megabytes"},   {"GBy", "gigabytes"},  {"TBy", "terabytes"},
    {"m", "meters"},        {"V", "volts"},         {"A", "amperes"},      {"J", "joules"},
    {"W", "watts"},         {"g", "grams"},         {"Cel", "celsius"},    {"Hz", "hertz"},
    {"%", "percent"},
};

// Time units after "/" read in the singular: "By/s" -> "bytes_per_second". Other units keep
// their plural word (as the Collector's translator does).
constexpr UnitWord kPerUnits[] = {
    {"s", "second"}, {"m", "minute"}, {"h", "hour"}, {"d", "day"},
    {"w", "week"},   {"mo", "month"}, {"y", "year"},
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Replaces characters `keep` rejects with '_' and collapses runs of '_'.
template <typename Keep>
std::string Sanitize(std::string_view in, Keep keep) {
  std::string out;
  out.reserve(in.size());
  for (char c : in) {
    const char mapped = keep(c) ? c : '_';
    if (mapped == '_' && !out.empty() && out.back() == '_') continue;
    out.push_back(mapped);
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// Removes UCUM annotations: "{request}/s" -> "/s".
std::string DropAnnotations(std::string_view unit) {
  std::string out;
  int depth = 0;
  for (char c : unit) {
    if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (depth > 0) --depth;
    } else if (depth == 0) {
      out.push_back(c);
    }
  }
  return out;
}

std::string UnitWordFor(std::string_view ucum, bool per) {
  ucum = Trim(ucum);
  if (ucum.empty()) return "";
  if (per) {
    for (const UnitWord& u : kPerUnits) {
      if (u.ucum == ucum) return std::string(u.word);
    }
  }
  for (const UnitWord& u : kUnits) {
    if (u.ucum == ucum) return std::string(u.word);
  }
  // Unknown unit: keep it, with the characters a metric name cannot hold dropped.
  std::string out;
  for (char c : ucum) {
    if (IsAlnum(c)) out.push_back(c);
  }
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// U+FFFD, what an invalid UTF-8 byte becomes.
constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not valid (overlong
// forms, surrogates and code points above U+10FFFF are invalid, per RFC 3629).
size_t ValidUtf8Length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t min;
  uint32_t cp;
  if ((c & 0xE0) == 0xC0) {
    n = 2, min = 0x80, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, min = 0x800, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, min = 0x10000, cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

// Appends `in` with invalid UTF-8 replaced, escaping via `escape(c)` (nullptr: as is).
template <typename Escape>
void AppendEscaped(std::string* out, std::string_view in, Escape escape) {
  out->reserve(out->size() + in.size());
  for (size_t i = 0; i < in.size();) {
    const size_t n = ValidUtf8Length(in, i);
    if (n == 0) {
      out->append(kReplacementChar);
      ++i;
      continue;
    }
    if (n == 1) {
      if (const char* e = escape(in[i])) {
        out->append(e);
      } else {
        out->push_back(in[i]);
      }
    } else {
      out->append(in.substr(i, n));
    }
    i += n;
  }
}

}  // namespace

std::string PrometheusUnit(std::string_view ucum_unit, MetricKind kind) {
  const std::string unit(Trim(ucum_unit));
  if (unit == "1") {
    return kind == MetricKind::kGauge || kind == MetricKind::kUpDownCounter ? "ratio" : "";
  }
  const std::string plain = DropAnnotations(unit);
  const size_t slash = plain.find('/');
  const std::string main = UnitWordFor(std::string_view(plain).substr(0, slash), false);
  if (slash == std::string::npos) return main;
  const std::string per = UnitWordFor(std::string_view(plain).substr(slash + 1), true);
  if (per.empty()) return main;
  return main.empty() ? "per_" + per : main + "_per_" + per;
}

std::string PrometheusMetricName(std::string_view name, std::string_view unit, MetricKind kind) {
  std::string out = Sanitize(name, [](char c) { return IsAlnum(c) || c == '_' || c == ':'; });
  if (out.empty() || IsDigit(out.front())) out.insert(0, "_");
  const bool counter = kind == MetricKind::kCounter;
  // The unit goes before the type suffix: "foo_total" in By -> "foo_bytes_total".
  if (counter && EndsWith(out, "_total")) out.resize(out.size() - 6);
  const std::string unit_word = PrometheusUnit(unit, kind);
  if (!unit_word.empty() && ("_" + out + "_").find("_" + unit_word + "_") == std::string::npos) {
    if (out.back() != '_') out.push_back('_');
    out.append(unit_word);
  }
  if (counter) out.append(out.back() == '_' ? "total" : "_total");
  return out;
}

std::string SanitizeLabelName(std::string_view key) {
  if (key.empty()) return "";
  std::string out = Sanitize(key, [](char c) { return IsAlnum(c) || c == '_'; });
  if (IsDigit(out.front())) out.insert(0, "key_");
  return out;
}

std::string AttributeValueToString(const AttributeValue& value) {
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  if (const auto* i = std::get_if<int64_t>(&value)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&value)) return FormatDouble(*d);
  return std::get<bool>(value) ? "true" : "false";
}

Labels AttributesToLabels(const Attributes& attributes) {
  Labels out;
  out.reserve(attributes.size());
  // Original keys per output label, only filled for names that collide (rare).
  std::map<size_t, std::vector<std::pair<std::string_view, std::string>>> collisions;
  for (const Attribute& a : attributes) {
    std::string name = SanitizeLabelName(a.key);
    if (name.empty()) continue;
    std::string value = AttributeValueToString(a.value);
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& l) { return l.first == name; });
    if (it == out.end()) {
      out.emplace_back(std::move(name), std::move(value));
      continue;
    }
    const size_t index = static_cast<size_t>(it - out.begin());
    auto& parts = collisions[index];
    if (parts.empty()) {
      // The first holder of this name: find its original key again.
      for (const Attribute& b : attributes) {
        if (SanitizeLabelName(b.key) == it->first) {
          parts.emplace_back(b.key, it->second);
          break;
        }
      }
    }
    parts.emplace_back(a.key, std::move(value));
  }
  for (auto& [index, parts] : collisions) {
    std::stable_sort(parts.begin(), parts.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    std::string joined;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (i > 0) joined.push_back(';');
      joined.append(parts[i].second);
    }
    out[index].second = std::move(joined);
  }
  return out;
}

std::string FormatDouble(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  return std::string(buf, end);
}

void AppendLabelValue(std::string* out, std::string_view value) {
  AppendEscaped(out, value, [](char c) -> const char* {
    switch (c) {
      case '\\':
        return "\\\\";
      case '"':
        return "\\\"";
      case '\n':
        return "\\n";
      default:
        return nullptr;
    }
  });
}

void AppendHelpText(std::string* out, std::string_view text) {
  AppendEscaped(out, text, [](char c) -> const char* {
    switch (c) {
      case '\\':
        return "\\\\";
      case '\n':
        return "\\n";
      default:
        return nullptr;
    }
  });
}

}  // namespace otelbpf::prometheus
