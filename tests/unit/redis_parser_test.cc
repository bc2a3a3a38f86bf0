// RedisParser end to end: bytes of both directions in, database spans out. Exact DbCall
// attributes, pipelining split at every offset, pub/sub (RESP2 and RESP3), MULTI/EXEC, SELECT,
// CLIENT REPLY, MONITOR, roles, mid-stream starts, truncated captures, huge replies, garbage,
// close and reset, and secrets that never reach a span.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "db_parser_harness.h"
#include "http_capture.h"
#include "protocols/common/protocol.h"
#include "protocols/redis/connection_parser.h"
#include "trace/span.h"

namespace otelbpf::redis {
extern const Protocol kProtocol;
namespace {

std::string Resp(const std::vector<std::string>& words) {
  std::string out = "*" + std::to_string(words.size()) + "\r\n";
  for (const std::string& w : words) out += "$" + std::to_string(w.size()) + "\r\n" + w + "\r\n";
  return out;
}

using db_test::AllText;
using db_test::Str;

// A connection of an observed client (or server) process of the Redis server at 10.0.0.7.
class Conn : public db_test::DbConnection<RedisParser> {
 public:
  explicit Conn(ConnectionRole role = ConnectionRole::kClient, bool midstream = false)
      : DbConnection(role, midstream, Transport::kTcp, Endpoint{"10.0.0.7", 6379}) {}
  void Command(const std::string& bytes) { Request(bytes); }
  std::vector<ExchangeSpan> Drain(bool raw = false, ConnectionInfo* info = nullptr) {
    SpanBuildOptions options;
    options.raw_query_text = raw;
    options.monotonic_to_realtime_ns = 1'000'000;
    return DrainWith(options, info);
  }
};

TEST(RedisParser, Registration) {
  EXPECT_EQ(kProtocol.id, OTELBPF_PROTO_REDIS);
  EXPECT_EQ(kProtocol.name, "redis");
  EXPECT_EQ(kProtocol.family, SemanticFamily::kDb);
  ASSERT_NE(kProtocol.make_parser, nullptr);
  EXPECT_NE(kProtocol.make_parser(ParserSetup{}), nullptr);
}

TEST(RedisParser, OneCommandOneSpan) {
  Conn c;
  c.Command(Resp({"SET", "mykey", "myvalue"}));  // t 1000
  c.Reply("+OK\r\n");                            // t 1010
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 1u);
  const Span& s = spans[0].span;
  EXPECT_EQ(s.name, "SET");
  EXPECT_EQ(s.kind, SpanKind::kClient);
  EXPECT_EQ(s.family, SemanticFamily::kDb);
  EXPECT_EQ(s.status, StatusCode::kUnset);
  EXPECT_EQ(Str(s, "db.system.name"), "redis");
  EXPECT_EQ(Str(s, "db.operation.name"), "SET");
  EXPECT_EQ(Str(s, "db.query.text"), "SET ? ?");
  EXPECT_EQ(Str(s, "db.namespace"), "<absent>");
  EXPECT_EQ(Str(s, "db.collection.name"), "<absent>");
  EXPECT_EQ(Str(s, "db.response.status_code"), "<absent>");
  EXPECT_EQ(FindAttribute(s.attributes, "db.response.returned_rows"), nullptr);
  EXPECT_EQ(Str(s, "server.address"), "10.0.0.7");
  EXPECT_EQ(s.start_time_unix_nano, 1'001'000u);
  EXPECT_EQ(s.end_time_unix_nano, 1'001'011u);
  EXPECT_EQ(spans[0].first_byte_ns, 1000u);
  EXPECT_EQ(spans[0].last_byte_ns, 1011u);
  EXPECT_EQ(spans[0].origin.tid, 7u);
  EXPECT_EQ(spans[0].origin.exchange_index, 0u);
  EXPECT_TRUE(c.Drain().empty());  // drained once
  EXPECT_EQ(c.parser().role(), ConnectionRole::kClient);
}

TEST(RedisParser, RawQueryTextKeepsKeysButNeverValuesOrPasswords) {
  for (bool raw : {false, true}) {
    Conn c;
    c.Command(Resp({"AUTH", "alice", "s3cret-pw"}));
    c.Reply("+OK\r\n");
    c.Command(Resp({"HELLO", "3", "AUTH", "default", "s3cret-pw"}));
    c.Reply("%1\r\n$6\r\nserver\r\n$5\r\nredis\r\n");
    c.Command(Resp({"SET", "mykey", "secret-value"}));
    c.Reply("+OK\r\n");
    const std::vector<ExchangeSpan> spans = c.Drain(raw);
    ASSERT_EQ(spans.size(), 3u);
    EXPECT_EQ(Str(spans[0].span, "db.query.text"), "AUTH ? ?");
    EXPECT_EQ(Str(spans[1].span, "db.query.text"), "HELLO ? ? ? ?");
    EXPECT_EQ(Str(spans[2].span, "db.query.text"), raw ? "SET mykey ?" : "SET ? ?");
    const std::string all = AllText(spans);
    EXPECT_EQ(all.find("s3cret"), std::string::npos);
    EXPECT_EQ(all.find("alice"), std::string::npos);
    EXPECT_EQ(all.find("secret-value"), std::string::npos);
    EXPECT_EQ(all.find("mykey") != std::string::npos, raw);
  }
}

TEST(RedisParser, ErrorRepliesExportOnlyTheirPrefix) {
  Conn c;
  c.Command(Resp({"LPUSH", "mykey", "x"}));
  c.Reply("-WRONGTYPE Operation against a key holding the wrong kind of value 'mykey'\r\n");
  c.Command(Resp({"EVAL", "x", "0"}));
  c.Reply("!21\r\nSYNTAX invalid syntax\r\n");
  const std::vector<ExchangeSpan> spans = c.Drain(/*raw=*/false);
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].span.status, StatusCode::kError);
  EXPECT_EQ(Str(spans[0].span, "db.response.status_code"), "WRONGTYPE");
  EXPECT_EQ(Str(spans[0].span, "error.type"), "WRONGTYPE");
  EXPECT_EQ(spans[0].span.status_message, "");
  EXPECT_EQ(Str(spans[1].span, "error.type"), "SYNTAX");
  const std::string all = AllText(spans);
  EXPECT_EQ(all.find("Operation"), std::string::npos);
  EXPECT_EQ(all.find("mykey"), std::string::npos);
  EXPECT_EQ(all.find("invalid"), std::string::npos);
}

