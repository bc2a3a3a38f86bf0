// Checks and prepares the host before loading eBPF: privileges, kernel BTF, tracefs, bpffs,
// memlock. Each failure is one clear sentence for the operator.
#pragma once

#include <string>
#include <vector>

namespace otelbpf {

struct PreflightResult {
  std::vector<std::string> errors;   // fatal: otelbpf cannot run
  std::vector<std::string> actions;  // what preflight did (mounts), for the log
};

PreflightResult RunPreflight();

// Whether /proc/PID/exe of other users' processes is readable (CAP_SYS_PTRACE): without it,
// --exe matches only otelbpf's own user's processes.
bool CanReadOtherUsersExecutables();

}  // namespace otelbpf
