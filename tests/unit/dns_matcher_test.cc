// ExchangeMatcher: queries paired with responses by (id, name, type) on one socket, in any
// order; retransmissions, duplicate ids, expiry, the pending cap, and what is never guessed.
#include <gtest/gtest.h>

#include <string>

#include "protocols/dns/matcher.h"

namespace otelbpf::dns {
namespace {

constexpr uint64_t kSecond = 1'000'000'000;

Message Query(uint16_t id, std::string name, uint16_t type = 1) {
  Message m;
  m.header.id = id;
  m.header.question_count = 1;
  m.question = Question{std::move(name), type, 1};
  return m;
}

Message Response(uint16_t id, std::string name, uint16_t type = 1, uint16_t rcode = 0,
                 uint16_t answers = 1) {
  Message m = Query(id, std::move(name), type);
  m.header.is_response = true;
  m.header.rcode = static_cast<uint8_t>(rcode & 0xF);
  m.header.answer_count = answers;
  m.rcode = rcode;
  return m;
}

TEST(DnsMatcher, PairsQueryWithResponse) {
  ExchangeMatcher m(/*over_tcp=*/false);
  m.OnSent(Query(10, "example.com"), 100, 110);
  EXPECT_EQ(m.pending(), 1u);
  m.OnReceived(Response(10, "example.com", 1, 0, 2), 500, 520);
  ASSERT_EQ(m.completed().size(), 1u);
  const Exchange& x = m.completed()[0];
  EXPECT_EQ(x.id, 10);
  EXPECT_EQ(x.question_name, "example.com");
  EXPECT_EQ(x.question_type, 1);
  ASSERT_TRUE(x.response.has_value());
  EXPECT_EQ(x.response->rcode, 0);
  EXPECT_EQ(x.response->answer_count, 2);
  EXPECT_FALSE(x.response->truncated);
  EXPECT_EQ(x.query_start_ns, 100u);
  EXPECT_EQ(x.query_end_ns, 110u);
  EXPECT_EQ(x.response_start_ns, 500u);
  EXPECT_EQ(x.response_end_ns, 520u);
  EXPECT_EQ(x.end_ns, 520u);
  EXPECT_FALSE(x.over_tcp);
  EXPECT_EQ(x.error, ExchangeError::kNone);
  EXPECT_EQ(m.pending(), 0u);
}

TEST(DnsMatcher, ReorderedResponsesMatchTheirQueries) {
  ExchangeMatcher m(true);
  m.OnSent(Query(1, "a.example"), 10, 11);
  m.OnSent(Query(2, "b.example", 28), 20, 21);
  m.OnSent(Query(3, "c.example"), 30, 31);
  m.OnReceived(Response(3, "c.example", 1, 3), 40, 41);
  m.OnReceived(Response(1, "a.example"), 50, 51);
  m.OnReceived(Response(2, "b.example", 28), 60, 61);
  ASSERT_EQ(m.completed().size(), 3u);
  EXPECT_EQ(m.completed()[0].question_name, "c.example");
  EXPECT_EQ(m.completed()[0].response->rcode, 3);
  EXPECT_EQ(m.completed()[1].question_name, "a.example");
  EXPECT_EQ(m.completed()[2].question_name, "b.example");
  EXPECT_EQ(m.completed()[2].query_start_ns, 20u);
  EXPECT_TRUE(m.completed()[2].over_tcp);
  EXPECT_EQ(m.unmatched_responses(), 0u);
}

TEST(DnsMatcher, DuplicateIdsAreToldApartByQuestion) {
  ExchangeMatcher m(false);
  m.OnSent(Query(7, "example.com", 1), 10, 11);   // A
  m.OnSent(Query(7, "example.com", 28), 12, 13);  // AAAA, same id
  m.OnSent(Query(7, "other.example", 1), 14, 15);
  m.OnReceived(Response(7, "example.com", 28), 20, 21);
  m.OnReceived(Response(7, "OTHER.example", 1), 22, 23);  // case-insensitive
  m.OnReceived(Response(7, "example.com", 1), 24, 25);
  ASSERT_EQ(m.completed().size(), 3u);
  EXPECT_EQ(m.completed()[0].question_type, 28);
  EXPECT_EQ(m.completed()[0].query_start_ns, 12u);
  EXPECT_EQ(m.completed()[1].question_name, "other.example");  // as the query sent it
  EXPECT_EQ(m.completed()[2].question_type, 1);
  EXPECT_EQ(m.completed()[2].query_start_ns, 10u);
}

TEST(DnsMatcher, IdenticalQueryIsARetransmission) {
  ExchangeMatcher m(false);
  m.OnSent(Query(5, "example.com"), 100, 101);
  m.OnSent(Query(5, "example.com"), 200, 201);
  EXPECT_EQ(m.pending(), 1u);
  m.OnReceived(Response(5, "example.com"), 300, 301);
  ASSERT_EQ(m.completed().size(), 1u);
  EXPECT_EQ(m.completed()[0].retransmissions, 1u);
  EXPECT_EQ(m.completed()[0].query_start_ns, 100u);
  // The second copy of the response answers nothing.
  m.OnReceived(Response(5, "example.com"), 310, 311);
  EXPECT_EQ(m.unmatched_responses(), 1u);
}

TEST(DnsMatcher, UnmatchedResponsesAreCountedNotGuessed) {
  ExchangeMatcher m(false);
  m.OnSent(Query(1, "example.com"), 10, 11);
  m.OnReceived(Response(2, "example.com"), 20, 21);      // other id
  m.OnReceived(Response(1, "example.net"), 22, 23);      // other name
  m.OnReceived(Response(1, "example.com", 28), 24, 25);  // other type
  EXPECT_TRUE(m.completed().empty());
  EXPECT_EQ(m.unmatched_responses(), 3u);
  EXPECT_EQ(m.pending(), 1u);
}

TEST(DnsMatcher, ResponseWithoutQuestionMatchesOldestWithItsId) {
  ExchangeMatcher m(false);
  m.OnSent(Query(9, "a.example"), 10, 11);
  m.OnSent(Query(9, "b.example"), 12, 13);
  Message formerr = Response(9, "", 1, 1, 0);
  formerr.question.reset();
  formerr.header.question_count = 0;
  m.OnReceived(formerr, 20, 21);
  ASSERT_EQ(m.completed().size(), 1u);
  EXPECT_EQ(m.completed()[0].question_name, "a.example");
  EXPECT_EQ(m.completed()[0].response->rcode, 1);
}

TEST(DnsMatcher, IgnoresServerSideAndQuestionlessQueries) {
  ExchangeMatcher m(false);
  m.OnSent(Response(1, "example.com"), 10, 11);  // the process answering: not a client
  m.OnReceived(Query(2, "example.com"), 12, 13);
  Message empty = Query(3, "");
  empty.question.reset();
  m.OnSent(empty, 14, 15);
  EXPECT_EQ(m.ignored_messages(), 3u);
  EXPECT_EQ(m.pending(), 0u);
  EXPECT_TRUE(m.completed().empty());
}

TEST(DnsMatcher, PendingQueriesExpireAsTimeouts) {
  ExchangeMatcher m(false, MatcherOptions{64, 2 * kSecond});
  m.OnSent(Query(1, "slow.example"), 1 * kSecond, 1 * kSecond + 5);
  m.OnSent(Query(2, "fast.example"), 2 * kSecond, 2 * kSecond + 5);
  m.Expire(3 * kSecond);  // exactly the timeout after the first: not yet
  EXPECT_TRUE(m.completed().empty());
  m.Expire(3 * kSecond + 1);
  ASSERT_EQ(m.completed().size(), 1u);
  const Exchange& x = m.completed()[0];
  EXPECT_EQ(x.question_name, "slow.example");
  EXPECT_EQ(x.error, ExchangeError::kTimeout);
  EXPECT_FALSE(x.response.has_value());
  EXPECT_EQ(x.end_ns, 3 * kSecond);  // the deadline, not when Expire ran
  EXPECT_EQ(m.pending(), 1u);

  // A late response: its query already timed out, so it answers nothing. Receiving it also
  // expires what timed out by then.
  m.OnReceived(Response(1, "slow.example"), 5 * kSecond, 5 * kSecond);
  EXPECT_EQ(m.unmatched_responses(), 1u);
  ASSERT_EQ(m.completed().size(), 2u);
  EXPECT_EQ(m.completed()[1].question_name, "fast.example");
  EXPECT_EQ(m.completed()[1].error, ExchangeError::kTimeout);
}

TEST(DnsMatcher, DefaultTimeoutIsFiveSeconds) {
  ExchangeMatcher m(false);
  m.OnSent(Query(1, "x.example"), 0, 1);
  m.Expire(5 * kSecond);
  EXPECT_TRUE(m.completed().empty());
  m.Expire(5 * kSecond + 1);
  EXPECT_EQ(m.completed().size(), 1u);
}

TEST(DnsMatcher, CloseEndsPendingQueries) {
  ExchangeMatcher m(true);
  m.OnSent(Query(1, "a.example"), 10, 11);
  m.OnSent(Query(2, "b.example"), 12, 13);
  m.OnClose(50);
  ASSERT_EQ(m.completed().size(), 2u);
  for (const Exchange& x : m.completed()) {
    EXPECT_EQ(x.error, ExchangeError::kClosed);
    EXPECT_EQ(x.end_ns, 50u);
  }
  EXPECT_EQ(m.pending(), 0u);
}

TEST(DnsMatcher, CapForgetsTheOldestPendingQuery) {
  ExchangeMatcher m(false, MatcherOptions{4, kSecond});
  for (uint16_t id = 0; id < 6; ++id) m.OnSent(Query(id, "example.com"), 10 + id, 11 + id);
  EXPECT_EQ(m.pending(), 4u);
  EXPECT_EQ(m.dropped_queries(), 2u);
  m.OnReceived(Response(0, "example.com"), 30, 31);  // forgotten: unmatched
  m.OnReceived(Response(5, "example.com"), 32, 33);
  EXPECT_EQ(m.unmatched_responses(), 1u);
  ASSERT_EQ(m.completed().size(), 1u);
  EXPECT_EQ(m.completed()[0].id, 5);
}

TEST(DnsMatcher, DefaultCapIs64) {
  ExchangeMatcher m(false);
  for (uint16_t id = 0; id < 100; ++id) m.OnSent(Query(id, "example.com"), 10, 11);
  EXPECT_EQ(m.pending(), kDefaultMaxPendingQueries);
  EXPECT_EQ(m.dropped_queries(), 100 - kDefaultMaxPendingQueries);
}

TEST(DnsMatcher, ReportsTruncatedResponse) {
  ExchangeMatcher m(false);
  m.OnSent(Query(4, "big.example", 16), 10, 11);
  Message r = Response(4, "big.example", 16, 0, 0);
  r.header.truncated = true;
  m.OnReceived(r, 20, 21);
  ASSERT_EQ(m.completed().size(), 1u);
  EXPECT_TRUE(m.completed()[0].response->truncated);
}

}  // namespace
}  // namespace otelbpf::dns
