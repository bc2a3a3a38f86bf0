// GrpcTransport against an in-process grpc::Server implementing the generated TraceService on
// 127.0.0.1 (ephemeral port): the request decodes on the server, metadata and status codes.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <mutex>

#include "export/otlp/grpc_transport.h"
#include "export/otlp/trace_encoder.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.grpc.pb.h"

namespace otelbpf::otlp {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
namespace pb_collector = opentelemetry::proto::collector::trace::v1;

class RecordingTraceService final : public pb_collector::TraceService::Service {
 public:
  grpc::Status Export(grpc::ServerContext* context,
                      const pb_collector::ExportTraceServiceRequest* request,
                      pb_collector::ExportTraceServiceResponse* response) override {
    std::lock_guard lock(mu);
    requests.push_back(*request);
    metadata.clear();
    for (const auto& [key, value] : context->client_metadata()) {
      metadata.emplace(std::string(key.data(), key.size()),
                       std::string(value.data(), value.size()));
    }
    if (rejected_spans > 0) response->mutable_partial_success()->set_rejected_spans(rejected_spans);
    return reply;
  }

  std::mutex mu;
  std::vector<pb_collector::ExportTraceServiceRequest> requests;
  std::multimap<std::string, std::string> metadata;
  grpc::Status reply = grpc::Status::OK;
  int64_t rejected_spans = 0;
};

class OtlpGrpcTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
  }
  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + 1s);
  }

  GrpcTransportOptions Options() const {
    GrpcTransportOptions o;
    o.target = "127.0.0.1:" + std::to_string(port_);
    o.insecure = true;
    o.timeout = 5s;
    return o;
  }

  static std::string SampleRequest(std::vector<Span>* keep) {
    auto resource = std::make_shared<Resource>(Resource{{{"service.name", std::string("api")}}});
    keep->resize(4);
    std::vector<const Span*> ptrs;
    for (size_t i = 0; i < keep->size(); ++i) {
      Span& s = (*keep)[i];
      s.trace_id.fill(9);
      s.span_id.fill(static_cast<uint8_t>(i + 1));
      s.parent_span_id.fill(i == 0 ? 0 : 1);
      s.name = "POST /orders";
      s.kind = i == 0 ? SpanKind::kServer : SpanKind::kClient;
      s.start_time_unix_nano = 1000 + i;
      s.end_time_unix_nano = 2000 + i;
      s.attributes = {{"http.response.status_code", int64_t{201}}, {"ok", true}};
      s.resource = resource;
      ptrs.push_back(&s);
    }
    return EncodeTraceRequest(ptrs);
  }

  RecordingTraceService service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

TEST_F(OtlpGrpcTransportTest, ServerDecodesTheRequestAndSeesMetadata) {
  auto options = Options();
  options.headers = {{"X-Api-Key", "s3cret"}, {"tenant", "blue"}};
  GrpcTransport transport(options);
  std::vector<Span> spans;
  std::string body = SampleRequest(&spans);

  ExportResult result = transport.Send(body);
  ASSERT_TRUE(result.ok) << result.message;
  EXPECT_EQ(result.message, "");

  std::lock_guard lock(service_.mu);
  ASSERT_EQ(service_.requests.size(), 1u);
  const auto& request = service_.requests[0];
  EXPECT_EQ(request.SerializeAsString(), body);
  ASSERT_EQ(request.resource_spans_size(), 1);
  const auto& decoded = request.resource_spans(0).scope_spans(0);
  EXPECT_EQ(decoded.scope().name(), "otelbpf");
  ASSERT_EQ(decoded.spans_size(), 4);
  EXPECT_EQ(decoded.spans(0).kind(), opentelemetry::proto::trace::v1::Span::SPAN_KIND_SERVER);
  EXPECT_TRUE(decoded.spans(0).parent_span_id().empty());
  EXPECT_EQ(decoded.spans(3).parent_span_id(), std::string(8, '\x01'));
  EXPECT_EQ(decoded.spans(3).start_time_unix_nano(), 1003u);
  EXPECT_EQ(decoded.spans(3).attributes(0).value().int_value(), 201);
  EXPECT_TRUE(decoded.spans(3).attributes(1).value().bool_value());

  EXPECT_EQ(service_.metadata.find("x-api-key")->second, "s3cret");  // lower-cased for gRPC
  EXPECT_EQ(service_.metadata.find("tenant")->second, "blue");
}

TEST_F(OtlpGrpcTransportTest, GzipCompressedRequestArrivesIntact) {
  auto options = Options();
  options.compression = OtlpCompression::kGzip;
  GrpcTransport transport(options);
  std::vector<Span> spans;
  std::string body = SampleRequest(&spans);
  ASSERT_TRUE(transport.Send(body).ok);
  ASSERT_TRUE(transport.Send(body).ok);  // the channel is reused
  std::lock_guard lock(service_.mu);
  ASSERT_EQ(service_.requests.size(), 2u);
  EXPECT_EQ(service_.requests[1].SerializeAsString(), body);
}

TEST_F(OtlpGrpcTransportTest, PartialSuccessIsReportedAsANote) {
  service_.rejected_spans = 3;
  GrpcTransport transport(Options());
  std::vector<Span> spans;
  ExportResult result = transport.Send(SampleRequest(&spans));
  EXPECT_TRUE(result.ok);
  EXPECT_THAT(result.message, HasSubstr("rejected 3 spans"));
}

TEST_F(OtlpGrpcTransportTest, StatusCodesAreClassifiedPerOtlpSpec) {
  GrpcTransport transport(Options());
  std::vector<Span> spans;
  std::string body = SampleRequest(&spans);
  const std::pair<grpc::StatusCode, bool> cases[] = {
      {grpc::StatusCode::UNAVAILABLE, true},       {grpc::StatusCode::CANCELLED, true},
      {grpc::StatusCode::DEADLINE_EXCEEDED, true}, {grpc::StatusCode::RESOURCE_EXHAUSTED, true},
      {grpc::StatusCode::ABORTED, true},           {grpc::StatusCode::OUT_OF_RANGE, true},
      {grpc::StatusCode::DATA_LOSS, true},         {grpc::StatusCode::INVALID_ARGUMENT, false},
      {grpc::StatusCode::UNAUTHENTICATED, false},  {grpc::StatusCode::PERMISSION_DENIED, false},
      {grpc::StatusCode::INTERNAL, false},         {grpc::StatusCode::UNIMPLEMENTED, false},
  };
  for (const auto& [code, retryable] : cases) {
    {
      std::lock_guard lock(service_.mu);
      service_.reply = grpc::Status(code, "scripted");
    }
    ExportResult result = transport.Send(body);
    EXPECT_FALSE(result.ok) << "code " << code;
    EXPECT_EQ(result.retryable, retryable) << "code " << code;
    EXPECT_THAT(result.message, HasSubstr("scripted"));
  }
}

TEST_F(OtlpGrpcTransportTest, UnreachableCollectorIsRetryable) {
  auto options = Options();
  server_->Shutdown(std::chrono::system_clock::now());
  server_.reset();
  options.timeout = 500ms;
  GrpcTransport transport(options);
  std::vector<Span> spans;
  ExportResult result = transport.Send(SampleRequest(&spans));
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.retryable) << result.message;
}

}  // namespace
}  // namespace otelbpf::otlp
