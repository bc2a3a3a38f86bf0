// MemcachedParser end to end: bytes of both directions in, database spans out. Exact DbCall
// attributes for every command family, noreply, multi-line replies, errors, pipelining split at
// every offset, truncated captures, huge replies, mid-stream starts, garbage, roles, the binary
// protocol, UDP, meta commands, close and reset, and keys and values that never reach a span.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "db_parser_harness.h"
#include "http_capture.h"
#include "protocols/common/protocol.h"
#include "protocols/memcached/connection_parser.h"
#include "trace/span.h"

namespace otelbpf::memcached {
extern const Protocol kProtocol;
namespace {

using namespace std::string_literals;

using db_test::AllText;
using db_test::Int;
using db_test::Str;

// A connection of an observed client (or server) process of the memcached server at 10.0.0.9.
class Conn : public db_test::DbConnection<MemcachedParser> {
 public:
  explicit Conn(ConnectionRole role = ConnectionRole::kClient, bool midstream = false,
                Transport transport = Transport::kTcp)
      : DbConnection(role, midstream, transport, Endpoint{"10.0.0.9", 11211}) {}
  std::vector<ExchangeSpan> Drain(ConnectionInfo* info = nullptr) {
    SpanBuildOptions options;
    options.raw_query_text = true;  // even then, nothing but the command name
    return DrainWith(options, info);
  }
};

TEST(MemcachedParser, Registration) {
  EXPECT_EQ(kProtocol.id, OTELBPF_PROTO_MEMCACHED);
  EXPECT_EQ(kProtocol.name, "memcached");
  EXPECT_EQ(kProtocol.family, SemanticFamily::kDb);
  ASSERT_NE(kProtocol.make_parser, nullptr);
  EXPECT_NE(kProtocol.make_parser(ParserSetup{}), nullptr);
}

TEST(MemcachedParser, MultiGetCountsItemsAndExportsNoKeyOrValue) {
  Conn c;
  c.Request("get user:1 user:2 user:3\r\n");  // 1000
  c.Reply("VALUE user:1 0 11\r\nsecret-val1\r\nVALUE user:3 5 11\r\nsecret-val3\r\nEND\r\n");
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 1u);
  const Span& s = spans[0].span;
  EXPECT_EQ(s.name, "get");
  EXPECT_EQ(s.kind, SpanKind::kClient);
  EXPECT_EQ(s.status, StatusCode::kUnset);
  EXPECT_EQ(Str(s, "db.system.name"), "memcached");
  EXPECT_EQ(Str(s, "db.operation.name"), "get");
  EXPECT_EQ(Str(s, "db.query.text"), "get");
  EXPECT_EQ(Int(s, "db.response.returned_rows"), 2);
  EXPECT_EQ(FindAttribute(s.attributes, "db.operation.batch.size"), nullptr);
  EXPECT_EQ(Str(s, "db.namespace"), "<absent>");
  EXPECT_EQ(Str(s, "db.response.status_code"), "<absent>");
  EXPECT_EQ(Str(s, "server.address"), "10.0.0.9");
  EXPECT_EQ(spans[0].first_byte_ns, 1000u);
  EXPECT_EQ(spans[0].last_byte_ns, 1011u);
  EXPECT_EQ(spans[0].origin.tid, 7u);
  EXPECT_EQ(spans[0].origin.exchange_index, 0u);
  const std::string all = AllText(spans);
  EXPECT_EQ(all.find("user"), std::string::npos);
  EXPECT_EQ(all.find("secret"), std::string::npos);
}

TEST(MemcachedParser, EveryCommandFamily) {
  Conn c;
  struct Case {
    std::string request;
    std::string reply;
    std::string operation;
    std::optional<int64_t> rows;
  };
  const std::vector<Case> cases = {
      {"set k 0 0 5\r\nhello\r\n", "STORED\r\n", "set", std::nullopt},
      {"add k 0 0 5\r\nhello\r\n", "NOT_STORED\r\n", "add", std::nullopt},
      {"replace k 0 0 1\r\nx\r\n", "STORED\r\n", "replace", std::nullopt},
      {"append k 0 0 1\r\nx\r\n", "STORED\r\n", "append", std::nullopt},
      {"prepend k 0 0 1\r\nx\r\n", "STORED\r\n", "prepend", std::nullopt},
      {"cas k 0 0 1 99\r\nx\r\n", "EXISTS\r\n", "cas", std::nullopt},
      {"gets k\r\n", "VALUE k 0 1 100\r\nx\r\nEND\r\n", "gets", 1},
      {"gat 60 k j\r\n", "END\r\n", "gat", 0},
      {"gats 60 k\r\n", "VALUE k 0 1 100\r\nx\r\nEND\r\n", "gats", 1},
      {"incr n 5\r\n", "15\r\n", "incr", std::nullopt},
      {"decr n 100\r\n", "0\r\n", "decr", std::nullopt},
      {"delete k\r\n", "NOT_FOUND\r\n", "delete", std::nullopt},
      {"touch k 60\r\n", "TOUCHED\r\n", "touch", std::nullopt},
      {"flush_all\r\n", "OK\r\n", "flush_all", std::nullopt},
      {"version\r\n", "VERSION 1.6.21\r\n", "version", std::nullopt},
      {"verbosity 1\r\n", "OK\r\n", "verbosity", std::nullopt},
      {"stats\r\n", "STAT pid 1\r\nSTAT uptime 5\r\nSTAT version 1.6.21\r\nEND\r\n", "stats",
       std::nullopt},
      {"stats reset\r\n", "RESET\r\n", "stats", std::nullopt},
      {"stats slabs\r\n", "STAT 1:chunk_size 96\r\nSTAT active_slabs 1\r\nEND\r\n", "stats",
       std::nullopt},
  };
  for (const Case& x : cases) {
    c.Request(x.request);
    c.Reply(x.reply);
  }
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const Span& s = spans[i].span;
    EXPECT_EQ(Str(s, "db.operation.name"), cases[i].operation) << i;
    EXPECT_EQ(Str(s, "db.query.text"), cases[i].operation) << i;
    EXPECT_EQ(Int(s, "db.response.returned_rows"), cases[i].rows) << i;
    EXPECT_EQ(s.status, StatusCode::kUnset) << i;  // NOT_STORED, EXISTS, NOT_FOUND: no errors
    EXPECT_EQ(spans[i].first_byte_ns, 1000u + 20 * i);
    EXPECT_EQ(spans[i].last_byte_ns, 1011u + 20 * i);
    EXPECT_EQ(spans[i].origin.exchange_index, i);
  }
  EXPECT_EQ(c.parser().counters().unmatched_responses, 0u);
  EXPECT_EQ(c.parser().counters().parse_errors, 0u);
}

