#include "export/otlp/grpc_transport.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <cctype>
#include <condition_variable>
#include <mutex>

#include "export/otlp/export_response.h"

#ifndef OTELBPF_VERSION
#define OTELBPF_VERSION "0.1.0"
#endif

namespace otelbpf::otlp {
namespace {

bool IsRetryableGrpcCode(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DATA_LOSS:
      return true;
    default:
      return false;
  }
}

std::string Lowercase(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

}  // namespace

GrpcTransport::GrpcTransport(GrpcTransportOptions options) : options_(std::move(options)) {
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      options_.insecure ? grpc::InsecureChannelCredentials()
                        : grpc::SslCredentials(grpc::SslCredentialsOptions());
  grpc::ChannelArguments args;
  args.SetUserAgentPrefix("otelbpf/" OTELBPF_VERSION);
  channel_ = grpc::CreateCustomChannel(options_.target, credentials, args);
  // Headers become metadata; gRPC rejects upper-case metadata keys.
  for (auto& [name, value] : options_.headers) name = Lowercase(name);
}

GrpcTransport::~GrpcTransport() = default;

ExportResult GrpcTransport::Send(std::string_view body) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + options_.timeout);
  for (const auto& [name, value] : options_.headers) context.AddMetadata(name, value);
  if (options_.compression == OtlpCompression::kGzip) {
    context.set_compression_algorithm(GRPC_COMPRESS_GZIP);
  }

  // The slice copies the body: grpc may hold on to request slices in its own threads, and
  // the encoder reuses its buffer for the next batch. One memcpy per batch is negligible.
  grpc::Slice slice(body.data(), body.size());
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;

  // The generic stub only offers asynchronous calls; wait for completion (bounded by the
  // deadline set above).
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;
  grpc::Status status;
  grpc::GenericStub stub(channel_);
  stub.UnaryCall(&context, options_.method, grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   std::lock_guard lock(mu);
                   status = std::move(s);
                   done = true;
                   done_cv.notify_one();
                 });
  {
    std::unique_lock lock(mu);
    done_cv.wait(lock, [&] { return done; });
  }

  if (status.ok()) return ExportResult::Success(options_.describe_response(Flatten(response)));
  return ExportResult::Failure(IsRetryableGrpcCode(status.error_code()),
                               "gRPC Export to " + options_.target + ": code " +
                                   std::to_string(static_cast<int>(status.error_code())) + " " +
                                   SanitizePeerText(status.error_message()));  // a peer's text
}

}  // namespace otelbpf::otlp
