#include "capture/go_http_probes.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

namespace otelbpf {

void GoHttpProbes::AttachFor(uint32_t pid) {
  // /proc/PID/exe names the very file the process runs, also inside another mount namespace;
  // the uprobe is placed on its inode.
  const std::string exe = proc_root_ + "/" + std::to_string(pid) + "/exe";
  struct stat st {};
  if (stat(exe.c_str(), &st) != 0) return;  // gone
  if (!files_seen_.emplace(st.st_dev, st.st_ino).second) return;
  char target[4096] = {};
  const ssize_t n = readlink(exe.c_str(), target, sizeof(target) - 1);
  const std::string name = n > 0 ? std::string(target, static_cast<size_t>(n)) : exe;
  std::string error;
  if (bpf_.AttachGoHttpClient(exe, &error)) {
    spdlog::info("Go program {}: following its HTTP calls from goroutine to goroutine", name);
  } else {
    spdlog::info("Go program {}: its outgoing HTTP calls stay without an in-process parent ({})",
                 name, error);
  }
}

}  // namespace otelbpf
