#include "discovery/x86_returns.h"

#include <capstone/capstone.h>

namespace otelbpf {

std::optional<std::vector<uint32_t>> X86ReturnOffsets(std::span<const uint8_t> code) {
  csh handle;
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) return std::nullopt;
  cs_insn* instruction = cs_malloc(handle);
  std::vector<uint32_t> returns;
  const uint8_t* next = code.data();
  size_t left = code.size();
  uint64_t address = 0;  // offsets from the function's start
  while (left > 0 && cs_disasm_iter(handle, &next, &left, &address, instruction)) {
    if (instruction->id == X86_INS_RET) returns.push_back(static_cast<uint32_t>(instruction->address));
  }
  cs_free(instruction, 1);
  cs_close(&handle);
  if (left > 0) return std::nullopt;  // stopped on bytes that are no instruction
  return returns;
}

}  // namespace otelbpf
