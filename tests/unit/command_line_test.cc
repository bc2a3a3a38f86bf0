// process.command_line leaves the machine on every resource: secret values are masked.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "discovery/command_line.h"

namespace otelbpf {
namespace {

std::string Masked(std::vector<std::string_view> argv) { return MaskedCommandLine(argv); }

TEST(MaskedCommandLine, PlainArgumentsStayAsTheyAre) {
  EXPECT_EQ(Masked({"/usr/bin/curl", "-s", "http://127.0.0.1:8080/a?x=1"}),
            "/usr/bin/curl -s http://127.0.0.1:8080/a?x=1");
  EXPECT_EQ(Masked({"nginx", "-p", "/tmp/x"}), "nginx -p /tmp/x") << "-p is a prefix for nginx";
}

TEST(MaskedCommandLine, RedisCliPasswordFlag) {
  EXPECT_EQ(Masked({"redis-cli", "-p", "6380", "-a", "hunter2", "GET", "k"}),
            "redis-cli -p 6380 -a **** GET k");
  EXPECT_EQ(Masked({"/usr/bin/redis-cli", "--pass", "hunter2"}), "/usr/bin/redis-cli --pass ****");
  EXPECT_EQ(Masked({"python3", "-a", "notasecret"}), "python3 -a notasecret");
}

TEST(MaskedCommandLine, MysqlAttachedPassword) {
  EXPECT_EQ(Masked({"mysql", "-uroot", "-phunter2", "-h", "db"}), "mysql -uroot -p**** -h db");
  EXPECT_EQ(Masked({"mariadb", "-p"}), "mariadb -p") << "a bare -p prompts: nothing to hide";
  EXPECT_EQ(Masked({"mysql", "--password=hunter2"}), "mysql --password=****");
}

TEST(MaskedCommandLine, SecretLookingLongFlagsWithEqualsOrNextArgument) {
  EXPECT_EQ(Masked({"app", "--token=abc", "--api-key", "xyz", "--port", "80"}),
            "app --token=**** --api-key **** --port 80");
  EXPECT_EQ(Masked({"app", "--DB_PASSWORD=abc"}), "app --DB_PASSWORD=****");
  EXPECT_EQ(Masked({"app", "--client-secret", "abc"}), "app --client-secret ****");
}

TEST(MaskedCommandLine, UrlCredentials) {
  EXPECT_EQ(Masked({"psql", "postgres://alice:hunter2@db:5432/app?sslmode=disable"}),
            "psql postgres://alice:****@db:5432/app?sslmode=disable");
  EXPECT_EQ(Masked({"app", "--dsn=redis://:pw@127.0.0.1:6379/0"}), "app --dsn=redis://:****@127.0.0.1:6379/0");
  EXPECT_EQ(Masked({"curl", "http://user@host/p:q@r"}), "curl http://user@host/p:q@r")
      << "no password in the authority; '@' in the path is not userinfo";
}

TEST(MaskedCommandLine, SecretKeyValuePairsInsideAnArgument) {
  EXPECT_EQ(Masked({"psql", "host=db port=5432 password=hunter2 dbname=app"}),
            "psql host=db port=5432 password=**** dbname=app");
  EXPECT_EQ(Masked({"curl", "http://h/p?a=1&access_token=xyz&b=2"}), "curl http://h/p?a=1&access_token=****&b=2");
  EXPECT_EQ(Masked({"env", "DB_PASSWORD=x", "HOME=/root"}), "env DB_PASSWORD=**** HOME=/root");
  EXPECT_EQ(Masked({"app", "a=b=c", "=x", "key="}), "app a=b=c =x key=");
}

TEST(MaskedCommandLine, TheLastFlagWithoutValueMasksNothingElse) {
  EXPECT_EQ(Masked({"app", "--password"}), "app --password");
  EXPECT_EQ(Masked({"app", "--", "-x"}), "app -- -x");
}

TEST(SplitCommandLine, NulSeparatedBlock) {
  const std::string block("redis-cli\0-a\0pw\0", 16);
  const auto argv = SplitCommandLine(block);
  ASSERT_EQ(argv.size(), 3u);
  EXPECT_EQ(argv[2], "pw");
  EXPECT_TRUE(SplitCommandLine(std::string_view()).empty());
}

}  // namespace
}  // namespace otelbpf
