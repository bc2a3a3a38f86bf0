// OtlpMetricsExporter end to end: against an in-test HTTP/1.1 server, an in-process grpc::Server
// implementing the generated MetricsService, and a scripted transport for retries, delta
// temporality across cycles and shutdown behaviour.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "map_env.h"
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "export/otlp/http_transport.h"
#include "export/otlp/metrics_export_response.h"
#include "export/otlp/otlp_metrics_exporter.h"
#include "opentelemetry/proto/collector/metrics/v1/metrics_service.grpc.pb.h"

namespace otelbpf::otlp {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
namespace pb_collector = opentelemetry::proto::collector::metrics::v1;
namespace pb_metrics = opentelemetry::proto::metrics::v1;
using metrics::DataPoint;
using metrics::MetricData;
using metrics::MetricKind;
using metrics::MetricsSnapshot;

// Polls `done` for up to 10 s.
bool WaitFor(const std::function<bool()>& done) {
  for (auto until = std::chrono::steady_clock::now() + 10s;
       std::chrono::steady_clock::now() < until; std::this_thread::sleep_for(5ms)) {
    if (done()) return true;
  }
  return done();
}

uint64_t UnixNanoNow() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// Reports what `script(cycle)` returns, one cycle per Collect, with the given timestamp.
class ScriptedProducer final : public metrics::MetricProducer {
 public:
  using Script = std::function<std::vector<MetricData>(int cycle)>;
  explicit ScriptedProducer(Script script) : script_(std::move(script)) {}

  void Collect(uint64_t now_unix_nano, MetricsSnapshot* out) override {
    std::lock_guard lock(mu_);
    int cycle = static_cast<int>(times_.size());
    times_.push_back(now_unix_nano);
    auto data = script_(cycle);
    for (auto& m : data) {
      for (auto& p : m.points) p.time_unix_nano = now_unix_nano;
    }
    if (!data.empty()) out->push_back({resource_, std::move(data)});
  }

  std::vector<uint64_t> times() {
    std::lock_guard lock(mu_);
    return times_;
  }

 private:
  Script script_;
  ResourcePtr resource_ =
      std::make_shared<Resource>(Resource{{{"service.name", std::string("checkout")}}});
  std::mutex mu_;
  std::vector<uint64_t> times_;
};

constexpr uint64_t kSeriesStart = 1'700'000'000'000'000'000ULL;

std::vector<MetricData> Counter(int64_t value) {
  return {MetricData{
      "http.server.requests",
      "Requests",
      "{request}",
      MetricKind::kCounter,
      {DataPoint{{{"http.request.method", std::string("GET")}}, kSeriesStart, 0, value}}}};
}

ScriptedProducer ConstantCounter(int64_t value) {
  return ScriptedProducer([value](int) { return Counter(value); });
}

pb_collector::ExportMetricsServiceRequest Decode(const std::string& body) {
  pb_collector::ExportMetricsServiceRequest request;
  EXPECT_TRUE(request.ParseFromString(body));
  return request;
}

const pb_metrics::Metric& FirstMetric(const pb_collector::ExportMetricsServiceRequest& request) {
  return request.resource_metrics(0).scope_metrics(0).metrics(0);
}

// --- a scripted transport ---

struct TransportLog {
  std::mutex mu;
  std::vector<std::string> bodies;
  std::vector<ExportResult> script;  // result of call i; success beyond the end

  size_t calls() {
    std::lock_guard lock(mu);
    return bodies.size();
  }
};

class ScriptedTransport final : public OtlpTransport {
 public:
  explicit ScriptedTransport(std::shared_ptr<TransportLog> log) : log_(std::move(log)) {}
  ExportResult Send(std::string_view body) override {
    std::lock_guard lock(log_->mu);
    size_t i = log_->bodies.size();
    log_->bodies.emplace_back(body);
    return i < log_->script.size() ? log_->script[i] : ExportResult::Success();
  }

 private:
  std::shared_ptr<TransportLog> log_;
};

OtlpMetricsConfig Config(std::chrono::milliseconds interval = 1h) {
  OtlpMetricsConfig config;
  config.export_interval = interval;
  config.export_timeout = 5s;
  config.timeout = 5s;
  return config;
}

// --- a minimal HTTP/1.1 server (keep-alive, one connection at a time) ---

struct HttpRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

class MetricsHttpServer {
 public:
  explicit MetricsHttpServer(std::string response) : response_(std::move(response)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(listen(listen_fd_, 8), 0);
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~MetricsHttpServer() {
    stop_ = true;
    thread_.join();
    close(listen_fd_);
  }

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<HttpRequest> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
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
      std::string buffer;
      while (ReadRequest(fd, &buffer)) send(fd, response_.data(), response_.size(), MSG_NOSIGNAL);
      close(fd);
    }
  }

