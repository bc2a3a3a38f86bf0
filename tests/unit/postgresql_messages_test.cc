// Body readers (messages.h), the statement/portal cache (statements.h) and the exported query
// text (query_text.h): well-formed bodies, cut bodies, malformed ones, bounds.
#include <gtest/gtest.h>

#include <string>

#include "postgresql_wire_builders.h"
#include "protocols/postgresql/messages.h"
#include "protocols/postgresql/query_text.h"
#include "protocols/postgresql/statements.h"
#include "protocols/postgresql/wire.h"

namespace otelbpf::postgresql {
namespace {

using namespace wire_builders;

std::string BodyOf(const std::string& message) { return message.substr(5); }

TEST(PostgresMessages, StartupDatabaseOnlyReadsTheDatabase) {
  const std::string body =
      Startup({{"user", "alice"}, {"database", "inventory"}, {"options", "-c x=y"}}).substr(4);
  EXPECT_EQ(UntypedCode(body), 196608u);
  EXPECT_EQ(StartupDatabase(body), "inventory");
  EXPECT_EQ(StartupDatabase(Startup({{"user", "alice"}}).substr(4)),
            "");                                       // defaults to the user: not said
  EXPECT_EQ(StartupDatabase(body.substr(0, 20)), "");  // cut before it
  EXPECT_EQ(UntypedCode(SslRequest().substr(4)), kSslRequestCode);
  EXPECT_EQ(UntypedCode("ab"), std::nullopt);
}

TEST(PostgresMessages, QueryText) {
  const std::string body = BodyOf(Query("SELECT 1"));
  ASSERT_TRUE(ReadQuery(body, true));
  EXPECT_EQ(ReadQuery(body, true)->text, "SELECT 1");
  EXPECT_TRUE(ReadQuery(body, true)->complete);
  // Cut: what was kept, marked incomplete.
  const std::string kept = body.substr(0, 4);
  const auto cut = ReadQuery(kept, false);
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->text, "SELE");
  EXPECT_FALSE(cut->complete);
  // Whole but without its terminator, or with one inside: not a Query.
  EXPECT_FALSE(ReadQuery("SELECT 1", true));
  EXPECT_FALSE(ReadQuery(std::string("SEL\0ECT\0", 8), true));
}

TEST(PostgresMessages, ParseBindExecuteDescribeClose) {
  const std::string parse_body = BodyOf(Parse("s1", "SELECT $1", 1));
  const auto parse = ReadParse(parse_body, true);
  ASSERT_TRUE(parse);
  EXPECT_EQ(parse->statement, "s1");
  EXPECT_EQ(parse->text.text, "SELECT $1");
  EXPECT_TRUE(parse->text.complete);
  EXPECT_FALSE(ReadParse(parse_body + "junk", true));
  const std::string kept = parse_body.substr(0, 7);
  const auto cut = ReadParse(kept, false);
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->text.text, "SELE");
  EXPECT_FALSE(cut->text.complete);

  const std::string bind_body = BodyOf(Bind("portal", "stmt", {"v"}));
  const auto bind = ReadBind(bind_body);
  ASSERT_TRUE(bind);
  EXPECT_EQ(bind->portal, "portal");
  EXPECT_EQ(bind->statement, "stmt");
  EXPECT_FALSE(ReadBind("portal"));

  const std::string execute_body = BodyOf(Execute("p", 10));
  EXPECT_EQ(ReadExecute(execute_body), "p");
  EXPECT_FALSE(ReadExecute(std::string("p\0", 2)));

  const std::string describe_body = BodyOf(Describe('S', "s1"));
  const auto describe = ReadTarget(describe_body);
  ASSERT_TRUE(describe);
  EXPECT_EQ(describe->kind, 'S');
  EXPECT_EQ(describe->name, "s1");
  EXPECT_FALSE(ReadTarget(std::string("X\0", 2)));
}