// Three pipelined commands and their replies, each direction split at every offset.
TEST(RedisParser, PipelineSplitAtEveryOffset) {
  const std::string commands = Resp({"SET", "a", "1"}) + Resp({"INCR", "a"}) + Resp({"GET", "a"});
  const std::string replies = "+OK\r\n:2\r\n$1\r\n2\r\n";
  const size_t starts[] = {0, Resp({"SET", "a", "1"}).size(),
                           Resp({"SET", "a", "1"}).size() + Resp({"INCR", "a"}).size()};
  for (size_t cut = 1; cut < commands.size() + replies.size(); ++cut) {
    Conn c;
    c.NumberStreams(0xfffffff0u, 500);  // the commands' stream wraps past 2^32
    if (cut < commands.size()) {
      c.Command(commands.substr(0, cut));
      c.Command(commands.substr(cut));
      c.Reply(replies);
    } else {
      const size_t at = cut - commands.size();
      c.Command(commands);
      c.Reply(replies.substr(0, at));
      if (at < replies.size()) c.Reply(replies.substr(at));
    }
    const std::vector<ExchangeSpan> spans = c.Drain();
    ASSERT_EQ(spans.size(), 3u) << "cut at " << cut;
    EXPECT_EQ(Str(spans[0].span, "db.query.text"), "SET ? ?");
    EXPECT_EQ(Str(spans[1].span, "db.query.text"), "INCR ?");
    EXPECT_EQ(Str(spans[2].span, "db.query.text"), "GET ?");
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(spans[i].origin.exchange_index, i);
      const bool in_second_piece = cut < commands.size() && starts[i] >= cut;
      EXPECT_EQ(spans[i].first_byte_ns, in_second_piece ? 1010u : 1000u) << "cut at " << cut;
      // Same-host stitching's key: where the command starts in its stream, however it was cut.
      EXPECT_EQ(spans[i].origin.request_tcp_seq,
                std::optional<uint32_t>(static_cast<uint32_t>(0xfffffff0u + starts[i])))
          << "cut at " << cut;
    }
    EXPECT_EQ(c.parser().counters().parse_errors, 0u);
    EXPECT_EQ(c.parser().counters().unmatched_responses, 0u);
  }
}

