// Finds the shared libraries otelbpf puts uprobes on (the C library for getaddrinfo, OpenSSL's
// libssl for TLS plaintext), so each file gets its uprobes once.
//
// Attaching a uprobe to a file covers every process that maps that file, now or later, so one
// attachment per (device, inode) is enough: the host's libc.so.6 covers all of its processes,
// and containers with their own libraries add one file each. Scan() looks only at processes it
// has not looked at before, so calling it every few seconds stays cheap.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace otelbpf {

enum class SharedLibrary : uint8_t { kLibc, kLibssl };

struct FoundLibrary {
  SharedLibrary kind;
  std::string path;  // reachable from here: through /proc/PID/root, or a host path
};

class MappedLibraries {
 public:
  explicit MappedLibraries(std::string proc_root = "/proc") : proc_root_(std::move(proc_root)) {}

  // Library files, mapped by some process, not reported before.
  std::vector<FoundLibrary> Scan();
  // Library files `pid` maps now, not reported before, whether or not Scan() looked at it
  // already: a process that loaded a library after it was scanned (Python imports `ssl` when
  // first used, dlopen) shows it here. Also whether it maps a libssl file now (any: reported or
  // not); nothing when its maps cannot be read (it is gone).
  struct ProcessScan {
    std::vector<FoundLibrary> found;
    std::optional<bool> maps_libssl;
  };
  ProcessScan ScanProcess(uint32_t pid);
  // Library files installed in the host's standard library directories, not reported before:
  // the host's libssl is covered from the start, before the first process that maps it (a
  // curl started later) has come and gone between two scans.
  std::vector<FoundLibrary> ScanInstalled(const std::vector<std::string>& directories = {
                                              "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu",
                                              "/usr/lib/aarch64-linux-gnu", "/usr/lib64",
                                              "/lib64", "/usr/lib", "/usr/local/lib"});

  // What a mapped file's path names: "libc.so.6", "libc-2.31.so"; "libssl.so.3",
  // "libssl.so.1.1". Nothing for other files.
  static std::optional<SharedLibrary> Recognise(std::string_view path);

 private:
  // Reports the library files /proc/PID/maps names that were not reported before; returns
  // whether it names a libssl (nothing when it cannot be read).
  std::optional<bool> ScanMaps(uint32_t pid, std::vector<FoundLibrary>& found);
  // Reports `path` (stat()ed at `reachable`) unless its file was reported already.
  void Report(SharedLibrary kind, const std::string& reachable, std::vector<FoundLibrary>& out);

  std::string proc_root_;
  std::unordered_set<uint32_t> scanned_pids_;
  std::set<std::pair<uint64_t, uint64_t>> seen_files_;  // (device, inode)
};

}  // namespace otelbpf
