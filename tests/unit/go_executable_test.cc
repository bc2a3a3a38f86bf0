// IsGoExecutable on hand-built ELF files: the smallest file libelf accepts, with and without a
// .go.buildinfo section, and files that are not ELF at all.
#include <elf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "discovery/go_executable.h"

namespace otelbpf {
namespace {

// An ELF64 file with no code: the header, a section-name table, and one section named
// `section_name` (no program headers; IsGoExecutable reads section headers only).
std::string TinyElf(const std::string& section_name) {
  const std::string names = std::string("\0.shstrtab\0", 11) + section_name + '\0';
  Elf64_Ehdr header{};
  std::memcpy(header.e_ident, ELFMAG, SELFMAG);
  header.e_ident[EI_CLASS] = ELFCLASS64;
  header.e_ident[EI_DATA] = ELFDATA2LSB;
  header.e_ident[EI_VERSION] = EV_CURRENT;
  header.e_type = ET_EXEC;
  header.e_machine = EM_X86_64;
  header.e_version = EV_CURRENT;
  header.e_ehsize = sizeof(Elf64_Ehdr);
  header.e_shentsize = sizeof(Elf64_Shdr);
  header.e_shnum = 3;
  header.e_shstrndx = 1;
  header.e_shoff = sizeof(Elf64_Ehdr) + ((names.size() + 7) & ~size_t{7});

  Elf64_Shdr sections[3]{};
  sections[1].sh_name = 1;  // ".shstrtab"
  sections[1].sh_type = SHT_STRTAB;
  sections[1].sh_offset = sizeof(Elf64_Ehdr);
  sections[1].sh_size = names.size();
  sections[1].sh_addralign = 1;
  sections[2].sh_name = 11;  // `section_name`
  sections[2].sh_type = SHT_PROGBITS;
  sections[2].sh_offset = sizeof(Elf64_Ehdr);
  sections[2].sh_addralign = 1;

  std::string file(reinterpret_cast<const char*>(&header), sizeof(header));
  file += names;
  file.resize(header.e_shoff, '\0');
  file.append(reinterpret_cast<const char*>(sections), sizeof(sections));
  return file;
}

class GoExecutableTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& bytes) {
    char path[] = "/tmp/otelbpf-go-executable-XXXXXX";
    const int fd = mkstemp(path);
    EXPECT_GE(fd, 0);
    close(fd);
    std::ofstream(path, std::ios::binary) << bytes;
    paths_.push_back(path);
    return path;
  }
  ~GoExecutableTest() override {
    for (const auto& p : paths_) unlink(p.c_str());
  }
  std::vector<std::string> paths_;
};

TEST_F(GoExecutableTest, TheGoBuildInfoSectionMakesAGoProgram) {
  EXPECT_TRUE(IsGoExecutable(Write(TinyElf(".go.buildinfo"))));
  EXPECT_FALSE(IsGoExecutable(Write(TinyElf(".go.buildinfo2"))));
  EXPECT_FALSE(IsGoExecutable(Write(TinyElf(".data"))));
}

TEST_F(GoExecutableTest, AnythingElseIsNotGo) {
  EXPECT_FALSE(IsGoExecutable("/proc/self/exe"));  // this C++ test binary
  EXPECT_FALSE(IsGoExecutable(Write("#!/bin/sh\necho .go.buildinfo\n")));
  EXPECT_FALSE(IsGoExecutable(Write(TinyElf(".go.buildinfo").substr(0, 40))));  // cut short
  EXPECT_FALSE(IsGoExecutable("/nonexistent/otelbpf-test"));
}

TEST(GoExecutableCacheTest, ProcessesAreJudgedByTheFileTheyRun) {
  GoExecutableCache cache;
  EXPECT_FALSE(cache.IsGo(static_cast<uint32_t>(getpid())));
  EXPECT_FALSE(cache.IsGo(static_cast<uint32_t>(getpid())));  // from the cache this time
  EXPECT_FALSE(cache.IsGo(0));                                 // no /proc/0
}

}  // namespace
}  // namespace otelbpf
