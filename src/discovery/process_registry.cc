#include "discovery/process_registry.h"

#include "discovery/command_line.h"
#include "discovery/container.h"
#include "discovery/own_telemetry.h"
#include "discovery/proc_files.h"
#include "discovery/service_name.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <unordered_map>

namespace otelbpf {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes; a '%' not followed by two hex digits stays as it is.
std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = HexDigit(s[i + 1]), lo = HexDigit(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

void SetAttribute(Attributes& attrs, std::string key, AttributeValue value) {
  for (auto& a : attrs) {
    if (a.key == key) {
      a.value = std::move(value);
      return;
    }
  }
  attrs.push_back({std::move(key), std::move(value)});
}

}  // namespace

Attributes ParseResourceAttributes(std::string_view text) {
  Attributes out;
  // Key -> index in `out`: a later duplicate replaces the value in place. An index, not a
  // scan of `out`, because the text comes from other processes and may hold ~40k members.
  std::unordered_map<std::string_view, size_t> index;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view member = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    size_t eq = member.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = Trim(member.substr(0, eq));
    if (key.empty()) continue;
    std::string value = PercentDecode(Trim(member.substr(eq + 1)));
    const auto [it, added] = index.emplace(key, out.size());
    if (added) {
      out.push_back({std::string(key), std::move(value)});
    } else {
      out[it->second].value = std::move(value);
    }
  }
  return out;
}

std::string FindEnvironmentValue(std::string_view block, std::string_view name) {
  size_t pos = 0;
  while (pos < block.size()) {
    size_t end = block.find('\0', pos);
    if (end == std::string_view::npos) end = block.size();
    std::string_view entry = block.substr(pos, end - pos);
    if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 &&
        entry[name.size()] == '=')
      return std::string(entry.substr(name.size() + 1));
    pos = end + 1;
  }
  return {};
}

ResourceDefaults ResourceDefaultsFromEnvironment() {
  ResourceDefaults d;
  // The agent watches many services: its own OTEL_SERVICE_NAME (or a service.name in its
  // OTEL_RESOURCE_ATTRIBUTES) names none of them, so neither is applied to what it observes.
  if (const char* v = std::getenv("OTEL_RESOURCE_ATTRIBUTES")) {
    for (auto& a : ParseResourceAttributes(v))
      if (a.key != "service.name") d.agent_attributes.push_back(std::move(a));
  }
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) == 0) d.host_name = host;
  return d;
}

namespace {

// The orchestrator's attributes of a process's container; its service.name only when the
// process did not declare its own.
void AddContainerAttributes(const Attributes& known, bool service_declared, Attributes* attrs) {
  for (const Attribute& a : known) {
    if (a.key == "service.name" && service_declared) continue;
    SetAttribute(*attrs, a.key.str(), a.value);
  }
}

}  // namespace

ProcessRegistry::ProcessRegistry(ResourceDefaults defaults, std::string proc_root)
    : defaults_(std::move(defaults)), proc_root_(proc_root), go_files_(std::move(proc_root)) {}

ResourcePtr ProcessRegistry::Get(uint32_t pid, std::string_view comm, uint64_t start_ns) {
  auto it = cache_.find(pid);
  if (it != cache_.end() &&
      (start_ns == 0 || it->second.start_ns == 0 || it->second.start_ns == start_ns)) {
    Entry& entry = it->second;
    if (!entry.container_pending) return entry.resource;
    // Its container was unknown to the orchestrator's lookup: ask again (a map lookup), and
    // add what it knows now to the resource already built; /proc is not read again (a
    // container outside any pod stays unknown, and each of its connections comes here).
    if (auto known = container_lookup_ ? container_lookup_(entry.container_id) : nullptr) {
      auto r = std::make_shared<Resource>(*entry.resource);
      AddContainerAttributes(*known, entry.service_declared, &r->attributes);
      entry.resource = std::move(r);
      entry.container_pending = false;
      entry.container_id.clear();
    }
    return entry.resource;
  }
  const ProcessSnapshot* snapshot = nullptr;
  auto snap = snapshots_.find(pid);
  if (snap != snapshots_.end() && (start_ns == 0 || snap->second.start_ns == start_ns))
    snapshot = &snap->second;
  const bool trust_proc = SameProcess(pid, start_ns, comm);
  Built built = Build(pid, comm, trust_proc, snapshot);
  if (snap != snapshots_.end()) snapshots_.erase(snap);
  cache_[pid] = Entry{built.resource, start_ns, trust_proc && go_files_.IsGo(pid),
                      built.container_pending,
                      built.container_pending ? built.container_id : std::string(),
                      built.service_declared};
  return built.resource;
}

