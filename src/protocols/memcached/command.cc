#include "protocols/memcached/command.h"

#include <algorithm>

namespace otelbpf::memcached {
namespace {

bool IsOneOf(std::string_view word, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), word) != names.end();
}

// Commands that accept a trailing "noreply".
bool TakesNoreply(std::string_view command) {
  return IsOneOf(command, {"set", "add", "replace", "append", "prepend", "cas", "delete", "incr",
                           "decr", "touch", "flush_all", "verbosity", "cache_memlimit"});
}

std::string CommandName(const Line& line) {
  if (!line.word_whole) return {};
  std::string name = line.word;
  for (char& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return {};
  }
  return name;
}

}  // namespace

Request DescribeRequest(const Line& line) {
  Request request;
  request.operation = CommandName(line);
  const std::string_view command = line.word;  // as sent: memcached is case-sensitive
  if (IsOneOf(command, {"get", "gets", "gat", "gats"})) {
    request.shape = ReplyShape::kItems;
    request.counts_items = true;
  } else if (IsOneOf(command, {"stats", "lru_crawler"})) {
    request.shape = ReplyShape::kLines;
  } else if (IsOneOf(command, {"mg", "ms", "md", "ma", "mn", "me"})) {
    request.meta = true;
    // The quiet flag suppresses the common answers (a miss, a success): whether one comes is
    // unknowable here, so none is waited for (see matcher.h).
    if (line.quiet) request.shape = ReplyShape::kNone;
  } else if (command == "quit") {
    request.shape = ReplyShape::kNone;  // the server closes the connection
  } else if (command == "watch") {
    request.watch = true;
  }
  if (line.noreply && TakesNoreply(command)) request.shape = ReplyShape::kNone;
  return request;
}

ReplyKind ClassifyReply(const Line& line) {
  const std::string_view word = line.word;
  if (word == "VALUE") return ReplyKind::kItem;
  if (IsOneOf(word, {"STAT", "ITEM", "PREFIX"}) || word.substr(0, 4) == "key=") {
    return ReplyKind::kEntry;
  }
  if (IsOneOf(word, {"ERROR", "CLIENT_ERROR", "SERVER_ERROR"})) return ReplyKind::kError;
  if (IsOneOf(word, {"VA", "HD", "EN", "NF", "NS", "EX", "MN", "ME"})) return ReplyKind::kMeta;
  return ReplyKind::kOther;
}

}  // namespace otelbpf::memcached
