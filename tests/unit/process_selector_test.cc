#include "discovery/process_selector.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace otelbpf {
namespace {

const std::string kDocker(64, 'd');
const std::string kOther(64, 'e');

class FakeProcSelection : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() / ("otelbpf-select-" + std::to_string(getpid()));
    Process(10, "/usr/sbin/nginx", "0::/system.slice/nginx.service\n");
    Process(11, "/usr/bin/python3.11", "0::/system.slice/docker-" + kDocker + ".scope\n");
    Process(12, "/usr/bin/redis-check-rdb", "0::/system.slice/docker-" + kOther + ".scope\n");
    Process(13, "/usr/bin/curl", "0::/user.slice/user-0.slice/session-1.scope\n");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Process(int pid, const std::string& exe, const std::string& cgroup) {
    const auto dir = root_ / std::to_string(pid);
    std::filesystem::create_directories(dir);
    std::filesystem::create_symlink(exe, dir / "exe");
    std::ofstream(dir / "cgroup") << cgroup;
  }
  std::vector<uint32_t> Selected(ProcessSelection selection) {
    ProcessSelector selector(std::move(selection), root_.string(), "/sys/fs/cgroup");
    auto pids = selector.NewlyMatching();
    std::sort(pids.begin(), pids.end());
    return pids;
  }
  std::filesystem::path root_;
};

TEST_F(FakeProcSelection, EachCriterionAndTheirUnion) {
  EXPECT_EQ(Selected({{"nginx"}, {}, {}}), (std::vector<uint32_t>{10}));
  EXPECT_EQ(Selected({{}, {kDocker.substr(0, 12)}, {}}), (std::vector<uint32_t>{11}));
  EXPECT_EQ(Selected({{}, {kOther}, {}}), (std::vector<uint32_t>{12}));
  EXPECT_EQ(Selected({{}, {}, {"/system.slice"}}), (std::vector<uint32_t>{10, 11, 12}));
  EXPECT_EQ(Selected({{}, {}, {"/sys/fs/cgroup/user.slice"}}), (std::vector<uint32_t>{13}));
  EXPECT_EQ(Selected({{"curl"}, {kDocker}, {}}), (std::vector<uint32_t>{11, 13}));
  EXPECT_EQ(Selected({{}, {"dddd"}, {}}), (std::vector<uint32_t>{})) << "too short a prefix";
  EXPECT_EQ(Selected({}), (std::vector<uint32_t>{})) << "no criterion: the agent watches all";
}

TEST_F(FakeProcSelection, EachProcessIsReturnedOnce) {
  ProcessSelector selector({{}, {}, {"/system.slice"}}, root_.string(), "/sys/fs/cgroup");
  EXPECT_EQ(selector.NewlyMatching().size(), 3u);
  EXPECT_TRUE(selector.NewlyMatching().empty());
  Process(14, "/usr/sbin/nginx", "0::/system.slice/nginx.service\n");  // a forked worker
  EXPECT_EQ(selector.NewlyMatching(), (std::vector<uint32_t>{14}));
  EXPECT_TRUE(selector.Matches(10));
  EXPECT_FALSE(selector.Matches(13));
  EXPECT_FALSE(selector.Matches(99)) << "gone";
}

}  // namespace
}  // namespace otelbpf
