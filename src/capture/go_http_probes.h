// Attaches the Go net/http client uprobes (bpf/go_goroutines.bpf.h) to the executable of each Go
// program otelbpf meets, once per file: uprobes live on the file, so every process running it,
// later ones too, is covered by one attachment.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>

#include "capture/bpf_capture.h"

namespace otelbpf {

class GoHttpProbes {
 public:
  explicit GoHttpProbes(BpfCapture& bpf, std::string proc_root = "/proc")
      : bpf_(bpf), proc_root_(std::move(proc_root)) {}

  // `pid` runs a Go program (ProcessRegistry::RunsGoroutines): attach to its executable unless
  // done already. A file without the symbols (stripped, or no net/http client) is reported once;
  // its programs' outgoing calls then stay unlinked, never linked by guess.
  void AttachFor(uint32_t pid);

 private:
  BpfCapture& bpf_;
  std::string proc_root_;
  std::set<std::pair<uint64_t, uint64_t>> files_seen_;  // (st_dev, st_ino), attached or not
};

}  // namespace otelbpf
