// A local HTTP/1.1 server standing in for the Kubernetes API server in tests (no cluster can
// run here; see README.md beside this file). It answers each GET with a scripted Reply: a whole
// body, or a chunked stream (a watch) that may end cleanly, be cut without its last chunk (a
// dropped connection), or stay open until the test ends. Every request is recorded, with its
// Authorization header, for the test to check. One thread per connection, so a watch held
// open does not stop the client's other requests (ReplicaSet reads, the next list).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace otelbpf::kubernetes::testing {

class FakeApiServer {
 public:
  struct Request {
    std::string method;
    std::string target;         // path and query, as sent
    std::string authorization;  // the Authorization header ("" when absent)
  };
  struct Reply {
    int status = 200;
    std::string body;                 // whole body (when chunks is empty)
    std::vector<std::string> chunks;  // a chunked body, one chunk per entry, sent in order
    enum class End { kComplete, kDrop, kHold } end = End::kComplete;
  };
  using Handler = std::function<Reply(const Request&)>;

  explicit FakeApiServer(Handler handler) : handler_(std::move(handler)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(listen_fd_, 16) != 0) {
      close(listen_fd_);
      listen_fd_ = -1;
      return;
    }
    socklen_t len = sizeof(addr);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~FakeApiServer() {
    stop_ = true;
    if (acceptor_.joinable()) acceptor_.join();
    std::vector<std::thread> connections;
    {
      std::lock_guard lock(mutex_);
      connections.swap(connections_);
    }
    for (auto& t : connections) t.join();
    if (listen_fd_ >= 0) close(listen_fd_);
  }

  bool ok() const { return listen_fd_ >= 0; }
  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<Request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void AcceptLoop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::lock_guard lock(mutex_);
      connections_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  static bool SendAll(int fd, const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += size_t(n);
    }
    return true;
  }

  static std::string Header(const std::string& head, const std::string& name) {
    // Case-insensitive search for "\r\nName:".
    std::string lower_head = head, lower_name = "\r\n" + name + ":";
    for (char& c : lower_head) c = char(std::tolower(static_cast<unsigned char>(c)));
    for (char& c : lower_name) c = char(std::tolower(static_cast<unsigned char>(c)));
    size_t at = lower_head.find(lower_name);
    if (at == std::string::npos) return "";
    size_t start = at + lower_name.size();
    size_t end = head.find("\r\n", start);
    std::string value = head.substr(start, end - start);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    return value;
  }

  static const char* Reason(int status) {
    switch (status) {
      case 200:
        return "OK";
      case 403:
        return "Forbidden";
      case 404:
        return "Not Found";
      case 410:
        return "Gone";
      default:
        return "Error";
    }
  }

  void Serve(int fd) {
    std::string head;
    char buffer[4096];
    while (head.find("\r\n\r\n") == std::string::npos && head.size() < 65536 && !stop_) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      head.append(buffer, size_t(n));
    }
    if (head.find("\r\n\r\n") == std::string::npos) {
      close(fd);
      return;
    }
    Request request;
    const size_t line_end = head.find("\r\n");
    const std::string line = head.substr(0, line_end);
    const size_t sp1 = line.find(' ');
    const size_t sp2 = line.find(' ', sp1 + 1);
    request.method = line.substr(0, sp1);
    request.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    request.authorization = Header(head, "Authorization");
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    Reply reply = handler_(request);
    std::string response = "HTTP/1.1 " + std::to_string(reply.status) + " " + Reason(reply.status) +
                           "\r\nContent-Type: application/json\r\nConnection: close\r\n";
    if (reply.chunks.empty()) {
      response += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n\r\n" + reply.body;
      SendAll(fd, response);
    } else {
      response += "Transfer-Encoding: chunked\r\n\r\n";
      bool alive = SendAll(fd, response);
      for (const auto& chunk : reply.chunks) {
        if (!alive) break;
        char size[32];
        snprintf(size, sizeof(size), "%zx\r\n", chunk.size());
        alive = SendAll(fd, size + chunk + "\r\n");
        // Separate writes, so the client sees the events arrive one by one.
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      if (alive && reply.end == Reply::End::kComplete) SendAll(fd, "0\r\n\r\n");
      if (reply.end == Reply::End::kHold) {
        // Until the client hangs up or the test ends.
        while (!stop_) {
          pollfd p{fd, POLLIN, 0};
          if (poll(&p, 1, 50) > 0 && recv(fd, buffer, sizeof(buffer), 0) <= 0) break;
        }
      }
    }
    // kDrop: closed without the terminating chunk, as a connection cut mid-stream.
    close(fd);
  }

  Handler handler_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::vector<Request> requests_;
  std::vector<std::thread> connections_;
};

}  // namespace otelbpf::kubernetes::testing