TEST(RedisParser, TimesAndThreadsComeFromTheRightPieces) {
  Conn c;
  const std::string get = Resp({"GET", "k"});
  c.Data(Direction::kSend, get.substr(0, 5), 5, /*tid=*/11);    // t 1000
  c.Data(Direction::kSend, get.substr(5), get.size() - 5, 12);  // t 1010
  c.Data(Direction::kRecv, "$5\r\nhel", 7, 13);                 // t 1020
  c.Data(Direction::kRecv, "lo\r\n", 4, 14);                    // t 1030
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].first_byte_ns, 1000u);
  EXPECT_EQ(spans[0].last_byte_ns, 1031u);
  EXPECT_EQ(spans[0].origin.tid, 11u);
}

TEST(RedisParser, InlineCommands) {
  Conn c;
  c.Command("PING\r\n");
  c.Reply("+PONG\r\n");
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(Str(spans[0].span, "db.operation.name"), "PING");
  EXPECT_EQ(Str(spans[0].span, "db.query.text"), "PING");
}

TEST(RedisParser, NamespaceOnlyAfterASelectAnsweredOk) {
  Conn c;
  c.Command(Resp({"GET", "k"}));
  c.Reply("$-1\r\n");
  c.Command(Resp({"SELECT", "99"}));
  c.Reply("-ERR DB index is out of range\r\n");
  c.Command(Resp({"SELECT", "2"}) + Resp({"GET", "k"}));  // pipelined: GET runs in db 2
  c.Reply("+OK\r\n$-1\r\n");
  c.Command(Resp({"RESET"}));
  c.Reply("+RESET\r\n");
  c.Command(Resp({"GET", "k"}));
  c.Reply("$-1\r\n");
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 6u);
  EXPECT_EQ(Str(spans[0].span, "db.namespace"), "<absent>");
  EXPECT_EQ(Str(spans[1].span, "db.namespace"), "<absent>");
  EXPECT_EQ(Str(spans[1].span, "error.type"), "ERR");
  EXPECT_EQ(Str(spans[2].span, "db.namespace"), "2");
  EXPECT_EQ(spans[2].span.name, "SELECT 2");
  EXPECT_EQ(Str(spans[3].span, "db.namespace"), "2");
  EXPECT_EQ(spans[3].span.name, "GET 2");
  EXPECT_EQ(Str(spans[5].span, "db.namespace"), "0");
}

TEST(RedisParser, MultiExecEachCommandIsItsOwnSpan) {
  Conn c;
  c.Command(Resp({"MULTI"}) + Resp({"SET", "a", "1"}) + Resp({"INCR", "a"}) + Resp({"EXEC"}));
  c.Reply("+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n:2\r\n");
  c.Command(Resp({"MULTI"}) + Resp({"NOPE"}) + Resp({"EXEC"}));
  c.Reply("+OK\r\n-ERR unknown command 'NOPE'\r\n-EXECABORT Transaction discarded\r\n");
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 7u);
  const char* names[] = {"MULTI", "SET", "INCR", "EXEC", "MULTI", "NOPE", "EXEC"};
  for (size_t i = 0; i < 7; ++i) EXPECT_EQ(spans[i].span.name, names[i]);
  EXPECT_EQ(spans[3].span.status, StatusCode::kUnset);
  EXPECT_EQ(Str(spans[5].span, "error.type"), "ERR");
  EXPECT_EQ(Str(spans[6].span, "error.type"), "EXECABORT");
}

