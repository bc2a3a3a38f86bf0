// Where goroutine creation is probed in one Go executable (bpf/go_goroutines.bpf.h): the first
// instruction of runtime.newproc1, which every `go` statement reaches, and each of its RET
// instructions (its result, the new goroutine, is read there: uretprobes break Go stacks).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "discovery/elf_symbols.h"

namespace otelbpf {

struct GoSpawnProbePoints {
  uint64_t entry_offset = 0;            // file offset of newproc1's first instruction
  std::vector<uint64_t> return_offsets;  // file offsets of its RET instructions
};

// The file offsets of the RET instructions of `function`, or nullopt (with `why`) when its code
// does not decode as x86-64 to its end (a probe could land inside an instruction).
std::optional<std::vector<uint64_t>> ReturnFileOffsets(const ElfSymbol& function,
                                                       const std::string& name, std::string* why);

// The probe points of the Go executable at `path`, or nullopt with `why` set: stripped, no
// runtime.newproc1 (not Go, or a Go whose runtime names it otherwise), not x86-64 code.
std::optional<GoSpawnProbePoints> FindGoSpawnProbePoints(const std::string& path,
                                                         std::string* why);

}  // namespace otelbpf
