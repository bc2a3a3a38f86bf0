// HTTP/1.x on the protocol seam: the connection stitcher (in-order request/response matching)
// behind the ConnectionParser contract, spans by the stable HTTP semantic conventions.
#include "http_capture.h"
#include "protocols/common/protocol.h"
#include "protocols/http1/http1_exchange.h"

namespace otelbpf::http1 {
namespace {

class Http1Parser final : public ConnectionParser {
 public:
  explicit Http1Parser(const ParserSetup& setup) : stitcher_(setup.role, setup.switch_targets) {}

  void OnData(const Piece& p) override {
    stitcher_.OnData(p.direction, p.bytes, p.length, p.start_ns, p.end_ns, p.tid, p.tcp_seq);
  }
  void OnClose(uint64_t ns, bool reset) override { stitcher_.OnClose(ns, reset); }
  bool Rest() override { return !stitcher_.resting() && stitcher_.Rest(); }

  void Drain(const ConnectionInfo& connection, const SpanBuildOptions& options,
             std::vector<ExchangeSpan>& out) override {
    auto& done = stitcher_.completed();
    // Without a role there is no SERVER or CLIENT to say: such exchanges are dropped.
    if (connection.role != ConnectionRole::kUnknown) {
      for (const Exchange& x : done) {
        ExchangeSpan s;
        s.span = BuildSpan(x, connection, options);
        s.origin = BuildSpanOrigin(x);
        s.first_byte_ns = x.request.first_byte_ns;
        s.last_byte_ns = x.response ? x.response->last_byte_ns : x.request.last_byte_ns;
        out.push_back(std::move(s));
      }
    }
    std::vector<Exchange>().swap(done);  // an idle connection keeps no capacity
  }

  ConnectionRole role() const override { return stitcher_.role(); }
  bool abandoned() const override { return stitcher_.abandoned(); }
  std::unique_ptr<ProtocolSwitch> TakeSwitch() override { return stitcher_.TakeSwitch(); }
  ParserCounters counters() const override {
    ParserCounters c;
    c.parse_errors = stitcher_.parse_errors();
    c.unmatched_responses = stitcher_.unmatched_responses();
    c.dropped_requests = stitcher_.dropped_requests();
    return c;
  }

 private:
  ConnectionStitcher stitcher_;
};

std::unique_ptr<ConnectionParser> MakeParser(const ParserSetup& setup) {
  return std::make_unique<Http1Parser>(setup);
}

}  // namespace

extern const Protocol kProtocol;
const Protocol kProtocol = {OTELBPF_PROTO_HTTP1, "http1", SemanticFamily::kHttp, &MakeParser};

}  // namespace otelbpf::http1
