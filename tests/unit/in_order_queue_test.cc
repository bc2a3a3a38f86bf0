// InOrderQueue (protocols/common/in_order_queue.h): in-order pairing and the markers capture loss
// leaves (forgotten requests, hidden requests, lost replies).
#include <gtest/gtest.h>

#include <vector>

#include "protocols/common/in_order_queue.h"

namespace otelbpf::ordered {
namespace {

TEST(InOrderQueue, RepliesAnswerTheOldestRequest) {
  InOrderQueue<int> queue(8);
  EXPECT_EQ(queue.WhoIsAnswered(0), Answer::kStray);
  queue.Push(1, 10);
  queue.Push(2, 20);
  EXPECT_TRUE(queue.FrontIsNext());
  EXPECT_EQ(queue.WhoIsAnswered(30), Answer::kFront);
  EXPECT_EQ(queue.PopFront(), 1);
  EXPECT_EQ(queue.WhoIsAnswered(31), Answer::kFront);
  EXPECT_EQ(queue.PopFront(), 2);
  EXPECT_TRUE(queue.empty());
}

TEST(InOrderQueue, ForgottenRequestsHaveTheirRepliesSkipped) {
  InOrderQueue<int> queue(2);
  EXPECT_FALSE(queue.Push(1, 10));
  EXPECT_FALSE(queue.Push(2, 20));
  EXPECT_TRUE(queue.Push(3, 30));  // 1 forgotten
  EXPECT_TRUE(queue.Push(4, 40));  // 2 forgotten
  EXPECT_FALSE(queue.FrontIsNext());
  EXPECT_EQ(queue.WhoIsAnswered(50), Answer::kForgotten);
  EXPECT_EQ(queue.WhoIsAnswered(51), Answer::kForgotten);
  EXPECT_EQ(queue.WhoIsAnswered(52), Answer::kFront);
  EXPECT_EQ(queue.PopFront(), 3);
  // With a cap of one, the skip carries through an empty queue.
  InOrderQueue<int> one(1);
  one.Push(1, 10);
  one.Push(2, 20);
  EXPECT_EQ(one.PopFront(), 2);  // answered without a reply (e.g. noreply)
  EXPECT_EQ(one.WhoIsAnswered(30), Answer::kForgotten);
  EXPECT_EQ(one.WhoIsAnswered(31), Answer::kStray);
}

TEST(InOrderQueue, HiddenRequestsMakeEarlierRepliesStray) {
  InOrderQueue<int> queue(8);
  queue.Push(1, 10);
  queue.MarkRequestsHidden();
  queue.Push(2, 100);
  EXPECT_EQ(queue.WhoIsAnswered(20), Answer::kFront);
  queue.PopFront();
  EXPECT_EQ(queue.WhoIsAnswered(50), Answer::kStray);  // before request 2 was sent
  EXPECT_EQ(queue.WhoIsAnswered(60), Answer::kStray);
  EXPECT_EQ(queue.WhoIsAnswered(110), Answer::kFront);
  EXPECT_EQ(queue.PopFront(), 2);
}

TEST(InOrderQueue, LostRepliesWaitForARequestSentAfterThem) {
  InOrderQueue<int> queue(8);
  queue.Push(1, 10);
  queue.Push(2, 20);
  EXPECT_FALSE(queue.InLostReplies());
  queue.MarkRepliesLost();
  EXPECT_TRUE(queue.replies_lost());
  EXPECT_FALSE(queue.RequestSentSinceRepliesLost());
  EXPECT_TRUE(queue.InLostReplies());
  queue.Push(3, 30);
  EXPECT_TRUE(queue.RequestSentSinceRepliesLost());
  EXPECT_FALSE(queue.InLostReplies());  // lost, but what comes now can be trusted again
  const std::vector<int> stale = queue.ResumeReplies();
  EXPECT_EQ(stale, (std::vector<int>{1, 2}));
  EXPECT_FALSE(queue.replies_lost());
  EXPECT_EQ(queue.WhoIsAnswered(40), Answer::kFront);
  EXPECT_EQ(queue.PopFront(), 3);
}

}  // namespace
}  // namespace otelbpf::ordered
