#include "kubernetes/api_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>

#ifndef OTELBPF_VERSION
#define OTELBPF_VERSION "0.1.0"
#endif

namespace otelbpf::kubernetes {
namespace {

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

// Aborts the transfer when `stop` is set: libcurl calls this about once a second even when no
// data moves, so a quiet watch is still interrupted promptly.
int AbortOnStop(void* stop, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(stop)->load() ? 1 : 0;
}

void SetBlob(CURL* curl, CURLoption option, const std::string& data) {
  curl_blob blob{const_cast<char*>(data.data()), data.size(), CURL_BLOB_COPY};
  curl_easy_setopt(curl, option, &blob);
}

struct Collect {
  std::string* out;
  size_t max_bytes;
  bool truncated = false;
};

size_t CollectBody(char* data, size_t size, size_t count, void* user) {
  auto* c = static_cast<Collect*>(user);
  const size_t n = size * count;
  const size_t room = c->max_bytes > c->out->size() ? c->max_bytes - c->out->size() : 0;
  if (n > room) c->truncated = true;
  c->out->append(data, std::min(n, room));
  return n;
}

struct LineSplitter {
  const ApiClient::LineHandler* on_line;
  size_t max_line_bytes;
  CURL* curl;
  std::string pending;
  bool skipping = false;  // inside an oversized line, until its newline
  bool stopped = false;
  bool ok_status = false;
  bool status_checked = false;
  std::string error_body;
  size_t oversized = 0;
};

size_t SplitLines(char* data, size_t size, size_t count, void* user) {
  auto* s = static_cast<LineSplitter*>(user);
  const size_t n = size * count;
  if (!s->status_checked) {
    long status = 0;
    curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
    s->ok_status = status == 200;
    s->status_checked = true;
  }
  if (!s->ok_status) {  // an error answer: keep its head for the message
    if (s->error_body.size() < 4096) s->error_body.append(data, std::min<size_t>(n, 4096));
    return n;
  }
  std::string_view chunk(data, n);
  while (!chunk.empty()) {
    const size_t newline = chunk.find('\n');
    std::string_view piece = chunk.substr(0, newline);
    if (!s->skipping) {
      if (s->pending.size() + piece.size() > s->max_line_bytes) {
        s->pending.clear();
        s->skipping = true;
        ++s->oversized;
      } else {
        s->pending.append(piece);
      }
    }
    if (newline == std::string_view::npos) break;
    chunk.remove_prefix(newline + 1);
    if (!s->skipping && !s->pending.empty()) {
      if (!(*s->on_line)(s->pending)) {
        s->stopped = true;
        return 0;  // makes libcurl end the transfer (CURLE_WRITE_ERROR)
      }
    }
    s->pending.clear();
    s->skipping = false;
  }
  return n;
}

}  // namespace

std::string ApiClient::EscapeQueryValue(std::string_view value) {
  std::string out;
  static const char* hex = "0123456789ABCDEF";
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string ApiClient::BearerToken() const {
  if (!config_.token_file.empty()) {
    std::ifstream in(config_.token_file);
    std::ostringstream text;
    if (in) {
      text << in.rdbuf();
      std::string token = text.str();
      while (!token.empty() &&
             (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
        token.pop_back();
      if (!token.empty()) return token;
    }
  }
  return config_.token;
}

namespace {

// A handle with the server's TLS settings, the token and our headers. `headers` must outlive
// the transfer.
std::unique_ptr<CURL, CurlDeleter> NewHandle(const ApiServerConfig& config, const std::string& url,
                                             const std::string& token,
                                             std::chrono::milliseconds timeout,
                                             const std::atomic<bool>& stop,
                                             std::unique_ptr<curl_slist, SlistDeleter>* headers) {
  InitCurlOnce();
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return curl;
  CURL* c = curl.get();
  curl_slist* list = curl_slist_append(nullptr, "Accept: application/json");
  // The token is sent to the API server only; it is never logged.
  if (!token.empty()) list = curl_slist_append(list, ("Authorization: Bearer " + token).c_str());
  headers->reset(list);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "otelbpf/" OTELBPF_VERSION);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &AbortOnStop);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(&stop));
  // Redirects are not followed: the token must not be sent to another host.
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  if (!config.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, config.ca_file.c_str());
  if (!config.ca_data.empty()) SetBlob(c, CURLOPT_CAINFO_BLOB, config.ca_data);
  if (!config.client_cert_file.empty())
    curl_easy_setopt(c, CURLOPT_SSLCERT, config.client_cert_file.c_str());
  if (!config.client_cert_data.empty()) SetBlob(c, CURLOPT_SSLCERT_BLOB, config.client_cert_data);
  if (!config.client_key_file.empty())
    curl_easy_setopt(c, CURLOPT_SSLKEY, config.client_key_file.c_str());
  if (!config.client_key_data.empty()) SetBlob(c, CURLOPT_SSLKEY_BLOB, config.client_key_data);
  if (config.insecure_skip_tls_verify) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  return curl;
}

}  // namespace

ApiClient::Response ApiClient::Get(const std::string& path_and_query, size_t max_bytes,
                                   std::chrono::milliseconds timeout,
                                   const std::atomic<bool>& stop) const {
  Response response;
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  auto curl =
      NewHandle(config_, config_.server + path_and_query, BearerToken(), timeout, stop, &headers);
  if (!curl) {
    response.error = "libcurl initialisation failed";
    return response;
  }
  Collect collect{&response.body, max_bytes};
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &CollectBody);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &collect);
  CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) {
    response.error = curl_easy_strerror(rc);
    return response;
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &response.status);
  response.truncated = collect.truncated;
  return response;
}

ApiClient::StreamResult ApiClient::Stream(const std::string& path_and_query, size_t max_line_bytes,
                                          std::chrono::milliseconds timeout,
                                          const std::atomic<bool>& stop,
                                          const LineHandler& on_line) const {
  StreamResult result;
  std::unique_ptr<curl_slist, SlistDeleter> headers;
  auto curl =
      NewHandle(config_, config_.server + path_and_query, BearerToken(), timeout, stop, &headers);
  if (!curl) {
    result.error = "libcurl initialisation failed";
    return result;
  }
  LineSplitter splitter{&on_line, max_line_bytes, curl.get()};
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &SplitLines);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &splitter);
  CURLcode rc = curl_easy_perform(curl.get());
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &result.status);
  result.oversized_lines = splitter.oversized;
  result.body = std::move(splitter.error_body);
  if (splitter.stopped) {
    result.stopped_by_reader = true;
    return result;
  }
  // A last line without its newline is still an event.
  if (rc == CURLE_OK && splitter.ok_status && !splitter.skipping && !splitter.pending.empty()) {
    if (!on_line(splitter.pending)) result.stopped_by_reader = true;
  }
  if (rc != CURLE_OK) result.error = curl_easy_strerror(rc);
  return result;
}

}  // namespace otelbpf::kubernetes
