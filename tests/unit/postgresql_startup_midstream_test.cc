// A connection announced "mid-stream" whose bytes in fact begin at the start of the conversation:
// a PostgreSQL backend is forked by the postmaster after accept(), so the kernel first sees the
// socket in the child (ParserSetup{kServer, learned_midstream = true}), yet the child's stream
// holds everything from the SSLRequest on. Pieces are cut exactly as the backend's recv()/send()
// syscalls deliver them with libpq (psycopg2, psql) as the client: each recv is one client write;
// the server's authentication-ok batch goes out in one send. The same conversations with
// learned_midstream = false, and from the client's side, are the reference. A truly mid-stream
// connection must still resync, and lookalikes of startup messages must not be believed.
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

ConnectionInfo ConnectionFor(ConnectionRole role) {
  ConnectionInfo c;
  c.pid = 4242;
  c.fd = 9;
  c.role = role;
  c.protocol = OTELBPF_PROTO_POSTGRESQL;
  c.local = Endpoint{"10.0.0.5", 5432};
  c.peer = Endpoint{"10.0.0.2", 40000};
  c.resource = std::make_shared<Resource>();
  return c;
}

// The frontend's and the backend's writes, in order; `Play` hands them to a parser as the
// process in `role` sees them (a server receives what the frontend writes).
struct Step {
  bool from_frontend;
  std::string bytes;
};

class Replay {
 public:
  Replay(ConnectionRole role, bool midstream) : role_(role) {
    ParserSetup setup;
    setup.role = role;
    setup.learned_midstream = midstream;
    parser_ = kProtocol.make_parser(setup);
  }

  void Play(const std::vector<Step>& steps) {
    for (const Step& step : steps) {
      const bool we_wrote = (role_ == ConnectionRole::kClient) == step.from_frontend;
      Piece p;
      p.direction = we_wrote ? Direction::kSend : Direction::kRecv;
      p.bytes = step.bytes;
      p.length = step.bytes.size();
      p.start_ns = now_;
      p.end_ns = now_ + 1;
      p.tid = 77;
      parser_->OnData(p);
      now_ += 100;
    }
  }

  std::vector<ExchangeSpan> Drain() {
    std::vector<ExchangeSpan> out;
    parser_->Drain(ConnectionFor(role_), SpanBuildOptions{}, out);
    return out;
  }

  ConnectionParser& parser() { return *parser_; }

