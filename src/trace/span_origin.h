// What trace assembly needs to know about a span beyond the span itself: which thread made it,
// where it sits on its connection, and the context its request carried. Every protocol fills
// one of these next to its Span and hands both to SpanPipeline::OnSpan.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "trace/span.h"

namespace otelbpf {

// A remote parent: the W3C Trace Context (traceparent + tracestate) a request carried.
// Only valid contexts are ever built (see trace/traceparent.h).
struct TraceContext {
  TraceId trace_id{};
  SpanId span_id{};
  bool sampled = false;     // trace-flags bit 0
  std::string trace_state;  // the tracestate header as received (validated), may be empty
};

// The ids the kernel already put on the wire for this span (--propagate=headers,
// bpf/propagation.bpf.h): a CLIENT span's request carried them in its traceparent, or a SERVER
// span's outgoing calls continued them. The span must keep them, since the next hop has them.
struct WireContext {
  uint64_t request_start_ns = 0;  // monotonic time of the request's first byte, as the tracker
                                  // dates it (send: syscall start; receive: syscall exit)
  TraceId trace_id{};
  SpanId span_id{};
  SpanId parent_span_id{};  // all zero: the trace starts with this span
  bool sampled = false;
};

struct SpanOrigin {
  // The thread (kernel pid) that received the request (SERVER) or sent it (CLIENT); 0: unknown.
  // In-process parent/child links need it (docs/design.md, "Trace assembly").
  uint32_t tid = 0;
  // CLIENT spans of Go goroutines started by the one `tid` names (connection tracker): when
  // `tid` started them (unix ns). Only a request `tid` was already serving then can be the
  // parent; one it took up afterwards did not start them. 0: the call was made on `tid` itself.
  uint64_t started_by_parent_unix_nano = 0;
  // Position of the exchange on its connection (0 = first one seen). Set by request/response
  // protocols over TCP; it is what lets a SERVER span find its CLIENT span when both ends of
  // the connection are on this host. Empty: the span takes no part in same-host stitching.
  std::optional<uint64_t> exchange_index;
  // TCP sequence number of the request's first byte in the client-to-server stream: both ends
  // of a same-host connection see the same number for the same request, whatever either side's
  // capture missed (a read blocked when otelbpf started, lost events), so same-host stitching
  // keys on it first and falls back to exchange_index only without it.
  std::optional<uint32_t> request_tcp_seq;
  // The context the request carried (SERVER spans), already validated; empty when none.
  std::optional<TraceContext> incoming;
  // Set when the kernel chose this span's ids (see WireContext): they win over every rule.
  std::optional<WireContext> wire;
  // False when the connection tracker has proven that no local parent can still arrive: a
  // CLIENT span made on a thread that never received on a server connection (no in-process
  // parent can exist), or a SERVER span whose connection's other end is not watched on this
  // host (no same-host CLIENT will come). Assembly then decides the span at once instead of
  // holding it. True (the default) keeps the hold.
  bool local_parent_may_follow = true;
};

}  // namespace otelbpf
