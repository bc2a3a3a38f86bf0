// MySQL / MariaDB behind the ConnectionParser contract (protocols/common/protocol.h): the two
// directions of a connection framed into messages (packet_framer.h), told apart as client and
// server, and fed to the protocol state (session.h); finished calls become database spans.
//
// Which direction carries commands follows from the role when the tracker knows it. Otherwise
// from the bytes: on a new connection the server speaks first (its greeting); on one joined
// midway, a piece that plausibly begins a command in one direction answered by a piece that
// plausibly begins its response in the other. That first command is kept (one piece, bounded)
// and replayed once the directions are known, so it is not lost.
//
// There is no Expire(): a statement may rightly run for hours, and the pending cap bounds memory.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocols/common/protocol.h"
#include "protocols/mysql/packet_framer.h"
#include "protocols/mysql/session.h"

namespace otelbpf::mysql {

class MysqlConnectionParser final : public ConnectionParser {
 public:
  explicit MysqlConnectionParser(const ParserSetup& setup);

  void OnData(const Piece& given) override;
  void OnClose(uint64_t ns, bool reset) override;
  void Drain(const ConnectionInfo& connection, const SpanBuildOptions& options,
             std::vector<ExchangeSpan>& out) override;
  ConnectionRole role() const override { return role_; }
  bool abandoned() const override { return abandoned_ || session_.abandoned(); }
  ParserCounters counters() const override;

  const Session& session() const { return session_; }

 private:
  class DirectionSink : public MessageSink {
   public:
    DirectionSink(MysqlConnectionParser& owner, bool from_client)
        : owner_(owner), from_client_(from_client) {}
    bool OnMessageStart(const Message& start) override;
    bool OnMessage(const Message& message) override;
    size_t rejected_offset = std::string_view::npos;  // of the last message refused

   private:
    MysqlConnectionParser& owner_;
    bool from_client_;
  };

  // A syscall kept while the directions are unknown.
  struct StoredPiece {
    std::string bytes;  // at most kMaxKeptPayloadBytes of what was captured
    uint64_t length = 0;
    uint64_t start_ns = 0;
    uint64_t end_ns = 0;
    uint32_t tid = 0;
    std::optional<uint32_t> tcp_seq;  // of bytes[0]
  };
  // The pieces that may begin the first command seen, kept until the other direction answers:
  // one, or a header read alone and the payload read after it.
  struct Candidate {
    Direction direction = Direction::kSend;
    std::vector<StoredPiece> pieces;
  };

  void InferDirections(const Piece& piece);
  bool AppendsToCandidate(const Piece& piece);
  static StoredPiece Store(const Piece& piece);
  void SetRequestDirection(Direction requests);
  void OnClientPiece(const Piece& piece);
  void OnServerPiece(const Piece& piece);
  void FeedClient(const Piece& piece);
  PacketFramer& framer(Direction d) { return framers_[static_cast<size_t>(d)]; }

  bool joined_midstream_;
  ConnectionRole role_;
  std::optional<Direction> requests_;  // the direction commands travel in
  bool abandoned_ = false;
  PacketFramer framers_[2];
  Session session_;
  DirectionSink client_sink_{*this, true};
  DirectionSink server_sink_{*this, false};
  std::optional<Candidate> candidate_;
};

std::unique_ptr<ConnectionParser> MakeConnectionParser(const ParserSetup& setup);

}  // namespace otelbpf::mysql
