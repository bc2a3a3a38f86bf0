// Attaches the uprobes of Go programs to the executable of each Go program otelbpf meets, once
// per file (uprobes live on the file, so every process running it, later ones too, is covered
// by one attachment): the net/http client probes that follow a call from goroutine to goroutine
// (bpf/go_goroutines.bpf.h), the crypto/tls probes that read TLS plaintext (bpf/tls_go.bpf.h),
// and, once a program shows it needs them, the goroutine-creation probes.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>

#include "capture/bpf_capture.h"

namespace otelbpf {

class GoProbes {
 public:
  // `tls`: attach the crypto/tls probes too (--tls).
  GoProbes(BpfCapture& bpf, bool tls, std::string proc_root = "/proc")
      : bpf_(bpf), tls_(tls), proc_root_(std::move(proc_root)) {}

  // `pid` runs a Go program (ProcessRegistry::RunsGoroutines): attach to its executable unless
  // done already. What a file lacks (stripped: no symbols; no net/http client; no crypto/tls) is
  // reported once; its programs' outgoing calls then stay unlinked and their TLS unread, never
  // guessed.
  void AttachFor(uint32_t pid);
  // Whether the TLS plaintext of `pid` is read by the crypto/tls probes (its executable has
  // them attached).
  bool ReadsTlsOf(uint32_t pid) const;
  // `pid` (a Go program) made a call from a goroutine that serves no request: attach the
  // goroutine-creation probes (runtime.newproc1) to its executable unless done already. Only
  // then: each goroutine start costs two uprobe hits (about 10 µs each on a VM), and net/http
  // starts one per request, so programs whose handlers call directly never pay it.
  void AttachLineageFor(uint32_t pid);

 private:
  using FileId = std::pair<uint64_t, uint64_t>;  // (st_dev, st_ino)
  bool IdentifyExecutable(uint32_t pid, FileId* id) const;
  // /proc/PID/exe: the very file the process runs, also inside another mount namespace.
  std::string ExePath(uint32_t pid) const {
    return proc_root_ + "/" + std::to_string(pid) + "/exe";
  }

  BpfCapture& bpf_;
  bool tls_;
  std::string proc_root_;
  std::set<FileId> files_seen_;  // attached or not
  std::set<FileId> tls_files_;   // crypto/tls probes attached
  std::set<FileId> lineage_files_;  // runtime.newproc1 probes attached, or tried
};

}  // namespace otelbpf
