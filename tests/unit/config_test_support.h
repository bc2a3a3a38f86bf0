// Shared by the config_*_test.cc files: the source tree (for fixtures and the committed
// reference page), an environment backed by a map, and loading YAML text the way `run` does.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "config/config_file.h"
#include "config/resolve.h"

namespace otelbpf::config::test {

// The checkout: from __FILE__ when the compiler saw an absolute path, else from the build
// tree's CMakeCache.txt found above the test binary (ccache's base_dir makes __FILE__
// relative).
inline std::filesystem::path SourceDir() {
  std::filesystem::path here(__FILE__);
  if (here.is_absolute()) return here.parent_path().parent_path().parent_path();
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path();
  for (; !dir.empty() && dir != dir.root_path(); dir = dir.parent_path()) {
    std::ifstream cache(dir / "CMakeCache.txt");
    std::string line;
    const std::string key = "CMAKE_HOME_DIRECTORY:INTERNAL=";
    while (std::getline(cache, line)) {
      if (line.rfind(key, 0) == 0) return line.substr(key.size());
    }
  }
  return {};
}

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::string Fixture(const std::string& name) {
  return (SourceDir() / "tests/unit/fixtures/config" / name).string();
}

// An environment in a map; `set` writes into it, as setenv would.
struct MapEnvironment {
  std::map<std::string, std::string> vars;
  Environment env() {
    return {[this](std::string_view name) -> std::optional<std::string> {
              auto it = vars.find(std::string(name));
              if (it == vars.end()) return std::nullopt;
              return it->second;
            },
            [this](const std::string& name, const std::string& value) { vars[name] = value; }};
  }
};

struct Loaded {
  RunSettings settings;
  ConfigDiagnostics diagnostics;
};

// The YAML text as the file "test.yaml", then the environment and the final checks, with no
// flag given unless `given` says so.
inline Loaded Load(const std::string& yaml, MapEnvironment* environment = nullptr,
                   const FlagGiven& given = nullptr) {
  MapEnvironment local;
  if (environment == nullptr) environment = &local;
  Loaded out;
  out.settings.config_path = "test.yaml";
  ApplyConfigText(yaml, "test.yaml", given, &out.settings, &out.diagnostics);
  if (out.diagnostics.ok()) ResolveAfterFile(&out.settings, environment->env(), &out.diagnostics);
  return out;
}

inline std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += line + "\n";
  return out;
}

}  // namespace otelbpf::config::test
