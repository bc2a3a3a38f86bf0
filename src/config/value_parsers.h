// Text forms shared by the config file and the environment: port lists ("80,8000-8999"),
// durations ("60s"), sample rates ("0.25", "25", "25%"). Each returns nullopt with `error`
// saying what is accepted.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/run_settings.h"

namespace otelbpf::config {

// "80", "80,443,8000-8999" (spaces allowed around items); every port within 1-65535.
std::optional<std::vector<PortRange>> ParsePortList(std::string_view text, std::string* error);

// A number and a unit: ms, s, m or h ("500ms", "60s", "1.5m"); at least 1 ms.
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text, std::string* error);

// A sample rate as users write it for eBPF agents: a ratio from 0 to 1 ("0.25"), or a
// percentage: a number above 1 up to 100 ("25"), or any number followed by '%' ("25%",
// "0.5%"). Returns the ratio.
std::optional<double> ParseSampleRate(std::string_view text, std::string* error);

// OTEL_TRACES_SAMPLER_ARG for the ratio samplers: a number from 0 to 1.
std::optional<double> ParseRatio(std::string_view text, std::string* error);

// "0.25" for 0.25: the shortest text that reads back as the same double.
std::string FormatRatio(double ratio);

// Case-insensitive ASCII comparison and lowering.
std::string Lower(std::string_view text);

// Levenshtein distance, for "did you mean" suggestions.
size_t EditDistance(std::string_view a, std::string_view b);

}  // namespace otelbpf::config
