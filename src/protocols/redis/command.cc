#include "protocols/redis/command.h"

#include <algorithm>
#include <utility>

#include "protocols/common/ascii.h"
#include "protocols/redis/command_table.h"

namespace otelbpf::redis {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr std::string_view kEllipsis = " ...";

// A whole, captured word that can name a command or subcommand ("GET", "FT.SEARCH").
bool IsName(const Element& element) {
  if (element.type != '$' || element.null || element.size == 0) return false;
  if (element.size > kMaxOperationBytes || element.prefix.size() != element.size) return false;
  return std::all_of(element.prefix.begin(), element.prefix.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '|' || c == ':' || c == '-';
  });
}

// Key bytes as text that is safe in an attribute (valid UTF-8, no control characters).
void AppendKey(std::string& out, const Element& key) {
  for (char c : key.prefix) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '\\') {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  if (key.prefix.size() < key.size) out += "...";  // longer than what was kept
}

bool IsKeyArgument(KeyLayout layout, uint64_t index) {
  switch (layout) {
    case KeyLayout::kFirst:
      return index == 0;
    case KeyLayout::kAll:
      return true;
    case KeyLayout::kAlternate:
      return index % 2 == 0;
    case KeyLayout::kNone:
      break;
  }
  return false;
}

// Appends " <word>" unless that would pass the cap; then " ..." once and false.
bool AppendWord(std::string& text, std::string_view word) {
  if (text.size() + 1 + word.size() > kMaxQueryTextBytes) {
    text += kEllipsis;
    return false;
  }
  text += ' ';
  text += word;
  return true;
}

std::string TextWithKeys(const Command& command, const Frame& frame, size_t first_argument) {
  std::string text = command.operation;
  const KeyLayout layout = KeyLayoutOf(command.operation);
  std::string key;
  for (uint64_t i = 0; i < command.argument_count; ++i) {
    const uint64_t at = first_argument + i;
    const Element* argument = at < frame.elements.size() ? &frame.elements[at] : nullptr;
    std::string_view word = "?";
    if (IsKeyArgument(layout, i) && argument && argument->type == '$' && !argument->null) {
      key.clear();
      AppendKey(key, *argument);
      word = key;
    }
    if (!AppendWord(text, word)) break;
  }
  return text;
}

// "SELECT 007" selects database 7.
std::string DatabaseIndex(const Element& argument) {
  const std::string_view digits = argument.prefix;
  if (argument.prefix.size() != argument.size || digits.empty() || digits.size() > 10) return {};
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return {};
  }
  const size_t first = std::min(digits.find_first_not_of('0'), digits.size() - 1);
  return std::string(digits.substr(first));
}

ReplyMode ReplyModeOf(const Element& argument) {
  if (ascii::EqualsIgnoreCase(argument.prefix, "ON")) return ReplyMode::kOn;
  if (ascii::EqualsIgnoreCase(argument.prefix, "OFF")) return ReplyMode::kOff;
  if (ascii::EqualsIgnoreCase(argument.prefix, "SKIP")) return ReplyMode::kSkip;
  return ReplyMode::kUnchanged;
}

}  // namespace

PubSubKind PubSubKindOf(std::string_view word) {
  if (ascii::EqualsIgnoreCase(word, "SUBSCRIBE")) return PubSubKind::kSubscribe;
  if (ascii::EqualsIgnoreCase(word, "PSUBSCRIBE")) return PubSubKind::kPSubscribe;
  if (ascii::EqualsIgnoreCase(word, "SSUBSCRIBE")) return PubSubKind::kSSubscribe;
  if (ascii::EqualsIgnoreCase(word, "UNSUBSCRIBE")) return PubSubKind::kUnsubscribe;
  if (ascii::EqualsIgnoreCase(word, "PUNSUBSCRIBE")) return PubSubKind::kPUnsubscribe;
  if (ascii::EqualsIgnoreCase(word, "SUNSUBSCRIBE")) return PubSubKind::kSUnsubscribe;
  return PubSubKind::kNone;
}

bool CouldBeCommand(const Frame& frame) {
  if (frame.kind != Frame::Kind::kMessage) return false;
  if (frame.type == 'I') return true;
  if (frame.type != '*' || frame.null || frame.count == 0) return false;
  return std::all_of(frame.elements.begin(), frame.elements.end(),
                     [](const Element& e) { return e.type == '$' && !e.null; });
}

Command DescribeCommand(const Frame& frame) {
  Command command;
  if ((frame.type != '*' && frame.type != 'I') || frame.elements.empty()) return command;
  if (!IsName(frame.elements[0])) return command;
  command.operation = ascii::ToUpper(frame.elements[0].prefix);
  size_t first_argument = 1;
  if (IsContainerCommand(command.operation) && frame.elements.size() > 1 &&
      IsName(frame.elements[1])) {
    command.operation += ' ';
    command.operation += ascii::ToUpper(frame.elements[1].prefix);
    first_argument = 2;
  }
  command.argument_count = frame.count > first_argument ? frame.count - first_argument : 0;
  const Element* first = first_argument < frame.elements.size() && command.argument_count > 0
                             ? &frame.elements[first_argument]
                             : nullptr;
  if (command.operation == "SELECT" && first) command.select_index = DatabaseIndex(*first);
  if (command.operation == "CLIENT REPLY" && first) command.reply_mode = ReplyModeOf(*first);
  command.reset = command.operation == "RESET";
  command.monitor = command.operation == "MONITOR";
  command.pubsub = PubSubKindOf(command.operation);
  command.text_with_keys = TextWithKeys(command, frame, first_argument);
  return command;
}

std::string QueryText(std::string_view operation, uint64_t argument_count) {
  if (operation.empty()) return {};
  std::string text(operation);
  for (uint64_t i = 0; i < argument_count; ++i) {
    if (!AppendWord(text, "?")) break;
  }
  return text;
}

}  // namespace otelbpf::redis
