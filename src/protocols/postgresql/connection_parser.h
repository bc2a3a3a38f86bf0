// PostgreSQL on one connection: the ConnectionParser the tracker drives. Glue over the pure
// parts: framing per direction (framer.h), request/response matching (matcher.h), spans built
// through BuildDbExchange in Drain.
//
// Roles. The frontend sends requests: with a known role it is the Send direction for a client
// and the Recv direction for a server. With kUnknown the bytes tell: the direction carrying the
// untyped StartupMessage (or SSLRequest...), or a message only a frontend writes (Query, Parse,
// Bind), or one only a backend writes (ReadyForQuery, RowDescription, ParseComplete, ...).
// Messages before that are only used to decide.
//
// Learned mid-stream. The flag may be wrong about the bytes: a server process forked after
// accept() first shows the socket in the child, whose stream still begins with the SSLRequest or
// StartupMessage. The frontend's first piece is believed to be that start only when it is exactly
// one well-formed startup-phase message; the backend's framer then starts with it (before it saw
// any byte). Otherwise both directions resync on typed headers.
//
// Startup. The StartupMessage's "database" parameter becomes db.namespace of every later span;
// nothing else of it is kept ("user" is never read). Password, SASL and GSS messages are framed
// by length and never read. SSLRequest / GSSENCRequest answered 'N' goes on in plaintext;
// answered 'S' or 'G' (or a stream opening with a TLS record) abandons the connection: the bytes
// are encrypted, and the TLS capture handles them.
//
// Timeouts. PostgreSQL statements may legitimately run for hours (and replication streams never
// end), so nothing expires: pending operations are bounded (kMaxPendingUnits) and end at their
// answer or at close.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocols/common/protocol.h"
#include "protocols/postgresql/framer.h"
#include "protocols/postgresql/matcher.h"

namespace otelbpf::postgresql {

class PostgresParser final : public ConnectionParser {
 public:
  explicit PostgresParser(const ParserSetup& setup);

  void OnData(const Piece& piece) override;
  void OnClose(uint64_t ns, bool reset) override;
  void Drain(const ConnectionInfo& connection, const SpanBuildOptions& options,
             std::vector<ExchangeSpan>& out) override;
  ConnectionRole role() const override;
  bool abandoned() const override { return abandoned_; }
  ParserCounters counters() const override;

 private:
  class DirectionSink final : public MessageSink {
   public:
    DirectionSink(PostgresParser& parser, Direction direction)
        : parser_(parser), direction_(direction) {}
    void OnMessage(const Message& message) override { parser_.OnMessage(direction_, message); }
    void OnGapHidMessages(const Piece& piece) override {
      if (parser_.frontend_ == direction_) parser_.matcher_.OnFrontendGap(piece);
    }

   private:
    PostgresParser& parser_;
    Direction direction_;
  };

  static size_t Index(Direction direction) { return static_cast<size_t>(direction); }
  static Direction Other(Direction direction) {
    return direction == Direction::kSend ? Direction::kRecv : Direction::kSend;
  }
  void OnMessage(Direction direction, const Message& message);
  void LearnFrontend(Direction frontend);
  std::optional<Direction> RevealedFrontend(Direction direction, const Message& message) const;
  void OnStartupPhase(const Message& message);

  std::optional<Direction> frontend_;
  MessageFramer framers_[2];
  ExchangeMatcher matcher_;
  std::string database_;
  bool abandoned_ = false;
  bool closed_ = false;
};

}  // namespace otelbpf::postgresql
