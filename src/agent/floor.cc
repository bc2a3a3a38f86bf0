#include "agent/floor.h"

#include <signal.h>
#include <unistd.h>

#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include <bpf/libbpf.h>

#include "agent/preflight.h"
#include "capture/mapped_libraries.h"
#include "capture/openssl_uprobes.h"
#include "discovery/go_executable.h"
#include "discovery/go_tls_functions.h"
#include "floor.skel.h"

namespace otelbpf {
namespace {
std::atomic<bool> g_floor_stop{false};
void OnFloorSignal(int) { g_floor_stop.store(true); }

// The Go crypto/tls probes' price: `floor_go_tls` on the points `run` probes, in the executable
// of every Go program running now (once per file).
void AttachGoTlsFloor(bpf_program* program, std::vector<bpf_link*>* links) {
  std::set<std::pair<uint64_t, uint64_t>> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string exe = entry.path().string() + "/exe";
    struct stat st {};
    if (stat(exe.c_str(), &st) != 0 || !files.emplace(st.st_dev, st.st_ino).second) continue;
    if (!IsGoExecutable(exe)) continue;
    std::string why;
    const auto points = FindGoTlsProbePoints(exe, &why);
    if (!points) continue;
    for (const GoTlsUprobe& u : GoTlsUprobes(*points)) {  // exactly `run`'s points
      LIBBPF_OPTS(bpf_uprobe_opts, opts);
      if (bpf_link* link =
              bpf_program__attach_uprobe_opts(program, -1, exe.c_str(), u.file_offset, &opts))
        links->push_back(link);
    }
  }
}
}  // namespace

int RunFloor() {
  PreflightResult pre = RunPreflight();
  for (const auto& e : pre.errors) spdlog::error("{}", e);
  if (!pre.errors.empty()) return 1;
  struct floor* skel = floor__open_and_load();
  if (!skel || floor__attach(skel) != 0) {
    spdlog::error("cannot load or attach the floor programs");
    if (skel) floor__destroy(skel);
    return 1;
  }
  // The TLS uprobes' price: the same functions of the same libssl files as `run`.
  std::vector<bpf_link*> uprobes;
  MappedLibraries libraries;
  std::vector<FoundLibrary> found = libraries.ScanInstalled();
  for (FoundLibrary& lib : libraries.Scan()) found.push_back(std::move(lib));
  for (const FoundLibrary& lib : found) {
    if (lib.kind != SharedLibrary::kLibssl) continue;
    for (const OpenSslUprobe& u : kOpenSslUprobes) {
      LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = u.on_return(), .func_name = u.function);
      bpf_program* prog = u.on_return() ? skel->progs.floor_ssl_return : skel->progs.floor_ssl_enter;
      if (bpf_link* link = bpf_program__attach_uprobe_opts(prog, -1, lib.path.c_str(), 0, &opts))
        uprobes.push_back(link);
    }
  }
  AttachGoTlsFloor(skel->progs.floor_go_tls, &uprobes);
  signal(SIGINT, OnFloorSignal);
  signal(SIGTERM, OnFloorSignal);
  spdlog::info("otelbpf is ready: floor programs attached");
  while (!g_floor_stop.load()) pause();
  for (bpf_link* link : uprobes) bpf_link__destroy(link);
  floor__destroy(skel);
  return 0;
}

}  // namespace otelbpf
