// sql::Sanitize and sql::Describe: every literal form of PostgreSQL and MySQL, comments, the
// dialect ambiguities (read the way that exports less), bounds, and statement shapes.
#include "protocols/common/sql_text.h"

#include <gtest/gtest.h>

#include <string>

namespace otelbpf::sql {
namespace {

using namespace std::string_literals;

TEST(SqlSanitize, KeepsStatementWithoutLiterals) {
  EXPECT_EQ(Sanitize("SELECT id, name FROM users WHERE id = $1"),
            "SELECT id, name FROM users WHERE id = $1");
  EXPECT_EQ(Sanitize("UPDATE t SET a = ? WHERE b = ?"), "UPDATE t SET a = ? WHERE b = ?");
  EXPECT_EQ(Sanitize("SELECT * FROM t WHERE a = :name"), "SELECT * FROM t WHERE a = :name");
}

TEST(SqlSanitize, CollapsesWhitespaceRunsAndTrims) {
  EXPECT_EQ(Sanitize("  SELECT\n\t a ,b\r\nFROM   t  "), "SELECT a ,b FROM t");
  EXPECT_EQ(Sanitize(""), "");
  EXPECT_EQ(Sanitize(" \n "), "");
}

TEST(SqlSanitize, ReplacesStringsWithDoubledQuotes) {
  EXPECT_EQ(Sanitize("SELECT * FROM users WHERE name = 'O''Brien' AND x = 'a'"),
            "SELECT * FROM users WHERE name = ? AND x = ?");
  EXPECT_EQ(Sanitize("INSERT INTO t VALUES ('', '''')"), "INSERT INTO t VALUES (?, ?)");
}

TEST(SqlSanitize, ReplacesEscapeStringsWithBackslashes) {
  EXPECT_EQ(Sanitize(R"(SELECT E'it\'s \\ secret' , e'x')"), "SELECT ? , ?");
  EXPECT_EQ(Sanitize(R"(SELECT E'a\\' , 'b')"), "SELECT ? , ?");
}

TEST(SqlSanitize, QuoteAfterOddBackslashesHidesTheRest) {
  // MySQL reads 'it\'s' as one string; PostgreSQL ends it at the backslash. Either way nothing
  // after it may leak: in one dialect "secret" is inside a literal.
  const std::string out = Sanitize(R"(SELECT * FROM t WHERE a = 'it\'s' AND pw = 'secret')");
  EXPECT_EQ(out, "SELECT * FROM t WHERE a = ?");
  EXPECT_EQ(out.find("secret"), std::string::npos);
  // PostgreSQL: 'C:\' ends the literal; MySQL: the literal continues to the next quote.
  EXPECT_EQ(Sanitize(R"(SELECT 'C:\' , 'b', c)"), "SELECT ?");
  // An even run ends the literal at the same quote in both dialects.
  EXPECT_EQ(Sanitize(R"(SELECT 'a\\', b)"), "SELECT ?, b");
}

TEST(SqlSanitize, ReplacesDollarQuotedBodies) {
  EXPECT_EQ(Sanitize("SELECT $$it's a secret$$, 1"), "SELECT ?, ?");
  EXPECT_EQ(Sanitize("DO $body$ BEGIN PERFORM 'x'; $inner$ no $inner$ END $body$"), "DO ?");
  EXPECT_EQ(Sanitize("SELECT $tag$ $other$ $tag$ FROM t"), "SELECT ? FROM t");
  // $1 is a parameter, a$b an identifier.
  EXPECT_EQ(Sanitize("SELECT a$b FROM t WHERE x = $12"), "SELECT a$b FROM t WHERE x = $12");
}

TEST(SqlSanitize, ReplacesNumbersKeepingTheSign) {
  EXPECT_EQ(Sanitize("SELECT 1, 1.5e3, .5, 2E-7, 10_000 FROM t1"), "SELECT ?, ?, ?, ?, ? FROM t1");
  EXPECT_EQ(Sanitize("SELECT * FROM t WHERE a = -5 AND b=-3.25"),
            "SELECT * FROM t WHERE a = -? AND b=-?");
  EXPECT_EQ(Sanitize("SELECT x::int, 5::text"), "SELECT x::int, ?::text");
  EXPECT_EQ(Sanitize("SELECT 0x1F, 0b101, 0o17"), "SELECT ?, ?, ?");
  EXPECT_EQ(Sanitize("SELECT col2 FROM t3"), "SELECT col2 FROM t3");
}

TEST(SqlSanitize, ReplacesHexBitNationalAndCharsetStrings) {
  EXPECT_EQ(
      Sanitize("SELECT x'DEADBEEF', X'00', b'0101', B'1', N'name', _utf8mb4'k', U&'d\\0061t'"),
      "SELECT ?, ?, ?, ?, ?, ?, ?");
}

TEST(SqlSanitize, ReplacesBooleansKeepsNull) {
  EXPECT_EQ(Sanitize("UPDATE t SET a = TRUE, b = false WHERE c IS NULL"),
            "UPDATE t SET a = ?, b = ? WHERE c IS NULL");
}

TEST(SqlSanitize, KeepsQuotedIdentifiers) {
  // "..." is a PostgreSQL identifier (and kept also where MySQL would read a string: documented).
  EXPECT_EQ(Sanitize(R"(SELECT "Full Name", "a""b" FROM "public"."Users")"),
            R"(SELECT "Full Name", "a""b" FROM "public"."Users")");
  EXPECT_EQ(Sanitize("SELECT `order` FROM `db`.`t` WHERE `x` = 'y'"),
            "SELECT `order` FROM `db`.`t` WHERE `x` = ?");
  EXPECT_EQ(Sanitize(R"(SELECT U&"d\0061t" FROM t)"), R"(SELECT U&"d\0061t" FROM t)");
}

TEST(SqlSanitize, DropsComments) {
  EXPECT_EQ(Sanitize("SELECT a -- the password is hunter2\nFROM t"), "SELECT a FROM t");
  EXPECT_EQ(Sanitize("SELECT /* secret */ a /* nested /* deeper */ still */ FROM t"),
            "SELECT a FROM t");
  EXPECT_EQ(Sanitize("SELECT a # mysql comment hunter2\nFROM t"), "SELECT a FROM t");
  EXPECT_EQ(Sanitize("SELECT a/*x*/FROM t"), "SELECT a FROM t");
  // PostgreSQL's jsonb operators are not comments.
  EXPECT_EQ(Sanitize("SELECT d #>> '{a,b}', d #- '{a}' FROM t"), "SELECT d #>> ?, d #- ? FROM t");
  EXPECT_EQ(Sanitize("SELECT 1 /* unterminated secret"), "SELECT ?");
  EXPECT_EQ(Sanitize("SELECT a FROM r#-- comment\n"), "SELECT a FROM r");
}

TEST(SqlSanitize, InListBecomesPlaceholders) {
  EXPECT_EQ(Sanitize("SELECT * FROM t WHERE id IN (1,2,3)"), "SELECT * FROM t WHERE id IN (?,?,?)");
  EXPECT_EQ(Sanitize("SELECT * FROM t WHERE s IN ('a', 'b')"), "SELECT * FROM t WHERE s IN (?, ?)");
}

TEST(SqlSanitize, UnterminatedLiteralsAreReplacedToTheEnd) {
  EXPECT_EQ(Sanitize("SELECT * FROM t WHERE pw = 'hunter2 AND x = 1"),
            "SELECT * FROM t WHERE pw = ?");
  EXPECT_EQ(Sanitize("SELECT E'abc\\' def"), "SELECT ?");
  EXPECT_EQ(Sanitize("SELECT $q$ body never closed"), "SELECT ?");
  EXPECT_EQ(Sanitize("SELECT \"unterminated name hunter2"), "SELECT ?");
  EXPECT_EQ(Sanitize("SELECT x'AB"), "SELECT ?");
}

TEST(SqlSanitize, BoundsOutputAtATokenBoundary) {
  const std::string text = "SELECT alpha, beta, gamma FROM t WHERE x = 'y'";
  EXPECT_EQ(Sanitize(text, 1000), "SELECT alpha, beta, gamma FROM t WHERE x = ?");
  const std::string cut = Sanitize(text, 20);
  EXPECT_EQ(cut, "SELECT alpha,...");  // "SELECT alpha, beta," + "..." would be 22 bytes
  EXPECT_EQ(Sanitize(text, 22), "SELECT alpha, beta,...");
  for (size_t max = 0; max < 60; ++max) {
    const std::string out = Sanitize(text, max);
    EXPECT_LE(out.size(), max) << max;
  }
  EXPECT_EQ(Sanitize("SELECT a", 8), "SELECT a");  // exactly fits: no "..."
  EXPECT_EQ(Sanitize("SELECT ab", 8), "...");
  EXPECT_EQ(Sanitize("SELECT ab", 2), "");
}

TEST(SqlSanitize, OutputIsValidUtf8) {
  EXPECT_EQ(Sanitize("SELECT caf\xc3\xa9 FROM t"), "SELECT caf\xc3\xa9 FROM t");
  const std::string replacement = "\xef\xbf\xbd";  // U+FFFD
  EXPECT_EQ(Sanitize("SELECT a\xff\xc3 FROM t\xe2\x82"),
            "SELECT a" + replacement + replacement + " FROM t" + replacement + replacement);
  // Idempotent: a replaced byte does not read back as a placeholder.
  EXPECT_EQ(Sanitize(Sanitize("\xff\xff"
                              "0 x")),
            Sanitize("\xff\xff"
                     "0 x"));
  EXPECT_EQ(Sanitize("SELECT '\xff\xfe'"), "SELECT ?");
}

TEST(SqlSanitize, NeverLeaksAnyLiteralCutAtAnyLength) {
  const std::string text =
      "INSERT INTO users (name, pw) VALUES ('alice', 'hunter2'), (E'bo\\'b', $$s3cr3t$$), (42, "
      "x'BEEF')";
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    const std::string out = Sanitize(text.substr(0, cut));
    for (const char* secret : {"alice", "hunter2", "bo", "s3cr3t", "42", "BEEF", "unter"}) {
      EXPECT_EQ(out.find(secret), std::string::npos) << "cut " << cut << ": " << out;
    }
  }
}

TEST(SqlDescribe, SelectFromOneTable) {
  const Shape shape = Describe("SELECT id, name FROM users WHERE id = $1");
  EXPECT_EQ(shape.operation, "SELECT");
  EXPECT_EQ(shape.collection, "users");
  EXPECT_EQ(shape.summary, "SELECT users");
}

TEST(SqlDescribe, LowerCaseKeywordsUpperCaseOperation) {
  const Shape shape = Describe("select * from Orders o where o.id = 1");
  EXPECT_EQ(shape.operation, "SELECT");
  EXPECT_EQ(shape.collection, "Orders");
  EXPECT_EQ(shape.summary, "SELECT Orders");
}

TEST(SqlDescribe, JoinsNameEveryTableButNoCollection) {
  Shape shape = Describe("SELECT * FROM a JOIN b ON a.id = b.a_id");
  EXPECT_EQ(shape.operation, "SELECT");
  EXPECT_EQ(shape.collection, "");
  EXPECT_EQ(shape.summary, "SELECT a b");
  shape = Describe("SELECT * FROM songs s, artists AS ar LEFT OUTER JOIN labels l USING (id)");
  EXPECT_EQ(shape.summary, "SELECT songs artists labels");
  EXPECT_EQ(shape.collection, "");
}

TEST(SqlDescribe, DataStatements) {
  Shape shape = Describe("INSERT INTO orders (id, total) VALUES (1, 2.5)");
  EXPECT_EQ(shape.operation, "INSERT");
  EXPECT_EQ(shape.collection, "orders");
  EXPECT_EQ(shape.summary, "INSERT orders");
  shape = Describe("UPDATE accounts SET balance = balance - 1 WHERE id = 7");
  EXPECT_EQ(shape.operation, "UPDATE");
  EXPECT_EQ(shape.collection, "accounts");
  EXPECT_EQ(shape.summary, "UPDATE accounts");
  shape = Describe("DELETE FROM sessions WHERE expires < now()");
  EXPECT_EQ(shape.operation, "DELETE");
  EXPECT_EQ(shape.collection, "sessions");
  EXPECT_EQ(shape.summary, "DELETE sessions");
  shape = Describe("INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET a = excluded.a");
  EXPECT_EQ(shape.summary, "INSERT t");
  EXPECT_EQ(shape.collection, "t");
  shape = Describe("SELECT * FROM jobs WHERE id = 1 FOR UPDATE SKIP LOCKED");
  EXPECT_EQ(shape.summary, "SELECT jobs");
  EXPECT_EQ(shape.collection, "jobs");
}

TEST(SqlDescribe, InsertSelectListsBothOperations) {
  const Shape shape = Describe(
      "INSERT INTO shipping_details (order_id, address) SELECT order_id, address FROM orders");
  EXPECT_EQ(shape.operation, "INSERT");
  EXPECT_EQ(shape.collection, "");
  EXPECT_EQ(shape.summary, "INSERT shipping_details SELECT orders");
}

TEST(SqlDescribe, SubqueriesAndFunctionsInFrom) {
  Shape shape = Describe("SELECT * FROM t WHERE id IN (SELECT t_id FROM u)");
  EXPECT_EQ(shape.operation, "SELECT");
  EXPECT_EQ(shape.summary, "SELECT t SELECT u");
  EXPECT_EQ(shape.collection, "");
  shape =
      Describe("SELECT order_date FROM (SELECT * FROM orders o JOIN customers c ON o.c = c.id) x");
  EXPECT_EQ(shape.summary, "SELECT SELECT orders customers");
  shape = Describe("SELECT extract(year FROM ts), substring(s FROM 2) FROM events");
  EXPECT_EQ(shape.summary, "SELECT events");
  EXPECT_EQ(shape.collection, "events");
  shape = Describe("SELECT * FROM generate_series(1, 10) g");
  EXPECT_EQ(shape.summary, "SELECT");
  EXPECT_EQ(shape.collection, "");
  shape = Describe("SELECT a IS DISTINCT FROM b FROM t");
  EXPECT_EQ(shape.summary, "SELECT t");
}

TEST(SqlDescribe, CallNamesTheProcedure) {
  const Shape shape = Describe("CALL billing.close_month(2024, 'x')");
  EXPECT_EQ(shape.operation, "CALL");
  EXPECT_EQ(shape.summary, "CALL billing.close_month");
  EXPECT_EQ(shape.collection, "");
}

TEST(SqlDescribe, TransactionAndSessionStatementsHaveOnlyAnOperation) {
  for (const char* text :
       {"BEGIN", "commit", "ROLLBACK", "SET search_path TO app", "SHOW server_version",
        "START TRANSACTION ISOLATION LEVEL SERIALIZABLE"}) {
    const Shape shape = Describe(text);
    EXPECT_FALSE(shape.operation.empty()) << text;
    EXPECT_EQ(shape.summary, shape.operation) << text;
    EXPECT_EQ(shape.collection, "") << text;
  }
  EXPECT_EQ(Describe("commit").operation, "COMMIT");
  EXPECT_EQ(Describe("SET search_path TO app").operation, "SET");
  EXPECT_EQ(Describe("START TRANSACTION").operation, "START");
}

TEST(SqlDescribe, WithTakesTheMainStatementsOperation) {
  Shape shape =
      Describe("WITH recent AS (SELECT * FROM orders WHERE d > now()) SELECT count(*) FROM recent");
  EXPECT_EQ(shape.operation, "SELECT");
  EXPECT_EQ(shape.summary, "SELECT orders SELECT recent");
  EXPECT_EQ(shape.collection, "");
  shape = Describe(
      "WITH RECURSIVE x(n) AS (VALUES (1) UNION ALL SELECT n + 1 FROM x) "
      "DELETE FROM t WHERE id IN (SELECT n FROM x)");
  EXPECT_EQ(shape.operation, "DELETE");
  shape = Describe("WITH x AS (SELECT 1)");
  EXPECT_EQ(shape.operation, "WITH");
}

TEST(SqlDescribe, SchemaQualifiedAndQuotedNames) {
  Shape shape = Describe("SELECT * FROM public.users");
  EXPECT_EQ(shape.collection, "public.users");
  EXPECT_EQ(shape.summary, "SELECT public.users");
  shape = Describe(R"(SELECT * FROM "public"."User ""Accounts""" WHERE x = 1)");
  EXPECT_EQ(shape.collection, R"(public.User "Accounts")");
  shape = Describe("UPDATE `shop`.`order` SET paid = 1");
  EXPECT_EQ(shape.collection, "shop.order");
  EXPECT_EQ(shape.summary, "UPDATE shop.order");
}

TEST(SqlDescribe, MySqlForms) {
  Shape shape = Describe("INSERT IGNORE INTO t VALUES (1)");
  EXPECT_EQ(shape.summary, "INSERT t");
  shape = Describe("REPLACE INTO kv (k, v) VALUES ('a', 'b')");
  EXPECT_EQ(shape.operation, "REPLACE");
  EXPECT_EQ(shape.collection, "kv");
  shape = Describe("INSERT INTO t (a) VALUES (1) ON DUPLICATE KEY UPDATE a = 2");
  EXPECT_EQ(shape.summary, "INSERT t");
  shape = Describe("SELECT replace(name, 'a', 'b') FROM people");
  EXPECT_EQ(shape.summary, "SELECT people");
  EXPECT_EQ(shape.collection, "people");
}

TEST(SqlDescribe, LiteralsNeverBecomeNames) {
  Shape shape = Describe("SELECT * FROM t WHERE a = 'x FROM secret_table'");
  EXPECT_EQ(shape.summary, "SELECT t");
  shape = Describe("SELECT 1 -- FROM commented\n");
  EXPECT_EQ(shape.summary, "SELECT");
  shape = Describe("SELECT * FROM $$quoted$$");
  EXPECT_EQ(shape.summary, "SELECT");
}

TEST(SqlDescribe, SeveralStatementsHaveNoOperation) {
  const Shape shape = Describe("BEGIN; UPDATE a SET x = 1; INSERT INTO b VALUES (2); COMMIT;");
  EXPECT_EQ(shape.operation, "");
  EXPECT_EQ(shape.collection, "");
  EXPECT_EQ(shape.summary, "BEGIN UPDATE a INSERT b COMMIT");
  EXPECT_EQ(Describe("SELECT 1;").operation, "SELECT");  // a trailing ';' is one statement
}

TEST(SqlDescribe, TruncateAndCopy) {
  Shape shape = Describe("TRUNCATE TABLE logs");
  EXPECT_EQ(shape.operation, "TRUNCATE");
  EXPECT_EQ(shape.collection, "logs");
  shape = Describe("COPY items (a, b) FROM STDIN WITH (FORMAT csv)");
  EXPECT_EQ(shape.operation, "COPY");
  EXPECT_EQ(shape.collection, "items");
  EXPECT_EQ(shape.summary, "COPY items");
}

TEST(SqlDescribe, UnsureMeansEmpty) {
  EXPECT_EQ(Describe("").operation, "");
  EXPECT_EQ(Describe("   -- only a comment").summary, "");
  EXPECT_EQ(Describe("'literal first'").operation, "");
  EXPECT_EQ(Describe("SELEC oops FROM t").operation, "");  // not a verb: no invented name
  EXPECT_EQ(Describe("SELEC oops FROM t").summary, "");
  EXPECT_EQ(Describe("VACUUM ANALYZE t").operation, "VACUUM");
  EXPECT_EQ(Describe("(SELECT a FROM t) UNION (SELECT b FROM u)").operation, "SELECT");
  EXPECT_EQ(Describe("(x) FROM sessions").operation, "");  // a name is never an operation
}

TEST(SqlDescribe, SummaryIsBoundedAtANameBoundary) {
  std::string text = "SELECT * FROM ";
  for (int i = 0; i < 100; ++i) text += (i ? ", table_" : "table_") + std::to_string(i);
  const Shape shape = Describe(text);
  EXPECT_LE(shape.summary.size(), 255u);
  EXPECT_EQ(shape.summary.rfind("SELECT table_0 table_1 ", 0), 0u);
  EXPECT_NE(shape.summary.back(), '_');
  EXPECT_EQ(shape.collection, "");
  // A name longer than any identifier, or with control characters, is not one to export.
  const Shape long_name = Describe("SELECT * FROM " + std::string(300, 'n'));
  EXPECT_EQ(long_name.summary, "SELECT");
  EXPECT_EQ(long_name.collection, "");
  const Shape control = Describe("SELECT * FROM \"a\nb\"");
  EXPECT_EQ(control.summary, "SELECT");
  EXPECT_EQ(control.collection, "");
}

TEST(SqlDescribe, SurvivesDeepNestingAndGarbage) {
  std::string deep = "SELECT * FROM t WHERE ";
  for (int i = 0; i < 5000; ++i) deep += "(";
  deep += "SELECT 1 FROM u";
  EXPECT_EQ(Describe(deep).operation, "SELECT");
  std::string garbage;
  for (int i = 0; i < 2000; ++i) garbage.push_back(static_cast<char>((i * 37) & 0xff));
  (void)Describe(garbage);
  (void)Sanitize(garbage);
}

}  // namespace
}  // namespace otelbpf::sql
