// The PostgreSQL ConnectionParser end to end, through kProtocol: byte conversations in, spans
// out with their exact attributes. Startup, simple and extended queries, pipelined batches,
// errors, COPY, encryption requests, roles, truncated captures, mid-stream starts, close/reset,
// and that no secret ever reaches an attribute.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http_capture.h"
#include "postgresql_wire_builders.h"
#include "protocols/common/protocol.h"

namespace otelbpf::postgresql {
extern const Protocol kProtocol;

namespace {

using namespace wire_builders;

ParserSetup ParserSetupFor(ConnectionRole role, bool midstream = false) {
  ParserSetup s;
  s.role = role;
  s.learned_midstream = midstream;
  return s;
}

ConnectionInfo Connection(ConnectionRole role) {
  ConnectionInfo c;
  c.pid = 42;
  c.fd = 7;
  c.role = role;
  c.protocol = OTELBPF_PROTO_POSTGRESQL;
  c.local = Endpoint{"10.0.0.2", 40000};
  c.peer = Endpoint{"10.0.0.5", 5432};
  c.resource = std::make_shared<Resource>();
  return c;
}

// One connection's conversation: pieces are stamped [now, now + 1] and now moves on by 100.
class Conversation {
 public:
  explicit Conversation(ParserSetup setup = ParserSetupFor(ConnectionRole::kClient))
      : parser_(kProtocol.make_parser(setup)), role_(setup.role) {}

  // `length` > captured size: the kernel copied only a prefix.
  uint64_t Send(const std::string& bytes, uint64_t length = 0, uint32_t tid = 11) {
    return Feed(Direction::kSend, bytes, length, tid);
  }
  uint64_t Recv(const std::string& bytes, uint64_t length = 0, uint32_t tid = 11) {
    return Feed(Direction::kRecv, bytes, length, tid);
  }

  std::vector<ExchangeSpan> Drain(bool raw = false,
                                  ConnectionRole role = ConnectionRole::kUnknown) {
    SpanBuildOptions options;
    options.raw_query_text = raw;
    std::vector<ExchangeSpan> out;
    parser_->Drain(Connection(role == ConnectionRole::kUnknown ? role_ : role), options, out);
    return out;
  }

  ConnectionParser& parser() { return *parser_; }
  uint64_t now() const { return now_; }
  // From now on pieces carry TCP sequence numbers, each direction's next byte at these.
  void NumberStreams(uint32_t sent, uint32_t received) {
    next_seq_[static_cast<size_t>(Direction::kSend)] = sent;
    next_seq_[static_cast<size_t>(Direction::kRecv)] = received;
  }

 private:
  uint64_t Feed(Direction direction, const std::string& bytes, uint64_t length, uint32_t tid) {
    Piece p;
    p.direction = direction;
    p.bytes = bytes;
    p.length = length ? length : bytes.size();
    p.start_ns = now_;
    p.end_ns = now_ + 1;
    p.tid = tid;
    std::optional<uint32_t>& seq = next_seq_[static_cast<size_t>(direction)];
    p.tcp_seq = seq;
    if (seq) *seq += static_cast<uint32_t>(p.length);
    parser_->OnData(p);
    const uint64_t start = now_;
    now_ += 100;
    return start;
  }

