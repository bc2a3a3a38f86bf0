// The tracker's DNS path: sockets announced as DNS get a DNS stitcher, their datagrams become
// lookups, unanswered queries expire, and DNS spans never reach the HTTP stitcher.
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
        tracker_(
            processes_, [this](const http1::Exchange&, const ConnectionInfo&) { ++http_; },
            /*max_connections=*/4) {
    tracker_.OnDnsExchange([this](const dns::Exchange& x, const ConnectionInfo& c, uint32_t tid) {
      lookups_.push_back(x);
      tids_.push_back(tid);
      peers_.push_back(c.peer.address + ":" + std::to_string(c.peer.port));
    });
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
  int http_ = 0;
  std::vector<dns::Exchange> lookups_;
  std::vector<uint32_t> tids_;
  std::vector<std::string> peers_;
};

TEST_F(ConnectionTrackerDnsTest, UdpQueryAndResponseMakeOneLookup) {
  OpenDns(5, OTELBPF_TRANSPORT_UDP);
  Data(5, OTELBPF_DIR_SEND, Message(0x1234, false), 1000, 71);
  EXPECT_TRUE(lookups_.empty());
  Data(5, OTELBPF_DIR_RECV, Message(0x1234, true, 0, 1), 5000, 71);
  ASSERT_EQ(lookups_.size(), 1u);
  EXPECT_EQ(lookups_[0].question_name, "a.test");
  EXPECT_EQ(lookups_[0].question_type, 1);
  ASSERT_TRUE(lookups_[0].response.has_value());
  EXPECT_EQ(lookups_[0].response->answer_count, 1);
  EXPECT_FALSE(lookups_[0].over_tcp);
  EXPECT_EQ(tids_[0], 71u);
  EXPECT_EQ(peers_[0], "127.0.0.53:53");
  EXPECT_EQ(http_, 0);
  EXPECT_EQ(tracker_.stats().dns_exchanges, 1u);
}

TEST_F(ConnectionTrackerDnsTest, TcpLengthPrefixedMessages) {
  OpenDns(6, OTELBPF_TRANSPORT_TCP);
  auto framed = [](const std::string& m) {
    return std::string{static_cast<char>(m.size() >> 8), static_cast<char>(m.size() & 0xff)} + m;
  };
  Data(6, OTELBPF_DIR_SEND, framed(Message(9, false)), 1000);
  Data(6, OTELBPF_DIR_RECV, framed(Message(9, true, 3)), 2000);  // NXDOMAIN
  ASSERT_EQ(lookups_.size(), 1u);
  EXPECT_TRUE(lookups_[0].over_tcp);
  EXPECT_EQ(lookups_[0].response->rcode, 3);
}

TEST_F(ConnectionTrackerDnsTest, UnansweredQueriesExpireOrEndAtClose) {
  OpenDns(5, OTELBPF_TRANSPORT_UDP);
  Data(5, OTELBPF_DIR_SEND, Message(1, false), 1000);
  tracker_.ExpireDnsQueries(20'000'000'000);  // long past the 5 s timeout
  ASSERT_EQ(lookups_.size(), 1u);
  EXPECT_EQ(lookups_[0].error, dns::ExchangeError::kTimeout);

  Data(5, OTELBPF_DIR_SEND, Message(2, false), 30'000'000'000);
  otelbpf_event_header close{};
  close.type = OTELBPF_EV_CONN_CLOSE;
  close.tgid = 7;
  close.fd = 5;
  close.generation = 1;
  close.end_ns = 30'000'001'000;
  tracker_.HandleRecord(&close, sizeof(close));
  ASSERT_EQ(lookups_.size(), 2u);
  EXPECT_EQ(lookups_[1].error, dns::ExchangeError::kClosed);
  EXPECT_EQ(tracker_.connection_count(), 0u);
  tracker_.ExpireDnsQueries(90'000'000'000);  // the closed socket is forgotten: nothing new
  EXPECT_EQ(lookups_.size(), 2u);
}

}  // namespace
}  // namespace otelbpf
