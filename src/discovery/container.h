// Which container a process runs in, read from its cgroup (/proc/PID/cgroup): the runtimes
// name every container's cgroup after its id, so the path is enough, with no runtime socket to
// ask. Known path shapes (cgroup v2, and the v1 hierarchies of a hybrid host):
//   docker      /docker/<id>                          (cgroupfs driver)
//               /system.slice/docker-<id>.scope       (systemd driver)
//   containerd  /kubepods/<qos>/pod<uid>/<id>          (Kubernetes, cgroupfs driver)
//               /kubepods.slice/.../cri-containerd-<id>.scope   (systemd driver)
//               /<namespace>/<id>                      (ctr, nerdctl: the id is the last part)
//   CRI-O       /kubepods.slice/.../crio-<id>.scope   (its crio-conmon-<id>.scope is the
//                                                        monitor process, not the container)
//   podman      /machine.slice/libpod-<id>.scope[/container]  (also under user@UID.service)
// <id> is 64 lowercase hex digits. Anything else is "not in a container we recognise": no
// attribute is guessed. Kubernetes pods also name their uid (pod<uid>, '_' for '-' under
// systemd), which the Kubernetes metadata uses to find the pod.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace otelbpf {

struct ContainerIdentity {
  std::string id;       // 64 hex digits
  std::string runtime;  // container.runtime.name: docker, containerd, cri-o, podman
  std::string pod_uid;  // Kubernetes pod uid with dashes, when the path names one
};

// The process's cgroup path: the unified (v2) hierarchy's line of /proc/PID/cgroup ("0::/x"),
// else the first v1 line that names a container (hybrid hosts), else "".
std::string CgroupPathOf(std::string_view proc_cgroup_text);

// The container a cgroup path belongs to, if its shape is one of the above.
std::optional<ContainerIdentity> ContainerFromCgroupPath(std::string_view cgroup_path);

// Where the unified cgroup hierarchy is mounted, from /proc/self/mountinfo's text ("" when no
// cgroup2 file system is mounted). Never assumed to be /sys/fs/cgroup: hybrid hosts mount it at
// /sys/fs/cgroup/unified, containers elsewhere.
std::string Cgroup2MountPoint(std::string_view mountinfo_text);
// The same for this process's mount namespace (/proc/self/mountinfo).
std::string Cgroup2MountOfThisHost();

// True when `selector` names this container: its full id, or a prefix of at least 12 hex
// digits (the short id `docker ps` prints).
bool ContainerIdMatches(std::string_view container_id, std::string_view selector);

// True when `cgroup_path` is `selector` or lies below it. The selector is a path inside the
// cgroup hierarchy ("/system.slice/nginx.service"), or an absolute path under the cgroup2 mount
// ("/sys/fs/cgroup/system.slice/nginx.service", with `cgroup2_mount` "/sys/fs/cgroup").
bool CgroupPathMatches(std::string_view cgroup_path, std::string_view selector,
                       std::string_view cgroup2_mount);

}  // namespace otelbpf
