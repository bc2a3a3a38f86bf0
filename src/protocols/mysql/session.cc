#include "protocols/mysql/session.h"

#include <utility>

#include "protocols/mysql/constants.h"
#include "protocols/mysql/handshake.h"
#include "protocols/mysql/server_packets.h"

namespace otelbpf::mysql {
namespace {

bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

bool IsIdentifierChar(char c) {
  const auto u = static_cast<uint8_t>(c);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$' || u >= 0x80;
}

// The database of a "USE db" statement (bare or `quoted`), which changes the default database
// like COM_INIT_DB does. Servers that track the schema also report it in the OK packet; this
// covers connections without CLIENT_SESSION_TRACK.
std::optional<std::string> UseStatementSchema(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && IsSpace(text[i])) ++i;
  if (text.size() - i < 4) return std::nullopt;
  const std::string_view keyword = text.substr(i, 3);
  if ((keyword[0] | 0x20) != 'u' || (keyword[1] | 0x20) != 's' || (keyword[2] | 0x20) != 'e' ||
      !IsSpace(text[i + 3]))
    return std::nullopt;
  i += 3;
  while (i < text.size() && IsSpace(text[i])) ++i;
  std::string name;
  if (i < text.size() && text[i] == '`') {
    for (++i; i < text.size(); ++i) {
      if (text[i] == '`') {
        if (i + 1 < text.size() && text[i + 1] == '`') {
          name.push_back('`');
          ++i;
          continue;
        }
        break;
      }
      name.push_back(text[i]);
    }
    if (i >= text.size()) return std::nullopt;  // unterminated
    ++i;
  } else {
    while (i < text.size() && IsIdentifierChar(text[i])) name.push_back(text[i++]);
  }
  while (i < text.size() && (IsSpace(text[i]) || text[i] == ';')) ++i;
  if (name.empty() || i != text.size() || name.size() > kMaxNamespaceBytes) return std::nullopt;
  return name;
}

bool Succeeded(const ResponseOutcome& outcome) { return !outcome.failed; }

}  // namespace

Session::Session(bool joined_midstream)
    : phase_(joined_midstream ? Phase::kCommands : Phase::kGreeting) {}

bool Session::OnClientMessage(const Message& m) {
  if (abandoned_ || phase_ == Phase::kClosed) return true;
  switch (phase_) {
    case Phase::kGreeting:
      // Clients of the classic protocol never speak first (the X Protocol's do).
      abandoned_ = true;
      return true;
    case Phase::kHandshakeResponse:
      if (m.first_seq == 1) return OnHandshakeResponse(m);
      phase_ = Phase::kCommands;  // its response was missed: commands follow
      return OnCommand(m);
    default:
      return OnCommand(m);
  }
}

bool Session::OnClientMessageStart(const Message& start) {
  if (phase_ == Phase::kGreeting && !abandoned_) {
    abandoned_ = true;  // see OnClientMessage
    return true;
  }
  const uint8_t seq = start.first_seq;
  if (abandoned_ || phase_ != Phase::kCommands || seq == 0 || pending_.empty()) return true;
  const Pending& head = pending_.front();
  if (head.dark || head.reader.TakesClientSeq(seq)) return true;
  ++protocol_errors_;
  return false;
}

bool Session::OnServerMessageStart(const Message& start) {
  const uint8_t seq = start.first_seq;
  if (phase_ == Phase::kGreeting && (seq != 0 || start.length > kMaxGreetingBytes)) {
    abandoned_ = true;  // see OnGreeting
    return true;
  }
  if (abandoned_ || phase_ != Phase::kCommands || drop_server_position_) return true;
  if (pending_.empty()) {
    if (seq == optional_eof_seq_) return true;
    if (!unmatched_counted_) ++unmatched_responses_;  // nothing asked for it
    unmatched_counted_ = true;
    return false;
  }
  const Pending& head = pending_.front();
  if (head.dark || seq == head.reader.next_seq() || seq == optional_eof_seq_) return true;
  ++protocol_errors_;
  return false;
}