TEST(MemcachedParser, ErrorRepliesExportOnlyTheirKind) {
  Conn c;
  c.Request("bogus k\r\n");
  c.Reply("ERROR\r\n");
  c.Request("set k 0 0 notanumber\r\n");
  c.Reply("CLIENT_ERROR bad command line format for key k\r\n");
  c.Request("get big-key\r\n");
  c.Reply("SERVER_ERROR out of memory writing get response for big-key\r\n");
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 3u);
  const char* errors[] = {"ERROR", "CLIENT_ERROR", "SERVER_ERROR"};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(spans[i].span.status, StatusCode::kError);
    EXPECT_EQ(Str(spans[i].span, "db.response.status_code"), errors[i]);
    EXPECT_EQ(Str(spans[i].span, "error.type"), errors[i]);
  }
  EXPECT_EQ(Str(spans[0].span, "db.operation.name"), "bogus");
  EXPECT_EQ(Int(spans[2].span, "db.response.returned_rows"), std::nullopt);
  const std::string all = AllText(spans);
  EXPECT_EQ(all.find("memory"), std::string::npos);
  EXPECT_EQ(all.find("big-key"), std::string::npos);
  EXPECT_EQ(all.find("format"), std::string::npos);
}

TEST(MemcachedParser, NoreplyEndsAtTheRequestsLastByte) {
  Conn c;
  c.Data(Direction::kSend, "set k 0 0 5 noreply\r\nhel", 24);                          // 1000
  c.Data(Direction::kSend, "lo\r\n", 4);                                               // 1010
  c.Send("delete j noreply\r\nincr n 1 noreply\r\nflush_all 0 noreply\r\nget k\r\n");  // 1020
  c.Recv("VALUE k 0 5\r\nhello\r\nEND\r\n");                                           // 1030
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 5u);
  EXPECT_EQ(spans[0].span.name, "set");
  EXPECT_EQ(spans[0].first_byte_ns, 1000u);
  EXPECT_EQ(spans[0].last_byte_ns, 1011u);
  EXPECT_EQ(spans[1].span.name, "delete");
  EXPECT_EQ(spans[1].last_byte_ns, 1021u);
  EXPECT_EQ(spans[3].span.name, "flush_all");
  EXPECT_EQ(spans[4].span.name, "get");
  EXPECT_EQ(spans[4].last_byte_ns, 1031u);
  EXPECT_EQ(Int(spans[4].span, "db.response.returned_rows"), 1);
  for (size_t i = 0; i < spans.size(); ++i) EXPECT_EQ(spans[i].origin.exchange_index, i);
}

