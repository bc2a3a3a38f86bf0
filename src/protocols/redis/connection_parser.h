// Redis on one connection: the bytes both ways in, one database span per command out. Glue over
// the pure pieces: RESP framing per direction (resp_framer.h), what commands and replies say
// (command.h, reply.h), pairing them (matcher.h).
//
// Roles: with ParserSetup::role unknown, the bytes tell. A message that cannot be a command
// (anything but an array of bulk strings or an inline command) is a reply, travelling toward the
// client; on a connection seen from its start the first message is a command (Redis servers never
// speak first). Until then messages wait, summarised and bounded (kMaxEarlyMessages).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <memory>
#include <vector>

#include "protocols/common/early_messages.h"
#include "protocols/common/framer_pair.h"
#include "protocols/common/protocol.h"
#include "protocols/redis/command.h"
#include "protocols/redis/matcher.h"
#include "protocols/redis/reply.h"
#include "protocols/redis/resp_framer.h"

namespace otelbpf::redis {

inline constexpr size_t kMaxEarlyMessages = 32;

class RedisParser final : public ConnectionParser {
 public:
  explicit RedisParser(const ParserSetup& setup);

  void OnData(const Piece& piece) override;
  void OnClose(uint64_t ns, bool reset) override;
  void Expire(uint64_t now_ns) override;
  void Drain(const ConnectionInfo& connection, const SpanBuildOptions& options,
             std::vector<ExchangeSpan>& out) override;
  ConnectionRole role() const override { return role_; }
  ParserCounters counters() const override;

  const ExchangeMatcher& matcher() const { return matcher_; }

 private:
  // A message (or a loss) summarised, before or after the role is known.
  struct Event {
    Direction direction = Direction::kRecv;
    bool lost = false;  // a kSyncLost event
    bool cut = false;
    bool could_be_command = false;
    Command command;
    Reply reply;
    uint64_t start_ns = 0;
    uint64_t end_ns = 0;
    uint32_t tid = 0;
    std::optional<uint32_t> tcp_seq;
  };

  Direction CommandDirection() const;
  Event Summarize(Direction direction, const Frame& frame) const;
  ConnectionRole InferRole(const Event& event);
  void SetRole(ConnectionRole role);
  void Route(Event event);

  ConnectionRole role_ = ConnectionRole::kUnknown;
  bool learned_midstream_ = false;
  bool seen_message_ = false;
  framing::FramerPair<RespFramer> framers_;
  ExchangeMatcher matcher_;
  roles::EarlyMessages<Event> early_{kMaxEarlyMessages};  // while the role is unknown
  bool closed_ = false;
};

std::unique_ptr<ConnectionParser> MakeParser(const ParserSetup& setup);

}  // namespace otelbpf::redis
