// Which processes `otelbpf run` watches when the user narrows it: by executable (--exe), by
// container (--container) or by cgroup (--cgroup); a process matching any of them is watched
// (--pid adds fixed pids on top, in the agent). Reads /proc; the kernel is told the pids.
//
// A selected program's forked children (nginx's workers, gunicorn's) exec nothing, so the exec
// event alone would miss them: NewlyMatching() is called at start and then every second, and
// returns each process that matches once.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <string>
#include <unordered_map>
#include <vector>

namespace otelbpf {

struct ProcessSelection {
  std::vector<std::string> exe_globs;      // fnmatch on the executable path or its file name
  std::vector<std::string> container_ids;  // full ids or prefixes of >= 12 hex digits
  std::vector<std::string> cgroup_paths;   // a cgroup and everything below it
  // Whether a container is selected by what an orchestrator knows of it (Kubernetes pods);
  // nullopt while it knows nothing of the container yet: the process is judged again later.
  std::function<std::optional<bool>(std::string_view container_id)> container_predicate;
  bool empty() const {
    return exe_globs.empty() && container_ids.empty() && cgroup_paths.empty() &&
           !container_predicate;
  }
};

// True when `path` (or its last component) matches one of the globs.
bool ExecutableMatches(const std::string& path, const std::vector<std::string>& globs);

class ProcessSelector {
 public:
  // `cgroup2_mount` lets --cgroup be given as a file system path (discovery/container.h).
  ProcessSelector(ProcessSelection selection, std::string proc_root = "/proc",
                  std::string cgroup2_mount = {});

  bool active() const { return !selection_.empty(); }
  // Whether the running process `pid` is selected (reads its /proc entry).
  bool Matches(uint32_t pid) const { return Judge(pid) == Verdict::kYes; }
  // Processes that match and were not returned before (a /proc scan; a process is read once,
  // and read again only when its pid now belongs to a newer process).
  std::vector<uint32_t> NewlyMatching();

 private:
  enum class Verdict { kNo, kYes, kUndecided };
  Verdict Judge(uint32_t pid) const;

  ProcessSelection selection_;
  std::string proc_root_;
  std::string cgroup2_mount_;
  // pid -> its /proc directory's change time when it was judged: a reused pid is judged again.
  std::unordered_map<uint32_t, int64_t> judged_;
};

}  // namespace otelbpf
