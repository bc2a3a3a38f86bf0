#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include <zlib.h>

#include "export/prometheus/prometheus_server.h"
#include "export/prometheus/prometheus_text.h"
#include "metrics/callback_metrics.h"
#include "metrics/http_metrics.h"

namespace otelbpf::prometheus {
namespace {

PrometheusConfig Loopback(uint16_t port = 0) {
  PrometheusConfig c;
  c.host = "127.0.0.1";
  c.port = port;
  return c;
}

int Connect(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  timeval tv{5, 0};  // a broken server fails the test instead of hanging it
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

// Sends `request` as is and reads the response until the server closes.
std::string Exchange(uint16_t port, const std::string& request) {
  const int fd = Connect(port);
  if (fd < 0) return "connect failed";
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string response;
  char buf[4096];
  for (ssize_t n; (n = recv(fd, buf, sizeof(buf), 0)) > 0;) response.append(buf, n);
  close(fd);
  return response;
}

std::string Body(const std::string& response) {
  const size_t at = response.find("\r\n\r\n");
  return at == std::string::npos ? "" : response.substr(at + 4);
}

std::shared_ptr<Resource> SelfResource() {
  auto self = std::make_shared<Resource>();
  self->attributes = {{"service.name", std::string("otelbpf")},
                      {"host.name", std::string("box")},
                      {"process.pid", int64_t{1}}};
  return self;
}

TEST(PrometheusServerTest, ServesMetricsOnAnEphemeralPort) {
  metrics::CallbackMetrics self(SelfResource(), 1);
  self.RegisterInt(
      {"otelbpf.spans.exported", "Spans exported.", "{span}", metrics::MetricKind::kCounter},
      [] { return int64_t{3}; });
  PrometheusServer server(Loopback(), {&self}, [] { return uint64_t{2}; });
  ASSERT_NE(server.port(), 0);
  EXPECT_EQ(server.address(), "127.0.0.1:" + std::to_string(server.port()));

  const std::string response =
      Exchange(server.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response;
  EXPECT_NE(response.find("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"),
            std::string::npos);
  const std::string body = Body(response);
  EXPECT_NE(response.find("\r\nContent-Length: " + std::to_string(body.size()) + "\r\n"),
            std::string::npos);
  EXPECT_NE(body.find("otelbpf_spans_exported_total{job=\"otelbpf\",instance=\"box:1\"} 3\n"),
            std::string::npos)
      << body;
  EXPECT_EQ(server.scrapes(), 1u);

  // Query strings are fine (some scrapers add them); HEAD has the headers only.
  EXPECT_EQ(Exchange(server.port(), "GET /metrics?x=1 HTTP/1.0\r\n\r\n").rfind("HTTP/1.1 200", 0),
            0u);
  const std::string head = Exchange(server.port(), "HEAD /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_EQ(Body(head), "");
}

std::string Gunzip(const std::string& in) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return "inflateInit2 failed";
  std::string out(1 << 20, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return rc == Z_STREAM_END ? out : "inflate failed";
}

TEST(PrometheusServerTest, CompressesWhenTheScraperAcceptsGzip) {
  metrics::CallbackMetrics self(SelfResource(), 1);
  self.RegisterInt(
      {"otelbpf.spans.dropped", "Spans dropped.", "{span}", metrics::MetricKind::kCounter},
      [] { return int64_t{4}; });
  PrometheusServer server(Loopback(), {&self});
  const std::string plain = Body(Exchange(server.port(), "GET /metrics HTTP/1.1\r\n\r\n"));
  const std::string response =
      Exchange(server.port(), "GET /metrics HTTP/1.1\r\nAccept-Encoding: gzip\r\nHost: x\r\n\r\n");
  EXPECT_NE(response.find("\r\nContent-Encoding: gzip\r\n"), std::string::npos) << response;
  EXPECT_EQ(Gunzip(Body(response)), plain);
  EXPECT_NE(plain.find("otelbpf_spans_dropped_total"), std::string::npos);
}

TEST(PrometheusServerTest, OtherRequestsGetErrors) {
  PrometheusServer server(Loopback(), {});
  const uint16_t port = server.port();
  EXPECT_EQ(Exchange(port, "GET / HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u);
  EXPECT_EQ(Exchange(port, "GET /metricsx HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404", 0), 0u);
  const std::string post = Exchange(port, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(post.rfind("HTTP/1.1 405", 0), 0u);
  EXPECT_NE(post.find("Allow: GET, HEAD\r\n"), std::string::npos);
  EXPECT_EQ(Exchange(port, "garbage\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
  EXPECT_EQ(Exchange(port, "GET /metrics HTTP/1.1\r\nX: " + std::string(10000, 'a'))
                .rfind("HTTP/1.1 431", 0),
            0u);
  EXPECT_EQ(server.scrapes(), 0u);
  // Still serving after all that.
  EXPECT_EQ(Exchange(port, "GET /metrics HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 200", 0), 0u);
}

TEST(PrometheusServerTest, PortInUseIsAClearError) {
  PrometheusServer first(Loopback(), {});
  try {
    PrometheusServer second(Loopback(first.port()), {});
    FAIL() << "a second server listened on the same port";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(first.address()), std::string::npos) << what;
    EXPECT_NE(what.find("in use"), std::string::npos) << what;
  }
  EXPECT_THROW(PrometheusServer(PrometheusConfig{"no such host.invalid", 0, true}, {}),
               std::runtime_error);
}

TEST(PrometheusServerTest, StopIsPromptEvenWithAStalledClient) {
  auto server =
      std::make_unique<PrometheusServer>(Loopback(), std::vector<metrics::MetricProducer*>{});
  const int idle = Connect(server->port());  // connects, never sends: the server waits on it
  ASSERT_GE(idle, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto start = std::chrono::steady_clock::now();
  server.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  close(idle);
}

// A representative exposition (RED metrics of a server and a client process, overflow series,
// self-metrics) checked by the real Prometheus linter. Skipped unless OTELBPF_PROMTOOL names the
// promtool binary; the CTest test `prometheus.promtool` sets it and so fails when promtool is
// missing instead of passing silently.
TEST(PrometheusPromtoolTest, ExpositionPassesPromtoolCheckMetrics) {
  const char* promtool = std::getenv("OTELBPF_PROMTOOL");
  if (promtool == nullptr || *promtool == '\0') GTEST_SKIP() << "OTELBPF_PROMTOOL is not set";

  metrics::HttpMetrics http(metrics::HttpMetricsOptions{.max_series_per_metric = 3});
  auto nginx = std::make_shared<Resource>();
  nginx->attributes = {{"service.name", std::string("nginx")},
                       {"process.pid", int64_t{10}},
                       {"host.name", std::string("box")},
                       {"process.command_line", std::string("nginx -g \"daemon off;\"\n")}};
  auto curl = std::make_shared<Resource>();
  curl->attributes = {{"service.name", std::string("curl")}, {"process.pid", int64_t{11}}};
  for (int i = 0; i < 5; ++i) {
    Span s;
    s.kind = SpanKind::kServer;
    s.resource = nginx;
    s.end_time_unix_nano = 1'000'000ull * (i + 1);
    s.attributes = {{"http.request.method", std::string("GET")},
                    {"url.scheme", std::string("http")},
                    {"network.protocol.version", std::string("1.1")},
                    {"http.response.status_code", int64_t{200 + i}},
                    {"http.response.body.size", int64_t{100 * i}}};
    http.Record(s);
    s.kind = SpanKind::kClient;
    s.resource = curl;
    s.attributes.push_back({"server.address", std::string("h\xFF\"\\") + std::to_string(i)});
    s.attributes.push_back({"server.port", int64_t{80}});
    s.attributes.push_back({"error.type", std::string("connection_reset")});
    http.Record(s);
  }
  metrics::CallbackMetrics self(SelfResource(), 1);
  self.RegisterInt({"otelbpf.capture.events", "Events.", "{event}", metrics::MetricKind::kCounter},
                   [] { return int64_t{5}; });
  self.RegisterInt({"otelbpf.connections.tracked", "Connections.", "{connection}",
                    metrics::MetricKind::kUpDownCounter},
                   [] { return int64_t{2}; });
  self.RegisterDouble({"otelbpf.ringbuffer.fill", "Fill.", "1", metrics::MetricKind::kGauge},
                      [] { return 0.5; });
  self.RegisterInt({"otelbpf.metrics.overflow", "Overflowed measurements.", "{measurement}",
                    metrics::MetricKind::kCounter},
                   [&] { return static_cast<int64_t>(http.overflow_measurements()); });

  PrometheusServer server(Loopback(), {&http, &self});
  const std::string body =
      Body(Exchange(server.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_NE(body.find("otel_metric_overflow=\"true\""), std::string::npos) << body;

  const std::string path = ::testing::TempDir() + "otelbpf_promtool_input.txt";
  std::ofstream(path) << body;
  const std::string command = std::string(promtool) + " check metrics < " + path + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[512];
  for (size_t n; (n = fread(buf, 1, sizeof(buf), pipe)) > 0;) output.append(buf, n);
  const int status = pclose(pipe);
  std::remove(path.c_str());
  EXPECT_EQ(status, 0) << command << "\n" << output << "\n--- input ---\n" << body;
}

}  // namespace
}  // namespace otelbpf::prometheus
