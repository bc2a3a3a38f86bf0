// Trace assembly: every protocol builds its spans and hands them here (OnSpan) with a
// SpanOrigin; the pipeline gives them ids, links parents and children, samples whole traces and
// hands the spans on to every sink. See docs/design.md, "Trace assembly".
#pragma once

#include <cstdint>
#include <vector>

#include "capture/connection.h"
#include "export/span_sink.h"
#include "protocols/http1/http1_exchange.h"
#include "trace/ids.h"
#include "trace/span_origin.h"

namespace otelbpf {

// What only the kernel knows, on every span of a TCP connection (docs/design.md). Not in the
// semantic conventions, hence our own namespace.
inline constexpr const char* kAttrTcpRetransmits =
    "otelbpf.tcp.retransmits";                                 // int: during the span
inline constexpr const char* kAttrTcpRtt = "otelbpf.tcp.rtt";  // double: smoothed RTT, s
inline constexpr const char* kEventTcpRetransmit = "otelbpf.tcp.retransmit";  // one event each
inline constexpr const char* kAttrTcpState = "otelbpf.tcp.state";             // on that event
inline constexpr const char* kAttrTcpSide =
    "otelbpf.tcp.side";  // on that event: "local" or "peer" socket

// Appends the kernel's view of the exchange (retransmissions, RTT) to a span.
void AddKernelContext(const KernelContext& kernel, uint64_t monotonic_to_realtime_ns, Span& span);

// CLOCK_REALTIME - CLOCK_MONOTONIC now: kernel timestamps are monotonic, spans want wall time.
uint64_t MonotonicToRealtimeOffsetNs();

class SpanPipeline {
 public:
  explicit SpanPipeline(uint64_t monotonic_to_realtime_ns) {
    options_.monotonic_to_realtime_ns = monotonic_to_realtime_ns;
  }
  void AddSink(SpanSink* sink) { sinks_.push_back(sink); }
  // Any protocol's span: ids, parent and sampling are decided here (fields the builder set for
  // them are overwritten). Times are the span's own (unix ns).
  void OnSpan(Span span, const ConnectionInfo& connection, const SpanOrigin& origin);
  // HTTP/1: build the span, then OnSpan.
  void OnExchange(const http1::Exchange& exchange, const ConnectionInfo& connection);
  uint64_t spans() const { return spans_; }

 private:
  http1::SpanBuildOptions options_;
  IdGenerator ids_;
  std::vector<SpanSink*> sinks_;
  uint64_t spans_ = 0;
};

}  // namespace otelbpf
