// Reads named symbols of an ELF file's static symbol table (.symtab): where a function starts,
// its machine code, and the file offset a uprobe is placed at. Go executables keep their
// functions there (they have no dynamic symbols); a stripped file has none.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace otelbpf {

struct ElfSymbol {
  uint64_t address = 0;      // the link-time virtual address (st_value)
  uint64_t file_offset = 0;    // where its bytes are in the file: what uprobes are placed at
  std::vector<uint8_t> bytes;  // its st_size bytes (none for .bss data: 0 offset, no bytes)
};

// The symbols of `names` found in the file's .symtab; names not there are absent. Returns
// false with `error` set when the file cannot be read as ELF or has no .symtab (stripped).
bool ReadElfSymbols(const std::string& path, const std::vector<std::string>& names,
                    std::map<std::string, ElfSymbol>* found, std::string* error);

}  // namespace otelbpf
