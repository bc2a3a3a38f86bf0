// The store's commit feed: followers hear of each commit (the last span row id) over an
// owner-only unix socket that lives as long as the writer.
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "store/commit_feed.h"
#include "store/span_store.h"
#include "store_test_support.h"

namespace otelbpf::store {
namespace {

using testing::MakeHttpSpan;
using testing::MakeResource;
using testing::TempStoreDir;

uint64_t Now() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// The next line from the feed ("" after 5 s without one).
std::string ReadLine(int fd) {
  std::string line;
  char c;
  pollfd p{fd, POLLIN, 0};
  while (::poll(&p, 1, 5000) == 1 && ::read(fd, &c, 1) == 1) {
    if (c == '\n') return line;
    line += c;
  }
  return "";
}

TEST(CommitFeedTest, FollowersHearOfEachCommitOverAnOwnerOnlySocket) {
  TempStoreDir dir;
  StoreOptions o;
  o.path = dir.File();
  o.batch_interval = std::chrono::milliseconds(10);
  o.max_spans_per_second = 0;
  auto r = MakeResource("svc", 1);
  {
    SpanStore store(o);
    struct stat st {};
    ASSERT_EQ(::stat(CommitFeedPath(o.path).c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    const int follower = ConnectCommitFeed(o.path);
    ASSERT_GE(follower, 0);
    const int gone = ConnectCommitFeed(o.path);  // leaves at once: must not trouble the writer
    ASSERT_GE(gone, 0);
    ::close(gone);
    for (uint8_t i = 1; i <= 3; ++i)
      store.Consume(MakeHttpSpan(r, SpanKind::kServer, i, i, 0, Now(), 10, "GET", "/", 200));
    store.Flush();
    EXPECT_EQ(ReadLine(follower), "3");  // accepted at that commit, told its last row
    store.Consume(MakeHttpSpan(r, SpanKind::kServer, 4, 4, 0, Now(), 10, "GET", "/", 200));
    store.Flush();
    EXPECT_EQ(ReadLine(follower), "4");
    store.Shutdown();
    ::close(follower);
  }
  EXPECT_EQ(ConnectCommitFeed(o.path), -1);  // the socket went with its writer
}

TEST(CommitFeedTest, AStaleSocketIsReplacedAndATooLongPathRefused) {
  TempStoreDir dir;
  {
    CommitFeed first(dir.File());
    // A second feed on the same store (a writer after a crash left the socket): takes it over.
    CommitFeed second(dir.File());
    const int fd = ConnectCommitFeed(dir.File());
    ASSERT_GE(fd, 0);
    second.Publish(7);
    EXPECT_EQ(ReadLine(fd), "7");
    ::close(fd);
  }
  EXPECT_THROW(CommitFeed(dir.File() + std::string(120, 'x')), StoreError);
}

}  // namespace
}  // namespace otelbpf::store
