// Trace assembly for single exchanges: turns each exchange into a span with fresh W3C ids and
// hands it to every sink. (Parent/child links and sampling build on this; see issue 4.)
#pragma once

#include <cstdint>
#include <vector>

#include "capture/connection.h"
#include "export/span_sink.h"
#include "protocols/http1/http1_exchange.h"
#include "trace/ids.h"

namespace otelbpf {

// CLOCK_REALTIME - CLOCK_MONOTONIC now: kernel timestamps are monotonic, spans want wall time.
uint64_t MonotonicToRealtimeOffsetNs();

class SpanPipeline {
 public:
  explicit SpanPipeline(uint64_t monotonic_to_realtime_ns) { options_.monotonic_to_realtime_ns = monotonic_to_realtime_ns; }
  void AddSink(SpanSink* sink) { sinks_.push_back(sink); }
  void OnExchange(const http1::Exchange& exchange, const ConnectionInfo& connection);
  uint64_t spans() const { return spans_; }

 private:
  http1::SpanBuildOptions options_;
  IdGenerator ids_;
  std::vector<SpanSink*> sinks_;
  uint64_t spans_ = 0;
};

}  // namespace otelbpf
