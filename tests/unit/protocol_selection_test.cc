// --protocols / OTEL_EBPF_PROTOCOLS and --protocol-port, parsed against the registry.
#include <gtest/gtest.h>

#include "http_capture.h"
#include "protocols/selection.h"

namespace otelbpf {
namespace {

TEST(ProtocolSelection, AllOrEmptyMeansEverything) {
  std::string error;
  EXPECT_EQ(ParseProtocolList("all", &error), ~0u);
  EXPECT_EQ(ParseProtocolList("", &error), ~0u);
}

TEST(ProtocolSelection, ListsAndAliases) {
  std::string error;
  auto mask = ParseProtocolList("http, redis ,mariadb", &error);
  ASSERT_TRUE(mask) << error;
  EXPECT_EQ(*mask, (1u << OTELBPF_PROTO_HTTP1) | (1u << OTELBPF_PROTO_REDIS) | (1u << OTELBPF_PROTO_MYSQL));
}

TEST(ProtocolSelection, UnknownNamesAreClearErrors) {
  std::string error;
  EXPECT_FALSE(ParseProtocolList("http1,gopher", &error));
  EXPECT_NE(error.find("unknown protocol 'gopher'"), std::string::npos) << error;
  EXPECT_NE(error.find("redis"), std::string::npos) << "the error lists what is known: " << error;
  EXPECT_FALSE(ParseProtocolList(",", &error));
}

TEST(ProtocolSelection, PortHints) {
  std::string error;
  auto hint = ParseProtocolPort("redis=6380", &error);
  ASSERT_TRUE(hint) << error;
  EXPECT_EQ(hint->protocol, OTELBPF_PROTO_REDIS);
  EXPECT_EQ(hint->port, 6380);
  for (const char* bad : {"redis", "redis=", "redis=0", "redis=70000", "redis=12x", "nope=1"}) {
    EXPECT_FALSE(ParseProtocolPort(bad, &error)) << bad;
    EXPECT_NE(error.find("PROTOCOL=PORT"), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace otelbpf
