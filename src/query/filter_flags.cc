#include "query/filter_flags.h"

#include <time.h>

#include <cmath>
#include <cstdlib>

namespace otelbpf::query {
namespace {

using Field = store::SpanCondition::Field;

struct ConditionFlag {
  const char* name;
  Field field;
};

// Flags that become a condition on spans (the rest are times, durations and limits).
constexpr ConditionFlag kConditionFlags[] = {
    {"pid", Field::kPid},
    {"exe", Field::kExecutable},
    {"service", Field::kService},
    {"from", Field::kFrom},
    {"to", Field::kTo},
    {"protocol", Field::kProtocol},
    {"http-method", Field::kHttpMethod},
    {"http-status", Field::kHttpStatus},
    {"http-path", Field::kHttpPath},
    {"trace", Field::kTraceId},
    {"errors", Field::kStatusError},
    {"kind", Field::kKind},
};

std::optional<double> Number(const std::string& text, size_t* unit_start) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !std::isfinite(v) || v < 0) return std::nullopt;
  *unit_start = static_cast<size_t>(end - text.c_str());
  return v;
}

std::optional<uint64_t> Scaled(const std::string& text,
                               std::initializer_list<std::pair<const char*, double>> units) {
  size_t unit_start = 0;
  const auto v = Number(text, &unit_start);
  if (!v) return std::nullopt;
  const std::string unit = text.substr(unit_start);
  for (const auto& [name, scale] : units)
    if (unit == name) return static_cast<uint64_t>(*v * scale);
  return std::nullopt;
}

std::optional<uint64_t> ParseRfc3339(const std::string& text) {
  struct tm tm = {};
  const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) return std::nullopt;
  double fraction = 0;
  if (*rest == '.') {
    char* end = nullptr;
    fraction = std::strtod(rest, &end);
    rest = end;
  }
  if (std::string(rest) != "Z") return std::nullopt;  // UTC only: no guessing of zones
  const time_t secs = timegm(&tm);
  if (secs < 0) return std::nullopt;
  return static_cast<uint64_t>(secs) * 1000000000ull + static_cast<uint64_t>(fraction * 1e9);
}

bool IsSwitch(const std::string& name) { return name == "not" || name == "errors"; }

}  // namespace

std::optional<uint64_t> ParseDurationNs(const std::string& text) {
  return Scaled(text, {{"ns", 1.0}, {"us", 1e3}, {"µs", 1e3}, {"ms", 1e6}, {"s", 1e9},
                       {"m", 60e9}, {"h", 3600e9}, {"d", 86400e9}});
}

std::optional<uint64_t> ParseTimePoint(const std::string& text, uint64_t now_ns) {
  if (auto ago = ParseDurationNs(text)) return *ago < now_ns ? now_ns - *ago : 0;
  return ParseRfc3339(text);
}

std::optional<std::string> ParseStatusRange(const std::string& text) {
  auto code = [](const std::string& s) -> std::optional<int> {
    if (s.empty() || s.size() > 3 || s.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    const int v = std::stoi(s);
    return v >= 100 && v <= 599 ? std::optional<int>(v) : std::nullopt;
  };
  if (text.size() == 2 && text[1] == '+' && text[0] >= '1' && text[0] <= '5') {
    const int hundred = (text[0] - '0') * 100;
    return std::to_string(hundred) + "-" + std::to_string(hundred + 99);
  }
  const size_t dash = text.find('-');
  if (dash == std::string::npos) {
    const auto v = code(text);
    if (!v) return std::nullopt;
    return std::to_string(*v) + "-" + std::to_string(*v);
  }
  const auto lo = code(text.substr(0, dash)), hi = code(text.substr(dash + 1));
  if (!lo || !hi || *lo > *hi) return std::nullopt;
  return std::to_string(*lo) + "-" + std::to_string(*hi);
}

const std::vector<std::string>& FilterFlagNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out = {"since", "until", "last", "min-duration", "not"};
    for (const auto& f : kConditionFlags) out.push_back(f.name);
    return out;
  }();
  return names;
}

std::optional<store::SpanFilter> BuildFilter(const std::vector<FilterFlag>& flags,
                                             uint64_t now_ns, std::string* error) {
  store::SpanFilter filter;
  bool negate_next = false;
  auto fail = [&](const FilterFlag& f, const std::string& accepted) {
    *error = "--" + f.name + " " + f.value + ": " + accepted;
    return std::nullopt;
  };
  for (const FilterFlag& f : flags) {
    if (f.name == "not") {
      negate_next = true;
      continue;
    }
    const bool negated = std::exchange(negate_next, false);
    if (f.name == "since" || f.name == "until") {
      const auto t = ParseTimePoint(f.value, now_ns);
      if (!t) return fail(f, "a time ago (30s, 5m, 2h, 1d) or an RFC 3339 UTC time "
                             "(2026-12-04T05:00:00Z)");
      (f.name == "since" ? filter.since_ns : filter.until_ns) = *t;
    } else if (f.name == "last") {
      char* end = nullptr;
      const long long n = std::strtoll(f.value.c_str(), &end, 10);
      if (f.value.empty() || *end || n <= 0) return fail(f, "a positive number of spans");
      filter.last = static_cast<size_t>(n);
    } else if (f.name == "min-duration") {
      const auto d = ParseDurationNs(f.value);
      if (!d) return fail(f, "a duration: 250us, 100ms, 2s, 1m");
      filter.min_duration_ns = *d;
    } else {
      const ConditionFlag* match = nullptr;
      for (const auto& c : kConditionFlags)
        if (f.name == c.name) match = &c;
      if (!match) {
        *error = "unknown filter --" + f.name;
        return std::nullopt;
      }
      std::string value = f.value;
      if (match->field == Field::kHttpStatus) {
        const auto range = ParseStatusRange(f.value);
        if (!range) return fail(f, "a status code (404), a class (5+) or a range (500-599)");
        value = *range;
      } else if (match->field == Field::kPid &&
                 (value.empty() || value.size() > 10 ||
                  value.find_first_not_of("0123456789") != std::string::npos)) {
        return fail(f, "a process id");
      } else if (match->field == Field::kTraceId && !store::ParseTraceId(value)) {
        return fail(f, "a trace id: 32 hex digits");
      } else if (match->field == Field::kKind && value != "server" && value != "client") {
        return fail(f, "server or client");
      } else if (match->field == Field::kHttpMethod) {
        for (char& c : value) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
      // Repeats of one flag (not negated alike) are alternatives of one condition.
      auto same = std::find_if(filter.conditions.begin(), filter.conditions.end(),
                               [&](const store::SpanCondition& c) {
                                 return c.field == match->field && c.negated == negated &&
                                        !IsSwitch(f.name);
                               });
      if (same != filter.conditions.end() && !negated) {
        same->values.push_back(value);
      } else {
        store::SpanCondition c{match->field, {}, negated};
        if (!IsSwitch(f.name)) c.values.push_back(value);
        filter.conditions.push_back(std::move(c));
      }
    }
  }
  if (negate_next) {
    *error = "--not must be followed by the filter it negates (e.g. --not --protocol dns)";
    return std::nullopt;
  }
  return filter;
}

}  // namespace otelbpf::query