  std::unique_ptr<ConnectionParser> parser_;
  std::optional<uint32_t> next_seq_[2];  // by Direction
  ConnectionRole role_;
  uint64_t now_ = 1000;
};

std::optional<std::string> Str(const Span& span, std::string_view key) {
  const AttributeValue* v = FindAttribute(span.attributes, key);
  if (!v || !std::holds_alternative<std::string>(*v)) return std::nullopt;
  return std::get<std::string>(*v);
}

std::optional<int64_t> Int(const Span& span, std::string_view key) {
  const AttributeValue* v = FindAttribute(span.attributes, key);
  if (!v || !std::holds_alternative<int64_t>(*v)) return std::nullopt;
  return std::get<int64_t>(*v);
}

// No attribute value, nor the name, contains any of `secrets`.
void ExpectNoSecrets(const std::vector<ExchangeSpan>& spans,
                     const std::vector<std::string>& secrets) {
  for (const ExchangeSpan& x : spans) {
    for (const std::string& secret : secrets) {
      EXPECT_EQ(x.span.name.find(secret), std::string::npos) << secret;
      for (const Attribute& a : x.span.attributes) {
        if (const auto* s = std::get_if<std::string>(&a.value)) {
          EXPECT_EQ(s->find(secret), std::string::npos) << a.key << " leaks " << secret;
        }
      }
    }
  }
}

const std::string kStartup =
    Startup({{"user", "bob_the_user"}, {"database", "shop"}, {"application_name", "psql"}});

// Startup through ReadyForQuery with a cleartext password.
void Connect(Conversation& c) {
  c.Send(kStartup);
  c.Recv(AuthenticationCleartext());
  c.Send(Password("hunter2-password"));
  c.Recv(AuthenticationOk() + ParameterStatus("server_version", "16.2") + BackendKeyData(77, 99) +
         ReadyForQuery('I'));
}

TEST(PostgresProtocol, IsRegisteredAsADatabaseProtocol) {
  EXPECT_EQ(kProtocol.id, OTELBPF_PROTO_POSTGRESQL);
  EXPECT_EQ(kProtocol.name, "postgresql");
  EXPECT_EQ(kProtocol.family, SemanticFamily::kDb);
  ASSERT_NE(kProtocol.make_parser, nullptr);
}

TEST(PostgresParser, SimpleQueryAfterStartupHasExactAttributes) {
  Conversation c;
  Connect(c);
  c.NumberStreams(70000, 9000);
  const uint64_t sent =
      c.Send(Query("SELECT id, name FROM users WHERE email = 'a@b.c' AND id > 42"), 0, 1234);
  c.Recv(RowDescription({"id", "name"}) + DataRow({"43", "alice"}));
  c.Recv(DataRow({"44", "bob"}) + CommandComplete("SELECT 2"));
  const uint64_t ready = c.Recv(ReadyForQuery('I'));
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 1u);
  const Span& span = spans[0].span;
  EXPECT_EQ(span.name, "SELECT users");
  EXPECT_EQ(span.kind, SpanKind::kClient);
  EXPECT_EQ(span.status, StatusCode::kUnset);
  EXPECT_EQ(span.family, SemanticFamily::kDb);
  EXPECT_EQ(span.start_time_unix_nano, sent);
  EXPECT_EQ(span.end_time_unix_nano, ready + 1);
  EXPECT_EQ(spans[0].first_byte_ns, sent);
  EXPECT_EQ(spans[0].last_byte_ns, ready + 1);
  EXPECT_EQ(spans[0].origin.tid, 1234u);
  EXPECT_EQ(spans[0].origin.exchange_index, 0u);
  EXPECT_EQ(spans[0].origin.request_tcp_seq, std::optional<uint32_t>(70000));
  EXPECT_EQ(Str(span, "db.system.name"), "postgresql");
  EXPECT_EQ(Str(span, "db.namespace"), "shop");
  EXPECT_EQ(Str(span, "db.operation.name"), "SELECT");
  EXPECT_EQ(Str(span, "db.collection.name"), "users");
  EXPECT_EQ(Str(span, "db.query.text"), "SELECT id, name FROM users WHERE email = ? AND id > ?");
  EXPECT_EQ(Str(span, "db.query.summary"), "SELECT users");
  EXPECT_EQ(Int(span, "db.response.returned_rows"), 2);
  EXPECT_EQ(Str(span, "server.address"), "10.0.0.5");
  EXPECT_EQ(Int(span, "server.port"), 5432);
  EXPECT_EQ(Str(span, "network.peer.address"), "10.0.0.5");
  EXPECT_EQ(Int(span, "network.peer.port"), 5432);
  EXPECT_EQ(FindAttribute(span.attributes, "db.response.status_code"), nullptr);
  EXPECT_EQ(FindAttribute(span.attributes, "error.type"), nullptr);
  EXPECT_EQ(span.attributes.size(), 11u);
  ExpectNoSecrets(spans, {"hunter2", "bob_the_user", "psql", "a@b.c", "alice", "16.2"});
  EXPECT_EQ(c.parser().role(), ConnectionRole::kClient);
  const ParserCounters counters = c.parser().counters();
  EXPECT_EQ(counters.parse_errors, 0u);
  EXPECT_EQ(counters.unmatched_responses, 0u);
  EXPECT_EQ(counters.dropped_requests, 0u);
  EXPECT_EQ(counters.unknown_statements, 0u);
  EXPECT_TRUE(c.Drain().empty()) << "drained once";
}

struct Expected {
  std::string name;
  std::string operation;
  std::string text;
  std::optional<int64_t> rows;
};

void ExpectSpans(const std::vector<ExchangeSpan>& spans, const std::vector<Expected>& expected,
                 const std::string& context) {
  ASSERT_EQ(spans.size(), expected.size()) << context;
  for (size_t i = 0; i < spans.size(); ++i) {
    EXPECT_EQ(spans[i].span.name, expected[i].name) << context;
    EXPECT_EQ(Str(spans[i].span, "db.operation.name"), expected[i].operation) << context;
    EXPECT_EQ(Str(spans[i].span, "db.query.text"), expected[i].text) << context;
    EXPECT_EQ(Int(spans[i].span, "db.response.returned_rows"), expected[i].rows) << context;
    EXPECT_EQ(spans[i].origin.exchange_index, i) << context;
    EXPECT_LE(spans[i].span.start_time_unix_nano, spans[i].span.end_time_unix_nano) << context;
  }
}

TEST(PostgresParser, EveryMessageSplitAtEveryOffset) {
  const std::string requests =
      Query("SELECT * FROM t WHERE a = 'x'") + Parse("", "UPDATE t SET a = $1 WHERE id = $2", 2) +
      Bind("", "", {"secret-param", "7"}) + Describe('P', "") + Execute("") + Sync();
  const std::string responses = RowDescription({"a"}) + DataRow({"x"}) +
                                CommandComplete("SELECT 1") + ReadyForQuery('I') + ParseComplete() +
                                BindComplete() + NoData() + CommandComplete("UPDATE 1") +
                                ReadyForQuery('I');
  const std::vector<Expected> expected = {
      {"SELECT t", "SELECT", "SELECT * FROM t WHERE a = ?", 1},
      {"UPDATE t", "UPDATE", "UPDATE t SET a = $1 WHERE id = $2", std::nullopt}};
  for (size_t cut = 1; cut < requests.size(); ++cut) {
    Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
    c.Send(requests.substr(0, cut));
    c.Send(requests.substr(cut));
    c.Recv(responses);
    const std::vector<ExchangeSpan> spans = c.Drain();
    ExpectSpans(spans, expected, "request cut " + std::to_string(cut));
    ExpectNoSecrets(spans, {"secret-param", "'x'"});
    EXPECT_EQ(c.parser().counters().parse_errors, 0u) << "request cut " << cut;
  }
  for (size_t cut = 1; cut < responses.size(); ++cut) {
    Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
    c.Send(requests);
    c.Recv(responses.substr(0, cut));
    c.Recv(responses.substr(cut));
    ExpectSpans(c.Drain(), expected, "response cut " + std::to_string(cut));
    EXPECT_EQ(c.parser().counters().unmatched_responses, 0u);
  }
}

TEST(PostgresParser, StartupSplitAtEveryOffsetStillNamesTheDatabase) {
  const std::string startup = SslRequest();
  for (size_t cut = 1; cut < kStartup.size(); ++cut) {
    Conversation c;
    c.Send(kStartup.substr(0, cut));
    c.Send(kStartup.substr(cut));
    c.Recv(AuthenticationOk() + ReadyForQuery('I'));
    c.Send(Query("BEGIN"));
    c.Recv(CommandComplete("BEGIN") + ReadyForQuery('T'));
    const std::vector<ExchangeSpan> spans = c.Drain();
    ASSERT_EQ(spans.size(), 1u) << cut;
    EXPECT_EQ(Str(spans[0].span, "db.namespace"), "shop") << cut;
    EXPECT_EQ(spans[0].span.name, "BEGIN");
  }
}

TEST(PostgresParser, ExtendedQueryWithUnnamedStatement) {
  Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
  const uint64_t sent = c.Send(Parse("", "SELECT * FROM orders WHERE id = $1", 1) +
                                   Bind("", "", {"5"}) + Describe('P', "") + Execute("") + Sync(),
                               0, 99);
  c.Recv(ParseComplete() + BindComplete() + RowDescription({"id", "total"}));
  const uint64_t done = c.Recv(DataRow({"5", "12.50"}) + CommandComplete("SELECT 1"));
  c.Recv(ReadyForQuery('I'));
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 1u);
  const Span& span = spans[0].span;
  EXPECT_EQ(span.name, "SELECT orders");
  EXPECT_EQ(Str(span, "db.operation.name"), "SELECT");
  EXPECT_EQ(Str(span, "db.collection.name"), "orders");
  EXPECT_EQ(Str(span, "db.query.text"), "SELECT * FROM orders WHERE id = $1");
  EXPECT_EQ(Int(span, "db.response.returned_rows"), 1);
  EXPECT_EQ(FindAttribute(span.attributes, "db.namespace"), nullptr);  // startup not seen
  EXPECT_EQ(span.start_time_unix_nano, sent);
  EXPECT_EQ(span.end_time_unix_nano, done + 1);  // the Execute ends at its CommandComplete
  EXPECT_EQ(spans[0].origin.tid, 99u);
  ExpectNoSecrets(spans, {"12.50"});
}

