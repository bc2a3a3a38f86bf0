// Tells followers (`otelbpf observe -f`) the moment the store commits spans, over a unix socket
// next to the store file (PATH.live, owner-only like the store). Each connected reader gets the
// highest committed span row id as a text line after every commit; it then reads the new rows
// from the file with its own filters, so what it prints is exactly what `observe` would. A
// reader that finds no socket (no agent running) polls the file instead.
//
// Runs on the store's writer thread only: no thread of its own. New readers are accepted at the
// next commit (the kernel holds their connection until then; they need nothing sooner), and a
// reader too slow to take a line misses that line, never the rows: the next line names a
// higher id.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace otelbpf::store {

// The socket for a store file.
std::string CommitFeedPath(const std::string& store_path);

class CommitFeed {
 public:
  // Listens on CommitFeedPath(store_path), replacing a stale socket (the caller holds the
  // store's writer lock). Throws StoreError when it cannot.
  explicit CommitFeed(const std::string& store_path);
  ~CommitFeed();
  CommitFeed(const CommitFeed&) = delete;
  CommitFeed& operator=(const CommitFeed&) = delete;

  // After a commit: accepts waiting readers, then sends every reader the last span row id.
  void Publish(int64_t last_span_id);
  size_t readers() const { return readers_.size(); }

 private:
  std::string path_;
  int listen_fd_ = -1;
  std::vector<int> readers_;
};

// A follower's side: connects to the feed of `store_path`; -1 when there is none.
int ConnectCommitFeed(const std::string& store_path);

}  // namespace otelbpf::store
