#include "discovery/container.h"

#include <gtest/gtest.h>

namespace otelbpf {
namespace {

const std::string kId = "3f4e5d6c7b8a99887766554433221100ffeeddccbbaa99887766554433221100";

struct Shape {
  const char* name;
  std::string path;
  const char* runtime;
  const char* pod_uid;
};

TEST(ContainerFromCgroupPath, RecognisesEveryRuntimesPathShape) {
  const Shape shapes[] = {
      {"docker cgroupfs", "/docker/" + kId, "docker", ""},
      {"docker systemd", "/system.slice/docker-" + kId + ".scope", "docker", ""},
      {"containerd kubernetes cgroupfs",
       "/kubepods/burstable/pod0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6/" + kId, "",
       "0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6"},
      {"containerd kubernetes systemd",
       "/kubepods.slice/kubepods-burstable.slice/"
       "kubepods-burstable-pod0d1e2f3a_4b5c_6d7e_8f90_a1b2c3d4e5f6.slice/cri-containerd-" +
           kId + ".scope",
       "containerd", "0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6"},
      {"cri-o kubernetes systemd",
       "/kubepods.slice/kubepods-pod0d1e2f3a_4b5c_6d7e_8f90_a1b2c3d4e5f6.slice/crio-" + kId +
           ".scope",
       "cri-o", "0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6"},
      {"cri-o cgroupfs", "/kubepods/besteffort/pod0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6/crio-" + kId,
       "cri-o", "0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6"},
      {"podman rootful", "/machine.slice/libpod-" + kId + ".scope/container", "podman", ""},
      {"podman rootless",
       "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + kId + ".scope",
       "podman", ""},
      {"containerd namespace (nerdctl)", "/default/" + kId, "", ""},
      // Read from inside a pod with its own cgroup namespace: relative to the agent's cgroup.
      {"seen from another cgroup namespace",
       "/../../kubepods.slice/kubepods-pod0d1e2f3a_4b5c_6d7e_8f90_a1b2c3d4e5f6.slice/cri-containerd-" +
           kId + ".scope",
       "containerd", "0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6"},
  };
  for (const Shape& s : shapes) {
    SCOPED_TRACE(s.name);
    const auto c = ContainerFromCgroupPath(s.path);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->id, kId);
    EXPECT_EQ(c->runtime, s.runtime);
    EXPECT_EQ(c->pod_uid, s.pod_uid);
  }
}

TEST(ContainerFromCgroupPath, GuessesNothingOutsideContainers) {
  for (const std::string& path :
       {std::string("/"), std::string("/user.slice/user-0.slice/session-3.scope"),
        std::string("/system.slice/nginx.service"),
        // The monitors' scopes hold conmon, not the container.
        "/machine.slice/libpod-conmon-" + kId + ".scope",
        "/kubepods.slice/crio-conmon-" + kId + ".scope",
        // Not 64 lowercase hex digits.
        "/docker/" + kId.substr(1), "/docker/" + std::string(64, 'G'),
        "/system.slice/docker-" + kId.substr(0, 12) + ".scope"}) {
    EXPECT_FALSE(ContainerFromCgroupPath(path).has_value()) << path;
  }
}

TEST(CgroupPathOf, PrefersTheUnifiedLine) {
  EXPECT_EQ(CgroupPathOf("0::/system.slice/docker-" + kId + ".scope\n"),
            "/system.slice/docker-" + kId + ".scope");
}

TEST(CgroupPathOf, HybridHostNamesTheContainerInAV1Line) {
  const std::string text =
      "12:pids:/docker/" + kId + "\n11:cpu,cpuacct:/docker/" + kId +
      "\n1:name=systemd:/docker/" + kId + "\n0::/\n";
  EXPECT_EQ(CgroupPathOf(text), "/docker/" + kId);
  EXPECT_EQ(CgroupPathOf("2:cpu:/user.slice\n0::/user.slice/session-1.scope\n"),
            "/user.slice/session-1.scope");
  EXPECT_EQ(CgroupPathOf(""), "");
  EXPECT_EQ(CgroupPathOf("garbage without colons\n"), "");
}

TEST(Cgroup2MountPoint, FoundWhereverItIsMounted) {
  const std::string pure_v2 =
      "22 1 0:21 / /proc rw,nosuid shared:12 - proc proc rw\n"
      "26 23 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec shared:9 - cgroup2 cgroup2 rw,nsdelegate\n";
  EXPECT_EQ(Cgroup2MountPoint(pure_v2), "/sys/fs/cgroup");
  const std::string hybrid =
      "25 24 0:22 / /sys/fs/cgroup ro shared:9 - tmpfs tmpfs ro,mode=755\n"
      "26 25 0:23 / /sys/fs/cgroup/unified rw shared:10 - cgroup2 cgroup2 rw\n"
      "27 25 0:24 / /sys/fs/cgroup/systemd rw shared:11 - cgroup cgroup rw,name=systemd\n";
  EXPECT_EQ(Cgroup2MountPoint(hybrid), "/sys/fs/cgroup/unified");
  EXPECT_EQ(Cgroup2MountPoint("40 1 0:50 / /mnt/my\\040cgroups rw - cgroup2 none rw\n"),
            "/mnt/my cgroups");
  EXPECT_EQ(Cgroup2MountPoint("27 25 0:24 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"), "");
}

TEST(ContainerIdMatches, FullIdOrAShortIdOfTwelveDigits) {
  EXPECT_TRUE(ContainerIdMatches(kId, kId));
  EXPECT_TRUE(ContainerIdMatches(kId, kId.substr(0, 12)));
  EXPECT_FALSE(ContainerIdMatches(kId, kId.substr(0, 11)));  // too short to be unambiguous
  EXPECT_FALSE(ContainerIdMatches(kId, "ffffffffffff"));
  EXPECT_FALSE(ContainerIdMatches("", kId.substr(0, 12)));
}

TEST(CgroupPathMatches, ThePathOrBelowIt) {
  EXPECT_TRUE(CgroupPathMatches("/system.slice/nginx.service", "/system.slice/nginx.service", ""));
  EXPECT_TRUE(CgroupPathMatches("/system.slice/nginx.service", "/system.slice", ""));
  EXPECT_TRUE(CgroupPathMatches("/system.slice/nginx.service", "/system.slice/", ""));
  EXPECT_FALSE(CgroupPathMatches("/system.slice/nginx.service", "/system.slice/nginx", ""));
  EXPECT_FALSE(CgroupPathMatches("/user.slice", "/system.slice", ""));
  EXPECT_TRUE(CgroupPathMatches("/anything", "/", ""));
  // Given as a file system path under the cgroup2 mount.
  EXPECT_TRUE(CgroupPathMatches("/system.slice/nginx.service", "/sys/fs/cgroup/system.slice",
                                "/sys/fs/cgroup"));
  EXPECT_TRUE(CgroupPathMatches("/system.slice/nginx.service", "/sys/fs/cgroup", "/sys/fs/cgroup"));
  EXPECT_FALSE(CgroupPathMatches("/system.slice/nginx.service", "/sys/fs/cgroupx/system.slice",
                                 "/sys/fs/cgroup"));
}

}  // namespace
}  // namespace otelbpf
