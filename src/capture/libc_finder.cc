#include "capture/libc_finder.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

namespace otelbpf {

bool LibcFinder::IsLibcPath(std::string_view path) {
  std::string_view name = path.substr(path.rfind('/') + 1);
  if (name == "libc.so.6") return true;
  // Older glibc: libc-2.31.so.
  return name.size() > 8 && name.substr(0, 5) == "libc-" && name.substr(name.size() - 3) == ".so";
}

std::vector<std::string> LibcFinder::Scan() {
  std::vector<std::string> found;
  std::unordered_set<uint32_t> alive;
  DIR* proc = opendir(proc_root_.c_str());
  if (!proc) return found;
  while (dirent* d = readdir(proc)) {
    char* end;
    unsigned long pid = strtoul(d->d_name, &end, 10);
    if (*end != '\0' || pid == 0) continue;
    alive.insert(static_cast<uint32_t>(pid));
    if (scanned_pids_.count(static_cast<uint32_t>(pid))) continue;
    const std::string dir = proc_root_ + "/" + d->d_name;
    std::ifstream maps(dir + "/maps");
    std::string line;
    while (std::getline(maps, line)) {
      // "addr perms offset dev inode   path": the path starts at the first '/'.
      size_t slash = line.find('/');
      if (slash == std::string::npos) continue;
      std::string_view path(line.c_str() + slash, line.size() - slash);
      if (!IsLibcPath(path)) continue;
      // Through the process's root: its libc may live in another mount namespace.
      std::string reachable = dir + "/root" + std::string(path);
      struct stat st;
      if (stat(reachable.c_str(), &st) != 0) continue;
      if (seen_files_.insert({st.st_dev, st.st_ino}).second) found.push_back(reachable);
      break;  // one libc per process
    }
  }
  closedir(proc);
  scanned_pids_ = std::move(alive);  // forget exited pids: a reused pid is scanned again
  return found;
}

}  // namespace otelbpf