 private:
  std::unique_ptr<ConnectionParser> parser_;
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

enum class Prelude { kNone, kSslRefused, kGssEncRefused, kGssEncThenSslRefused };

std::string PreludeName(Prelude prelude) {
  switch (prelude) {
    case Prelude::kNone:
      return "no-prelude";
    case Prelude::kSslRefused:
      return "SSLRequest/N";
    case Prelude::kGssEncRefused:
      return "GSSENCRequest/N";
    case Prelude::kGssEncThenSslRefused:
      return "GSSENCRequest/N+SSLRequest/N";
  }
  return "?";
}

// What PostgreSQL 15 sends after a successful SCRAM exchange, in one send().
std::string AuthOkBatch() {
  std::string out = Typed('R', Int32(12) + "v=Zm9vYmFyc2lnbmF0dXJlLVNFQ1JFVA==") +
                    AuthenticationOk();
  const std::vector<std::pair<std::string, std::string>> params = {
      {"application_name", ""},
      {"client_encoding", "UTF8"},
      {"DateStyle", "ISO, MDY"},
      {"default_transaction_read_only", "off"},
      {"in_hot_standby", "off"},
      {"integer_datetimes", "on"},
      {"IntervalStyle", "postgres"},
      {"is_superuser", "off"},
      {"server_encoding", "UTF8"},
      {"server_version", "15.6 (Debian 15.6-1.pgdg120+2)"},
      {"session_authorization", "app"},
      {"standard_conforming_strings", "on"},
      {"TimeZone", "Etc/UTC"},
  };
  for (const auto& [k, v] : params) out += ParameterStatus(k, v);
  out += BackendKeyData(31337, 0x5eed5eed) + ReadyForQuery('I');
  return out;
}

// A libpq (psycopg2) connection: prelude, StartupMessage, SCRAM-SHA-256, two simple queries (the
// second fails), Terminate.
std::vector<Step> Conversation(Prelude prelude, const std::string& database,
                               bool psql_params = false) {
  std::vector<Step> steps;
  if (prelude == Prelude::kGssEncRefused || prelude == Prelude::kGssEncThenSslRefused) {
    steps.push_back({true, GssEncRequest()});
    steps.push_back({false, "N"});
  }
  if (prelude == Prelude::kSslRefused || prelude == Prelude::kGssEncThenSslRefused) {
    steps.push_back({true, SslRequest()});
    steps.push_back({false, "N"});
  }
  std::vector<std::pair<std::string, std::string>> params = {{"user", "app"},
                                                             {"database", database}};
  if (psql_params) {
    params.push_back({"application_name", "psql"});
    params.push_back({"client_encoding", "UTF8"});
  }
  steps.push_back({true, Startup(params)});
  steps.push_back({false, AuthenticationSasl()});
  steps.push_back(
      {true, SaslInitialResponse("SCRAM-SHA-256", "n,,n=,r=Kq3YJ0pZ8SECRETnonceQ1w2e3r4")});
  steps.push_back({false, AuthenticationSaslContinue(
                              "r=Kq3YJ0pZ8SECRETnonceQ1w2e3r4srvNONCE,s=c2FsdHNhbHQ=,i=4096")});
  steps.push_back({true, SaslResponse("c=biws,r=Kq3YJ0pZ8SECRETnonceQ1w2e3r4srvNONCE,"
                                      "p=UFJPT0YtU0VDUkVULXByb29mLXNlY3JldA==")});
  steps.push_back({false, AuthOkBatch()});
  steps.push_back({true, Query("SELECT id, name FROM users WHERE id = 42")});
  steps.push_back({false, RowDescription({"id", "name"}) + DataRow({"42", "alice"}) +
                              CommandComplete("SELECT 1") + ReadyForQuery('I')});
  steps.push_back({true, Query("SELECT * FROM missing_table")});
  steps.push_back(
      {false, ErrorResponse("42P01", "relation \"missing_table\" does not exist") +
                  ReadyForQuery('I')});
  steps.push_back({true, Terminate()});
  return steps;
}

void ExpectTwoSpans(Replay& r, const std::string& database, SpanKind kind,
                    const std::string& context) {
  EXPECT_FALSE(r.parser().abandoned()) << context;
  const std::vector<ExchangeSpan> spans = r.Drain();
  ASSERT_EQ(spans.size(), 2u) << context;
  EXPECT_EQ(spans[0].span.name, "SELECT users") << context;
  EXPECT_EQ(spans[0].span.kind, kind) << context;
  EXPECT_EQ(Str(spans[0].span, "db.namespace"), database) << context;
  EXPECT_EQ(Str(spans[0].span, "db.query.text"), "SELECT id, name FROM users WHERE id = ?")
      << context;
  EXPECT_EQ(Int(spans[0].span, "db.response.returned_rows"), 1) << context;
  EXPECT_EQ(spans[0].origin.exchange_index, 0u) << context;
  EXPECT_EQ(spans[1].span.name, "SELECT missing_table") << context;
  EXPECT_EQ(spans[1].span.kind, kind) << context;
  EXPECT_EQ(spans[1].span.status, StatusCode::kError) << context;
  EXPECT_EQ(Str(spans[1].span, "db.response.status_code"), "42P01") << context;
  EXPECT_EQ(Str(spans[1].span, "db.namespace"), database) << context;
  EXPECT_EQ(spans[1].origin.exchange_index, 1u) << context;
  for (const ExchangeSpan& x : spans) {
    for (const Attribute& a : x.span.attributes) {
      if (const auto* s = std::get_if<std::string>(&a.value)) {
        EXPECT_EQ(s->find("SECRET"), std::string::npos) << context << " " << a.key;
        EXPECT_EQ(s->find("c2FsdHNhbHQ"), std::string::npos) << context << " " << a.key;
      }
    }
  }
  const ParserCounters counters = r.parser().counters();
  EXPECT_EQ(counters.parse_errors, 0u) << context;
  EXPECT_EQ(counters.unmatched_responses, 0u) << context;
  EXPECT_EQ(counters.dropped_requests, 0u) << context;
  EXPECT_EQ(r.parser().role(), kind == SpanKind::kServer ? ConnectionRole::kServer
                                                         : ConnectionRole::kClient)
      << context;
}

const Prelude kPreludes[] = {Prelude::kNone, Prelude::kSslRefused, Prelude::kGssEncRefused,
                             Prelude::kGssEncThenSslRefused};
// Database names whose last letter is a frontend message type ('p' Password, 'd' CopyData, 'S'
// Sync, ...) and others; psql's extra startup parameters end the message differently.
const char* const kDatabases[] = {"shop", "orders_prod", "postgres", "appdb", "DB_S", "x"};

TEST(PostgresStartupMidstream, ServerForkedAfterAcceptSeesTheWholeConversation) {
  for (Prelude prelude : kPreludes) {
    for (const char* database : kDatabases) {
      for (bool psql : {false, true}) {
        const std::string context = PreludeName(prelude) + " db=" + database +
                                    (psql ? " psql" : " psycopg2");
        Replay r(ConnectionRole::kServer, /*midstream=*/true);
        r.Play(Conversation(prelude, database, psql));
        ExpectTwoSpans(r, database, SpanKind::kServer, context);
      }
    }
  }
}

TEST(PostgresStartupMidstream, ReferenceServerWatchedFromItsStart) {
  for (Prelude prelude : kPreludes) {
    for (const char* database : kDatabases) {
      const std::string context = PreludeName(prelude) + " db=" + database;
      Replay r(ConnectionRole::kServer, /*midstream=*/false);
      r.Play(Conversation(prelude, database));
      ExpectTwoSpans(r, database, SpanKind::kServer, context);
    }
  }
}

TEST(PostgresStartupMidstream, ClientLearnedMidstreamSeesTheWholeConversation) {
  for (Prelude prelude : kPreludes) {
    for (const char* database : kDatabases) {
      const std::string context = PreludeName(prelude) + " db=" + database;
      Replay r(ConnectionRole::kClient, /*midstream=*/true);
      r.Play(Conversation(prelude, database));
      ExpectTwoSpans(r, database, SpanKind::kClient, context);
    }
  }
}

TEST(PostgresStartupMidstream, ReferenceClientWatchedFromItsStart) {
  for (Prelude prelude : kPreludes) {
    Replay r(ConnectionRole::kClient, /*midstream=*/false);
    r.Play(Conversation(prelude, "shop"));
    ExpectTwoSpans(r, "shop", SpanKind::kClient, PreludeName(prelude));
  }
}

TEST(PostgresStartupMidstream, UnknownRoleLearnedMidstreamSeesTheWholeConversation) {
  for (Prelude prelude : kPreludes) {
    Replay r(ConnectionRole::kUnknown, /*midstream=*/true);
    r.Play(Conversation(prelude, "shop"));
    const std::vector<ExchangeSpan> spans = r.Drain();
    // Unknown role: the Replay maps the frontend to kRecv, so the parser finds a server.
    ASSERT_EQ(spans.size(), 2u) << PreludeName(prelude);
    EXPECT_EQ(Str(spans[0].span, "db.namespace"), "shop") << PreludeName(prelude);
    EXPECT_EQ(r.parser().role(), ConnectionRole::kServer) << PreludeName(prelude);
  }
}

TEST(PostgresStartupMidstream, EncryptionAcceptedAfterAMidstreamStartAbandons) {
  for (ConnectionRole role : {ConnectionRole::kServer, ConnectionRole::kClient}) {
    Replay r(role, /*midstream=*/true);
    r.Play({{true, SslRequest()}, {false, "S"}, {true, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc"}});
    EXPECT_TRUE(r.parser().abandoned());
    EXPECT_TRUE(r.Drain().empty());
  }
}

TEST(PostgresStartupMidstream, CancelRequestConnectionGivesNothing) {
  Replay r(ConnectionRole::kServer, /*midstream=*/true);
  r.Play({{true, CancelRequest(31337, 0x5eed5eed)}});
  EXPECT_TRUE(r.Drain().empty());
  EXPECT_EQ(r.parser().counters().parse_errors, 0u);
  EXPECT_EQ(r.parser().role(), ConnectionRole::kServer);
}

// Really in the middle: the first bytes are typed messages; the parser resyncs as before.
TEST(PostgresStartupMidstream, TrulyMidstreamServerStillResyncs) {
  Replay r(ConnectionRole::kServer, /*midstream=*/true);
  const std::string earlier = DataRow({"1", "old"}) + CommandComplete("SELECT 1") +
                              ReadyForQuery('I');
  r.Play({{false, earlier.substr(5)},
          {true, Query("SELECT id, name FROM users WHERE id = 42")},
          {false, RowDescription({"id", "name"}) + DataRow({"42", "alice"}) +
                      CommandComplete("SELECT 1") + ReadyForQuery('I')}});
  const std::vector<ExchangeSpan> spans = r.Drain();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].span.name, "SELECT users");
  EXPECT_EQ(spans[0].span.kind, SpanKind::kServer);
  EXPECT_EQ(FindAttribute(spans[0].span.attributes, "db.namespace"), nullptr);
}

TEST(PostgresStartupMidstream, TrulyMidstreamFrontendFirstStillResyncs) {
  for (ConnectionRole role : {ConnectionRole::kServer, ConnectionRole::kClient}) {
    Replay r(role, /*midstream=*/true);
    r.Play({{true, Query("SELECT id, name FROM users WHERE id = 42")},
            {false, RowDescription({"id", "name"}) + DataRow({"42", "alice"}) +
                        CommandComplete("SELECT 1") + ReadyForQuery('I')}});
    const std::vector<ExchangeSpan> spans = r.Drain();
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_EQ(spans[0].span.name, "SELECT users");
    EXPECT_EQ(r.parser().counters().parse_errors, 0u);
  }
}

// Bytes that only resemble a startup message (the tail of a COPY, a cut piece, a message that
// does not fill the piece, malformed parameters) are never taken for the start: the parser stays
// lost and finds the next real message, inventing no namespace.
TEST(PostgresStartupMidstream, LookalikesOfAStartupMessageAreNotBelieved) {
  const std::string real = Startup({{"user", "app"}, {"database", "ghost"}});
  const std::vector<std::string> lookalikes = {
      // Followed by more bytes in the same write: not a client's lone startup write.
      real + std::string("\x01\x02\x03", 3),
      // The length says longer than the write.
      Int32(static_cast<uint32_t>(real.size() + 10)) + real.substr(4),
      // Parameters not NUL-terminated pairs.
      Untyped(Int32(196608) + "user" + std::string(1, '\0') + "app" + std::string(1, '\0') +
              "database" + std::string(1, '\0') + "ghost" + std::string(1, '\0') + "x" +
              std::string(1, '\0')),
      // An unknown protocol version.
      Untyped(Int32(0x00070000) + CStr("database") + CStr("ghost") + std::string(1, '\0')),
      // An SSLRequest with a wrong length.
      Int32(12) + Int32(80877103) + Int32(0),
  };
  for (size_t i = 0; i < lookalikes.size(); ++i) {
    Replay r(ConnectionRole::kServer, /*midstream=*/true);
    r.Play({{true, lookalikes[i]},
            {true, Query("SELECT id, name FROM users WHERE id = 42")},
            {false, RowDescription({"id", "name"}) + DataRow({"42", "alice"}) +
                        CommandComplete("SELECT 1") + ReadyForQuery('I')}});
    const std::vector<ExchangeSpan> spans = r.Drain();
    ASSERT_EQ(spans.size(), 1u) << i;
    EXPECT_EQ(spans[0].span.name, "SELECT users") << i;
    EXPECT_EQ(FindAttribute(spans[0].span.attributes, "db.namespace"), nullptr) << i;
  }
}

// The backend's stream already ran before the frontend's startup shows up: no start there.
TEST(PostgresStartupMidstream, BackendBytesBeforeTheStartupKeepItLost) {
  Replay r(ConnectionRole::kServer, /*midstream=*/true);
  r.Play({{false, "N"},  // an answer whose request we did not see
          {true, Query("SELECT 1")},
          {false, RowDescription({"?column?"}) + DataRow({"1"}) + CommandComplete("SELECT 1") +
                      ReadyForQuery('I')}});
  const std::vector<ExchangeSpan> spans = r.Drain();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].span.name, "SELECT");
}

}  // namespace
}  // namespace otelbpf::postgresql
