// The MySQL / MariaDB message parsers one by one: handshake packets, commands, server packets,
// the response reader, resynchronisation checks, statement cache and call building. Fixtures are
// built byte by byte from the protocol documentation.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/mysql/call.h"
#include "protocols/mysql/command.h"
#include "protocols/mysql/constants.h"
#include "protocols/mysql/double_quoted_strings.h"
#include "protocols/mysql/handshake.h"
#include "protocols/mysql/response_reader.h"
#include "protocols/mysql/resync.h"
#include "protocols/mysql/server_packets.h"
#include "protocols/mysql/statement_cache.h"

namespace otelbpf::mysql {
namespace {

using namespace std::string_literals;

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
std::string Packet(uint8_t seq, std::string_view payload) {
  return Le(payload.size(), 3) + Le(seq, 1) + std::string(payload);
}

// A whole message as the framer would deliver it.
Message Msg(const std::string& payload, uint8_t seq) {
  Message m;
  m.payload = payload;
  m.length = payload.size();
  m.first_seq = seq;
  m.next_seq = static_cast<uint8_t>(seq + 1);
  m.complete = true;
  return m;
}

constexpr uint32_t kCaps = capability::kProtocol41 | capability::kSecureConnection |
                           capability::kPluginAuth | capability::kConnectWithDb |
                           capability::kDeprecateEof;

std::string GreetingPayload(std::string_view version, uint32_t caps) {
  return "\x0a"s + std::string(version) + '\0' + Le(7, 4) + "12345678" + '\0' +
         Le(caps & 0xFFFF, 2) + "\x21" + Le(2, 2) + Le(caps >> 16, 2) + "\x15" +
         std::string(10, '\0') + "abcdefghijkl" + '\0' + "mysql_native_password" + '\0';
}

// ---- Handshake ------------------------------------------------------------------------------

TEST(MysqlHandshake, GreetingOfMysql8) {
  const std::string payload = GreetingPayload("8.0.36-0ubuntu0.22.04.1", kCaps);
  const std::optional<Greeting> g = ParseGreeting(payload);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->system, "mysql");
  EXPECT_EQ(g->capabilities, kCaps);
}

TEST(MysqlHandshake, GreetingOfMariaDbWithAndWithoutTheReplicationPrefix) {
  for (const char* version : {"5.5.5-10.6.16-MariaDB-0ubuntu0.22.04.1", "11.4.2-MariaDB"}) {
    const std::string payload = GreetingPayload(version, kCaps & ~1u);
    const std::optional<Greeting> g = ParseGreeting(payload);
    ASSERT_TRUE(g) << version;
    EXPECT_EQ(g->system, "mariadb") << version;
  }
}

TEST(MysqlHandshake, NotAGreeting) {
  EXPECT_FALSE(ParseGreeting(""));
  EXPECT_FALSE(
      ParseGreeting("\x09"
                    "4.0\0"s));  // protocol 9
  EXPECT_FALSE(
      ParseGreeting("\x0a"
                    "8.0.36"s));  // unterminated version
  EXPECT_FALSE(
      ParseGreeting("\x0a"
                    "\x01\x02\0"s +
                    std::string(40, 'x')));  // unprintable
  EXPECT_FALSE(
      ParseGreeting("\x0a"
                    "8.0\0\1\2"s));  // cut before capabilities
}

TEST(MysqlHandshake, ResponseGivesCapabilitiesAndDatabaseOnly) {
  const uint32_t caps = kCaps | capability::kPluginAuthLenencClientData;
  const std::string payload = Le(caps, 4) + Le(0x1000000, 4) + "\x21" + std::string(23, '\0') +
                              "root" + '\0' + LenencStr("\x01\x02secret-auth\0bytes"s) + "shop" +
                              '\0' + "caching_sha2_password" + '\0';
  const std::optional<HandshakeResponse> r = ParseHandshakeResponse(payload);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->capabilities, caps);
  EXPECT_FALSE(r->ssl_request);
  EXPECT_EQ(r->database, "shop");
}

TEST(MysqlHandshake, ResponseWithOneByteAuthLengthAndNoDatabase) {
  const uint32_t caps = kCaps & ~capability::kConnectWithDb;
  const std::string payload = Le(caps, 4) + Le(0x1000000, 4) + "\x21" + std::string(23, '\0') +
                              "root" + '\0' + "\x14" + std::string(20, 'a') +
                              "mysql_native_password" + '\0';
  const std::optional<HandshakeResponse> r = ParseHandshakeResponse(payload);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->database);
}

