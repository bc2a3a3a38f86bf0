#include "export/prometheus/prometheus_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "export/otlp/gzip.h"
#include "export/prometheus/prometheus_text.h"
#include "export/prometheus/scrape_request.h"

namespace otelbpf::prometheus {
namespace {

constexpr size_t kMaxRequestHeadBytes = 8192;
constexpr std::chrono::milliseconds kReadTimeout{5000};
constexpr std::chrono::milliseconds kWriteTimeout{10000};
constexpr std::chrono::milliseconds kAcceptBackoff{100};  // after EMFILE and the like
constexpr int kListenBacklog = 16;

using SteadyClock = std::chrono::steady_clock;

uint64_t SystemNowUnixNano() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// Waits until `fd` is ready for `events`. False on timeout, on Stop (wake_fd readable), or on a
// poll error.
bool WaitFor(int fd, short events, int wake_fd, SteadyClock::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return false;
    pollfd fds[2] = {{fd, events, 0}, {wake_fd, POLLIN, 0}};
    const int n = poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || fds[1].revents != 0) return false;
    if (fds[0].revents != 0) return true;  // ready, or POLLERR/POLLHUP: the call will tell
  }
}

std::string Response(std::string_view status, std::string_view content_type,
                     std::string_view extra_headers, const std::string& body, bool head_only) {
  std::string out;
  out.reserve(160 + (head_only ? 0 : body.size()));
  out.append("HTTP/1.1 ").append(status).append("\r\nContent-Type: ").append(content_type);
  out.append("\r\nContent-Length: ").append(std::to_string(body.size()));
  out.append("\r\n").append(extra_headers).append("Connection: close\r\n\r\n");
  if (!head_only) out.append(body);
  return out;
}

std::string PlainResponse(std::string_view status, std::string_view extra_headers = {}) {
  return Response(status, "text/plain; charset=utf-8", extra_headers, std::string(status) + "\n",
                  false);
}

}  // namespace

PrometheusServer::PrometheusServer(const PrometheusConfig& config,
                                   std::vector<metrics::MetricProducer*> producers, Clock clock)
    : producers_(std::move(producers)), clock_(clock ? std::move(clock) : SystemNowUnixNano) {
  const std::string where = "Prometheus endpoint " + config.Address() + ": ";
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(config.port);
  if (int rc = getaddrinfo(config.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    throw std::runtime_error(where + "cannot resolve the host: " + gai_strerror(rc));
  }
  int error = 0;
  for (addrinfo* ai = found; ai != nullptr && listen_fd_ < 0; ai = ai->ai_next) {
    const int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      error = errno;
      continue;
    }
    // Lets a restarted agent listen while the previous one's connections sit in TIME_WAIT; on
    // Linux it never lets two processes listen on one port.
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, kListenBacklog) != 0) {
      error = errno;
      close(fd);
      continue;
    }
    listen_fd_ = fd;
  }
  freeaddrinfo(found);
  if (listen_fd_ < 0) {
    std::string why = std::strerror(error);
    if (error == EADDRINUSE) {
      why += " (another process listens there: stop it or set OTEL_EXPORTER_PROMETHEUS_PORT)";
    }
    throw std::runtime_error(where + "cannot listen: " + why);
  }

  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  PrometheusConfig actual = config;
  actual.port = port_;
  address_ = actual.Address();

  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    const int e = errno;
    close(listen_fd_);
    throw std::runtime_error(where + "eventfd: " + std::strerror(e));
  }
  thread_ = std::thread([this] { Run(); });
}

PrometheusServer::~PrometheusServer() {
  Stop();
  if (wake_fd_ >= 0) close(wake_fd_);
  if (listen_fd_ >= 0) close(listen_fd_);
}

void PrometheusServer::Stop() {
  if (!thread_.joinable()) return;
  const uint64_t one = 1;
  // An eventfd write of 1 cannot block or fail short of overflow; the level stays readable.
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof(one));
  thread_.join();
}

void PrometheusServer::Run() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // The pending connection stays readable: back off instead of spinning on it.
        pollfd wake = {wake_fd_, POLLIN, 0};
        poll(&wake, 1, static_cast<int>(kAcceptBackoff.count()));
      }
      continue;
    }
    try {
      Serve(fd);
    } catch (const std::exception&) {
      // e.g. bad_alloc while formatting: this scrape fails, the endpoint lives on.
    }
    close(fd);
  }
}

std::string PrometheusServer::Scrape() {
  metrics::MetricsSnapshot snapshot;
  const uint64_t now = clock_();
  for (metrics::MetricProducer* p : producers_) p->Collect(now, &snapshot);
  return FormatPrometheusText(snapshot);
}

void PrometheusServer::Serve(int fd) {
  // Read the request head; a GET carries no body, so nothing after it matters.
  std::string head;
  const auto read_deadline = SteadyClock::now() + kReadTimeout;
  size_t end = std::string::npos;
  char buf[2048];
  while (end == std::string::npos) {
    if (head.size() >= kMaxRequestHeadBytes) break;
    if (!WaitFor(fd, POLLIN, wake_fd_, read_deadline)) return;
    const ssize_t n = recv(fd, buf, std::min(sizeof(buf), kMaxRequestHeadBytes - head.size()), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return;  // closed or reset before a complete request
    head.append(buf, static_cast<size_t>(n));
    end = head.find("\r\n\r\n");
    if (end == std::string::npos) end = head.find("\n\n");  // tolerate bare LF (RFC 9112 2.2)
  }

  std::string response;
  const std::optional<ScrapeRequest> request =
      end == std::string::npos ? std::nullopt
                               : ParseScrapeRequest(std::string_view(head).substr(0, end));
  if (end == std::string::npos) {
    response = PlainResponse("431 Request Header Fields Too Large");
  } else if (!request) {
    response = PlainResponse("400 Bad Request");
  } else if (request->path != "/metrics") {
    response = PlainResponse("404 Not Found");
  } else if (request->method != "GET" && request->method != "HEAD") {
    response = PlainResponse("405 Method Not Allowed", "Allow: GET, HEAD\r\n");
  } else {
    std::string body = Scrape();
    std::string_view encoding;
    // Histograms of thousands of series make megabytes of text that gzip shrinks ~20-fold;
    // Prometheus always asks for it.
    std::string compressed;
    if (request->accepts_gzip && otlp::GzipCompress(body, &compressed)) {
      body.swap(compressed);
      encoding = "Content-Encoding: gzip\r\n";
    }
    response =
        Response("200 OK", kPrometheusTextContentType, encoding, body, request->method == "HEAD");
    scrapes_.fetch_add(1, std::memory_order_relaxed);
  }

  const auto write_deadline = SteadyClock::now() + kWriteTimeout;
  size_t sent = 0;
  while (sent < response.size()) {
    const ssize_t n = send(fd, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!WaitFor(fd, POLLOUT, wake_fd_, write_deadline)) return;
    } else {
      return;
    }
  }
  // Half-close so the client reads our end of stream before close() frees the socket.
  shutdown(fd, SHUT_WR);
}

}  // namespace otelbpf::prometheus
