// The requests of one connection waiting for their replies, for protocols whose server answers
// strictly in request order: the n-th reply answers the n-th request, pipelined or not.
//
// Capture loss is what makes this more than a FIFO. Three things can put replies and requests
// out of step, and each leaves a marker so that the next reply is not blindly given to the wrong
// request:
//  - a request forgotten at the cap: its reply will still come, first; it is skipped exactly
//    (`skip_before` on the request after it);
//  - requests hidden by a capture gap in the request stream (how many is unknown): a reply that
//    arrives before the next request we did see was sent cannot answer it (`unknown_before`);
//  - a capture gap in the reply stream (how many replies it hid is unknown): replies are held
//    back (replies_lost()) until a request is sent after the loss; the requests that were already
//    pending then are given up (ResumeReplies), on the assumption of a client that reads a reply
//    before sending its next request. A pipelining client can be misled once per such loss.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

namespace otelbpf::ordered {

// What the next reply answers.
enum class Answer : uint8_t {
  kFront,      // front(): the oldest pending request
  kForgotten,  // a request forgotten at the cap (already counted when forgotten)
  kStray,      // nothing we know of: a request sent before we watched, or hidden by a gap
};

template <typename Request>
class InOrderQueue {
 public:
  explicit InOrderQueue(size_t max_pending) : max_pending_(std::max<size_t>(max_pending, 1)) {}

  // Appends a request sent at `sent_ns`. Returns true when the oldest pending request had to be
  // forgotten to make room (its reply is then skipped when it comes).
  bool Push(Request request, uint64_t sent_ns) {
    bool forgot = false;
    if (entries_.size() >= max_pending_) {
      Entry oldest = std::move(entries_.front());
      entries_.pop_front();
      CarryMarkers(oldest.skip_before + 1, oldest.unknown_before);
      forgot = true;
    }
    Entry& entry = entries_.emplace_back();
    entry.request = std::move(request);
    entry.sent_ns = sent_ns;
    entry.sequence = next_sequence_++;
    entry.skip_before = carry_skip_;
    entry.unknown_before = carry_unknown_;
    carry_skip_ = 0;
    carry_unknown_ = false;
    return forgot;
  }

  // A capture gap hid an unknown number of requests after the last one pushed.
  void MarkRequestsHidden() { carry_unknown_ = true; }

  // A capture gap hid an unknown number of replies. Requests pending now may have been answered
  // in it.
  void MarkRepliesLost() {
    replies_lost_ = true;
    lost_mark_ = next_sequence_;
  }
  bool replies_lost() const { return replies_lost_; }
  // A request sent after the reply stream was lost: its reply is a boundary we can trust again.
  bool RequestSentSinceRepliesLost() const { return next_sequence_ > lost_mark_; }
  // What arrives of the reply stream is still its lost part: replies cannot be trusted yet.
  bool InLostReplies() const { return replies_lost_ && !RequestSentSinceRepliesLost(); }
  // Replies are trusted again: returns, oldest first, the requests that were pending when they
  // were lost (their replies were probably in the gap); the caller ends or counts them.
  std::vector<Request> ResumeReplies() {
    std::vector<Request> stale;
    while (!entries_.empty() && entries_.front().sequence < lost_mark_) {
      stale.push_back(std::move(entries_.front().request));
      entries_.pop_front();
    }
    // Replies of forgotten requests were as likely in the gap: skipping more would be a guess.
    carry_skip_ = 0;
    if (!entries_.empty()) entries_.front().skip_before = 0;
    replies_lost_ = false;
    return stale;
  }

  // Decides what a reply that started at `reply_start_ns` answers, consuming the skip marker it
  // accounts for. On kFront the caller ends or updates front() (PopFront when done).
  Answer WhoIsAnswered(uint64_t reply_start_ns) {
    if (entries_.empty()) {
      if (carry_skip_ > 0) {
        --carry_skip_;
        return Answer::kForgotten;
      }
      return Answer::kStray;
    }
    Entry& front = entries_.front();
    if (front.skip_before > 0) {
      --front.skip_before;
      return Answer::kForgotten;
    }
    if (front.unknown_before) {
      // Replies cannot precede their request: this one answers a request the gap hid.
      if (reply_start_ns < front.sent_ns) return Answer::kStray;
      front.unknown_before = false;
    }
    return Answer::kFront;
  }

  // True when the next reply would certainly be for front() (no marker before it).
  bool FrontIsNext() const {
    return !entries_.empty() && entries_.front().skip_before == 0 &&
           !entries_.front().unknown_before;
  }

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  Request& front() { return entries_.front().request; }
  const Request& front() const { return entries_.front().request; }

  // Removes front() (answered, or needing no answer); markers before it stay before the next.
  Request PopFront() {
    Entry entry = std::move(entries_.front());
    entries_.pop_front();
    CarryMarkers(entry.skip_before, entry.unknown_before);
    return std::move(entry.request);
  }

 private:
  struct Entry {
    Request request{};
    uint64_t sent_ns = 0;
    uint64_t sequence = 0;
    uint64_t skip_before = 0;     // replies of forgotten requests that come before this one's
    bool unknown_before = false;  // hidden requests were sent before this one
  };

  void CarryMarkers(uint64_t skip, bool unknown) {
    if (entries_.empty()) {
      carry_skip_ += skip;
      carry_unknown_ = carry_unknown_ || unknown;
    } else {
      entries_.front().skip_before += skip;
      entries_.front().unknown_before = entries_.front().unknown_before || unknown;
    }
  }

  size_t max_pending_;
  std::deque<Entry> entries_;  // oldest first
  uint64_t next_sequence_ = 0;
  // Markers after the last entry (before the next one pushed; before any reply when empty).
  uint64_t carry_skip_ = 0;
  bool carry_unknown_ = false;
  bool replies_lost_ = false;
  uint64_t lost_mark_ = 0;  // requests with a lower sequence were pending when replies were lost
};

}  // namespace otelbpf::ordered
