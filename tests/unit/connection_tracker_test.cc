// The tracker fed with records shaped exactly as the kernel side emits them.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>
#include <vector>

#include "capture/connection_tracker.h"
#include "http2_wire_builders.h"
#include "kernel_records.h"

namespace otelbpf {
namespace {

struct Seen {
  Span span;  // what the HTTP/1 parser built: the tracker never names a protocol
  ConnectionInfo connection;
  SpanOrigin origin;
};

std::string StringAttribute(const Span& span, std::string_view key) {
  const AttributeValue* v = FindAttribute(span.attributes, key);
  return v && std::holds_alternative<std::string>(*v) ? std::get<std::string>(*v) : "";
}

int64_t IntAttribute(const Span& span, std::string_view key) {
  const AttributeValue* v = FindAttribute(span.attributes, key);
  return v && std::holds_alternative<int64_t>(*v) ? std::get<int64_t>(*v) : -1;
}

class ConnectionTrackerTest : public ::testing::Test {
 protected:
  ConnectionTrackerTest()
      : processes_(ResourceDefaults{}, "/nonexistent-proc"),
        tracker_(
            processes_,
            [this](ExchangeSpan& x, const ConnectionInfo& c) {
              seen_.push_back({std::move(x.span), c, x.origin});
            },
            /*max_connections=*/4) {}

  void Open(uint32_t pid, int32_t fd, uint64_t gen, uint8_t role, uint16_t local_port = 8080,
            uint16_t peer_port = 40000, const char* peer_addr = "10.1.2.3") {
    otelbpf_conn_open_event e{};
    e.hdr.type = OTELBPF_EV_CONN_OPEN;
    e.hdr.tgid = pid;
    e.hdr.fd = fd;
    e.hdr.generation = gen;
    e.hdr.role = role;
    e.protocol = OTELBPF_PROTO_HTTP1;
    e.family = AF_INET;
    e.local_port = local_port;
    e.peer_port = peer_port;
    inet_pton(AF_INET, "127.0.0.1", e.local_addr);
    inet_pton(AF_INET, peer_addr, e.peer_addr);
    std::strcpy(e.comm, "server");
    tracker_.HandleRecord(&e, sizeof(e));
  }

  void Data(uint32_t pid, int32_t fd, uint64_t gen, uint8_t dir, const std::string& bytes,
            uint64_t t, uint32_t tid = 0, uint64_t goroutine = 0) {
    const auto rec = testing_support::DataRecord(pid, fd, gen, dir, bytes, t, tid, goroutine);
    tracker_.HandleRecord(rec.data(), rec.size());
  }

  void Retransmit(uint32_t pid, int32_t fd, uint64_t gen, uint64_t t, uint16_t local_port = 8080,
                  uint16_t peer_port = 40000) {
    otelbpf_tcp_retransmit_event e{};
    e.hdr.type = OTELBPF_EV_TCP_RETRANSMIT;
    e.hdr.tgid = pid;
    e.hdr.fd = fd;
    e.hdr.generation = gen;
    e.hdr.start_ns = e.hdr.end_ns = t;
    e.family = AF_INET;
    e.local_port = local_port;
    e.peer_port = peer_port;
    inet_pton(AF_INET, "127.0.0.1", e.local_addr);
    inet_pton(AF_INET, "127.0.0.1", e.peer_addr);
    e.state = 1;
    tracker_.HandleRecord(&e, sizeof(e));
  }

  void Header(uint8_t type, uint32_t pid, int32_t fd, uint64_t gen, uint8_t flags = 0) {
    otelbpf_event_header h{};
    h.type = type;
    h.tgid = pid;
    h.fd = fd;
    h.generation = gen;
    h.flags = flags;
    h.start_ns = h.end_ns = 1000;
    tracker_.HandleRecord(&h, sizeof(h));
  }

  const std::string kRequest = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string kResponse = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