TEST(PostgresMessages, CommandTags) {
  auto tag = ReadCommandComplete(BodyOf(CommandComplete("SELECT 5")), true);
  ASSERT_TRUE(tag);
  EXPECT_EQ(tag->operation, "SELECT");
  EXPECT_EQ(tag->rows, 5);
  EXPECT_TRUE(tag->returns_rows);
  tag = ReadCommandComplete(BodyOf(CommandComplete("INSERT 0 3")), true);
  ASSERT_TRUE(tag);
  EXPECT_EQ(tag->operation, "INSERT");
  EXPECT_EQ(tag->rows, 3);
  EXPECT_FALSE(tag->returns_rows);
  tag = ReadCommandComplete(BodyOf(CommandComplete("UPDATE 2")), true);
  EXPECT_EQ(tag->rows, 2);
  tag = ReadCommandComplete(BodyOf(CommandComplete("FETCH 100")), true);
  EXPECT_TRUE(tag->returns_rows);
  tag = ReadCommandComplete(BodyOf(CommandComplete("CREATE TABLE")), true);
  ASSERT_TRUE(tag);
  EXPECT_EQ(tag->operation, "CREATE");
  EXPECT_FALSE(tag->rows);
  EXPECT_FALSE(ReadCommandComplete(BodyOf(CommandComplete("select 1")), true));
  EXPECT_FALSE(ReadCommandComplete(BodyOf(CommandComplete("SELECT 1")), false));
  EXPECT_FALSE(ReadCommandComplete("SELECT 1", true));
  EXPECT_FALSE(ReadCommandComplete(BodyOf(CommandComplete("")), true));
  EXPECT_FALSE(
      ReadCommandComplete(BodyOf(CommandComplete("SELECT 99999999999999999999")), true)->rows);
}

TEST(PostgresMessages, SqlStateIsTheOnlyFieldRead) {
  EXPECT_EQ(ReadSqlState(BodyOf(ErrorResponse("23505", "dup"))), "23505");
  EXPECT_EQ(ReadSqlState(BodyOf(NoticeResponse("01000", "w"))), "01000");
  // Cut before the code, a malformed code, no code.
  EXPECT_EQ(ReadSqlState(BodyOf(ErrorResponse("23505", "dup")).substr(0, 16)), std::nullopt);
  EXPECT_EQ(ReadSqlState("C2350\0\0"), std::nullopt);
  EXPECT_EQ(ReadSqlState(std::string("Cab;de\0\0", 8)), std::nullopt);
  EXPECT_EQ(ReadSqlState(std::string("SERROR\0\0", 8)), std::nullopt);
}

TEST(PostgresMessages, ReadyForQuery) {
  EXPECT_EQ(ReadReadyForQuery("I", true), 'I');
  EXPECT_EQ(ReadReadyForQuery("E", true), 'E');
  EXPECT_EQ(ReadReadyForQuery("X", true), std::nullopt);
  EXPECT_EQ(ReadReadyForQuery("II", true), std::nullopt);
}

TEST(PostgresWire, HeaderPlausibility) {
  EXPECT_TRUE(PlausibleTypedHeader(Side::kBackend, 'Z', 5));
  EXPECT_FALSE(PlausibleTypedHeader(Side::kBackend, 'Z', 6));
  EXPECT_FALSE(PlausibleTypedHeader(Side::kBackend, 'Q', 10));
  EXPECT_TRUE(PlausibleTypedHeader(Side::kFrontend, 'Q', 10));
  EXPECT_TRUE(PlausibleTypedHeader(Side::kUnknown, 'Q', 10));
  EXPECT_FALSE(PlausibleTypedHeader(Side::kFrontend, 'S', 5));  // Sync is exactly 4
  EXPECT_TRUE(PlausibleTypedHeader(Side::kBackend, 'S', 20));   // ParameterStatus
  EXPECT_FALSE(PlausibleTypedHeader(Side::kBackend, 'D', 0x40000000));
  EXPECT_TRUE(PlausibleUntypedStart(8, kSslRequestCode));
  EXPECT_FALSE(PlausibleUntypedStart(9, kSslRequestCode));
  EXPECT_TRUE(PlausibleUntypedStart(40, 196608));
  EXPECT_FALSE(PlausibleUntypedStart(40, 0x00020000));  // protocol 2 is gone
  EXPECT_EQ(KeptBodyBytes(Side::kFrontend, 'p'), 0u);
  EXPECT_EQ(KeptBodyBytes(Side::kBackend, 'D'), 0u);
}

