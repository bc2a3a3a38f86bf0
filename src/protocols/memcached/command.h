// What a memcached request asks and what shape of reply it gets (memcached doc/protocol.txt):
// one line for most commands, VALUE items up to END for retrievals, STAT lines up to END for
// stats, nothing at all with "noreply" (or for quit, or quiet meta commands). Only the command
// name is ever reported: keys and values are not even kept.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocols/memcached/text_framer.h"

namespace otelbpf::memcached {

enum class ReplyShape : uint8_t {
  kNone,   // no reply comes: the operation ends with its request
  kLine,   // one line ("STORED", "DELETED", "VERSION 1.6.21", "42", "HD", ...)
  kItems,  // "VALUE ..." items (each with a data block), then "END"
  kLines,  // "STAT ..." lines (or "ITEM", "PREFIX", lru_crawler's "key=..."), then "END"
};

struct Request {
  std::string operation;  // the command, lower case ("get"); empty when not a command name
  ReplyShape shape = ReplyShape::kLine;
  bool meta = false;          // a meta command (mg, ms, md, ma, mn, me): answered by meta codes
  bool counts_items = false;  // get, gets, gat, gats: db.response.returned_rows
  bool watch = false;         // after its "OK" the connection only streams logs
};

Request DescribeRequest(const Line& line);

enum class ReplyKind : uint8_t {
  kItem,   // "VALUE"
  kEntry,  // "STAT", "ITEM", "PREFIX", "key=..."
  kError,  // "ERROR", "CLIENT_ERROR", "SERVER_ERROR"
  kMeta,   // "VA", "HD", "EN", "NF", "NS", "EX", "MN", "ME"
  kOther,  // "END", "STORED", "DELETED", numbers, ...
};

ReplyKind ClassifyReply(const Line& line);

}  // namespace otelbpf::memcached