TEST(MysqlHandshake, SslRequestIsShortAndFlagged) {
  const uint32_t caps = kCaps | capability::kSsl;
  const std::string payload = Le(caps, 4) + Le(0x1000000, 4) + "\x21" + std::string(23, '\0');
  const std::optional<HandshakeResponse> r = ParseHandshakeResponse(payload);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ssl_request);
}

TEST(MysqlHandshake, PreProtocol41Response) {
  const uint16_t caps = capability::kConnectWithDb | capability::kSecureConnection;
  const std::string payload =
      Le(caps, 2) + Le(0xFFFFFF, 3) + "olduser" + '\0' + "scrambled" + '\0' + "legacy" + '\0';
  const std::optional<HandshakeResponse> r = ParseHandshakeResponse(payload);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->database, "legacy");
  EXPECT_FALSE(ParseHandshakeResponse("\x01"));
}

TEST(MysqlHandshake, ChangeUserDatabase) {
  const std::string payload =
      "\x11"s + "bob" + '\0' + "\x05" + "a\0b\0c"s + "reports" + '\0' + Le(33, 2);
  EXPECT_EQ(ChangeUserDatabase(payload, std::nullopt), "reports");
  EXPECT_EQ(ChangeUserDatabase(payload, kCaps), "reports");
  const std::string old_style = "\x11"s + "bob" + '\0' + "pw" + '\0' + "reports" + '\0';
  EXPECT_EQ(ChangeUserDatabase(old_style, capability::kProtocol41), "reports");
  EXPECT_FALSE(
      ChangeUserDatabase("\x11"
                         "bob",
                         std::nullopt));
}

// ---- Commands -------------------------------------------------------------------------------

TEST(MysqlCommand, NamesAndShapes) {
  EXPECT_EQ(FindCommand(command::kQuery)->name, "COM_QUERY");
  EXPECT_EQ(FindCommand(command::kPing)->name, "COM_PING");
  EXPECT_EQ(FindCommand(command::kStmtPrepare)->response, ResponseShape::kPrepare);
  EXPECT_EQ(FindCommand(command::kStmtClose)->response, ResponseShape::kNone);
  EXPECT_EQ(FindCommand(command::kQuit)->response, ResponseShape::kNone);
  EXPECT_EQ(FindCommand(command::kStmtFetch)->response, ResponseShape::kRows);
  EXPECT_EQ(FindCommand(command::kStmtBulkExecute)->name, "COM_STMT_BULK_EXECUTE");
  EXPECT_FALSE(FindCommand(command::kBinlogDump)->followed);
  EXPECT_FALSE(FindCommand(command::kClone)->followed);
  EXPECT_EQ(FindCommand(0x21), nullptr);
  EXPECT_EQ(FindCommand(0xFF), nullptr);
}

TEST(MysqlCommand, QueryTextPlainAndWithAttributes) {
  EXPECT_EQ(ParseRequest("\x03SELECT 1", false)->text, "SELECT 1");
  EXPECT_EQ(ParseRequest("\x03SELECT 1", std::nullopt)->text, "SELECT 1");
  // No attributes: a count of 0 and one parameter set.
  EXPECT_EQ(ParseRequest("\x03\x00\x01SELECT 1"s, true)->text, "SELECT 1");
  EXPECT_EQ(ParseRequest("\x03\x00\x01SELECT 1"s, std::nullopt)->text, "SELECT 1");
  // Four attributes of different binary types; two NULL (bits 1 and 3), values skipped.
  const std::string attrs = "\x04\x01"s + "\x0a" + "\x01" + Le(3, 2) + LenencStr("a") + Le(6, 2) +
                            LenencStr("b") + Le(12, 2) + LenencStr("c") + Le(253, 2) +
                            LenencStr("d") + Le(42, 4) + "\x07" + Le(2024, 2) +
                            "\x01\x02\x03\x04\x05";
  const std::string payload = "\x03"s + attrs + "UPDATE t SET x = 1";
  EXPECT_EQ(ParseRequest(payload, true)->text, "UPDATE t SET x = 1");
  EXPECT_EQ(ParseRequest(payload, std::nullopt)->text, "UPDATE t SET x = 1");
  // Broken attributes: no text rather than a wrong one.
  EXPECT_EQ(ParseRequest("\x03\x05\x01\x00"s, true)->text, "");
}