bool Session::OnGreeting(const Message& m) {
  if (m.first_seq == 0 && m.first_byte() == kErrHeader) {
    phase_ = Phase::kClosed;  // refused (too many connections, host blocked)
    return true;
  }
  const std::optional<Greeting> greeting =
      m.first_seq == 0 ? ParseGreeting(m.payload) : std::nullopt;
  if (!greeting) {
    abandoned_ = true;  // a new connection that does not open with a greeting is not MySQL
    return true;
  }
  system_ = greeting->system;
  server_capabilities_ = greeting->capabilities;
  phase_ = Phase::kHandshakeResponse;
  return true;
}

bool Session::OnHandshakeResponse(const Message& m) {
  const std::optional<HandshakeResponse> response = ParseHandshakeResponse(m.payload);
  if (!response) {
    ++protocol_errors_;
    return false;
  }
  if (response->ssl_request ||
      (response->capabilities & (capability::kCompress | capability::kZstdCompression))) {
    // TLS, or compressed packets after authentication: nothing more this parser can read.
    abandoned_ = true;
    return true;
  }
  client_capabilities_ = response->capabilities;
  const uint32_t agreed = response->capabilities & server_capabilities_.value_or(~0u);
  facts_.deprecate_eof = (agreed & capability::kDeprecateEof) != 0;
  facts_.session_track = (agreed & capability::kSessionTrack) != 0;
  query_attributes_ = (agreed & capability::kQueryAttributes) != 0;
  if (response->database)
    handshake_database_ = std::string(response->database->substr(0, kMaxNamespaceBytes));
  Pending auth(ResponseShape::kAuth, m.next_seq);
  auth.start_ns = m.start_ns;
  auth.tid = m.tid;
  auth.traced = false;
  pending_.push_back(std::move(auth));
  phase_ = Phase::kCommands;
  return true;
}

bool Session::OnCommand(const Message& m) {
  if (!pending_.empty()) {
    Pending& head = pending_.front();
    // LOCAL INFILE contents and authentication data belong to the exchange under way.
    if (head.dark && m.first_seq != 0) return true;
    if (!head.dark && head.reader.TakesClientMessage(m)) {
      head.reader.OnClientMessage(m);
      return true;
    }
  }
  if (m.first_seq != 0) {
    ++protocol_errors_;
    return false;
  }
  const std::optional<Request> request = ParseRequest(m.payload, query_attributes_);
  if (!request) {
    ++protocol_errors_;
    return false;
  }
  const CommandInfo* info = FindCommand(request->command);
  if (!info->followed) {
    abandoned_ = true;  // a replication or clone stream
    return true;
  }
  FinishDarkResponses();
  Pending p(info->response, m.next_seq);
  p.info = info;
  p.command = request->command;
  p.statement_id = request->statement_id;
  p.start_ns = m.start_ns;
  p.tid = m.tid;
  p.tcp_seq = m.tcp_seq;
  switch (request->command) {
    case command::kQuery:
    case command::kStmtPrepare:
      p.text = std::string(request->text.substr(0, kMaxStatementTextBytes));
      break;
    case command::kInitDb:
    case command::kFieldList:
      p.text = std::string(request->text.substr(0, kMaxNamespaceBytes));
      break;
    case command::kChangeUser:
      if (std::optional<std::string_view> db = ChangeUserDatabase(m.payload, client_capabilities_))
        p.change_user_database = std::string(db->substr(0, kMaxNamespaceBytes));
      break;
    default:
      break;
  }
  Enqueue(std::move(p));
  return true;
}

