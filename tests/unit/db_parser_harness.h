// What the end-to-end tests of database protocol parsers share: one connection of an observed
// client (or server) process, fed piece by piece with time advancing 10 ns a piece, and readers
// of the spans it drains.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocols/common/connection.h"
#include "protocols/common/protocol.h"
#include "trace/span.h"

namespace otelbpf::db_test {

// A string attribute's value, "<absent>" when it is not set (or not a string).
inline std::string Str(const Span& span, std::string_view key) {
  const AttributeValue* value = FindAttribute(span.attributes, key);
  return value && std::holds_alternative<std::string>(*value) ? std::get<std::string>(*value)
                                                              : std::string("<absent>");
}

inline std::optional<int64_t> Int(const Span& span, std::string_view key) {
  const AttributeValue* value = FindAttribute(span.attributes, key);
  if (!value || !std::holds_alternative<int64_t>(*value)) return std::nullopt;
  return std::get<int64_t>(*value);
}

// Every span name and string attribute, to look for what must never leave (keys, values,
// passwords).
inline std::string AllText(const std::vector<ExchangeSpan>& spans) {
  std::string all;
  for (const ExchangeSpan& x : spans) {
    all += x.span.name + "\n";
    for (const Attribute& a : x.span.attributes) {
      if (const auto* s = std::get_if<std::string>(&a.value)) all += *s + "\n";
    }
  }
  return all;
}

// `Parser`: a ConnectionParser made from a ParserSetup. Pieces start at t 1000, each one 1 ns
// long and 10 ns after the one before; the local end is 10.0.0.1:40000.
template <typename Parser>
class DbConnection {
 public:
  DbConnection(ConnectionRole role, bool midstream, Transport transport, Endpoint peer)
      : parser_(ParserSetup{role, transport, midstream}) {
    info_.role = role;
    info_.peer = std::move(peer);
    info_.local = Endpoint{"10.0.0.1", 40000};
  }

  void Data(Direction direction, const std::string& captured, uint64_t length, uint32_t tid = 7) {
    Piece piece;
    piece.direction = direction;
    piece.bytes = captured;
    piece.length = length;
    piece.start_ns = now_;
    piece.end_ns = now_ + 1;
    piece.tid = tid;
    std::optional<uint32_t>& seq = next_tcp_seq_[static_cast<size_t>(direction)];
    piece.tcp_seq = seq;
    if (seq) *seq += static_cast<uint32_t>(length);
    parser_.OnData(piece);
    now_ += 10;
  }
  // From now on, pieces carry TCP sequence numbers as the kernel gives them: each direction's
  // first byte at `sent` / `received`, counting every byte moved (captured or not).
  void NumberStreams(uint32_t sent, uint32_t received) {
    next_tcp_seq_[static_cast<size_t>(Direction::kSend)] = sent;
    next_tcp_seq_[static_cast<size_t>(Direction::kRecv)] = received;
  }
  // The observed process sends / receives.
  void Send(const std::string& bytes, uint32_t tid = 7) {
    Data(Direction::kSend, bytes, bytes.size(), tid);
  }
  void Recv(const std::string& bytes, uint32_t tid = 7) {
    Data(Direction::kRecv, bytes, bytes.size(), tid);
  }
  // Requests go out and replies come in for a client; the other way round for a server.
  void Request(const std::string& bytes) { server() ? Recv(bytes) : Send(bytes); }
  void Reply(const std::string& bytes) { server() ? Send(bytes) : Recv(bytes); }

  // The spans completed so far, as the tracker would drain them (with `info` in place of the
  // connection's own view when given).
  std::vector<ExchangeSpan> DrainWith(const SpanBuildOptions& options,
                                      ConnectionInfo* info = nullptr) {
    std::vector<ExchangeSpan> out;
    parser_.Drain(info ? *info : info_, options, out);
    return out;
  }

  Parser& parser() { return parser_; }
  uint64_t now() const { return now_; }
  void Advance(uint64_t ns) { now_ += ns; }

 private:
  bool server() const { return info_.role == ConnectionRole::kServer; }

  Parser parser_;
  ConnectionInfo info_;
  uint64_t now_ = 1000;
  std::optional<uint32_t> next_tcp_seq_[2];  // by Direction
};

}  // namespace otelbpf::db_test