TEST(MysqlCommand, StatementIdsAndArguments) {
  EXPECT_EQ(ParseRequest("\x17" + Le(77, 4) + "\x00" + Le(1, 4), false)->statement_id, 77u);
  EXPECT_EQ(ParseRequest("\x19" + Le(5, 4), false)->statement_id, 5u);
  EXPECT_EQ(ParseRequest("\x1c" + Le(9, 4) + Le(10, 4), false)->statement_id, 9u);
  EXPECT_FALSE(ParseRequest("\x17\x01", false)->statement_id);
  EXPECT_EQ(ParseRequest("\x02inventory", false)->text, "inventory");
  EXPECT_EQ(ParseRequest("\x04users\0%"s, false)->text, "users");
  EXPECT_EQ(ParseRequest("\x16SELECT ?", false)->text, "SELECT ?");
  EXPECT_FALSE(ParseRequest("", false));
  EXPECT_FALSE(ParseRequest("\x42", false));
}

// ---- Server packets -------------------------------------------------------------------------

TEST(MysqlServerPackets, OkStatusAndTrackedSchema) {
  const std::string plain = "\x00\x01\x00"s + Le(0x0002, 2) + Le(0, 2);
  EXPECT_EQ(ParseOk(plain, true)->status, 0x0002);
  EXPECT_FALSE(ParseOk(plain, true)->schema);
  const std::string changes = "\x01"s + LenencStr(LenencStr("analytics")) + "\x00" +
                              LenencStr(LenencStr("autocommit") + LenencStr("ON"));
  const std::string tracked =
      "\x00\x00\x00"s + Le(0x4002, 2) + Le(0, 2) + LenencStr("") + LenencStr(changes);
  EXPECT_EQ(ParseOk(tracked, true)->schema, "analytics");
  EXPECT_EQ(ParseOk(tracked, std::nullopt)->schema, "analytics");
  EXPECT_FALSE(ParseOk(tracked, false)->schema);  // without session tracking it is info text
  EXPECT_FALSE(ParseOk("\x00\x00"s, true));
}

TEST(MysqlServerPackets, EofErrAndColumnCount) {
  EXPECT_EQ(ParseEofStatus("\xfe\x00\x00\x0a\x00"s), 0x000a);
  EXPECT_EQ(ParseErrorCode("\xff\x7a\x04#42S02Table x"s), 1146);
  EXPECT_FALSE(ParseErrorCode("\xff\x7a"s));
  const std::string two = "\x02";
  EXPECT_EQ(ParseColumnCount(Msg(two, 1))->columns, 2u);
  EXPECT_TRUE(ParseColumnCount(Msg(two, 1))->metadata_follows);
  const std::string cached = "\x03\x00"s;  // MariaDB: metadata cached, not sent
  EXPECT_FALSE(ParseColumnCount(Msg(cached, 1))->metadata_follows);
  const std::string many = "\xfc\x2c\x01"s;
  EXPECT_EQ(ParseColumnCount(Msg(many, 1))->columns, 300u);
  const std::string zero = "\x00"s, junk = "\x02xyz";
  EXPECT_FALSE(ParseColumnCount(Msg(zero, 1)));
  EXPECT_FALSE(ParseColumnCount(Msg(junk, 1)));
}

TEST(MysqlServerPackets, TerminatorsAreShortAndRowsMayStartWith0xFE) {
  const std::string eof = "\xfe\x00\x00\x02\x00"s;
  EXPECT_TRUE(IsRowsTerminator(Msg(eof, 5)));
  EXPECT_TRUE(IsEofPacket(Msg(eof, 5)));
  const std::string ok = "\xfe\x00\x00\x02\x00\x00\x00"s;
  EXPECT_TRUE(IsRowsTerminator(Msg(ok, 5)));
  EXPECT_FALSE(IsEofPacket(Msg(ok, 5)));
  Message huge_row = Msg("\xfe\x01\x00\x00\x01\x00\x00\x00\x00"s, 5);
  huge_row.length = kMaxPacketPayload + 20;  // a 16 MiB value
  EXPECT_FALSE(IsRowsTerminator(huge_row));
}

// ---- Response reader ------------------------------------------------------------------------

using Step = ResponseReader::Step;

TEST(MysqlResponseReader, SequenceIdsMustFollowOn) {
  ResponseReader reader(ResponseShape::kGeneric, 1);
  ResponseFacts facts;
  const std::string ok = "\x00\x00\x00\x02\x00\x00\x00"s;
  EXPECT_EQ(reader.OnServerMessage(Msg(ok, 2), facts), Step::kMalformed);
  ResponseReader good(ResponseShape::kGeneric, 1);
  EXPECT_EQ(good.OnServerMessage(Msg(ok, 1), facts), Step::kDone);
  EXPECT_TRUE(good.done());
  EXPECT_FALSE(good.outcome().failed);
}

