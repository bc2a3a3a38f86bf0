// Tells Go programs apart: their goroutines run on whichever thread is free, so in a Go process
// the thread that made a syscall says nothing about the request it served, and in-process
// parent/child links by thread would be guesses (docs/design.md, "Parent rules").
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

namespace otelbpf {

// Whether the ELF file at `path` was built by the Go toolchain: it has a .go.buildinfo section
// (what `go version FILE` reads; strip keeps it). False when unreadable or not ELF.
bool IsGoExecutable(const std::string& path);

// IsGoExecutable for processes, by /proc/PID/exe, remembered per file (many processes run the
// same executable; the file's identity includes its mtime, so a rebuilt binary is read again).
class GoExecutableCache {
 public:
  explicit GoExecutableCache(std::string proc_root = "/proc") : proc_root_(std::move(proc_root)) {}
  bool IsGo(uint32_t pid);

 private:
  static constexpr size_t kMaxFiles = 4096;  // then forgotten all at once
  using FileId = std::tuple<uint64_t, uint64_t, int64_t>;  // st_dev, st_ino, st_mtime (ns)
  std::string proc_root_;
  std::map<FileId, bool> by_file_;
};

}  // namespace otelbpf