TEST(PostgresParser, NamedStatementsAndPortalsAreRemembered) {
  Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
  // Prepared once...
  c.Send(Parse("upd", "UPDATE accounts SET balance = $1 WHERE id = $2", 2) + Describe('S', "upd") +
         Sync());
  c.Recv(ParseComplete() + ParameterDescription(2) + NoData() + ReadyForQuery('I'));
  EXPECT_TRUE(c.Drain().empty());
  // ...run twice through a named portal, in one batch.
  c.Send(Bind("p1", "upd", {"10", "1"}) + Execute("p1") + Bind("p2", "upd", {"20", "2"}) +
         Execute("p2") + Sync());
  c.Recv(BindComplete() + CommandComplete("UPDATE 1") + BindComplete() +
         CommandComplete("UPDATE 0") + ReadyForQuery('I'));
  std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 2u);
  for (const ExchangeSpan& x : spans) {
    EXPECT_EQ(x.span.name, "UPDATE accounts");
    EXPECT_EQ(Str(x.span, "db.query.text"), "UPDATE accounts SET balance = $1 WHERE id = $2");
    EXPECT_EQ(FindAttribute(x.span.attributes, "db.response.returned_rows"), nullptr);
  }
  EXPECT_EQ(spans[1].origin.exchange_index, 1u);
  // Closed: a later Execute of it knows no text and fails as the server says.
  c.Send(Close('S', "upd") + Sync());
  c.Recv(CloseComplete() + ReadyForQuery('I'));
  c.Send(Bind("", "upd", {"1", "1"}) + Execute("") + Sync());
  c.Recv(ErrorResponse("26000", "prepared statement \"upd\" does not exist") + ReadyForQuery('I'));
  spans = c.Drain();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].span.name, "EXECUTE");
  EXPECT_EQ(Str(spans[0].span, "db.operation.name"), "EXECUTE");
  EXPECT_EQ(FindAttribute(spans[0].span.attributes, "db.query.text"), nullptr);
  EXPECT_EQ(Str(spans[0].span, "error.type"), "26000");
  EXPECT_EQ(c.parser().counters().unknown_statements, 1u);
  EXPECT_EQ(c.parser().counters().unmatched_responses, 0u);
}

TEST(PostgresParser, PipelinedBatchGetsOneSpanPerExecuteInOrder) {
  Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
  const uint64_t sent =
      c.Send(Parse("", "INSERT INTO items (name) VALUES ($1)", 1) + Bind("", "", {"a"}) +
             Execute("") + Parse("", "SELECT count(*) FROM items", 0) + Bind("", "") + Execute("") +
             Parse("", "DELETE FROM items WHERE name = $1", 1) + Bind("", "", {"b"}) + Execute("") +
             Sync());
  const uint64_t first = c.Recv(ParseComplete() + BindComplete() + CommandComplete("INSERT 0 1"));
  const uint64_t second =
      c.Recv(ParseComplete() + BindComplete() + DataRow({"9"}) + CommandComplete("SELECT 1"));
  const uint64_t third = c.Recv(ParseComplete() + BindComplete() + CommandComplete("DELETE 3"));
  c.Recv(ReadyForQuery('I'));
  const std::vector<ExchangeSpan> spans = c.Drain();
  ExpectSpans(spans,
              {{"INSERT items", "INSERT", "INSERT INTO items (name) VALUES ($1)", std::nullopt},
               {"SELECT items", "SELECT", "SELECT count(*) FROM items", 1},
               {"DELETE items", "DELETE", "DELETE FROM items WHERE name = $1", std::nullopt}},
              "batch");
  EXPECT_EQ(spans[0].span.end_time_unix_nano, first + 1);
  EXPECT_EQ(spans[1].span.end_time_unix_nano, second + 1);
  EXPECT_EQ(spans[2].span.end_time_unix_nano, third + 1);
  for (const ExchangeSpan& x : spans) {
    EXPECT_EQ(x.span.start_time_unix_nano, sent);
    // One span per operation: none of them is a batch operation itself.
    EXPECT_EQ(FindAttribute(x.span.attributes, "db.operation.batch.size"), nullptr);
  }
}

