// BuildDnsSpan: name, kind, timing, the exact attribute set, and the error rules.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "protocols/dns/span_builder.h"

namespace otelbpf::dns {
namespace {

using AttributeMap = std::map<std::string, AttributeValue>;

AttributeMap ToMap(const Attributes& attributes) {
  AttributeMap out;
  for (const Attribute& a : attributes) {
    EXPECT_TRUE(out.emplace(a.key, a.value).second) << "duplicate attribute " << a.key;
  }
  return out;
}

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
  const AttributeMap expected = {
      {"dns.question.name", std::string("www.Example.com")},
      {"dns.question.type", std::string("AAAA")},
      {"dns.response_code", std::string("NOERROR")},
      {"dns.answer.count", int64_t{2}},
      {"network.protocol.name", std::string("dns")},
      {"network.transport", std::string("udp")},
      {"network.peer.address", std::string("10.0.0.53")},
      {"network.peer.port", int64_t{53}},
      {"server.address", std::string("10.0.0.53")},
      {"server.port", int64_t{53}},
  };
  EXPECT_EQ(ToMap(span.attributes), expected);
}

TEST(DnsSpanBuilder, NxdomainIsAnError) {
  const Span span = BuildDnsSpan(Answered(1, 3, 0), Connection(), 0);
  EXPECT_EQ(span.name, "DNS A");
  EXPECT_EQ(span.status, StatusCode::kError);
  const AttributeMap a = ToMap(span.attributes);
  EXPECT_EQ(a.at("error.type"), AttributeValue(std::string("NXDOMAIN")));
  EXPECT_EQ(a.at("dns.response_code"), AttributeValue(std::string("NXDOMAIN")));
  EXPECT_EQ(a.at("dns.answer.count"), AttributeValue(int64_t{0}));
}

TEST(DnsSpanBuilder, UnnamedResponseCodeIsItsNumber) {
  const Span span = BuildDnsSpan(Answered(1, 12), Connection(), 0);
  EXPECT_EQ(ToMap(span.attributes).at("error.type"), AttributeValue(std::string("12")));
}

TEST(DnsSpanBuilder, NoDataIsNotAnError) {
  const Span span = BuildDnsSpan(Answered(28, 0, 0), Connection(), 0);
  EXPECT_EQ(span.status, StatusCode::kUnset);
  EXPECT_EQ(ToMap(span.attributes).count("error.type"), 0u);
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
  const AttributeMap a = ToMap(span.attributes);
  EXPECT_EQ(a.at("error.type"), AttributeValue(std::string("timeout")));
  EXPECT_EQ(a.at("network.transport"), AttributeValue(std::string("tcp")));
  EXPECT_EQ(a.count("dns.response_code"), 0u);
  EXPECT_EQ(a.count("dns.answer.count"), 0u);
}

TEST(DnsSpanBuilder, ClosedBeforeResponse) {
  Exchange x = Answered(1, 0);
  x.response.reset();
  x.error = ExchangeError::kClosed;
  x.end_ns = 2000;
  const Span span = BuildDnsSpan(x, Connection(), 0);
  EXPECT_EQ(ToMap(span.attributes).at("error.type"),
            AttributeValue(std::string("closed_before_response")));
}

TEST(DnsSpanBuilder, UnknownTypeKeepsTheSpanNameBounded) {
  const Span span = BuildDnsSpan(Answered(65280, 0), Connection(), 0);
  EXPECT_EQ(span.name, "DNS");
  EXPECT_EQ(ToMap(span.attributes).at("dns.question.type"), AttributeValue(std::string("65280")));
}

TEST(DnsSpanBuilder, TruncationAndRetransmissions) {
  Exchange x = Answered(16, 0, 0);
  x.response->truncated = true;
  x.retransmissions = 2;
  const AttributeMap a = ToMap(BuildDnsSpan(x, Connection(), 0).attributes);
  EXPECT_EQ(a.at("dns.response.truncated"), AttributeValue(true));
  EXPECT_EQ(a.at("dns.query.retransmissions"), AttributeValue(int64_t{2}));
}

TEST(DnsSpanBuilder, UnknownPeerLeavesAddressesOut) {
  ConnectionInfo connection = Connection();
  connection.peer = Endpoint{};
  const AttributeMap a = ToMap(BuildDnsSpan(Answered(1, 0), connection, 0).attributes);
  EXPECT_EQ(a.count("server.address"), 0u);
  EXPECT_EQ(a.count("network.peer.address"), 0u);
  EXPECT_EQ(a.count("server.port"), 0u);
}

TEST(DnsSpanBuilder, EndNeverPrecedesStart) {
  Exchange x = Answered(1, 0);
  x.end_ns = 0;
  const Span span = BuildDnsSpan(x, Connection(), 100);
  EXPECT_EQ(span.end_time_unix_nano, span.start_time_unix_nano);
}

}  // namespace
}  // namespace otelbpf::dns
