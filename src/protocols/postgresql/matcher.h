// Pairs a connection's requests with their responses. The backend answers strictly in order, so
// every frontend message that gets an answer becomes a pending unit, and each backend message
// completes the oldest unit that can produce it:
//
//   Query         ...CommandComplete / ErrorResponse..., ReadyForQuery ends it  -> one span
//   Parse         ParseComplete                Bind      BindComplete
//   Describe      [ParameterDescription] RowDescription / NoData
//   Execute       DataRow..., CommandComplete / EmptyQueryResponse / PortalSuspended -> one span
//   Close         CloseComplete                Sync      ReadyForQuery
//   FunctionCall  FunctionCallResponse, ReadyForQuery
//   StartupMessage  authentication..., ReadyForQuery
//
// Units skipped over by a later answer lost theirs (a capture gap ate it): a Query or Execute
// among them is counted in dropped_requests. A ReadyForQuery with no Sync, Query or
// FunctionCall pending, or an answer that ended before its request began, is unmatched.
//
// Errors. An ErrorResponse fails the oldest unit. In the extended protocol the backend then
// ignores everything up to the next Sync: when the failed unit is a Parse, Bind, Describe or
// Close, the batch's first Execute carries the error (that is the operation the client wanted;
// "bad SQL" would otherwise never show), and the batch's later Executes, which never ran, are
// dropped and counted in dropped_requests rather than reported as failures of their own.
//
// Capture gaps. When a gap in the frontend's stream hid where messages start, whole requests
// may be inside it: a Parse of a text longer than the capture limit usually takes the Bind,
// Execute and Sync written with it into the gap. A placeholder unit stands for what the gap
// hid: it takes every answer no earlier unit takes, each CommandComplete / EmptyQueryResponse /
// PortalSuspended / ErrorResponse in it becomes an operation, and ReadyForQuery ends it. Its
// first operation runs the statement the last visible Parse or Bind named (what clients write
// right before its Execute); later ones get no text. Gaps inside COPY data hide no requests.
//
// Status: the SQLSTATE goes to status_code; error_type is the SQLSTATE unless its class is 00
// (success) or 01 (warning). Class 02 (no data) is an error: the PostgreSQL semantic conventions
// count "Class 02 or higher" as errors. An ErrorResponse whose SQLSTATE was not captured fails
// with error_type "_OTHER". A NoticeResponse of class 01 or 02 during an operation sets its
// status_code (a warning) without failing it. No message text is ever read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <optional>
#include <string>

#include "protocols/postgresql/framer.h"
#include "protocols/postgresql/statements.h"

namespace otelbpf::postgresql {

// One operation (Query or Execute) whose span can be built.
struct CompletedCall {
  StatementPtr statement;     // null: prepared before the connection was watched
  std::string tag_operation;  // the first CommandComplete's command ("SELECT", "INSERT")
  std::string status_code;
  std::string error_type;
  std::optional<int64_t> returned_rows;
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
  uint32_t tid = 0;
  std::optional<uint32_t> tcp_seq;  // the request message's first byte
  uint64_t index = 0;
};

inline constexpr size_t kMaxPendingUnits = 256;
inline constexpr size_t kMaxCompletedCalls = 1024;

class ExchangeMatcher {
 public:
  void OnStartup(const Message& message);
  void OnFrontend(const Message& message);
  // A capture gap in a frontend piece hid message boundaries (see above).
  void OnFrontendGap(const Piece& piece);
  void OnBackend(const Message& message);
  // Pending operations: with `reset` each becomes a span failed with "connection_reset"; on a
  // plain close they are dropped and counted (those that already got an ErrorResponse, e.g. a
  // FATAL one before the server hung up, are reported with it either way).
  void OnClose(uint64_t ns, bool reset);

  // Oldest first; the caller consumes and clear()s it.
  std::deque<CompletedCall>& completed() { return completed_; }

  size_t pending() const { return pending_.size(); }
  uint64_t unmatched_responses() const { return unmatched_responses_; }
  uint64_t dropped_requests() const { return dropped_requests_; }
  uint64_t unknown_statements() const { return unknown_statements_; }
  uint64_t malformed_messages() const { return malformed_messages_; }

 private:
  enum class UnitKind : uint8_t {
    kStartup,
    kQuery,
    kParse,
    kBind,
    kDescribe,
    kExecute,
    kClose,
    kSync,
    kFunctionCall,
    kHiddenByGap,  // whatever a capture gap hid
  };
  struct Unit {
    UnitKind kind = UnitKind::kSync;
    uint64_t start_ns = 0;
    uint32_t tid = 0;
    std::optional<uint32_t> tcp_seq;
    StatementPtr statement;
    std::string tag_operation;
    std::optional<int64_t> returned_rows;
    uint64_t data_rows = 0;
    std::string status_code;
    std::string error_type;
    uint64_t error_end_ns = 0;
    bool failed_batch = false;  // kHiddenByGap: an error came; nothing more runs until Sync
  };

  static bool IsOperation(UnitKind kind) {
    return kind == UnitKind::kQuery || kind == UnitKind::kExecute;
  }
  static bool IsSyncPoint(UnitKind kind) {
    return kind == UnitKind::kSync || kind == UnitKind::kQuery || kind == UnitKind::kFunctionCall ||
           kind == UnitKind::kStartup || kind == UnitKind::kHiddenByGap;
  }

  static bool RunsStatements(UnitKind kind) {
    return IsOperation(kind) || kind == UnitKind::kHiddenByGap;
  }

  void Push(UnitKind kind, const Message& message, StatementPtr statement = nullptr);
  void Push(UnitKind kind, uint64_t start_ns, uint32_t tid, StatementPtr statement,
            std::optional<uint32_t> tcp_seq = std::nullopt);
  // The oldest pending unit of one of `kinds` (or hidden by a gap), after dropping the units
  // before it; null (and counted unmatched) when there is none or the answer ended before the
  // request began.
  Unit* Responder(std::initializer_list<UnitKind> kinds, const Message& answer);
  // The answer `kind` expects: pops that unit (a kHiddenByGap unit stays).
  void Complete(UnitKind kind, const Message& answer);
  // CommandComplete, EmptyQueryResponse or PortalSuspended ended an operation of `unit`.
  void EndOperation(Unit& unit, uint64_t end_ns);
  void PopLost();
  void PopFinished(uint64_t end_ns);
  void Finish(const Unit& unit, uint64_t end_ns);
  // One operation of a kHiddenByGap unit ended; the unit goes on for the next.
  void FinishHidden(Unit& unit, uint64_t end_ns);
  void OnReadyForQuery(const Message& message);
  void OnCommandComplete(const Message& message);
  void OnErrorResponse(const Message& message);
  void OnNotice(const Message& message);
  static void SetStatus(Unit& unit, const std::optional<std::string>& sqlstate, uint64_t end_ns);

  PreparedStatements prepared_;
  StatementPtr last_named_;  // what the last frontend message (Parse, Bind) named, else null
  bool copy_in_ = false;     // the backend asked for COPY data: frontend gaps hide only that
  std::deque<Unit> pending_;
  std::deque<CompletedCall> completed_;
  uint64_t next_index_ = 0;
  uint64_t unmatched_responses_ = 0;
  uint64_t dropped_requests_ = 0;
  uint64_t unknown_statements_ = 0;
  uint64_t malformed_messages_ = 0;
};

}  // namespace otelbpf::postgresql
