// What HTTP/1 hands trace assembly next to each span: the request's thread, the exchange's
// index on its connection, and the traceparent/tracestate it carried.
#include <gtest/gtest.h>

#include "protocols/http1/http1_exchange.h"
#include "trace/ids.h"

namespace otelbpf::http1 {
namespace {

std::vector<Exchange> Exchanges(ConnectionRole role, const std::vector<std::string>& requests) {
  ConnectionStitcher stitcher(role);
  std::vector<Exchange> out;
  uint64_t t = 100;
  uint32_t tid = 500;
  const Direction in = role == ConnectionRole::kServer ? Direction::kRecv : Direction::kSend;
  const Direction back = in == Direction::kRecv ? Direction::kSend : Direction::kRecv;
  for (const std::string& request : requests) {
    stitcher.OnData(in, request, request.size(), t, t + 1, tid++);
    const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    stitcher.OnData(back, response, response.size(), t + 5, t + 6, 999);
    t += 10;
    for (Exchange& x : stitcher.completed()) out.push_back(std::move(x));
    stitcher.completed().clear();
  }
  return out;
}

TEST(TraceHttp1Origin, ThreadIndexAndTraceparent) {
  auto xs = Exchanges(ConnectionRole::kServer,
                {"GET /a HTTP/1.1\r\nHost: x\r\n"
                 "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n"
                 "TraceState: rojo=1\r\ntracestate: congo=2\r\n\r\n",
                 "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"});
  ASSERT_EQ(xs.size(), 2u);
  SpanOrigin first = BuildSpanOrigin(xs[0]);
  EXPECT_EQ(first.tid, 500u);  // the thread that read the request, not the one that answered
  EXPECT_EQ(first.exchange_index, 0u);
  ASSERT_TRUE(first.incoming);
  EXPECT_EQ(ToHex(first.incoming->trace_id), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(first.incoming->trace_state, "rojo=1,congo=2");
  SpanOrigin second = BuildSpanOrigin(xs[1]);
  EXPECT_EQ(second.tid, 501u);
  EXPECT_EQ(second.exchange_index, 1u);
  EXPECT_FALSE(second.incoming);
}

TEST(TraceHttp1Origin, MalformedOrRepeatedTraceparentIsIgnored) {
  auto xs = Exchanges(ConnectionRole::kClient,
                {"GET / HTTP/1.1\r\ntraceparent: 00-4BF92F3577B34DA6A3CE929D0E0E4736-"
                 "00F067AA0BA902B7-01\r\n\r\n",
                 "GET / HTTP/1.1\r\n"
                 "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n"
                 "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n\r\n"});
  ASSERT_EQ(xs.size(), 2u);
  EXPECT_FALSE(BuildSpanOrigin(xs[0]).incoming);
  EXPECT_FALSE(BuildSpanOrigin(xs[1]).incoming);
}

}  // namespace
}  // namespace otelbpf::http1
