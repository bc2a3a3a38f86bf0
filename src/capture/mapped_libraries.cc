#include "capture/mapped_libraries.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

namespace otelbpf {
namespace {

// The path of the file a /proc/PID/maps line maps ("addr perms offset dev inode   path": the
// path starts at the first '/'), or empty.
std::string_view MappedPath(const std::string& line) {
  size_t slash = line.find('/');
  if (slash == std::string::npos) return {};
  return std::string_view(line).substr(slash);
}

}  // namespace

std::optional<SharedLibrary> MappedLibraries::Recognise(std::string_view path) {
  std::string_view name = path.substr(path.rfind('/') + 1);
  if (name == "libc.so.6") return SharedLibrary::kLibc;
  // Older glibc: libc-2.31.so.
  if (name.size() > 8 && name.substr(0, 5) == "libc-" && name.substr(name.size() - 3) == ".so")
    return SharedLibrary::kLibc;
  // OpenSSL 3 and 1.1 (the SSL_read/SSL_write ABI is the same in both).
  if (name == "libssl.so.3" || name == "libssl.so.1.1") return SharedLibrary::kLibssl;
  return std::nullopt;
}

void MappedLibraries::Report(SharedLibrary kind, const std::string& reachable,
                             std::vector<FoundLibrary>& out) {
  struct stat st;
  if (stat(reachable.c_str(), &st) != 0) return;
  if (seen_files_.insert({st.st_dev, st.st_ino}).second) out.push_back({kind, reachable});
}

std::vector<FoundLibrary> MappedLibraries::Scan() {
  std::vector<FoundLibrary> found;
  std::unordered_set<uint32_t> alive;
  DIR* proc = opendir(proc_root_.c_str());
  if (!proc) return found;
  while (dirent* d = readdir(proc)) {
    char* end;
    unsigned long pid = strtoul(d->d_name, &end, 10);
    if (*end != '\0' || pid == 0) continue;
    alive.insert(static_cast<uint32_t>(pid));
    if (scanned_pids_.count(static_cast<uint32_t>(pid))) continue;
    (void)ScanMaps(static_cast<uint32_t>(pid), found);
  }
  closedir(proc);
  scanned_pids_ = std::move(alive);  // forget exited pids: a reused pid is scanned again
  return found;
}

MappedLibraries::ProcessScan MappedLibraries::ScanProcess(uint32_t pid) {
  ProcessScan scan;
  scan.maps_libssl = ScanMaps(pid, scan.found);
  return scan;
}

std::optional<bool> MappedLibraries::ScanMaps(uint32_t pid, std::vector<FoundLibrary>& found) {
  const std::string dir = proc_root_ + "/" + std::to_string(pid);
  std::ifstream maps(dir + "/maps");
  std::string line;
  std::string last;  // a library spans several lines in a row: look at it once
  bool read_any = false;  // a live process maps something: nothing read means it is gone
  bool libssl = false;
  while (std::getline(maps, line)) {
    read_any = true;
    std::string_view path = MappedPath(line);
    if (path.empty() || path == last) continue;
    last.assign(path);
    const auto kind = Recognise(path);
    if (!kind) continue;
    libssl |= *kind == SharedLibrary::kLibssl;
    Report(*kind, dir + "/root" + std::string(path), found);  // its own mount namespace
  }
  if (!read_any) return std::nullopt;
  return libssl;
}

std::vector<FoundLibrary> MappedLibraries::ScanInstalled(
    const std::vector<std::string>& directories) {
  std::vector<FoundLibrary> found;
  for (const std::string& dir : directories) {
    for (const char* name : {"libc.so.6", "libssl.so.3", "libssl.so.1.1"}) {
      const std::string path = dir + "/" + name;
      if (auto kind = Recognise(path)) Report(*kind, path, found);
    }
  }
  return found;
}

}  // namespace otelbpf
