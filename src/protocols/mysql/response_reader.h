// Follows the server's response to one command, message by message, to tell where it ends and
// what it said: OK or the error number, how many rows its result sets carried, the statement id
// a prepare got, a default database the server reports changed. Rows are only counted, never
// kept: a result set of any size streams through.
//
// Responses by shape (command.h), per the MySQL source documentation ("COM_QUERY Response",
// "COM_STMT_PREPARE Response", "COM_STMT_EXECUTE Response", "Multi-Resultset") and MariaDB KB:
//   generic: OK | ERR | EOF | LOCAL INFILE request, client data, OK | ERR |
//            column count, column definitions, [EOF], rows, EOF/OK | ERR
//            while OK/EOF say SERVER_MORE_RESULTS_EXISTS, another result follows;
//   prepare: ERR | PREPARE_OK, parameter definitions [EOF], column definitions [EOF];
//   field list: column definitions, EOF | ERR;   rows: rows, EOF | ERR;
//   single packet: anything;   auth: (AuthSwitch | AuthMoreData, client data)*, OK | ERR.
// The bracketed EOFs are absent under CLIENT_DEPRECATE_EOF; when the handshake was not seen that
// is learnt from the first result set (ResponseFacts).
//
// Every packet of a response carries the next sequence id, starting at the one after the
// command's: a packet out of sequence means the stream is not where it seems.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "protocols/mysql/command.h"
#include "protocols/mysql/packet_framer.h"

namespace otelbpf::mysql {

// What the connection knows that shapes responses; readers fill in what they learn.
struct ResponseFacts {
  std::optional<bool> deprecate_eof;  // CLIENT_DEPRECATE_EOF agreed
  std::optional<bool> session_track;  // CLIENT_SESSION_TRACK agreed
};

struct ResponseOutcome {
  bool failed = false;                   // ended with ERR
  std::optional<uint16_t> error_code;    // its error number, when readable
  uint32_t result_sets = 0;              // result sets seen (rows counted when > 0)
  int64_t rows = 0;                      // rows over all of them
  std::optional<uint32_t> statement_id;  // COM_STMT_PREPARE_OK
  std::optional<std::string> schema;     // default database the server reports it changed to
};

class ResponseReader {
 public:
  enum class Step : uint8_t {
    kMore,       // the response goes on
    kDone,       // that was its last message
    kMalformed,  // not a message this response can hold: the stream is lost
  };

  ResponseReader(ResponseShape shape, uint8_t first_seq);

  Step OnServerMessage(const Message& message, ResponseFacts& facts);
  // Whether `message`, from the client, belongs to this response (LOCAL INFILE contents,
  // authentication data) rather than being a new command.
  bool TakesClientMessage(const Message& message) const {
    return TakesClientSeq(message.first_seq);
  }
  bool TakesClientSeq(uint8_t seq) const;
  Step OnClientMessage(const Message& message);

  // The response ended after definitions that an EOF follows unless CLIENT_DEPRECATE_EOF, which
  // is unknown: the next server message is that EOF if it is one (sequence id next_seq()).
  bool may_end_with_eof() const { return may_end_with_eof_; }
  uint8_t next_seq() const { return next_seq_; }
  bool done() const { return stage_ == Stage::kDone; }
  const ResponseOutcome& outcome() const { return outcome_; }

 private:
  enum class Stage : uint8_t {
    kFirst,              // a result's first packet
    kColumnDefs,         // defs_left_ column definitions to go
    kAfterColumnDefs,    // EOF ending the metadata, or (CLIENT_DEPRECATE_EOF) the first row
    kRows,               // rows up to the terminator
    kInfileData,         // the client sends the file, an empty packet ends it
    kPrepareFirst,       // COM_STMT_PREPARE_OK or ERR
    kPrepareDefs,        // defs_left_ definitions of the current prepare section
    kPrepareSectionEof,  // EOF after a prepare section, unless CLIENT_DEPRECATE_EOF
    kFieldList,          // column definitions up to EOF
    kSinglePacket,
    kAuth,
    kDone,
  };

  Step First(const Message& m, ResponseFacts& facts);
  Step AfterColumnDefs(const Message& m, ResponseFacts& facts);
  Step Row(const Message& m, ResponseFacts& facts);
  Step PrepareFirst(const Message& m, ResponseFacts& facts);
  Step PrepareDef(const Message& m, ResponseFacts& facts);
  Step PrepareSectionEof(const Message& m, ResponseFacts& facts);
  Step NextPrepareSection();
  Step FieldList(const Message& m, ResponseFacts& facts);
  Step Auth(const Message& m);
  // An OK or EOF ending a result (or the whole response).
  Step EndOfResult(const Message& m, ResponseFacts& facts);
  Step Error(const Message& m);
  Step Done();

  Stage stage_;
  uint8_t next_seq_;
  uint64_t defs_left_ = 0;
  uint16_t prepare_sections_[2] = {0, 0};  // parameters, columns still to read
  uint8_t prepare_section_ = 0;
  bool may_end_with_eof_ = false;
  ResponseOutcome outcome_;
};

}  // namespace otelbpf::mysql
