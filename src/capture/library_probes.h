// The uprobes otelbpf puts in shared libraries: getaddrinfo() in every C library
// (dns.lookup.duration) and SSL_read/SSL_write in every OpenSSL (TLS plaintext), attached once
// per library file as processes that map new files appear. Also answers, for a process whose
// connection turned out to carry TLS, whether its plaintext can be read: if its TLS library is
// not one we probe (statically linked OpenSSL, Go's crypto/tls, GnuTLS, ...), it says so once
// per program and counts it, rather than guess.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <unordered_set>

#include "capture/bpf_capture.h"
#include "capture/mapped_libraries.h"

namespace otelbpf {

class LibraryProbes {
 public:
  // `tls`: attach the OpenSSL uprobes (--tls); the C library's are attached either way.
  LibraryProbes(BpfCapture& bpf, bool tls, std::string proc_root = "/proc")
      : bpf_(bpf), tls_(tls), proc_root_(proc_root), libraries_(std::move(proc_root)) {}

  // The host's installed libraries, then those mapped by running processes.
  void AttachAtStart();
  // Libraries mapped by processes started since the last call (cheap: new pids only).
  void AttachNew();
  // A connection of `pid` carries TLS records (OTELBPF_EV_TLS_SEEN).
  void OnTlsSeen(uint32_t pid);
  void Forget(uint32_t pid) { tls_checked_.erase(pid); }

  // Processes seen speaking TLS through a library otelbpf does not read.
  uint64_t unreadable_tls_processes() const { return unreadable_tls_processes_; }
  size_t libssl_files() const { return libssl_files_; }

 private:
  void Attach(const std::vector<FoundLibrary>& found);

  BpfCapture& bpf_;
  bool tls_;
  std::string proc_root_;
  MappedLibraries libraries_;
  std::unordered_set<uint32_t> tls_checked_;  // pids asked about once (forgotten at exit)
  std::set<std::string> unreadable_programs_;  // executables already reported
  uint64_t unreadable_tls_processes_ = 0;
  size_t libssl_files_ = 0;
};

}  // namespace otelbpf
