#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "export/console/console_printer.h"

namespace otelbpf {
namespace {

Span SampleSpan() {
  auto res = std::make_shared<Resource>();
  res->attributes = {{"service.name", std::string("nginx")}, {"process.pid", int64_t{42}}};
  Span s;
  s.trace_id[15] = 1;
  s.span_id[7] = 2;
  s.name = "GET";
  s.kind = SpanKind::kServer;
  s.start_time_unix_nano = 1700000000123000000ull;
  s.end_time_unix_nano = s.start_time_unix_nano + 1500000;
  s.attributes = {{"http.request.method", std::string("GET")},
                  {"url.path", std::string("/hello")},
                  {"url.query", std::string("x=1")},
                  {"http.response.status_code", int64_t{200}},
                  {"network.peer.address", std::string("127.0.0.1")},
                  {"network.peer.port", int64_t{5555}}};
  s.resource = res;
  return s;
}

TEST(ConsolePrinterTest, TextLineHasTheEssentials) {
  std::string line = FormatSpanText(SampleSpan());
  EXPECT_NE(line.find("2023-11-14T22:13:20.123Z"), std::string::npos) << line;
  for (const char* part :
       {"nginx", "SERVER", "GET", "/hello?x=1", "200", "1.500ms", "peer=127.0.0.1:5555"})
    EXPECT_NE(line.find(part), std::string::npos) << part << " missing in: " << line;
  EXPECT_EQ(line.find("ERROR"), std::string::npos);
}

TEST(ConsolePrinterTest, DnsSpansShowQuestionAndResponseCode) {
  Span s = SampleSpan();
  s.name = "DNS AAAA";
  s.kind = SpanKind::kClient;
  s.status = StatusCode::kError;
  s.attributes = {{"dns.question.name", std::string("db.example")},
                  {"dns.response_code", std::string("NXDOMAIN")},
                  {"error.type", std::string("NXDOMAIN")}};
  std::string line = FormatSpanText(s);
  for (const char* part : {"CLIENT", "DNS AAAA", "db.example", "NXDOMAIN", "ERROR"})
    EXPECT_NE(line.find(part), std::string::npos) << part << " missing in: " << line;
}

TEST(ConsolePrinterTest, JsonLineRoundTrips) {
  Span s = SampleSpan();
  s.status = StatusCode::kError;
  auto j = nlohmann::json::parse(FormatSpanJson(s));
  EXPECT_EQ(j["trace_id"], "00000000000000000000000000000001");
  EXPECT_EQ(j["span_id"], "0000000000000002");
  EXPECT_EQ(j["parent_span_id"], "");
  EXPECT_EQ(j["kind"], "SERVER");
  EXPECT_EQ(j["status"], "ERROR");
  EXPECT_EQ(j["attributes"]["http.response.status_code"], 200);
  EXPECT_EQ(j["resource"]["service.name"], "nginx");
  EXPECT_DOUBLE_EQ(j["duration_ms"].get<double>(), 1.5);
}

TEST(ConsolePrinterTest, InvalidUtf8NeverThrows) {
  Span s = SampleSpan();
  s.attributes.push_back({"url.path", std::string("/\xff\xfe")});
  EXPECT_NO_THROW(nlohmann::json::parse(FormatSpanJson(s)));
}

}  // namespace
}  // namespace otelbpf