TEST(RedisParser, Resp2PubSubPushesNeverPairOrSpan) {
  Conn c;
  c.Command(Resp({"SUBSCRIBE", "news", "sport"}));                           // 1000
  c.Reply("*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n");                  // 1010
  c.Reply("*3\r\n$9\r\nsubscribe\r\n$5\r\nsport\r\n:2\r\n");                 // 1020
  c.Reply("*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$6\r\nhello!\r\n");          // 1030
  c.Command(Resp({"PING"}));                                                 // 1040
  c.Reply("*3\r\n$7\r\nmessage\r\n$5\r\nsport\r\n$2\r\n1!\r\n");             // 1050: before PONG
  c.Reply("*2\r\n$4\r\npong\r\n$0\r\n\r\n");                                 // 1060
  c.Command(Resp({"PSUBSCRIBE", "n*"}));                                     // 1070
  c.Reply("*3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:3\r\n");                  // 1080
  c.Reply("*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$1\r\nx\r\n");  // 1090
  c.Command(Resp({"UNSUBSCRIBE"}));                                          // 1100: every channel
  c.Reply("*3\r\n$11\r\nunsubscribe\r\n$4\r\nnews\r\n:2\r\n");               // 1110
  c.Reply("*3\r\n$11\r\nunsubscribe\r\n$5\r\nsport\r\n:1\r\n");              // 1120
  c.Command(Resp({"PUNSUBSCRIBE"}));                                         // 1130
  c.Reply("*3\r\n$12\r\npunsubscribe\r\n$2\r\nn*\r\n:0\r\n");                // 1140
  // No longer subscribed: an array starting "message" is an ordinary reply.
  c.Command(Resp({"LRANGE", "l", "0", "-1"}));               // 1150
  c.Reply("*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nb\r\n");  // 1160
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 6u);
  EXPECT_EQ(spans[0].span.name, "SUBSCRIBE");
  EXPECT_EQ(spans[0].last_byte_ns, 1021u);  // the last confirmation
  EXPECT_EQ(spans[1].span.name, "PING");
  EXPECT_EQ(spans[1].last_byte_ns, 1061u);
  EXPECT_EQ(spans[2].span.name, "PSUBSCRIBE");
  EXPECT_EQ(spans[3].span.name, "UNSUBSCRIBE");
  EXPECT_EQ(spans[3].last_byte_ns, 1111u);  // the first confirmation
  EXPECT_EQ(spans[4].span.name, "PUNSUBSCRIBE");
  EXPECT_EQ(spans[5].span.name, "LRANGE");
  EXPECT_EQ(spans[5].last_byte_ns, 1161u);
  EXPECT_EQ(c.parser().counters().unmatched_responses, 0u);
  EXPECT_EQ(AllText(spans).find("hello!"), std::string::npos);
}

TEST(RedisParser, Resp3PushesInterleaveWithReplies) {
  Conn c;
  c.Command(Resp({"HELLO", "3"}));
  c.Reply("%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:3\r\n");
  c.Command(Resp({"SUBSCRIBE", "ch"}));
  c.Reply(">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
  c.Command(Resp({"GET", "k"}));
  // A push before the reply, then the reply, then pushes after it.
  c.Reply(
      ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n$1\r\nv\r\n"
      ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n");
  c.Command(Resp({"LRANGE", "l", "0", "-1"}));
  c.Reply("*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nb\r\n");  // RESP3: arrays are replies
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 4u);
  EXPECT_EQ(spans[0].span.name, "HELLO");
  EXPECT_EQ(spans[1].span.name, "SUBSCRIBE");
  EXPECT_EQ(spans[2].span.name, "GET");
  EXPECT_EQ(spans[3].span.name, "LRANGE");
  EXPECT_EQ(c.parser().counters().unmatched_responses, 0u);
}

TEST(RedisParser, ClientReplyOffSkipOn) {
  Conn c;
  c.Command(Resp({"CLIENT", "REPLY", "OFF"}));   // 1000: no reply
  c.Command(Resp({"SET", "a", "1"}));            // 1010: no reply
  c.Command(Resp({"CLIENT", "REPLY", "ON"}));    // 1020: +OK
  c.Reply("+OK\r\n");                            // 1030
  c.Command(Resp({"CLIENT", "REPLY", "SKIP"}));  // 1040: no reply
  c.Command(Resp({"SET", "b", "2"}));            // 1050: skipped
  c.Command(Resp({"GET", "b"}));                 // 1060
  c.Reply("$1\r\n2\r\n");                        // 1070
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 6u);
  EXPECT_EQ(spans[0].span.name, "CLIENT REPLY");
  EXPECT_EQ(spans[0].last_byte_ns, 1001u);  // its own last byte
  EXPECT_EQ(spans[1].span.name, "SET");
  EXPECT_EQ(spans[1].last_byte_ns, 1011u);
  EXPECT_EQ(spans[2].last_byte_ns, 1031u);
  EXPECT_EQ(spans[4].span.name, "SET");
  EXPECT_EQ(spans[4].last_byte_ns, 1051u);
  EXPECT_EQ(spans[5].span.name, "GET");
  EXPECT_EQ(spans[5].last_byte_ns, 1071u);
  for (size_t i = 0; i < spans.size(); ++i) EXPECT_EQ(spans[i].origin.exchange_index, i);
}

