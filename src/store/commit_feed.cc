#include "store/commit_feed.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "store/sqlite_db.h"

namespace otelbpf::store {
namespace {

bool AddressOf(const std::string& path, sockaddr_un* address) {
  std::memset(address, 0, sizeof(*address));
  address->sun_family = AF_UNIX;
  if (path.size() >= sizeof(address->sun_path)) return false;
  std::memcpy(address->sun_path, path.c_str(), path.size() + 1);
  return true;
}

}  // namespace

std::string CommitFeedPath(const std::string& store_path) { return store_path + ".live"; }

CommitFeed::CommitFeed(const std::string& store_path) : path_(CommitFeedPath(store_path)) {
  sockaddr_un address;
  if (!AddressOf(path_, &address))
    throw StoreError("the path " + path_ + " is too long for a unix socket (" +
                     std::to_string(sizeof(address.sun_path) - 1) + " bytes at most)");
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw StoreError(std::string("socket(AF_UNIX): ") + std::strerror(errno));
  ::unlink(path_.c_str());  // a dead agent's: we hold the writer lock
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      // Owner-only before anyone can connect (listen comes after): it says when spans land.
      ::chmod(path_.c_str(), 0600) != 0 || ::listen(listen_fd_, 16) != 0) {
    const std::string error = std::strerror(errno);
    ::close(listen_fd_);
    ::unlink(path_.c_str());
    throw StoreError("cannot listen on " + path_ + ": " + error);
  }
}

CommitFeed::~CommitFeed() {
  for (int fd : readers_) ::close(fd);
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    ::unlink(path_.c_str());
  }
}

void CommitFeed::Publish(int64_t last_span_id) {
  for (;;) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) break;  // EAGAIN: nobody waiting
    readers_.push_back(fd);
  }
  const std::string line = std::to_string(last_span_id) + "\n";
  std::vector<int> alive;
  alive.reserve(readers_.size());
  for (int fd : readers_) {
    const ssize_t n = ::send(fd, line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      ::close(fd);  // the reader went away
      continue;
    }
    alive.push_back(fd);
  }
  readers_ = std::move(alive);
}

int ConnectCommitFeed(const std::string& store_path) {
  sockaddr_un address;
  if (!AddressOf(CommitFeedPath(store_path), &address)) return -1;
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace otelbpf::store
