// The commands that read the embedded store: `otelbpf observe`, `stats`, `map`, `trace`,
// `events` and `metrics`.
// They need no privileges beyond reading the store file (root's by default) and never touch
// the kernel; they work while `otelbpf run` writes and after it stopped.
#pragma once

#include <optional>

#include <CLI/CLI.hpp>

namespace otelbpf::query {

class QueryCommands {
 public:
  // Registers the subcommands and their flags on `app`.
  explicit QueryCommands(CLI::App* app);
  // After parsing: the exit code when one of them was chosen (it ran), else nullopt.
  std::optional<int> RunIfChosen();

 private:
  int Observe();
  int Stats();
  int Map();
  int Trace();
  int Events();
  int Metrics();

  CLI::App* observe_ = nullptr;
  CLI::App* stats_ = nullptr;
  CLI::App* map_ = nullptr;
  CLI::App* trace_ = nullptr;
  CLI::App* events_ = nullptr;
  CLI::App* metrics_ = nullptr;
  std::vector<std::string> metric_names_;
  std::string metrics_window_ = "1h";  // its own: the other commands default to 5m
  std::vector<std::string> event_kinds_;
  std::string events_last_;
  std::string store_path_;
  std::string output_ = "compact";
  bool follow_ = false;
  bool dot_ = false;
  std::string trace_id_;
  std::string window_ = "5m";
  // Bound so CLI11 accepts them; their values are read in command-line order (parse_order).
  std::vector<std::string> values_[32];
  bool switches_[2] = {};
};

}  // namespace otelbpf::query
