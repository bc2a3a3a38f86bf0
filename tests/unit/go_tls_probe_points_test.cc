// The pieces that place the Go TLS probes (bpf/tls_go.bpf.h): RET instructions found by decoding
// x86-64 byte fixtures (never a 0xC3 inside another instruction), and ELF symbols read from this
// very test binary, whose code in memory must equal the bytes read from the file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "discovery/elf_symbols.h"
#include "discovery/go_tls_functions.h"
#include "discovery/x86_returns.h"

// A function with a name of its own in this binary's .symtab.
extern "C" __attribute__((noinline, used)) int otelbpf_elf_symbols_test_function(int x) {
  return x * 3 + 1;
}

namespace otelbpf {
namespace {

using Bytes = std::vector<uint8_t>;

TEST(X86ReturnOffsets, FindsEachReturnInstruction) {
  EXPECT_EQ(X86ReturnOffsets(Bytes{0xC3}), (std::vector<uint32_t>{0}));
  EXPECT_EQ(X86ReturnOffsets(Bytes{0xC2, 0x08, 0x00}), (std::vector<uint32_t>{0}));  // ret imm16
  EXPECT_EQ(X86ReturnOffsets(Bytes{}), (std::vector<uint32_t>{}));
}

TEST(X86ReturnOffsets, AByteC3InsideAnInstructionIsNoReturn) {
  // mov eax, 0xc3 ; ret
  EXPECT_EQ(X86ReturnOffsets(Bytes{0xB8, 0xC3, 0x00, 0x00, 0x00, 0xC3}), (std::vector<uint32_t>{5}));
  // mov rax, [rip+0xc3c3c3c3] ; nop
  EXPECT_EQ(X86ReturnOffsets(Bytes{0x48, 0x8B, 0x05, 0xC3, 0xC3, 0xC3, 0xC3, 0x90}),
            (std::vector<uint32_t>{}));
}

TEST(X86ReturnOffsets, AGoShapedFunctionWithTwoReturns) {
  // What Go's compiler emits: the stack-bound check against the goroutine (R14), an early
  // return, the epilogue's return, then the morestack call and the jump back, INT3 padding.
  const Bytes code{
      0x49, 0x3B, 0x66, 0x10,              // 0:  cmp rsp, [r14+0x10]
      0x76, 0x11,                          // 4:  jbe 0x17
      0x55,                                // 6:  push rbp
      0x48, 0x89, 0xE5,                    // 7:  mov rbp, rsp
      0x48, 0x85, 0xC0,                    // 10: test rax, rax
      0x75, 0x02,                          // 13: jne 0x11
      0x5D,                                // 15: pop rbp
      0xC3,                                // 16: ret
      0x31, 0xC0,                          // 17: xor eax, eax
      0x5D,                                // 19: pop rbp
      0xC3,                                // 20: ret
      0x90, 0x90,                          // 21: nops
      0xE8, 0x00, 0x00, 0x00, 0x00,        // 23: call runtime.morestack_noctxt
      0xEB, 0xE2,                          // 28: jmp 0
      0xCC, 0xCC,                          // 30: int3 padding
  };
  EXPECT_EQ(X86ReturnOffsets(code), (std::vector<uint32_t>{16, 20}));
}

TEST(X86ReturnOffsets, CodeThatDoesNotDecodeToItsEndGivesNoOffsets) {
  // mov eax, imm32 cut short: a probe placed by guess could land inside an instruction.
  EXPECT_FALSE(X86ReturnOffsets(Bytes{0xC3, 0xB8, 0xC3}).has_value());
}

TEST(ElfSymbols, ReadsAFunctionOfThisBinaryAsItIsInMemory) {
  std::map<std::string, ElfSymbol> found;
  std::string error;
  ASSERT_TRUE(ReadElfSymbols("/proc/self/exe", {"otelbpf_elf_symbols_test_function", "no_such_symbol"},
                             &found, &error))
      << error;
  ASSERT_EQ(found.size(), 1u);
  const ElfSymbol& symbol = found.at("otelbpf_elf_symbols_test_function");
  ASSERT_FALSE(symbol.bytes.empty());
  EXPECT_GT(symbol.file_offset, 0u);
  // The code the file holds at file_offset is the code that runs.
  EXPECT_EQ(std::memcmp(symbol.bytes.data(),
                        reinterpret_cast<const void*>(&otelbpf_elf_symbols_test_function),
                        symbol.bytes.size()),
            0);
  EXPECT_EQ(otelbpf_elf_symbols_test_function(2), 7);
  const auto returns = X86ReturnOffsets(symbol.bytes);
  ASSERT_TRUE(returns.has_value());
  EXPECT_FALSE(returns->empty()) << "a compiled function returns somewhere";
}

TEST(ElfSymbols, NamesWhatItCannotRead) {
  const std::string dir = testing::TempDir();
  const std::string text = dir + "/otelbpf-not-elf";
  std::ofstream(text) << "#!/bin/sh\necho not an ELF file\n";
  std::map<std::string, ElfSymbol> found;
  std::string error;
  EXPECT_FALSE(ReadElfSymbols(text, {"main"}, &found, &error));
  EXPECT_EQ(error, "not an ELF file");
  EXPECT_FALSE(ReadElfSymbols(dir + "/otelbpf-no-such-file", {"main"}, &found, &error));
  EXPECT_NE(error.find("cannot open"), std::string::npos) << error;

  // A stripped copy of this binary: what release builds of Go programs often are.
  const std::string stripped = dir + "/otelbpf-stripped-copy";
  const std::string command = "strip -o '" + stripped + "' /proc/self/exe";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  EXPECT_FALSE(ReadElfSymbols(stripped, {"otelbpf_elf_symbols_test_function"}, &found, &error));
  EXPECT_EQ(error, "no symbol table (stripped)");
  unlink(stripped.c_str());
  unlink(text.c_str());
}

// The one list both `run` and the floor attach: both entries with their itab cookies, then
// every RET of Read.
TEST(GoTlsUprobes, ListsBothEntriesThenReadsReturns) {
  GoTlsProbePoints points;
  points.read = {0x1000, -0x40, {0x1010, 0x1080}};
  points.write = {0x2000, -0x1040, {}};
  const std::vector<GoTlsUprobe> uprobes = GoTlsUprobes(points);
  ASSERT_EQ(uprobes.size(), 4u);
  EXPECT_EQ(uprobes[0].probe, GoTlsProbe::kReadEnter);
  EXPECT_EQ(uprobes[0].file_offset, 0x1000u);
  EXPECT_EQ(uprobes[0].tcp_conn_itab_delta, -0x40);
  EXPECT_EQ(uprobes[1].probe, GoTlsProbe::kWriteEnter);
  EXPECT_EQ(uprobes[1].tcp_conn_itab_delta, -0x1040);
  for (size_t i : {2u, 3u}) EXPECT_EQ(uprobes[i].probe, GoTlsProbe::kReadReturn);
  EXPECT_EQ(uprobes[2].file_offset, 0x1010u);
  EXPECT_EQ(uprobes[3].file_offset, 0x1080u);
}

}  // namespace
}  // namespace otelbpf
