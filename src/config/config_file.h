// Loads a YAML config file against the key table (config_keys.h): every key found is parsed
// as its type and written into RunSettings, unless the key's flag was given (flags and their
// variables win over the file). Unknown keys and bad values are errors naming the key and the
// line; keys OBI has and otelbpf has not are warnings.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/run_settings.h"

namespace otelbpf::config {

struct ConfigDiagnostics {
  std::vector<std::string> errors;    // "config FILE:LINE: key 'a.b' ..."
  std::vector<std::string> warnings;
  bool ok() const { return errors.empty(); }
};

// True when the flag ("--capture-bytes") was given on the command line or through its
// environment variable.
using FlagGiven = std::function<bool(std::string_view flag)>;

// `file_name` only names the text in messages.
void ApplyConfigText(std::string_view text, const std::string& file_name, const FlagGiven& given,
                     RunSettings* settings, ConfigDiagnostics* diagnostics);

// Reads the file (an unreadable file is an error) and applies it as above.
void ApplyConfigFile(const std::string& path, const FlagGiven& given, RunSettings* settings,
                     ConfigDiagnostics* diagnostics);

}  // namespace otelbpf::config
