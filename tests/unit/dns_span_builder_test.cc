// BuildDnsSpan: name, kind, timing, the exact attribute set, and the error rules.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocols/dns/span_builder.h"

namespace otelbpf::dns {
namespace {

// The value of attribute `key`, or an empty optional when the span lacks it.
std::optional<AttributeValue> Value(const Span& span, std::string_view key) {
  const AttributeValue* value = FindAttribute(span.attributes, key);
  return value ? std::optional<AttributeValue>(*value) : std::nullopt;
}

std::optional<AttributeValue> Text(std::string text) { return AttributeValue(std::move(text)); }
std::optional<AttributeValue> Int(int64_t n) { return AttributeValue(n); }

ConnectionInfo Connection() {
  ConnectionInfo c;
  c.pid = 42;
  c.fd = 5;
  c.role = ConnectionRole::kClient;
  c.local = Endpoint{"10.0.0.2", 40000};
  c.peer = Endpoint{"10.0.0.53", 53};
  c.resource = std::make_shared<Resource>();
  return c;
}

Exchange Answered(uint16_t type, uint16_t rcode, uint16_t answers = 1) {
  Exchange x;
  x.id = 0x1234;
  x.question_name = "www.Example.com";
  x.question_type = type;
  x.response = ResponseInfo{rcode, answers, false};
  x.query_start_ns = 1000;
  x.query_end_ns = 1010;
  x.response_start_ns = 5000;
  x.response_end_ns = 5020;
  x.end_ns = 5020;
  return x;
}

TEST(DnsSpanBuilder, AnsweredLookup) {
  const ConnectionInfo connection = Connection();
  const Span span = BuildDnsSpan(Answered(28, 0, 2), connection, 1'000'000);
  EXPECT_EQ(span.name, "DNS AAAA");
  EXPECT_EQ(span.kind, SpanKind::kClient);
  EXPECT_EQ(span.status, StatusCode::kUnset);
  EXPECT_EQ(span.start_time_unix_nano, 1'001'000u);
  EXPECT_EQ(span.end_time_unix_nano, 1'005'020u);
  EXPECT_EQ(span.resource, connection.resource);
  EXPECT_EQ(span.span_id, SpanId{});
  EXPECT_EQ(span.trace_id, TraceId{});
  const std::vector<std::pair<std::string_view, std::optional<AttributeValue>>> expected = {
      {"dns.question.name", Text("www.Example.com")}, {"dns.question.type", Text("AAAA")},
      {"dns.response_code", Text("NOERROR")},         {"dns.answer.count", Int(2)},
      {"network.protocol.name", Text("dns")},         {"network.transport", Text("udp")},
      {"network.peer.address", Text("10.0.0.53")},    {"network.peer.port", Int(53)},
      {"server.address", Text("10.0.0.53")},          {"server.port", Int(53)},
  };
  EXPECT_EQ(span.attributes.size(), expected.size());  // nothing else, no key twice
  for (const auto& [key, value] : expected) EXPECT_EQ(Value(span, key), value) << key;
}

TEST(DnsSpanBuilder, NxdomainIsAnError) {
  const Span span = BuildDnsSpan(Answered(1, 3, 0), Connection(), 0);
  EXPECT_EQ(span.name, "DNS A");
  EXPECT_EQ(span.status, StatusCode::kError);
  EXPECT_EQ(Value(span, "error.type"), Text("NXDOMAIN"));
  EXPECT_EQ(Value(span, "dns.response_code"), Text("NXDOMAIN"));
  EXPECT_EQ(Value(span, "dns.answer.count"), Int(0));
}

TEST(DnsSpanBuilder, UnnamedResponseCodeIsItsNumber) {
  const Span span = BuildDnsSpan(Answered(1, 12), Connection(), 0);
  EXPECT_EQ(Value(span, "error.type"), Text("12"));
}

TEST(DnsSpanBuilder, NoDataIsNotAnError) {
  const Span span = BuildDnsSpan(Answered(28, 0, 0), Connection(), 0);
  EXPECT_EQ(span.status, StatusCode::kUnset);
  EXPECT_EQ(Value(span, "error.type"), std::nullopt);
}

TEST(DnsSpanBuilder, TimeoutHasNoResponseAttributes) {
  Exchange x = Answered(1, 0);
  x.response.reset();
  x.response_start_ns = x.response_end_ns = 0;
  x.error = ExchangeError::kTimeout;
  x.end_ns = x.query_start_ns + 5'000'000'000;
  x.over_tcp = true;
  const Span span = BuildDnsSpan(x, Connection(), 0);
  EXPECT_EQ(span.status, StatusCode::kError);
  EXPECT_EQ(span.end_time_unix_nano - span.start_time_unix_nano, 5'000'000'000u);
  EXPECT_EQ(Value(span, "error.type"), Text("timeout"));
  EXPECT_EQ(Value(span, "network.transport"), Text("tcp"));
  EXPECT_EQ(Value(span, "dns.response_code"), std::nullopt);
  EXPECT_EQ(Value(span, "dns.answer.count"), std::nullopt);
}

TEST(DnsSpanBuilder, ClosedBeforeResponse) {
  Exchange x = Answered(1, 0);
  x.response.reset();
  x.error = ExchangeError::kClosed;
  x.end_ns = 2000;
  const Span span = BuildDnsSpan(x, Connection(), 0);
  EXPECT_EQ(Value(span, "error.type"), Text("closed_before_response"));
}

TEST(DnsSpanBuilder, UnknownTypeKeepsTheSpanNameBounded) {
  const Span span = BuildDnsSpan(Answered(65280, 0), Connection(), 0);
  EXPECT_EQ(span.name, "DNS");
  EXPECT_EQ(Value(span, "dns.question.type"), Text("65280"));
}

TEST(DnsSpanBuilder, TruncationAndRetransmissions) {
  Exchange x = Answered(16, 0, 0);
  x.response->truncated = true;
  x.retransmissions = 2;
  const Span span = BuildDnsSpan(x, Connection(), 0);
  EXPECT_EQ(Value(span, "dns.response.truncated"), AttributeValue(true));
  EXPECT_EQ(Value(span, "dns.query.retransmissions"), Int(2));
}

TEST(DnsSpanBuilder, UnknownPeerLeavesAddressesOut) {
  ConnectionInfo connection = Connection();
  connection.peer = Endpoint{};
  const Span span = BuildDnsSpan(Answered(1, 0), connection, 0);
  EXPECT_EQ(Value(span, "server.address"), std::nullopt);
  EXPECT_EQ(Value(span, "network.peer.address"), std::nullopt);
  EXPECT_EQ(Value(span, "server.port"), std::nullopt);
}

TEST(DnsSpanBuilder, EndNeverPrecedesStart) {
  Exchange x = Answered(1, 0);
  x.end_ns = 0;
  const Span span = BuildDnsSpan(x, Connection(), 100);
  EXPECT_EQ(span.end_time_unix_nano, span.start_time_unix_nano);
}

}  // namespace
}  // namespace otelbpf::dns