TEST(MemcachedParser, PipelineSplitAtEveryOffset) {
  const std::string requests = "set a 0 0 3\r\nabc\r\nget a b\r\nincr n 1\r\nstats\r\n";
  const std::string replies =
      "STORED\r\nVALUE a 0 3\r\nabc\r\nVALUE b 0 2\r\nxy\r\nEND\r\n7\r\nSTAT pid 1\r\nEND\r\n";
  const size_t starts[] = {0, requests.find("get"), requests.find("incr"), requests.find("stats")};
  for (size_t cut = 1; cut < requests.size() + replies.size(); ++cut) {
    Conn c;
    c.NumberStreams(0xfffffff8u, 100);  // the requests' numbers wrap past 2^32
    if (cut < requests.size()) {
      c.Send(requests.substr(0, cut));
      c.Send(requests.substr(cut));
      c.Recv(replies);
    } else {
      const size_t at = cut - requests.size();
      c.Send(requests);
      c.Recv(replies.substr(0, at));
      if (at < replies.size()) c.Recv(replies.substr(at));
    }
    const std::vector<ExchangeSpan> spans = c.Drain();
    ASSERT_EQ(spans.size(), 4u) << "cut at " << cut;
    EXPECT_EQ(spans[0].span.name, "set");
    EXPECT_EQ(spans[1].span.name, "get");
    EXPECT_EQ(Int(spans[1].span, "db.response.returned_rows"), 2);
    EXPECT_EQ(spans[2].span.name, "incr");
    EXPECT_EQ(spans[3].span.name, "stats");
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(spans[i].origin.request_tcp_seq,
                std::optional<uint32_t>(static_cast<uint32_t>(0xfffffff8u + starts[i])))
          << "cut at " << cut << " request " << i;
    }
    EXPECT_EQ(c.parser().counters().parse_errors, 0u);
    EXPECT_EQ(c.parser().counters().unmatched_responses, 0u);
  }
}

TEST(MemcachedParser, TruncatedCapturesOfHugeValues) {
  Conn c;
  const std::string value(1 << 20, 'v');
  const std::string set = "set k 0 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\n";
  c.Data(Direction::kSend, set.substr(0, 1024), set.size());  // 1000
  c.Recv("STORED\r\n");                                       // 1010
  c.Send("get k\r\n");                                        // 1020
  const std::string reply =
      "VALUE k 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\nEND\r\n";
  for (uint64_t sent = 0; sent < reply.size(); sent += 65536) {
    const uint64_t length = std::min<uint64_t>(65536, reply.size() - sent);
    c.Data(Direction::kRecv, reply.substr(sent, std::min<uint64_t>(1024, length)), length);
  }
  const uint64_t last_piece = c.now() - 10;
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].span.name, "set");
  EXPECT_EQ(spans[0].last_byte_ns, 1011u);
  EXPECT_EQ(spans[1].span.name, "get");
  EXPECT_EQ(spans[1].last_byte_ns, last_piece + 1);
  EXPECT_EQ(Int(spans[1].span, "db.response.returned_rows"), 1);
  EXPECT_EQ(c.parser().counters().parse_errors, 0u);
}

