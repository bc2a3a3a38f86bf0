// What a Redis request asks, as spans and reply matching need it: the operation, the query text,
// and the few commands that change how the connection is answered (SELECT, RESET, MONITOR,
// CLIENT REPLY, the pub/sub family).
//
// Secrets stay home: the query text replaces every argument by "?"; the variant kept for
// raw_query_text keeps only key arguments (command_table.h), never values, and never anything of
// AUTH or HELLO (passwords) or of other keyless commands.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocols/redis/resp_framer.h"

namespace otelbpf::redis {

inline constexpr size_t kMaxOperationBytes = 64;
inline constexpr size_t kMaxQueryTextBytes = 512;  // beyond: " ..."

enum class PubSubKind : uint8_t {
  kNone,
  kSubscribe,
  kPSubscribe,
  kSSubscribe,
  kUnsubscribe,
  kPUnsubscribe,
  kSUnsubscribe,
};
// "subscribe", "PSUBSCRIBE", ...: commands and their confirmations share the name.
PubSubKind PubSubKindOf(std::string_view word);

// CLIENT REPLY ON|OFF|SKIP.
enum class ReplyMode : uint8_t { kUnchanged, kOn, kOff, kSkip };

struct Command {
  std::string operation;        // upper case, with the subcommand of containers: "CONFIG GET"
  uint64_t argument_count = 0;  // arguments after the operation's words
  std::string text_with_keys;   // the query text with key arguments kept (raw_query_text)
  std::string select_index;     // SELECT n: "n" (decimal, no leading zeros)
  PubSubKind pubsub = PubSubKind::kNone;
  ReplyMode reply_mode = ReplyMode::kUnchanged;
  bool reset = false;    // RESET
  bool monitor = false;  // MONITOR
};

// Whether a message may be a command: an inline command, or an array whose elements (those seen)
// are all bulk strings. Anything else can only be a reply.
bool CouldBeCommand(const Frame& frame);

// The command a request message carries. Operation empty when its name is not a plausible
// command name or was not captured.
Command DescribeCommand(const Frame& frame);

// db.query.text without literals: the operation and one "?" per argument ("SET ? ?").
std::string QueryText(std::string_view operation, uint64_t argument_count);

}  // namespace otelbpf::redis
