// The flags of `otelbpf run`, bound to RunSettings. They sit next to the key table
// (config_keys.cc) because each key names the flag that overrides it; a unit test checks that
// every flag a key names exists here, with the same environment variable.
#pragma once

#include <CLI/CLI.hpp>

#include "config/config_file.h"
#include "config/run_settings.h"

namespace otelbpf::config {

// Adds every `run` flag (and --config / OTEL_EBPF_CONFIG_PATH) to `run`, bound to `settings`,
// which must outlive the parse.
void AddRunFlags(CLI::App* run, RunSettings* settings);

// True for a flag of `run` given on the command line or through its variable (CLI11 counts
// both).
FlagGiven FlagGivenIn(const CLI::App* run);

}  // namespace otelbpf::config
