// DNS on one socket of an observed client process: the bytes it sends and receives in, lookups
// (dns::Exchange) out. Glue over the pure pieces: UDP datagrams or TCP framing (tcp_framing.h),
// message parsing (message.h), query/response matching (matcher.h).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "protocols/common/connection.h"
#include "protocols/dns/exchange.h"
#include "protocols/dns/matcher.h"
#include "protocols/dns/tcp_framing.h"

namespace otelbpf::dns {

using otelbpf::Direction;  // of bytes, as seen by the observed process
using otelbpf::Transport;

class SocketStitcher {
 public:
  explicit SocketStitcher(Transport transport, MatcherOptions options = {});

  // One syscall's worth: over UDP one datagram, over TCP a piece of the stream. `captured` is a
  // prefix of the `length` bytes the syscall moved (the kernel copies at most its capture
  // limit); a message cut that way still counts when its header and question were captured.
  void OnData(Direction direction, std::string_view captured, uint64_t length, uint64_t start_ns,
              uint64_t end_ns);
  // See ExchangeMatcher::Expire / OnClose.
  void Expire(uint64_t now_ns) { matcher_.Expire(now_ns); }
  void OnClose(uint64_t ns) { matcher_.OnClose(ns); }

  // Finished lookups, in the order they ended. The caller consumes and clear()s it.
  std::vector<Exchange>& completed() { return matcher_.completed(); }

  // Messages that were not DNS: no header, or a malformed question in bytes that were all
  // captured. (A question cut by the capture limit is not an error, only unusable.)
  uint64_t parse_errors() const { return parse_errors_; }
  const ExchangeMatcher& matcher() const { return matcher_; }
  // Per direction, TCP only (counters: sync losses, skipped bytes).
  const TcpFramer& framer(Direction direction) const { return framers_[Index(direction)]; }

 private:
  static size_t Index(Direction direction) { return static_cast<size_t>(direction); }
  void OnMessage(Direction direction, std::string_view bytes, bool complete, uint64_t start_ns,
                 uint64_t end_ns);

  Transport transport_;
  ExchangeMatcher matcher_;
  TcpFramer framers_[2];
  uint64_t parse_errors_ = 0;
};

}  // namespace otelbpf::dns
