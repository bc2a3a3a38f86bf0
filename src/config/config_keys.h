// The one table of configuration keys: each YAML path with its type, default, the flag and
// environment variable that override it, a one-line doc, and how its value is applied. The
// loader (config_file.h), the reference page (`otelbpf config reference`,
// docs/config-reference.md) and the tests all read this table, so a key exists in all of them
// or in none.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "config/run_settings.h"

namespace otelbpf::config {

enum class ValueType : uint8_t {
  kBool,        // true / false
  kInt,         // an integer within [min, max]
  kString,      // any scalar
  kEnum,        // one of `accepted` ("a|b|c"), case-insensitive; stored as the accepted spelling
  kStringList,  // a sequence of scalars, or one scalar ("a,b" is kept as one string)
  kStringMap,   // a map of scalars to scalars
  kPorts,       // "80,443,8000-8999", one port number, or a sequence of either
  kDuration,    // "500ms", "60s", "5m", "1h"
  kRatio,       // 0.25, or a percentage: 25, "25%"
};

// How a key's value reaches the agent.
enum class Effect : uint8_t {
  kApplied,     // sets an agent option (unless its flag or variable is given)
  kEnvDefault,  // the default of a standard OpenTelemetry variable (the variable wins)
  kStored,      // parsed, validated and kept; the feature that applies it is not wired yet
};

struct ConfigValue {
  std::variant<bool, int64_t, std::string, std::vector<std::string>,
               std::vector<std::pair<std::string, std::string>>, std::vector<PortRange>,
               std::chrono::milliseconds, double>
      v;
  bool Bool() const { return std::get<bool>(v); }
  int64_t Int() const { return std::get<int64_t>(v); }
  const std::string& String() const { return std::get<std::string>(v); }
  const std::vector<std::string>& List() const { return std::get<std::vector<std::string>>(v); }
  const std::vector<std::pair<std::string, std::string>>& Map() const {
    return std::get<std::vector<std::pair<std::string, std::string>>>(v);
  }
  const std::vector<PortRange>& Ports() const { return std::get<std::vector<PortRange>>(v); }
  std::chrono::milliseconds Duration() const { return std::get<std::chrono::milliseconds>(v); }
  double Ratio() const { return std::get<double>(v); }
};

// Where a value sits: the index of its `[]` sequence entry, the name matched by a `*` segment,
// and "config FILE:LINE: key 'a.b[0].c'" for messages.
struct KeyPlace {
  size_t index = 0;
  std::string name;
  std::string origin;
  int line = 0;
};

// Writes the value into the settings; returns an error message (without the origin) or "".
// Warnings (a value taken with a different meaning, a key stored but not applied) go to
// `warnings`, already prefixed with the origin.
using ApplyFn = std::string (*)(const ConfigValue& value, const KeyPlace& place,
                                RunSettings* settings, std::vector<std::string>* warnings);

struct ConfigKey {
  std::string_view path;  // "ebpf.capture_bytes", "discovery.instrument[].open_ports",
                          // "attributes.select.*.include"
  ValueType type;
  std::string_view default_text;  // as the reference page shows it
  std::string_view flag;          // "--capture-bytes", or empty
  std::string_view env;           // the variable that overrides it, or empty
  std::string_view doc;
  Effect effect;
  ApplyFn apply;
  std::string_view accepted = {};  // kEnum: "a|b|c"
  int64_t min = 0;                 // kInt
  int64_t max = 0;
  bool obi = false;  // OBI has this key with the same meaning
};

const std::vector<ConfigKey>& ConfigKeys();

// Keys OBI (OpenTelemetry eBPF Instrumentation, formerly Grafana Beyla) reads that otelbpf
// has no equivalent for, in the same path form. A file that sets one loads with a warning
// naming it; a whole section (e.g. "network") covers everything under it.
const std::vector<std::string_view>& ObiKeysWithoutEquivalent();

}  // namespace otelbpf::config
