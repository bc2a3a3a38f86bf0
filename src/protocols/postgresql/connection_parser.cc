#include "protocols/postgresql/connection_parser.h"

#include <optional>
#include <utility>

#include "protocols/common/db_span.h"
#include "protocols/postgresql/messages.h"
#include "protocols/postgresql/query_text.h"
#include "protocols/postgresql/wire.h"

namespace otelbpf::postgresql {
namespace {

constexpr std::string_view kSystem = "postgresql";

// Where the frontend writes, for a known role.
std::optional<Direction> FrontendOf(ConnectionRole role) {
  switch (role) {
    case ConnectionRole::kClient:
      return Direction::kSend;
    case ConnectionRole::kServer:
      return Direction::kRecv;
    case ConnectionRole::kUnknown:
      break;
  }
  return std::nullopt;
}

MessageFramer::Start StartFor(const ParserSetup& setup, Direction direction) {
  if (setup.learned_midstream) {
    // "Mid-stream" may still be the very start: a server process forked after accept() first
    // shows its socket in the child, which then reads the whole conversation. The frontend's
    // first piece tells (exactly one well-formed startup-phase message); the backend's framer
    // follows it (OnStartupPhase) or stays lost.
    const std::optional<Direction> frontend = FrontendOf(setup.role);
    return !frontend || *frontend == direction ? MessageFramer::Start::kProbe
                                               : MessageFramer::Start::kLost;
  }
  switch (setup.role) {
    case ConnectionRole::kClient:
      return direction == Direction::kSend ? MessageFramer::Start::kUntyped
                                           : MessageFramer::Start::kTyped;
    case ConnectionRole::kServer:
      return direction == Direction::kRecv ? MessageFramer::Start::kUntyped
                                           : MessageFramer::Start::kTyped;
    case ConnectionRole::kUnknown:
      break;
  }
  return MessageFramer::Start::kDetect;
}

DbCall ToDbCall(const CompletedCall& call, const std::string& database,
                const SpanBuildOptions& options) {
  DbCall db;
  db.system = kSystem;
  db.namespace_name = database;
  if (call.statement) {
    const sql::Shape& shape = call.statement->shape;
    db.operation = shape.operation;
    db.collection = shape.collection;
    db.query_summary = shape.summary;
    if (!call.statement->text.empty()) {
      db.query_text = ExportedQueryText(call.statement->text, options.raw_query_text);
    }
    // Text too cut or too odd to describe: the server's own word for what it did.
    if (db.operation.empty() && db.query_summary.empty()) db.operation = call.tag_operation;
  } else {
    // Prepared before we watched: never invent a text.
    db.operation = call.tag_operation.empty() ? "EXECUTE" : call.tag_operation;
  }
  db.status_code = call.status_code;
  db.error_type = call.error_type;
  db.returned_rows = call.returned_rows;
  db.start_ns = call.start_ns;
  db.end_ns = call.end_ns;
  db.tid = call.tid;
  db.request_tcp_seq = call.tcp_seq;
  db.index = call.index;
  return db;
}

}  // namespace

PostgresParser::PostgresParser(const ParserSetup& setup)
    : framers_{MessageFramer(StartFor(setup, Direction::kRecv)),
               MessageFramer(StartFor(setup, Direction::kSend))} {
  if (setup.role == ConnectionRole::kClient) LearnFrontend(Direction::kSend);
  if (setup.role == ConnectionRole::kServer) LearnFrontend(Direction::kRecv);
}

void PostgresParser::OnData(const Piece& piece) {
  if (abandoned_ || closed_) return;
  MessageFramer& framer = framers_[Index(piece.direction)];
  DirectionSink sink(*this, piece.direction);
  framer.OnData(piece, sink);
  if (framer.tls()) abandoned_ = true;
}

void PostgresParser::OnMessage(Direction direction, const Message& message) {
  if (abandoned_) return;
  if (!frontend_) {
    const std::optional<Direction> frontend = RevealedFrontend(direction, message);
    if (!frontend) return;  // cannot tell yet which side wrote it
    LearnFrontend(*frontend);
  }
  const bool from_frontend = direction == *frontend_;
  switch (message.kind) {
    case Message::Kind::kUntyped:
      if (from_frontend) OnStartupPhase(message);
      return;
    case Message::Kind::kSingleByte:
      // 'S' / 'G': the rest of the connection is encrypted.
      if (!from_frontend && message.type != kEncryptionRefused) abandoned_ = true;
      return;
    case Message::Kind::kTyped:
      if (from_frontend) {
        matcher_.OnFrontend(message);
      } else {
        matcher_.OnBackend(message);
      }
      return;
  }
}

void PostgresParser::OnStartupPhase(const Message& message) {
  const std::optional<uint32_t> code = UntypedCode(message.body);
  if (!code) return;
  if (*code == kSslRequestCode || *code == kGssEncRequestCode) {
    framers_[Index(Other(*frontend_))].ExpectSingleByteAnswer();
    return;
  }
  if (*code == kCancelRequestCode) return;  // a connection made only to cancel: nothing follows
  // A connection learned mid-stream that proved to be at its start: the backend's answers begin.
  framers_[Index(Other(*frontend_))].ExpectTypedStart();
  std::string database = StartupDatabase(message.body);
  if (IsExportableText(database)) database_ = std::move(database);
  matcher_.OnStartup(message);
}

std::optional<Direction> PostgresParser::RevealedFrontend(Direction direction,
                                                          const Message& message) const {
  switch (message.kind) {
    case Message::Kind::kUntyped:
      return direction;  // only a frontend writes untyped messages
    case Message::Kind::kSingleByte:
      return std::nullopt;  // only expected once the frontend is known
    case Message::Kind::kTyped:
      break;
  }
  switch (message.type) {
    case frontend::kQuery:
      if (ReadQuery(message.body, message.complete)) return direction;
      return std::nullopt;
    case frontend::kParse:
      if (ReadParse(message.body, message.complete)) return direction;
      return std::nullopt;
    case frontend::kBind:
      if (ReadBind(message.body)) return direction;
      return std::nullopt;
    case backend::kReadyForQuery:
      if (ReadReadyForQuery(message.body, message.complete)) return Other(direction);
      return std::nullopt;
    case backend::kRowDescription:
    case backend::kAuthentication:
    case backend::kBackendKeyData:
    case backend::kParseComplete:
    case backend::kBindComplete:
    case backend::kCloseComplete:
    case backend::kNoData:
    case backend::kParameterDescription:
    case backend::kPortalSuspended:
      return Other(direction);
    default:
      return std::nullopt;  // written by both sides, or too rare to decide on
  }
}

void PostgresParser::LearnFrontend(Direction frontend) {
  frontend_ = frontend;
  framers_[Index(frontend)].set_side(Side::kFrontend);
  framers_[Index(Other(frontend))].set_side(Side::kBackend);
}

void PostgresParser::OnClose(uint64_t ns, bool reset) {
  if (closed_) return;
  closed_ = true;
  matcher_.OnClose(ns, reset);
}

void PostgresParser::Drain(const ConnectionInfo& connection, const SpanBuildOptions& options,
                           std::vector<ExchangeSpan>& out) {
  std::deque<CompletedCall>& completed = matcher_.completed();
  if (completed.empty() || !frontend_) return;
  // The span's kind comes from the role: ours when the tracker does not know it yet.
  ConnectionInfo with_role;
  const ConnectionInfo* info = &connection;
  if (connection.role == ConnectionRole::kUnknown) {
    with_role = connection;
    with_role.role = role();
    info = &with_role;
  }
  for (const CompletedCall& call : completed) {
    out.push_back(BuildDbExchange(ToDbCall(call, database_, options), *info, options));
  }
  completed.clear();
}

ConnectionRole PostgresParser::role() const {
  if (!frontend_) return ConnectionRole::kUnknown;
  return *frontend_ == Direction::kSend ? ConnectionRole::kClient : ConnectionRole::kServer;
}

ParserCounters PostgresParser::counters() const {
  ParserCounters c;
  c.parse_errors =
      framers_[0].parse_errors() + framers_[1].parse_errors() + matcher_.malformed_messages();
  c.unmatched_responses = matcher_.unmatched_responses();
  c.dropped_requests = matcher_.dropped_requests();
  c.unknown_statements = matcher_.unknown_statements();
  return c;
}

}  // namespace otelbpf::postgresql
