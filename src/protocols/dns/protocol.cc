// DNS on the protocol seam: one socket's queries and responses (UDP datagrams or TCP framing)
// matched by id, one CLIENT span per lookup. The kernel announces only the clients of DNS
// servers (UDP or TCP to port 53), so every span here is a CLIENT span.
#include "http_capture.h"
#include "protocols/common/protocol.h"
#include "protocols/dns/socket_stitcher.h"
#include "protocols/dns/span_builder.h"

namespace otelbpf::dns {
namespace {

class DnsParser final : public ConnectionParser {
 public:
  explicit DnsParser(const ParserSetup& setup)
      : transport_(setup.transport), stitcher_(setup.transport) {}

  void OnData(const Piece& p) override {
    // The resolver runs in the caller's thread: a lookup made while serving a request is that
    // request's child. The last thread that used the socket stands for its lookups.
    last_tid_ = p.tid;
    stitcher_.OnData(p.direction, p.bytes, p.length, p.start_ns, p.end_ns);
  }
  void OnClose(uint64_t ns, bool) override { stitcher_.OnClose(ns); }
  void Expire(uint64_t now_ns) override { stitcher_.Expire(now_ns); }

  void Drain(const ConnectionInfo& connection, const SpanBuildOptions& options,
             std::vector<ExchangeSpan>& out) override {
    for (const Exchange& x : stitcher_.completed()) {
      ExchangeSpan s;
      s.span = BuildDnsSpan(x, connection, options.monotonic_to_realtime_ns);
      s.origin.tid = last_tid_;
      // Over TCP, a lookup's position on its connection lets a DNS server on this host find
      // its CLIENT span; a UDP socket talks to any number of servers, so it has no position.
      if (transport_ == Transport::kTcp) s.origin.exchange_index = index_++;
      s.first_byte_ns = x.query_start_ns;
      s.last_byte_ns = x.end_ns;
      out.push_back(std::move(s));
    }
    stitcher_.completed().clear();
  }

  ConnectionRole role() const override { return ConnectionRole::kClient; }
  ParserCounters counters() const override {
    ParserCounters c;
    c.parse_errors = stitcher_.parse_errors();
    return c;
  }

 private:
  Transport transport_;
  SocketStitcher stitcher_;
  uint32_t last_tid_ = 0;
  uint64_t index_ = 0;
};

std::unique_ptr<ConnectionParser> MakeParser(const ParserSetup& setup) {
  return std::make_unique<DnsParser>(setup);
}

}  // namespace

extern const Protocol kProtocol;
const Protocol kProtocol = {OTELBPF_PROTO_DNS, "dns", SemanticFamily::kDns, &MakeParser};

}  // namespace otelbpf::dns