  bool Fill(int fd, std::string* buffer) {
    char chunk[65536];
    if (!WaitReadable(fd)) return false;
    ssize_t n = recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer->append(chunk, static_cast<size_t>(n));
    return true;
  }

  bool ReadRequest(int fd, std::string* buffer) {
    size_t head_end;
    while ((head_end = buffer->find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(fd, buffer)) return false;
    }
    HttpRequest r;
    std::string head = buffer->substr(0, head_end);
    size_t eol = head.find("\r\n");
    std::string first = head.substr(0, eol);
    size_t sp1 = first.find(' '), sp2 = first.find(' ', sp1 + 1);
    r.method = first.substr(0, sp1);
    r.path = first.substr(sp1 + 1, sp2 - sp1 - 1);
    for (size_t pos = eol; pos != std::string::npos && pos + 2 < head.size();) {
      size_t next = head.find("\r\n", pos + 2);
      std::string line = head.substr(pos + 2, next == std::string::npos ? next : next - pos - 2);
      size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t v = line.find_first_not_of(' ', colon + 1);
      r.headers[name] = v == std::string::npos ? "" : line.substr(v);
      pos = next;
    }
    size_t length = std::stoul(r.headers["content-length"]);
    size_t body_start = head_end + 4;
    while (buffer->size() < body_start + length) {
      if (!Fill(fd, buffer)) return false;
    }
    r.body = buffer->substr(body_start, length);
    buffer->erase(0, body_start + length);
    std::lock_guard lock(mu_);
    requests_.push_back(std::move(r));
    return true;
  }

  std::string response_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<HttpRequest> requests_;
  std::thread thread_;
};

std::string HttpResponse(const std::string& body = "") {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// --- HTTP ---

TEST(OtlpMetricsExporterTest, HttpPostsProtobufToV1MetricsFromTheGenericEndpoint) {
  MetricsHttpServer server(HttpResponse());
  std::map<std::string, std::string> env{{"OTEL_EXPORTER_OTLP_ENDPOINT", server.base_url()},
                                         {"OTEL_EXPORTER_OTLP_HEADERS", "x-tenant=blue"}};
  std::vector<std::string> warnings;
  auto config = OtlpMetricsConfigFromEnv(otelbpf::test_env::MapEnv(env), &warnings);
  ASSERT_TRUE(config.enabled());
  auto producer = ConstantCounter(42);
  uint64_t before = UnixNanoNow();
  OtlpMetricsExporter exporter(config, {&producer});
  exporter.Start();
  exporter.Shutdown();  // the final collection is exported at once
  uint64_t after = UnixNanoNow();

  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const HttpRequest& r = requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/v1/metrics");
  EXPECT_EQ(r.headers.at("content-type"), "application/x-protobuf");
  EXPECT_EQ(r.headers.at("x-tenant"), "blue");
  auto request = Decode(r.body);
  ASSERT_EQ(request.resource_metrics_size(), 1);
  EXPECT_EQ(request.resource_metrics(0).resource().attributes(0).value().string_value(),
            "checkout");
  const auto& m = FirstMetric(request);
  EXPECT_EQ(m.name(), "http.server.requests");
  EXPECT_EQ(m.sum().aggregation_temporality(), pb_metrics::AGGREGATION_TEMPORALITY_CUMULATIVE);
  EXPECT_EQ(m.sum().data_points(0).as_int(), 42);
  uint64_t t = m.sum().data_points(0).time_unix_nano();
  EXPECT_GE(t, before);  // collected with the wall-clock time of the collection
  EXPECT_LE(t, after);

  auto stats = exporter.stats();
  EXPECT_EQ(stats.collections, 1u);
  EXPECT_EQ(stats.exports, 1u);
  EXPECT_EQ(stats.export_requests, 1u);
  EXPECT_EQ(stats.points_exported, 1u);
  EXPECT_EQ(stats.export_failures, 0u);
}

TEST(OtlpMetricsExporterTest, HttpExportsPeriodically) {
  MetricsHttpServer server(HttpResponse());
  auto config = Config(20ms);
  config.endpoint = server.base_url() + "/v1/metrics";
  config.endpoint_configured = true;
  auto producer = ConstantCounter(1);
  OtlpMetricsExporter exporter(config, {&producer});
  exporter.Start();
  EXPECT_TRUE(WaitFor([&] { return server.requests().size() >= 3; }));
  exporter.Shutdown();
  auto stats = exporter.stats();
  EXPECT_EQ(stats.exports, server.requests().size());
  EXPECT_EQ(stats.collections, stats.exports);
  for (const auto& r : server.requests())
    EXPECT_EQ(FirstMetric(Decode(r.body)).sum().data_points(0).as_int(), 1);
}

TEST(OtlpMetricsExporterTest, HttpPartialSuccessIsReadAsAMetricsResponse) {
  pb_collector::ExportMetricsServiceResponse response;
  response.mutable_partial_success()->set_rejected_data_points(2);
  response.mutable_partial_success()->set_error_message("too old");
  MetricsHttpServer server(HttpResponse(response.SerializeAsString()));
  HttpTransportOptions options;
  options.url = server.base_url() + "/v1/metrics";
  options.timeout = 5s;
  options.describe_response = &DescribeMetricsPartialSuccess;
  HttpTransport transport(options);
  ExportResult result = transport.Send("");
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.message, "collector rejected 2 data points: too old");
}