std::vector<ProcessRegistry::RunningProgram> ProcessRegistry::RunningPrograms() {
  std::vector<RunningProgram> out;
  DIR* proc = opendir(proc_root_.c_str());
  if (!proc) return out;
  while (dirent* d = readdir(proc)) {
    char* end;
    const unsigned long pid = strtoul(d->d_name, &end, 10);
    if (*end != '\0' || pid == 0) continue;
    out.push_back({static_cast<uint32_t>(pid), go_files_.IsGo(static_cast<uint32_t>(pid))});
  }
  closedir(proc);
  return out;
}

void ProcessRegistry::AddSnapshot(uint32_t pid, ProcessSnapshot snapshot) {
  if (snapshots_.size() >= kMaxPendingSnapshots && !snapshots_.count(pid)) snapshots_.clear();
  snapshots_[pid] = std::move(snapshot);
}

uint64_t ProcessRegistry::ProcStartNs(uint32_t pid) const {
  // Field 22 (starttime, clock ticks since boot). The command name (field 2) may hold spaces
  // and parentheses, so count fields after its closing parenthesis.
  std::string stat = ReadWholeFile(proc_root_ + "/" + std::to_string(pid) + "/stat", 4096);
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22 && (fields >> field); ++i) {
    if (i == 22) {
      const long ticks_per_second = sysconf(_SC_CLK_TCK);
      return std::strtoull(field.c_str(), nullptr, 10) *
             (1000000000ull / static_cast<uint64_t>(ticks_per_second));
    }
  }
  return 0;
}

bool ProcessRegistry::SameProcess(uint32_t pid, uint64_t start_ns, std::string_view comm) const {
  if (start_ns == 0) return true;  // no kernel start time to check against: trust /proc
  const uint64_t proc_ns = ProcStartNs(pid);
  if (proc_ns == 0) return false;  // gone
  const uint64_t tick_ns = 1000000000ull / static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
  // /proc rounds down to a clock tick.
  if (start_ns < proc_ns || start_ns - proc_ns >= tick_ns) return false;
  return HasThreadNamed(pid, comm);
}

bool ProcessRegistry::HasThreadNamed(uint32_t pid, std::string_view comm) const {
  if (comm.empty()) return true;
  // The event names the thread that made the syscall, and threads may rename themselves
  // (Java, nginx): any thread of the process may carry the name.
  const std::string tasks = proc_root_ + "/" + std::to_string(pid) + "/task";
  DIR* dir = opendir(tasks.c_str());
  if (!dir) {  // no task folder (a test's fake /proc): the process's own name
    std::string own = ReadWholeFile(proc_root_ + "/" + std::to_string(pid) + "/comm", 64);
    while (!own.empty() && own.back() == '\n') own.pop_back();
    return own.empty() || own == comm;
  }
  bool found = false;
  while (dirent* d = readdir(dir)) {
    if (d->d_name[0] == '.') continue;
    std::string name = ReadWholeFile(tasks + "/" + d->d_name + "/comm", 64);
    while (!name.empty() && name.back() == '\n') name.pop_back();
    if (name == comm) {
      found = true;
      break;
    }
  }
  closedir(dir);
  return found;
}

std::string ProcessRegistry::CgroupPath(uint32_t pid) const {
  return CgroupPathOf(ReadWholeFile(proc_root_ + "/" + std::to_string(pid) + "/cgroup", 16 * 1024));
}

std::string ProcessRegistry::ExecutablePath(uint32_t pid) const {
  return ExecutableOf(proc_root_ + "/" + std::to_string(pid));
}

namespace {

// The kernel's copy when it is whole (the process may be gone from /proc already, and a
// complete copy saves the read); else /proc; else whatever prefix the kernel copied.
std::string PreferSnapshot(const std::string* copy, bool complete, const std::string& proc_path,
                           size_t limit) {
  if (copy && complete) return *copy;
  std::string from_proc = ReadWholeFile(proc_path, limit);
  if (from_proc.empty() && copy) return *copy;
  return from_proc;
}

}  // namespace

