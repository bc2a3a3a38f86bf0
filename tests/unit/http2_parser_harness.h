// One HTTP/2 connection under test: the observed process's sends and receives become pieces
// with a clock that moves, and completed exchanges come out as spans.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "http2_wire_builders.h"
#include "protocols/http2/connection_parser.h"

namespace otelbpf::http2::wire {

class Conversation {
 public:
  explicit Conversation(ConnectionRole role, bool learned_midstream = false, bool role_given = true)
      : parser_(ParserSetup{role_given ? role : ConnectionRole::kUnknown, Transport::kTcp,
                            learned_midstream}) {
    info_.role = role_given ? role : ConnectionRole::kUnknown;
    const bool client = role == ConnectionRole::kClient;
    info_.local = client ? Endpoint{"10.0.0.2", 40000} : Endpoint{"10.0.0.1", 8443};
    info_.peer = client ? Endpoint{"10.0.0.1", 8443} : Endpoint{"10.0.0.2", 40000};
  }

  // What the observed process wrote / read: one syscall each, `gap` octets not captured.
  void Send(std::string_view bytes, uint64_t gap = 0, uint32_t tid = 7) {
    Feed(Direction::kSend, bytes, gap, tid);
  }
  void Recv(std::string_view bytes, uint64_t gap = 0, uint32_t tid = 7) {
    Feed(Direction::kRecv, bytes, gap, tid);
  }
  void Close(bool reset = false) { parser_.OnClose(now_, reset); }

  std::vector<ExchangeSpan> Spans() {
    std::vector<ExchangeSpan> out;
    parser_.Drain(info_, SpanBuildOptions{}, out);
    return out;
  }

  Http2Parser& parser() { return parser_; }
  ConnectionInfo& info() { return info_; }
  uint64_t now() const { return now_; }

 private:
  void Feed(Direction direction, std::string_view bytes, uint64_t gap, uint32_t tid) {
    parser_.OnData(MakePiece(direction, bytes, now_, gap, tid));
    now_ += 1000;
  }

  Http2Parser parser_;
  ConnectionInfo info_;
  uint64_t now_ = 1'000'000;
};

// Every attribute of a span by name (a name set twice fails the test).
inline std::map<std::string, AttributeValue> AttributeMap(const Span& span) {
  std::map<std::string, AttributeValue> out;
  for (const Attribute& a : span.attributes) {
    EXPECT_TRUE(out.emplace(a.key.str(), a.value).second) << "twice: " << a.key;
  }
  return out;
}

// The attribute's value, or an empty string / 0 / nothing.
inline std::string StringAttr(const Span& span, std::string_view key) {
  const AttributeValue* v = FindAttribute(span.attributes, key);
  return v && std::holds_alternative<std::string>(*v) ? std::get<std::string>(*v) : "";
}
inline int64_t IntAttr(const Span& span, std::string_view key) {
  const AttributeValue* v = FindAttribute(span.attributes, key);
  return v && std::holds_alternative<int64_t>(*v) ? std::get<int64_t>(*v) : 0;
}
inline bool HasAttr(const Span& span, std::string_view key) {
  return FindAttribute(span.attributes, key) != nullptr;
}

}  // namespace otelbpf::http2::wire
