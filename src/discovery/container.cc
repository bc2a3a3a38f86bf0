#include "discovery/container.h"

#include <fstream>
#include <iterator>
#include <vector>

namespace otelbpf {
namespace {

constexpr size_t kIdLength = 64;
constexpr size_t kUuidLength = 36;

bool IsLowerHex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return !s.empty();
}

bool IsContainerId(std::string_view s) { return s.size() == kIdLength && IsLowerHex(s); }

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<std::string_view> Components(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    if (!part.empty()) out.push_back(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

// A systemd scope unit of a runtime: "<prefix><id>.scope". The monitors' scopes
// (crio-conmon-, libpod-conmon-) hold no container process.
struct ScopePrefix {
  std::string_view prefix;
  std::string_view runtime;
};
constexpr ScopePrefix kScopePrefixes[] = {
    {"docker-", "docker"},
    {"cri-containerd-", "containerd"},
    {"crio-", "cri-o"},
    {"libpod-", "podman"},
};

std::optional<ContainerIdentity> FromComponent(std::string_view part, std::string_view parent) {
  std::string_view unit = part;
  if (EndsWith(unit, ".scope")) unit.remove_suffix(6);
  for (const ScopePrefix& p : kScopePrefixes) {
    if (StartsWith(unit, p.prefix) && IsContainerId(unit.substr(p.prefix.size())))
      return ContainerIdentity{std::string(unit.substr(p.prefix.size())), std::string(p.runtime), {}};
  }
  // CRI-O under the cgroupfs driver: "crio-<id>" without .scope (handled above); a bare id is
  // docker's cgroupfs layout under /docker, and containerd's (Kubernetes or ctr/nerdctl
  // namespaces) elsewhere: the runtime is named only where the parent proves it.
  if (IsContainerId(part))
    return ContainerIdentity{std::string(part), parent == "docker" ? "docker" : "", {}};
  return std::nullopt;
}

// "pod<uid>" (cgroupfs) or "...-pod<uid with '_'>.slice" (systemd).
std::string PodUidOf(const std::vector<std::string_view>& parts) {
  for (std::string_view part : parts) {
    if (EndsWith(part, ".slice")) part.remove_suffix(6);
    const size_t at = part.rfind("pod");
    if (at == std::string_view::npos || (at != 0 && part[at - 1] != '-')) continue;
    std::string uid(part.substr(at + 3));
    if (uid.size() != kUuidLength) continue;
    bool ok = true;
    for (size_t i = 0; i < uid.size(); ++i) {
      char& c = uid[i];
      const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash_position && (c == '_' || c == '-')) {
        c = '-';
      } else if (dash_position || !IsLowerHex(std::string_view(&c, 1))) {
        ok = false;
        break;
      }
    }
    if (ok) return uid;
  }
  return {};
}

// Undoes the octal escapes of /proc/self/mountinfo (\040 for a space, ...).
std::string UnescapeMountField(std::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const std::string_view digits = field.substr(i + 1, 3);
      if (digits[0] >= '0' && digits[0] <= '3' && digits[1] >= '0' &&
          digits[1] <= '7' && digits[2] >= '0' && digits[2] <= '7') {
        out.push_back(static_cast<char>((digits[0] - '0') * 64 + (digits[1] - '0') * 8 +
                                        (digits[2] - '0')));
        i += 3;
        continue;
      }
    }
    out.push_back(field[i]);
  }
  return out;
}

std::string_view NextLine(std::string_view* text) {
  const size_t end = text->find('\n');
  std::string_view line = text->substr(0, end);
  text->remove_prefix(end == std::string_view::npos ? text->size() : end + 1);
  return line;
}

}  // namespace

std::string CgroupPathOf(std::string_view text) {
  std::string unified;
  std::string first_v1_container;
  std::string first_any;
  while (!text.empty()) {
    const std::string_view line = NextLine(&text);
    // hierarchy-ID:controller-list:cgroup-path; the path may itself hold ':'.
    const size_t first = line.find(':');
    if (first == std::string_view::npos) continue;
    const size_t second = line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    const std::string_view id = line.substr(0, first);
    const std::string_view controllers = line.substr(first + 1, second - first - 1);
    const std::string_view path = line.substr(second + 1);
    if (id == "0" && controllers.empty()) {
      unified = std::string(path);
    } else if (first_v1_container.empty() && ContainerFromCgroupPath(path)) {
      first_v1_container = std::string(path);
    }
    if (first_any.empty()) first_any = std::string(path);
  }
  // A hybrid host may keep containers out of the unified hierarchy ("0::/"): the v1 line that
  // names the container is the informative one there.
  if (!unified.empty() && (ContainerFromCgroupPath(unified) || first_v1_container.empty()))
    return unified;
  if (!first_v1_container.empty()) return first_v1_container;
  return first_any;
}

std::optional<ContainerIdentity> ContainerFromCgroupPath(std::string_view cgroup_path) {
  const std::vector<std::string_view> parts = Components(cgroup_path);
  // The innermost container wins (podman nests "libpod-<id>.scope/container"; nested runtimes
  // put the inner container below the outer one).
  for (size_t i = parts.size(); i-- > 0;) {
    auto identity = FromComponent(parts[i], i > 0 ? parts[i - 1] : std::string_view{});
    if (identity) {
      identity->pod_uid = PodUidOf(parts);
      return identity;
    }
  }
  return std::nullopt;
}

std::string Cgroup2MountPoint(std::string_view text) {
  while (!text.empty()) {
    const std::string_view line = NextLine(&text);
    // "ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS"
    const size_t separator = line.find(" - ");
    if (separator == std::string_view::npos) continue;
    std::string_view after = line.substr(separator + 3);
    if (after.substr(0, after.find(' ')) != "cgroup2") continue;
    std::string_view fields = line.substr(0, separator);
    for (int skip = 0; skip < 4; ++skip) {
      const size_t space = fields.find(' ');
      if (space == std::string_view::npos) return {};
      fields.remove_prefix(space + 1);
    }
    return UnescapeMountField(fields.substr(0, fields.find(' ')));
  }
  return {};
}

std::string Cgroup2MountOfThisHost() {
  std::ifstream in("/proc/self/mountinfo");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return Cgroup2MountPoint(text);
}

bool ContainerIdMatches(std::string_view container_id, std::string_view selector) {
  if (selector.size() < 12 || selector.size() > container_id.size()) return false;
  return container_id.compare(0, selector.size(), selector) == 0;
}

bool CgroupPathMatches(std::string_view cgroup_path, std::string_view selector,
                       std::string_view cgroup2_mount) {
  if (!cgroup2_mount.empty() && cgroup2_mount != "/" && StartsWith(selector, cgroup2_mount) &&
      (selector.size() == cgroup2_mount.size() || selector[cgroup2_mount.size()] == '/')) {
    selector.remove_prefix(cgroup2_mount.size());
    if (selector.empty()) selector = "/";
  }
  while (selector.size() > 1 && selector.back() == '/') selector.remove_suffix(1);
  if (selector == "/") return StartsWith(cgroup_path, "/");
  return StartsWith(cgroup_path, selector) &&
         (cgroup_path.size() == selector.size() || cgroup_path[selector.size()] == '/');
}

}  // namespace otelbpf
