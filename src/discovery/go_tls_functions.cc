#include "discovery/go_tls_functions.h"

#include <map>

#include "discovery/elf_symbols.h"
#include "discovery/go_runtime_functions.h"

namespace otelbpf {
namespace {

constexpr const char* kRead = "crypto/tls.(*Conn).Read";
constexpr const char* kWrite = "crypto/tls.(*Conn).Write";
// The linker's name for the itab, before Go 1.20 and since.
constexpr const char* kTcpConnItabs[] = {"go.itab.*net.TCPConn,net.Conn",
                                         "go:itab.*net.TCPConn,net.Conn"};

std::optional<GoTlsFunction> Locate(const ElfSymbol& function, uint64_t itab_address,
                                    bool with_returns, std::string* why, const char* name) {
  GoTlsFunction out;
  out.entry_offset = function.file_offset;
  out.tcp_conn_itab_delta = static_cast<int64_t>(itab_address - function.address);
  if (!with_returns) return out;
  auto returns = ReturnFileOffsets(function, name, why);
  if (!returns) return std::nullopt;
  out.return_offsets = std::move(*returns);
  return out;
}

}  // namespace

std::optional<GoTlsProbePoints> FindGoTlsProbePoints(const std::string& path, std::string* why) {
#if !defined(__x86_64__)
  *why = "Go TLS probes are implemented for x86-64 only";
  return std::nullopt;
#endif
  std::map<std::string, ElfSymbol> symbols;
  if (!ReadElfSymbols(path, {kRead, kWrite, kTcpConnItabs[0], kTcpConnItabs[1]}, &symbols, why))
    return std::nullopt;
  auto read = symbols.find(kRead), write = symbols.find(kWrite);
  if (read == symbols.end() || write == symbols.end()) {
    *why = "it does not use crypto/tls";
    return std::nullopt;
  }
  auto itab = symbols.find(kTcpConnItabs[0]);
  if (itab == symbols.end()) itab = symbols.find(kTcpConnItabs[1]);
  if (itab == symbols.end()) {
    *why = "its TLS does not run over net.TCPConn";
    return std::nullopt;
  }
  auto read_points = Locate(read->second, itab->second.address, true, why, kRead);
  if (!read_points) return std::nullopt;
  auto write_points = Locate(write->second, itab->second.address, false, why, kWrite);
  if (!write_points) return std::nullopt;
  return GoTlsProbePoints{std::move(*read_points), std::move(*write_points)};
}

std::vector<GoTlsUprobe> GoTlsUprobes(const GoTlsProbePoints& points) {
  std::vector<GoTlsUprobe> out{
      {GoTlsProbe::kReadEnter, points.read.entry_offset, points.read.tcp_conn_itab_delta},
      {GoTlsProbe::kWriteEnter, points.write.entry_offset, points.write.tcp_conn_itab_delta}};
  for (uint64_t ret : points.read.return_offsets) out.push_back({GoTlsProbe::kReadReturn, ret, 0});
  return out;
}

}  // namespace otelbpf
