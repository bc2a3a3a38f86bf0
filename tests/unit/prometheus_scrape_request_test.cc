#include <gtest/gtest.h>

#include "export/prometheus/scrape_request.h"

namespace otelbpf::prometheus {
namespace {

TEST(PrometheusScrapeRequestTest, ParsesWhatPrometheusSends) {
  const auto r = ParseScrapeRequest(
      "GET /metrics?x=1 HTTP/1.1\r\nHost: 127.0.0.1:9464\r\nUser-Agent: Prometheus/2.42.0\r\n"
      "Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5\r\n"
      "Accept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->method, "GET");
  EXPECT_EQ(r->path, "/metrics");
  EXPECT_TRUE(r->accepts_gzip);
}

TEST(PrometheusScrapeRequestTest, BareLfAndNoHeaders) {
  const auto r = ParseScrapeRequest("HEAD / HTTP/1.0\n");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->method, "HEAD");
  EXPECT_EQ(r->path, "/");
  EXPECT_FALSE(r->accepts_gzip);
  EXPECT_TRUE(ParseScrapeRequest("GET /metrics HTTP/1.1").has_value());
}

TEST(PrometheusScrapeRequestTest, RejectsMalformedRequestLines) {
  for (const char* head : {"", "garbage", "GET /metrics", "GET  HTTP/1.1", "GET /metrics HTTP/2",
                           "GET /metrics HTTP/1.1 extra", "GET /metrics FTP/1.1"}) {
    EXPECT_FALSE(ParseScrapeRequest(head).has_value()) << head;
  }
}

TEST(PrometheusScrapeRequestTest, AcceptEncodingQuality) {
  EXPECT_TRUE(AcceptEncodingAllowsGzip("gzip"));
  EXPECT_TRUE(AcceptEncodingAllowsGzip("deflate, GZIP;q=0.5"));
  EXPECT_TRUE(AcceptEncodingAllowsGzip("*"));
  EXPECT_FALSE(AcceptEncodingAllowsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptEncodingAllowsGzip("gzip; q=0.000, *"));
  EXPECT_FALSE(AcceptEncodingAllowsGzip("*;q=0"));
  EXPECT_FALSE(AcceptEncodingAllowsGzip("identity"));
  EXPECT_FALSE(AcceptEncodingAllowsGzip(""));
  EXPECT_FALSE(AcceptEncodingAllowsGzip("gzipx"));
}

}  // namespace
}  // namespace otelbpf::prometheus
