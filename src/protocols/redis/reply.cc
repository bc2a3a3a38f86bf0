#include "protocols/redis/reply.h"

#include <algorithm>
#include <string_view>

namespace otelbpf::redis {
namespace {

constexpr size_t kMaxErrorCodeBytes = 32;

// Redis errors start with an upper-case code ("-WRONGTYPE Operation against ..."); anything
// else is reported as the generic code.
std::string ErrorCode(std::string_view text) {
  const std::string_view word = text.substr(0, text.find_first_of(" \t"));
  const bool code = !word.empty() && word.size() <= kMaxErrorCodeBytes &&
                    std::all_of(word.begin(), word.end(), [](char c) {
                      return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
                    });
  return code ? std::string(word) : std::string("ERR");
}

bool IsStringElement(const Element& element) {
  return (element.type == '$' || element.type == '+') && !element.null &&
         element.prefix.size() == element.size;
}

std::optional<int64_t> ParseCount(const Element& element) {
  if (element.type != ':' || element.prefix.empty() || element.prefix.size() > 18) {
    return std::nullopt;
  }
  int64_t value = 0;
  for (char c : element.prefix) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

Reply DescribeReply(const Frame& frame) {
  Reply reply;
  switch (frame.type) {
    case '-':
    case '!':
      reply.error = true;
      reply.error_code = ErrorCode(frame.head);
      return reply;
    case '+':
      if (frame.head == "OK") reply.status = ReplyStatus::kOk;
      if (frame.head == "QUEUED") reply.status = ReplyStatus::kQueued;
      if (frame.head == "RESET") reply.status = ReplyStatus::kReset;
      reply.feed_line = !frame.head.empty() && frame.head[0] >= '0' && frame.head[0] <= '9';
      return reply;
    case '>':
      reply.push = true;
      break;
    case '*':
      break;
    default:
      return reply;
  }
  if (frame.elements.empty() || !IsStringElement(frame.elements[0])) return reply;
  const std::string_view event = frame.elements[0].prefix;
  reply.pubsub_message = (event == "message" && frame.count == 3) ||
                         (event == "pmessage" && frame.count == 4) ||
                         (event == "smessage" && frame.count == 3);
  // A confirmation ends with an integer, which no reply of strings (LRANGE ...) can.
  if (frame.count == 3 && frame.elements.size() == 3) {
    const std::optional<int64_t> count = ParseCount(frame.elements[2]);
    const PubSubKind kind = PubSubKindOf(event);
    if (count && kind != PubSubKind::kNone) {
      reply.confirmation = kind;
      reply.subscriptions = count;
    }
  }
  return reply;
}

}  // namespace otelbpf::redis
