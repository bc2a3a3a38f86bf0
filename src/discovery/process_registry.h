// Resource attributes for observed processes, read once from /proc and cached per pid.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "discovery/go_executable.h"
#include "trace/span.h"

namespace otelbpf {

struct ResourceDefaults {
  Attributes agent_attributes;  // parsed OTEL_RESOURCE_ATTRIBUTES of the agent, minus service.name
  std::string host_name;
};

// Reads the agent's own environment into ResourceDefaults.
ResourceDefaults ResourceDefaultsFromEnvironment();

// Parses `k=v,k2=v2` (W3C baggage-like, values percent-decoded) as OTEL_RESOURCE_ATTRIBUTES
// defines. Malformed members are skipped.
Attributes ParseResourceAttributes(std::string_view text);

// Finds NAME=value in a NUL-separated environ block.
std::string FindEnvironmentValue(std::string_view environ_block, std::string_view name);

// A process's argv and environment as the kernel copied them from its memory while it was
// certainly alive (otelbpf_process_snapshot_event). Short-lived clients are often gone before
// /proc/PID is read; this is what names them then.
struct ProcessSnapshot {
  uint64_t start_ns = 0;       // the process's start_boottime: which process this is
  std::string argv;            // NUL-separated, as in /proc/PID/cmdline
  std::string environ_block;   // NUL-separated NAME=value, as in /proc/PID/environ
  bool argv_complete = false;  // false: the kernel copied only a prefix
  bool environ_complete = false;
};

// Attributes an orchestrator knows about a container (Kubernetes: k8s.*, service.name and
// service.namespace by its rules), or nullptr when it does not know the container (yet).
using ContainerAttributesLookup =
    std::function<std::shared_ptr<const Attributes>(std::string_view container_id)>;

class ProcessRegistry {
 public:
  explicit ProcessRegistry(ResourceDefaults defaults, std::string proc_root = "/proc");

  // Adds the orchestrator's attributes to the resource of every process in a container. Its
  // service.name replaces the one derived from the command (not one the process declares in
  // OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES). A container it does not know yet (the pod
  // watch lags behind a starting container) is asked again at the process's next Get().
  void SetContainerAttributes(ContainerAttributesLookup lookup) { container_lookup_ = std::move(lookup); }

  // The resource of `pid`, built on first use. `comm` names the process if /proc has
  // already lost it (short-lived processes). `start_ns` (the kernel's start_boottime of the
  // process, 0 if unknown) guards against pid reuse: /proc/PID is trusted only if its start
  // time matches, and a cached resource of an older process with this pid is replaced.
  ResourcePtr Get(uint32_t pid, std::string_view comm, uint64_t start_ns = 0);
  bool Contains(uint32_t pid) const { return cache_.count(pid) != 0; }
  // The cached resource, or nullptr (never reads /proc).
  ResourcePtr Find(uint32_t pid) const {
    auto it = cache_.find(pid);
    return it == cache_.end() ? nullptr : it->second.resource;
  }
  void Forget(uint32_t pid) {
    cache_.erase(pid);
    snapshots_.erase(pid);
  }
  // Keeps the kernel's copy of pid's argv/environment for the next Get() of that process.
  // A complete copy is used instead of /proc; a truncated one only when /proc has nothing.
  void AddSnapshot(uint32_t pid, ProcessSnapshot snapshot);
  size_t size() const { return cache_.size(); }

  // Executable path of a pid ("" when gone).
  std::string ExecutablePath(uint32_t pid) const;
  // The pid's cgroup path in the unified hierarchy (discovery/container.h; "" when gone).
  std::string CgroupPath(uint32_t pid) const;
  // Every process running now, and whether it runs a Go program (a /proc scan; each executable
  // file read once). What the kernel is told at start, so requests already in flight in
  // processes started before otelbpf are handled as well as those of later ones.
  struct RunningProgram {
    uint32_t pid = 0;
    bool go = false;
  };
  std::vector<RunningProgram> RunningPrograms();
  // Whether `pid` runs a Go program now, read from its executable (once per file), cached or
  // not: what an exec is asked before the process's first connection.
  bool ExecutesGo(uint32_t pid) { return go_files_.IsGo(pid); }
  // Whether the cached process runs Go (go_executable.h): its threads do not identify requests.
  bool RunsGoroutines(uint32_t pid) const {
    auto it = cache_.find(pid);
    return it != cache_.end() && it->second.go;
  }

 private:
  // Build's result: the resource, and whether a container lookup is still to come.
  struct Built {
    ResourcePtr resource;
    bool container_pending = false;
    std::string container_id;       // what to ask the lookup again
    bool service_declared = false;  // OTEL_SERVICE_NAME & co: the lookup's name does not win
  };
  Built Build(uint32_t pid, std::string_view comm, bool trust_proc,
              const ProcessSnapshot* snapshot) const;
  // start_boottime in ns from /proc/PID/stat (clock-tick resolution); 0 when unreadable.
  uint64_t ProcStartNs(uint32_t pid) const;
  bool SameProcess(uint32_t pid, uint64_t start_ns, std::string_view comm) const;
  // True when one of pid's threads is named `comm` (or comm is empty). /proc's start time has
  // clock-tick resolution (10 ms): a pid reused within the same tick is told apart by name.
  bool HasThreadNamed(uint32_t pid, std::string_view comm) const;

  struct Entry {
    ResourcePtr resource;
    uint64_t start_ns = 0;
    bool go = false;  // a Go program (known only when /proc was this process's)
    bool container_pending = false;  // in a container the lookup did not know yet
    std::string container_id;        // set while pending
    bool service_declared = false;
  };
  ResourceDefaults defaults_;
  std::string proc_root_;
  ContainerAttributesLookup container_lookup_;
  std::unordered_map<uint32_t, Entry> cache_;
  GoExecutableCache go_files_;
  // Snapshots not yet used by Get(). Normally consumed at once (the kernel sends one just
  // before a process's first connection announcement); bounded in case announcements are lost.
  static constexpr size_t kMaxPendingSnapshots = 4096;
  std::unordered_map<uint32_t, ProcessSnapshot> snapshots_;
};

}  // namespace otelbpf