TEST(PostgresParser, ErrorInABatchFailsItsExecuteAndDropsTheRestUntilSync) {
  Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
  c.Send(Parse("", "SELECT 1", 0) + Bind("", "") + Execute("") +
         Parse("", "SELEC oops FROM secret_table", 0) + Bind("", "") + Execute("") +
         Parse("", "SELECT 2", 0) + Bind("", "") + Execute("") + Sync());
  c.Recv(ParseComplete() + BindComplete() + DataRow({"1"}) + CommandComplete("SELECT 1"));
  const uint64_t failed =
      c.Recv(ErrorResponse("42601", "syntax error at or near \"SELEC\" password=abc"));
  c.Recv(ReadyForQuery('I'));
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].span.status, StatusCode::kUnset);
  const Span& bad = spans[1].span;
  EXPECT_EQ(bad.status, StatusCode::kError);
  EXPECT_EQ(Str(bad, "error.type"), "42601");
  EXPECT_EQ(Str(bad, "db.response.status_code"), "42601");
  EXPECT_EQ(Str(bad, "db.query.text"), "SELEC oops FROM secret_table");
  EXPECT_EQ(bad.end_time_unix_nano, failed + 1);
  ExpectNoSecrets(spans, {"syntax error", "password=abc"});
  // The third Execute never ran: dropped and counted, not reported as a failure of its own.
  EXPECT_EQ(c.parser().counters().dropped_requests, 1u);
  EXPECT_EQ(c.parser().counters().unmatched_responses, 0u);
  // The connection goes on normally after the Sync.
  c.Send(Query("SELECT 3"));
  c.Recv(RowDescription({"x"}) + DataRow({"3"}) + CommandComplete("SELECT 1") + ReadyForQuery('I'));
  ASSERT_EQ(c.Drain().size(), 1u);
}

TEST(PostgresParser, ErrorOnExecuteAndInASimpleQuery) {
  Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
  c.Send(Parse("", "INSERT INTO users (email) VALUES ($1)", 1) + Bind("", "", {"x@y.z"}) +
         Execute("") + Sync());
  const uint64_t error_at =
      c.Recv(ParseComplete() + BindComplete() +
             ErrorResponse("23505",
                           "duplicate key value violates unique constraint, Key (email)=(x@y.z)"));
  c.Recv(ReadyForQuery('I'));
  c.Send(Query("INSERT INTO users (email) VALUES ('x@y.z')"));
  c.Recv(ErrorResponse("23505", "duplicate key (email)=(x@y.z)"));
  const uint64_t ready = c.Recv(ReadyForQuery('I'));
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].span.end_time_unix_nano, error_at + 1);
  EXPECT_EQ(spans[1].span.end_time_unix_nano, ready + 1);  // ReadyForQuery ends a simple query
  for (const ExchangeSpan& x : spans) {
    EXPECT_EQ(x.span.status, StatusCode::kError);
    EXPECT_EQ(Str(x.span, "error.type"), "23505");
    EXPECT_EQ(Str(x.span, "db.operation.name"), "INSERT");
    EXPECT_EQ(Str(x.span, "db.collection.name"), "users");
  }
  ExpectNoSecrets(spans, {"x@y.z", "duplicate"});
}

TEST(PostgresParser, SqlStateClasses) {
  struct Case {
    std::string sqlstate;
    bool error;
  };
  for (const Case& k : {Case{"00000", false}, Case{"01003", false}, Case{"02000", true},
                        Case{"0A000", true}, Case{"08P01", true}, Case{"57014", true}}) {
    Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
    c.Send(Query("SELECT pg_sleep(10)"));
    c.Recv(ErrorResponse(k.sqlstate, "message") + ReadyForQuery('I'));
    const std::vector<ExchangeSpan> spans = c.Drain();
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_EQ(Str(spans[0].span, "db.response.status_code"), k.sqlstate);
    EXPECT_EQ(spans[0].span.status == StatusCode::kError, k.error) << k.sqlstate;
    EXPECT_EQ(Str(spans[0].span, "error.type"),
              k.error ? std::optional<std::string>(k.sqlstate) : std::nullopt);
  }
  // An ErrorResponse whose code was not captured still fails the operation.
  Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
  c.Send(Query("SELECT 1"));
  c.Recv(Typed('E', "SERROR" + std::string(1, '\0') + std::string(1, '\0')) + ReadyForQuery('I'));
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(Str(spans[0].span, "error.type"), "_OTHER");
  EXPECT_EQ(FindAttribute(spans[0].span.attributes, "db.response.status_code"), nullptr);
}

TEST(PostgresParser, WarningNoticeSetsTheStatusCodeOnly) {
  Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
  c.Send(Query("SELECT sum(x) FROM t"));
  c.Recv(RowDescription({"sum"}) +
         NoticeResponse("01003", "null value eliminated in set function") + DataRow({"3"}) +
         CommandComplete("SELECT 1") + ReadyForQuery('I'));
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(Str(spans[0].span, "db.response.status_code"), "01003");
  EXPECT_EQ(spans[0].span.status, StatusCode::kUnset);
  EXPECT_EQ(FindAttribute(spans[0].span.attributes, "error.type"), nullptr);
}