TEST(OtlpMetricsExporterTest, DescribeMetricsPartialSuccess) {
  EXPECT_EQ(DescribeMetricsPartialSuccess(""), "");
  EXPECT_EQ(DescribeMetricsPartialSuccess("\xff\xff garbage"), "");
  pb_collector::ExportMetricsServiceResponse response;
  response.mutable_partial_success();
  EXPECT_EQ(DescribeMetricsPartialSuccess(response.SerializeAsString()), "");
  response.mutable_partial_success()->set_rejected_data_points(5);
  EXPECT_EQ(DescribeMetricsPartialSuccess(response.SerializeAsString()),
            "collector rejected 5 data points");
}

// --- gRPC ---

class RecordingMetricsService final : public pb_collector::MetricsService::Service {
 public:
  grpc::Status Export(grpc::ServerContext* context,
                      const pb_collector::ExportMetricsServiceRequest* request,
                      pb_collector::ExportMetricsServiceResponse* response) override {
    std::lock_guard lock(mu);
    requests.push_back(*request);
    for (const auto& [key, value] : context->client_metadata()) {
      metadata.emplace(std::string(key.data(), key.size()),
                       std::string(value.data(), value.size()));
    }
    if (rejected > 0) response->mutable_partial_success()->set_rejected_data_points(rejected);
    return grpc::Status::OK;
  }

  std::mutex mu;
  std::vector<pb_collector::ExportMetricsServiceRequest> requests;
  std::multimap<std::string, std::string> metadata;
  int64_t rejected = 0;
};

TEST(OtlpMetricsExporterTest, GrpcExportsToMetricsServiceExport) {
  RecordingMetricsService service;
  service.rejected = 1;  // a partial success still counts as an export
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);

  auto config = Config();
  config.protocol = OtlpProtocol::kGrpc;
  config.endpoint = "127.0.0.1:" + std::to_string(port);
  config.insecure = true;
  config.endpoint_configured = true;
  config.headers = {{"X-Api-Key", "s3cret"}};
  config.compression = OtlpCompression::kGzip;
  config.temporality = TemporalityPreference::kDelta;
  auto producer = ConstantCounter(9);
  OtlpMetricsExporter exporter(config, {&producer});
  exporter.Start();
  exporter.Shutdown();

  std::lock_guard lock(service.mu);
  ASSERT_EQ(service.requests.size(), 1u);
  const auto& m = FirstMetric(service.requests[0]);
  EXPECT_EQ(m.name(), "http.server.requests");
  EXPECT_EQ(m.sum().aggregation_temporality(), pb_metrics::AGGREGATION_TEMPORALITY_DELTA);
  EXPECT_EQ(m.sum().data_points(0).as_int(), 9);
  EXPECT_EQ(service.metadata.find("x-api-key")->second, "s3cret");
  EXPECT_EQ(exporter.stats().exports, 1u);
  server->Shutdown(std::chrono::system_clock::now() + 1s);
}

// --- scripted transport ---

