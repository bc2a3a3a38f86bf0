// The registry is the one list of protocols: in enum order, each name unique, each with a parser.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "http_capture.h"
#include "protocols/registry.h"

namespace otelbpf {
namespace {

TEST(ProtocolRegistry, ListsEveryProtocolOnceInEnumOrder) {
  auto all = RegisteredProtocols();
  ASSERT_EQ(all.size(), static_cast<size_t>(OTELBPF_PROTO_COUNT - 1));
  std::set<std::string> names;
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i]->id, i + 1) << all[i]->name << " is out of enum order";
    EXPECT_TRUE(names.insert(std::string(all[i]->name)).second) << all[i]->name;
    EXPECT_NE(all[i]->make_parser, nullptr) << all[i]->name;
    EXPECT_NE(all[i]->family, SemanticFamily::kNone) << all[i]->name;
    EXPECT_EQ(ProtocolById(all[i]->id), all[i]);
    EXPECT_EQ(ProtocolByName(all[i]->name), all[i]);
  }
}

TEST(ProtocolRegistry, UnknownIdsAndNamesFindNothing) {
  EXPECT_EQ(ProtocolById(OTELBPF_PROTO_UNKNOWN), nullptr) << "a zeroed field is no protocol";
  EXPECT_EQ(ProtocolById(OTELBPF_PROTO_COUNT), nullptr);
  EXPECT_EQ(ProtocolById(255), nullptr);
  EXPECT_EQ(ProtocolByName("gopher"), nullptr);
}

TEST(ProtocolRegistry, NamesAreWhatUsersType) {
  EXPECT_EQ(ProtocolById(OTELBPF_PROTO_HTTP1)->name, "http1");
  EXPECT_EQ(ProtocolById(OTELBPF_PROTO_DNS)->name, "dns");
  EXPECT_EQ(ProtocolById(OTELBPF_PROTO_REDIS)->family, SemanticFamily::kDb);
}

TEST(ProtocolRegistry, EveryParserStartsQuietAndSurvivesAClose) {
  for (const Protocol* p : RegisteredProtocols()) {
    ParserSetup setup;
    setup.role = ConnectionRole::kClient;
    auto parser = p->make_parser(setup);
    ASSERT_NE(parser, nullptr) << p->name;
    parser->OnClose(1000, false);
    std::vector<ExchangeSpan> out;
    ConnectionInfo info;
    info.role = ConnectionRole::kClient;
    parser->Drain(info, SpanBuildOptions{}, out);
    EXPECT_TRUE(out.empty()) << p->name;
    EXPECT_FALSE(parser->abandoned()) << p->name;
  }
}

}  // namespace
}  // namespace otelbpf