TEST(PostgresParser, MultiStatementQueryIsOneSpan) {
  Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
  c.Send(Query("BEGIN; UPDATE a SET x = 1; SELECT * FROM b; COMMIT"));
  c.Recv(CommandComplete("BEGIN") + CommandComplete("UPDATE 4") + RowDescription({"y"}) +
         DataRow({"1"}) + DataRow({"2"}) + CommandComplete("SELECT 2") + CommandComplete("COMMIT") +
         ReadyForQuery('I'));
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].span.name, "BEGIN UPDATE a SELECT b COMMIT");
  EXPECT_EQ(Str(spans[0].span, "db.query.summary"), "BEGIN UPDATE a SELECT b COMMIT");
  EXPECT_EQ(FindAttribute(spans[0].span.attributes, "db.operation.name"), nullptr);
  EXPECT_EQ(Int(spans[0].span, "db.response.returned_rows"), 2);
  EXPECT_EQ(Str(spans[0].span, "db.query.text"),
            "BEGIN; UPDATE a SET x = ?; SELECT * FROM b; COMMIT");
}

TEST(PostgresParser, StatementPreparedBeforeWeWatchedGetsItsOperationFromTheTag) {
  Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
  c.Send(Bind("", "stmt_7", {"1"}) + Execute("") + Sync());
  c.Recv(BindComplete() + DataRow({"1"}) + DataRow({"2"}) + DataRow({"3"}) +
         CommandComplete("SELECT 3") + ReadyForQuery('I'));
  c.Send(Bind("", "stmt_8") + Execute("") + Sync());
  c.Recv(BindComplete() + ErrorResponse("57014", "canceling statement due to user request") +
         ReadyForQuery('I'));
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].span.name, "SELECT");
  EXPECT_EQ(Str(spans[0].span, "db.operation.name"), "SELECT");
  EXPECT_EQ(Int(spans[0].span, "db.response.returned_rows"), 3);
  EXPECT_EQ(spans[1].span.name, "EXECUTE");
  for (const ExchangeSpan& x : spans) {
    EXPECT_EQ(FindAttribute(x.span.attributes, "db.query.text"), nullptr);
    EXPECT_EQ(FindAttribute(x.span.attributes, "db.query.summary"), nullptr);
    EXPECT_EQ(FindAttribute(x.span.attributes, "db.collection.name"), nullptr);
  }
  EXPECT_EQ(c.parser().counters().unknown_statements, 2u);
}

TEST(PostgresParser, PortalSuspendedCountsTheRowsItSent) {
  Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
  c.Send(Parse("", "SELECT * FROM events", 0) + Bind("cur", "") + Execute("cur", 2) + Flush());
  c.Recv(ParseComplete() + BindComplete() + DataRow({"1"}) + DataRow({"2"}) + PortalSuspended());
  c.Send(Execute("cur", 2) + Sync());
  c.Recv(DataRow({"3"}) + CommandComplete("SELECT 1") + ReadyForQuery('T'));
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(Int(spans[0].span, "db.response.returned_rows"), 2);
  EXPECT_EQ(Int(spans[1].span, "db.response.returned_rows"), 1);
  EXPECT_EQ(spans[1].span.name, "SELECT events");
}

TEST(PostgresParser, CopyDataStreamsThroughAndTheSpanEndsAtCommandComplete) {
  Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
  const uint64_t sent = c.Send(Query("COPY items (a, b) FROM STDIN"));
  c.Recv(CopyInResponse(2));
  const std::string row = "secret-copy-row\t1\n";
  c.Send(CopyData(row) + CopyData(std::string(200000, 'z')) + CopyDone());
  const uint64_t complete = c.Recv(CommandComplete("COPY 2"));
  const uint64_t ready = c.Recv(ReadyForQuery('I'));
  c.Send(Query("COPY (SELECT * FROM items) TO STDOUT"));
  c.Recv(CopyOutResponse(2) + Typed('d', row) + Typed('d', row) + Typed('c', "") +
         CommandComplete("COPY 2") + ReadyForQuery('I'));
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].span.name, "COPY items");
  EXPECT_EQ(Str(spans[0].span, "db.collection.name"), "items");
  EXPECT_EQ(spans[0].span.start_time_unix_nano, sent);
  EXPECT_EQ(spans[0].span.end_time_unix_nano, ready + 1);
  EXPECT_GT(ready, complete);
  EXPECT_EQ(FindAttribute(spans[0].span.attributes, "db.response.returned_rows"), nullptr);
  EXPECT_EQ(spans[1].span.name, "COPY");
  ExpectNoSecrets(spans, {"secret-copy-row"});
  const ParserCounters counters = c.parser().counters();
  EXPECT_EQ(counters.parse_errors, 0u);
  EXPECT_EQ(counters.unmatched_responses, 0u);
  EXPECT_EQ(counters.dropped_requests, 0u);
}

TEST(PostgresParser, SslRefusedGoesOnInPlaintext) {
  Conversation c;
  c.Send(SslRequest());
  c.Recv("N");
  c.Send(kStartup);
  c.Recv(AuthenticationOk() + ReadyForQuery('I'));
  c.Send(Query("SHOW server_version"));
  c.Recv(RowDescription({"server_version"}) + DataRow({"16.2"}) + CommandComplete("SHOW") +
         ReadyForQuery('I'));
  EXPECT_FALSE(c.parser().abandoned());
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].span.name, "SHOW");
  EXPECT_EQ(Str(spans[0].span, "db.namespace"), "shop");
}

