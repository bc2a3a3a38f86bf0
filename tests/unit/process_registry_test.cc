#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "discovery/process_registry.h"

namespace otelbpf {
namespace {

using namespace std::string_literals;

std::string StringAttr(const Resource& r, std::string_view key) {
  const AttributeValue* v = FindAttribute(r.attributes, key);
  return v && std::holds_alternative<std::string>(*v) ? std::get<std::string>(*v) : "";
}

TEST(ProcessRegistryTest, ParsesResourceAttributes) {
  Attributes a = ParseResourceAttributes(" deployment.environment = prod ,team=a%2Cb,broken,=x,k=");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].key, "deployment.environment");
  EXPECT_EQ(std::get<std::string>(a[0].value), "prod");
  EXPECT_EQ(std::get<std::string>(a[1].value), "a,b");
  EXPECT_EQ(a[2].key, "k");
  EXPECT_EQ(std::get<std::string>(a[2].value), "");
}

TEST(ProcessRegistryTest, FindsEnvironmentValues) {
  std::string block = "PATH=/bin\0OTEL_SERVICE_NAME=checkout\0OTEL_SERVICE_NAMES=x\0"s;
  EXPECT_EQ(FindEnvironmentValue(block, "OTEL_SERVICE_NAME"), "checkout");
  EXPECT_EQ(FindEnvironmentValue(block, "PATH"), "/bin");
  EXPECT_EQ(FindEnvironmentValue(block, "HOME"), "");
}

// A fake /proc tree lets us test naming rules without spawning processes.
class FakeProc : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() / ("otelbpf-proc-" + std::to_string(getpid()));
    std::filesystem::create_directories(root_ / "42");
    std::filesystem::create_symlink("/usr/sbin/nginx", root_ / "42" / "exe");
    Write("42/cmdline", "nginx: worker\0-g\0daemon off;\0"s);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Write(const std::string& rel, const std::string& content) {
    std::ofstream(root_ / rel, std::ios::binary) << content;
  }
  std::filesystem::path root_;
};

TEST_F(FakeProc, NamesServiceAfterExecutable) {
  ResourceDefaults d;
  d.host_name = "node-1";
  d.agent_attributes = {{"deployment.environment", std::string("prod")}};
  ProcessRegistry reg(d, root_.string());
  ResourcePtr r = reg.Get(42, "ignored");
  EXPECT_EQ(StringAttr(*r, "service.name"), "nginx");
  EXPECT_EQ(StringAttr(*r, "process.executable.path"), "/usr/sbin/nginx");
  EXPECT_EQ(StringAttr(*r, "process.executable.name"), "nginx");
  EXPECT_EQ(StringAttr(*r, "process.command_line"), "nginx: worker -g daemon off;");
  EXPECT_EQ(StringAttr(*r, "host.name"), "node-1");
  EXPECT_EQ(StringAttr(*r, "telemetry.sdk.name"), "otelbpf");
  EXPECT_EQ(StringAttr(*r, "deployment.environment"), "prod");
  EXPECT_EQ(std::get<int64_t>(*FindAttribute(r->attributes, "process.pid")), 42);
  EXPECT_EQ(reg.Get(42, "x").get(), r.get()) << "cached per pid";
}

TEST_F(FakeProc, TargetsOwnServiceNameWins) {
  Write("42/environ", "A=1\0OTEL_SERVICE_NAME=frontend\0"s);
  ProcessRegistry reg(ResourceDefaults{}, root_.string());
  EXPECT_EQ(StringAttr(*reg.Get(42, ""), "service.name"), "frontend");
}

TEST_F(FakeProc, TargetsResourceAttributesServiceName) {
  Write("42/environ", "OTEL_RESOURCE_ATTRIBUTES=team=a,service.name=billing\0"s);
  ProcessRegistry reg(ResourceDefaults{}, root_.string());
  EXPECT_EQ(StringAttr(*reg.Get(42, ""), "service.name"), "billing");
}

