#include "discovery/process_selector.h"

#include <dirent.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <unordered_set>

#include "discovery/container.h"
#include "discovery/proc_files.h"

namespace otelbpf {

bool ExecutableMatches(const std::string& path, const std::vector<std::string>& globs) {
  if (path.empty()) return false;
  const std::string name = path.substr(path.rfind('/') + 1);
  for (const auto& g : globs) {
    if (fnmatch(g.c_str(), path.c_str(), 0) == 0 || fnmatch(g.c_str(), name.c_str(), 0) == 0)
      return true;
  }
  return false;
}

ProcessSelector::ProcessSelector(ProcessSelection selection, std::string proc_root,
                                 std::string cgroup2_mount)
    : selection_(std::move(selection)),
      proc_root_(std::move(proc_root)),
      cgroup2_mount_(std::move(cgroup2_mount)) {}

ProcessSelector::Verdict ProcessSelector::Judge(uint32_t pid) const {
  const std::string dir = proc_root_ + "/" + std::to_string(pid);
  if (!selection_.exe_globs.empty() && ExecutableMatches(ExecutableOf(dir), selection_.exe_globs))
    return Verdict::kYes;
  if (selection_.container_ids.empty() && selection_.cgroup_paths.empty() &&
      !selection_.container_predicate)
    return Verdict::kNo;
  const std::string cgroup = CgroupPathOf(ReadWholeFile(dir + "/cgroup", 16 * 1024));
  if (cgroup.empty()) return Verdict::kNo;
  for (const std::string& path : selection_.cgroup_paths)
    if (CgroupPathMatches(cgroup, path, cgroup2_mount_)) return Verdict::kYes;
  const auto container = ContainerFromCgroupPath(cgroup);
  if (!container) return Verdict::kNo;
  for (const std::string& id : selection_.container_ids)
    if (ContainerIdMatches(container->id, id)) return Verdict::kYes;
  if (selection_.container_predicate) {
    const std::optional<bool> selected = selection_.container_predicate(container->id);
    if (!selected) return Verdict::kUndecided;
    if (*selected) return Verdict::kYes;
  }
  return Verdict::kNo;
}

std::vector<uint32_t> ProcessSelector::NewlyMatching() {
  std::vector<uint32_t> out;
  if (!active()) return out;
  DIR* proc = opendir(proc_root_.c_str());
  if (!proc) return out;
  std::unordered_set<uint32_t> alive;
  while (dirent* d = readdir(proc)) {
    char* end;
    const unsigned long number = strtoul(d->d_name, &end, 10);
    if (*end != '\0' || number == 0) continue;
    const auto pid = static_cast<uint32_t>(number);
    alive.insert(pid);
    struct stat st{};
    if (stat((proc_root_ + "/" + d->d_name).c_str(), &st) != 0) continue;
    const int64_t born = static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
    auto [it, added] = judged_.emplace(pid, born);
    if (!added && it->second == born) continue;
    it->second = born;
    switch (Judge(pid)) {
      case Verdict::kYes: out.push_back(pid); break;
      case Verdict::kUndecided: judged_.erase(it); break;  // asked again at the next look
      case Verdict::kNo: break;
    }
  }
  closedir(proc);
  std::erase_if(judged_, [&alive](const auto& entry) { return !alive.count(entry.first); });
  return out;
}

}  // namespace otelbpf
