#include "protocols/registry.h"

#include <array>

#include "http_capture.h"

// One line per protocol, in enum otelbpf_protocol order: each names the folder (and namespace)
// whose protocol.cc defines `kProtocol`.
#define OTELBPF_FOR_EACH_PROTOCOL(X) \
  X(http1)                           \
  X(dns)                             \
  X(redis)                           \
  X(memcached)                       \
  X(postgresql)                      \
  X(mysql)                           \
  X(http2)

namespace otelbpf {

#define OTELBPF_DECLARE_PROTOCOL(name) \
  namespace name {                     \
  extern const Protocol kProtocol;     \
  }
OTELBPF_FOR_EACH_PROTOCOL(OTELBPF_DECLARE_PROTOCOL)
#undef OTELBPF_DECLARE_PROTOCOL

namespace {
#define OTELBPF_LIST_PROTOCOL(name) &name::kProtocol,
const std::array kProtocols = {OTELBPF_FOR_EACH_PROTOCOL(OTELBPF_LIST_PROTOCOL)};
#undef OTELBPF_LIST_PROTOCOL
static_assert(kProtocols.size() == OTELBPF_PROTO_COUNT - 1,
              "every enum otelbpf_protocol value but UNKNOWN needs one registry line");
}  // namespace

std::span<const Protocol* const> RegisteredProtocols() { return kProtocols; }

const Protocol* ProtocolById(uint8_t id) {
  for (const Protocol* p : kProtocols)
    if (p->id == id && id != OTELBPF_PROTO_UNKNOWN) return p;
  return nullptr;
}

const Protocol* ProtocolByName(std::string_view name) {
  for (const Protocol* p : kProtocols)
    if (p->name == name) return p;
  return nullptr;
}

}  // namespace otelbpf