void Session::Enqueue(Pending p) {
  if (pending_.size() >= kMaxPendingCommands) {
    // A client that never reads: forget what it waits for rather than grow. The responses
    // still coming would answer the wrong commands, so the server's direction starts over.
    for (const Pending& old : pending_)
      if (old.traced) ++dropped_requests_;
    pending_.clear();
    traced_pending_ = 0;
    drop_server_position_ = true;
  }
  if (p.info->response != ResponseShape::kNone) {
    if (traced_pending_ >= kMaxTracedPendingCommands) {
      p.traced = false;  // its response is still framed, but it becomes no span
      p.text.clear();
      ++dropped_requests_;
    } else {
      ++traced_pending_;
    }
  } else {
    p.traced = false;
  }
  pending_.push_back(std::move(p));
  ApplyCommandsWithoutResponse();
}

bool Session::OnServerMessage(const Message& m) {
  if (abandoned_ || phase_ == Phase::kClosed) return true;
  if (phase_ == Phase::kGreeting) return OnGreeting(m);
  if (drop_server_position_) {
    drop_server_position_ = false;
    return false;
  }
  if (optional_eof_seq_) {
    const uint8_t seq = *optional_eof_seq_;
    optional_eof_seq_.reset();
    if (IsEofPacket(m) && m.first_seq == seq) {
      facts_.deprecate_eof = false;
      return true;
    }
    if (!facts_.deprecate_eof.has_value()) facts_.deprecate_eof = true;
  }
  if (phase_ == Phase::kHandshakeResponse || pending_.empty()) {
    // Nothing asked for it: an unsolicited ERR before the server closes, or the rest of a
    // response whose command was not seen.
    if (!unmatched_counted_) ++unmatched_responses_;
    unmatched_counted_ = true;
    return false;
  }
  unmatched_counted_ = false;
  Pending& head = pending_.front();
  head.response_seen = true;
  head.last_response_ns = m.end_ns;
  switch (head.reader.OnServerMessage(m, facts_)) {
    case ResponseReader::Step::kMore:
      return true;
    case ResponseReader::Step::kMalformed:
      ++protocol_errors_;
      return false;
    case ResponseReader::Step::kDone:
      break;
  }
  if (head.reader.may_end_with_eof()) optional_eof_seq_ = head.reader.next_seq();
  Pending done = std::move(head);
  pending_.pop_front();
  if (done.traced) --traced_pending_;
  Complete(done, m.end_ns);
  ApplyCommandsWithoutResponse();
  return true;
}

void Session::OnServerLost(uint64_t end_ns) {
  optional_eof_seq_.reset();
  if (pending_.empty()) return;
  for (Pending& p : pending_) p.dark = true;
  pending_.front().response_seen = true;
  pending_.front().last_response_ns = end_ns;
}

void Session::OnServerSkipped(uint64_t end_ns) {
  if (pending_.empty()) {
    if (!unmatched_counted_) ++unmatched_responses_;
    unmatched_counted_ = true;
    return;
  }
  OnServerLost(end_ns);
}

std::optional<Session::ExpectedResponse> Session::ExpectedResponseStart() const {
  if (pending_.empty() || pending_.front().dark || phase_ != Phase::kCommands) return std::nullopt;
  const Pending& head = pending_.front();
  return ExpectedResponse{head.response_seq,
                          head.info ? head.info->response : ResponseShape::kAuth};
}

void Session::FinishDarkResponses() {
  while (!pending_.empty() && pending_.front().dark) {
    Pending p = std::move(pending_.front());
    pending_.pop_front();
    if (p.traced) --traced_pending_;
    if (p.info == nullptr) {
      // The client sends commands: its authentication succeeded.
      if (handshake_database_) namespace_ = *handshake_database_;
      handshake_database_.reset();
    } else if (p.info->response == ResponseShape::kNone) {
      ApplyWithoutResponse(p);
    } else if (p.response_seen) {
      // Its outcome was not readable; that it ended is all that is known.
      if (p.traced) {
        Call call = BaseCall(p);
        call.end_ns = p.last_response_ns;
        Record(std::move(call));
      }
    } else if (p.traced) {
      ++dropped_requests_;
    }
  }
}