TEST(PostgresParser, EncryptionAcceptedAbandonsTheConnection) {
  {
    Conversation c;
    c.Send(SslRequest());
    c.Recv("S");
    EXPECT_TRUE(c.parser().abandoned());
    c.Send("\x16\x03\x01\x00\x05hello");
    EXPECT_TRUE(c.Drain().empty());
  }
  {
    Conversation c(ParserSetupFor(ConnectionRole::kUnknown));
    c.Send(GssEncRequest());
    c.Recv("G");
    EXPECT_TRUE(c.parser().abandoned());
  }
  {
    Conversation c;
    c.Send(GssEncRequest());
    c.Recv("N");
    c.Send(SslRequest());
    c.Recv("S");
    EXPECT_TRUE(c.parser().abandoned());
  }
  {
    // Direct TLS (sslnegotiation=direct): a ClientHello first.
    Conversation c(ParserSetupFor(ConnectionRole::kUnknown));
    c.Send(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
    EXPECT_TRUE(c.parser().abandoned());
  }
}

TEST(PostgresParser, SaslAuthenticationIsNeverRead) {
  Conversation c;
  c.Send(kStartup);
  c.Recv(AuthenticationSasl());
  c.Send(SaslInitialResponse("SCRAM-SHA-256", "n,,n=user,r=client-nonce-SECRET"));
  c.Recv(AuthenticationSaslContinue("r=client-nonce-SECRETserver,s=c2FsdA==,i=4096"));
  c.Send(SaslResponse("c=biws,r=client-nonce-SECRETserver,p=PROOF-SECRET"));
  c.Recv(Typed('R', Int32(12) + "v=SERVER-SIGNATURE") + AuthenticationOk() + ReadyForQuery('I'));
  c.Send(Query("SELECT 1"));
  c.Recv(RowDescription({"?column?"}) + DataRow({"1"}) + CommandComplete("SELECT 1") +
         ReadyForQuery('I'));
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 1u);
  ExpectNoSecrets(spans, {"SECRET", "PROOF", "SIGNATURE", "bob_the_user", "c2FsdA"});
  EXPECT_EQ(c.parser().counters().unmatched_responses, 0u);
}

TEST(PostgresParser, RawQueryTextKeepsLiteralsButNeverCredentials) {
  Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
  c.Send(Query("SELECT * FROM t WHERE id = 42"));
  c.Recv(CommandComplete("SELECT 0") + ReadyForQuery('I'));
  c.Send(Query("ALTER ROLE app PASSWORD 'Tr0ub4dor&3'"));
  c.Recv(CommandComplete("ALTER ROLE") + ReadyForQuery('I'));
  c.Send(Query("SELECT dblink_connect('host=db user=x passwd=letmein')"));
  c.Recv(CommandComplete("SELECT 1") + ReadyForQuery('I'));
  const std::vector<ExchangeSpan> spans = c.Drain(/*raw=*/true);
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(Str(spans[0].span, "db.query.text"), "SELECT * FROM t WHERE id = 42");
  EXPECT_EQ(Str(spans[1].span, "db.query.text"), "ALTER ROLE app PASSWORD ?");
  EXPECT_EQ(Str(spans[2].span, "db.query.text"), "SELECT dblink_connect(?)");
  ExpectNoSecrets(spans, {"Tr0ub4dor", "letmein"});
}

TEST(PostgresParser, PendingOperationsAtClose) {
  {
    Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
    const uint64_t sent = c.Send(Query("SELECT pg_sleep(100)"));
    c.parser().OnClose(5000, /*reset=*/true);
    const std::vector<ExchangeSpan> spans = c.Drain();
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_EQ(Str(spans[0].span, "error.type"), "connection_reset");
    EXPECT_EQ(spans[0].span.status, StatusCode::kError);
    EXPECT_EQ(spans[0].span.start_time_unix_nano, sent);
    EXPECT_EQ(spans[0].span.end_time_unix_nano, 5000u);
  }
  {
    Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
    c.Send(Parse("", "SELECT 1", 0) + Bind("", "") + Execute("") + Sync());
    c.Send(Query("SELECT 2"));
    c.parser().OnClose(5000, /*reset=*/false);
    EXPECT_TRUE(c.Drain().empty());
    EXPECT_EQ(c.parser().counters().dropped_requests, 2u);
  }
  {
    // A FATAL error, then the server hangs up without ReadyForQuery: reported with its error.
    Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
    c.Send(Query("SELECT 1"));
    c.Recv(ErrorResponse("57P01", "terminating connection due to administrator command", "FATAL"));
    c.parser().OnClose(5000, /*reset=*/false);
    const std::vector<ExchangeSpan> spans = c.Drain();
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_EQ(Str(spans[0].span, "error.type"), "57P01");
  }
}

TEST(PostgresParser, RoleInferredFromTheBytes) {
  {
    // Watched from the start, role unknown: the StartupMessage's direction is the frontend.
    Conversation c(ParserSetupFor(ConnectionRole::kUnknown));
    Connect(c);
    EXPECT_EQ(c.parser().role(), ConnectionRole::kClient);
    c.Send(Query("SELECT 1"));
    c.Recv(CommandComplete("SELECT 1") + ReadyForQuery('I'));
    const std::vector<ExchangeSpan> spans = c.Drain();
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_EQ(spans[0].span.kind, SpanKind::kClient);
    EXPECT_EQ(Str(spans[0].span, "db.namespace"), "shop");
  }
  {
    // The server's side, joined mid-stream: it receives the queries.
    Conversation c(ParserSetupFor(ConnectionRole::kUnknown, true));
    EXPECT_EQ(c.parser().role(), ConnectionRole::kUnknown);
    const uint64_t received = c.Recv(Query("DELETE FROM sessions"), 0, 555);
    EXPECT_EQ(c.parser().role(), ConnectionRole::kServer);
    const uint64_t answered = c.Send(CommandComplete("DELETE 12") + ReadyForQuery('I'));
    const std::vector<ExchangeSpan> spans = c.Drain();
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_EQ(spans[0].span.kind, SpanKind::kServer);
    EXPECT_EQ(spans[0].span.start_time_unix_nano, received);
    EXPECT_EQ(spans[0].span.end_time_unix_nano, answered + 1);
    EXPECT_EQ(spans[0].origin.tid, 555u);
    EXPECT_EQ(Str(spans[0].span, "client.address"), "10.0.0.5");
    EXPECT_EQ(Str(spans[0].span, "server.address"), "10.0.0.2");
  }
  {
    // Only the backend's messages seen so far: a ReadyForQuery received means a client.
    Conversation c(ParserSetupFor(ConnectionRole::kUnknown, true));
    c.Recv(ReadyForQuery('I'));
    EXPECT_EQ(c.parser().role(), ConnectionRole::kClient);
  }
}

