// What a Redis reply says, as matching and spans need it: whether it failed (and its error
// prefix), the status words some commands answer, and whether it is a pushed message rather than
// a reply at all. Nothing of the reply's text is kept beyond that: error messages can quote keys
// and values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "protocols/redis/command.h"
#include "protocols/redis/resp_framer.h"

namespace otelbpf::redis {

enum class ReplyStatus : uint8_t { kOther, kOk, kQueued, kReset };

struct Reply {
  bool error = false;
  std::string error_code;  // the error's first word ("ERR", "WRONGTYPE", "MOVED"), else "ERR"
  ReplyStatus status = ReplyStatus::kOther;  // simple-string replies
  bool push = false;                         // a RESP3 push ('>'): never the reply to a command
  bool feed_line = false;                    // "+<timestamp> ...": a line of a MONITOR feed
  // ["message"|"pmessage"|"smessage", ...]: published messages, pushed once subscribed.
  bool pubsub_message = false;
  // ["subscribe"|..., channel, :count]: one confirmation per channel of a (un)subscribe command.
  PubSubKind confirmation = PubSubKind::kNone;
  std::optional<int64_t> subscriptions;  // a confirmation's count: subscriptions left
};

Reply DescribeReply(const Frame& frame);

}  // namespace otelbpf::redis
