#include "protocols/postgresql/matcher.h"

#include <algorithm>
#include <utility>

#include "protocols/postgresql/messages.h"
#include "protocols/postgresql/wire.h"

namespace otelbpf::postgresql {
namespace {

bool IsWarningClass(std::string_view sqlstate) {
  return sqlstate.substr(0, 2) == "01" || sqlstate.substr(0, 2) == "02";
}

bool IsErrorClass(std::string_view sqlstate) {
  const std::string_view cls = sqlstate.substr(0, 2);
  return cls != "00" && cls != "01";
}

}  // namespace

void ExchangeMatcher::OnStartup(const Message& message) { Push(UnitKind::kStartup, message); }

void ExchangeMatcher::OnFrontend(const Message& message) {
  if (message.kind != Message::Kind::kTyped) return;
  StatementPtr named = std::move(last_named_);
  last_named_ = nullptr;
  switch (message.type) {
    case frontend::kQuery: {
      const std::optional<StatementText> text = ReadQuery(message.body, message.complete);
      if (!text) ++malformed_messages_;
      Push(UnitKind::kQuery, message,
           text ? MakeStatement(text->text, text->complete) : MakeStatement({}, false));
      return;
    }
    case frontend::kParse: {
      const std::optional<ParseFields> fields = ReadParse(message.body, message.complete);
      if (fields) {
        last_named_ = MakeStatement(fields->text.text, fields->text.complete);
        prepared_.Prepare(fields->statement, last_named_);
      } else if (message.complete) {
        ++malformed_messages_;
      }
      Push(UnitKind::kParse, message);
      return;
    }
    case frontend::kBind: {
      const std::optional<BindFields> fields = ReadBind(message.body);
      if (fields) {
        prepared_.Bind(fields->portal, fields->statement);
        last_named_ = prepared_.Portal(fields->portal);
      } else {
        if (message.complete) ++malformed_messages_;
        prepared_.ForgetPortal("");  // most likely the unnamed one; never run a stale text
      }
      Push(UnitKind::kBind, message);
      return;
    }
    case frontend::kExecute: {
      const std::optional<std::string_view> portal = ReadExecute(message.body);
      if (!portal && message.complete) ++malformed_messages_;
      StatementPtr statement = portal ? prepared_.Portal(*portal) : nullptr;
      if (!statement) ++unknown_statements_;
      Push(UnitKind::kExecute, message, std::move(statement));
      return;
    }
    case frontend::kDescribe:
      Push(UnitKind::kDescribe, message);
      return;
    case frontend::kClose: {
      const std::optional<TargetFields> target = ReadTarget(message.body);
      if (target && target->kind == 'S') prepared_.CloseStatement(target->name);
      if (target && target->kind == 'P') prepared_.ClosePortal(target->name);
      if (!target && message.complete) ++malformed_messages_;
      Push(UnitKind::kClose, message);
      return;
    }
    case frontend::kSync:
      Push(UnitKind::kSync, message);
      return;
    case frontend::kFunctionCall:
      Push(UnitKind::kFunctionCall, message);
      return;
    case frontend::kCopyData:
      last_named_ = std::move(named);  // a gap among COPY data hides only more of it
      return;
    default:
      // Flush, Terminate, the end of COPY data, and authentication ('p': never read).
      return;
  }
}

void ExchangeMatcher::OnFrontendGap(const Piece& piece) {
  if (copy_in_) return;
  // The hidden messages may have re-prepared the unnamed statement or rebound portals.
  prepared_.ForgetAfterGap();
  Push(UnitKind::kHiddenByGap, piece.start_ns, piece.tid, std::move(last_named_));
  last_named_ = nullptr;
}

void ExchangeMatcher::OnBackend(const Message& message) {
  if (message.kind != Message::Kind::kTyped) return;
  switch (message.type) {
    case backend::kReadyForQuery:
      OnReadyForQuery(message);
      return;
    case backend::kCommandComplete:
      OnCommandComplete(message);
      return;
    case backend::kErrorResponse:
      OnErrorResponse(message);
      return;
    case backend::kNoticeResponse:
      OnNotice(message);
      return;
    case backend::kDataRow:
      // Rows are counted, never matched: they are too many to search with.
      if (!pending_.empty() && RunsStatements(pending_.front().kind)) ++pending_.front().data_rows;
      return;
    case backend::kEmptyQueryResponse: {
      Unit* unit = Responder({UnitKind::kQuery, UnitKind::kExecute}, message);
      if (unit) EndOperation(*unit, message.end_ns);
      return;
    }
    case backend::kPortalSuspended: {
      Unit* unit = Responder({UnitKind::kExecute}, message);
      if (!unit) return;
      unit->returned_rows = static_cast<int64_t>(unit->data_rows);  // no tag: rows seen
      EndOperation(*unit, message.end_ns);
      return;
    }
    case backend::kRowDescription:
      // A Query's result set, or the answer to a Describe.
      if (!pending_.empty() && pending_.front().kind == UnitKind::kQuery) return;
      Complete(UnitKind::kDescribe, message);
      return;
    case backend::kNoData:
      Complete(UnitKind::kDescribe, message);
      return;
    case backend::kParseComplete:
      Complete(UnitKind::kParse, message);
      return;
    case backend::kBindComplete:
      Complete(UnitKind::kBind, message);
      return;
    case backend::kCloseComplete:
      Complete(UnitKind::kClose, message);
      return;
    case backend::kCopyInResponse:
    case backend::kCopyBothResponse:
      copy_in_ = true;  // the client streams CopyData next: gaps in it hide no requests
      return;
    default:
      // Authentication, BackendKeyData, ParameterStatus, ParameterDescription, notifications,
      // COPY responses and data, FunctionCallResponse (its ReadyForQuery ends the call).
      return;
  }
}

void ExchangeMatcher::OnReadyForQuery(const Message& message) {
  if (!ReadReadyForQuery(message.body, message.complete)) {
    ++malformed_messages_;
    return;
  }
  const auto sync_point = std::find_if(pending_.begin(), pending_.end(),
                                       [](const Unit& unit) { return IsSyncPoint(unit.kind); });
  if (sync_point == pending_.end()) {
    ++unmatched_responses_;
    return;
  }
  copy_in_ = false;
  Unit* unit = Responder({sync_point->kind}, message);
  if (!unit) return;
  if (unit->kind == UnitKind::kQuery) {
    PopFinished(message.end_ns);
  } else {
    pending_.pop_front();
  }
}

void ExchangeMatcher::OnCommandComplete(const Message& message) {
  const std::optional<CommandTag> tag = ReadCommandComplete(message.body, message.complete);
  if (!tag) {
    ++malformed_messages_;
    return;
  }
  copy_in_ = false;
  Unit* unit = Responder({UnitKind::kQuery, UnitKind::kExecute}, message);
  if (!unit) return;
  if (unit->tag_operation.empty()) unit->tag_operation = tag->operation;
  if (tag->returns_rows) unit->returned_rows = unit->returned_rows.value_or(0) + *tag->rows;
  EndOperation(*unit, message.end_ns);
}

void ExchangeMatcher::EndOperation(Unit& unit, uint64_t end_ns) {
  switch (unit.kind) {
    case UnitKind::kExecute:
      PopFinished(end_ns);
      return;
    case UnitKind::kHiddenByGap:
      FinishHidden(unit, end_ns);
      return;
    default:
      return;  // a Query goes on until ReadyForQuery (it may hold several statements)
  }
}

void ExchangeMatcher::Complete(UnitKind kind, const Message& answer) {
  Unit* unit = Responder({kind}, answer);
  if (unit && unit->kind == kind) pending_.pop_front();
}

void ExchangeMatcher::OnErrorResponse(const Message& message) {
  const std::optional<std::string> sqlstate = ReadSqlState(message.body);
  copy_in_ = false;
  if (pending_.empty() || message.end_ns < pending_.front().start_ns) {
    ++unmatched_responses_;
    return;
  }
  Unit& head = pending_.front();
  switch (head.kind) {
    case UnitKind::kHiddenByGap:
      if (!head.failed_batch) {
        SetStatus(head, sqlstate, message.end_ns);
        FinishHidden(head, message.end_ns);
        head.failed_batch = true;  // the backend skips the rest up to the Sync
      }
      return;
    case UnitKind::kQuery:
      if (head.error_type.empty()) SetStatus(head, sqlstate, message.end_ns);
      return;  // ReadyForQuery ends it
    case UnitKind::kExecute:
      SetStatus(head, sqlstate, message.end_ns);
      PopFinished(message.end_ns);
      return;
    case UnitKind::kParse:
    case UnitKind::kBind:
    case UnitKind::kDescribe:
    case UnitKind::kClose: {
      // The rest of the batch is skipped up to its Sync: its first Execute carries the error.
      pending_.pop_front();
      while (!pending_.empty() && !IsSyncPoint(pending_.front().kind) &&
             pending_.front().kind != UnitKind::kExecute) {
        pending_.pop_front();
      }
      if (pending_.empty()) return;
      Unit& next = pending_.front();
      if (next.kind == UnitKind::kExecute) {
        SetStatus(next, sqlstate, message.end_ns);
        PopFinished(message.end_ns);
      } else if (next.kind == UnitKind::kHiddenByGap && !next.failed_batch) {
        SetStatus(next, sqlstate, message.end_ns);  // its Execute was in the gap
        FinishHidden(next, message.end_ns);
        next.failed_batch = true;
      }
      return;
    }
    case UnitKind::kSync:
    case UnitKind::kFunctionCall:
    case UnitKind::kStartup:
      return;  // a commit at Sync, a function, authentication: no operation span to fail
  }
}

void ExchangeMatcher::OnNotice(const Message& message) {
  if (pending_.empty() || !RunsStatements(pending_.front().kind)) return;
  Unit& head = pending_.front();
  if (!head.status_code.empty()) return;
  const std::optional<std::string> sqlstate = ReadSqlState(message.body);
  if (sqlstate && IsWarningClass(*sqlstate)) head.status_code = *sqlstate;
}

void ExchangeMatcher::SetStatus(Unit& unit, const std::optional<std::string>& sqlstate,
                                uint64_t end_ns) {
  unit.error_end_ns = end_ns;
  if (!sqlstate) {
    unit.status_code.clear();
    unit.error_type = "_OTHER";
    return;
  }
  unit.status_code = *sqlstate;
  if (IsErrorClass(*sqlstate)) unit.error_type = *sqlstate;
}

ExchangeMatcher::Unit* ExchangeMatcher::Responder(std::initializer_list<UnitKind> kinds,
                                                  const Message& answer) {
  const auto found = std::find_if(pending_.begin(), pending_.end(), [&](const Unit& unit) {
    return unit.kind == UnitKind::kHiddenByGap ||
           std::find(kinds.begin(), kinds.end(), unit.kind) != kinds.end();
  });
  if (found == pending_.end() || answer.end_ns < found->start_ns) {
    ++unmatched_responses_;
    return nullptr;
  }
  const size_t lost = static_cast<size_t>(found - pending_.begin());
  for (size_t i = 0; i < lost; ++i) PopLost();
  return &pending_.front();
}

void ExchangeMatcher::PopLost() {
  const Unit& unit = pending_.front();
  if (IsOperation(unit.kind)) {
    if (!unit.error_type.empty()) {
      Finish(unit, unit.error_end_ns);  // its error came; only the end was lost
    } else {
      ++dropped_requests_;
    }
  }
  pending_.pop_front();
}

void ExchangeMatcher::FinishHidden(Unit& unit, uint64_t end_ns) {
  Finish(unit, end_ns);
  // The next operation in the gap: its statement is unknown.
  unit.statement = nullptr;
  unit.tag_operation.clear();
  unit.returned_rows.reset();
  unit.data_rows = 0;
  unit.status_code.clear();
  unit.error_type.clear();
}

void ExchangeMatcher::PopFinished(uint64_t end_ns) {
  Finish(pending_.front(), end_ns);
  pending_.pop_front();
}

void ExchangeMatcher::Finish(const Unit& unit, uint64_t end_ns) {
  if (completed_.size() >= kMaxCompletedCalls) {
    completed_.pop_front();  // nobody drains: keep the newest
    ++dropped_requests_;
  }
  CompletedCall call;
  call.statement = unit.statement;
  call.tag_operation = unit.tag_operation;
  call.status_code = unit.status_code;
  call.error_type = unit.error_type;
  call.returned_rows = unit.returned_rows;
  call.start_ns = unit.start_ns;
  call.end_ns = std::max(end_ns, unit.start_ns);
  call.tid = unit.tid;
  call.tcp_seq = unit.tcp_seq;
  call.index = next_index_++;
  completed_.push_back(std::move(call));
}

void ExchangeMatcher::Push(UnitKind kind, const Message& message, StatementPtr statement) {
  Push(kind, message.start_ns, message.tid, std::move(statement), message.tcp_seq);
}

void ExchangeMatcher::Push(UnitKind kind, uint64_t start_ns, uint32_t tid, StatementPtr statement,
                           std::optional<uint32_t> tcp_seq) {
  if (pending_.size() >= kMaxPendingUnits) PopLost();  // answers never come: forget the oldest
  Unit unit;
  unit.kind = kind;
  unit.start_ns = start_ns;
  unit.tid = tid;
  unit.tcp_seq = tcp_seq;
  unit.statement = std::move(statement);
  pending_.push_back(std::move(unit));
}

void ExchangeMatcher::OnClose(uint64_t ns, bool reset) {
  while (!pending_.empty()) {
    Unit& unit = pending_.front();
    if (IsOperation(unit.kind) && unit.error_type.empty() && reset) {
      unit.error_type = "connection_reset";
      unit.error_end_ns = ns;
    }
    PopLost();
  }
}

}  // namespace otelbpf::postgresql
