#include "capture/go_probes.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

namespace otelbpf {

bool GoProbes::IdentifyExecutable(uint32_t pid, FileId* id) const {
  // /proc/PID/exe names the very file the process runs, also inside another mount namespace;
  // uprobes are placed on its inode.
  const std::string exe = ExePath(pid);
  struct stat st {};
  if (stat(exe.c_str(), &st) != 0) return false;  // gone
  *id = {st.st_dev, st.st_ino};
  return true;
}

void GoProbes::AttachFor(uint32_t pid) {
  FileId id;
  if (!IdentifyExecutable(pid, &id) || !files_seen_.insert(id).second) return;
  const std::string exe = ExePath(pid);
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
  if (!tls_) return;  // --tls=false
  error.clear();
  const auto points = FindGoTlsProbePoints(exe, &error);
  if (points && bpf_.AttachGoTls(exe, *points, &error)) {
    tls_files_.insert(id);
    spdlog::info("Go program {}: TLS plaintext read from crypto/tls ({} probes)", name,
                 2 + points->read.return_offsets.size());
  } else {
    spdlog::info("Go program {}: its TLS stays unread ({})", name, error);
  }
}

void GoProbes::AttachLineageFor(uint32_t pid) {
  FileId id;
  if (!IdentifyExecutable(pid, &id) || !lineage_files_.insert(id).second) return;
  const std::string exe = ExePath(pid);
  std::string error;
  const auto points = FindGoSpawnProbePoints(exe, &error);
  if (points && bpf_.AttachGoSpawns(exe, *points, &error)) {
    spdlog::info("Go program (pid {}) calls from goroutines its handlers start: following "
                 "goroutine creation from now on (calls before this one stay unlinked)",
                 pid);
  } else {
    spdlog::info("Go program (pid {}): calls from goroutines its handlers start stay unlinked ({})",
                 pid, error);
  }
}

bool GoProbes::ReadsTlsOf(uint32_t pid) const {
  FileId id;
  return IdentifyExecutable(pid, &id) && tls_files_.count(id) > 0;
}

}  // namespace otelbpf
