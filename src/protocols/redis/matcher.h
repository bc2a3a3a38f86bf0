// Pairs the commands of one Redis connection with their replies. Redis answers commands strictly
// in order, pipelined or not, so the n-th reply answers the n-th command, except for what is not
// a reply at all or not one per command:
//  - pushed data is never a reply and never a span: published messages (RESP2 arrays "message",
//    "pmessage", "smessage" once the connection subscribed; RESP3 '>' pushes, also client-tracking
//    invalidations) and the feed of a MONITOR connection;
//  - (P|S)SUBSCRIBE and (P|S)UNSUBSCRIBE are answered by one confirmation per channel: the span
//    ends at the last one expected (the first, for an UNSUBSCRIBE of every channel);
//  - CLIENT REPLY OFF|SKIP silences replies: such commands end at their own last byte.
// MULTI/EXEC need nothing special: each queued command is answered "+QUEUED" (so its span ends
// when the server queued it, not when EXEC ran it) and EXEC by the array of their results: each
// is its own span, EXEC included.
//
// The selected database (db.namespace) is known only once a SELECT n was answered +OK on this
// connection (RESET goes back to 0). A SELECT inside MULTI only takes effect at EXEC, whose
// reply is not looked into: such a switch is missed.
//
// Capture loss: see in_order_queue.h. A reply cut by a gap hiding its end (a large array) stays
// open while the lost stream goes on, so that its span covers the whole transfer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocols/common/call_outbox.h"
#include "protocols/common/in_order_queue.h"
#include "protocols/redis/command.h"
#include "protocols/redis/reply.h"

namespace otelbpf::redis {

inline constexpr size_t kMaxPendingCommands = 128;
inline constexpr size_t kMaxCompletedCalls = 1024;  // between two drains
// A reply whose end a gap hid is taken as finished after this long without more of it.
inline constexpr uint64_t kLostReplyQuietNs = 5'000'000'000;

// One operation as observed.
struct Call {
  std::string operation;
  uint64_t argument_count = 0;
  std::string text_with_keys;
  std::string namespace_name;     // the selected database, when known
  std::string error_code;         // error replies: their prefix
  bool connection_reset = false;  // still pending when the connection was reset
  uint64_t start_ns = 0;          // the command's first piece
  uint64_t end_ns = 0;            // the reply's last piece (the command's, without a reply)
  uint32_t tid = 0;
  std::optional<uint32_t> tcp_seq;  // the command's first byte
  uint64_t index = 0;  // 0, 1, 2, ... in command order
};

class ExchangeMatcher {
 public:
  explicit ExchangeMatcher(size_t max_pending = kMaxPendingCommands);

  void OnCommand(Command command, uint64_t start_ns, uint64_t end_ns, uint32_t tid,
                 std::optional<uint32_t> tcp_seq = std::nullopt);
  // A capture gap hid an unknown number of commands.
  void OnCommandsHidden();
  // `cut`: a gap hid the reply's end (it stays open, see above).
  void OnReply(const Reply& reply, uint64_t start_ns, uint64_t end_ns, bool cut);
  // A capture gap hid an unknown number of replies.
  void OnRepliesLost();
  // A piece of the reply stream arrived (before it is framed): a lost reply may still be going.
  void OnReplyBytes(uint64_t end_ns);
  // Ends a lost reply nothing more arrived for (kLostReplyQuietNs). Commands themselves never
  // time out: BLPOP and friends may wait for hours.
  void Expire(uint64_t now_ns);
  // Commands still pending end as connection_reset spans when `reset`, else are dropped.
  void OnClose(uint64_t ns, bool reset);

  // Operations completed so far, in command order (commands whose name was not captured are
  // matched but not reported). The caller consumes and clear()s it.
  std::vector<Call>& completed() { return calls_.completed(); }
  size_t pending() const { return queue_.size(); }

  uint64_t unmatched_replies() const { return unmatched_replies_; }
  uint64_t dropped_commands() const { return dropped_commands_; }

 private:
  struct Pending {
    Command command;
    uint64_t start_ns = 0;
    uint64_t end_ns = 0;
    uint32_t tid = 0;
    std::optional<uint32_t> tcp_seq;
    bool expects_reply = true;
    uint64_t confirmations_left = 0;
  };
  enum class Replies : uint8_t { kOn, kOff, kSkipNext };

  bool ExpectsReply(const Command& command);
  bool TrustReplies(uint64_t end_ns);
  bool IsPushed(const Reply& reply) const;
  void OnConfirmation(const Reply& reply, uint64_t start_ns, uint64_t end_ns, bool cut);
  void ApplyEffects(const Command& command, const Reply& reply);
  void Complete(Pending pending, const std::string& error_code, uint64_t end_ns, bool cut);
  void CompleteSilentFront();
  void FinishTail();
  void Publish(Call call);

  ordered::InOrderQueue<Pending> queue_;
  ordered::CallOutbox<Call> calls_;
  std::string database_;
  bool subscribed_ = false;  // RESP2: published messages arrive as plain arrays
  bool monitoring_ = false;
  Replies replies_ = Replies::kOn;
  uint64_t unmatched_replies_ = 0;
  uint64_t dropped_commands_ = 0;
};

}  // namespace otelbpf::redis
