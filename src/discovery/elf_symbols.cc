#include "discovery/elf_symbols.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cstring>
#include <set>

namespace otelbpf {
namespace {

// Functions read for their code are small; a symbol claiming more is not read whole.
constexpr uint64_t kMaxSymbolBytes = 1 << 20;

Elf_Scn* FindSymbolTable(Elf* elf, GElf_Shdr* header) {
  for (Elf_Scn* section = elf_nextscn(elf, nullptr); section;
       section = elf_nextscn(elf, section)) {
    if (gelf_getshdr(section, header) && header->sh_type == SHT_SYMTAB) return section;
  }
  return nullptr;
}

// The file offset of `address` in the section that holds it; false for NOBITS (.bss) or when
// the section's header is unreadable.
bool FileOffsetOf(Elf* elf, size_t section_index, uint64_t address, uint64_t* offset) {
  Elf_Scn* section = elf_getscn(elf, section_index);
  GElf_Shdr header;
  if (!section || !gelf_getshdr(section, &header) || header.sh_type == SHT_NOBITS) return false;
  if (address < header.sh_addr || address - header.sh_addr > header.sh_size) return false;
  *offset = address - header.sh_addr + header.sh_offset;
  return true;
}

void ReadBytes(int fd, uint64_t offset, uint64_t size, std::vector<uint8_t>* out) {
  if (size == 0 || size > kMaxSymbolBytes) return;
  out->resize(size);
  if (pread(fd, out->data(), size, static_cast<off_t>(offset)) != static_cast<ssize_t>(size))
    out->clear();
}

}  // namespace

bool ReadElfSymbols(const std::string& path, const std::vector<std::string>& names,
                    std::map<std::string, ElfSymbol>* found, std::string* error) {
  found->clear();
  if (elf_version(EV_CURRENT) == EV_NONE) {
    *error = "libelf is unusable";
    return false;
  }
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = std::string("cannot open: ") + std::strerror(errno);
    return false;
  }
  Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
  bool ok = false;
  GElf_Shdr symtab_header;
  Elf_Scn* symtab = nullptr;
  if (!elf || elf_kind(elf) != ELF_K_ELF) {
    *error = "not an ELF file";
  } else if (!(symtab = FindSymbolTable(elf, &symtab_header))) {
    *error = "no symbol table (stripped)";
  } else if (Elf_Data* data = elf_getdata(symtab, nullptr)) {
    ok = true;
    const std::set<std::string_view> wanted(names.begin(), names.end());
    const size_t count = symtab_header.sh_entsize ? symtab_header.sh_size / symtab_header.sh_entsize : 0;
    for (size_t i = 0; i < count && found->size() < wanted.size(); ++i) {
      GElf_Sym symbol;
      if (!gelf_getsym(data, static_cast<int>(i), &symbol)) continue;
      const char* name = elf_strptr(elf, symtab_header.sh_link, symbol.st_name);
      if (!name || !wanted.count(name) || found->count(name)) continue;
      ElfSymbol out;
      out.address = symbol.st_value;
      // Data in .bss has an address but no bytes in the file.
      if (FileOffsetOf(elf, symbol.st_shndx, symbol.st_value, &out.file_offset))
        ReadBytes(fd, out.file_offset, symbol.st_size, &out.bytes);
      found->emplace(name, std::move(out));
    }
  } else {
    *error = "unreadable symbol table";
  }
  if (elf) elf_end(elf);
  close(fd);
  return ok;
}

}  // namespace otelbpf
