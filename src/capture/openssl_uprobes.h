// The OpenSSL functions `otelbpf run` probes for TLS plaintext (bpf/tls_openssl.bpf.h), listed
// once: `otelbpf floor` puts empty programs on exactly these, so it prices run's hooks.
#pragma once

#include <cstdint>

namespace otelbpf {

// Which program of tls_openssl.bpf.h goes on the function (one return program serves all).
enum class OpenSslProbe : uint8_t {
  kReadEnter,
  kWriteEnter,
  kReadExEnter,
  kWriteExEnter,
  kSetFdEnter,
  kFreeEnter,
  kCallReturn,
};

struct OpenSslUprobe {
  OpenSslProbe probe;
  const char* function;
  bool optional;  // a missing symbol is not an error (SSL_read_ex: not in OpenSSL 1.1.0)

  bool on_return() const { return probe == OpenSslProbe::kCallReturn; }
};

inline constexpr OpenSslUprobe kOpenSslUprobes[] = {
    {OpenSslProbe::kReadEnter, "SSL_read", false},
    {OpenSslProbe::kCallReturn, "SSL_read", false},
    {OpenSslProbe::kWriteEnter, "SSL_write", false},
    {OpenSslProbe::kCallReturn, "SSL_write", false},
    {OpenSslProbe::kReadExEnter, "SSL_read_ex", true},
    {OpenSslProbe::kCallReturn, "SSL_read_ex", true},
    {OpenSslProbe::kWriteExEnter, "SSL_write_ex", true},
    {OpenSslProbe::kCallReturn, "SSL_write_ex", true},
    {OpenSslProbe::kSetFdEnter, "SSL_set_fd", true},
    {OpenSslProbe::kFreeEnter, "SSL_free", true},
};

}  // namespace otelbpf