TEST(PostgresParser, TruncatedCaptureOfAQueryNeverLeaksTheLiteral) {
  // The kernel copied 1024 bytes of a 3000-byte Query.
  const std::string text =
      "SELECT * FROM users_archive WHERE note = '" + std::string(2900, 's') + "' AND x = 1";
  const std::string query = Query(text);
  Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
  c.Send(query.substr(0, 1024), query.size());
  c.Recv(CommandComplete("SELECT 0") + ReadyForQuery('I'));
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(Str(spans[0].span, "db.query.text"), "SELECT * FROM users_archive WHERE note = ?");
  EXPECT_EQ(Str(spans[0].span, "db.operation.name"), "SELECT");
  // A cut text names no collection: it might have gone on.
  EXPECT_EQ(FindAttribute(spans[0].span.attributes, "db.collection.name"), nullptr);
  ExpectNoSecrets(spans, {"sss"});
}

TEST(PostgresParser, CutTextNeverNamesAPartialTable) {
  const std::string query = Query("SELECT * FROM users_archive WHERE id = 1");
  Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
  c.Send(query.substr(0, 5 + 19), query.size());  // "SELECT * FROM users_"
  c.Recv(CommandComplete("SELECT 0") + ReadyForQuery('I'));
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].span.name, "SELECT");
  EXPECT_EQ(FindAttribute(spans[0].span.attributes, "db.collection.name"), nullptr);
}

TEST(PostgresParser, LongStatementTakesItsExecuteIntoTheCaptureGap) {
  // One write: Parse of a 3000-byte statement, Bind, Describe, Execute, Sync. The kernel copied
  // 1024 bytes: the Bind, Execute and Sync are in the gap.
  const std::string text = "SELECT " + std::string(2900, 'c') + " FROM wide_table WHERE id = $1";
  const std::string batch =
      Parse("", text, 1) + Bind("", "", {"7"}) + Describe('P', "") + Execute("") + Sync();
  Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
  const uint64_t sent = c.Send(batch.substr(0, 1024), batch.size(), 31);
  c.Recv(ParseComplete() + BindComplete() + RowDescription({"c"}) + DataRow({"1"}) +
         DataRow({"2"}));
  const uint64_t done = c.Recv(CommandComplete("SELECT 2"));
  c.Recv(ReadyForQuery('I'));
  // The connection goes on in step.
  c.Send(Query("SELECT 1"));
  c.Recv(CommandComplete("SELECT 1") + ReadyForQuery('I'));
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 2u);
  const Span& span = spans[0].span;
  EXPECT_EQ(Str(span, "db.operation.name"), "SELECT");
  EXPECT_EQ(span.name, "SELECT");  // cut before FROM: no table is named
  EXPECT_EQ(Int(span, "db.response.returned_rows"), 2);
  EXPECT_EQ(span.start_time_unix_nano, sent);
  EXPECT_EQ(span.end_time_unix_nano, done + 1);
  EXPECT_EQ(spans[0].origin.tid, 31u);
  ASSERT_TRUE(Str(span, "db.query.text"));
  EXPECT_EQ(Str(span, "db.query.text")->rfind("SELECT ccc", 0), 0u);
  EXPECT_EQ(spans[1].span.name, "SELECT");
  const ParserCounters counters = c.parser().counters();
  EXPECT_EQ(counters.unmatched_responses, 0u);
  EXPECT_EQ(counters.dropped_requests, 0u);
  EXPECT_EQ(counters.parse_errors, 0u);
}

TEST(PostgresParser, ErrorForAStatementWhoseExecuteWasInTheGap) {
  const std::string text = "SELEC " + std::string(2000, 'x');
  const std::string batch = Parse("", text, 0) + Bind("", "") + Execute("") + Sync();
  Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
  c.Send(batch.substr(0, 1024), batch.size());
  c.Recv(ErrorResponse("42601", "syntax error") + ReadyForQuery('I'));
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(Str(spans[0].span, "error.type"), "42601");
  EXPECT_EQ(c.parser().counters().unmatched_responses, 0u);
}

TEST(PostgresParser, GapHidingWholeBatchesGivesOperationsWithoutText) {
  // The first batch is visible; the write's tail (a second and third batch) is in the gap.
  const std::string first = Parse("", "SELECT * FROM a", 0) + Bind("", "") + Execute("") + Sync();
  const std::string hidden = Parse("", "DELETE FROM b", 0) + Bind("", "") + Execute("") + Sync();
  Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
  c.Send(first + hidden.substr(0, 3), first.size() + hidden.size());
  c.Recv(ParseComplete() + BindComplete() + CommandComplete("SELECT 0") + ReadyForQuery('I'));
  c.Recv(ParseComplete() + BindComplete() + CommandComplete("DELETE 4") + ReadyForQuery('I'));
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].span.name, "SELECT a");
  EXPECT_EQ(spans[1].span.name, "DELETE");  // from the server's tag, never a guessed text
  EXPECT_EQ(FindAttribute(spans[1].span.attributes, "db.query.text"), nullptr);
  EXPECT_EQ(c.parser().counters().unmatched_responses, 0u);
}