TEST(OtlpMetricsExporterTest, DeltaAcrossCyclesResumesFromTheLastExportedPoint) {
  auto log = std::make_shared<TransportLog>();
  log->script = {ExportResult::Success(), ExportResult::Failure(false, "HTTP 400")};
  ScriptedProducer producer([](int cycle) {
    const int64_t values[] = {5, 8, 12};
    return Counter(values[std::min(cycle, 2)]);
  });
  auto config = Config(20ms);
  config.temporality = TemporalityPreference::kDelta;
  OtlpMetricsExporter exporter(std::make_unique<ScriptedTransport>(log), config, {&producer});
  exporter.Start();
  EXPECT_TRUE(WaitFor([&] { return log->calls() >= 3; }));
  exporter.Shutdown();

  auto times = producer.times();
  std::lock_guard lock(log->mu);
  ASSERT_GE(log->bodies.size(), 4u);  // three periodic cycles at least, plus the final one
  auto point = [&](size_t i) { return FirstMetric(Decode(log->bodies[i])).sum().data_points(0); };
  EXPECT_EQ(point(0).as_int(), 5);  // first: everything since the series' start
  EXPECT_EQ(point(0).start_time_unix_nano(), kSeriesStart);
  EXPECT_EQ(point(1).as_int(), 3);  // rejected by the collector...
  EXPECT_EQ(point(2).as_int(), 7);  // ...so the next delta covers it too
  EXPECT_EQ(point(2).start_time_unix_nano(), times[0]);
  EXPECT_EQ(point(2).time_unix_nano(), times[2]);
  EXPECT_EQ(point(3).as_int(), 0);
  EXPECT_EQ(point(3).start_time_unix_nano(), times[2]);

  auto stats = exporter.stats();
  EXPECT_EQ(stats.export_failures, 1u);
  EXPECT_EQ(stats.points_failed, 1u);
  EXPECT_EQ(stats.exports, log->bodies.size() - 1);
}

TEST(OtlpMetricsExporterTest, RetryableFailuresAreRetried) {
  auto log = std::make_shared<TransportLog>();
  log->script = {ExportResult::Failure(true, "503"), ExportResult::Failure(true, "UNAVAILABLE")};
  auto producer = ConstantCounter(1);
  OtlpMetricsExporter exporter(std::make_unique<ScriptedTransport>(log), Config(10ms),
                               {&producer}, RetryPolicy{5, 1ms, 2ms});
  exporter.Start();
  ASSERT_TRUE(WaitFor([&] { return exporter.stats().exports >= 1; }));
  exporter.Shutdown();

  auto stats = exporter.stats();
  EXPECT_EQ(stats.export_retries, 2u);  // the first cycle: two failures, then accepted
  EXPECT_EQ(stats.export_failures, 0u);
  EXPECT_EQ(stats.export_requests, log->calls());
  std::lock_guard lock(log->mu);
  EXPECT_EQ(log->bodies[0], log->bodies[2]);  // the same request, encoded once
}

TEST(OtlpMetricsExporterTest, GivesUpAfterMaxAttemptsOrANonRetryableFailure) {
  auto log = std::make_shared<TransportLog>();
  log->script.assign(3, ExportResult::Failure(true, "503"));
  auto producer = ConstantCounter(1);
  OtlpMetricsExporter exporter(std::make_unique<ScriptedTransport>(log), Config(10ms),
                               {&producer}, RetryPolicy{3, 1ms, 1ms});
  exporter.Start();
  ASSERT_TRUE(WaitFor([&] { return exporter.stats().collections >= 2; }));
  exporter.Shutdown();
  EXPECT_EQ(exporter.stats().export_failures, 1u);  // the first cycle, after 3 attempts
  EXPECT_EQ(exporter.stats().export_retries, 2u);

  auto log2 = std::make_shared<TransportLog>();
  log2->script = {ExportResult::Failure(false, "HTTP 400")};
  OtlpMetricsExporter exporter2(std::make_unique<ScriptedTransport>(log2), Config(10ms),
                                {&producer}, RetryPolicy{3, 1ms, 1ms});
  exporter2.Start();
  ASSERT_TRUE(WaitFor([&] { return exporter2.stats().collections >= 2; }));
  exporter2.Shutdown();
  EXPECT_EQ(exporter2.stats().export_retries, 0u);
  EXPECT_EQ(exporter2.stats().export_failures, 1u);
}

TEST(OtlpMetricsExporterTest, TheFinalExportAtShutdownIsOneAttempt) {
  // Retrying while an orchestrator waits for our exit gains nothing; the failure is counted.
  auto log = std::make_shared<TransportLog>();
  log->script.assign(10, ExportResult::Failure(true, "503"));
  auto producer = ConstantCounter(1);
  OtlpMetricsExporter exporter(std::make_unique<ScriptedTransport>(log), Config(), {&producer},
                               RetryPolicy{5, 1ms, 1ms});
  exporter.Shutdown();  // never started: the final export runs on this thread
  EXPECT_EQ(log->calls(), 1u);
  EXPECT_EQ(exporter.stats().export_failures, 1u);
  EXPECT_EQ(exporter.stats().points_failed, 1u);
}

