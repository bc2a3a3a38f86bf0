#include "capture/mapped_libraries.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace otelbpf {
namespace {

namespace fs = std::filesystem;

TEST(MappedLibrariesTest, RecognisesLibcAndLibsslNames) {
  using L = SharedLibrary;
  EXPECT_EQ(MappedLibraries::Recognise("/usr/lib/x86_64-linux-gnu/libc.so.6"), L::kLibc);
  EXPECT_EQ(MappedLibraries::Recognise("/lib/x86_64-linux-gnu/libc-2.31.so"), L::kLibc);
  EXPECT_EQ(MappedLibraries::Recognise("/usr/lib/x86_64-linux-gnu/libssl.so.3"), L::kLibssl);
  EXPECT_EQ(MappedLibraries::Recognise("/usr/lib/libssl.so.1.1"), L::kLibssl);
  EXPECT_EQ(MappedLibraries::Recognise("/usr/lib/x86_64-linux-gnu/libcrypt.so.1"), std::nullopt);
  EXPECT_EQ(MappedLibraries::Recognise("/usr/lib/x86_64-linux-gnu/libc++.so.1"), std::nullopt);
  EXPECT_EQ(MappedLibraries::Recognise("/lib/ld-musl-x86_64.so.1"), std::nullopt);
  EXPECT_EQ(MappedLibraries::Recognise("/usr/lib/libssl3.so"), std::nullopt)  // NSS, not OpenSSL
      << "another TLS library is not taken for OpenSSL";
  EXPECT_EQ(MappedLibraries::Recognise("/usr/lib/x86_64-linux-gnu/libcrypto.so.3"), std::nullopt);
}

class FakeProcWithLibraries : public ::testing::Test {
 protected:
  FakeProcWithLibraries() : root_(fs::temp_directory_path() / ("mapped_libraries." + std::to_string(getpid()))) {
    fs::remove_all(root_);
    fs::create_directories(root_ / "self");  // not a pid: ignored
  }
  ~FakeProcWithLibraries() override { fs::remove_all(root_); }

  // A process whose maps name libm, then the given libraries (two lines each, as real mappings
  // have), each file created under its root.
  void AddProcess(const char* pid, const std::vector<std::string>& libraries) {
    fs::path dir = root_ / pid;
    fs::create_directories(dir);
    std::ofstream maps(dir / "maps");
    maps << "7f0000000000-7f0000001000 r--p 00000000 08:01 1234   /usr/lib/libm.so.6\n";
    for (const std::string& lib : libraries) {
      fs::create_directories((dir / "root" / lib.substr(1)).parent_path());
      if (!fs::exists(dir / "root" / lib.substr(1)))
        std::ofstream(dir / "root" / lib.substr(1)) << "elf";
      maps << "7f0000002000-7f0000003000 r--p 00000000 08:01 5678   " << lib << "\n"
           << "7f0000003000-7f0000004000 r-xp 00001000 08:01 5678   " << lib << "\n";
    }
    maps << "7ffd00000000-7ffd00001000 rw-p 00000000 00:00 0      [stack]\n";
  }
  fs::path root_;
};

// Two processes share one libc file, a third has its own; each file is reported once, and a
// second scan reports nothing new.
TEST_F(FakeProcWithLibraries, ReportsEachLibraryFileOnce) {
  AddProcess("100", {"/lib/libc.so.6", "/lib/libssl.so.3"});
  AddProcess("200", {"/lib/libc.so.6"});
  AddProcess("300", {"/altlib/libc.so.6"});
  // Make pid 200's libc the very same file as pid 100's (a shared host libc).
  fs::remove(root_ / "200" / "root" / "lib" / "libc.so.6");
  fs::create_hard_link(root_ / "100" / "root" / "lib" / "libc.so.6",
                       root_ / "200" / "root" / "lib" / "libc.so.6");

  MappedLibraries libraries(root_.string());
  std::vector<FoundLibrary> found = libraries.Scan();
  ASSERT_EQ(found.size(), 3u);
  int libc = 0, libssl = 0;
  for (const auto& f : found) {
    if (f.kind == SharedLibrary::kLibc) ++libc;
    if (f.kind == SharedLibrary::kLibssl) {
      ++libssl;
      EXPECT_EQ(f.path, (root_ / "100" / "root" / "lib" / "libssl.so.3").string());
    }
  }
  EXPECT_EQ(libc, 2);
  EXPECT_EQ(libssl, 1);
  EXPECT_TRUE(libraries.Scan().empty());

  AddProcess("400", {"/newlib/libc.so.6"});  // a process started later, with yet another libc
  found = libraries.Scan();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].path, (root_ / "400" / "root" / "newlib" / "libc.so.6").string());

  EXPECT_EQ(libraries.ScanProcess(100).maps_libssl, true);
  EXPECT_EQ(libraries.ScanProcess(200).maps_libssl, false);
  EXPECT_EQ(libraries.ScanProcess(999).maps_libssl, std::nullopt) << "a process that is gone: unknown";
}

// A process scanned before it loaded libssl (a lazy `import ssl`, dlopen): Scan() never looks
// at it again, ScanProcess() does.
TEST_F(FakeProcWithLibraries, ALibraryLoadedAfterTheScanIsFoundByScanningThatProcess) {
  AddProcess("100", {"/lib/libc.so.6"});
  MappedLibraries libraries(root_.string());
  ASSERT_EQ(libraries.Scan().size(), 1u);
  AddProcess("100", {"/lib/libc.so.6", "/opt/app/lib/libssl.so.3"});  // maps rewritten
  EXPECT_TRUE(libraries.Scan().empty()) << "pid 100 was scanned already";
  std::vector<FoundLibrary> found = libraries.ScanProcess(100).found;
  ASSERT_EQ(found.size(), 1u) << "libc was reported before: only the new libssl";
  EXPECT_EQ(found[0].kind, SharedLibrary::kLibssl);
  EXPECT_EQ(found[0].path, (root_ / "100" / "root" / "opt" / "app" / "lib" / "libssl.so.3").string());
  EXPECT_TRUE(libraries.ScanProcess(100).found.empty());
  EXPECT_TRUE(libraries.ScanProcess(999).found.empty()) << "a process that is gone";
}

TEST_F(FakeProcWithLibraries, InstalledLibrariesAreReportedOnceAndNotAgainWhenMapped) {
  fs::create_directories(root_ / "usr" / "lib");
  std::ofstream(root_ / "usr" / "lib" / "libssl.so.3") << "elf";
  MappedLibraries libraries(root_.string());
  std::vector<FoundLibrary> found = libraries.ScanInstalled({(root_ / "usr" / "lib").string(),
                                                             (root_ / "missing").string()});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].kind, SharedLibrary::kLibssl);
  // A process mapping that very file later: nothing new to attach.
  fs::create_directories(root_ / "500" / "root" / "usr" / "lib");
  fs::create_hard_link(root_ / "usr" / "lib" / "libssl.so.3",
                       root_ / "500" / "root" / "usr" / "lib" / "libssl.so.3");
  std::ofstream(root_ / "500" / "maps")
      << "7f0000002000-7f0000003000 r-xp 00001000 08:01 5678   /usr/lib/libssl.so.3\n";
  EXPECT_TRUE(libraries.Scan().empty());
}

}  // namespace
}  // namespace otelbpf
