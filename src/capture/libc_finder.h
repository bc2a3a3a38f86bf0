// Finds the C libraries processes have mapped, so uprobes can be put on each one once.
//
// Attaching a uprobe to a file covers every process that maps that file, now or later, so one
// libc per (device, inode) is enough: the host's libc.so.6 covers all of its processes, and
// containers with their own libc add one file each. Scan() looks only at processes it has not
// looked at before, so calling it every few seconds stays cheap.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace otelbpf {

class LibcFinder {
 public:
  explicit LibcFinder(std::string proc_root = "/proc") : proc_root_(std::move(proc_root)) {}

  // Paths (reachable from here, through /proc/PID/root) of libc files not reported before.
  std::vector<std::string> Scan();

  // True when a mapped file's path names the C library ("libc.so.6", "libc-2.31.so").
  static bool IsLibcPath(std::string_view path);

 private:
  std::string proc_root_;
  std::unordered_set<uint32_t> scanned_pids_;
  std::set<std::pair<uint64_t, uint64_t>> seen_files_;  // (device, inode)
};

}  // namespace otelbpf
