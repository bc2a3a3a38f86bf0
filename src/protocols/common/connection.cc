#include "protocols/common/connection.h"

#include <string_view>

namespace otelbpf {
namespace {

// 127.0.0.0/8, ::1, and IPv4 loopback mapped into IPv6, in the text form of Endpoint.
bool IsLoopback(std::string_view address) {
  if (address.rfind("::ffff:", 0) == 0) address.remove_prefix(7);
  return address.rfind("127.", 0) == 0 || address == "::1";
}

}  // namespace

uint32_t StitchingNamespace(const Endpoint& local, const Endpoint& peer, uint32_t netns) {
  const bool both_ends_here =
      (IsLoopback(local.address) && IsLoopback(peer.address)) || local.address == peer.address;
  return both_ends_here ? netns : 0;
}

const char* TcpStateName(uint16_t state) {
  static const char* const kNames[] = {
      "UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",   "TIME_WAIT",
      "CLOSE",   "CLOSE_WAIT",  "LAST_ACK", "LISTEN",   "CLOSING",   "NEW_SYN_RECV"};
  return state < sizeof(kNames) / sizeof(kNames[0]) ? kNames[state] : "UNKNOWN";
}

}  // namespace otelbpf
