// Trace assembly: every protocol builds its spans and hands them here (OnSpan) with a
// SpanOrigin; the pipeline gives them ids, links parents and children, samples whole traces and
// hands the spans on to every sink. See docs/design.md, "Trace assembly".
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <memory>
#include <string>
#include <vector>

#include "protocols/common/connection.h"
#include "protocols/common/protocol.h"
#include "trace/span_sink.h"
#include "trace/ids.h"
#include "trace/sampler.h"
#include "trace/span_origin.h"
#include "assembly/trace_assembler.h"
#include "routes/route_decorator.h"

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
  explicit SpanPipeline(uint64_t monotonic_to_realtime_ns, SamplerConfig sampler = {},
                        AssemblyLimits limits = {});
  // Sampled spans, once assembled (ids and parent set): exporters, console. The sink added
  // last takes each span (SpanSink::ConsumeOwned): add the one that keeps spans last.
  void AddSink(SpanSink* sink) { sinks_.push_back(sink); }
  // Every span, sampled or not, as soon as it arrives and before it has ids: span-derived
  // metrics must count all requests.
  void AddEverySpanSink(SpanSink* sink) { every_span_sinks_.push_back(sink); }
  // Routes (docs/design.md, "Routes"): from now on every HTTP span gets its route or template
  // and span name before any sink or assembly sees it, and ignored paths are withheld from
  // metrics and/or traces. Invalid patterns are skipped, one message each in `errors`.
  void SetRoutes(const routes::RouteOptions& options, std::vector<std::string>* errors = nullptr);

  // Any protocol's span: ids, parent and sampling are decided here (fields the builder set for
  // them are overwritten). Times are the span's own (unix ns). Assembly holds a span briefly
  // (AssemblyLimits::hold_ns): call Tick regularly and Flush at shutdown.
  void OnSpan(Span span, const ConnectionInfo& connection, const SpanOrigin& origin);
  // Any protocol's completed exchange from the connection tracker: adds the kernel's view of
  // it (TCP retransmissions and RTT, ids put on the wire), then OnSpan. Moves the span out.
  void OnExchange(ExchangeSpan& exchange, const ConnectionInfo& connection);
  // Releases the spans whose hold ended; `now` on CLOCK_MONOTONIC.
  void Tick(uint64_t now_monotonic_ns);
  // Releases every held span (shutdown), before the sinks shut down.
  void Flush() { assembler_.Flush(); }

  // Who is at a peer address, as an orchestrator knows it (Kubernetes: the pod's service):
  // CLIENT spans to that address get service.peer.name (and service.peer.namespace), so a
  // service graph reads "checkout -> payments" rather than two addresses. nullopt: unknown.
  struct PeerService {
    std::string name;
    std::string name_space;
  };
  using PeerServiceLookup = std::function<std::optional<PeerService>(std::string_view address)>;
  void SetPeerServiceLookup(PeerServiceLookup lookup) { peer_services_ = std::move(lookup); }

  // Spans of processes that export their own traces (Resource::own_telemetry) are dropped
  // here, before request metrics (their SDK reports both) and assembly: a neighbour's span
  // then joins the SDK's span through the traceparent the SDK put on the wire. true: they are
  // emitted like any other (--trace-sdk-processes).
  void EmitProcessesWithOwnTelemetry(bool emit) { emit_own_telemetry_ = emit; }

  uint64_t spans() const { return spans_; }
  uint64_t spans_left_to_sdk() const { return spans_left_to_sdk_; }
  const AssemblyStats& assembly_stats() const { return assembler_.stats(); }
  const SamplerConfig& sampler_config() const { return sampler_.config(); }
  // All zero without SetRoutes.
  routes::RouteCounters route_counters() const {
    return routes_ ? routes_->counters() : routes::RouteCounters{};
  }

 private:
  void Deliver(Span&& span);

  Sampler sampler_;
  TraceAssembler assembler_;
  uint64_t monotonic_to_realtime_ns_;
  std::vector<SpanSink*> sinks_;
  std::vector<SpanSink*> every_span_sinks_;
  std::unique_ptr<routes::RouteDecorator> routes_;
  uint64_t spans_ = 0;
  bool emit_own_telemetry_ = false;
  PeerServiceLookup peer_services_;
  uint64_t spans_left_to_sdk_ = 0;
  uint64_t last_tick_unix_ns_ = 0;
};

}  // namespace otelbpf
