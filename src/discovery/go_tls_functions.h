// Where Go's crypto/tls is probed in one executable (bpf/tls_go.bpf.h): the first instruction
// of crypto/tls.(*Conn).Read and Write, every RET of Read (Write's plaintext is read at its
// entry), and where *net.TCPConn's net.Conn itab lies relative to each function (the probes'
// check that a Conn wraps a TCP socket).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace otelbpf {

struct GoTlsFunction {
  uint64_t entry_offset = 0;              // file offset of the first instruction
  int64_t tcp_conn_itab_delta = 0;        // the itab's address minus the function's
  std::vector<uint64_t> return_offsets;   // file offsets of its RET instructions (Read only)
};

struct GoTlsProbePoints {
  GoTlsFunction read;
  GoTlsFunction write;
};

// The uprobes on them, in one list so that `run` (BpfCapture::AttachGoTls) and the floor
// (agent/floor.cc, which prices the same points with empty programs) cannot drift apart.
enum class GoTlsProbe : uint8_t { kReadEnter, kWriteEnter, kReadReturn };
struct GoTlsUprobe {
  GoTlsProbe probe;
  uint64_t file_offset = 0;
  int64_t tcp_conn_itab_delta = 0;  // the attach cookie of the entry probes (0 for returns)
};
std::vector<GoTlsUprobe> GoTlsUprobes(const GoTlsProbePoints& points);

// The probe points of the Go executable at `path`, or nullopt with `why` set: no symbol table
// (stripped), no crypto/tls or no *net.TCPConn in the program, not x86-64 code, or code that
// does not decode (a probe would then risk landing inside an instruction).
std::optional<GoTlsProbePoints> FindGoTlsProbePoints(const std::string& path, std::string* why);

}  // namespace otelbpf