TEST(RedisParser, MonitorFeedIsNoReply) {
  Conn c;
  c.Command(Resp({"MONITOR"}));
  c.Reply("+OK\r\n");
  c.Reply("+1700000000.123456 [0 127.0.0.1:5000] \"SET\" \"k\" \"secret\"\r\n");
  c.Reply("+1700000000.223456 [0 127.0.0.1:5000] \"GET\" \"k\"\r\n");
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].span.name, "MONITOR");
  EXPECT_EQ(c.parser().counters().unmatched_responses, 0u);
}

TEST(RedisParser, ServerRoleGivesServerSpans) {
  Conn c(ConnectionRole::kServer);
  c.Command(Resp({"GET", "k"}));  // received
  c.Reply("$1\r\nv\r\n");         // sent
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].span.kind, SpanKind::kServer);
  EXPECT_EQ(Str(spans[0].span, "server.address"), "10.0.0.1");
  EXPECT_EQ(Str(spans[0].span, "client.address"), "10.0.0.7");
}

TEST(RedisParser, RoleInferredFromTheFirstMessageOfAFreshConnection) {
  for (Direction first : {Direction::kSend, Direction::kRecv}) {
    Conn c(ConnectionRole::kUnknown);
    const Direction second = first == Direction::kSend ? Direction::kRecv : Direction::kSend;
    c.Data(first, Resp({"GET", "k"}), Resp({"GET", "k"}).size());
    c.Data(second, "$1\r\nv\r\n", 7);
    EXPECT_EQ(c.parser().counters().parse_errors, 0u);
    const ConnectionRole expected =
        first == Direction::kSend ? ConnectionRole::kClient : ConnectionRole::kServer;
    EXPECT_EQ(c.parser().role(), expected);
    ConnectionInfo unknown;  // the tracker does not know either: the parser's role is used
    const std::vector<ExchangeSpan> spans = c.Drain(false, &unknown);
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_EQ(spans[0].span.kind,
              expected == ConnectionRole::kClient ? SpanKind::kClient : SpanKind::kServer);
  }
}

TEST(RedisParser, RoleInferredMidStreamFromTheFirstReply) {
  Conn c(ConnectionRole::kUnknown, /*midstream=*/true);
  // Command-shaped messages both ways prove nothing; the reply that is not one decides.
  c.Send(Resp({"LRANGE", "l", "0", "1"}));
  c.Recv("*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  EXPECT_EQ(c.parser().role(), ConnectionRole::kUnknown);
  c.Send(Resp({"INCR", "n"}));
  c.Recv(":5\r\n");
  EXPECT_EQ(c.parser().role(), ConnectionRole::kClient);
  ConnectionInfo unknown;
  const std::vector<ExchangeSpan> spans = c.Drain(false, &unknown);
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].span.name, "LRANGE");
  EXPECT_EQ(spans[1].span.name, "INCR");
}

TEST(RedisParser, NoSpansWhileTheRoleIsUnknown) {
  Conn c(ConnectionRole::kUnknown, /*midstream=*/true);
  c.Send(Resp({"GET", "k"}));
  ConnectionInfo unknown;
  EXPECT_TRUE(c.Drain(false, &unknown).empty());
  EXPECT_EQ(c.parser().role(), ConnectionRole::kUnknown);
}

TEST(RedisParser, MidStreamStartInTheMiddleOfAReply) {
  Conn c(ConnectionRole::kClient, /*midstream=*/true);
  // The tail of a reply to a command sent before we watched, then a whole reply too.
  c.Reply("llo world\r\n:7\r\n");
  c.Command(Resp({"GET", "k"}));
  c.Reply("$2\r\nok\r\n");
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].span.name, "GET");
  EXPECT_EQ(spans[0].first_byte_ns, 1010u);
  EXPECT_EQ(c.parser().counters().unmatched_responses, 1u);  // ":7"
}