// /proc/42/stat whose starttime (field 22) is `ticks`; the name holds a space and a ')'.
std::string StatWithStartTicks(uint64_t ticks) {
  std::string s = "42 (odd) name) S";
  for (int field = 4; field <= 21; ++field) s += " 0";
  return s + " " + std::to_string(ticks) + " 0 0\n";
}

TEST_F(FakeProc, ProcIsTrustedOnlyForTheSameProcess) {
  const uint64_t tick_ns = 1000000000ull / static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
  Write("42/stat", StatWithStartTicks(500));
  ProcessRegistry reg(ResourceDefaults{}, root_.string());
  // The kernel says the connection's process started at tick 500 (+ a bit): /proc/42 is it.
  EXPECT_EQ(StringAttr(*reg.Get(42, "nginx", 500 * tick_ns + 3), "process.executable.path"),
            "/usr/sbin/nginx");
}

TEST_F(FakeProc, ReusedPidIsNamedFromTheKernelNotFromProc) {
  const uint64_t tick_ns = 1000000000ull / static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
  Write("42/stat", StatWithStartTicks(900));  // /proc/42 is a newer process now
  ProcessRegistry reg(ResourceDefaults{}, root_.string());
  ResourcePtr r = reg.Get(42, "curl", 500 * tick_ns);
  EXPECT_EQ(StringAttr(*r, "service.name"), "curl");
  EXPECT_EQ(FindAttribute(r->attributes, "process.executable.path"), nullptr)
      << "nothing read from the new process";
}

TEST_F(FakeProc, ProcessGoneFromProcIsNamedFromTheKernelsSnapshot) {
  // curl sent its request and exited before /proc/77 was read: only the kernel's copy is left.
  ProcessSnapshot snap;
  snap.start_ns = 1234;
  snap.argv = "curl\0-s\0http://x/\0"s;
  snap.environ_block = "PATH=/bin\0OTEL_SERVICE_NAME=it-curl\0"s;
  snap.argv_complete = snap.environ_complete = true;
  ProcessRegistry reg(ResourceDefaults{}, root_.string());
  reg.AddSnapshot(77, snap);
  ResourcePtr r = reg.Get(77, "curl", 1234);
  EXPECT_EQ(StringAttr(*r, "service.name"), "it-curl");
  EXPECT_EQ(StringAttr(*r, "process.command_line"), "curl -s http://x/");
  EXPECT_EQ(StringAttr(*r, "process.executable.name"), "curl") << "the kernel's comm";
}

TEST_F(FakeProc, SnapshotOfAnotherProcessWithThePidIsNotUsed) {
  const uint64_t tick_ns = 1000000000ull / static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
  Write("42/stat", StatWithStartTicks(500));
  ProcessSnapshot old;
  old.start_ns = 7;  // an earlier process that had pid 42
  old.environ_block = "OTEL_SERVICE_NAME=old\0"s;
  old.environ_complete = true;
  ProcessRegistry reg(ResourceDefaults{}, root_.string());
  reg.AddSnapshot(42, old);
  EXPECT_EQ(StringAttr(*reg.Get(42, "nginx", 500 * tick_ns), "service.name"), "nginx");
}

TEST_F(FakeProc, TruncatedSnapshotGivesWayToProc) {
  const uint64_t tick_ns = 1000000000ull / static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
  Write("42/stat", StatWithStartTicks(500));
  Write("42/environ", "A=1\0OTEL_SERVICE_NAME=frontend\0"s);
  ProcessSnapshot snap;
  snap.start_ns = 500 * tick_ns;
  snap.environ_block = "A=1\0"s;  // the kernel copied only a prefix: the name is past it
  snap.environ_complete = false;
  ProcessRegistry reg(ResourceDefaults{}, root_.string());
  reg.AddSnapshot(42, snap);
  EXPECT_EQ(StringAttr(*reg.Get(42, "nginx", 500 * tick_ns), "service.name"), "frontend");
}