TEST(MemcachedParser, MultiGetReplyLostByTheCaptureStillEndsRight) {
  // 5000 items in one 64 KiB syscall after another, 1024 bytes captured of each: the VALUE lines
  // in the gaps are hidden. The reply goes on until the client's next request.
  Conn c;
  c.Send("get many\r\n");  // 1000
  std::string reply;
  for (int i = 0; i < 5000; ++i)
    reply += "VALUE key" + std::to_string(i) + " 0 20\r\n" + std::string(20, 'v') + "\r\n";
  reply += "END\r\n";
  for (uint64_t sent = 0; sent < reply.size(); sent += 65536) {
    const uint64_t length = std::min<uint64_t>(65536, reply.size() - sent);
    c.Data(Direction::kRecv, reply.substr(sent, std::min<uint64_t>(1024, length)), length);
  }
  const uint64_t last_piece = c.now() - 10;
  c.Send("version\r\n");
  c.Recv("VERSION 1.6.21\r\n");
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].span.name, "get");
  EXPECT_EQ(spans[0].last_byte_ns, last_piece + 1);
  EXPECT_EQ(Int(spans[0].span, "db.response.returned_rows"), std::nullopt);  // not counted
  EXPECT_EQ(spans[1].span.name, "version");
  EXPECT_EQ(c.parser().counters().dropped_requests, 0u);
}

TEST(MemcachedParser, MidStreamStartInTheMiddleOfAValue) {
  Conn c(ConnectionRole::kClient, /*midstream=*/true);
  c.Recv("e of a value\r\nEND\r\n");  // the end of a get sent before we watched
  c.Send("delete k\r\n");             // 1010
  c.Recv("DELETED\r\n");              // 1020
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].span.name, "delete");
  EXPECT_EQ(spans[0].first_byte_ns, 1010u);
  EXPECT_EQ(c.parser().counters().unmatched_responses, 1u);
}

TEST(MemcachedParser, GarbageBetweenRepliesDoesNotShiftThem) {
  Conn c;
  c.Send("get a\r\nget b\r\n");
  c.Recv("\x01\x02\x03\r\nEND\r\n\xfe\xff\r\nEND\r\n"s);
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(Int(spans[1].span, "db.response.returned_rows"), 0);
  EXPECT_EQ(c.parser().counters().parse_errors, 2u);
  EXPECT_EQ(c.parser().counters().unmatched_responses, 0u);
}

TEST(MemcachedParser, BinaryProtocolIsAbandoned) {
  Conn c(ConnectionRole::kUnknown);
  c.Send(
      "\x80\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00"
      "\x00\x00\x00\x00\x00\x00\x00\x00k"s);
  EXPECT_TRUE(c.parser().abandoned());
  c.Recv(
      "\x81\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
      "\x00\x00\x00\x00\x00\x00\x00\x00"s);
  ConnectionInfo info;
  info.role = ConnectionRole::kClient;
  EXPECT_TRUE(c.Drain(&info).empty());
}

TEST(MemcachedParser, RolesFromTheBytes) {
  {
    Conn c(ConnectionRole::kUnknown);
    c.Recv("get k\r\n");  // a request received: the observed process is the server
    c.Send("END\r\n");
    EXPECT_EQ(c.parser().role(), ConnectionRole::kServer);
    ConnectionInfo info;
    const std::vector<ExchangeSpan> spans = c.Drain(&info);
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_EQ(spans[0].span.kind, SpanKind::kServer);
  }
  {
    Conn c(ConnectionRole::kUnknown, /*midstream=*/true);
    c.Recv("STORED\r\n");  // a reply received: a client, even mid-stream
    EXPECT_EQ(c.parser().role(), ConnectionRole::kClient);
  }
  {
    Conn c(ConnectionRole::kUnknown, /*midstream=*/true);
    c.Recv("xyzzy\r\n");  // neither
    EXPECT_EQ(c.parser().role(), ConnectionRole::kUnknown);
    ConnectionInfo info;
    EXPECT_TRUE(c.Drain(&info).empty());
  }
}

TEST(MemcachedParser, ServerRole) {
  Conn c(ConnectionRole::kServer);
  c.Request("get k\r\n");
  c.Reply("END\r\n");
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].span.kind, SpanKind::kServer);
  EXPECT_EQ(Str(spans[0].span, "server.address"), "10.0.0.1");
}

TEST(MemcachedParser, Udp) {
  Conn c(ConnectionRole::kClient, false, Transport::kUdp);
  c.Send("\x00\x01\x00\x00\x00\x01\x00\x00get k\r\n"s);
  c.Recv("\x00\x01\x00\x00\x00\x01\x00\x00VALUE k 0 1\r\nx\r\nEND\r\n"s);
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(Int(spans[0].span, "db.response.returned_rows"), 1);
}

