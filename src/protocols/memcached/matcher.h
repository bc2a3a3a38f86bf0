// Pairs the requests of one memcached connection with their replies. memcached answers in
// request order, so replies are assembled per request from the lines that come back: one line
// for most commands, VALUE items up to END for get/gets/gat/gats (returned_rows counts them),
// STAT lines up to END for stats; an error line (ERROR, CLIENT_ERROR, SERVER_ERROR) ends any of
// them. Requests answered by nothing ("noreply", quit, quiet meta commands) end at their own last
// byte.
//
// Meta commands in quiet mode may or may not be answered (a hit is, a miss is not). A meta reply
// that comes when no non-quiet meta command waits is dropped as unmatched; one that comes while a
// non-quiet meta command waits is taken as its reply (the "O" opaque flag that would tell them
// apart is not followed).
//
// After "watch" is answered OK the connection carries only log lines: nothing more is matched.
//
// Capture loss: see protocols/common/in_order_queue.h. A reply whose end a gap hid (a multi-get
// of many values in one write) stays open while the lost stream goes on, so that its span covers
// the whole transfer; its item count is then unknown and not reported.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocols/common/call_outbox.h"
#include "protocols/common/in_order_queue.h"
#include "protocols/memcached/command.h"
#include "protocols/memcached/text_framer.h"

namespace otelbpf::memcached {

inline constexpr size_t kMaxPendingRequests = 128;
inline constexpr size_t kMaxCompletedOperations = 1024;  // between two drains
inline constexpr uint64_t kLostReplyQuietNs = 5'000'000'000;

// One operation as observed.
struct Operation {
  std::string operation;
  std::optional<int64_t> returned_rows;
  std::string error;  // "ERROR", "CLIENT_ERROR", "SERVER_ERROR"
  bool connection_reset = false;
  uint64_t start_ns = 0;  // the request's first piece
  uint64_t end_ns = 0;    // the reply's last piece (the request's, without a reply)
  uint32_t tid = 0;
  std::optional<uint32_t> tcp_seq;  // the request's first byte
  uint64_t index = 0;
};

class ExchangeMatcher {
 public:
  explicit ExchangeMatcher(size_t max_pending = kMaxPendingRequests);

  void OnRequest(Request request, uint64_t start_ns, uint64_t end_ns, uint32_t tid,
                 std::optional<uint32_t> tcp_seq = std::nullopt);
  void OnRequestsHidden();
  void OnReplyLine(const Line& line);
  // A capture gap hid an unknown number of reply lines; `end_ns`: the piece it was in.
  void OnRepliesLost(uint64_t end_ns);
  void OnReplyBytes(uint64_t end_ns);
  void Expire(uint64_t now_ns);
  void OnClose(uint64_t ns, bool reset);

  // Operations completed so far, in request order (requests whose name was not a command name
  // are matched but not reported). The caller consumes and clear()s it.
  std::vector<Operation>& completed() { return calls_.completed(); }
  size_t pending() const { return queue_.size(); }

  uint64_t unmatched_replies() const { return unmatched_replies_; }
  uint64_t dropped_requests() const { return dropped_requests_; }

 private:
  struct Pending {
    Request request;
    uint64_t start_ns = 0;
    uint64_t end_ns = 0;
    uint32_t tid = 0;
    std::optional<uint32_t> tcp_seq;
    bool answering = false;  // its multi-line reply has begun
    int64_t items = 0;
  };

  bool TrustReplies(uint64_t end_ns);
  void Continue(ReplyKind kind, const Line& line);
  bool Continues(const Pending& pending, ReplyKind kind) const;
  void Complete(Pending pending, const Line* last, bool count_known);
  void TailFront(uint64_t end_ns);
  void CompleteSilentFront();
  void FinishTail();
  void Publish(Operation operation);

  ordered::InOrderQueue<Pending> queue_;
  ordered::CallOutbox<Operation> calls_;
  bool watching_ = false;
  uint64_t unmatched_replies_ = 0;
  uint64_t dropped_requests_ = 0;
};

}  // namespace otelbpf::memcached
