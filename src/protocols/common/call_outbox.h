// What the matcher of an in-order protocol hands on: its calls, completed in request order and
// numbered, and at most one held back, the "tail": a call whose reply lost its end to a capture
// gap stays open while the rest of that reply may still be arriving, so that its span covers the
// whole transfer. The matcher completes nothing else while a tail is held, so that spans stay in
// request order.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace otelbpf::ordered {

// `Call`: a struct with `operation` (a string), `end_ns` and `index`.
template <typename Call>
class CallOutbox {
 public:
  explicit CallOutbox(size_t max_completed) : max_completed_(max_completed) {}

  // Numbers `call` and adds it to completed(). Returns false, dropping it, past the cap between
  // two drains, or when its operation name was not captured (a gap cut it first): such a call
  // held its place in the order, but a span could not say what it did.
  bool Publish(Call call) {
    if (call.operation.empty() || completed_.size() >= max_completed_) return false;
    call.index = next_index_++;
    completed_.push_back(std::move(call));
    return true;
  }

  bool has_tail() const { return tail_.has_value(); }
  // Holds `call` as the tail, in place of any held before.
  void HoldTail(Call call) { tail_ = std::move(call); }
  // More of the stream the tail's reply was lost in arrived, until `end_ns`.
  void ExtendTail(uint64_t end_ns) {
    if (tail_) tail_->end_ns = std::max(tail_->end_ns, end_ns);
  }
  // Whether a tail is held that nothing more arrived for in longer than `quiet_ns`.
  bool TailQuietFor(uint64_t now_ns, uint64_t quiet_ns) const {
    return tail_ && now_ns > tail_->end_ns && now_ns - tail_->end_ns > quiet_ns;
  }
  // Publishes the tail, if one is held. False when it had to be dropped (see Publish).
  bool FinishTail() {
    if (!tail_) return true;
    Call call = std::move(*tail_);
    tail_.reset();
    return Publish(std::move(call));
  }

  // The caller consumes and clear()s it.
  std::vector<Call>& completed() { return completed_; }

 private:
  size_t max_completed_;
  std::optional<Call> tail_;
  std::vector<Call> completed_;
  uint64_t next_index_ = 0;
};

}  // namespace otelbpf::ordered
