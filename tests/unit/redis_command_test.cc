// What Redis commands and replies say (command.h, reply.h, command_table.h): operations with
// subcommands, query text with and without keys, secrets never kept, pub/sub shapes, errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocols/redis/command.h"
#include "protocols/redis/command_table.h"
#include "protocols/redis/reply.h"
#include "protocols/redis/resp_framer.h"

namespace otelbpf::redis {
namespace {

std::string Resp(const std::vector<std::string>& words) {
  std::string out = "*" + std::to_string(words.size()) + "\r\n";
  for (const std::string& w : words) out += "$" + std::to_string(w.size()) + "\r\n" + w + "\r\n";
  return out;
}

Frame Parse(const std::string& bytes, StreamKind kind) {
  RespFramer framer(kind);
  framer.OnData(bytes, bytes.size(), 0, 1, 1);
  EXPECT_EQ(framer.frames().size(), 1u) << bytes;
  return framer.frames().empty() ? Frame{} : framer.frames()[0];
}

Command Describe(const std::vector<std::string>& words) {
  return DescribeCommand(Parse(Resp(words), StreamKind::kRequests));
}

Reply DescribeBytes(const std::string& bytes) {
  return DescribeReply(Parse(bytes, StreamKind::kResponses));
}

TEST(RedisCommand, OperationIsTheUpperCaseName) {
  const Command set = Describe({"set", "mykey", "myvalue"});
  EXPECT_EQ(set.operation, "SET");
  EXPECT_EQ(set.argument_count, 2u);
  EXPECT_EQ(QueryText(set.operation, set.argument_count), "SET ? ?");
  EXPECT_EQ(set.text_with_keys, "SET mykey ?");
  EXPECT_EQ(QueryText("PING", 0), "PING");
  EXPECT_EQ(QueryText("", 3), "");
}

TEST(RedisCommand, ContainerCommandsTakeTheirSubcommand) {
  const Command setname = Describe({"client", "setname", "worker-1"});
  EXPECT_EQ(setname.operation, "CLIENT SETNAME");
  EXPECT_EQ(setname.argument_count, 1u);
  EXPECT_EQ(setname.text_with_keys, "CLIENT SETNAME ?");
  const Command config = Describe({"CONFIG", "GET", "maxmemory"});
  EXPECT_EQ(config.operation, "CONFIG GET");
  EXPECT_EQ(QueryText(config.operation, config.argument_count), "CONFIG GET ?");
  EXPECT_EQ(config.text_with_keys, "CONFIG GET ?");
  // A keyed subcommand keeps its key.
  EXPECT_EQ(Describe({"OBJECT", "ENCODING", "k"}).text_with_keys, "OBJECT ENCODING k");
  // Without a subcommand, just the name.
  EXPECT_EQ(Describe({"COMMAND"}).operation, "COMMAND");
  // Modules' dotted names are names too.
  EXPECT_EQ(Describe({"ft.search", "idx", "@title:hello"}).operation, "FT.SEARCH");
}

TEST(RedisCommand, KeysKeptOnlyWhereTheyAreKeys) {
  EXPECT_EQ(Describe({"MSET", "k1", "v1", "k2", "v2"}).text_with_keys, "MSET k1 ? k2 ?");
  EXPECT_EQ(Describe({"DEL", "a", "b", "c"}).text_with_keys, "DEL a b c");
  EXPECT_EQ(Describe({"HSET", "h", "field", "value"}).text_with_keys, "HSET h ? ?");
  EXPECT_EQ(Describe({"PING", "hello"}).text_with_keys, "PING ?");
  EXPECT_EQ(Describe({"EVAL", "return 1", "1", "k"}).text_with_keys, "EVAL ? ? ?");
  EXPECT_EQ(Describe({"CONFIG", "SET", "requirepass", "s3cret"}).text_with_keys, "CONFIG SET ? ?");
  EXPECT_EQ(Describe({"ACL", "SETUSER", "alice", "on", ">s3cret"}).text_with_keys,
            "ACL SETUSER ? ? ?");
}

TEST(RedisCommand, PasswordsNeverKept) {
  for (const Command& c : {Describe({"AUTH", "s3cret"}), Describe({"auth", "alice", "s3cret"}),
                           Describe({"HELLO", "3", "AUTH", "default", "s3cret"}),
                           Describe({"MIGRATE", "h", "6379", "", "0", "5000", "AUTH", "s3cret"})}) {
    EXPECT_EQ(c.text_with_keys.find("s3cret"), std::string::npos) << c.text_with_keys;
    EXPECT_EQ(c.text_with_keys.find("alice"), std::string::npos) << c.text_with_keys;
  }
  EXPECT_EQ(Describe({"AUTH", "alice", "s3cret"}).text_with_keys, "AUTH ? ?");
  EXPECT_EQ(Describe({"HELLO", "3", "AUTH", "default", "s3cret"}).text_with_keys, "HELLO ? ? ? ?");
}

TEST(RedisCommand, KeysAreEscapedAndBounded) {
  EXPECT_EQ(Describe({"GET", std::string("a\x01\xff\\b", 5)}).text_with_keys,
            "GET a\\x01\\xff\\x5cb");
  const std::string long_key(300, 'k');
  const Command get = Describe({"GET", long_key});
  EXPECT_EQ(get.text_with_keys, "GET " + std::string(kMaxKeptElementBytes, 'k') + "...");
  std::vector<std::string> many = {"DEL"};
  for (int i = 0; i < 500; ++i) many.push_back("key" + std::to_string(i));
  const Command del = Describe(many);
  EXPECT_LE(del.text_with_keys.size(), kMaxQueryTextBytes + 4);
  EXPECT_EQ(del.text_with_keys.substr(del.text_with_keys.size() - 4), " ...");
  const std::string text = QueryText(del.operation, del.argument_count);
  EXPECT_LE(text.size(), kMaxQueryTextBytes + 4);
  EXPECT_EQ(text.substr(0, 8), "DEL ? ? ");
  EXPECT_EQ(text.substr(text.size() - 4), " ...");
}

TEST(RedisCommand, ArgumentsBeyondTheKeptOnesStillCount) {
  std::vector<std::string> words = {"RPUSH", "list"};
  for (int i = 0; i < 100; ++i) words.push_back("v");
  const Command push = Describe(words);
  EXPECT_EQ(push.argument_count, 101u);
  EXPECT_EQ(push.text_with_keys.substr(0, 13), "RPUSH list ? ");
}

TEST(RedisCommand, InlineCommand) {
  const Command c = DescribeCommand(Parse("set k v\r\n", StreamKind::kRequests));
  EXPECT_EQ(c.operation, "SET");
  EXPECT_EQ(c.argument_count, 2u);
  EXPECT_EQ(c.text_with_keys, "SET k ?");
}

TEST(RedisCommand, Effects) {
  EXPECT_EQ(Describe({"SELECT", "2"}).select_index, "2");
  EXPECT_EQ(Describe({"select", "007"}).select_index, "7");
  EXPECT_EQ(Describe({"SELECT", "0"}).select_index, "0");
  EXPECT_EQ(Describe({"SELECT", "x"}).select_index, "");
  EXPECT_EQ(Describe({"CLIENT", "REPLY", "off"}).reply_mode, ReplyMode::kOff);
  EXPECT_EQ(Describe({"CLIENT", "REPLY", "SKIP"}).reply_mode, ReplyMode::kSkip);
  EXPECT_EQ(Describe({"CLIENT", "REPLY", "ON"}).reply_mode, ReplyMode::kOn);
  EXPECT_EQ(Describe({"CLIENT", "SETNAME", "off"}).reply_mode, ReplyMode::kUnchanged);
  EXPECT_TRUE(Describe({"RESET"}).reset);
  EXPECT_TRUE(Describe({"monitor"}).monitor);
  EXPECT_EQ(Describe({"SUBSCRIBE", "a", "b"}).pubsub, PubSubKind::kSubscribe);
  EXPECT_EQ(Describe({"psubscribe", "n*"}).pubsub, PubSubKind::kPSubscribe);
  EXPECT_EQ(Describe({"SUNSUBSCRIBE"}).pubsub, PubSubKind::kSUnsubscribe);
  EXPECT_EQ(Describe({"PUBLISH", "ch", "m"}).pubsub, PubSubKind::kNone);
}

TEST(RedisCommand, NotACommand) {
  EXPECT_EQ(Describe({"G\x01T", "k"}).operation, "");
  EXPECT_EQ(DescribeCommand(Parse("+OK\r\n", StreamKind::kUnknown)).operation, "");
  EXPECT_FALSE(CouldBeCommand(Parse("+OK\r\n", StreamKind::kUnknown)));
  EXPECT_FALSE(CouldBeCommand(Parse("*2\r\n:1\r\n:2\r\n", StreamKind::kUnknown)));
  EXPECT_FALSE(CouldBeCommand(Parse("*0\r\n", StreamKind::kUnknown)));
  EXPECT_FALSE(CouldBeCommand(Parse("*-1\r\n", StreamKind::kUnknown)));
  EXPECT_TRUE(CouldBeCommand(Parse(Resp({"GET", "k"}), StreamKind::kUnknown)));
  EXPECT_TRUE(CouldBeCommand(Parse("PING\r\n", StreamKind::kUnknown)));
}

TEST(RedisCommandTable, KnowsCommandsAndLayouts) {
  EXPECT_TRUE(IsKnownCommand("get"));
  EXPECT_TRUE(IsKnownCommand("ZRANGEBYSCORE"));
  EXPECT_FALSE(IsKnownCommand("GETT"));
  EXPECT_TRUE(IsContainerCommand("CONFIG"));
  EXPECT_FALSE(IsContainerCommand("GET"));
  EXPECT_EQ(KeyLayoutOf("GET"), KeyLayout::kFirst);
  EXPECT_EQ(KeyLayoutOf("AUTH"), KeyLayout::kNone);
  EXPECT_EQ(KeyLayoutOf("HELLO"), KeyLayout::kNone);
  EXPECT_EQ(KeyLayoutOf("MGET"), KeyLayout::kAll);
  EXPECT_EQ(KeyLayoutOf("MSETNX"), KeyLayout::kAlternate);
  EXPECT_EQ(KeyLayoutOf("CLIENT KILL"), KeyLayout::kNone);
  EXPECT_EQ(KeyLayoutOf("XINFO STREAM"), KeyLayout::kFirst);
}

TEST(RedisReply, ErrorsReportOnlyTheirPrefix) {
  const Reply wrongtype =
      DescribeBytes("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  EXPECT_TRUE(wrongtype.error);
  EXPECT_EQ(wrongtype.error_code, "WRONGTYPE");
  EXPECT_EQ(DescribeBytes("-ERR unknown command 'foo'\r\n").error_code, "ERR");
  EXPECT_EQ(DescribeBytes("-MOVED 3999 127.0.0.1:6381\r\n").error_code, "MOVED");
  EXPECT_EQ(DescribeBytes("!21\r\nSYNTAX invalid syntax\r\n").error_code, "SYNTAX");
  EXPECT_EQ(DescribeBytes("-oops lower case\r\n").error_code, "ERR");
  EXPECT_EQ(DescribeBytes("-\r\n").error_code, "ERR");
  EXPECT_FALSE(DescribeBytes("+OK\r\n").error);
}

TEST(RedisReply, StatusWordsAndFeedLines) {
  EXPECT_EQ(DescribeBytes("+OK\r\n").status, ReplyStatus::kOk);
  EXPECT_EQ(DescribeBytes("+QUEUED\r\n").status, ReplyStatus::kQueued);
  EXPECT_EQ(DescribeBytes("+RESET\r\n").status, ReplyStatus::kReset);
  EXPECT_EQ(DescribeBytes("+PONG\r\n").status, ReplyStatus::kOther);
  EXPECT_TRUE(DescribeBytes("+1700000000.123456 [0 127.0.0.1:5000] \"GET\" \"k\"\r\n").feed_line);
  EXPECT_FALSE(DescribeBytes("+OK\r\n").feed_line);
}

TEST(RedisReply, PubSubShapes) {
  const Reply confirmation = DescribeBytes("*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
  EXPECT_EQ(confirmation.confirmation, PubSubKind::kSubscribe);
  EXPECT_EQ(confirmation.subscriptions, 1);
  EXPECT_FALSE(confirmation.push);
  const Reply unsubscribed = DescribeBytes("*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
  EXPECT_EQ(unsubscribed.confirmation, PubSubKind::kUnsubscribe);
  EXPECT_EQ(unsubscribed.subscriptions, 0);
  const Reply pushed = DescribeBytes(">3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:2\r\n");
  EXPECT_TRUE(pushed.push);
  EXPECT_EQ(pushed.confirmation, PubSubKind::kPSubscribe);
  EXPECT_TRUE(DescribeBytes("*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n").pubsub_message);
  EXPECT_TRUE(
      DescribeBytes("*4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$2\r\nhi\r\n").pubsub_message);
  EXPECT_TRUE(DescribeBytes("*3\r\n$8\r\nsmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n").pubsub_message);
  // Strings only: an LRANGE reply, never a confirmation.
  EXPECT_EQ(DescribeBytes("*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n$1\r\n1\r\n").confirmation,
            PubSubKind::kNone);
  EXPECT_FALSE(DescribeBytes("*2\r\n$7\r\nmessage\r\n$2\r\nch\r\n").pubsub_message);
  const Reply invalidate = DescribeBytes(">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n");
  EXPECT_TRUE(invalidate.push);
  EXPECT_EQ(invalidate.confirmation, PubSubKind::kNone);
}

}  // namespace
}  // namespace otelbpf::redis