TEST(MemcachedParser, MetaCommands) {
  Conn c;
  c.Send("mg k v f\r\n");          // 1000
  c.Recv("VA 5 f0\r\nhello\r\n");  // 1010
  c.Send("ms k 2 T60\r\nhi\r\n");  // 1020
  c.Recv("HD\r\n");                // 1030
  // Quiet: a miss is not answered, a hit is; "mn" marks the end of the batch.
  c.Send("mg a v q\r\nmg b v q\r\nmn\r\n");  // 1040
  c.Recv("VA 1\r\nx\r\nMN\r\n");             // 1050
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 5u);
  EXPECT_EQ(spans[0].span.name, "mg");
  EXPECT_EQ(spans[0].last_byte_ns, 1011u);
  EXPECT_EQ(spans[1].span.name, "ms");
  EXPECT_EQ(spans[1].last_byte_ns, 1031u);
  EXPECT_EQ(spans[2].span.name, "mg");
  EXPECT_EQ(spans[2].last_byte_ns, 1041u);  // quiet: ends with its request
  EXPECT_EQ(spans[4].span.name, "mn");
  EXPECT_EQ(spans[4].last_byte_ns, 1051u);
  EXPECT_EQ(c.parser().counters().unmatched_responses, 1u);  // the quiet hit
}

TEST(MemcachedParser, WatchStreamsOnlyLogs) {
  Conn c;
  c.Send("watch fetchers\r\n");
  c.Recv("OK\r\n");
  c.Recv("ts=1700000000.1 gid=1 type=item_get key=secret status=found\r\n");
  c.Recv("ts=1700000000.2 gid=2 type=item_get key=other status=not_found\r\n");
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].span.name, "watch");
  EXPECT_EQ(c.parser().counters().unmatched_responses, 0u);
}

TEST(MemcachedParser, CloseDropsPendingAndResetEndsThemAsErrors) {
  {
    Conn c;
    c.Send("get k\r\n");
    c.parser().OnClose(5000, /*reset=*/false);
    EXPECT_TRUE(c.Drain().empty());
    EXPECT_EQ(c.parser().counters().dropped_requests, 1u);
  }
  {
    Conn c;
    c.Send("get k\r\nset k 0 0 1 noreply\r\nx\r\nquit\r\n");
    c.parser().OnClose(5000, /*reset=*/true);
    const std::vector<ExchangeSpan> spans = c.Drain();
    ASSERT_EQ(spans.size(), 3u);
    EXPECT_EQ(spans[0].span.name, "get");
    EXPECT_EQ(Str(spans[0].span, "error.type"), "connection_reset");
    EXPECT_EQ(spans[0].last_byte_ns, 5000u);
    EXPECT_EQ(spans[1].span.name, "set");  // needed no reply
    EXPECT_EQ(spans[1].span.status, StatusCode::kUnset);
    EXPECT_EQ(spans[2].span.name, "quit");
  }
}

TEST(MemcachedParser, PendingRequestsAreBoundedAndRepliesStayAligned) {
  Conn c;
  const size_t total = kMaxPendingRequests + 30;
  for (size_t i = 0; i < total; ++i) c.Send("incr n 1\r\n");
  for (size_t i = 0; i < total; ++i) c.Recv(std::to_string(i) + "\r\n");
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), kMaxPendingRequests);
  EXPECT_EQ(c.parser().counters().dropped_requests, 30u);
  EXPECT_EQ(spans[0].first_byte_ns, 1000u + 30 * 10);
  EXPECT_EQ(spans[0].last_byte_ns, 1000u + (total + 30) * 10 + 1);
}

TEST(MemcachedParser, LostReplyEndsOnExpire) {
  Conn c;
  c.Send("stats\r\n");
  std::string reply;
  for (int i = 0; i < 200; ++i) reply += "STAT name" + std::to_string(i) + " 12345\r\n";
  reply += "END\r\n";
  c.Data(Direction::kRecv, reply.substr(0, 1024), reply.size());  // 1010
  EXPECT_TRUE(c.Drain().empty());
  c.parser().Expire(1012 + kLostReplyQuietNs);
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].last_byte_ns, 1011u);
}

}  // namespace
}  // namespace otelbpf::memcached
