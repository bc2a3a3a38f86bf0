#include "agent/preflight.h"

#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace otelbpf {
namespace {

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

bool HasCapability(int cap) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  return (data[cap / 32].effective & (1u << (cap % 32))) != 0;
}

bool IsMountedAs(const std::string& dir, const std::string& fstype) {
  std::ifstream mounts("/proc/mounts");
  std::string dev, mnt, type, rest;
  while (mounts >> dev >> mnt >> type && std::getline(mounts, rest)) {
    if (mnt == dir && type == fstype) return true;
  }
  return false;
}

bool Exists(const char* path) {
  struct stat st;
  return stat(path, &st) == 0;
}

}  // namespace

bool CanReadOtherUsersExecutables() { return HasCapability(CAP_SYS_PTRACE); }

PreflightResult RunPreflight() {
  PreflightResult r;
  bool root = geteuid() == 0;
  bool caps = HasCapability(CAP_BPF) && HasCapability(CAP_PERFMON);
  if (!root && !caps && !HasCapability(CAP_SYS_ADMIN)) {
    r.errors.push_back(
        "otelbpf needs privileges to load eBPF programs: run it as root (sudo otelbpf run), or "
        "grant "
        "CAP_BPF, CAP_PERFMON and CAP_DAC_READ_SEARCH (plus CAP_SYS_PTRACE to name other users' "
        "processes, CAP_SYS_ADMIN to mount tracefs when missing)");
    return r;
  }

  if (!Exists("/sys/kernel/btf/vmlinux")) {
    r.errors.push_back(
        "this kernel exposes no BTF type information (/sys/kernel/btf/vmlinux is missing); "
        "otelbpf's "
        "CO-RE programs need a kernel built with CONFIG_DEBUG_INFO_BTF=y");
  }

  // Tracepoints are found through tracefs; some hosts boot without it mounted. The directory
  // is mode 0700: without root's DAC override we cannot even look, which is not "unmounted".
  struct stat tracing_st;
  if (stat("/sys/kernel/tracing/events", &tracing_st) != 0 && errno == EACCES) {
    r.errors.push_back(
        "permission denied reading tracefs at /sys/kernel/tracing (mode 0700): grant "
        "CAP_DAC_READ_SEARCH, or run as "
        "root");
    return r;
  }
  if (!Exists("/sys/kernel/tracing/events") && !Exists("/sys/kernel/debug/tracing/events")) {
    if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, nullptr) == 0) {
      r.actions.push_back("mounted tracefs at /sys/kernel/tracing");
    } else {
      r.errors.push_back(
          std::string("tracefs is not mounted and mounting it at /sys/kernel/tracing failed: ") +
          std::strerror(errno) + "; mount it with: mount -t tracefs tracefs /sys/kernel/tracing");
    }
  }

  // otelbpf pins nothing, but operators' tooling (bpftool) expects bpffs; mount it as other
  // eBPF agents do when it is missing.
  if (Exists("/sys/fs/bpf") && !IsMountedAs("/sys/fs/bpf", "bpf")) {
    if (mount("bpf", "/sys/fs/bpf", "bpf", 0, nullptr) == 0)
      r.actions.push_back("mounted bpffs at /sys/fs/bpf");
  }

  // Kernels before 5.11 charge BPF maps to RLIMIT_MEMLOCK; raising it is harmless after.
  rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
  setrlimit(RLIMIT_MEMLOCK, &unlimited);
  return r;
}

}  // namespace otelbpf