TEST(PostgresParser, GapsInCopyDataHideNoRequests) {
  Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
  c.Send(Query("COPY items FROM STDIN"));
  c.Recv(CopyInResponse(1));
  std::string rows;
  for (int i = 0; i < 500; ++i) rows += CopyData("row " + std::to_string(i) + "\n");
  c.Send(rows.substr(0, 1024), rows.size());  // one write of many messages, mostly uncaptured
  c.Send(CopyDone());
  c.Recv(CommandComplete("COPY 500") + ReadyForQuery('I'));
  c.Send(Query("SELECT count(*) FROM items"));
  c.Recv(RowDescription({"count"}) + DataRow({"500"}) + CommandComplete("SELECT 1") +
         ReadyForQuery('I'));
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].span.name, "COPY items");
  EXPECT_EQ(spans[1].span.name, "SELECT items");
  EXPECT_EQ(c.parser().counters().unmatched_responses, 0u);
}

TEST(PostgresParser, TruncatedResultsAndHugeResultSetsStillEnd) {
  Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
  c.Send(Query("SELECT * FROM big"));
  // 100 MB of rows in 64 KiB reads of which the kernel copied 1 KiB each.
  std::string rows;
  for (int i = 0; rows.size() < 64 * 1024; ++i)
    rows += DataRow({std::to_string(i), std::string(100, 'r')});
  c.Recv(RowDescription({"id", "v"}) + rows.substr(0, 1000), 64 * 1024);
  for (int i = 0; i < 1600; ++i) c.Recv(rows.substr(517, 1024), 64 * 1024);
  // The last read starts inside a row and ends with the query's end.
  c.Recv(rows.substr(rows.size() - 700) + CommandComplete("SELECT 1000000") + ReadyForQuery('I'));
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(Int(spans[0].span, "db.response.returned_rows"), 1000000);
  EXPECT_EQ(c.parser().counters().dropped_requests, 0u);
}

TEST(PostgresParser, MidStreamStartInTheMiddleOfAResponse) {
  Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
  // The first bytes seen: the tail of an earlier query's rows and its end.
  const std::string earlier = DataRow({"1", "old"}) + DataRow({"2", "old"}) +
                              CommandComplete("SELECT 2") + ReadyForQuery('I');
  c.Recv(earlier.substr(7));
  c.Send(Query("SELECT now()"));
  c.Recv(RowDescription({"now"}) + DataRow({"2024-01-01"}) + CommandComplete("SELECT 1") +
         ReadyForQuery('I'));
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].span.name, "SELECT");
  EXPECT_EQ(Int(spans[0].span, "db.response.returned_rows"), 1);
  EXPECT_EQ(spans[0].origin.exchange_index, 0u);
  const ParserCounters counters = c.parser().counters();
  EXPECT_EQ(counters.unmatched_responses, 2u);  // the old CommandComplete and ReadyForQuery
  EXPECT_EQ(counters.parse_errors, 1u);         // the partial row skipped
}

TEST(PostgresParser, GarbageBetweenMessagesIsSkippedAndCounted) {
  Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
  c.Send(Query("SELECT 1"));
  c.Recv(RowDescription({"x"}) + DataRow({"1"}) + std::string("\xde\xad\xbe\xef", 4) +
         CommandComplete("SELECT 1") + ReadyForQuery('I'));
  c.Send(Query("SELECT 2"));
  c.Recv(CommandComplete("SELECT 1") + ReadyForQuery('I'));
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(c.parser().counters().parse_errors, 1u);
}

TEST(PostgresParser, AnswerThatEndedBeforeItsRequestIsUnmatched) {
  Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
  Piece early;
  early.direction = Direction::kRecv;
  const std::string answer = CommandComplete("SELECT 1") + ReadyForQuery('I');
  early.bytes = answer;
  early.length = answer.size();
  early.start_ns = 10;
  early.end_ns = 20;
  c.Send(Query("SELECT 1"));  // at 1000
  c.parser().OnData(early);
  EXPECT_TRUE(c.Drain().empty());
  EXPECT_EQ(c.parser().counters().unmatched_responses, 2u);
}

TEST(PostgresParser, DescribeAndEmptyQueryAndNotificationsNeedNoSpan) {
  Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
  c.Send(Parse("s", "SELECT $1::int", 1) + Describe('S', "s") + Sync());
  c.Recv(ParseComplete() + ParameterDescription(1) + RowDescription({"int4"}) + ReadyForQuery('I'));
  c.Send(Query(""));
  c.Recv(NotificationResponse(1, "chan", "payload-secret") + EmptyQueryResponse() +
         ReadyForQuery('I'));
  const std::vector<ExchangeSpan> spans = c.Drain();
  ASSERT_EQ(spans.size(), 1u);  // the empty query
  EXPECT_EQ(spans[0].span.name, "postgresql");
  ExpectNoSecrets(spans, {"payload-secret"});
  const ParserCounters counters = c.parser().counters();
  EXPECT_EQ(counters.unmatched_responses, 0u);
  EXPECT_EQ(counters.parse_errors, 0u);
}

TEST(PostgresParser, PendingRequestsAreBounded) {
  Conversation c(ParserSetupFor(ConnectionRole::kClient, true));
  for (int i = 0; i < 1000; ++i) c.Send(Query("SELECT " + std::to_string(i)));
  c.parser().OnClose(1'000'000, false);
  EXPECT_TRUE(c.Drain().empty());
  EXPECT_EQ(c.parser().counters().dropped_requests, 1000u);
}

}  // namespace
}  // namespace otelbpf::postgresql
