#include "protocols/memcached/connection_parser.h"

#include <algorithm>
#include <utility>

#include "protocols/common/db_exchanges.h"
#include "protocols/common/request_direction.h"
#include "protocols/memcached/command.h"

namespace otelbpf::memcached {
namespace {

bool IsNumber(std::string_view word) {
  return !word.empty() &&
         std::all_of(word.begin(), word.end(), [](char c) { return c >= '0' && c <= '9'; });
}

DbCall ToDbCall(const Operation& operation) {
  DbCall db;
  db.system = "memcached";
  db.operation = operation.operation;
  db.query_text = operation.operation;  // the command name only: never keys or values
  db.returned_rows = operation.returned_rows;
  if (operation.connection_reset) {
    db.error_type = "connection_reset";
  } else if (!operation.error.empty()) {
    db.status_code = operation.error;
    db.error_type = operation.error;
  }
  db.start_ns = operation.start_ns;
  db.end_ns = operation.end_ns;
  db.tid = operation.tid;
  db.request_tcp_seq = operation.tcp_seq;
  db.index = operation.index;
  return db;
}

}  // namespace

MemcachedParser::MemcachedParser(const ParserSetup& setup)
    : transport_(setup.transport),
      learned_midstream_(setup.learned_midstream),
      framers_(setup.learned_midstream) {
  // Joining mid-stream: the first replies may answer requests sent before we watched.
  if (learned_midstream_) matcher_.OnRequestsHidden();
  if (setup.role != ConnectionRole::kUnknown) SetRole(setup.role);
}

void MemcachedParser::OnData(const Piece& piece) {
  if (closed_ || abandoned_) return;
  std::string_view bytes = piece.bytes;
  uint64_t length = std::max<uint64_t>(piece.length, bytes.size());
  if (transport_ == Transport::kUdp) {
    if (bytes.size() < kUdpFrameHeaderBytes) return;
    bytes.remove_prefix(kUdpFrameHeaderBytes);
    length -= kUdpFrameHeaderBytes;
  }
  if (role_ != ConnectionRole::kUnknown && piece.direction != RequestDirection()) {
    matcher_.OnReplyBytes(piece.end_ns);
  }
  TextFramer& framer = framers_[piece.direction];
  framer.OnData(bytes, length, piece.start_ns, piece.end_ns, piece.tid, piece.tcp_seq);
  for (const Line& line : framer.lines()) {
    if (line.kind == Line::Kind::kBinary) {
      abandoned_ = true;
      break;
    }
    if (role_ == ConnectionRole::kUnknown) {
      const ConnectionRole inferred = InferRole(piece.direction, line);
      if (inferred == ConnectionRole::kUnknown) {
        early_.Hold(Early{piece.direction, line});
        continue;
      }
      SetRole(inferred);
    }
    Route(piece.direction, line);
  }
  framer.lines().clear();
}

void MemcachedParser::OnClose(uint64_t ns, bool reset) {
  if (closed_) return;
  closed_ = true;
  matcher_.OnClose(ns, reset);
}

void MemcachedParser::Expire(uint64_t now_ns) { matcher_.Expire(now_ns); }

void MemcachedParser::Drain(const ConnectionInfo& connection, const SpanBuildOptions& options,
                            std::vector<ExchangeSpan>& out) {
  DrainDbCalls(matcher_.completed(), ToDbCall, connection, role_, options, out);
}

ParserCounters MemcachedParser::counters() const {
  ParserCounters counters;
  counters.parse_errors = framers_.parse_errors();
  counters.unmatched_responses = matcher_.unmatched_replies();
  counters.dropped_requests = matcher_.dropped_requests();
  return counters;
}

Direction MemcachedParser::RequestDirection() const { return roles::RequestDirection(role_); }

ConnectionRole MemcachedParser::InferRole(Direction direction, const Line& line) {
  if (line.kind != Line::Kind::kLine) return ConnectionRole::kUnknown;
  const bool first = !seen_line_;
  seen_line_ = true;
  if (line.word_whole && IsKnownCommand(line.word)) return roles::RoleSendingRequests(direction);
  if (IsReplyKeyword(line.word) || IsNumber(line.word)) return roles::RoleSendingReplies(direction);
  // The client speaks first.
  if (first && !learned_midstream_) return roles::RoleSendingRequests(direction);
  return ConnectionRole::kUnknown;
}

void MemcachedParser::SetRole(ConnectionRole role) {
  role_ = role;
  framers_.SetRequestDirection(RequestDirection());
  if (early_.overflowed()) matcher_.OnRequestsHidden();
  for (const Early& e : early_.Release()) Route(e.direction, e.line);
}

void MemcachedParser::Route(Direction direction, const Line& line) {
  const bool requests = direction == RequestDirection();
  if (line.kind == Line::Kind::kSyncLost) {
    if (requests) {
      matcher_.OnRequestsHidden();
    } else {
      matcher_.OnRepliesLost(line.end_ns);
    }
    return;
  }
  if (requests) {
    matcher_.OnRequest(DescribeRequest(line), line.start_ns, line.end_ns, line.tid, line.tcp_seq);
  } else {
    matcher_.OnReplyLine(line);
  }
}

std::unique_ptr<ConnectionParser> MakeParser(const ParserSetup& setup) {
  return std::make_unique<MemcachedParser>(setup);
}

}  // namespace otelbpf::memcached
