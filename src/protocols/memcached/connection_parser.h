// memcached (text protocol) on one connection: the bytes both ways in, one database span per
// request out. Glue over the pure pieces: line framing per direction (text_framer.h), what
// requests ask (command.h), pairing them with replies (matcher.h).
//
// Roles: with ParserSetup::role unknown, the bytes tell: a line starting with a command name
// ("get", "set", ...) travels toward the server, one starting with a reply keyword ("VALUE",
// "STORED", ...) or a number toward the client; on a connection seen from its start the first
// line is a request. Until then lines wait, bounded (kMaxEarlyLines).
//
// The binary protocol is not followed: the parser abandons the connection. Over UDP each
// datagram starts with an 8-byte frame header (request id, sequence, count, reserved), dropped
// before framing; replies spanning several datagrams are taken in arrival order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "protocols/common/early_messages.h"
#include "protocols/common/framer_pair.h"
#include "protocols/common/protocol.h"
#include "protocols/memcached/matcher.h"
#include "protocols/memcached/text_framer.h"

namespace otelbpf::memcached {

inline constexpr size_t kMaxEarlyLines = 32;
inline constexpr size_t kUdpFrameHeaderBytes = 8;

class MemcachedParser final : public ConnectionParser {
 public:
  explicit MemcachedParser(const ParserSetup& setup);

  void OnData(const Piece& piece) override;
  void OnClose(uint64_t ns, bool reset) override;
  void Expire(uint64_t now_ns) override;
  void Drain(const ConnectionInfo& connection, const SpanBuildOptions& options,
             std::vector<ExchangeSpan>& out) override;
  ConnectionRole role() const override { return role_; }
  bool abandoned() const override { return abandoned_; }
  ParserCounters counters() const override;

  const ExchangeMatcher& matcher() const { return matcher_; }

 private:
  struct Early {
    Direction direction = Direction::kRecv;
    Line line;
  };

  Direction RequestDirection() const;
  ConnectionRole InferRole(Direction direction, const Line& line);
  void SetRole(ConnectionRole role);
  void Route(Direction direction, const Line& line);

  ConnectionRole role_ = ConnectionRole::kUnknown;
  Transport transport_ = Transport::kTcp;
  bool learned_midstream_ = false;
  bool seen_line_ = false;
  framing::FramerPair<TextFramer> framers_;
  ExchangeMatcher matcher_;
  roles::EarlyMessages<Early> early_{kMaxEarlyLines};  // while the role is unknown
  bool abandoned_ = false;
  bool closed_ = false;
};

std::unique_ptr<ConnectionParser> MakeParser(const ParserSetup& setup);

}  // namespace otelbpf::memcached
