// Messages that arrive before a connection's role is known. Which of them are requests depends on
// the role, so they are held until it is; bounded, the oldest giving way, and overflowed() then
// tells that requests may be missing before the ones held.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace otelbpf::roles {

template <typename Message>
class EarlyMessages {
 public:
  explicit EarlyMessages(size_t max_held) : max_held_(max_held) {}

  void Hold(Message message) {
    if (held_.size() >= max_held_) {
      held_.erase(held_.begin());
      overflowed_ = true;
    }
    held_.push_back(std::move(message));
  }

  bool overflowed() const { return overflowed_; }

  // Everything held, oldest first (nothing is held any more).
  std::vector<Message> Release() {
    std::vector<Message> released = std::move(held_);
    held_.clear();
    return released;
  }

 private:
  size_t max_held_;
  std::vector<Message> held_;
  bool overflowed_ = false;
};

}  // namespace otelbpf::roles
