#include "protocols/dns/matcher.h"

#include <algorithm>
#include <utility>

namespace otelbpf::dns {
namespace {

bool SameQuestion(const Exchange& pending, const Question& question) {
  return pending.question_type == question.type && NamesEqual(pending.question_name, question.name);
}

}  // namespace

ExchangeMatcher::ExchangeMatcher(bool over_tcp, MatcherOptions options)
    : over_tcp_(over_tcp), options_(options) {
  options_.max_pending = std::max<size_t>(options_.max_pending, 1);
}

void ExchangeMatcher::OnSent(const Message& message, uint64_t start_ns, uint64_t end_ns) {
  Expire(start_ns);
  if (message.header.is_response || !message.question) {
    ++ignored_messages_;
    return;
  }
  const Question& question = *message.question;
  for (Exchange& pending : pending_) {
    if (pending.id == message.header.id && SameQuestion(pending, question)) {
      ++pending.retransmissions;
      return;
    }
  }
  if (pending_.size() >= options_.max_pending) {
    pending_.erase(pending_.begin());
    ++dropped_queries_;
  }
  Exchange& exchange = pending_.emplace_back();
  exchange.id = message.header.id;
  exchange.question_name = question.name;
  exchange.question_type = question.type;
  exchange.query_start_ns = start_ns;
  exchange.query_end_ns = end_ns;
  exchange.over_tcp = over_tcp_;
}

void ExchangeMatcher::OnReceived(const Message& message, uint64_t start_ns, uint64_t end_ns) {
  Expire(start_ns);
  if (!message.header.is_response) {
    ++ignored_messages_;
    return;
  }
  const auto answers = [&message](const Exchange& pending) {
    return pending.id == message.header.id &&
           (!message.question || SameQuestion(pending, *message.question));
  };
  const auto it = std::find_if(pending_.begin(), pending_.end(), answers);
  if (it == pending_.end()) {
    ++unmatched_responses_;
    return;
  }
  it->response = ResponseInfo{message.rcode, message.header.answer_count, message.header.truncated};
  it->response_start_ns = start_ns;
  it->response_end_ns = end_ns;
  Finish(static_cast<size_t>(it - pending_.begin()), ExchangeError::kNone, end_ns);
}

void ExchangeMatcher::Expire(uint64_t now_ns) {
  for (size_t i = 0; i < pending_.size();) {
    const uint64_t sent = pending_[i].query_start_ns;
    if (now_ns > sent && now_ns - sent > options_.timeout_ns) {
      Finish(i, ExchangeError::kTimeout, sent + options_.timeout_ns);
    } else {
      ++i;
    }
  }
}

void ExchangeMatcher::OnClose(uint64_t ns) {
  while (!pending_.empty())
    Finish(0, ExchangeError::kClosed, std::max(ns, pending_[0].query_end_ns));
}

void ExchangeMatcher::Finish(size_t pending_index, ExchangeError error, uint64_t end_ns) {
  Exchange& exchange = pending_[pending_index];
  exchange.error = error;
  exchange.end_ns = end_ns;
  completed_.push_back(std::move(exchange));
  pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(pending_index));
}

}  // namespace otelbpf::dns