TEST_F(FakeProc, PidReusedWithinOneClockTickIsToldApartByThreadName) {
  const uint64_t tick_ns = 1000000000ull / static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
  Write("42/stat", StatWithStartTicks(500));  // same tick as the kernel's start time
  std::filesystem::create_directories(root_ / "42" / "task" / "42");
  std::filesystem::create_directories(root_ / "42" / "task" / "43");
  Write("42/task/42/comm", "nginx\n");
  Write("42/task/43/comm", "worker-io\n");  // a renamed thread
  ProcessRegistry reg(ResourceDefaults{}, root_.string());
  // curl's event, but /proc/42 is now a process started in the same tick with other names.
  ResourcePtr curl = reg.Get(42, "curl", 500 * tick_ns + 5);
  EXPECT_EQ(StringAttr(*curl, "service.name"), "curl");
  EXPECT_EQ(FindAttribute(curl->attributes, "process.executable.path"), nullptr);
  // An event from the renamed thread is this process: /proc is read.
  ProcessRegistry reg2(ResourceDefaults{}, root_.string());
  EXPECT_EQ(StringAttr(*reg2.Get(42, "worker-io", 500 * tick_ns + 5), "process.executable.path"),
            "/usr/sbin/nginx");
}

TEST_F(FakeProc, CachedResourceOfAnOlderProcessIsReplaced) {
  const uint64_t tick_ns = 1000000000ull / static_cast<uint64_t>(sysconf(_SC_CLK_TCK));
  Write("42/stat", StatWithStartTicks(500));
  ProcessRegistry reg(ResourceDefaults{}, root_.string());
  ResourcePtr first = reg.Get(42, "nginx", 500 * tick_ns);
  ResourcePtr again = reg.Get(42, "nginx", 500 * tick_ns);
  EXPECT_EQ(first.get(), again.get());
  ResourcePtr other = reg.Get(42, "sleep", 900 * tick_ns);  // same pid, another process
  EXPECT_NE(first.get(), other.get());
  EXPECT_EQ(StringAttr(*other, "service.name"), "sleep");
}

TEST_F(FakeProc, GoneProcessFallsBackToComm) {
  ProcessRegistry reg(ResourceDefaults{}, root_.string());
  ResourcePtr r = reg.Get(7, "shortlived");
  EXPECT_EQ(StringAttr(*r, "service.name"), "shortlived");
  EXPECT_EQ(FindAttribute(r->attributes, "process.executable.path"), nullptr);
}

}  // namespace
}  // namespace otelbpf