TEST(PostgresStatements, PortalsRunTheStatementsTheyBound) {
  PreparedStatements prepared;
  prepared.Prepare("s1", MakeStatement("SELECT * FROM a", true));
  prepared.Prepare("", MakeStatement("SELECT * FROM b", true));
  prepared.Bind("p", "s1");
  prepared.Bind("", "");
  ASSERT_TRUE(prepared.Portal("p"));
  EXPECT_EQ(prepared.Portal("p")->text, "SELECT * FROM a");
  EXPECT_EQ(prepared.Portal("")->shape.collection, "b");
  // The portal keeps its statement even when the name is prepared again.
  prepared.Prepare("", MakeStatement("DELETE FROM c", true));
  EXPECT_EQ(prepared.Portal("")->text, "SELECT * FROM b");
  prepared.Bind("x", "never-prepared");
  EXPECT_EQ(prepared.Portal("x"), nullptr);
  EXPECT_EQ(prepared.Portal("unbound"), nullptr);
  prepared.ClosePortal("p");
  EXPECT_EQ(prepared.Portal("p"), nullptr);
  prepared.CloseStatement("s1");
  prepared.Bind("p", "s1");
  EXPECT_EQ(prepared.Portal("p"), nullptr);
}

TEST(PostgresStatements, CacheIsBoundedAndKeepsWhatIsUsed) {
  PreparedStatements prepared;
  prepared.Prepare("hot", MakeStatement("SELECT * FROM hot", true));
  for (int i = 0; i < 1000; ++i) {
    prepared.Prepare("s" + std::to_string(i),
                     MakeStatement("SELECT * FROM t" + std::to_string(i), true));
    prepared.Bind("", "hot");  // recently used: never the one evicted
    prepared.Bind("portal" + std::to_string(i), "hot");
  }
  EXPECT_LE(prepared.statements(), kMaxStatements);
  EXPECT_NE(prepared.Portal(""), nullptr);
  prepared.Bind("", "s0");
  EXPECT_EQ(prepared.Portal(""), nullptr);  // evicted long ago
  // Text is bounded too.
  for (int i = 0; i < 200; ++i) {
    prepared.Prepare("big" + std::to_string(i),
                     MakeStatement(std::string(kMaxQueryTextBytes, 'x'), true));
  }
  EXPECT_LE(prepared.text_bytes(), kMaxStatementTextBytes);
}

TEST(PostgresStatements, CutTextHasNoCollectionAndNoPartialWord) {
  const StatementPtr cut = MakeStatement("SELECT * FROM users_arc", false);
  EXPECT_EQ(cut->shape.operation, "SELECT");
  EXPECT_EQ(cut->shape.collection, "");
  EXPECT_EQ(cut->shape.summary, "SELECT");
  const StatementPtr whole = MakeStatement("SELECT * FROM users_archive", true);
  EXPECT_EQ(whole->shape.collection, "users_archive");
}

TEST(PostgresQueryText, SanitizedUnlessRawAndRawNeverCarriesCredentials) {
  EXPECT_EQ(ExportedQueryText("SELECT 'a' FROM t", false), "SELECT ? FROM t");
  EXPECT_EQ(ExportedQueryText("SELECT 'a' FROM t", true), "SELECT 'a' FROM t");
  EXPECT_EQ(ExportedQueryText("CREATE USER u WITH PASSWORD 'p4ss'", true),
            "CREATE USER u WITH PASSWORD ?");
  EXPECT_EQ(ExportedQueryText("ALTER USER u IDENTIFIED BY 'p4ss'", true),
            "ALTER USER u IDENTIFIED BY ?");
  EXPECT_EQ(ExportedQueryText("SELECT '\xff'", true), "SELECT ?");  // not UTF-8: sanitized
  const std::string long_raw = "SELECT '" + std::string(5000, 'a') + "'";
  const std::string out = ExportedQueryText(long_raw, true);
  EXPECT_LE(out.size(), kMaxExportedQueryTextBytes);
  EXPECT_EQ(out.substr(out.size() - 3), "...");
  // A cut never splits a character.
  const std::string accents = "SELECT '" + std::string(2100, 'a') + "'";
  std::string multibyte = "SELECT '";
  while (multibyte.size() < 2100) multibyte += "\xc3\xa9";
  multibyte += "'";
  EXPECT_TRUE(IsExportableText(ExportedQueryText(multibyte, true)));
}

}  // namespace
}  // namespace otelbpf::postgresql
