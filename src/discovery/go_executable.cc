#include "discovery/go_executable.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace otelbpf {
namespace {

bool HasGoBuildInfo(int fd) {
  if (elf_version(EV_CURRENT) == EV_NONE) return false;
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  if (!elf) return false;
  bool go = false;
  size_t names = 0;
  if (elf_kind(elf) == ELF_K_ELF && elf_getshdrstrndx(elf, &names) == 0) {
    for (Elf_Scn* section = elf_nextscn(elf, nullptr); section && !go;
         section = elf_nextscn(elf, section)) {
      GElf_Shdr header;
      if (!gelf_getshdr(section, &header)) continue;
      const char* name = elf_strptr(elf, names, header.sh_name);
      go = name && std::strcmp(name, ".go.buildinfo") == 0;
    }
  }
  elf_end(elf);
  return go;
}

}  // namespace

bool IsGoExecutable(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool go = HasGoBuildInfo(fd);
  close(fd);
  return go;
}

bool GoExecutableCache::IsGo(uint32_t pid) {
  // /proc/PID/exe opens the very file the process runs, also from another mount namespace.
  const std::string exe = proc_root_ + "/" + std::to_string(pid) + "/exe";
  const int fd = open(exe.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  bool go = false;
  if (fstat(fd, &st) == 0) {
    const FileId id{st.st_dev, st.st_ino,
                    static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
    auto it = by_file_.find(id);
    if (it != by_file_.end()) {
      go = it->second;
    } else {
      go = HasGoBuildInfo(fd);
      if (by_file_.size() >= kMaxFiles) by_file_.clear();
      by_file_.emplace(id, go);
    }
  }
  close(fd);
  return go;
}

}  // namespace otelbpf