  ProcessRegistry processes_;
  std::vector<Seen> seen_;
  ConnectionTracker tracker_;
};

TEST_F(ConnectionTrackerTest, ServerExchangeCarriesConnectionFacts) {
  Open(10, 5, 1, OTELBPF_ROLE_SERVER);
  Data(10, 5, 1, OTELBPF_DIR_RECV, kRequest, 100);
  Data(10, 5, 1, OTELBPF_DIR_SEND, kResponse, 200);
  ASSERT_EQ(seen_.size(), 1u);
  const Seen& s = seen_[0];
  EXPECT_EQ(StringAttribute(s.span, "url.path"), "/a");
  EXPECT_EQ(IntAttribute(s.span, "http.response.status_code"), 200);
  EXPECT_EQ(s.connection.role, ConnectionRole::kServer);
  EXPECT_EQ(s.connection.local.address, "127.0.0.1");
  EXPECT_EQ(s.connection.local.port, 8080);
  EXPECT_EQ(s.connection.peer.address, "10.1.2.3");
  EXPECT_EQ(s.connection.peer.port, 40000);
  EXPECT_EQ(s.connection.pid, 10u);
  ASSERT_NE(s.connection.resource, nullptr);
  EXPECT_EQ(tracker_.connection_count(), 1u);
  Header(OTELBPF_EV_CONN_CLOSE, 10, 5, 1);
  EXPECT_EQ(tracker_.connection_count(), 0u);
}

TEST_F(ConnectionTrackerTest, OnlyConnectionsQuietForAWholeExpirePeriodRest) {
  Open(10, 5, 1, OTELBPF_ROLE_SERVER);
  Data(10, 5, 1, OTELBPF_DIR_RECV, kRequest, 100);
  Data(10, 5, 1, OTELBPF_DIR_SEND, kResponse, 200);
  EXPECT_EQ(tracker_.Expire(1'000'000'000), 0u);  // bytes moved since the last pass
  Data(10, 5, 1, OTELBPF_DIR_RECV, kRequest, 300);  // a request waits for its response
  EXPECT_EQ(tracker_.Expire(2'000'000'000), 0u);
  EXPECT_EQ(tracker_.Expire(3'000'000'000), 0u);  // quiet, but not between messages
  Data(10, 5, 1, OTELBPF_DIR_SEND, kResponse, 400);
  EXPECT_EQ(tracker_.Expire(4'000'000'000), 0u);
  EXPECT_EQ(tracker_.Expire(5'000'000'000), 1u);  // quiet and between messages: it rests
  EXPECT_EQ(tracker_.Expire(6'000'000'000), 0u);  // resting already
  // It wakes at its next byte, where it left off.
  Data(10, 5, 1, OTELBPF_DIR_RECV, kRequest, 500);
  Data(10, 5, 1, OTELBPF_DIR_SEND, kResponse, 600);
  ASSERT_EQ(seen_.size(), 3u);
  EXPECT_EQ(seen_[2].origin.exchange_index, 2u);
  EXPECT_EQ(IntAttribute(seen_[2].span, "http.response.status_code"), 200);
  EXPECT_EQ(tracker_.connection_count(), 1u);
}

TEST_F(ConnectionTrackerTest, DataOfAnOtherGenerationIsNeverMixedIn) {
  Open(10, 5, 1, OTELBPF_ROLE_SERVER);
  Data(10, 5, 1, OTELBPF_DIR_RECV, kRequest, 100);
  Data(10, 5, 2, OTELBPF_DIR_SEND, kResponse, 200);  // same fd, newer connection
  EXPECT_TRUE(seen_.empty());
  EXPECT_EQ(tracker_.stats().orphan_data, 1u);
}

TEST_F(ConnectionTrackerTest, ReopenedFdEndsThePreviousConnection) {
  Open(10, 5, 1, OTELBPF_ROLE_SERVER);
  Data(10, 5, 1, OTELBPF_DIR_RECV, kRequest, 100);
  Open(10, 5, 2, OTELBPF_ROLE_SERVER);  // close record was lost
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(IntAttribute(seen_[0].span, "http.response.status_code"), -1) << "no response";
  EXPECT_EQ(tracker_.connection_count(), 1u);
}

TEST_F(ConnectionTrackerTest, ResetEndsPendingRequestWithError) {
  Open(10, 5, 1, OTELBPF_ROLE_CLIENT);
  Data(10, 5, 1, OTELBPF_DIR_SEND, kRequest, 100);
  Header(OTELBPF_EV_CONN_CLOSE, 10, 5, 1, OTELBPF_FLAG_RESET);
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(StringAttribute(seen_[0].span, "error.type"), "connection_reset");
}

TEST_F(ConnectionTrackerTest, ProcessExitForgetsAllItsConnections) {
  Open(10, 5, 1, OTELBPF_ROLE_SERVER);
  Open(10, 6, 2, OTELBPF_ROLE_SERVER);
  Open(11, 5, 3, OTELBPF_ROLE_SERVER);
  uint32_t exited = 0;
  tracker_.OnProcessExit([&](uint32_t pid) { exited = pid; });
  Header(OTELBPF_EV_PROCESS_EXIT, 10, -1, 0);
  EXPECT_EQ(exited, 10u);
  EXPECT_EQ(tracker_.connection_count(), 1u);
}

TEST_F(ConnectionTrackerTest, AnExecMakesTheProcessBeDescribedAgainAsItsNewProgram) {
  std::vector<uint32_t> described, execs;
  tracker_.OnProcessDescribed([&](uint32_t pid) { described.push_back(pid); });
  tracker_.OnProcessExec([&](uint32_t pid) { execs.push_back(pid); });
  Open(10, 5, 1, OTELBPF_ROLE_SERVER);
  Open(10, 6, 2, OTELBPF_ROLE_SERVER);
  EXPECT_EQ(described, std::vector<uint32_t>{10}) << "described once, at its first event";
  Header(OTELBPF_EV_PROCESS_EXEC, 10, -1, 0);
  EXPECT_EQ(execs, std::vector<uint32_t>{10});
  EXPECT_EQ(tracker_.stats().process_execs, 1u);
  EXPECT_EQ(tracker_.connection_count(), 2u) << "inherited sockets stay open across exec";
  Open(10, 7, 3, OTELBPF_ROLE_SERVER);
  EXPECT_EQ(described, (std::vector<uint32_t>{10, 10})) << "the new program is described again";
}

TEST_F(ConnectionTrackerTest, TableIsBounded) {
  for (int fd = 0; fd < 10; ++fd) Open(10, fd, 100 + fd, OTELBPF_ROLE_SERVER);
  EXPECT_EQ(tracker_.connection_count(), 4u);
  EXPECT_EQ(tracker_.stats().connections_rejected, 6u);
}

TEST_F(ConnectionTrackerTest, AConnectionOfAProtocolNoParserKnowsIsHandedBackToTheKernel) {
  std::vector<uint64_t> abandoned;
  tracker_.OnAbandon([&](uint32_t, int32_t, uint64_t generation) { abandoned.push_back(generation); });
  otelbpf_conn_open_event e{};
  e.hdr.type = OTELBPF_EV_CONN_OPEN;
  e.hdr.tgid = 10;
  e.hdr.fd = 5;
  e.hdr.generation = 7;
  e.protocol = OTELBPF_PROTO_COUNT;  // newer than this user space
  e.family = AF_INET;
  tracker_.HandleRecord(&e, sizeof(e));
  EXPECT_EQ(tracker_.connection_count(), 0u);
  EXPECT_EQ(tracker_.stats().connections_unknown_protocol, 1u);
  EXPECT_EQ(abandoned, std::vector<uint64_t>{7});
  e.protocol = OTELBPF_PROTO_UNKNOWN;  // a zeroed field never means a protocol
  tracker_.HandleRecord(&e, sizeof(e));
  EXPECT_EQ(tracker_.stats().connections_unknown_protocol, 2u);
}

TEST_F(ConnectionTrackerTest, AParserThatRejectsItsBytesAbandonsTheConnection) {
  std::vector<uint64_t> abandoned;
  tracker_.OnAbandon([&](uint32_t, int32_t, uint64_t generation) { abandoned.push_back(generation); });
  Open(10, 5, 3, OTELBPF_ROLE_UNKNOWN);
  // Binary noise, many times over: HTTP/1's parser gives up on it (kAbandonAfterUnparseable*).
  const std::string noise(1024, '\x01');
  for (int i = 0; i < 80 && tracker_.connection_count() == 1; ++i)
    Data(10, 5, 3, OTELBPF_DIR_RECV, noise, 100 + i);
  EXPECT_EQ(tracker_.connection_count(), 0u);
  EXPECT_EQ(tracker_.stats().connections_abandoned, 1u);
  EXPECT_EQ(abandoned, std::vector<uint64_t>{3});
}

TEST_F(ConnectionTrackerTest, MalformedRecordsAreCountedNotTrusted) {
  uint8_t tiny[3] = {OTELBPF_EV_DATA, 0, 0};
  tracker_.HandleRecord(tiny, sizeof(tiny));
  otelbpf_event_header lying{};
  lying.type = OTELBPF_EV_DATA;
  lying.captured = 4000;  // claims more payload than the record holds
  lying.length = 4000;
  tracker_.HandleRecord(&lying, sizeof(lying));
  otelbpf_event_header unknown{};
  unknown.type = 99;
  tracker_.HandleRecord(&unknown, sizeof(unknown));
  EXPECT_EQ(tracker_.stats().malformed_records, 3u);
  EXPECT_TRUE(seen_.empty());
}

TEST_F(ConnectionTrackerTest, RetransmissionsLandOnTheExchangeTheyDelayed) {
  int counted = 0;
  tracker_.OnRetransmit(
      [&](const ResourcePtr& r, const Endpoint& local, const Endpoint& peer, uint16_t state) {
        ++counted;
        EXPECT_NE(r, nullptr);
        EXPECT_EQ(local.port, 8080);
        EXPECT_EQ(peer.port, 40000);
        EXPECT_EQ(state, 1);
      });
  Open(10, 5, 1, OTELBPF_ROLE_CLIENT);
  Retransmit(10, 5, 1, 50);  // before the request: belongs to nothing we report
  Data(10, 5, 1, OTELBPF_DIR_SEND, kRequest, 100);
  Retransmit(10, 5, 1, 150);  // while waiting for the response
  Retransmit(0, -1, 0, 160);  // owner unknown: counted, attributed to no span
  Data(10, 5, 1, OTELBPF_DIR_RECV, kResponse, 400);
  ASSERT_EQ(seen_.size(), 1u);
  const KernelContext& k = seen_[0].connection.kernel;
  ASSERT_EQ(k.retransmits.size(), 1u);
  EXPECT_EQ(k.retransmits[0].monotonic_ns, 150u);
  EXPECT_EQ(counted, 2);
  EXPECT_EQ(tracker_.stats().retransmits, 3u);
  EXPECT_EQ(tracker_.stats().retransmits_unattributed, 1u);

  Data(10, 5, 1, OTELBPF_DIR_SEND, kRequest, 500);
  Data(10, 5, 1, OTELBPF_DIR_RECV, kResponse, 600);
  ASSERT_EQ(seen_.size(), 2u);
  EXPECT_TRUE(seen_[1].connection.kernel.retransmits.empty()) << "the next exchange had no loss";
}

TEST_F(ConnectionTrackerTest, LocalServersRetransmissionShowsOnLocalClientsSpan) {
  // Both ends on this host: client pid 20 (port 50000) talks to server pid 10 (port 8080).
  Open(10, 5, 1, OTELBPF_ROLE_SERVER, 8080, 50000, "127.0.0.1");
  Open(20, 7, 2, OTELBPF_ROLE_CLIENT, 50000, 8080, "127.0.0.1");
  Data(20, 7, 2, OTELBPF_DIR_SEND, kRequest, 100);
  Data(10, 5, 1, OTELBPF_DIR_RECV, kRequest, 110);
  Data(10, 5, 1, OTELBPF_DIR_SEND, kResponse, 120);  // server span ends here
  Retransmit(10, 5, 1, 300, 8080, 50000);            // the response was lost and resent
  Data(20, 7, 2, OTELBPF_DIR_RECV, kResponse, 320);  // client span ends here
  ASSERT_EQ(seen_.size(), 2u);
  EXPECT_TRUE(seen_[0].connection.kernel.retransmits.empty())
      << "server span ended before the loss";
  const auto& client = seen_[1].connection.kernel.retransmits;
  ASSERT_EQ(client.size(), 1u);
  EXPECT_TRUE(client[0].by_peer);
  EXPECT_EQ(client[0].monotonic_ns, 300u);
}

TEST_F(ConnectionTrackerTest, KernelSnapshotNamesAProcessGoneFromProc) {
  // /nonexistent-proc: as if the process had exited before the agent looked.
  auto snap = std::make_unique<otelbpf_process_snapshot_event>();
  std::memset(snap.get(), 0, sizeof(*snap));
  snap->hdr.type = OTELBPF_EV_PROCESS_SNAPSHOT;
  snap->hdr.tgid = 10;
  const char argv[] = "curl\0-s";  // with its closing NUL: 8 bytes
  const char env[] = "X=1\0OTEL_SERVICE_NAME=it-curl";
  std::memcpy(snap->args, argv, sizeof(argv));
  std::memcpy(snap->env, env, sizeof(env));
  snap->args_len = snap->args_total = sizeof(argv);
  snap->env_len = snap->env_total = sizeof(env);
  snap->env_total = 0xffffffff;  // a lying total must not read past the copy: just "truncated"
  tracker_.HandleRecord(snap.get(), sizeof(*snap));
  EXPECT_EQ(tracker_.stats().process_snapshots, 1u);
  Open(10, 5, 1, OTELBPF_ROLE_CLIENT);
  Data(10, 5, 1, OTELBPF_DIR_SEND, kRequest, 100);
  Data(10, 5, 1, OTELBPF_DIR_RECV, kResponse, 200);
  ASSERT_EQ(seen_.size(), 1u);
  const Resource& r = *seen_[0].connection.resource;
  EXPECT_EQ(std::get<std::string>(*FindAttribute(r.attributes, "service.name")), "it-curl");
  EXPECT_EQ(std::get<std::string>(*FindAttribute(r.attributes, "process.command_line")),
            "curl -s");
}

TEST_F(ConnectionTrackerTest, ShortSnapshotRecordIsMalformed) {
  otelbpf_event_header h{};
  h.type = OTELBPF_EV_PROCESS_SNAPSHOT;
  tracker_.HandleRecord(&h, sizeof(h));
  EXPECT_EQ(tracker_.stats().malformed_records, 1u);
  EXPECT_EQ(tracker_.stats().process_snapshots, 0u);
}

void SendTraceContext(ConnectionTracker& tracker, uint32_t pid, int32_t fd, uint64_t gen,
                      uint64_t start_ns, uint8_t span_byte) {
  otelbpf_trace_context_event e{};
  e.hdr.type = OTELBPF_EV_TRACE_CONTEXT;
  e.hdr.tgid = pid;
  e.hdr.fd = fd;
  e.hdr.generation = gen;
  e.hdr.start_ns = start_ns;
  std::memset(e.trace_id, 0xab, sizeof(e.trace_id));
  std::memset(e.span_id, span_byte, sizeof(e.span_id));
  e.sampled = 1;
  tracker.HandleRecord(&e, sizeof(e));
}

TEST_F(ConnectionTrackerTest, IdsTheKernelPutOnTheWireReachTheirExchangeOnly) {
  Open(10, 5, 1, OTELBPF_ROLE_CLIENT);
  SendTraceContext(tracker_, 10, 5, 1, 100, 0x01);  // the send at 100 carried a traceparent
  Data(10, 5, 1, OTELBPF_DIR_SEND, kRequest, 100);
  Data(10, 5, 1, OTELBPF_DIR_RECV, kResponse, 200);
  Data(10, 5, 1, OTELBPF_DIR_SEND, kRequest, 300);  // its next request carried none
  Data(10, 5, 1, OTELBPF_DIR_RECV, kResponse, 400);
  ASSERT_EQ(seen_.size(), 2u);
  ASSERT_TRUE(seen_[0].connection.kernel.wire.has_value());
  EXPECT_EQ(seen_[0].connection.kernel.wire->span_id[0], 0x01);
  EXPECT_EQ(seen_[0].connection.kernel.wire->trace_id[15], 0xab);
  EXPECT_TRUE(seen_[0].connection.kernel.wire->sampled);
  EXPECT_FALSE(seen_[1].connection.kernel.wire.has_value());
  EXPECT_EQ(tracker_.stats().wire_contexts, 1u);
  EXPECT_EQ(tracker_.stats().wire_contexts_unmatched, 0u);
}

TEST_F(ConnectionTrackerTest, ServerRequestIsMatchedByItsReceivesExit) {
  Open(10, 5, 1, OTELBPF_ROLE_SERVER);
  Data(10, 5, 1, OTELBPF_DIR_RECV, kRequest, 100);  // the receive exits at 110
  SendTraceContext(tracker_, 10, 5, 1, 110, 0x02);   // reported when a call carried it on
  Data(10, 5, 1, OTELBPF_DIR_SEND, kResponse, 200);
  ASSERT_EQ(seen_.size(), 1u);
  ASSERT_TRUE(seen_[0].connection.kernel.wire.has_value());
  EXPECT_EQ(seen_[0].connection.kernel.wire->span_id[0], 0x02);
}

TEST_F(ConnectionTrackerTest, WireContextOfAnUnknownOrLostExchangeIsCountedNotMisapplied) {
  SendTraceContext(tracker_, 99, 5, 1, 100, 0x03);  // no such connection
  Open(10, 5, 1, OTELBPF_ROLE_CLIENT);
  SendTraceContext(tracker_, 10, 5, 1, 50, 0x04);  // its request never made an exchange
  Data(10, 5, 1, OTELBPF_DIR_SEND, kRequest, 100);
  Data(10, 5, 1, OTELBPF_DIR_RECV, kResponse, 200);
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_FALSE(seen_[0].connection.kernel.wire.has_value());
  EXPECT_EQ(tracker_.stats().wire_contexts_unmatched, 2u);
}

TEST_F(ConnectionTrackerTest, OnlyExchangesThatMayStillGetALocalParentAreHeld) {
  // pid 10 serves a remote caller on thread 77 and calls a local service from threads 77 and 78.
  Open(10, 5, 1, OTELBPF_ROLE_SERVER, 8080, 40000, "10.1.2.3");
  Open(10, 6, 1, OTELBPF_ROLE_CLIENT, 40001, 9000, "127.0.0.1");
  Open(10, 7, 1, OTELBPF_ROLE_CLIENT, 40002, 9000, "127.0.0.1");
  Open(20, 3, 1, OTELBPF_ROLE_SERVER, 9000, 40001, "127.0.0.1");  // the other end of fd 6
  auto exchange = [&](uint32_t pid, int32_t fd, bool server, uint64_t t, uint32_t tid,
                      uint64_t gen = 1) {
    Data(pid, fd, gen, server ? OTELBPF_DIR_RECV : OTELBPF_DIR_SEND, kRequest, t, tid);
    Data(pid, fd, gen, server ? OTELBPF_DIR_SEND : OTELBPF_DIR_RECV, kResponse, t + 50, tid);
    EXPECT_FALSE(seen_.empty());
    return seen_.empty() ? SpanOrigin{} : seen_.back().origin;
  };
  EXPECT_TRUE(exchange(10, 5, true, 100, 77).local_parent_may_follow)
      << "a connection's first exchange: its other end's records may still be on their way";
  EXPECT_FALSE(exchange(10, 5, true, 200, 77).local_parent_may_follow)
      << "the caller is not on this host: no same-host CLIENT will come";
  EXPECT_TRUE(exchange(10, 6, false, 300, 77).local_parent_may_follow)
      << "thread 77 read a request: its SERVER span may be this call's parent";
  EXPECT_FALSE(exchange(10, 7, false, 400, 78).local_parent_may_follow)
      << "thread 78 never read from a server connection";
  exchange(20, 3, true, 500, 90);
  EXPECT_TRUE(exchange(20, 3, true, 600, 90).local_parent_may_follow)
      << "its caller (pid 10, fd 6) is watched here: the CLIENT span will come";
  Header(OTELBPF_EV_PROCESS_EXIT, 10, -1, 0);
  const size_t before = seen_.size();
  Open(10, 6, 2, OTELBPF_ROLE_CLIENT, 40003, 9000, "127.0.0.1");
  EXPECT_EQ(tracker_.connection_count(), 2u);
  EXPECT_FALSE(exchange(10, 6, false, 700, 77, 2).local_parent_may_follow)
      << "a process's serving threads are forgotten when it exits";
  EXPECT_EQ(seen_.size(), before + 1);
}

TEST_F(ConnectionTrackerTest, AnH2cUpgradeMovesTheConnectionToHttp2) {
  using namespace http2::wire;
  std::vector<uint8_t> told_kernel;
  tracker_.OnSwitch([&](uint32_t pid, int32_t fd, uint64_t gen, uint8_t protocol) {
    EXPECT_EQ(std::make_tuple(pid, fd, gen), std::make_tuple(10u, 5, 1u));
    told_kernel.push_back(protocol);
  });
  Open(10, 5, 1, OTELBPF_ROLE_SERVER);
  Data(10, 5, 1, OTELBPF_DIR_RECV,
       "GET /up HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
       "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABk\r\n\r\n",
       100);
  // The 101, the server's SETTINGS and its answer to stream 1, in one write.
  Data(10, 5, 1, OTELBPF_DIR_SEND,
       "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n" +
           Settings() + Headers(1, StatusBlock(200), false) + http2::wire::Data(1, "ok", true),
       200);
  ASSERT_EQ(seen_.size(), 1u) << "stream 1 is the upgrading request, answered in HTTP/2";
  EXPECT_EQ(StringAttribute(seen_[0].span, "url.path"), "/up");
  EXPECT_EQ(StringAttribute(seen_[0].span, "network.protocol.version"), "2");
  EXPECT_EQ(IntAttribute(seen_[0].span, "http.response.status_code"), 200);
  EXPECT_EQ(seen_[0].connection.protocol, OTELBPF_PROTO_HTTP2);
  EXPECT_EQ(seen_[0].origin.exchange_index, 1u);
  EXPECT_EQ(told_kernel, std::vector<uint8_t>{OTELBPF_PROTO_HTTP2});
  EXPECT_EQ(tracker_.stats().connections_switched, 1u);
  EXPECT_EQ(tracker_.stats().connections_abandoned, 0u);

  // Then the client's preface and a new stream, as on any HTTP/2 connection.
  Data(10, 5, 1, OTELBPF_DIR_RECV,
       Preface() + Settings() + Headers(3, RequestBlock("POST", "/next", "x"), true), 300);
  Data(10, 5, 1, OTELBPF_DIR_SEND, Headers(3, StatusBlock(404), true), 400);
  ASSERT_EQ(seen_.size(), 2u);
  EXPECT_EQ(StringAttribute(seen_[1].span, "url.path"), "/next");
  EXPECT_EQ(IntAttribute(seen_[1].span, "http.response.status_code"), 404);
  EXPECT_EQ(tracker_.connection_count(), 1u);
}

TEST_F(ConnectionTrackerTest, AnH2cUpgradeIsNotFollowedWhenHttp2IsOff) {
  tracker_.SetSwitchTargets(~0u & ~(1u << OTELBPF_PROTO_HTTP2));
  Open(10, 5, 1, OTELBPF_ROLE_SERVER);
  Data(10, 5, 1, OTELBPF_DIR_RECV, "GET /up HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\n\r\n", 100);
  Data(10, 5, 1, OTELBPF_DIR_SEND,
       "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n", 200);
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(IntAttribute(seen_[0].span, "http.response.status_code"), 101);
  EXPECT_EQ(tracker_.stats().connections_switched, 0u);
  EXPECT_EQ(tracker_.stats().connections_abandoned, 1u);
  EXPECT_EQ(tracker_.connection_count(), 0u);
}

// Go: a goroutine the serving goroutine started makes the call (OTELBPF_EV_GO_SPAWN first).
class GoSpawnTrackerTest : public ConnectionTrackerTest {
 protected:
  static constexpr uint64_t kServing = 0xc000001000, kStarted = 0xc000002000,
                            kGrandchild = 0xc000003000, kWriter = 0xc000009000;
  void Spawn(uint64_t goroutine, std::vector<std::pair<uint64_t, uint64_t>> line, uint64_t t) {
    otelbpf_go_spawn_event e{};
    e.hdr.type = OTELBPF_EV_GO_SPAWN;
    e.hdr.tgid = 10;
    e.hdr.start_ns = e.hdr.end_ns = t;
    e.goroutine = goroutine;
    for (size_t i = 0; i < line.size(); ++i) {
      e.parents[i] = line[i].first;
      e.started_ns[i] = line[i].second;
    }
    tracker_.HandleRecord(&e, sizeof(e));
  }
  void Serve(uint64_t t) {
    Open(10, 5, 1, OTELBPF_ROLE_SERVER, 8080, 40000, "10.1.2.3");
    Data(10, 5, 1, OTELBPF_DIR_RECV, kRequest, t, 77, kServing);
  }
  void Call(int32_t fd, uint64_t goroutine, uint64_t t) {
    Open(10, fd, 1, OTELBPF_ROLE_CLIENT, 40000 + fd, 9000, "127.0.0.1");
    Data(10, fd, 1, OTELBPF_DIR_SEND, kRequest, t, 78, goroutine);
    Data(10, fd, 1, OTELBPF_DIR_RECV, kResponse, t + 10, 79, kWriter);
  }
};

TEST_F(GoSpawnTrackerTest, ACallOfAStartedGoroutineIsOfferedToTheServingAncestor) {
  Serve(100);
  Spawn(kGrandchild, {{kStarted, 130}, {kServing, 120}}, 140);
  Call(6, kGrandchild, 150);
  Data(10, 5, 1, OTELBPF_DIR_SEND, kResponse, 200, 77, kServing);
  ASSERT_EQ(seen_.size(), 2u);
  const SpanOrigin& call = seen_[0].origin;
  EXPECT_EQ(call.tid, seen_[1].origin.tid) << "the serving goroutine's executor";
  EXPECT_EQ(call.started_by_parent_unix_nano, 120u) << "when it started the line";
  EXPECT_TRUE(call.local_parent_may_follow);
  EXPECT_EQ(tracker_.stats().go_spawns, 1u);
  EXPECT_EQ(tracker_.stats().go_calls_by_started_goroutines, 1u);
}

TEST_F(GoSpawnTrackerTest, AServingProgramsCallFromAnUnknownGoroutineAsksForItsLineageOnce) {
  std::vector<uint32_t> asked;
  tracker_.OnGoLineageNeeded([&](uint32_t pid) { asked.push_back(pid); });
  Open(10, 9, 1, OTELBPF_ROLE_CLIENT, 40009, 9000, "127.0.0.1");
  Data(10, 9, 1, OTELBPF_DIR_SEND, kRequest, 50, 70, kStarted);
  Data(10, 9, 1, OTELBPF_DIR_RECV, kResponse, 60, 70, kWriter);
  EXPECT_TRUE(asked.empty()) << "a program that serves nothing has no request to give calls to";
  Header(OTELBPF_EV_CONN_CLOSE, 10, 9, 1);  // the fixture tracks 4 connections at most
  Serve(100);
  Call(6, kStarted, 150);
  Call(7, kGrandchild, 170);
  Call(8, kServing, 190);  // the serving goroutine's own call needs no lineage
  EXPECT_TRUE(asked.empty()) << "two such calls may be the odd writer gone unnoticed";
  Header(OTELBPF_EV_CONN_CLOSE, 10, 6, 1);
  Call(6, kWriter + 1, 210);
  EXPECT_EQ(asked, std::vector<uint32_t>{10}) << "a third, among four calls: worth following";
  Header(OTELBPF_EV_CONN_CLOSE, 10, 7, 1);
  Call(7, kWriter + 2, 230);
  EXPECT_EQ(asked, std::vector<uint32_t>{10}) << "once per process";
  EXPECT_EQ(tracker_.stats().connections_rejected, 0u);
}

TEST_F(GoSpawnTrackerTest, AParentWhoseGoroutineWasReusedByAYoungerOneIsNoAncestor) {
  Serve(100);  // the executor known at kServing since 100
  // kStarted was started at 90 by a goroutine that lived at kServing's address then, which
  // died: the serving goroutine there now (since 100) did not start it.
  Spawn(kStarted, {{kServing, 90}}, 140);
  Call(6, kStarted, 150);
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0].origin.started_by_parent_unix_nano, 0u);
  EXPECT_FALSE(seen_[0].origin.local_parent_may_follow) << "no serving ancestor: no parent";
  EXPECT_EQ(tracker_.stats().go_calls_by_started_goroutines, 0u);
}

TEST_F(GoSpawnTrackerTest, AGoroutineAtAReusedAddressIsANewExecutor) {
  // kStarted's address served a request once (an earlier goroutine); the one started at 130
  // serves nothing, so its call goes to the goroutine that started it.
  Open(10, 9, 1, OTELBPF_ROLE_SERVER, 8080, 40009, "10.1.2.9");
  Data(10, 9, 1, OTELBPF_DIR_RECV, kRequest, 50, 70, kStarted);
  Serve(100);
  Spawn(kStarted, {{kServing, 130}}, 140);
  Call(6, kStarted, 150);
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0].origin.started_by_parent_unix_nano, 130u);
  EXPECT_EQ(tracker_.stats().go_calls_by_started_goroutines, 1u);
}

TEST_F(ConnectionTrackerTest, GoroutinesStandInForThreads) {
  // A Go program: the request is read on thread 77 and the call written on thread 78, both for
  // goroutine 0xc000001000; another goroutine's call is written on thread 77.
  Open(10, 5, 1, OTELBPF_ROLE_SERVER, 8080, 40000, "10.1.2.3");
  Open(10, 6, 1, OTELBPF_ROLE_CLIENT, 40001, 9000, "127.0.0.1");
  Open(10, 7, 1, OTELBPF_ROLE_CLIENT, 40002, 9000, "127.0.0.1");
  Data(10, 5, 1, OTELBPF_DIR_RECV, kRequest, 100, 77, 0xc000001000);
  Data(10, 6, 1, OTELBPF_DIR_SEND, kRequest, 110, 78, 0xc000001000);
  Data(10, 6, 1, OTELBPF_DIR_RECV, kResponse, 120, 78, 0xc000002000);
  Data(10, 7, 1, OTELBPF_DIR_SEND, kRequest, 130, 77, 0xc000003000);
  Data(10, 7, 1, OTELBPF_DIR_RECV, kResponse, 140, 77, 0xc000003000);
  Data(10, 5, 1, OTELBPF_DIR_SEND, kResponse, 150, 79, 0xc000001000);
  ASSERT_EQ(seen_.size(), 3u);
  const SpanOrigin& same_goroutine = seen_[0].origin;
  const SpanOrigin& other_goroutine = seen_[1].origin;
  const SpanOrigin& server = seen_[2].origin;
  EXPECT_EQ(same_goroutine.tid, server.tid) << "one goroutine, two threads: one executor";
  EXPECT_NE(other_goroutine.tid, server.tid) << "one thread, two goroutines: two executors";
  EXPECT_NE(server.tid, 77u);
  EXPECT_TRUE(same_goroutine.local_parent_may_follow) << "its goroutine read a request";
  EXPECT_FALSE(other_goroutine.local_parent_may_follow) << "its goroutine never did";
}

TEST(TcpStateNameTest, NamesKernelStates) {
  EXPECT_STREQ(TcpStateName(1), "ESTABLISHED");
  EXPECT_STREQ(TcpStateName(2), "SYN_SENT");
  EXPECT_STREQ(TcpStateName(99), "UNKNOWN");
}

TEST(FormatAddressTest, V4MappedV6PrintsAsV4) {
  uint8_t a[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1};
  EXPECT_EQ(FormatAddress(AF_INET6, a), "127.0.0.1");
  uint8_t lo6[16] = {};
  lo6[15] = 1;
  EXPECT_EQ(FormatAddress(AF_INET6, lo6), "::1");
}

}  // namespace
}  // namespace otelbpf
