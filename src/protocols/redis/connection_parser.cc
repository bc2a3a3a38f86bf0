#include "protocols/redis/connection_parser.h"

#include <utility>

#include "protocols/common/db_exchanges.h"
#include "protocols/common/request_direction.h"

namespace otelbpf::redis {
namespace {

DbCall ToDbCall(const Call& call, const SpanBuildOptions& options) {
  DbCall db;
  db.system = "redis";
  db.operation = call.operation;
  db.query_text =
      options.raw_query_text ? call.text_with_keys : QueryText(call.operation, call.argument_count);
  db.namespace_name = call.namespace_name;
  if (call.connection_reset) {
    db.error_type = "connection_reset";
  } else if (!call.error_code.empty()) {
    db.status_code = call.error_code;
    db.error_type = call.error_code;
  }
  db.start_ns = call.start_ns;
  db.end_ns = call.end_ns;
  db.tid = call.tid;
  db.request_tcp_seq = call.tcp_seq;
  db.index = call.index;
  return db;
}

}  // namespace

RedisParser::RedisParser(const ParserSetup& setup)
    : learned_midstream_(setup.learned_midstream), framers_(setup.learned_midstream) {
  // Joining mid-stream: the first replies may answer commands sent before we watched.
  if (learned_midstream_) matcher_.OnCommandsHidden();
  if (setup.role != ConnectionRole::kUnknown) SetRole(setup.role);
}

void RedisParser::OnData(const Piece& piece) {
  if (closed_) return;
  if (role_ != ConnectionRole::kUnknown && piece.direction != CommandDirection()) {
    matcher_.OnReplyBytes(piece.end_ns);
  }
  RespFramer& framer = framers_[piece.direction];
  framer.OnData(piece.bytes, piece.length, piece.start_ns, piece.end_ns, piece.tid, piece.tcp_seq);
  for (const Frame& frame : framer.frames()) {
    Event event = Summarize(piece.direction, frame);
    if (role_ == ConnectionRole::kUnknown) {
      const ConnectionRole inferred = InferRole(event);
      if (inferred == ConnectionRole::kUnknown) {
        early_.Hold(std::move(event));
        continue;
      }
      SetRole(inferred);
    }
    Route(std::move(event));
  }
  framer.frames().clear();
}

void RedisParser::OnClose(uint64_t ns, bool reset) {
  if (closed_) return;
  closed_ = true;
  matcher_.OnClose(ns, reset);
}

void RedisParser::Expire(uint64_t now_ns) { matcher_.Expire(now_ns); }

void RedisParser::Drain(const ConnectionInfo& connection, const SpanBuildOptions& options,
                        std::vector<ExchangeSpan>& out) {
  DrainDbCalls(
      matcher_.completed(), [&options](const Call& call) { return ToDbCall(call, options); },
      connection, role_, options, out);
}

ParserCounters RedisParser::counters() const {
  ParserCounters counters;
  counters.parse_errors = framers_.parse_errors();
  counters.unmatched_responses = matcher_.unmatched_replies();
  counters.dropped_requests = matcher_.dropped_commands();
  return counters;
}

Direction RedisParser::CommandDirection() const { return roles::RequestDirection(role_); }

RedisParser::Event RedisParser::Summarize(Direction direction, const Frame& frame) const {
  Event event;
  event.direction = direction;
  event.lost = frame.kind == Frame::Kind::kSyncLost;
  event.cut = frame.cut;
  event.start_ns = frame.start_ns;
  event.end_ns = frame.end_ns;
  event.tid = frame.tid;
  event.tcp_seq = frame.tcp_seq;
  if (event.lost) return event;
  event.could_be_command = CouldBeCommand(frame);
  const bool role_known = role_ != ConnectionRole::kUnknown;
  if (!role_known || direction == CommandDirection()) event.command = DescribeCommand(frame);
  if (!role_known || direction != CommandDirection()) event.reply = DescribeReply(frame);
  return event;
}

ConnectionRole RedisParser::InferRole(const Event& event) {
  if (event.lost) return ConnectionRole::kUnknown;
  const bool first = !seen_message_;
  seen_message_ = true;
  if (!event.could_be_command) return roles::RoleSendingReplies(event.direction);
  // Redis servers never speak first.
  if (first && !learned_midstream_) return roles::RoleSendingRequests(event.direction);
  return ConnectionRole::kUnknown;
}

void RedisParser::SetRole(ConnectionRole role) {
  role_ = role;
  framers_.SetRequestDirection(CommandDirection());
  if (early_.overflowed()) matcher_.OnCommandsHidden();
  for (Event& event : early_.Release()) Route(std::move(event));
}

void RedisParser::Route(Event event) {
  const bool commands = event.direction == CommandDirection();
  if (event.lost) {
    if (commands) {
      matcher_.OnCommandsHidden();
    } else {
      matcher_.OnRepliesLost();
    }
    return;
  }
  if (commands) {
    matcher_.OnCommand(std::move(event.command), event.start_ns, event.end_ns, event.tid,
                       event.tcp_seq);
  } else {
    matcher_.OnReply(event.reply, event.start_ns, event.end_ns, event.cut);
  }
}

std::unique_ptr<ConnectionParser> MakeParser(const ParserSetup& setup) {
  return std::make_unique<RedisParser>(setup);
}

}  // namespace otelbpf::redis
