#include "capture/library_probes.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

namespace otelbpf {

void LibraryProbes::Attach(const std::vector<FoundLibrary>& found) {
  for (const FoundLibrary& lib : found) {
    std::string error;
    switch (lib.kind) {
      case SharedLibrary::kLibc:
        if (bpf_.AttachGetaddrinfo(lib.path, &error))
          spdlog::debug("getaddrinfo uprobes attached to {}", lib.path);
        else
          spdlog::warn("no DNS lookup metrics for processes using {}: {}", lib.path, error);
        break;
      case SharedLibrary::kLibssl:
        if (!tls_) break;  // --tls=false
        if (bpf_.AttachOpenSsl(lib.path, &error)) {
          ++libssl_files_;
          spdlog::info("TLS plaintext of processes using {}: uprobes attached", lib.path);
        } else {
          spdlog::warn("TLS traffic of processes using {} stays unread: {}", lib.path, error);
        }
        break;
    }
  }
}

void LibraryProbes::AttachAtStart() {
  Attach(libraries_.ScanInstalled());
  Attach(libraries_.Scan());
}

void LibraryProbes::AttachNew() { Attach(libraries_.Scan()); }

void LibraryProbes::OnTlsSeen(uint32_t pid) {
  if (!tls_ || !tls_checked_.insert(pid).second) return;  // --tls=false: not a surprise
  // A libssl it loaded after it was scanned (a lazy `import ssl`, dlopen), or any new process's:
  // covered from now on.
  const MappedLibraries::ProcessScan scan = libraries_.ScanProcess(pid);
  Attach(scan.found);
  AttachNew();
  // Gone already (a short-lived client): nothing can be said of it, so nothing is.
  if (scan.maps_libssl.value_or(true)) return;
  char target[4096] = {};
  const std::string exe = proc_root_ + "/" + std::to_string(pid) + "/exe";
  const ssize_t n = readlink(exe.c_str(), target, sizeof(target) - 1);
  // Exiting while its maps were read (its executable already let go): its maps may have been
  // half torn down, so it is gone as far as we can tell, not unreadable.
  if (n <= 0) return;
  ++unreadable_tls_processes_;
  const std::string program(target, static_cast<size_t>(n));
  if (!unreadable_programs_.insert(program).second) return;
  spdlog::warn(
      "{} (pid {}) speaks TLS through a library otelbpf does not read (not a shared OpenSSL "
      "libssl: statically linked, Go crypto/tls, GnuTLS, ...): its encrypted connections are not "
      "traced (otelbpf.tls.unreadable_processes)",
      program, pid);
}

}  // namespace otelbpf
