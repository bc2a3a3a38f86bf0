#include "protocols/redis/connection_parser.h"

#include <utility>

#include "protocols/common/db_span.h"

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
  db.index = call.index;
  return db;
}

}  // namespace

RedisParser::RedisParser(const ParserSetup& setup)
    : learned_midstream_(setup.learned_midstream),
      framers_{RespFramer(StreamKind::kUnknown, setup.learned_midstream),
               RespFramer(StreamKind::kUnknown, setup.learned_midstream)} {
  // Joining mid-stream: the first replies may answer commands sent before we watched.
  if (learned_midstream_) matcher_.OnCommandsHidden();
  if (setup.role != ConnectionRole::kUnknown) SetRole(setup.role);
}

void RedisParser::OnData(const Piece& piece) {
  if (closed_) return;
  if (role_ != ConnectionRole::kUnknown && piece.direction != CommandDirection()) {
    matcher_.OnReplyBytes(piece.end_ns);
  }
  RespFramer& framer = framers_[Index(piece.direction)];
  framer.OnData(piece.bytes, piece.length, piece.start_ns, piece.end_ns, piece.tid);
  for (const Frame& frame : framer.frames()) {
    Event event = Summarize(piece.direction, frame);
    if (role_ == ConnectionRole::kUnknown) {
      const ConnectionRole inferred = InferRole(event);
      if (inferred == ConnectionRole::kUnknown) {
        if (early_.size() >= kMaxEarlyMessages) {
          early_.erase(early_.begin());
          early_overflowed_ = true;
        }
        early_.push_back(std::move(event));
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
  const ConnectionRole role = connection.role != ConnectionRole::kUnknown ? connection.role : role_;
  if (role == ConnectionRole::kUnknown) return;
  const ConnectionInfo* info = &connection;
  ConnectionInfo with_role;
  if (connection.role == ConnectionRole::kUnknown) {
    with_role = connection;
    with_role.role = role;
    info = &with_role;
  }
  for (const Call& call : matcher_.completed()) {
    out.push_back(BuildDbExchange(ToDbCall(call, options), *info, options));
  }
  matcher_.completed().clear();
}

ParserCounters RedisParser::counters() const {
  ParserCounters counters;
  counters.parse_errors = framers_[0].parse_errors() + framers_[1].parse_errors();
  counters.unmatched_responses = matcher_.unmatched_replies();
  counters.dropped_requests = matcher_.dropped_commands();
  return counters;
}

Direction RedisParser::CommandDirection() const {
  // A client sends commands; a server receives them.
  return role_ == ConnectionRole::kClient ? Direction::kSend : Direction::kRecv;
}

RedisParser::Event RedisParser::Summarize(Direction direction, const Frame& frame) const {
  Event event;
  event.direction = direction;
  event.lost = frame.kind == Frame::Kind::kSyncLost;
  event.cut = frame.cut;
  event.start_ns = frame.start_ns;
  event.end_ns = frame.end_ns;
  event.tid = frame.tid;
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
  if (!event.could_be_command) {
    // A reply: it travels toward the client.
    return event.direction == Direction::kRecv ? ConnectionRole::kClient : ConnectionRole::kServer;
  }
  if (first && !learned_midstream_) {
    return event.direction == Direction::kSend ? ConnectionRole::kClient : ConnectionRole::kServer;
  }
  return ConnectionRole::kUnknown;
}

void RedisParser::SetRole(ConnectionRole role) {
  role_ = role;
  framers_[Index(CommandDirection())].set_kind(StreamKind::kRequests);
  const Direction replies =
      CommandDirection() == Direction::kSend ? Direction::kRecv : Direction::kSend;
  framers_[Index(replies)].set_kind(StreamKind::kResponses);
  if (early_overflowed_) matcher_.OnCommandsHidden();
  std::vector<Event> early = std::move(early_);
  early_.clear();
  for (Event& event : early) Route(std::move(event));
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
    matcher_.OnCommand(std::move(event.command), event.start_ns, event.end_ns, event.tid);
  } else {
    matcher_.OnReply(event.reply, event.start_ns, event.end_ns, event.cut);
  }
}

std::unique_ptr<ConnectionParser> MakeParser(const ParserSetup& setup) {
  return std::make_unique<RedisParser>(setup);
}

}  // namespace otelbpf::redis
