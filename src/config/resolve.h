// From the flags (already parsed into RunSettings), the config file and the environment to
// the AgentOptions `otelbpf run` starts with. Precedence: file < environment < flag.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "config/config_file.h"
#include "config/run_settings.h"

namespace otelbpf::config {

// The process environment, or a map in tests.
struct Environment {
  std::function<std::optional<std::string>(std::string_view)> get;
  std::function<void(const std::string& name, const std::string& value)> set;
};
Environment ProcessEnvironment();

// 1. the file at settings->config_path, if any (keys whose flag was given are skipped);
// 2. OTEL_EBPF_SAMPLE_RATE (or the file's sample_rate) onto OTEL_TRACES_SAMPLER(_ARG), unless
//    OTEL_TRACES_SAMPLER is set;
// 3. the file's standard OpenTelemetry settings as defaults of their variables (a variable
//    already set, or a more general one that wins over it, is left alone);
// 4. the text settings (protocols, ports, output, ...) checked and turned into
//    settings->agent.
// Errors name their source (config FILE:LINE, the flag, the variable); the caller exits 2.
ConfigDiagnostics ResolveRunSettings(RunSettings* settings, const FlagGiven& given,
                                     const Environment& env);

// Steps 2-4, once the file is applied (ApplyConfigFile / ApplyConfigText).
void ResolveAfterFile(RunSettings* settings, const Environment& env,
                      ConfigDiagnostics* diagnostics);

// Step 4 alone: settings->agent from the text settings.
void FinalizeRunSettings(RunSettings* settings, ConfigDiagnostics* diagnostics);

}  // namespace otelbpf::config
