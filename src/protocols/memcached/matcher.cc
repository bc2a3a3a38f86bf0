#include "protocols/memcached/matcher.h"

#include <algorithm>
#include <utility>

namespace otelbpf::memcached {

using ordered::Answer;

ExchangeMatcher::ExchangeMatcher(size_t max_pending)
    : queue_(max_pending), calls_(kMaxCompletedOperations) {}

void ExchangeMatcher::OnRequest(Request request, uint64_t start_ns, uint64_t end_ns, uint32_t tid,
                                std::optional<uint32_t> tcp_seq) {
  Pending pending;
  pending.request = std::move(request);
  pending.start_ns = start_ns;
  pending.end_ns = end_ns;
  pending.tid = tid;
  pending.tcp_seq = tcp_seq;
  if (queue_.Push(std::move(pending), start_ns)) ++dropped_requests_;
  CompleteSilentFront();
}

void ExchangeMatcher::OnRequestsHidden() { queue_.MarkRequestsHidden(); }

void ExchangeMatcher::OnReplyLine(const Line& line) {
  if (!TrustReplies(line.end_ns)) return;
  if (watching_) return;  // log lines of a watcher connection
  const ReplyKind kind = ClassifyReply(line);
  if (!queue_.empty() && queue_.front().answering) {
    Continue(kind, line);
    return;
  }
  if (kind == ReplyKind::kMeta && (queue_.empty() || !queue_.front().request.meta)) {
    ++unmatched_replies_;  // the answer to a quiet meta command
    return;
  }
  switch (queue_.WhoIsAnswered(line.start_ns)) {
    case Answer::kForgotten:
      return;
    case Answer::kStray:
      ++unmatched_replies_;
      return;
    case Answer::kFront:
      break;
  }
  Continue(kind, line);
}

void ExchangeMatcher::OnRepliesLost(uint64_t end_ns) {
  // A multi-line reply in progress lost its end with them.
  if (!queue_.empty() && queue_.front().answering) TailFront(end_ns);
  queue_.MarkRepliesLost();
}

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
    if (pending.request.shape == ReplyShape::kNone) {
      Complete(std::move(pending), nullptr, false);
    } else if (reset) {
      Operation operation;
      operation.operation = std::move(pending.request.operation);
      operation.connection_reset = true;
      operation.start_ns = pending.start_ns;
      operation.end_ns = std::max(ns, pending.end_ns);
      operation.tid = pending.tid;
      operation.tcp_seq = pending.tcp_seq;
      Publish(std::move(operation));
    } else {
      ++dropped_requests_;
    }
  }
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
    if (stale.request.shape == ReplyShape::kNone) {
      Complete(std::move(stale), nullptr, false);
    } else {
      ++dropped_requests_;
    }
  }
  CompleteSilentFront();
  return true;
}

bool ExchangeMatcher::Continues(const Pending& pending, ReplyKind kind) const {
  return (pending.request.shape == ReplyShape::kItems && kind == ReplyKind::kItem) ||
         (pending.request.shape == ReplyShape::kLines && kind == ReplyKind::kEntry);
}

// The line answers the front request: it continues its multi-line reply, or ends it.
void ExchangeMatcher::Continue(ReplyKind kind, const Line& line) {
  Pending& front = queue_.front();
  if (Continues(front, kind)) {
    front.answering = true;
    if (kind == ReplyKind::kItem) ++front.items;
    if (line.cut) TailFront(line.end_ns);
    return;
  }
  Complete(queue_.PopFront(), &line, /*count_known=*/true);
  CompleteSilentFront();
}

void ExchangeMatcher::Complete(Pending pending, const Line* last, bool count_known) {
  Operation operation;
  operation.operation = std::move(pending.request.operation);
  const bool error = last && ClassifyReply(*last) == ReplyKind::kError;
  if (error) operation.error = last->word;
  if (pending.request.counts_items && count_known && !error)
    operation.returned_rows = pending.items;
  if (pending.request.watch && last && last->word == "OK") watching_ = true;
  operation.start_ns = pending.start_ns;
  operation.end_ns = std::max(last ? last->end_ns : pending.end_ns, pending.end_ns);
  operation.tid = pending.tid;
  operation.tcp_seq = pending.tcp_seq;
  if (last && last->cut) {
    FinishTail();
    calls_.HoldTail(std::move(operation));
    return;
  }
  Publish(std::move(operation));
}

// The front's reply lost its end to a capture gap: it goes on, uncounted, as the tail.
void ExchangeMatcher::TailFront(uint64_t end_ns) {
  Pending pending = queue_.PopFront();
  Operation operation;
  operation.operation = std::move(pending.request.operation);
  operation.start_ns = pending.start_ns;
  operation.end_ns = std::max(end_ns, pending.end_ns);
  operation.tid = pending.tid;
  operation.tcp_seq = pending.tcp_seq;
  FinishTail();
  calls_.HoldTail(std::move(operation));
}

void ExchangeMatcher::CompleteSilentFront() {
  if (calls_.has_tail()) return;  // it ends first: operations stay in request order
  while (!queue_.empty() && queue_.front().request.shape == ReplyShape::kNone) {
    Complete(queue_.PopFront(), nullptr, false);
  }
}

void ExchangeMatcher::FinishTail() {
  if (!calls_.FinishTail()) ++dropped_requests_;
}

void ExchangeMatcher::Publish(Operation operation) {
  if (!calls_.Publish(std::move(operation))) ++dropped_requests_;
}

}  // namespace otelbpf::memcached
