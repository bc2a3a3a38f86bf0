// The MySQL / MariaDB connection parser end to end: captured pieces of both directions in, spans
// out. Byte fixtures are built packet by packet below (MySQL source documentation, "Client/Server
// Protocol"); every test checks the exact database attributes and that no secret leaves.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "http_capture.h"
#include "protocols/common/protocol.h"
#include "protocols/mysql/connection_parser.h"
#include "protocols/mysql/constants.h"
#include "trace/span.h"

namespace otelbpf::mysql {

extern const Protocol kProtocol;

namespace {

using namespace std::string_literals;

// ---- Wire building blocks -------------------------------------------------------------------

std::string Le(uint64_t value, size_t size) {
  std::string out;
  for (size_t i = 0; i < size; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
  return out;
}

std::string Lenenc(uint64_t value) {
  if (value < 0xFB) return std::string(1, static_cast<char>(value));
  if (value <= 0xFFFF) return "\xFC"s + Le(value, 2);
  if (value <= 0xFFFFFF) return "\xFD"s + Le(value, 3);
  return "\xFE"s + Le(value, 8);
}

std::string LenencStr(std::string_view s) { return Lenenc(s.size()) + std::string(s); }

std::string Header(uint32_t length, uint8_t seq) { return Le(length, 3) + Le(seq, 1); }

std::string Packet(uint8_t seq, std::string_view payload) {
  return Header(static_cast<uint32_t>(payload.size()), seq) + std::string(payload);
}

// Packets with consecutive sequence ids.
struct Packets {
  explicit Packets(uint8_t first_seq) : seq(first_seq) {}
  Packets& Add(std::string_view payload) {
    bytes += Packet(seq++, payload);
    return *this;
  }
  std::string bytes;
  uint8_t seq;
};

constexpr uint32_t kLongPassword = 1;
constexpr uint32_t kTransactions = 1u << 13;
constexpr uint32_t kMultiStatements = 1u << 16;
constexpr uint32_t kMultiResults = 1u << 17;
constexpr uint32_t kBaseCaps = kLongPassword | capability::kProtocol41 |
                               capability::kSecureConnection | capability::kPluginAuth |
                               capability::kPluginAuthLenencClientData | kTransactions |
                               kMultiStatements | kMultiResults | capability::kConnectWithDb;
constexpr uint32_t kMysql8Caps = kBaseCaps | capability::kDeprecateEof | capability::kSessionTrack;

constexpr uint16_t kAutocommit = 0x0002;

const std::string kUser = "alice_the_user";
const std::string kScramble = "Zq8#scramble-secret!";  // 20 bytes, what the password hashes to
const std::string kPassword = "hunter2-cleartext";

std::string Greeting(std::string_view version, uint32_t caps) {
  return "\x0a"s + std::string(version) + '\0' + Le(42, 4) + "abcdefgh" + '\0' +
         Le(caps & 0xFFFF, 2) + "\xff" + Le(kAutocommit, 2) + Le(caps >> 16, 2) + "\x15" +
         std::string(10, '\0') + "ijklmnopqrst" + '\0' + "caching_sha2_password" + '\0';
}

std::string HandshakeResponse(uint32_t caps, std::optional<std::string_view> db) {
  if (!db) caps &= ~capability::kConnectWithDb;
  std::string out = Le(caps, 4) + Le(16777216, 4) + "\xff" + std::string(23, '\0') + kUser + '\0';
  out += (caps & capability::kPluginAuthLenencClientData) ? LenencStr(kScramble)
                                                          : Le(kScramble.size(), 1) + kScramble;
  if (db) out += std::string(*db) + '\0';
  out += "caching_sha2_password"s + '\0';
  return out;
}

std::string Command(uint8_t command_byte, std::string_view body = {}) {
  return std::string(1, static_cast<char>(command_byte)) + std::string(body);
}
std::string Query(std::string_view sql) { return Command(command::kQuery, sql); }

std::string Ok(uint16_t status = kAutocommit, uint64_t affected = 0) {
  return "\x00"s + Lenenc(affected) + Lenenc(0) + Le(status, 2) + Le(0, 2);
}
std::string OkWithSchema(std::string_view schema, uint16_t status = kAutocommit) {
  const std::string change = "\x01"s + LenencStr(LenencStr(schema));
  return "\x00"s + Lenenc(0) + Lenenc(0) + Le(status | server_status::kSessionStateChanged, 2) +
         Le(0, 2) + LenencStr("") + LenencStr(change);
}
std::string OkTerminator(uint16_t status = kAutocommit) {
  return "\xfe"s + Lenenc(0) + Lenenc(0) + Le(status, 2) + Le(0, 2);
}
std::string Eof(uint16_t status = kAutocommit) { return "\xfe"s + Le(0, 2) + Le(status, 2); }
const std::string kErrState = "42S02";
const std::string kErrMessage = "Table 'shop.secret_table_name' doesn't exist";
std::string Err(uint16_t code) { return "\xff"s + Le(code, 2) + "#" + kErrState + kErrMessage; }

std::string ColumnDef(std::string_view table, std::string_view name) {
  return LenencStr("def") + LenencStr("shop") + LenencStr(table) + LenencStr(table) +
         LenencStr(name) + LenencStr(name) + "\x0c" + Le(33, 2) + Le(255, 4) + "\xfd" + Le(0, 2) +
         "\x00"s + Le(0, 2);
}
std::string TextRow(const std::vector<std::string>& values) {
  std::string out;
  for (const std::string& v : values) out += LenencStr(v);
  return out;
}
std::string BinaryRow(const std::vector<std::string>& values) {
  return "\x00"s + std::string((values.size() + 7 + 2) / 8, '\0') + TextRow(values);
}

struct ResultSetSpec {
  std::vector<std::string> columns = {"id", "name"};
  std::vector<std::vector<std::string>> rows;
  bool deprecate_eof = true;
  bool binary = false;
  uint16_t final_status = kAutocommit;
};

void AddResultSet(Packets& p, const ResultSetSpec& spec) {
  p.Add(Lenenc(spec.columns.size()));
  for (const std::string& c : spec.columns) p.Add(ColumnDef("users", c));
  if (!spec.deprecate_eof) p.Add(Eof());
  for (const auto& row : spec.rows) p.Add(spec.binary ? BinaryRow(row) : TextRow(row));
  p.Add(spec.deprecate_eof ? OkTerminator(spec.final_status) : Eof(spec.final_status));
}

// COM_STMT_PREPARE_OK with its parameter and column definitions.
void AddPrepareOk(Packets& p, uint32_t id, uint16_t params, uint16_t columns, bool deprecate_eof) {
  p.Add("\x00"s + Le(id, 4) + Le(columns, 2) + Le(params, 2) + '\0' + Le(0, 2));
  for (uint16_t i = 0; i < params; ++i) p.Add(ColumnDef("", "?"));
  if (params > 0 && !deprecate_eof) p.Add(Eof());
  for (uint16_t i = 0; i < columns; ++i) p.Add(ColumnDef("users", "c" + std::to_string(i)));
  if (columns > 0 && !deprecate_eof) p.Add(Eof());
}

std::string Execute(uint32_t id) {
  return Command(command::kStmtExecute, Le(id, 4) + "\x00"s + Le(1, 4));
}

// ---- Driving a parser -----------------------------------------------------------------------

// One syscall: `bytes` moved; the kernel copied the first `captured` of them (all by default).
struct Turn {
  Direction direction;
  std::string bytes;
  std::optional<size_t> captured;
};

Turn Send(std::string bytes, std::optional<size_t> captured = std::nullopt) {
  return {Direction::kSend, std::move(bytes), captured};
}
Turn Recv(std::string bytes, std::optional<size_t> captured = std::nullopt) {
  return {Direction::kRecv, std::move(bytes), captured};
}

// Turn i runs over [1000 (i + 1), 1000 (i + 1) + 10] on thread 100 + i.
uint64_t TurnStart(size_t i) { return 1000 * (i + 1); }
uint64_t TurnEnd(size_t i) { return TurnStart(i) + 10; }
uint32_t TurnTid(size_t i) { return static_cast<uint32_t>(100 + i); }

ConnectionInfo Connection(ConnectionRole role) {
  ConnectionInfo c;
  c.role = role;
  c.protocol = OTELBPF_PROTO_MYSQL;
  c.local = Endpoint{"10.0.0.1", 51000};
  c.peer = Endpoint{"10.0.0.5", 3306};
  return c;
}

struct Outcome {
  std::unique_ptr<ConnectionParser> parser;
  std::vector<ExchangeSpan> spans;
};

// Feed numbers each direction's bytes as the kernel would, the client's from near 2^32 (wraps).
constexpr uint32_t kFirstSentSeq = 0xffffff00u, kFirstReceivedSeq = 5000;

// The TCP sequence number of turn `i`'s first byte, as Feed numbers it.
uint32_t TurnSeq(const std::vector<Turn>& turns, size_t i) {
  uint32_t seq = turns[i].direction == Direction::kSend ? kFirstSentSeq : kFirstReceivedSeq;
  for (size_t k = 0; k < i; ++k)
    if (turns[k].direction == turns[i].direction) seq += static_cast<uint32_t>(turns[k].bytes.size());
  return seq;
}

// Feeds `turns`, turn `split` (if any) cut in two at `cut`, then drains.
Outcome Feed(const std::vector<Turn>& turns, ParserSetup setup = {ConnectionRole::kClient},
             std::optional<size_t> split = std::nullopt, size_t cut = 0,
             SpanBuildOptions options = {},
             std::optional<ConnectionRole> drain_role = std::nullopt) {
  Outcome run;
  run.parser = kProtocol.make_parser(setup);
  for (size_t i = 0; i < turns.size(); ++i) {
    const Turn& t = turns[i];
    const std::string_view captured =
        std::string_view(t.bytes).substr(0, t.captured.value_or(t.bytes.size()));
    Piece p{t.direction, captured, t.bytes.size(), TurnStart(i), TurnEnd(i), TurnTid(i)};
    p.tcp_seq = TurnSeq(turns, i);
    if (split == i && cut > 0 && cut < t.bytes.size()) {
      Piece first = p, second = p;
      second.tcp_seq = *p.tcp_seq + static_cast<uint32_t>(cut);
      first.bytes = captured.substr(0, std::min(cut, captured.size()));
      first.length = cut;
      first.end_ns = TurnStart(i) + 5;
      second.bytes = cut < captured.size() ? captured.substr(cut) : std::string_view();
      second.length = t.bytes.size() - cut;
      second.start_ns = TurnStart(i) + 5;
      run.parser->OnData(first);
      run.parser->OnData(second);
    } else {
      run.parser->OnData(p);
    }
  }
  run.parser->Drain(Connection(drain_role.value_or(setup.role)), options, run.spans);
  return run;
}

std::optional<std::string> Str(const Span& span, std::string_view key) {
  const AttributeValue* v = FindAttribute(span.attributes, key);
  if (v == nullptr || !std::holds_alternative<std::string>(*v)) return std::nullopt;
  return std::get<std::string>(*v);
}
std::optional<int64_t> Int(const Span& span, std::string_view key) {
  const AttributeValue* v = FindAttribute(span.attributes, key);
  if (v == nullptr || !std::holds_alternative<int64_t>(*v)) return std::nullopt;
  return std::get<int64_t>(*v);
}

// Every attribute value as text (for the secrets checks).
std::string AllAttributeText(const std::vector<ExchangeSpan>& spans) {
  std::string out;
  for (const ExchangeSpan& s : spans) {
    out += s.span.name + "\n";
    for (const Attribute& a : s.span.attributes) {
      if (const auto* text = std::get_if<std::string>(&a.value)) out += *text + "\n";
    }
  }
  return out;
}

void ExpectNoSecrets(const std::vector<ExchangeSpan>& spans,
                     const std::vector<std::string>& extra = {}) {
  const std::string all = AllAttributeText(spans);
  std::vector<std::string> secrets = {kUser,     kScramble,   kPassword,
                                      kErrState, kErrMessage, "secret_table_name"};
  secrets.insert(secrets.end(), extra.begin(), extra.end());
  for (const std::string& secret : secrets)
    EXPECT_EQ(all.find(secret), std::string::npos) << "leaked: " << secret << "\n" << all;
}

// ---- The canonical MySQL 8 conversation ------------------------------------------------------

std::vector<Turn> Mysql8Conversation() {
  std::vector<Turn> turns;
  turns.push_back(Recv(Packet(0, Greeting("8.0.36", kMysql8Caps))));
  turns.push_back(Send(Packet(1, HandshakeResponse(kMysql8Caps, "shop"))));
  // caching_sha2_password: "perform full authentication", the password, then OK.
  turns.push_back(Recv(Packet(2, "\x01\x04"s)));
  turns.push_back(Send(Packet(3, kPassword + '\0')));
  turns.push_back(Recv(Packet(4, Ok())));
  turns.push_back(
      Send(Packet(0, Query("SELECT id, name FROM users WHERE email = 'bob@example.com'"))));
  Packets select(1);
  AddResultSet(select, {.rows = {{"1", "Bob Rowvalue"}, {"2", "Carol Rowvalue"}}});
  turns.push_back(Recv(select.bytes));
  turns.push_back(Send(Packet(0, Query("INSERT INTO orders (item, qty) VALUES ('widget', 3)"))));
  turns.push_back(Recv(Packet(1, Ok(kAutocommit, 1))));
  turns.push_back(Send(Packet(0, Query("SELECT * FROM missing"))));
  turns.push_back(Recv(Packet(1, Err(1146))));
  turns.push_back(Send(Packet(0, Command(command::kQuit))));
  return turns;
}

void ExpectMysql8Spans(const std::vector<ExchangeSpan>& spans, const std::string& context) {
  ASSERT_EQ(spans.size(), 3u) << context;
  const Span& select = spans[0].span;
  EXPECT_EQ(select.name, "SELECT users") << context;
  EXPECT_EQ(select.kind, SpanKind::kClient);
  EXPECT_EQ(select.family, SemanticFamily::kDb);
  EXPECT_EQ(select.status, StatusCode::kUnset);
  EXPECT_EQ(Str(select, "db.system.name"), "mysql");
  EXPECT_EQ(Str(select, "db.namespace"), "shop");
  EXPECT_EQ(Str(select, "db.operation.name"), "SELECT");
  EXPECT_EQ(Str(select, "db.collection.name"), "users");
  EXPECT_EQ(Str(select, "db.query.text"), "SELECT id, name FROM users WHERE email = ?");
  EXPECT_EQ(Str(select, "db.query.summary"), "SELECT users");
  EXPECT_EQ(Int(select, "db.response.returned_rows"), 2) << context;
  EXPECT_EQ(Str(select, "server.address"), "10.0.0.5");
  EXPECT_EQ(Int(select, "server.port"), 3306);
  EXPECT_EQ(FindAttribute(select.attributes, "db.response.status_code"), nullptr);
  EXPECT_EQ(FindAttribute(select.attributes, "error.type"), nullptr);
  EXPECT_EQ(spans[0].origin.exchange_index, 0u);

  const Span& insert = spans[1].span;
  EXPECT_EQ(insert.name, "INSERT orders");
  EXPECT_EQ(Str(insert, "db.query.text"), "INSERT INTO orders (item, qty) VALUES (?, ?)");
  EXPECT_EQ(FindAttribute(insert.attributes, "db.response.returned_rows"), nullptr);
  EXPECT_EQ(spans[1].origin.exchange_index, 1u);

  const Span& failed = spans[2].span;
  EXPECT_EQ(failed.status, StatusCode::kError);
  EXPECT_EQ(Str(failed, "db.response.status_code"), "1146");
  EXPECT_EQ(Str(failed, "error.type"), "1146");
  EXPECT_EQ(Str(failed, "db.operation.name"), "SELECT");
  EXPECT_EQ(spans[2].origin.exchange_index, 2u);
}

TEST(MysqlConnectionParser, Mysql8SessionBecomesOneSpanPerCommand) {
  const Outcome run = Feed(Mysql8Conversation());
  ExpectMysql8Spans(run.spans, "whole pieces");
  // Timing: request's first piece start to response's last piece end; the sending thread.
  EXPECT_EQ(run.spans[0].first_byte_ns, TurnStart(5));
  EXPECT_EQ(run.spans[0].last_byte_ns, TurnEnd(6));
  EXPECT_EQ(run.spans[0].origin.tid, TurnTid(5));
  EXPECT_EQ(run.spans[0].span.start_time_unix_nano, TurnStart(5));
  EXPECT_EQ(run.spans[0].span.end_time_unix_nano, TurnEnd(6));
  EXPECT_EQ(run.spans[2].last_byte_ns, TurnEnd(10));
  ExpectNoSecrets(run.spans, {"bob@example.com", "widget", "Rowvalue"});
  EXPECT_EQ(run.parser->role(), ConnectionRole::kClient);
  EXPECT_FALSE(run.parser->abandoned());
  const ParserCounters c = run.parser->counters();
  EXPECT_EQ(c.parse_errors, 0u);
  EXPECT_EQ(c.unmatched_responses, 0u);
  EXPECT_EQ(c.dropped_requests, 0u);
  // COM_QUIT has no response; closing after it drops nothing.
  run.parser->OnClose(99999, false);
  EXPECT_EQ(run.parser->counters().dropped_requests, 0u);
}

TEST(MysqlConnectionParser, EveryPieceSplitAtEveryOffsetGivesTheSameSpans) {
  const std::vector<Turn> turns = Mysql8Conversation();
  for (size_t i = 0; i < turns.size(); ++i) {
    for (size_t cut = 1; cut < turns[i].bytes.size(); ++cut) {
      const Outcome run = Feed(turns, {ConnectionRole::kClient}, i, cut);
      const std::string context = "turn " + std::to_string(i) + " cut " + std::to_string(cut);
      ExpectMysql8Spans(run.spans, context);
      if (run.spans.size() != 3) return;
      // Where each command starts in the client's stream, however its bytes were cut.
      EXPECT_EQ(run.spans[0].origin.request_tcp_seq, TurnSeq(turns, 5)) << context;
      EXPECT_EQ(run.spans[1].origin.request_tcp_seq, TurnSeq(turns, 7)) << context;
      EXPECT_EQ(run.spans[2].origin.request_tcp_seq, TurnSeq(turns, 9)) << context;
      EXPECT_EQ(run.parser->counters().parse_errors, 0u) << context;
      EXPECT_EQ(run.spans[0].first_byte_ns, TurnStart(5)) << context;
      EXPECT_EQ(run.spans[0].last_byte_ns, TurnEnd(6)) << context;
    }
  }
}

TEST(MysqlConnectionParser, WholeConversationByteByByte) {
  const std::vector<Turn> turns = Mysql8Conversation();
  std::vector<Turn> bytes;
  for (const Turn& t : turns)
    for (char c : t.bytes) bytes.push_back({t.direction, std::string(1, c), std::nullopt});
  ExpectMysql8Spans(Feed(bytes).spans, "byte by byte");
}

TEST(MysqlConnectionParser, ObservedServerMakesServerSpans) {
  std::vector<Turn> turns = Mysql8Conversation();
  for (Turn& t : turns)
    t.direction = t.direction == Direction::kSend ? Direction::kRecv : Direction::kSend;
  const Outcome run = Feed(turns, {ConnectionRole::kServer});
  ASSERT_EQ(run.spans.size(), 3u);
  EXPECT_EQ(run.spans[0].span.kind, SpanKind::kServer);
  EXPECT_EQ(run.spans[0].origin.tid, TurnTid(5));  // the thread that received the command
  // The database is this end: server.address is the local address, the client the peer.
  EXPECT_EQ(Str(run.spans[0].span, "server.address"), "10.0.0.1");
  EXPECT_EQ(Str(run.spans[0].span, "client.address"), "10.0.0.5");
}

TEST(MysqlConnectionParser, RoleIsInferredFromTheGreetingsDirection) {
  const Outcome client = Feed(Mysql8Conversation(), {ConnectionRole::kUnknown});
  EXPECT_EQ(client.parser->role(), ConnectionRole::kClient);
  ASSERT_EQ(client.spans.size(), 3u);
  EXPECT_EQ(client.spans[0].span.kind, SpanKind::kClient);

  std::vector<Turn> turns = Mysql8Conversation();
  for (Turn& t : turns)
    t.direction = t.direction == Direction::kSend ? Direction::kRecv : Direction::kSend;
  const Outcome server = Feed(turns, {ConnectionRole::kUnknown});
  EXPECT_EQ(server.parser->role(), ConnectionRole::kServer);
  ASSERT_EQ(server.spans.size(), 3u);
  EXPECT_EQ(server.spans[0].span.kind, SpanKind::kServer);
}

TEST(MysqlConnectionParser, MariaDbWithoutDeprecateEof) {
  const uint32_t caps = kBaseCaps;  // no CLIENT_DEPRECATE_EOF: EOF packets end metadata and rows
  std::vector<Turn> turns;
  turns.push_back(Recv(Packet(0, Greeting("5.5.5-10.11.6-MariaDB-1:10.11.6+maria~deb12", caps))));
  turns.push_back(Send(Packet(1, HandshakeResponse(caps, "inventory"))));
  // Auth switch to mysql_native_password, the client's scramble, OK.
  turns.push_back(
      Recv(Packet(2, "\xfe"s + "mysql_native_password" + '\0' + "01234567890123456789" + '\0')));
  turns.push_back(Send(Packet(3, kScramble)));
  turns.push_back(Recv(Packet(4, Ok())));
  turns.push_back(Send(Packet(0, Query("SELECT id, name FROM users"))));
  Packets select(1);
  AddResultSet(select, {.rows = {{"1", "a"}, {"2", "b"}, {"3", "c"}}, .deprecate_eof = false});
  turns.push_back(Recv(select.bytes));
  turns.push_back(Send(Packet(0, Query("SELECT id, name FROM users WHERE 1 = 0"))));
  Packets empty(1);
  AddResultSet(empty, {.rows = {}, .deprecate_eof = false});
  turns.push_back(Recv(empty.bytes));
  for (size_t i = 0; i < turns.size(); ++i) {
    for (size_t cut = 0; cut < turns[i].bytes.size(); ++cut) {
      const Outcome run = Feed(turns, {ConnectionRole::kClient}, i, cut);
      ASSERT_EQ(run.spans.size(), 2u) << i << " " << cut;
      EXPECT_EQ(Str(run.spans[0].span, "db.system.name"), "mariadb");
      EXPECT_EQ(Str(run.spans[0].span, "db.namespace"), "inventory");
      EXPECT_EQ(Int(run.spans[0].span, "db.response.returned_rows"), 3);
      EXPECT_EQ(Int(run.spans[1].span, "db.response.returned_rows"), 0);
      EXPECT_EQ(run.parser->counters().parse_errors, 0u);
      ExpectNoSecrets(run.spans);
    }
  }
}

TEST(MysqlConnectionParser, DeprecateEofIsLearntWithoutTheHandshake) {
  for (const bool deprecate : {true, false}) {
    Packets first(1), second(1);
    AddResultSet(first, {.rows = {{"1", "x"}}, .deprecate_eof = deprecate});
    AddResultSet(second, {.rows = {}, .deprecate_eof = deprecate});
    const std::vector<Turn> turns = {
        Send(Packet(0, Query("SELECT id, name FROM users"))), Recv(first.bytes),
        Send(Packet(0, Query("SELECT id, name FROM users LIMIT 0"))), Recv(second.bytes)};
    const Outcome run = Feed(turns, {ConnectionRole::kClient, Transport::kTcp, true});
    ASSERT_EQ(run.spans.size(), 2u) << deprecate;
    EXPECT_EQ(Int(run.spans[0].span, "db.response.returned_rows"), 1);
    EXPECT_EQ(Int(run.spans[1].span, "db.response.returned_rows"), 0);
    EXPECT_EQ(Str(run.spans[0].span, "db.system.name"), "mysql");
    EXPECT_EQ(FindAttribute(run.spans[0].span.attributes, "db.namespace"), nullptr);
    EXPECT_EQ(run.parser->counters().parse_errors, 0u);
  }
}

TEST(MysqlConnectionParser, PipelinedCommandsInOnePieceAnsweredInOnePiece) {
  Packets answers(1);
  AddResultSet(answers, {.rows = {{"1", "x"}}});
  Packets second(1);
  second.Add(Ok(kAutocommit, 4));
  Packets third(1);
  third.Add(Err(1062));
  const std::vector<Turn> turns = {Send(Packet(0, Query("SELECT id, name FROM users")) +
                                        Packet(0, Query("UPDATE users SET name = 'n'")) +
                                        Packet(0, Query("INSERT INTO users VALUES (1)"))),
                                   Recv(answers.bytes + second.bytes + third.bytes)};
  const Outcome run = Feed(turns, {ConnectionRole::kClient, Transport::kTcp, true});
  ASSERT_EQ(run.spans.size(), 3u);
  EXPECT_EQ(run.spans[0].span.name, "SELECT users");
  EXPECT_EQ(run.spans[1].span.name, "UPDATE users");
  EXPECT_EQ(run.spans[2].span.name, "INSERT users");
  EXPECT_EQ(Str(run.spans[2].span, "error.type"), "1062");
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(run.spans[i].first_byte_ns, TurnStart(0));
    EXPECT_EQ(run.spans[i].last_byte_ns, TurnEnd(1));
    EXPECT_EQ(run.spans[i].origin.exchange_index, i);
  }
}

TEST(MysqlConnectionParser, ErrorSpanKeepsOnlyTheErrorNumber) {
  const std::vector<Turn> turns = {Send(Packet(0, Query("SELECT * FROM missing"))),
                                   Recv(Packet(1, Err(1146)))};
  const Outcome run = Feed(turns, {ConnectionRole::kClient, Transport::kTcp, true});
  ASSERT_EQ(run.spans.size(), 1u);
  EXPECT_EQ(run.spans[0].span.status, StatusCode::kError);
  EXPECT_EQ(Str(run.spans[0].span, "db.response.status_code"), "1146");
  EXPECT_EQ(Str(run.spans[0].span, "error.type"), "1146");
  // Neither the SQL state nor the message (which may quote values) is exported.
  ExpectNoSecrets(run.spans, {"doesn't exist"});
}

TEST(MysqlConnectionParser, PreparedStatementsByIdAndUnknownOnes) {
  // Joined midway: a first exchange finds the boundaries (a command cut in two before the
  // boundaries are known is skipped: only pieces that begin with a command are trusted).
  std::vector<Turn> turns = {Send(Packet(0, Command(command::kPing))), Recv(Packet(1, Ok()))};
  turns.push_back(
      Send(Packet(0, Command(command::kStmtPrepare, "SELECT * FROM users WHERE id = ?"))));
  Packets prepared(1);
  AddPrepareOk(prepared, 7, 1, 2, /*deprecate_eof=*/false);
  turns.push_back(Recv(prepared.bytes));
  turns.push_back(Send(Packet(0, Execute(7) + "\x01"s + Le(8, 2) + Le(1234567, 8))));
  Packets rows(1);
  AddResultSet(rows, {.columns = {"c0", "c1"},
                      .rows = {{"1", "x"}, {"2", "y"}, {"3", "z"}},
                      .deprecate_eof = false,
                      .binary = true});
  turns.push_back(Recv(rows.bytes));
  turns.push_back(Send(Packet(0, Command(command::kStmtClose, Le(7, 4)))));
  turns.push_back(Send(Packet(0, Execute(7))));
  turns.push_back(Recv(Packet(1, Err(1243))));  // unknown prepared statement handler
  turns.push_back(Send(Packet(0, Execute(99))));
  turns.push_back(Recv(Packet(1, Ok())));
  for (size_t i = 2; i < turns.size(); ++i) {
    for (size_t cut = 0; cut < turns[i].bytes.size(); ++cut) {
      const Outcome run = Feed(turns, {ConnectionRole::kClient, Transport::kTcp, true}, i, cut);
      ASSERT_EQ(run.spans.size(), 5u) << i << " " << cut;
      const Span& prepare = run.spans[1].span;
      EXPECT_EQ(prepare.name, "SELECT users");
      EXPECT_EQ(Str(prepare, "db.operation.name"), "SELECT");
      EXPECT_EQ(Str(prepare, "db.query.text"), "SELECT * FROM users WHERE id = ?");
      EXPECT_EQ(FindAttribute(prepare.attributes, "db.response.returned_rows"), nullptr);
      const Span& execute = run.spans[2].span;
      EXPECT_EQ(execute.name, "SELECT users");
      EXPECT_EQ(Str(execute, "db.query.text"), "SELECT * FROM users WHERE id = ?");
      EXPECT_EQ(Int(execute, "db.response.returned_rows"), 3);
      // Closed: the id is forgotten.
      EXPECT_EQ(Str(run.spans[3].span, "db.operation.name"), "EXECUTE");
      EXPECT_EQ(FindAttribute(run.spans[3].span.attributes, "db.query.text"), nullptr);
      EXPECT_EQ(Str(run.spans[3].span, "error.type"), "1243");
      EXPECT_EQ(run.spans[4].span.name, "EXECUTE");
      EXPECT_EQ(run.parser->counters().unknown_statements, 2u);
      EXPECT_EQ(run.parser->counters().parse_errors, 0u);
      // The parameter value (1234567 as 8 bytes) never shows.
      EXPECT_EQ(AllAttributeText(run.spans).find(Le(1234567, 8)), std::string::npos);
    }
  }
}

TEST(MysqlConnectionParser, PrepareResponseWithDeprecateEofUnknownThenKnown) {
  // Joined midway: whether EOFs follow the definitions is learnt from the bytes.
  for (const bool deprecate : {true, false}) {
    std::vector<Turn> turns;
    turns.push_back(
        Send(Packet(0, Command(command::kStmtPrepare, "SELECT * FROM users WHERE id = ?"))));
    Packets prepared(1);
    AddPrepareOk(prepared, 3, 1, 2, deprecate);
    turns.push_back(Recv(prepared.bytes));
    turns.push_back(
        Send(Packet(0, Command(command::kStmtPrepare, "DELETE FROM users WHERE id = ?"))));
    Packets prepared2(1);
    AddPrepareOk(prepared2, 4, 1, 0, deprecate);
    turns.push_back(Recv(prepared2.bytes));
    turns.push_back(Send(Packet(0, Execute(4))));
    turns.push_back(Recv(Packet(1, Ok(kAutocommit, 1))));
    const Outcome run = Feed(turns, {ConnectionRole::kClient, Transport::kTcp, true});
    ASSERT_EQ(run.spans.size(), 3u) << deprecate;
    EXPECT_EQ(run.spans[2].span.name, "DELETE users");
    EXPECT_EQ(run.spans[1].last_byte_ns, TurnEnd(3));
    EXPECT_EQ(run.parser->counters().parse_errors, 0u) << deprecate;
    EXPECT_EQ(run.parser->counters().unknown_statements, 0u);
  }
}

TEST(MysqlConnectionParser, MariaDbPipelinedPrepareAndExecuteByLastId) {
  // Connector/J and the MariaDB C connector send PREPARE and EXECUTE(-1) together.
  const std::vector<Turn> turns = [] {
    Packets prepared(1);
    AddPrepareOk(prepared, 12, 0, 1, true);
    Packets rows(1);
    AddResultSet(rows, {.columns = {"c0"}, .rows = {{"v"}}, .binary = true});
    return std::vector<Turn>{
        Recv(Packet(0, Greeting("11.4.2-MariaDB", kMysql8Caps))),
        Send(Packet(1, HandshakeResponse(kMysql8Caps, std::nullopt))), Recv(Packet(2, Ok())),
        Send(Packet(0, Command(command::kStmtPrepare, "SELECT name FROM users")) +
             Packet(0, Execute(kLastPreparedStatementId)) +
             Packet(0, Command(command::kStmtClose, Le(kLastPreparedStatementId, 4)))),
        Recv(prepared.bytes + rows.bytes)};
  }();
  const Outcome run = Feed(turns);
  ASSERT_EQ(run.spans.size(), 2u);
  EXPECT_EQ(Str(run.spans[0].span, "db.system.name"), "mariadb");
  EXPECT_EQ(FindAttribute(run.spans[0].span.attributes, "db.namespace"), nullptr);
  EXPECT_EQ(run.spans[1].span.name, "SELECT users");
  EXPECT_EQ(Int(run.spans[1].span, "db.response.returned_rows"), 1);
  EXPECT_EQ(run.parser->counters().unknown_statements, 0u);
  const auto* parser = dynamic_cast<const MysqlConnectionParser*>(run.parser.get());
  ASSERT_NE(parser, nullptr);
  EXPECT_EQ(parser->session().prepared_statements(), 0u);  // closed right after
}

TEST(MysqlConnectionParser, MultiResultCallCountsRowsOfEveryResult) {
  Packets call(1);
  constexpr uint16_t kMore = kAutocommit | server_status::kMoreResultsExist;
  AddResultSet(call, {.rows = {{"1", "a"}, {"2", "b"}}, .final_status = kMore});
  AddResultSet(call, {.columns = {"total"}, .rows = {{"2"}}, .final_status = kMore});
  call.Add(Ok());
  const std::vector<Turn> turns = {Send(Packet(0, Query("CALL report(2024)"))), Recv(call.bytes),
                                   Send(Packet(0, Command(command::kPing))), Recv(Packet(1, Ok()))};
  const Outcome run = Feed(turns, {ConnectionRole::kClient, Transport::kTcp, true});
  ASSERT_EQ(run.spans.size(), 2u);
  EXPECT_EQ(run.spans[0].span.name, "CALL report");
  EXPECT_EQ(Int(run.spans[0].span, "db.response.returned_rows"), 3);
  EXPECT_EQ(run.spans[0].last_byte_ns, TurnEnd(1));
  EXPECT_EQ(run.spans[1].span.name, "COM_PING");
  EXPECT_EQ(Str(run.spans[1].span, "db.operation.name"), "COM_PING");
}

TEST(MysqlConnectionParser, MultiStatementErrorEndsTheResponse) {
  Packets answer(1);
  answer.Add(Ok(kAutocommit | server_status::kMoreResultsExist, 1));
  answer.Add(Err(1064));
  const std::vector<Turn> turns = {Send(Packet(0, Query("DELETE FROM t; SELEC oops"))),
                                   Recv(answer.bytes), Send(Packet(0, Command(command::kPing))),
                                   Recv(Packet(1, Ok()))};
  const Outcome run = Feed(turns, {ConnectionRole::kClient, Transport::kTcp, true});
  ASSERT_EQ(run.spans.size(), 2u);
  EXPECT_EQ(Str(run.spans[0].span, "error.type"), "1064");
}

TEST(MysqlConnectionParser, NamespaceFollowsInitDbUseAndTrackedSchema) {
  const std::vector<Turn> turns = {
      Recv(Packet(0, Greeting("8.0.36", kMysql8Caps))),
      Send(Packet(1, HandshakeResponse(kMysql8Caps, "first"))),
      Recv(Packet(2, Ok())),
      Send(Packet(0, Command(command::kInitDb, "second"))),
      Recv(Packet(1, Ok())),
      Send(Packet(0, Query("SELECT 1"))),
      Recv(Packets(1)
               .Add("\x01")
               .Add(ColumnDef("", "1"))
               .Add(TextRow({"1"}))
               .Add(OkTerminator())
               .bytes),
      Send(Packet(0, Command(command::kInitDb, "nonexistent"))),
      Recv(Packet(1, Err(1049))),
      Send(Packet(0, Command(command::kPing))),
      Recv(Packet(1, Ok())),
      Send(Packet(0, Query("USE `third`"))),
      Recv(Packet(1, Ok())),
      Send(Packet(0, Command(command::kPing))),
      Recv(Packet(1, Ok())),
      // A stored procedure switched databases: the server reports it (SESSION_TRACK_SCHEMA).
      Send(Packet(0, Query("CALL switcher()"))),
      Recv(Packet(1, OkWithSchema("fourth"))),
      Send(Packet(0, Command(command::kPing))),
      Recv(Packet(1, Ok())),
  };
  const Outcome run = Feed(turns);
  ASSERT_EQ(run.spans.size(), 8u);
  EXPECT_EQ(run.spans[0].span.name, "COM_INIT_DB second");
  EXPECT_EQ(Str(run.spans[0].span, "db.namespace"), "second");
  EXPECT_EQ(Str(run.spans[1].span, "db.namespace"), "second");
  EXPECT_EQ(Int(run.spans[1].span, "db.response.returned_rows"), 1);
  EXPECT_EQ(Str(run.spans[2].span, "db.namespace"), "nonexistent");  // what it asked for
  EXPECT_EQ(Str(run.spans[2].span, "error.type"), "1049");
  EXPECT_EQ(Str(run.spans[3].span, "db.namespace"), "second");  // unchanged by the failure
  EXPECT_EQ(Str(run.spans[4].span, "db.namespace"), "third");
  EXPECT_EQ(Str(run.spans[5].span, "db.namespace"), "third");
  EXPECT_EQ(Str(run.spans[6].span, "db.namespace"), "fourth");
  EXPECT_EQ(Str(run.spans[7].span, "db.namespace"), "fourth");
}

TEST(MysqlConnectionParser, ChangeUserAuthenticatesAgainWithoutLeaking) {
  const std::string change_user =
      Command(command::kChangeUser, kUser + '\0' + Le(kScramble.size(), 1) + kScramble + "reports" +
                                        '\0' + Le(33, 2) + "mysql_native_password" + '\0');
  const std::vector<Turn> turns = {
      Send(Packet(0, change_user)),
      Recv(Packet(1, "\xfe"s + "caching_sha2_password" + '\0' + "0123456789abcdefghij" + '\0')),
      Send(Packet(2, kPassword)),
      Recv(Packet(3, Ok())),
      Send(Packet(0, Query("SELECT 1"))),
      Recv(Packets(1)
               .Add("\x01")
               .Add(ColumnDef("", "1"))
               .Add(Eof())
               .Add(TextRow({"1"}))
               .Add(Eof())
               .bytes),
  };
  const Outcome run = Feed(turns, {ConnectionRole::kClient, Transport::kTcp, true});
  ASSERT_EQ(run.spans.size(), 2u);
  EXPECT_EQ(run.spans[0].span.name, "COM_CHANGE_USER reports");
  EXPECT_EQ(Str(run.spans[1].span, "db.namespace"), "reports");
  ExpectNoSecrets(run.spans);
}

TEST(MysqlConnectionParser, LocalInfileContentsAreSkipped) {
  const std::string file_row = "4111-1111-1111-1111,card-holder-secret\n";
  const std::vector<Turn> turns = {
      Send(Packet(0, Query("LOAD DATA LOCAL INFILE '/tmp/cards.csv' INTO TABLE imports"))),
      Recv(Packet(1, "\xfb/tmp/cards.csv")),
      Send(Packet(2, file_row) + Packet(3, file_row)),
      Send(Packet(4, "")),
      Recv(Packet(5, Ok(kAutocommit, 2))),
      Send(Packet(0, Command(command::kPing))),
      Recv(Packet(1, Ok())),
  };
  const Outcome run = Feed(turns, {ConnectionRole::kClient, Transport::kTcp, true});
  ASSERT_EQ(run.spans.size(), 2u);
  EXPECT_EQ(Str(run.spans[0].span, "db.query.text"), "LOAD DATA LOCAL INFILE ? INTO TABLE imports");
  EXPECT_EQ(run.spans[0].last_byte_ns, TurnEnd(4));
  EXPECT_EQ(run.parser->counters().parse_errors, 0u);
  ExpectNoSecrets(run.spans, {"4111", "card-holder-secret", "cards.csv"});
}

TEST(MysqlConnectionParser, QueryAttributesAreSkippedNeverExported) {
  const uint32_t caps = kMysql8Caps | capability::kQueryAttributes;
  // One attribute, "trace_token" = "attr-secret-value" (MYSQL_TYPE_VAR_STRING).
  const std::string attributes = Lenenc(1) + Lenenc(1) + "\x00"s + "\x01"s + Le(0xFD, 2) +
                                 LenencStr("trace_token") + LenencStr("attr-secret-value");
  const std::vector<Turn> turns = {
      Recv(Packet(0, Greeting("8.0.36", caps))),
      Send(Packet(1, HandshakeResponse(caps, "shop"))),
      Recv(Packet(2, Ok())),
      Send(Packet(0, Query(attributes + "UPDATE accounts SET balance = 0 WHERE id = 3"))),
      Recv(Packet(1, Ok(kAutocommit, 1))),
      Send(Packet(0, Query(Lenenc(0) + Lenenc(1) + "DELETE FROM sessions"))),
      Recv(Packet(1, Ok(kAutocommit, 1))),
  };
  const Outcome run = Feed(turns);
  ASSERT_EQ(run.spans.size(), 2u);
  EXPECT_EQ(Str(run.spans[0].span, "db.query.text"),
            "UPDATE accounts SET balance = ? WHERE id = ?");
  EXPECT_EQ(run.spans[1].span.name, "DELETE sessions");
  ExpectNoSecrets(run.spans, {"attr-secret-value", "trace_token"});
}

TEST(MysqlConnectionParser, RawQueryTextOnlyWhenAskedAndNeverCredentials) {
  const std::vector<Turn> turns = {
      Send(Packet(0, Query("SELECT * FROM users WHERE name = 'bob'"))),
      Recv(Packet(1, Ok())),
      Send(Packet(0, Query("CREATE USER 'bob'@'%' IDENTIFIED BY 'pa55word'"))),
      Recv(Packet(1, Ok())),
      Send(Packet(0, Query("SELECT * FROM users WHERE name = \"dq-secret\""))),
      Recv(Packet(1, Ok())),
  };
  const ParserSetup setup{ConnectionRole::kClient, Transport::kTcp, true};
  SpanBuildOptions raw;
  raw.raw_query_text = true;
  const Outcome with_raw = Feed(turns, setup, std::nullopt, 0, raw);
  ASSERT_EQ(with_raw.spans.size(), 3u);
  EXPECT_EQ(Str(with_raw.spans[0].span, "db.query.text"), "SELECT * FROM users WHERE name = 'bob'");
  EXPECT_EQ(Str(with_raw.spans[1].span, "db.query.text"), "CREATE USER ?@? IDENTIFIED BY ?");
  const Outcome sanitized = Feed(turns, setup);
  ASSERT_EQ(sanitized.spans.size(), 3u);
  EXPECT_EQ(Str(sanitized.spans[0].span, "db.query.text"), "SELECT * FROM users WHERE name = ?");
  // MySQL reads "..." as a string (without ANSI_QUOTES): masked too.
  EXPECT_EQ(Str(sanitized.spans[2].span, "db.query.text"), "SELECT * FROM users WHERE name = ?");
  ExpectNoSecrets(sanitized.spans, {"bob", "pa55word", "dq-secret"});
}

TEST(MysqlConnectionParser, FieldListStatisticsAndOtherCommandsByName) {
  const std::vector<Turn> turns = {
      Send(Packet(0, Command(command::kFieldList, "users"s + '\0' + "%"))),
      Recv(Packets(1)
               .Add(ColumnDef("users", "id"))
               .Add(ColumnDef("users", "name"))
               .Add(Eof())
               .bytes),
      Send(Packet(0, Command(command::kStatistics))),
      Recv(Packet(1, "Uptime: 1  Threads: 1  Questions: 2")),
      Send(Packet(0, Command(command::kResetConnection))),
      Recv(Packet(1, Ok())),
      Send(Packet(0, Command(command::kStmtReset, Le(5, 4)))),
      Recv(Packet(1, Err(1243))),
  };
  const Outcome run = Feed(turns, {ConnectionRole::kClient, Transport::kTcp, true});
  ASSERT_EQ(run.spans.size(), 4u);
  EXPECT_EQ(run.spans[0].span.name, "COM_FIELD_LIST users");
  EXPECT_EQ(Str(run.spans[0].span, "db.collection.name"), "users");
  EXPECT_EQ(FindAttribute(run.spans[0].span.attributes, "db.response.returned_rows"), nullptr);
  EXPECT_EQ(run.spans[1].span.name, "COM_STATISTICS");
  EXPECT_EQ(run.spans[2].span.name, "COM_RESET_CONNECTION");
  EXPECT_EQ(run.spans[3].span.name, "COM_STMT_RESET");
  EXPECT_EQ(Str(run.spans[3].span, "error.type"), "1243");
}

TEST(MysqlConnectionParser, CursorExecuteThenFetch) {
  std::vector<Turn> turns;
  turns.push_back(Send(Packet(0, Command(command::kStmtPrepare, "SELECT id FROM users"))));
  Packets prepared(1);
  AddPrepareOk(prepared, 2, 0, 1, false);
  turns.push_back(Recv(prepared.bytes));
  // CURSOR_TYPE_READ_ONLY: metadata and an EOF saying a cursor exists, no rows.
  turns.push_back(Send(Packet(0, Command(command::kStmtExecute, Le(2, 4) + "\x01"s + Le(1, 4)))));
  turns.push_back(Recv(Packets(1)
                           .Add("\x01")
                           .Add(ColumnDef("users", "id"))
                           .Add(Eof(kAutocommit | server_status::kCursorExists))
                           .bytes));
  turns.push_back(Send(Packet(0, Command(command::kStmtFetch, Le(2, 4) + Le(100, 4)))));
  turns.push_back(
      Recv(Packets(1).Add(BinaryRow({"1"})).Add(BinaryRow({"2"})).Add(Eof(0x80)).bytes));
  const Outcome run = Feed(turns, {ConnectionRole::kClient, Transport::kTcp, true});
  ASSERT_EQ(run.spans.size(), 3u);
  EXPECT_EQ(Int(run.spans[1].span, "db.response.returned_rows"), 0);
  EXPECT_EQ(run.spans[2].span.name, "COM_STMT_FETCH users");
  EXPECT_EQ(Str(run.spans[2].span, "db.query.text"), "SELECT id FROM users");
  EXPECT_EQ(Int(run.spans[2].span, "db.response.returned_rows"), 2);
}

TEST(MysqlConnectionParser, CommandsOfMultiplePacketsContinueTheSequence) {
  // A 16 MiB + 10 byte COM_QUERY (two packets, seq 0 and 1): the response starts at seq 2. The
  // kernel copied only the first kilobyte of the first syscall.
  std::string first = Header(kMaxPacketPayload, 0) + "\x03" + "INSERT INTO blobs VALUES ('";
  first.resize(4 + kMaxPacketPayload, 'q');
  const std::vector<Turn> turns = {
      Send(first, 1024),
      Send(Packet(1, "qqqqqqq')")),
      Recv(Packet(2, Ok(kAutocommit, 1))),
  };
  const Outcome run = Feed(turns, {ConnectionRole::kClient, Transport::kTcp, true});
  ASSERT_EQ(run.spans.size(), 1u);
  EXPECT_EQ(run.spans[0].span.name, "INSERT blobs");
  EXPECT_EQ(Str(run.spans[0].span, "db.query.text"), "INSERT INTO blobs VALUES (?");
  EXPECT_EQ(run.spans[0].first_byte_ns, TurnStart(0));
  EXPECT_EQ(run.spans[0].last_byte_ns, TurnEnd(2));
  EXPECT_EQ(run.parser->counters().parse_errors, 0u);
}

TEST(MysqlConnectionParser, RowOverSixteenMegabytesIsOneRow) {
  // The row's value is 16 MiB long, so its length prefix starts with 0xFE like a terminator.
  std::string big_row = Header(kMaxPacketPayload, 3) + "\xfe"s + Le(kMaxPacketPayload + 4 - 9, 8);
  big_row.resize(4 + kMaxPacketPayload, 'b');
  const std::vector<Turn> turns = {
      Send(Packet(0, Query("SELECT body FROM blobs"))),
      Recv(Packets(1).Add("\x01").Add(ColumnDef("blobs", "body")).bytes),
      Recv(big_row, 1024),
      Recv(Packet(4, "bbbb") + Packet(5, OkTerminator())),
  };
  const Outcome run = Feed(turns, {ConnectionRole::kClient, Transport::kTcp, true});
  ASSERT_EQ(run.spans.size(), 1u);
  EXPECT_EQ(Int(run.spans[0].span, "db.response.returned_rows"), 1);
  EXPECT_EQ(run.parser->counters().parse_errors, 0u);
}

TEST(MysqlConnectionParser, HundredMegabyteResultSetStreamsThrough) {
  // 1600 rows of 64 KiB (~100 MB), each read by its own syscall of which 1 KiB was copied: the
  // gaps fall inside rows and are skipped by length, every row is counted.
  constexpr size_t kRows = 1600;
  constexpr size_t kRowPayload = 64 * 1024 - 4;
  auto parser = kProtocol.make_parser({ConnectionRole::kClient, Transport::kTcp, true});
  const std::string query = Packet(0, Query("SELECT body FROM blobs"));
  parser->OnData({Direction::kSend, query, query.size(), 10, 20, 5});
  const std::string head = Packets(1).Add("\x01").Add(ColumnDef("blobs", "body")).bytes;
  parser->OnData({Direction::kRecv, head, head.size(), 30, 40, 5});
  uint8_t seq = 3;
  uint64_t t = 50;
  std::string row = Header(kRowPayload, 0) + LenencStr(std::string(kRowPayload - 3, 'r'));
  for (size_t i = 0; i < kRows; ++i) {
    row[3] = static_cast<char>(seq++);
    parser->OnData(
        {Direction::kRecv, std::string_view(row).substr(0, 1024), row.size(), t, t + 5, 5});
    t += 10;
  }
  const std::string end = Packet(seq, OkTerminator());
  parser->OnData({Direction::kRecv, end, end.size(), t, t + 5, 5});
  std::vector<ExchangeSpan> spans;
  parser->Drain(Connection(ConnectionRole::kClient), {}, spans);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(Int(spans[0].span, "db.response.returned_rows"), static_cast<int64_t>(kRows));
  EXPECT_EQ(spans[0].last_byte_ns, t + 5);
  EXPECT_EQ(parser->counters().parse_errors, 0u);
}

TEST(MysqlConnectionParser, ResultSetWhoseHeadersFellInGapsEndsAtTheNextCommand) {
  // Small rows read 64 KiB at a time with 1 KiB copied: headers vanish in the gaps. The call
  // still ends (when the client sends its next command), at the last response bytes, without a
  // row count it could not make.
  Packets rows(1);
  rows.Add("\x01").Add(ColumnDef("t", "v"));
  for (int i = 0; i < 3000; ++i) rows.Add(TextRow({"row-value-" + std::to_string(i)}));
  rows.Add(OkTerminator());
  std::vector<Turn> turns = {Send(Packet(0, Query("SELECT v FROM t")))};
  for (size_t at = 0; at < rows.bytes.size(); at += 16384)
    turns.push_back(Recv(rows.bytes.substr(at, 16384), 1024));
  const size_t last_response = turns.size() - 1;
  turns.push_back(Send(Packet(0, Query("SELECT 2"))));
  turns.push_back(Recv(Packets(1)
                           .Add("\x01")
                           .Add(ColumnDef("", "2"))
                           .Add(TextRow({"2"}))
                           .Add(OkTerminator())
                           .bytes));
  const Outcome run = Feed(turns, {ConnectionRole::kClient, Transport::kTcp, true});
  ASSERT_EQ(run.spans.size(), 2u);
  EXPECT_EQ(run.spans[0].span.name, "SELECT t");
  EXPECT_EQ(run.spans[0].last_byte_ns, TurnEnd(last_response));
  EXPECT_EQ(FindAttribute(run.spans[0].span.attributes, "db.response.returned_rows"), nullptr);
  EXPECT_EQ(FindAttribute(run.spans[0].span.attributes, "error.type"), nullptr);
  EXPECT_EQ(Int(run.spans[1].span, "db.response.returned_rows"), 1);
  EXPECT_GE(run.parser->counters().parse_errors, 1u);
}

TEST(MysqlConnectionParser, TruncatedQueryCaptureStillNamesTheCall) {
  std::string sql = "SELECT * FROM orders WHERE note = '";
  sql += std::string(5000, 'n') + "'";
  const std::vector<Turn> turns = {Send(Packet(0, Query(sql)), 1024), Recv(Packet(1, Ok()))};
  const Outcome run = Feed(turns, {ConnectionRole::kClient, Transport::kTcp, true});
  ASSERT_EQ(run.spans.size(), 1u);
  EXPECT_EQ(run.spans[0].span.name, "SELECT orders");
  EXPECT_EQ(Str(run.spans[0].span, "db.query.text"), "SELECT * FROM orders WHERE note = ?");
}

TEST(MysqlConnectionParser, MidStreamStartSkipsTheTailOfAResponse) {
  Packets tail(7);
  tail.Add(TextRow({"old-row-secret"})).Add(TextRow({"x"})).Add(OkTerminator());
  const std::vector<Turn> turns = {
      Recv(tail.bytes),
      Send(Packet(0, Query("SELECT id, name FROM users"))),
      Recv(Packets(1)
               .Add("\x01")
               .Add(ColumnDef("users", "id"))
               .Add(TextRow({"1"}))
               .Add(OkTerminator())
               .bytes),
  };
  const Outcome run = Feed(turns, {ConnectionRole::kClient, Transport::kTcp, true});
  ASSERT_EQ(run.spans.size(), 1u);
  EXPECT_EQ(Int(run.spans[0].span, "db.response.returned_rows"), 1);
  EXPECT_EQ(run.parser->counters().unmatched_responses, 1u);
  EXPECT_EQ(run.parser->counters().parse_errors, 0u);
  ExpectNoSecrets(run.spans, {"old-row-secret"});
}

TEST(MysqlConnectionParser, MidStreamWithUnknownRoleInfersItFromACommandAndItsAnswer) {
  Packets tail(9);
  tail.Add(TextRow({"1"})).Add(OkTerminator());
  const std::vector<Turn> turns = {
      Recv(tail.bytes),
      Send(Packet(0, Query("UPDATE users SET name = 'z' WHERE id = 1"))),
      Recv(Packet(1, Ok(kAutocommit, 1))),
      Send(Packet(0, Command(command::kPing))),
      Recv(Packet(1, Ok())),
  };
  const Outcome run = Feed(turns, {ConnectionRole::kUnknown, Transport::kTcp, true});
  EXPECT_EQ(run.parser->role(), ConnectionRole::kClient);
  ASSERT_EQ(run.spans.size(), 2u);  // the first command is replayed, not lost
  EXPECT_EQ(run.spans[0].span.name, "UPDATE users");
  EXPECT_EQ(run.spans[0].span.kind, SpanKind::kClient);
  EXPECT_EQ(run.spans[0].first_byte_ns, TurnStart(1));
  EXPECT_EQ(run.spans[0].origin.tid, TurnTid(1));
  EXPECT_EQ(run.spans[1].span.name, "COM_PING");
}

TEST(MysqlConnectionParser, ServerReadingHeadersFirstIsJoinedMidway) {
  // mysqld reads a packet's four header bytes, then its payload: two syscalls per command.
  const std::string update = Packet(0, Query("UPDATE users SET name = 'z' WHERE id = 1"));
  const std::string ping = Packet(0, Command(command::kPing));
  const std::vector<Turn> turns = {
      Send(Packets(4).Add(TextRow({"tail"})).Add(OkTerminator()).bytes),
      Recv(update.substr(0, 4)),
      Recv(update.substr(4)),
      Send(Packet(1, Ok(kAutocommit, 1))),
      Recv(ping.substr(0, 4)),
      Recv(ping.substr(4)),
      Send(Packet(1, Ok())),
  };
  for (const ConnectionRole role : {ConnectionRole::kServer, ConnectionRole::kUnknown}) {
    const Outcome run = Feed(turns, {role, Transport::kTcp, true}, std::nullopt, 0, {},
                             ConnectionRole::kServer);
    EXPECT_EQ(run.parser->role(), ConnectionRole::kServer);
    ASSERT_EQ(run.spans.size(), 2u);
    EXPECT_EQ(run.spans[0].span.name, "UPDATE users");
    EXPECT_EQ(run.spans[0].span.kind, SpanKind::kServer);
    EXPECT_EQ(run.spans[0].first_byte_ns, TurnStart(1));
    EXPECT_EQ(run.spans[0].origin.tid, TurnTid(1));
    EXPECT_EQ(run.spans[0].last_byte_ns, TurnEnd(3));
    EXPECT_EQ(run.spans[1].span.name, "COM_PING");
  }
}

TEST(MysqlConnectionParser, GarbageBetweenCommandsIsSkippedAndCounted) {
  const std::vector<Turn> turns = {
      Send("\x13\x37garbage that is not a packet at all"s),
      Send(Packet(0, Query("SELECT id, name FROM users"))),
      Recv(Packets(1)
               .Add("\x01")
               .Add(ColumnDef("users", "id"))
               .Add(TextRow({"1"}))
               .Add(OkTerminator())
               .bytes),
      // Garbage and a command in one syscall.
      Send("\x05\x00\x00\x07junk!"s + Packet(0, Command(command::kPing))),
      Recv(Packet(1, Ok())),
  };
  const Outcome run = Feed(turns, {ConnectionRole::kClient, Transport::kTcp, true});
  ASSERT_EQ(run.spans.size(), 2u);
  EXPECT_EQ(run.spans[0].span.name, "SELECT users");
  EXPECT_EQ(run.spans[1].span.name, "COM_PING");
  EXPECT_EQ(run.spans[1].first_byte_ns, TurnStart(3));
  EXPECT_GE(run.parser->counters().parse_errors, 1u);
}

TEST(MysqlConnectionParser, GarbageInTheResponseEndsItUnreadable) {
  const std::vector<Turn> turns = {
      Send(Packet(0, Query("SELECT id FROM users"))),
      Recv(Packet(1, "\x01") + "\xde\xad\xbe\xef not mysql"s),
      Send(Packet(0, Command(command::kPing))),
      Recv(Packet(1, Ok())),
  };
  const Outcome run = Feed(turns, {ConnectionRole::kClient, Transport::kTcp, true});
  ASSERT_EQ(run.spans.size(), 2u);
  EXPECT_EQ(run.spans[0].span.name, "SELECT users");
  EXPECT_EQ(run.spans[0].last_byte_ns, TurnEnd(1));
  EXPECT_EQ(FindAttribute(run.spans[0].span.attributes, "db.response.returned_rows"), nullptr);
  EXPECT_EQ(run.spans[1].span.name, "COM_PING");
  EXPECT_EQ(run.parser->counters().parse_errors, 1u);
}

TEST(MysqlConnectionParser, NotMysqlOnANewConnectionIsAbandoned) {
  const Outcome http = Feed({Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")}, {ConnectionRole::kClient});
  EXPECT_TRUE(http.parser->abandoned());
  const Outcome unknown = Feed({Recv("HTTP/1.1 200 OK\r\n\r\n")}, {ConnectionRole::kUnknown});
  EXPECT_TRUE(unknown.parser->abandoned());
  const Outcome garbage_greeting = Feed({Recv(Packet(0, "\x09not a greeting, protocol 9"))});
  EXPECT_TRUE(garbage_greeting.parser->abandoned());
}

TEST(MysqlConnectionParser, SslRequestMeansTlsFollows) {
  const uint32_t caps = kMysql8Caps | capability::kSsl;
  const std::vector<Turn> turns = {
      Recv(Packet(0, Greeting("8.0.36", caps))),
      Send(Packet(1, Le(caps, 4) + Le(16777216, 4) + "\xff" + std::string(23, '\0'))),
      Recv("\x16\x03\x03 tls server hello..."s),
  };
  const Outcome run = Feed(turns);
  EXPECT_TRUE(run.parser->abandoned());
  EXPECT_TRUE(run.spans.empty());
}

TEST(MysqlConnectionParser, CompressedProtocolIsAbandoned) {
  const uint32_t caps = kMysql8Caps | capability::kCompress;
  const Outcome run = Feed({Recv(Packet(0, Greeting("8.0.36", caps))),
                            Send(Packet(1, HandshakeResponse(caps, "shop")))});
  EXPECT_TRUE(run.parser->abandoned());
}

TEST(MysqlConnectionParser, RefusedConnectionMakesNoSpans) {
  const Outcome run = Feed({Recv(Packet(0, "\xff"s + Le(1040, 2) + "Too many connections"))});
  EXPECT_FALSE(run.parser->abandoned());
  EXPECT_TRUE(run.spans.empty());
  EXPECT_EQ(run.parser->counters().parse_errors, 0u);
}

TEST(MysqlConnectionParser, FailedAuthenticationMakesNoSpans) {
  const Outcome run = Feed(
      {Recv(Packet(0, Greeting("8.0.36", kMysql8Caps))),
       Send(Packet(1, HandshakeResponse(kMysql8Caps, "shop"))),
       Recv(Packet(2, "\xff"s + Le(1045, 2) + "#28000Access denied for user 'alice_the_user'"))});
  EXPECT_TRUE(run.spans.empty());
  EXPECT_EQ(run.parser->counters().dropped_requests, 0u);
}

TEST(MysqlConnectionParser, ResetWithPendingCommandsFailsThem) {
  auto parser = kProtocol.make_parser({ConnectionRole::kClient, Transport::kTcp, true});
  const std::string q1 = Packet(0, Query("SELECT SLEEP(10)"));
  parser->OnData({Direction::kSend, q1, q1.size(), 100, 110, 9});
  parser->OnClose(5000, /*reset=*/true);
  std::vector<ExchangeSpan> spans;
  parser->Drain(Connection(ConnectionRole::kClient), {}, spans);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(Str(spans[0].span, "error.type"), "connection_reset");
  EXPECT_EQ(spans[0].span.status, StatusCode::kError);
  EXPECT_EQ(spans[0].first_byte_ns, 100u);
  EXPECT_EQ(spans[0].last_byte_ns, 5000u);
  EXPECT_EQ(spans[0].origin.tid, 9u);
  EXPECT_EQ(parser->counters().dropped_requests, 0u);
}

TEST(MysqlConnectionParser, PlainCloseDropsPendingCommands) {
  auto parser = kProtocol.make_parser({ConnectionRole::kClient, Transport::kTcp, true});
  const std::string q1 = Packet(0, Query("SELECT SLEEP(10)"));
  parser->OnData({Direction::kSend, q1, q1.size(), 100, 110, 9});
  parser->OnData({Direction::kSend, q1, q1.size(), 120, 130, 9});
  parser->OnClose(5000, /*reset=*/false);
  std::vector<ExchangeSpan> spans;
  parser->Drain(Connection(ConnectionRole::kClient), {}, spans);
  EXPECT_TRUE(spans.empty());
  EXPECT_EQ(parser->counters().dropped_requests, 2u);
}

TEST(MysqlConnectionParser, MemoryStaysBoundedWhateverThePeerSends) {
  auto owned = kProtocol.make_parser({ConnectionRole::kClient, Transport::kTcp, true});
  auto* parser = dynamic_cast<MysqlConnectionParser*>(owned.get());
  ASSERT_NE(parser, nullptr);
  uint64_t t = 0;
  // Many prepared statements: the cache keeps the newest.
  for (uint32_t id = 1; id <= 500; ++id) {
    const std::string prepare =
        Packet(0, Command(command::kStmtPrepare, "SELECT " + std::to_string(id) + " FROM t"));
    parser->OnData({Direction::kSend, prepare, prepare.size(), t, t + 1, 1});
    Packets ok(1);
    AddPrepareOk(ok, id, 0, 0, true);
    parser->OnData({Direction::kRecv, ok.bytes, ok.bytes.size(), t + 2, t + 3, 1});
    t += 4;
  }
  EXPECT_LE(parser->session().prepared_statements(), kMaxPreparedStatements);
  // A client that never reads its answers.
  const std::string ping = Packet(0, Command(command::kPing));
  for (int i = 0; i < 5000; ++i) parser->OnData({Direction::kSend, ping, ping.size(), t, t + 1, 1});
  EXPECT_LE(parser->session().pending(), kMaxPendingCommands);
  EXPECT_GT(parser->counters().dropped_requests, 0u);
  // Nobody drains: completed calls stay bounded too.
  EXPECT_LE(parser->session().completed().size(), kMaxCompletedCalls);
}

TEST(MysqlConnectionParser, UnknownRoleUsesTheInferredOneInDrain) {
  // The tracker may not know the role; the greeting told it.
  const Outcome run = Feed(Mysql8Conversation(), {ConnectionRole::kUnknown}, std::nullopt, 0, {},
                           ConnectionRole::kUnknown);
  ASSERT_EQ(run.spans.size(), 3u);
  EXPECT_EQ(run.spans[0].span.kind, SpanKind::kClient);
  EXPECT_EQ(Str(run.spans[0].span, "server.address"), "10.0.0.5");
}

TEST(MysqlConnectionParser, RegisteredAsMysql) {
  EXPECT_EQ(kProtocol.id, OTELBPF_PROTO_MYSQL);
  EXPECT_EQ(kProtocol.name, "mysql");
  EXPECT_EQ(kProtocol.family, SemanticFamily::kDb);
  ASSERT_NE(kProtocol.make_parser, nullptr);
}

}  // namespace
}  // namespace otelbpf::mysql
