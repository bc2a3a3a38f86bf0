#include "export/otlp/http_transport.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "export/otlp/gzip.h"

#ifndef OTELBPF_VERSION
#define OTELBPF_VERSION "0.1.0"
#endif

namespace otelbpf::otlp {
namespace {

// A collector's response is a small protobuf; never buffer more than this of it.
constexpr size_t kMaxResponseBytes = 64 * 1024;

CURL* Curl(void* p) { return static_cast<CURL*>(p); }

// curl_global_init is not thread-safe with libcurl 7.88: run it once, before any handle.
void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool IsRetryableHttpStatus(long status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

// Connection-level failures are worth retrying, except those a retry cannot fix.
bool IsRetryableCurlError(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_OUT_OF_MEMORY:
      return false;
    default:
      return true;
  }
}

bool IsHeader(const std::string& name, std::string_view wanted) {
  if (name.size() != wanted.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(name[i])) != wanted[i]) return false;
  }
  return true;
}

}  // namespace

HttpTransport::HttpTransport(HttpTransportOptions options) : options_(std::move(options)) {
  InitCurlOnce();
  curl_ = curl_easy_init();
  CURL* curl = Curl(curl_);
  if (curl == nullptr) return;  // Send reports the failure

  curl_slist* list = nullptr;
  list = curl_slist_append(list, "Content-Type: application/x-protobuf");
  if (options_.compression == OtlpCompression::kGzip) {
    list = curl_slist_append(list, "Content-Encoding: gzip");
  }
  // Large POSTs would otherwise wait for a "100 Continue" round trip first.
  list = curl_slist_append(list, "Expect:");
  for (const auto& [name, value] : options_.headers) {
    // We own the body's type and encoding; a user header must not contradict them.
    if (IsHeader(name, "content-type") || IsHeader(name, "content-encoding")) continue;
    list = curl_slist_append(list, (name + ": " + value).c_str());
  }
  header_list_ = list;

  curl_easy_setopt(curl, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "otelbpf/" OTELBPF_VERSION);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: we are threaded
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &HttpTransport::CollectResponse);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, this);
}

HttpTransport::~HttpTransport() {
  if (curl_ != nullptr) curl_easy_cleanup(Curl(curl_));
  curl_slist_free_all(static_cast<curl_slist*>(header_list_));
}

size_t HttpTransport::CollectResponse(char* data, size_t size, size_t count, void* self) {
  auto* transport = static_cast<HttpTransport*>(self);
  size_t n = size * count;
  size_t room = kMaxResponseBytes - std::min(kMaxResponseBytes, transport->response_.size());
  transport->response_.append(data, std::min(n, room));
  return n;  // consume everything, keep the head
}

ExportResult HttpTransport::Send(std::string_view body) {
  CURL* curl = Curl(curl_);
  if (curl == nullptr) return ExportResult::Failure(false, "libcurl initialisation failed");

  if (options_.compression == OtlpCompression::kGzip) {
    if (!GzipCompress(body, &compressed_)) {
      return ExportResult::Failure(false, "gzip compression failed");
    }
    body = compressed_;
  }
  response_.clear();
  // Not copied: body outlives perform. Never pass null: libcurl would then read the body
  // from its read callback, which defaults to stdin.
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.empty() ? "" : body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));

  CURLcode rc = curl_easy_perform(curl);
  if (rc != CURLE_OK) {
    return ExportResult::Failure(IsRetryableCurlError(rc), std::string("POST ") + options_.url +
                                                               ": " + curl_easy_strerror(rc));
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 200 && status < 300)
    return ExportResult::Success(options_.describe_response(response_));

  // libcurl parses Retry-After (delay-seconds or HTTP-date) into seconds; 0 when absent.
  curl_off_t retry_after_s = 0;
  curl_easy_getinfo(curl, CURLINFO_RETRY_AFTER, &retry_after_s);
  bool retryable = IsRetryableHttpStatus(status);
  // The collector's number: capped (1 h) before scaling so a huge one cannot overflow; the
  // retry policy bounds the wait further by the export timeout.
  constexpr curl_off_t kMaxRetryAfterS = 3600;
  const curl_off_t capped_s = std::min(retry_after_s, kMaxRetryAfterS);
  uint64_t retry_after_ms = retryable && capped_s > 0 ? uint64_t(capped_s) * 1000 : 0;
  return ExportResult::Failure(
      retryable, "POST " + options_.url + ": HTTP " + std::to_string(status), retry_after_ms);
}

}  // namespace otelbpf::otlp