Call Session::BaseCall(const Pending& p) {
  Call call;
  call.command = p.command;
  call.namespace_name = namespace_;
  call.start_ns = p.start_ns;
  call.tid = p.tid;
  call.tcp_seq = p.tcp_seq;
  switch (p.command) {
    case command::kQuery:
    case command::kStmtPrepare:
      call.statement = p.text;
      break;
    case command::kInitDb:
      call.namespace_name = p.text;  // the database it is about, switched to or not
      break;
    case command::kFieldList:
      call.table = p.text;
      break;
    case command::kStmtExecute:
    case command::kStmtBulkExecute:
    case command::kStmtFetch: {
      const std::optional<uint32_t> id = ResolveStatementId(p);
      if (const std::string* text = id ? statements_.Find(*id) : nullptr) {
        call.statement = *text;
      } else if (p.command != command::kStmtFetch) {
        call.unknown_statement = true;  // prepared before we watched
        ++unknown_statements_;
      }
      break;
    }
    default:
      break;
  }
  return call;
}

void Session::Complete(Pending& p, uint64_t end_ns) {
  ApplyEffects(p);
  if (!p.traced || p.info == nullptr) return;
  const ResponseOutcome& outcome = p.reader.outcome();
  Call call = BaseCall(p);
  call.failed = outcome.failed;
  call.error_code = outcome.error_code;
  if (outcome.result_sets > 0) call.returned_rows = outcome.rows;
  call.end_ns = end_ns;
  Record(std::move(call));
}

void Session::ApplyEffects(Pending& p) {
  const ResponseOutcome& outcome = p.reader.outcome();
  if (p.info == nullptr) {  // the connection's authentication
    if (Succeeded(outcome) && handshake_database_) namespace_ = *handshake_database_;
    handshake_database_.reset();
    return;
  }
  if (Succeeded(outcome)) {
    switch (p.command) {
      case command::kInitDb:
        namespace_ = p.text;
        break;
      case command::kQuery:
        if (std::optional<std::string> schema = UseStatementSchema(p.text)) namespace_ = *schema;
        break;
      case command::kChangeUser:
        namespace_ = p.change_user_database.value_or("");
        statements_.Clear();
        break;
      case command::kResetConnection:
        statements_.Clear();
        break;
      case command::kStmtPrepare:
        if (outcome.statement_id) {
          statements_.Remember(*outcome.statement_id, p.text);
          last_prepared_id_ = outcome.statement_id;
        }
        break;
      default:
        break;
    }
  }
  if (outcome.schema) namespace_ = *outcome.schema;
}

void Session::ApplyCommandsWithoutResponse() {
  while (!pending_.empty() && pending_.front().info != nullptr &&
         pending_.front().info->response == ResponseShape::kNone) {
    ApplyWithoutResponse(pending_.front());
    pending_.pop_front();
  }
}

void Session::ApplyWithoutResponse(const Pending& p) {
  if (p.command != command::kStmtClose) return;
  if (std::optional<uint32_t> id = ResolveStatementId(p)) statements_.Forget(*id);
}

std::optional<uint32_t> Session::ResolveStatementId(const Pending& p) const {
  if (p.statement_id == kLastPreparedStatementId) return last_prepared_id_;
  return p.statement_id;
}

void Session::Record(Call call) {
  if (completed_.size() >= kMaxCompletedCalls) {
    ++dropped_requests_;
    return;
  }
  call.index = next_index_++;
  completed_.push_back(std::move(call));
}

void Session::OnClose(uint64_t ns, bool reset) {
  for (Pending& p : pending_) {
    if (!p.traced || p.info == nullptr) continue;
    if (reset) {
      Call call = BaseCall(p);
      call.error_type = "connection_reset";
      call.end_ns = ns;
      Record(std::move(call));
    } else if (p.dark && p.response_seen) {
      Call call = BaseCall(p);  // its response arrived, unreadable
      call.end_ns = p.last_response_ns;
      Record(std::move(call));
    } else {
      ++dropped_requests_;
    }
  }
  pending_.clear();
  traced_pending_ = 0;
  phase_ = Phase::kClosed;
}

}  // namespace otelbpf::mysql
