// Where one function's x86-64 machine code returns: the offsets of its RET instructions.
// Uprobes placed there stand in for return probes in Go programs, where uretprobes cannot be
// used (they overwrite the return address on the stack, which Go's stack growth and traceback
// do not survive). Decoded with Capstone, instruction by instruction from the start: a byte
// 0xC3 inside another instruction is not a return, and a probe placed there would corrupt the
// program.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace otelbpf {

// nullopt when the code does not decode to its end (data inside it, or not x86-64): then no
// offset is trustworthy.
std::optional<std::vector<uint32_t>> X86ReturnOffsets(std::span<const uint8_t> code);

}  // namespace otelbpf
