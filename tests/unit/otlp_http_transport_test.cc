// HttpTransport against a minimal HTTP/1.1 server on 127.0.0.1 (ephemeral port), run by the
// test on a raw socket thread: what goes over the wire, and how responses are classified.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "export/otlp/http_transport.h"
#include "export/otlp/trace_encoder.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace otelbpf::otlp {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

struct HttpRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// Serves HTTP/1.1 with keep-alive, one connection at a time; answers every request with
// `response` (a complete raw HTTP response).
class TestHttpServer {
 public:
  explicit TestHttpServer(std::string response) : response_(std::move(response)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(listen(listen_fd_, 8), 0);
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }

  ~TestHttpServer() {
    stop_ = true;
    thread_.join();
    close(listen_fd_);
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<HttpRequest> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  int connections() const { return connections_; }

 private:
  // Waits until `fd` is readable or the server stops; false when stopping.
  bool WaitReadable(int fd) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 20) > 0) return true;
    }
    return false;
  }

  void Serve() {
    while (WaitReadable(listen_fd_)) {
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      ++connections_;
      std::string buffer;
      while (ReadRequest(fd, &buffer)) {
        send(fd, response_.data(), response_.size(), MSG_NOSIGNAL);
      }
      close(fd);
    }
  }

  // Reads one request into requests_; false when the client closed or the server stops.
  bool ReadRequest(int fd, std::string* buffer) {
    auto fill = [&] {
      char chunk[65536];
      if (!WaitReadable(fd)) return false;
      ssize_t n = recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return false;
      buffer->append(chunk, static_cast<size_t>(n));
      return true;
    };
    size_t header_end;
    while ((header_end = buffer->find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return false;
    }
    HttpRequest request;
    std::string head = buffer->substr(0, header_end);
    size_t line_end = head.find("\r\n");
    std::string request_line = head.substr(0, line_end);
    request.method = request_line.substr(0, request_line.find(' '));
    size_t path_start = request.method.size() + 1;
    request.path = request_line.substr(path_start, request_line.find(' ', path_start) - path_start);
    size_t pos = line_end + 2;
    while (line_end != std::string::npos && pos < head.size()) {
      line_end = head.find("\r\n", pos);
      std::string line =
          head.substr(pos, line_end == std::string::npos ? line_end : line_end - pos);
      size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t value_start = line.find_first_not_of(' ', colon + 1);
      request.headers[name] = value_start == std::string::npos ? "" : line.substr(value_start);
      pos = line_end + 2;
    }
    size_t content_length = std::stoul(request.headers["content-length"]);
    size_t body_start = header_end + 4;
    while (buffer->size() < body_start + content_length) {
      if (!fill()) return false;
    }
    request.body = buffer->substr(body_start, content_length);
    buffer->erase(0, body_start + content_length);
    std::lock_guard lock(mu_);
    requests_.push_back(std::move(request));
    return true;
  }

  std::string response_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::mutex mu_;
  std::vector<HttpRequest> requests_;
  std::thread thread_;
};

std::string Response(const std::string& status_line, const std::string& extra_headers = "",
                     const std::string& body = "") {
  return "HTTP/1.1 " + status_line + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         extra_headers + "\r\n" + body;
}

