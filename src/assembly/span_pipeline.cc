#include "assembly/span_pipeline.h"

#include <time.h>

#include <algorithm>
#include <utility>

namespace otelbpf {

uint64_t MonotonicToRealtimeOffsetNs() {
  // Bracket the realtime read between two monotonic reads and take the midpoint: the offset is
  // then accurate to half the (sub-microsecond) gap.
  timespec m1, r, m2;
  clock_gettime(CLOCK_MONOTONIC, &m1);
  clock_gettime(CLOCK_REALTIME, &r);
  clock_gettime(CLOCK_MONOTONIC, &m2);
  auto ns = [](const timespec& t) {
    return static_cast<uint64_t>(t.tv_sec) * 1000000000ull + t.tv_nsec;
  };
  return ns(r) - (ns(m1) + ns(m2)) / 2;
}

void AddKernelContext(const KernelContext& kernel, uint64_t monotonic_to_realtime_ns, Span& span) {
  span.attributes.push_back({AttributeKey::Static(kAttrTcpRetransmits),
                             static_cast<int64_t>(kernel.retransmits.size())});
  if (kernel.srtt_us)
    span.attributes.push_back(
        {AttributeKey::Static(kAttrTcpRtt), static_cast<double>(kernel.srtt_us) / 1e6});
  for (const Retransmit& r : kernel.retransmits) {
    span.events.push_back({r.monotonic_ns + monotonic_to_realtime_ns,
                           kEventTcpRetransmit,
                           {{kAttrTcpState, std::string(TcpStateName(r.tcp_state))},
                            {kAttrTcpSide, std::string(r.by_peer ? "peer" : "local")}}});
  }
}

SpanPipeline::SpanPipeline(uint64_t monotonic_to_realtime_ns, SamplerConfig sampler,
                           AssemblyLimits limits)
    : sampler_(sampler),
      assembler_(sampler_, limits, [this](Span&& span) { Deliver(std::move(span)); }),
      monotonic_to_realtime_ns_(monotonic_to_realtime_ns) {}

void SpanPipeline::OnExchange(ExchangeSpan& exchange, const ConnectionInfo& connection) {
  // Retransmissions and RTT exist only for TCP; a UDP span carries no TCP attributes.
  if (connection.transport == Transport::kTcp)
    AddKernelContext(connection.kernel, monotonic_to_realtime_ns_, exchange.span);
  exchange.origin.wire = connection.kernel.wire;
  if (peer_services_ && exchange.span.kind == SpanKind::kClient) {
    if (auto peer = peer_services_(connection.peer.address)) {
      exchange.span.attributes.push_back(
          {AttributeKey::Static("service.peer.name"), std::move(peer->name)});
      if (!peer->name_space.empty())
        exchange.span.attributes.push_back(
            {AttributeKey::Static("service.peer.namespace"), std::move(peer->name_space)});
    }
  }
  OnSpan(std::move(exchange.span), connection, exchange.origin);
}

void SpanPipeline::SetRoutes(const routes::RouteOptions& options, std::vector<std::string>* errors) {
  routes_ = std::make_unique<routes::RouteDecorator>(options, errors);
}

void SpanPipeline::OnSpan(Span span, const ConnectionInfo& connection, const SpanOrigin& origin) {
  ++spans_;
  if (!emit_own_telemetry_ && span.resource && !span.resource->own_telemetry.empty()) {
    ++spans_left_to_sdk_;
    return;
  }
  routes::RouteVerdict verdict;
  if (routes_) verdict = routes_->Decorate(span);
  if (verdict.metrics) {
    for (SpanSink* sink : every_span_sinks_) sink->Consume(span);
  }
  if (sampler_.NeverSamples()) return;  // nothing of it can be exported: skip assembly
  const uint64_t now = std::max(last_tick_unix_ns_, span.end_time_unix_nano);
  // An ignored span still goes through assembly, unexported: its children (a health check's
  // database ping) find it, and are withheld with it instead of starting traces of their own.
  assembler_.Add(std::move(span), connection, origin, now, /*suppress=*/!verdict.traces);
}

void SpanPipeline::Tick(uint64_t now_monotonic_ns) {
  last_tick_unix_ns_ = now_monotonic_ns + monotonic_to_realtime_ns_;
  assembler_.Advance(last_tick_unix_ns_);
}

void SpanPipeline::Deliver(Span&& span) {
  if (sinks_.empty()) return;
  for (size_t i = 0; i + 1 < sinks_.size(); ++i) sinks_[i]->Consume(span);
  sinks_.back()->ConsumeOwned(std::move(span));  // the last one takes it: no copy
}

}  // namespace otelbpf