ProcessRegistry::Built ProcessRegistry::Build(uint32_t pid, std::string_view comm,
                                              bool trust_proc,
                                              const ProcessSnapshot* snapshot) const {
  // When /proc/PID now belongs to another process (pid reused), read nothing from it: the
  // kernel's comm is all we know, and it is right.
  const std::string dir =
      trust_proc ? proc_root_ + "/" + std::to_string(pid) : std::string("/nonexistent");
  std::string exe_path = trust_proc ? ExecutablePath(pid) : std::string();
  std::string exe_name =
      exe_path.empty() ? std::string(comm) : exe_path.substr(exe_path.rfind('/') + 1);

  const std::string argv_block = PreferSnapshot(snapshot ? &snapshot->argv : nullptr,
                                                snapshot && snapshot->argv_complete,
                                                dir + "/cmdline", 64 * 1024);
  const std::vector<std::string_view> argv = SplitCommandLine(argv_block);
  // Secret-looking values never leave the machine (docs/configuration.md, "Secrets").
  const std::string cmdline = MaskedCommandLine(argv);

  // The target's own declaration of its name wins: it is what its SDK would have said.
  std::string environ_block =
      PreferSnapshot(snapshot ? &snapshot->environ_block : nullptr,
                     snapshot && snapshot->environ_complete, dir + "/environ", 256 * 1024);
  std::string service = FindEnvironmentValue(environ_block, "OTEL_SERVICE_NAME");
  if (service.empty()) {
    for (const auto& a :
         ParseResourceAttributes(FindEnvironmentValue(environ_block, "OTEL_RESOURCE_ATTRIBUTES")))
      if (a.key == "service.name") service = std::get<std::string>(a.value);
  }
  const bool service_declared = !service.empty();
  if (service.empty()) service = ServiceNameFromCommand(argv, exe_name);
  if (service.empty()) service = comm.empty() ? "unknown_service" : std::string(comm);
  const auto container = trust_proc ? ContainerFromCgroupPath(CgroupPathOf(ReadWholeFile(
                                          dir + "/cgroup", 16 * 1024)))
                                    : std::nullopt;

  auto r = std::make_shared<Resource>();
  Attributes& attrs = r->attributes;
  attrs = defaults_.agent_attributes;
  SetAttribute(attrs, "service.name", service);
  SetAttribute(attrs, "process.pid", static_cast<int64_t>(pid));
  if (!exe_name.empty()) SetAttribute(attrs, "process.executable.name", exe_name);
  if (!exe_path.empty()) SetAttribute(attrs, "process.executable.path", exe_path);
  if (!cmdline.empty()) SetAttribute(attrs, "process.command_line", cmdline);
  // The agent's own OTEL_RESOURCE_ATTRIBUTES may name the host (in a pod, the hostname is the
  // pod's name, and the manifests pass the node's): that wins over gethostname().
  const bool host_named = std::any_of(attrs.begin(), attrs.end(),
                                      [](const Attribute& a) { return a.key == "host.name"; });
  if (!host_named && !defaults_.host_name.empty())
    SetAttribute(attrs, "host.name", defaults_.host_name);
  bool container_pending = false;
  if (container) {
    SetAttribute(attrs, "container.id", container->id);
    if (!container->runtime.empty())
      SetAttribute(attrs, "container.runtime.name", container->runtime);
    if (container_lookup_) {
      if (auto known = container_lookup_(container->id))
        AddContainerAttributes(*known, service_declared, &attrs);
      else
        container_pending = true;
    }
  }
  SetAttribute(attrs, "telemetry.sdk.name", std::string("otelbpf"));
  SetAttribute(attrs, "telemetry.sdk.language", std::string("cpp"));
  SetAttribute(attrs, "telemetry.sdk.version", std::string(OTELBPF_VERSION));
  r->own_telemetry = OwnTelemetryEvidence(
      environ_block, trust_proc ? ReadWholeFile(dir + "/maps", 4 << 20) : std::string());
  return {r, container_pending, container ? container->id : std::string(), service_declared};
}

}  // namespace otelbpf
