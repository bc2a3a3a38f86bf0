#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "assembly/span_pipeline.h"

namespace otelbpf {
namespace {

class KeepingSink : public SpanSink {
 public:
  void Consume(const Span& span) override { spans.push_back(span); }
  void Shutdown() override {}
  std::vector<Span> spans;
};

std::string StringAttr(const Span& span, std::string_view key) {
  const AttributeValue* v = FindAttribute(span.attributes, key);
  return v && std::holds_alternative<std::string>(*v) ? std::get<std::string>(*v) : "";
}

TEST(SpanPipelinePeerService, ClientSpansNameTheServiceAtTheirPeer) {
  SpanPipeline pipeline(0, SamplerConfig{}, AssemblyLimits{});
  pipeline.SetPeerServiceLookup([](std::string_view address) -> std::optional<SpanPipeline::PeerService> {
    if (address == "10.244.1.7") return SpanPipeline::PeerService{"payments", "shop"};
    return std::nullopt;
  });
  KeepingSink every;
  pipeline.AddEverySpanSink(&every);
  auto resource = std::make_shared<Resource>();
  for (const auto& [kind, peer] : {std::pair{SpanKind::kClient, "10.244.1.7"},
                                   std::pair{SpanKind::kClient, "10.244.1.8"},
                                   std::pair{SpanKind::kServer, "10.244.1.7"}}) {
    ExchangeSpan exchange;
    exchange.span.kind = kind;
    exchange.span.resource = resource;
    exchange.span.start_time_unix_nano = 1;
    exchange.span.end_time_unix_nano = 2;
    ConnectionInfo connection;
    connection.transport = Transport::kUdp;  // no TCP context attributes in the way
    connection.peer = {peer, 8080};
    pipeline.OnExchange(exchange, connection);
  }
  ASSERT_EQ(every.spans.size(), 3u);
  EXPECT_EQ(StringAttr(every.spans[0], "service.peer.name"), "payments");
  EXPECT_EQ(StringAttr(every.spans[0], "service.peer.namespace"), "shop");
  EXPECT_EQ(FindAttribute(every.spans[1].attributes, "service.peer.name"), nullptr) << "unknown peer";
  EXPECT_EQ(FindAttribute(every.spans[2].attributes, "service.peer.name"), nullptr)
      << "a SERVER span's peer is its caller, not a service it calls";
}

}  // namespace
}  // namespace otelbpf