std::string Gunzip(const std::string& compressed) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  std::string out(compressed.size() * 20 + 1024, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  zs.avail_in = static_cast<uInt>(compressed.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

std::string SampleRequest() {
  auto resource = std::make_shared<Resource>(Resource{{{"service.name", std::string("web")}}});
  std::vector<Span> spans(3);
  std::vector<const Span*> ptrs;
  for (size_t i = 0; i < spans.size(); ++i) {
    spans[i].trace_id.fill(7);
    spans[i].span_id.fill(static_cast<uint8_t>(i + 1));
    spans[i].name = "GET /";
    spans[i].kind = SpanKind::kServer;
    spans[i].attributes = {{"url.path", std::string(200, 'a')}};  // compressible
    spans[i].resource = resource;
    ptrs.push_back(&spans[i]);
  }
  return EncodeTraceRequest(ptrs);
}

HttpTransportOptions Options(const std::string& url) {
  HttpTransportOptions o;
  o.url = url;
  o.timeout = 5s;
  return o;
}

TEST(OtlpHttpTransportTest, PostsProtobufWithCustomHeadersToTheUrl) {
  TestHttpServer server(Response("200 OK"));
  auto options = Options(server.url("/v1/traces"));
  options.headers = {{"x-api-key", "s3cret"}, {"X-Tenant", "a b"}};
  HttpTransport transport(options);
  std::string body = SampleRequest();

  ExportResult result = transport.Send(body);
  EXPECT_TRUE(result.ok) << result.message;
  EXPECT_EQ(result.message, "");

  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const HttpRequest& r = requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/v1/traces");
  EXPECT_EQ(r.headers.at("content-type"), "application/x-protobuf");
  EXPECT_EQ(r.headers.count("content-encoding"), 0u);
  EXPECT_EQ(r.headers.at("x-api-key"), "s3cret");
  EXPECT_EQ(r.headers.at("x-tenant"), "a b");
  EXPECT_THAT(r.headers.at("user-agent"), HasSubstr("otelbpf/"));
  EXPECT_EQ(r.body, body);
}

TEST(OtlpHttpTransportTest, GzipBodyInflatesToTheEncodedRequest) {
  TestHttpServer server(Response("200 OK"));
  auto options = Options(server.url("/v1/traces"));
  options.compression = OtlpCompression::kGzip;
  HttpTransport transport(options);
  std::string body = SampleRequest();

  ASSERT_TRUE(transport.Send(body).ok);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].headers.at("content-encoding"), "gzip");
  EXPECT_LT(requests[0].body.size(), body.size());
  EXPECT_EQ(Gunzip(requests[0].body), body);
}

TEST(OtlpHttpTransportTest, ReusesOneConnection) {
  TestHttpServer server(Response("200 OK"));
  HttpTransport transport(Options(server.url("/v1/traces")));
  std::string body = SampleRequest();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(transport.Send(body).ok);
  EXPECT_EQ(server.requests().size(), 3u);
  EXPECT_EQ(server.connections(), 1);
}

TEST(OtlpHttpTransportTest, ServiceUnavailableIsRetryableAndHonoursRetryAfter) {
  TestHttpServer server(Response("503 Service Unavailable", "Retry-After: 3\r\n"));
  HttpTransport transport(Options(server.url("/v1/traces")));
  ExportResult result = transport.Send(SampleRequest());
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.retryable);
  EXPECT_EQ(result.retry_after_ms, 3000u);
  EXPECT_THAT(result.message, HasSubstr("503"));
}

struct StatusCase {
  std::string status_line;
  bool retryable;
};

class OtlpHttpStatusTest : public ::testing::TestWithParam<StatusCase> {};

TEST_P(OtlpHttpStatusTest, ClassifiesPerOtlpSpec) {
  TestHttpServer server(Response(GetParam().status_line));
  HttpTransport transport(Options(server.url("/v1/traces")));
  ExportResult result = transport.Send(SampleRequest());
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.retryable, GetParam().retryable);
  EXPECT_EQ(result.retry_after_ms, 0u);
}

INSTANTIATE_TEST_SUITE_P(OtlpTable, OtlpHttpStatusTest,
                         ::testing::Values(StatusCase{"429 Too Many Requests", true},
                                           StatusCase{"502 Bad Gateway", true},
                                           StatusCase{"503 Service Unavailable", true},
                                           StatusCase{"504 Gateway Timeout", true},
                                           StatusCase{"400 Bad Request", false},
                                           StatusCase{"401 Unauthorized", false},
                                           StatusCase{"404 Not Found", false},
                                           StatusCase{"413 Payload Too Large", false},
                                           StatusCase{"500 Internal Server Error", false}));

TEST(OtlpHttpTransportTest, PartialSuccessIsReportedAsANote) {
  opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse response;
  response.mutable_partial_success()->set_rejected_spans(2);
  response.mutable_partial_success()->set_error_message("span too old");
  TestHttpServer server(
      Response("200 OK", "Content-Type: application/x-protobuf\r\n", response.SerializeAsString()));
  HttpTransport transport(Options(server.url("/v1/traces")));
  ExportResult result = transport.Send(SampleRequest());
  EXPECT_TRUE(result.ok);
  EXPECT_THAT(result.message, HasSubstr("rejected 2 spans: span too old"));
}

TEST(OtlpHttpTransportTest, ConnectionRefusedIsRetryable) {
  // Grab a free port, then close it so nothing listens there.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);

  HttpTransport transport(
      Options("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/v1/traces"));
  ExportResult result = transport.Send(SampleRequest());
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.retryable);
}

}  // namespace
}  // namespace otelbpf::otlp
