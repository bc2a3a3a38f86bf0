#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "capture/libc_finder.h"

namespace otelbpf {
namespace {

namespace fs = std::filesystem;

TEST(LibcFinderTest, RecognisesLibcNames) {
  EXPECT_TRUE(LibcFinder::IsLibcPath("/usr/lib/x86_64-linux-gnu/libc.so.6"));
  EXPECT_TRUE(LibcFinder::IsLibcPath("/lib/x86_64-linux-gnu/libc-2.31.so"));
  EXPECT_FALSE(LibcFinder::IsLibcPath("/usr/lib/x86_64-linux-gnu/libcrypt.so.1"));
  EXPECT_FALSE(LibcFinder::IsLibcPath("/usr/lib/x86_64-linux-gnu/libc++.so.1"));
  EXPECT_FALSE(LibcFinder::IsLibcPath("/lib/ld-musl-x86_64.so.1"));
}

// A fake /proc: two processes share one libc file, a third has its own; each file is
// reported once, and a second scan reports nothing new.
TEST(LibcFinderTest, ReportsEachLibcFileOnce) {
  fs::path root = fs::temp_directory_path() / ("libc_finder_test." + std::to_string(getpid()));
  fs::remove_all(root);
  auto add_process = [&](const char* pid, const char* libc_dir) {
    fs::path dir = root / pid;
    fs::create_directories(dir / "root" / libc_dir);
    std::ofstream(dir / "root" / libc_dir / "libc.so.6") << "elf";
    std::ofstream(dir / "maps")
        << "7f0000000000-7f0000001000 r--p 00000000 08:01 1234   /usr/lib/x86_64-linux-gnu/libm.so.6\n"
        << "7f0000002000-7f0000003000 r-xp 00001000 08:01 5678   /" << libc_dir << "/libc.so.6\n"
        << "7ffd00000000-7ffd00001000 rw-p 00000000 00:00 0      [stack]\n";
  };
  add_process("100", "lib");
  add_process("200", "lib");      // a different file at the same path (another "container")
  add_process("300", "altlib");
  // Make pid 200's libc the very same file as pid 100's (a shared host libc).
  fs::remove(root / "200" / "root" / "lib" / "libc.so.6");
  fs::create_hard_link(root / "100" / "root" / "lib" / "libc.so.6",
                       root / "200" / "root" / "lib" / "libc.so.6");
  fs::create_directories(root / "self");  // not a pid: ignored

  LibcFinder finder(root.string());
  std::vector<std::string> found = finder.Scan();
  ASSERT_EQ(found.size(), 2u);
  for (const auto& path : found) {
    EXPECT_TRUE(path.find("/root/lib/libc.so.6") != std::string::npos ||
                path == (root / "300" / "root" / "altlib" / "libc.so.6").string())
        << path;
  }
  EXPECT_TRUE(finder.Scan().empty());

  add_process("400", "newlib");  // a process started later, with yet another libc
  found = finder.Scan();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0], (root / "400" / "root" / "newlib" / "libc.so.6").string());
  fs::remove_all(root);
}

}  // namespace
}  // namespace otelbpf
