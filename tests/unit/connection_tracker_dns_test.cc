// The tracker with DNS on the protocol seam: sockets announced as DNS get the DNS parser, their
// datagrams become lookup spans (with the thread, the exchange index over TCP and no TCP
// attributes over UDP), unanswered queries expire, and nothing reaches another protocol.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstring>
#include <string>
#include <vector>

#include "capture/connection_tracker.h"
#include "kernel_records.h"

namespace otelbpf {
namespace {

// A one-question DNS message (RFC 1035 section 4.1) for "a.test", type A.
std::string Message(uint16_t id, bool response, uint8_t rcode = 0, uint16_t answers = 0) {
  std::string m;
  auto u16 = [&m](uint16_t v) {
    m.push_back(static_cast<char>(v >> 8));
    m.push_back(static_cast<char>(v & 0xff));
  };
  u16(id);
  u16(response ? static_cast<uint16_t>(0x8180 | rcode) : 0x0100);
  u16(1);
  u16(answers);
  u16(0);
  u16(0);
  m += std::string("\x01" "a" "\x04" "test" "\x00", 8);
  u16(1);
  u16(1);
  for (uint16_t i = 0; i < answers; ++i) {
    u16(0xc00c);  // the question's name
    u16(1);
    u16(1);
    u16(0);
    u16(60);
    u16(4);
    m += std::string("\x7f\x00\x00\x2a", 4);
  }
  return m;
}

class ConnectionTrackerDnsTest : public ::testing::Test {
 protected:
  ConnectionTrackerDnsTest()
      : processes_(ResourceDefaults{}, "/nonexistent-proc"),
        tracker_(processes_,
                 [this](ExchangeSpan& x, const ConnectionInfo& c) {
                   if (x.span.family != SemanticFamily::kDns) ++other_;
                   lookups_.push_back(x);
                   peers_.push_back(c.peer.address + ":" + std::to_string(c.peer.port));
                   transports_.push_back(c.transport);
                 },
                 /*max_connections=*/4) {}

  std::string Attr(size_t i, std::string_view key) const {
    const AttributeValue* v = FindAttribute(lookups_[i].span.attributes, key);
    if (!v) return "<absent>";
    if (auto* s = std::get_if<std::string>(v)) return *s;
    if (auto* n = std::get_if<int64_t>(v)) return std::to_string(*n);
    return "<other>";
  }

  void OpenDns(int32_t fd, uint8_t transport) {
    otelbpf_conn_open_event e{};
    e.hdr.type = OTELBPF_EV_CONN_OPEN;
    e.hdr.tgid = 7;
    e.hdr.fd = fd;
    e.hdr.generation = 1;
    e.hdr.role = OTELBPF_ROLE_CLIENT;
    e.family = AF_INET;
    e.local_port = 41000;
    e.peer_port = 53;
    e.protocol = OTELBPF_PROTO_DNS;
    e.transport = transport;
    inet_pton(AF_INET, "127.0.0.1", e.local_addr);
    inet_pton(AF_INET, "127.0.0.53", e.peer_addr);
    std::strcpy(e.comm, "resolver");
    tracker_.HandleRecord(&e, sizeof(e));
  }

  void Data(int32_t fd, uint8_t dir, const std::string& bytes, uint64_t t, uint32_t tid = 70) {
    const auto rec = testing_support::DataRecord(7, fd, 1, dir, bytes, t, tid);
    tracker_.HandleRecord(rec.data(), rec.size());
  }

  ProcessRegistry processes_;
  ConnectionTracker tracker_;
  int other_ = 0;
  std::vector<ExchangeSpan> lookups_;
  std::vector<std::string> peers_;
  std::vector<Transport> transports_;
};

TEST_F(ConnectionTrackerDnsTest, UdpQueryAndResponseMakeOneLookup) {
  OpenDns(5, OTELBPF_TRANSPORT_UDP);
  Data(5, OTELBPF_DIR_SEND, Message(0x1234, false), 1000, 71);
  EXPECT_TRUE(lookups_.empty());
  Data(5, OTELBPF_DIR_RECV, Message(0x1234, true, 0, 1), 5000, 71);
  ASSERT_EQ(lookups_.size(), 1u);
  EXPECT_EQ(Attr(0, "dns.question.name"), "a.test");
  EXPECT_EQ(lookups_[0].span.name, "DNS A");
  EXPECT_EQ(Attr(0, "dns.answer.count"), "1");
  EXPECT_EQ(Attr(0, "network.transport"), "udp");
  EXPECT_EQ(lookups_[0].origin.tid, 71u);
  EXPECT_FALSE(lookups_[0].origin.exchange_index.has_value()) << "UDP has no stream position";
  EXPECT_EQ(lookups_[0].first_byte_ns, 1000u);
  EXPECT_EQ(peers_[0], "127.0.0.53:53");
  EXPECT_EQ(transports_[0], Transport::kUdp);
  EXPECT_EQ(other_, 0);
  EXPECT_EQ(tracker_.stats().exchanges_by_protocol[OTELBPF_PROTO_DNS], 1u);
}

TEST_F(ConnectionTrackerDnsTest, TcpLengthPrefixedMessages) {
  OpenDns(6, OTELBPF_TRANSPORT_TCP);
  auto framed = [](const std::string& m) {
    return std::string{static_cast<char>(m.size() >> 8), static_cast<char>(m.size() & 0xff)} + m;
  };
  Data(6, OTELBPF_DIR_SEND, framed(Message(9, false)), 1000);
  Data(6, OTELBPF_DIR_RECV, framed(Message(9, true, 3)), 2000);  // NXDOMAIN
  Data(6, OTELBPF_DIR_SEND, framed(Message(10, false)), 3000);
  Data(6, OTELBPF_DIR_RECV, framed(Message(10, true)), 4000);
  ASSERT_EQ(lookups_.size(), 2u);
  EXPECT_EQ(Attr(0, "network.transport"), "tcp");
  EXPECT_EQ(Attr(0, "dns.response_code"), "NXDOMAIN");
  EXPECT_EQ(transports_[0], Transport::kTcp);
  // Over TCP a lookup has a position on its connection, like any request/response protocol.
  EXPECT_EQ(lookups_[0].origin.exchange_index, std::optional<uint64_t>(0));
  EXPECT_EQ(lookups_[1].origin.exchange_index, std::optional<uint64_t>(1));
}

TEST_F(ConnectionTrackerDnsTest, UnansweredQueriesExpireOrEndAtClose) {
  OpenDns(5, OTELBPF_TRANSPORT_UDP);
  Data(5, OTELBPF_DIR_SEND, Message(1, false), 1000);
  tracker_.Expire(20'000'000'000);  // long past the 5 s timeout
  ASSERT_EQ(lookups_.size(), 1u);
  EXPECT_EQ(Attr(0, "error.type"), "timeout");

  Data(5, OTELBPF_DIR_SEND, Message(2, false), 30'000'000'000);
  otelbpf_event_header close{};
  close.type = OTELBPF_EV_CONN_CLOSE;
  close.tgid = 7;
  close.fd = 5;
  close.generation = 1;
  close.end_ns = 30'000'001'000;
  tracker_.HandleRecord(&close, sizeof(close));
  ASSERT_EQ(lookups_.size(), 2u);
  EXPECT_EQ(Attr(1, "error.type"), "closed_before_response");
  EXPECT_EQ(tracker_.connection_count(), 0u);
  tracker_.Expire(90'000'000'000);  // the closed socket is forgotten: nothing new
  EXPECT_EQ(lookups_.size(), 2u);
}

}  // namespace
}  // namespace otelbpf