TEST(MysqlResponseReader, ProgressReportsAreNotTheEnd) {
  ResponseReader reader(ResponseShape::kGeneric, 1);
  ResponseFacts facts;
  const std::string progress = "\xff\xff\xff\x01\x01\x00\x10\x27\x00stage"s;
  EXPECT_EQ(reader.OnServerMessage(Msg(progress, 1), facts), Step::kMore);
  const std::string ok = "\x00\x05\x00\x02\x00\x00\x00"s;
  EXPECT_EQ(reader.OnServerMessage(Msg(ok, 2), facts), Step::kDone);
  EXPECT_FALSE(reader.outcome().failed);
}

TEST(MysqlResponseReader, ResultSetWithCachedMetadata) {
  // MariaDB with MARIADB_CLIENT_CACHE_METADATA: no column definitions, straight to rows.
  ResponseReader reader(ResponseShape::kGeneric, 1);
  ResponseFacts facts;
  facts.deprecate_eof = true;
  const std::string count = "\x02\x00"s, row = "\x00\x00\x01\x02"s,
                    end = "\xfe\x00\x00\x02\x00\x00\x00"s;
  EXPECT_EQ(reader.OnServerMessage(Msg(count, 1), facts), Step::kMore);
  EXPECT_EQ(reader.OnServerMessage(Msg(row, 2), facts), Step::kMore);
  EXPECT_EQ(reader.OnServerMessage(Msg(row, 3), facts), Step::kMore);
  EXPECT_EQ(reader.OnServerMessage(Msg(end, 4), facts), Step::kDone);
  EXPECT_EQ(reader.outcome().rows, 2);
  EXPECT_EQ(reader.outcome().result_sets, 1u);
}

TEST(MysqlResponseReader, MissingEofWhenItIsDueIsMalformed) {
  ResponseReader reader(ResponseShape::kGeneric, 1);
  ResponseFacts facts;
  facts.deprecate_eof = false;
  const std::string count = "\x01",
                    def =
                        "\x03"
                        "def\x00\x00\x00\x01x\x01x\x0c"s +
                        std::string(12, '\0'),
                    row = "\x01x";
  EXPECT_EQ(reader.OnServerMessage(Msg(count, 1), facts), Step::kMore);
  EXPECT_EQ(reader.OnServerMessage(Msg(def, 2), facts), Step::kMore);
  EXPECT_EQ(reader.OnServerMessage(Msg(row, 3), facts), Step::kMalformed);
}

TEST(MysqlResponseReader, PrepareWithoutMetadataAndWithError) {
  ResponseFacts facts;
  ResponseReader skipped(ResponseShape::kPrepare, 1);
  const std::string ok = "\x00"s + Le(9, 4) + Le(3, 2) + Le(2, 2) + '\0' + Le(0, 2) + '\0';
  EXPECT_EQ(skipped.OnServerMessage(Msg(ok, 1), facts), Step::kDone);  // metadata_follows = 0
  EXPECT_EQ(skipped.outcome().statement_id, 9u);
  ResponseReader failed(ResponseShape::kPrepare, 1);
  const std::string err = "\xff\x28\x04#42000syntax"s;
  EXPECT_EQ(failed.OnServerMessage(Msg(err, 1), facts), Step::kDone);
  EXPECT_TRUE(failed.outcome().failed);
  EXPECT_EQ(failed.outcome().error_code, 1064);
  EXPECT_FALSE(failed.outcome().statement_id);
}

TEST(MysqlResponseReader, LocalInfileTakesClientPacketsUntilEmpty) {
  ResponseReader reader(ResponseShape::kGeneric, 1);
  ResponseFacts facts;
  const std::string request = "\xfb/tmp/f", data = "1,2\n", empty,
                    ok = "\x00\x01\x00\x02\x00\x00\x00"s;
  EXPECT_EQ(reader.OnServerMessage(Msg(request, 1), facts), Step::kMore);
  EXPECT_FALSE(reader.TakesClientMessage(Msg(data, 3)));
  EXPECT_TRUE(reader.TakesClientMessage(Msg(data, 2)));
  EXPECT_EQ(reader.OnClientMessage(Msg(data, 2)), Step::kMore);
  EXPECT_EQ(reader.OnServerMessage(Msg(ok, 3), facts),
            Step::kMalformed);  // still the client's turn
  ResponseReader again(ResponseShape::kGeneric, 1);
  again.OnServerMessage(Msg(request, 1), facts);
  again.OnClientMessage(Msg(data, 2));
  EXPECT_EQ(again.OnClientMessage(Msg(empty, 3)), Step::kMore);
  EXPECT_FALSE(again.TakesClientMessage(Msg(data, 4)));
  EXPECT_EQ(again.OnServerMessage(Msg(ok, 4), facts), Step::kDone);
}