namespace otelbpf {
namespace {

class FakeProcIdentity : public FakeProc {};

TEST_F(FakeProcIdentity, ContainerAndHostFromTheProcessAndTheAgent) {
  const std::string id(64, 'a');
  Write("42/cgroup", "0::/system.slice/docker-" + id + ".scope\n");
  ResourceDefaults defaults;
  defaults.host_name = "pod-otelbpf-x7k2";
  defaults.agent_attributes = {{"host.name", std::string("node-3")}};
  ProcessRegistry reg(defaults, root_.string());
  ResourcePtr r = reg.Get(42, "");
  EXPECT_EQ(StringAttr(*r, "container.id"), id);
  EXPECT_EQ(StringAttr(*r, "container.runtime.name"), "docker");
  // The agent's OTEL_RESOURCE_ATTRIBUTES name the node; the pod's hostname does not replace it.
  EXPECT_EQ(StringAttr(*r, "host.name"), "node-3");
  EXPECT_EQ(reg.CgroupPath(42), "/system.slice/docker-" + id + ".scope");
}

TEST_F(FakeProcIdentity, OrchestratorAttributesArriveLate) {
  const std::string id(64, 'b');
  Write("42/cgroup", "0::/kubepods.slice/cri-containerd-" + id + ".scope\n");
  ProcessRegistry reg(ResourceDefaults{}, root_.string());
  std::shared_ptr<const Attributes> pod;  // unknown to the pod watch at first
  int lookups = 0;
  reg.SetContainerAttributes([&](std::string_view container) {
    ++lookups;
    EXPECT_EQ(container, id);
    return pod;
  });
  ResourcePtr first = reg.Get(42, "");
  EXPECT_EQ(StringAttr(*first, "service.name"), "nginx");
  EXPECT_EQ(FindAttribute(first->attributes, "k8s.pod.name"), nullptr);
  pod = std::make_shared<const Attributes>(Attributes{{"k8s.pod.name", std::string("web-7d9f-x2")},
                                                      {"service.name", std::string("web")}});
  ResourcePtr second = reg.Get(42, "");
  EXPECT_EQ(StringAttr(*second, "k8s.pod.name"), "web-7d9f-x2");
  EXPECT_EQ(StringAttr(*second, "service.name"), "web") << "the pod's name beats the command's";
  EXPECT_EQ(StringAttr(*second, "container.id"), id);
  const int after = lookups;
  EXPECT_EQ(reg.Get(42, "").get(), second.get()) << "known now: cached, not asked again";
  EXPECT_EQ(lookups, after);
}

TEST_F(FakeProcIdentity, APendingContainerIsAskedAgainWithoutReadingProcAgain) {
  const std::string id(64, 'd');
  Write("42/cgroup", "0::/system.slice/docker-" + id + ".scope\n");  // outside any pod
  Write("42/environ", "OTEL_SERVICE_NAME=billing\0"s);
  ProcessRegistry reg(ResourceDefaults{}, root_.string());
  std::shared_ptr<const Attributes> pod;
  reg.SetContainerAttributes([&](std::string_view) { return pod; });
  ResourcePtr first = reg.Get(42, "");
  // /proc changes under the process (it would not, but that tells a re-read apart): the cached
  // resource is what later Gets build on.
  Write("42/environ", "OTEL_SERVICE_NAME=other\0"s);
  EXPECT_EQ(reg.Get(42, "").get(), first.get()) << "still unknown: the same resource";
  pod = std::make_shared<const Attributes>(Attributes{{"k8s.pod.name", std::string("billing-0")},
                                                      {"service.name", std::string("owner")}});
  ResourcePtr known = reg.Get(42, "");
  EXPECT_EQ(StringAttr(*known, "k8s.pod.name"), "billing-0");
  EXPECT_EQ(StringAttr(*known, "service.name"), "billing") << "declared, and not read again";
  EXPECT_EQ(StringAttr(*known, "container.id"), id);
}

TEST_F(FakeProcIdentity, ServiceNameTheProcessDeclaresWinsOverThePods) {
  Write("42/cgroup", "0::/kubepods.slice/cri-containerd-" + std::string(64, 'c') + ".scope\n");
  Write("42/environ", "OTEL_SERVICE_NAME=checkout\0"s);
  ProcessRegistry reg(ResourceDefaults{}, root_.string());
  reg.SetContainerAttributes([](std::string_view) {
    return std::make_shared<const Attributes>(Attributes{{"service.name", std::string("owner-name")},
                                                         {"k8s.namespace.name", std::string("shop")}});
  });
  ResourcePtr r = reg.Get(42, "");
  EXPECT_EQ(StringAttr(*r, "service.name"), "checkout");
  EXPECT_EQ(StringAttr(*r, "k8s.namespace.name"), "shop");
}

TEST_F(FakeProcIdentity, NoContainerNoAttribute) {
  Write("42/cgroup", "0::/system.slice/nginx.service\n");
  ProcessRegistry reg(ResourceDefaults{{}, "host-a"}, root_.string());
  ResourcePtr r = reg.Get(42, "");
  EXPECT_EQ(FindAttribute(r->attributes, "container.id"), nullptr);
  EXPECT_EQ(StringAttr(*r, "host.name"), "host-a");
  // Named by what was run: the title nginx gave itself.
  EXPECT_EQ(StringAttr(*r, "service.name"), "nginx");
}

}  // namespace
}  // namespace otelbpf
