#include "discovery/go_runtime_functions.h"

#include <map>

#include "discovery/x86_returns.h"

namespace otelbpf {
namespace {

// func newproc1(fn *funcval, callergp *g, callerpc uintptr, ...) *g: the same first arguments
// and result since Go 1.18 (before it, newproc1 took the arguments' size too, and Go < 1.17
// passes arguments on the stack: neither has the register ABI the probes read).
constexpr const char* kNewproc1 = "runtime.newproc1";

}  // namespace

std::optional<std::vector<uint64_t>> ReturnFileOffsets(const ElfSymbol& function,
                                                       const std::string& name, std::string* why) {
  const auto returns = X86ReturnOffsets(function.bytes);
  if (!returns || returns->empty()) {
    *why = name + ": its machine code does not decode as x86-64";
    return std::nullopt;
  }
  std::vector<uint64_t> out;
  for (uint32_t offset : *returns) out.push_back(function.file_offset + offset);
  return out;
}

std::optional<GoSpawnProbePoints> FindGoSpawnProbePoints(const std::string& path,
                                                         std::string* why) {
#if !defined(__x86_64__)
  *why = "goroutine creation probes are implemented for x86-64 only";
  return std::nullopt;
#endif
  std::map<std::string, ElfSymbol> symbols;
  if (!ReadElfSymbols(path, {kNewproc1}, &symbols, why)) return std::nullopt;
  auto newproc1 = symbols.find(kNewproc1);
  if (newproc1 == symbols.end()) {
    *why = "no runtime.newproc1 in its symbols";
    return std::nullopt;
  }
  auto returns = ReturnFileOffsets(newproc1->second, kNewproc1, why);
  if (!returns) return std::nullopt;
  return GoSpawnProbePoints{newproc1->second.file_offset, std::move(*returns)};
}

}  // namespace otelbpf