// ---- Resynchronisation ----------------------------------------------------------------------

TEST(MysqlResync, GreetingStart) {
  const std::string greeting = Packet(0, GreetingPayload("8.0.36", kCaps));
  EXPECT_TRUE(PlausibleGreetingStart(greeting, greeting.size()));
  EXPECT_TRUE(PlausibleGreetingStart(greeting.substr(0, 4), 4));  // header read alone
  EXPECT_TRUE(PlausibleGreetingStart(greeting.substr(0, 20), greeting.size()));
  EXPECT_FALSE(
      PlausibleGreetingStart(Packet(1, GreetingPayload("8.0.36", kCaps)), greeting.size()));
  EXPECT_FALSE(PlausibleGreetingStart("GET / HTTP/1.1\r\n", 16));
}

TEST(MysqlResync, CommandStart) {
  const std::string query = Packet(0, "\x03SELECT 1");
  EXPECT_TRUE(PlausibleCommandStart(query, query.size()));
  EXPECT_TRUE(PlausibleCommandStart(query + query, 2 * query.size()));  // pipelined
  EXPECT_TRUE(PlausibleCommandStart(query.substr(0, 4), 4));
  const std::string ping = Packet(0, "\x0e");
  EXPECT_TRUE(PlausibleCommandStart(ping, ping.size()));
  const std::string long_ping = Packet(0, "\x0e\x00"s);
  EXPECT_FALSE(PlausibleCommandStart(long_ping, long_ping.size()));
  const std::string row = Packet(5,
                                 "\x03"
                                 "abc");
  EXPECT_FALSE(PlausibleCommandStart(row, row.size()));
  // A row that happens to carry sequence id 0 (after 256 packets) and starts like COM_QUERY,
  // but with a value that is no SQL text.
  const std::string wrapped_row = Packet(0, "\x03\x01\x02\x03"s);
  EXPECT_FALSE(PlausibleCommandStart(wrapped_row, wrapped_row.size()));
  // A short syscall cannot carry more of a fixed-size command than it moved.
  EXPECT_FALSE(PlausibleCommandStart(ping, 3));
}

TEST(MysqlResync, ResponseStartByShape) {
  const std::string ok = Packet(1, "\x00\x00\x00\x02\x00\x00\x00"s);
  EXPECT_TRUE(PlausibleResponseStart(ok, ok.size(), 1, ResponseShape::kGeneric));
  EXPECT_FALSE(PlausibleResponseStart(ok, ok.size(), 2, ResponseShape::kGeneric));
  EXPECT_FALSE(PlausibleResponseStart(ok, ok.size(), 1, ResponseShape::kPrepare));
  const std::string count = Packet(1, "\x02");
  EXPECT_TRUE(PlausibleResponseStart(count, 500, 1, ResponseShape::kGeneric));
  const std::string text = Packet(1, "hello there");
  EXPECT_FALSE(PlausibleResponseStart(text, text.size(), 1, ResponseShape::kGeneric));
  EXPECT_TRUE(PlausibleResponseStart(text, text.size(), 1, ResponseShape::kSinglePacket));
  // The first packet must lie within the syscall that starts it.
  EXPECT_FALSE(PlausibleResponseStart(ok, ok.size() - 1, 1, ResponseShape::kGeneric));
}

TEST(MysqlResync, CommandEndingThePieceAfterGarbage) {
  const std::string piece = "garbage!" + Packet(0, "\x0e");
  EXPECT_EQ(FindCommandEndingPiece(piece, piece.size(), 0), 8u);
  EXPECT_EQ(FindCommandEndingPiece(piece, piece.size() + 10, 0), std::string_view::npos);
  EXPECT_EQ(FindCommandEndingPiece("garbage only", 12, 0), std::string_view::npos);
}

// ---- Statement text -------------------------------------------------------------------------

