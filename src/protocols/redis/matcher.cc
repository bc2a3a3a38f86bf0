#include "protocols/redis/matcher.h"

#include <algorithm>
#include <utility>

namespace otelbpf::redis {

using ordered::Answer;

ExchangeMatcher::ExchangeMatcher(size_t max_pending)
    : queue_(max_pending), calls_(kMaxCompletedCalls) {}

void ExchangeMatcher::OnCommand(Command command, uint64_t start_ns, uint64_t end_ns, uint32_t tid,
                                std::optional<uint32_t> tcp_seq) {
  Pending pending;
  pending.expects_reply = ExpectsReply(command);
  if (command.pubsub != PubSubKind::kNone) {
    pending.confirmations_left = std::max<uint64_t>(command.argument_count, 1);
  }
  pending.command = std::move(command);
  pending.start_ns = start_ns;
  pending.end_ns = end_ns;
  pending.tid = tid;
  pending.tcp_seq = tcp_seq;
  if (queue_.Push(std::move(pending), start_ns)) ++dropped_commands_;
  CompleteSilentFront();
}

void ExchangeMatcher::OnCommandsHidden() { queue_.MarkRequestsHidden(); }

void ExchangeMatcher::OnReply(const Reply& reply, uint64_t start_ns, uint64_t end_ns, bool cut) {
  if (!TrustReplies(end_ns)) return;
  if (IsPushed(reply)) return;
  if (reply.confirmation != PubSubKind::kNone) {
    OnConfirmation(reply, start_ns, end_ns, cut);
    return;
  }
  switch (queue_.WhoIsAnswered(start_ns)) {
    case Answer::kForgotten:
      return;
    case Answer::kStray:
      ++unmatched_replies_;
      return;
    case Answer::kFront:
      break;
  }
  Pending pending = queue_.PopFront();
  ApplyEffects(pending.command, reply);
  Complete(std::move(pending), reply.error ? reply.error_code : std::string(), end_ns, cut);
  CompleteSilentFront();
}

void ExchangeMatcher::OnRepliesLost() { queue_.MarkRepliesLost(); }

void ExchangeMatcher::OnReplyBytes(uint64_t end_ns) {
  if (queue_.InLostReplies()) calls_.ExtendTail(end_ns);
}

void ExchangeMatcher::Expire(uint64_t now_ns) {
  if (calls_.TailQuietFor(now_ns, kLostReplyQuietNs)) {
    FinishTail();
    CompleteSilentFront();
  }
}

void ExchangeMatcher::OnClose(uint64_t ns, bool reset) {
  FinishTail();
  while (!queue_.empty()) {
    Pending pending = queue_.PopFront();
    const uint64_t own_end_ns = pending.end_ns;
    if (!pending.expects_reply) {
      Complete(std::move(pending), {}, own_end_ns, false);
    } else if (reset) {
      Call call;
      call.operation = std::move(pending.command.operation);
      call.argument_count = pending.command.argument_count;
      call.text_with_keys = std::move(pending.command.text_with_keys);
      call.namespace_name = database_;
      call.connection_reset = true;
      call.start_ns = pending.start_ns;
      call.end_ns = std::max(ns, own_end_ns);
      call.tid = pending.tid;
      call.tcp_seq = pending.tcp_seq;
      Publish(std::move(call));
    } else {
      ++dropped_commands_;
    }
  }
}

bool ExchangeMatcher::ExpectsReply(const Command& command) {
  switch (command.reply_mode) {
    case ReplyMode::kOn:  // answered +OK
      replies_ = Replies::kOn;
      return true;
    case ReplyMode::kOff:  // silent from itself on
      replies_ = Replies::kOff;
      return false;
    case ReplyMode::kSkip:  // silent, and so is the next command
      if (replies_ != Replies::kOff) replies_ = Replies::kSkipNext;
      return false;
    case ReplyMode::kUnchanged:
      break;
  }
  if (command.reset) {  // RESET turns replies back on, and is answered
    replies_ = Replies::kOn;
    return true;
  }
  switch (replies_) {
    case Replies::kOff:
      return false;
    case Replies::kSkipNext:
      replies_ = Replies::kOn;
      return false;
    case Replies::kOn:
      break;
  }
  return true;
}

bool ExchangeMatcher::TrustReplies(uint64_t end_ns) {
  if (queue_.InLostReplies()) {
    // Most likely the rest of the reply that was cut.
    calls_.ExtendTail(end_ns);
    return false;
  }
  if (!queue_.replies_lost()) return true;
  FinishTail();
  for (Pending& stale : queue_.ResumeReplies()) {
    if (stale.expects_reply) {
      ++dropped_commands_;
    } else {
      const uint64_t own_end_ns = stale.end_ns;
      Complete(std::move(stale), {}, own_end_ns, false);
    }
  }
  CompleteSilentFront();
  return true;
}

bool ExchangeMatcher::IsPushed(const Reply& reply) const {
  if (reply.push) return reply.confirmation == PubSubKind::kNone;
  return (reply.pubsub_message && subscribed_) || (reply.feed_line && monitoring_);
}

void ExchangeMatcher::OnConfirmation(const Reply& reply, uint64_t start_ns, uint64_t end_ns,
                                     bool cut) {
  // RESP2 subscribed state: from a confirmation with subscriptions until one with none left.
  if (!reply.push && reply.subscriptions) subscribed_ = *reply.subscriptions > 0;
  // Confirmations beyond those expected (UNSUBSCRIBE of every channel) answer nothing.
  if (queue_.empty() || queue_.front().command.pubsub != reply.confirmation) return;
  switch (queue_.WhoIsAnswered(start_ns)) {
    case Answer::kForgotten:
      return;
    case Answer::kStray:
      ++unmatched_replies_;
      return;
    case Answer::kFront:
      break;
  }
  Pending& front = queue_.front();
  if (front.confirmations_left > 1) {
    --front.confirmations_left;
    return;
  }
  Complete(queue_.PopFront(), {}, end_ns, cut);
  CompleteSilentFront();
}

void ExchangeMatcher::ApplyEffects(const Command& command, const Reply& reply) {
  if (reply.error) return;
  if (!command.select_index.empty() && reply.status == ReplyStatus::kOk) {
    database_ = command.select_index;
  }
  if (command.reset && reply.status == ReplyStatus::kReset) {
    database_.assign(1, '0');  // not = "0": GCC 12 misreports -Wrestrict on it under ASan
    subscribed_ = false;
    monitoring_ = false;
  }
  if (command.monitor && reply.status == ReplyStatus::kOk) monitoring_ = true;
}

void ExchangeMatcher::Complete(Pending pending, const std::string& error_code, uint64_t end_ns,
                               bool cut) {
  Call call;
  call.operation = std::move(pending.command.operation);
  call.argument_count = pending.command.argument_count;
  call.text_with_keys = std::move(pending.command.text_with_keys);
  call.namespace_name = database_;
  call.error_code = error_code;
  call.start_ns = pending.start_ns;
  call.end_ns = std::max(end_ns, pending.end_ns);
  call.tid = pending.tid;
  call.tcp_seq = pending.tcp_seq;
  if (cut) {
    calls_.HoldTail(std::move(call));
    return;
  }
  Publish(std::move(call));
}

void ExchangeMatcher::CompleteSilentFront() {
  if (calls_.has_tail()) return;  // it ends first: spans stay in command order
  while (!queue_.empty() && !queue_.front().expects_reply) {
    Pending pending = queue_.PopFront();
    const uint64_t end_ns = pending.end_ns;
    Complete(std::move(pending), {}, end_ns, false);
  }
}

void ExchangeMatcher::FinishTail() {
  if (!calls_.FinishTail()) ++dropped_commands_;
}

void ExchangeMatcher::Publish(Call call) {
  if (!calls_.Publish(std::move(call))) ++dropped_commands_;
}

}  // namespace otelbpf::redis