TEST(RedisParser, TruncatedCapturesOfHugeValues) {
  Conn c;
  const std::string value(1 << 20, 'v');
  const std::string set = Resp({"SET", "k", value});
  c.Data(Direction::kSend, set.substr(0, 1024), set.size());  // 1000
  c.Reply("+OK\r\n");                                         // 1010
  c.Command(Resp({"GET", "k"}));                              // 1020
  const std::string reply = "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n";
  c.Data(Direction::kRecv, reply.substr(0, 1024), 65536);  // 1030
  for (uint64_t sent = 65536; sent < reply.size(); sent += 65536) {
    const uint64_t length = std::min<uint64_t>(65536, reply.size() - sent);
    c.Data(Direction::kRecv, reply.substr(sent, std::min<uint64_t>(1024, length)), length);
  }
  const uint64_t last_piece = c.now() - 10;
  c.Command(Resp({"DEL", "k"}));
  c.Reply(":1\r\n");
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(Str(spans[0].span, "db.query.text"), "SET ? ?");
  EXPECT_EQ(spans[1].span.name, "GET");
  EXPECT_EQ(spans[1].last_byte_ns, last_piece + 1);
  EXPECT_EQ(spans[2].span.name, "DEL");
  EXPECT_EQ(c.parser().counters().parse_errors, 0u);
  EXPECT_EQ(AllText(spans).find("vvvv"), std::string::npos);
}

TEST(RedisParser, HugeArrayReplyLostByTheCaptureStillEndsRight) {
  // LRANGE of 200 000 elements: ~2.4 MB written in 64 KiB syscalls, 1024 bytes captured of
  // each. The element headers hidden in the gaps lose the boundaries; the reply keeps going
  // until the client sends its next command.
  Conn c;
  c.Command(Resp({"LRANGE", "big", "0", "-1"}));  // 1000
  std::string reply = "*200000\r\n";
  for (int i = 0; i < 200000; ++i) reply += "$6\r\nvalue!\r\n";
  for (uint64_t sent = 0; sent < reply.size(); sent += 65536) {
    const uint64_t length = std::min<uint64_t>(65536, reply.size() - sent);
    c.Data(Direction::kRecv, reply.substr(sent, std::min<uint64_t>(1024, length)), length);
  }
  const uint64_t last_piece = c.now() - 10;
  c.Command(Resp({"GET", "k"}));
  c.Reply("$1\r\nv\r\n");
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].span.name, "LRANGE");
  EXPECT_EQ(spans[0].first_byte_ns, 1000u);
  EXPECT_EQ(spans[0].last_byte_ns, last_piece + 1);
  EXPECT_EQ(spans[0].span.status, StatusCode::kUnset);
  EXPECT_EQ(spans[1].span.name, "GET");
  EXPECT_EQ(spans[1].last_byte_ns, c.now() - 9);
  EXPECT_EQ(c.parser().counters().dropped_requests, 0u);
}

TEST(RedisParser, LostReplyEndsOnExpireWhenNothingFollows) {
  Conn c;
  c.Command(Resp({"LRANGE", "big", "0", "-1"}));
  std::string reply = "*1000\r\n";
  for (int i = 0; i < 1000; ++i) reply += "$6\r\nvalue!\r\n";
  c.Data(Direction::kRecv, reply.substr(0, 1024), reply.size());  // 1010
  EXPECT_TRUE(c.Drain().empty());
  c.parser().Expire(1011 + kLostReplyQuietNs / 2);
  EXPECT_TRUE(c.Drain().empty());
  c.parser().Expire(1012 + kLostReplyQuietNs);
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].last_byte_ns, 1011u);
}

TEST(RedisParser, HiddenCommandsDoNotShiftLaterReplies) {
  // A pipelined batch of which only the first command was captured (plus, in the second case,
  // the first bytes of the next): the gap hides the others. Their replies answer nothing we
  // know; the next command sent after them is answered by the next reply.
  const std::string batch = Resp({"GET", "a"}) + Resp({"GET", "b"}) + Resp({"GET", "c"});
  const size_t first = Resp({"GET", "a"}).size();
  for (size_t extra : {size_t{0}, size_t{3}}) {
    Conn c;
    c.Data(Direction::kSend, batch.substr(0, first + extra), batch.size());  // 1000
    c.Reply("$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n");                            // 1010
    c.Command(Resp({"INCR", "n"}));                                          // 1020
    c.Reply(":1\r\n");                                                       // 1030
    const std::vector<ExchangeSpan> spans = c.Drain();
    ASSERT_EQ(spans.size(), 2u);
    EXPECT_EQ(spans[0].span.name, "GET");
    EXPECT_EQ(spans[0].last_byte_ns, 1011u);
    EXPECT_EQ(spans[1].span.name, "INCR");
    EXPECT_EQ(spans[1].last_byte_ns, 1031u);
    EXPECT_EQ(spans[1].origin.exchange_index, 1u);
    // The cut command held its place (its reply is matched, not reported); the others' replies
    // answered nothing.
    EXPECT_EQ(c.parser().counters().unmatched_responses, extra ? 1u : 2u);
    EXPECT_EQ(c.parser().counters().dropped_requests, extra ? 1u : 0u);
  }
}