TEST(MysqlDoubleQuotedStrings, MaskedOutsideOtherQuotesAndComments) {
  EXPECT_EQ(MaskDoubleQuotedStrings("SELECT * FROM t WHERE a = \"x\" AND b = 'y'"),
            "SELECT * FROM t WHERE a = ? AND b = 'y'");
  EXPECT_EQ(MaskDoubleQuotedStrings("SELECT 'say \"hi\"', `odd\"name`"),
            "SELECT 'say \"hi\"', `odd\"name`");
  EXPECT_EQ(MaskDoubleQuotedStrings("SELECT \"a\\\"b\"\"c\" FROM t"), "SELECT ? FROM t");
  EXPECT_EQ(MaskDoubleQuotedStrings("SELECT 1 -- \"comment\"\n, \"v\""),
            "SELECT 1 -- \"comment\"\n, ?");
  EXPECT_EQ(MaskDoubleQuotedStrings("SELECT \"unterminated secret"), "SELECT ?");
  EXPECT_EQ(MaskDoubleQuotedStrings("SELECT 'it\\'s' , \"q\""), "SELECT 'it\\'s' , ?");
}

TEST(MysqlQueryText, SanitizedUnlessRawAndNeverCredentials) {
  EXPECT_EQ(QueryText("SELECT * FROM t WHERE a = 'x'", false), "SELECT * FROM t WHERE a = ?");
  EXPECT_EQ(QueryText("SELECT * FROM t WHERE a = 'x'", true), "SELECT * FROM t WHERE a = 'x'");
  EXPECT_EQ(QueryText("SET PASSWORD FOR 'u' = 'p4ss'", true).find("p4ss"), std::string::npos);
  EXPECT_EQ(QueryText("ALTER USER u identified by 'p4ss'", true).find("p4ss"), std::string::npos);
}

TEST(MysqlStatementCache, BoundedForgetsOldestAndClosed) {
  StatementCache cache;
  for (uint32_t id = 1; id <= kMaxPreparedStatements + 10; ++id)
    cache.Remember(id, "SELECT " + std::to_string(id));
  EXPECT_EQ(cache.size(), kMaxPreparedStatements);
  EXPECT_EQ(cache.Find(1), nullptr);
  ASSERT_NE(cache.Find(kMaxPreparedStatements + 10), nullptr);
  cache.Forget(kMaxPreparedStatements + 10);
  EXPECT_EQ(cache.Find(kMaxPreparedStatements + 10), nullptr);
  cache.Remember(20, std::string(10000, 's'));
  EXPECT_EQ(cache.Find(20)->size(), kMaxStatementTextBytes);
  cache.Clear();
  EXPECT_EQ(cache.size(), 0u);
}

TEST(MysqlCall, DbCallFields) {
  Call call;
  call.command = command::kQuery;
  call.statement = "SELECT name FROM users WHERE id = 5";
  call.namespace_name = "shop";
  call.error_code = 1213;
  call.returned_rows = 0;
  call.start_ns = 10;
  call.end_ns = 20;
  call.tid = 3;
  call.index = 4;
  const DbCall db = ToDbCall(call, "mysql", {});
  EXPECT_EQ(db.system, "mysql");
  EXPECT_EQ(db.namespace_name, "shop");
  EXPECT_EQ(db.operation, "SELECT");
  EXPECT_EQ(db.collection, "users");
  EXPECT_EQ(db.query_summary, "SELECT users");
  EXPECT_EQ(db.query_text, "SELECT name FROM users WHERE id = ?");
  EXPECT_EQ(db.status_code, "1213");
  EXPECT_EQ(db.error_type, "1213");
  EXPECT_EQ(db.returned_rows, 0);
  EXPECT_EQ(db.start_ns, 10u);
  EXPECT_EQ(db.end_ns, 20u);
  EXPECT_EQ(db.tid, 3u);
  EXPECT_EQ(db.index, 4u);

  Call unknown;
  unknown.command = command::kStmtExecute;
  unknown.unknown_statement = true;
  EXPECT_EQ(ToDbCall(unknown, "mariadb", {}).operation, "EXECUTE");
  EXPECT_TRUE(ToDbCall(unknown, "mariadb", {}).query_text.empty());

  Call unreadable_error;
  unreadable_error.command = command::kPing;
  unreadable_error.failed = true;
  const DbCall ping = ToDbCall(unreadable_error, "mysql", {});
  EXPECT_EQ(ping.operation, "COM_PING");
  EXPECT_EQ(ping.error_type, "_OTHER");
  EXPECT_TRUE(ping.status_code.empty());
}

}  // namespace
}  // namespace otelbpf::mysql
