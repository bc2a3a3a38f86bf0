// The protocol state of one MySQL / MariaDB connection: client and server messages in (already
// framed, each direction in order), finished calls out. It pairs each command with its response
// (the server answers in order), follows the connection phase for the database and the
// capabilities, and remembers prepared statements.
//
// Connection phase: the server greets (its version tells MySQL from MariaDB), the client answers
// with a HandshakeResponse (user, authentication data, database) or with an SSL request, after
// which the bytes are TLS and the session is abandoned; authentication exchanges follow until
// OK or ERR. None of it becomes a span, and nothing of the user or authentication data is kept.
//
// When the server's direction is lost (see PacketFramer), the commands awaiting responses go
// "dark": their outcome cannot be read. The client sending its next command shows a dark
// response ended (clients wait for a response before the next command, unless they pipeline):
// it then becomes a call without status or rows, ended by the last server bytes seen.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/mysql/call.h"
#include "protocols/mysql/command.h"
#include "protocols/mysql/packet_framer.h"
#include "protocols/mysql/response_reader.h"
#include "protocols/mysql/statement_cache.h"

namespace otelbpf::mysql {

class Session {
 public:
  // `joined_midstream`: the connection phase is over (or was never seen): commands come next.
  explicit Session(bool joined_midstream);

  // Each returns false when the message cannot be where it is: its direction is then lost (the
  // caller's framer skips until a plausible start).
  bool OnClientMessage(const Message& message);
  bool OnServerMessage(const Message& message);
  // The same, as soon as a message's header is read (its sequence id alone can show it does
  // not belong where it is), so that a bogus length swallows nothing.
  bool OnClientMessageStart(const Message& start);
  bool OnServerMessageStart(const Message& start);

  // The server's direction lost its boundaries in a piece that ended at `end_ns`.
  void OnServerLost(uint64_t end_ns);
  // A server piece was skipped while lost.
  void OnServerSkipped(uint64_t end_ns);

  struct ExpectedResponse {
    uint8_t seq = 0;
    ResponseShape shape = ResponseShape::kGeneric;
  };
  // What the next server message must begin with for the lost server direction to resume: the
  // response of the oldest pending command, unless its start was missed.
  std::optional<ExpectedResponse> ExpectedResponseStart() const;

  // The connection ended; `reset`: it was reset (pending commands fail as "connection_reset").
  void OnClose(uint64_t ns, bool reset);

  // Calls completed so far, oldest first. The caller consumes and clear()s it.
  std::vector<Call>& completed() { return completed_; }
  const std::vector<Call>& completed() const { return completed_; }

  std::string_view system() const { return system_; }  // "mysql" or "mariadb"
  const std::string& namespace_name() const { return namespace_; }
  bool abandoned() const { return abandoned_; }
  size_t pending() const { return pending_.size(); }
  size_t prepared_statements() const { return statements_.size(); }

  uint64_t protocol_errors() const { return protocol_errors_; }
  uint64_t unmatched_responses() const { return unmatched_responses_; }
  uint64_t dropped_requests() const { return dropped_requests_; }
  uint64_t unknown_statements() const { return unknown_statements_; }

 private:
  enum class Phase : uint8_t {
    kGreeting,           // waiting for the server's Initial Handshake
    kHandshakeResponse,  // waiting for the client's HandshakeResponse
    kCommands,           // authentication (as a pending exchange), then commands
    kClosed,             // the server refused the connection: nothing more to follow
  };

  struct Pending {
    const CommandInfo* info = nullptr;  // nullptr: the connection's own authentication
    uint8_t command = 0;
    std::string text;  // statement, schema (COM_INIT_DB) or table (COM_FIELD_LIST)
    std::optional<uint32_t> statement_id;
    std::optional<std::string> change_user_database;
    bool traced = true;  // becomes a span (false beyond kMaxTracedPendingCommands)
    uint8_t response_seq = 1;
    ResponseReader reader;
    uint64_t start_ns = 0;
    uint32_t tid = 0;
    std::optional<uint32_t> tcp_seq;
    bool dark = false;           // its response could not be followed
    bool response_seen = false;  // some of its response arrived
    uint64_t last_response_ns = 0;

    Pending(ResponseShape shape, uint8_t seq) : response_seq(seq), reader(shape, seq) {}
  };

  bool OnGreeting(const Message& m);
  bool OnHandshakeResponse(const Message& m);
  bool OnCommand(const Message& m);
  void Enqueue(Pending pending);
  void Complete(Pending& p, uint64_t end_ns);
  void ApplyEffects(Pending& p);
  // Commands without a response take effect once every earlier command was answered (a
  // pipelined COM_STMT_CLOSE must not forget a statement an earlier execution still names).
  void ApplyCommandsWithoutResponse();
  void ApplyWithoutResponse(const Pending& p);
  void FinishDarkResponses();
  Call BaseCall(const Pending& p);
  void Record(Call call);
  std::optional<uint32_t> ResolveStatementId(const Pending& p) const;

  Phase phase_;
  bool abandoned_ = false;
  std::string_view system_ = "mysql";
  std::optional<uint32_t> server_capabilities_;
  std::optional<uint32_t> client_capabilities_;
  ResponseFacts facts_;
  std::optional<bool> query_attributes_;
  std::string namespace_;
  std::optional<std::string> handshake_database_;  // takes effect when authentication succeeds
  StatementCache statements_;
  std::optional<uint32_t> last_prepared_id_;
  std::deque<Pending> pending_;
  size_t traced_pending_ = 0;
  // Sequence id of an EOF that may still end the last response (ResponseReader::may_end_with_eof).
  std::optional<uint8_t> optional_eof_seq_;
  bool drop_server_position_ = false;  // see Enqueue
  bool unmatched_counted_ = false;     // the current run of unasked-for server bytes was counted
  std::vector<Call> completed_;
  uint64_t next_index_ = 0;

  uint64_t protocol_errors_ = 0;
  uint64_t unmatched_responses_ = 0;
  uint64_t dropped_requests_ = 0;
  uint64_t unknown_statements_ = 0;
};

}  // namespace otelbpf::mysql
