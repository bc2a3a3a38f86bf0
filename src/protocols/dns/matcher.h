// Pairs the DNS queries an observed process sends on one socket with the responses it receives
// (the process is the client). Pure: parsed messages and caller-supplied monotonic timestamps
// in, exchanges out; no clocks, no I/O.
//
// A response answers the pending query with the same id and the same question (name compared
// without regard to ASCII case, and type); a response that carries no question (some servers
// answer FORMERR without one) answers the oldest pending query with its id. Nothing is guessed
// beyond that: a response that answers no pending query is only counted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "protocols/dns/exchange.h"
#include "protocols/dns/message.h"

namespace otelbpf::dns {

inline constexpr size_t kDefaultMaxPendingQueries = 64;
inline constexpr uint64_t kDefaultQueryTimeoutNs = 5'000'000'000;  // glibc's default (RES_TIMEOUT)

struct MatcherOptions {
  // Unanswered queries kept per socket; beyond it the oldest is forgotten (dropped_queries).
  size_t max_pending = kDefaultMaxPendingQueries;
  // A query still unanswered this long after it was sent ends as a kTimeout exchange.
  uint64_t timeout_ns = kDefaultQueryTimeoutNs;
};

class ExchangeMatcher {
 public:
  explicit ExchangeMatcher(bool over_tcp, MatcherOptions options = {});

  // `message` must have a valid header (ParseResult::header_ok()); a question that failed to
  // decode is simply absent. Each call first expires what timed out by `start_ns`.
  //
  // A message the observed process sent: a query starts an exchange, or, when an identical one
  // (id, name, type) is pending, counts as its retransmission. Responses sent (the process is a
  // server) and queries without a question are ignored.
  void OnSent(const Message& message, uint64_t start_ns, uint64_t end_ns);
  // A message the observed process received: a response completes the exchange it answers.
  // Queries received are ignored.
  void OnReceived(const Message& message, uint64_t start_ns, uint64_t end_ns);
  // Ends, as kTimeout, every pending query sent more than timeout_ns before `now_ns`. Call it
  // periodically: a query whose socket goes quiet is only expired here or by OnClose.
  void Expire(uint64_t now_ns);
  // The socket closed: every pending query ends as kClosed at `ns`.
  void OnClose(uint64_t ns);

  // Finished exchanges, in the order they ended. The caller consumes and clear()s it.
  std::vector<Exchange>& completed() { return completed_; }
  size_t pending() const { return pending_.size(); }

  // Counters for self-metrics.
  uint64_t unmatched_responses() const { return unmatched_responses_; }
  uint64_t dropped_queries() const { return dropped_queries_; }    // forgotten at the cap
  uint64_t ignored_messages() const { return ignored_messages_; }  // see OnSent / OnReceived

 private:
  void Finish(size_t pending_index, ExchangeError error, uint64_t end_ns);

  bool over_tcp_;
  MatcherOptions options_;
  std::vector<Exchange> pending_;  // oldest first
  std::vector<Exchange> completed_;
  uint64_t unmatched_responses_ = 0;
  uint64_t dropped_queries_ = 0;
  uint64_t ignored_messages_ = 0;
};

}  // namespace otelbpf::dns
