// An environment for configuration tests: variables from a map, everything else unset.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace otelbpf::test_env {

using EnvMap = std::map<std::string, std::string>;

// Same signature as otlp::EnvLookup and prometheus::EnvLookup. Copies the map, so the lookup
// may outlive the caller's variable.
inline std::function<std::optional<std::string>(std::string_view)> MapEnv(EnvMap env) {
  return [env = std::move(env)](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace otelbpf::test_env