TEST(OtlpMetricsExporterTest, ShutdownCutsABackoffShortAndStillFlushes) {
  auto log = std::make_shared<TransportLog>();
  // The collector asks for a minute's pause; Shutdown must not wait for it.
  log->script = {ExportResult::Failure(true, "429", /*retry_after_ms=*/60000)};
  auto producer = ConstantCounter(3);
  auto config = Config(10ms);
  config.export_timeout = 120s;
  OtlpMetricsExporter exporter(std::make_unique<ScriptedTransport>(log), config, {&producer});
  exporter.Start();
  ASSERT_TRUE(WaitFor([&] { return log->calls() >= 1; }));
  auto start = std::chrono::steady_clock::now();
  exporter.Shutdown();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);

  EXPECT_EQ(log->calls(), 2u);  // the abandoned one, then the final flush
  auto stats = exporter.stats();
  EXPECT_EQ(stats.export_failures, 1u);
  EXPECT_EQ(stats.exports, 1u);
}

TEST(OtlpMetricsExporterTest, NoFinalExportOnceTheSharedStopBudgetIsSpent) {
  auto log = std::make_shared<TransportLog>();
  auto producer = ConstantCounter(4);
  OtlpMetricsExporter exporter(std::make_unique<ScriptedTransport>(log), Config(), {&producer});
  exporter.Shutdown(std::chrono::steady_clock::now() - 1ms);
  EXPECT_EQ(log->calls(), 0u);
  auto stats = exporter.stats();
  EXPECT_EQ(stats.export_requests, 0u);
  EXPECT_EQ(stats.export_failures, 1u);  // counted, not silently lost
  EXPECT_EQ(stats.points_failed, 1u);
}

TEST(OtlpMetricsExporterTest, NothingIsSentWithoutPoints) {
  auto log = std::make_shared<TransportLog>();
  ScriptedProducer producer([](int) { return std::vector<MetricData>{}; });
  OtlpMetricsExporter exporter(std::make_unique<ScriptedTransport>(log), Config(), {&producer});
  exporter.Start();
  exporter.Shutdown();
  EXPECT_EQ(log->calls(), 0u);
  EXPECT_EQ(exporter.stats().collections, 1u);
  EXPECT_EQ(exporter.stats().exports, 0u);
}

TEST(OtlpMetricsExporterTest, ProducersShareOneRequest) {
  auto log = std::make_shared<TransportLog>();
  auto a = ConstantCounter(1);
  ScriptedProducer b([](int) {
    return std::vector<MetricData>{
        MetricData{"g", "", "", MetricKind::kGauge, {DataPoint{{}, 0, 0, 2.5}}}};
  });
  OtlpMetricsExporter exporter(std::make_unique<ScriptedTransport>(log), Config(), {&a, &b});
  exporter.Shutdown();
  ASSERT_EQ(log->calls(), 1u);
  std::lock_guard lock(log->mu);
  auto request = Decode(log->bodies[0]);
  ASSERT_EQ(request.resource_metrics_size(), 2);  // each producer has its own resource here
  EXPECT_EQ(
      request.resource_metrics(1).scope_metrics(0).metrics(0).gauge().data_points(0).as_double(),
      2.5);
  EXPECT_EQ(exporter.stats().points_exported, 2u);
}

TEST(OtlpMetricsExporterTest, StartAndShutdownAreIdempotent) {
  auto log = std::make_shared<TransportLog>();
  auto producer = ConstantCounter(1);
  {
    OtlpMetricsExporter exporter(std::make_unique<ScriptedTransport>(log), Config(), {&producer});
    exporter.Start();
    exporter.Start();
    exporter.Shutdown();
    exporter.Shutdown();
    exporter.Start();  // after Shutdown: nothing
  }                    // the destructor's Shutdown does nothing more
  EXPECT_EQ(log->calls(), 1u);
  EXPECT_EQ(producer.times().size(), 1u);
}

TEST(OtlpMetricsExporterTest, MakeTransportCapsTheRequestTimeoutAtTheExportTimeout) {
  // A collector that accepts the connection (the kernel completes the handshake from the
  // backlog) but never answers: the request lasts as long as the transport's timeout.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(fd, 8), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);

  auto config = Config();
  config.endpoint = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/v1/metrics";
  config.timeout = 600s;
  config.export_timeout = 200ms;
  auto transport = MakeOtlpMetricsTransport(config);
  auto start = std::chrono::steady_clock::now();
  ExportResult result = transport->Send("x");
  auto took = std::chrono::steady_clock::now() - start;
  close(fd);
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.retryable) << result.message;
  EXPECT_GE(took, 150ms);
  EXPECT_LT(took, 5s);
}

}  // namespace
}  // namespace otelbpf::otlp