TEST(RedisParser, GarbageBetweenRepliesDoesNotShiftThem) {
  Conn c;
  c.Command(Resp({"GET", "a"}) + Resp({"GET", "b"}));
  c.Reply("\x01\x02junk\r\n$1\r\n1\r\n");
  c.Reply("$1\r\n2\r\n");
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].last_byte_ns, 1011u);
  EXPECT_EQ(spans[1].last_byte_ns, 1021u);
  EXPECT_EQ(c.parser().counters().parse_errors, 1u);
}

TEST(RedisParser, CloseDropsPendingAndResetEndsThemAsErrors) {
  {
    Conn c;
    c.Command(Resp({"BLPOP", "q", "0"}));
    c.parser().OnClose(5000, /*reset=*/false);
    EXPECT_TRUE(c.Drain().empty());
    EXPECT_EQ(c.parser().counters().dropped_requests, 1u);
  }
  {
    Conn c;
    c.Command(Resp({"GET", "a"}));
    c.Reply("$1\r\n1\r\n");
    c.Command(Resp({"BLPOP", "q", "0"}));
    c.parser().OnClose(5000, /*reset=*/true);
    c.Command(Resp({"GET", "after-close"}));
    const std::vector<ExchangeSpan> spans = c.Drain();
    ASSERT_EQ(spans.size(), 2u);
    EXPECT_EQ(spans[1].span.name, "BLPOP");
    EXPECT_EQ(spans[1].span.status, StatusCode::kError);
    EXPECT_EQ(Str(spans[1].span, "error.type"), "connection_reset");
    EXPECT_EQ(Str(spans[1].span, "db.response.status_code"), "<absent>");
    EXPECT_EQ(spans[1].last_byte_ns, 5000u);
    EXPECT_EQ(spans[1].origin.exchange_index, 1u);
    EXPECT_EQ(c.parser().counters().dropped_requests, 0u);
  }
}

TEST(RedisParser, PendingCommandsAreBoundedAndRepliesStayAligned) {
  Conn c;
  const size_t total = kMaxPendingCommands + 50;
  for (size_t i = 0; i < total; ++i) c.Command(Resp({"INCR", "n"}));  // t 1000 + 10 i
  for (size_t i = 0; i < total; ++i) c.Reply(":" + std::to_string(i) + "\r\n");
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), kMaxPendingCommands);
  EXPECT_EQ(c.parser().counters().dropped_requests, 50u);
  EXPECT_EQ(c.parser().counters().unmatched_responses, 0u);
  // The 51st command is answered by the 51st reply.
  EXPECT_EQ(spans[0].first_byte_ns, 1000u + 50 * 10);
  EXPECT_EQ(spans[0].last_byte_ns, 1000u + (total + 50) * 10 + 1);
  EXPECT_EQ(spans.back().last_byte_ns, 1000u + (2 * total - 1) * 10 + 1);
}

TEST(RedisParser, RepliesSplitAtEveryOffset) {
  const std::string commands = Resp({"GET", "a"}) + Resp({"HGETALL", "h"}) + Resp({"GET", "b"});
  const std::string replies =
      "$5\r\nhello\r\n*4\r\n$1\r\nf\r\n$1\r\nv\r\n$1\r\ng\r\n$1\r\nw\r\n$-1\r\n";
  for (size_t cut = 1; cut < replies.size(); ++cut) {
    Conn c;
    c.Command(commands);
    c.Reply(replies.substr(0, cut));
    c.Reply(replies.substr(cut));
    const std::vector<ExchangeSpan> spans = c.Drain();
    ASSERT_EQ(spans.size(), 3u) << "cut at " << cut;
    EXPECT_EQ(spans[1].span.name, "HGETALL");
  }
}

}  // namespace
}  // namespace otelbpf::redis
