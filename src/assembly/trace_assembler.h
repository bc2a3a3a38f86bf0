// Trace assembly: decides each span's trace and parent, then releases it sampled or not.
//
// A span's parent usually finishes after it (a server answers after its outgoing call
// returned), so spans are held for a short, bounded time and linked when they are released:
//   - same-host stitching: a SERVER span whose connection's other end is a CLIENT span on this
//     host (same 4-tuple mirrored, same request TCP sequence number, or same exchange index
//     where there is none) is that client's child;
//   - in-process: a CLIENT span is the child of the one SERVER span of its process that was
//     served on the same thread and whose time window contains it; two or more: no link;
//   - otherwise the request's valid traceparent (a SERVER's caller, or what a CLIENT
//     propagated) is the parent; otherwise the span starts a new trace.
// The sampling decision is taken once, for the span that roots the trace on this host, and
// every span linked below it shares it. Full rules and their limits: docs/design.md,
// "Trace assembly".
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "protocols/common/connection.h"
#include "trace/ids.h"
#include "trace/sampler.h"
#include "trace/span_origin.h"

namespace otelbpf {

struct AssemblyLimits {
  // How long a span waits after it arrives for its parent and for rival parents to show up.
  uint64_t hold_ns = 500'000'000;
  // A span that found no parent when its hold ended waits this much longer before it leaves as
  // a trace's root, so children reported just after it (other CPU, next ring-buffer batch, the
  // same-host clock slack) can still find it.
  uint64_t root_grace_ns = 100'000'000;
  // Spans held at once (~2.5 KiB each, so ~40 MiB at most); beyond it the oldest trace is
  // released early with the links it has.
  size_t max_held_spans = 16384;
  // Same-host stitching compares two processes' syscall times: the client may see the last
  // response byte a little before the server's write returns. Slack allowed, then clamped.
  uint64_t same_host_slack_ns = 5'000'000;
  // --stitch-same-host=false: SERVER spans are never linked to local CLIENT spans by their
  // connection (only by a traceparent that travelled, e.g. with --propagate=headers).
  bool stitch_same_host = true;
};

struct AssemblyStats {
  uint64_t spans = 0;                 // spans received
  uint64_t linked_same_host = 0;      // SERVER spans stitched under a local CLIENT span
  uint64_t linked_in_process = 0;     // CLIENT spans under their process's SERVER span
  uint64_t linked_propagated = 0;     // spans under the local span their ids on the wire name
  uint64_t joined_remote = 0;         // spans whose parent is a valid incoming traceparent
  uint64_t new_traces = 0;            // spans that started a trace
  uint64_t ambiguous_in_process = 0;  // CLIENT spans left unlinked: several SERVER candidates
  uint64_t released_early = 0;        // spans released before their hold ended (memory cap)
  uint64_t decided_on_arrival = 0;    // spans that left at once: nothing could change them
  uint64_t sampled_out = 0;           // spans of unsampled traces (never encoded or exported)
  // Spans of sampled traces not exported because they, or the local span they are linked
  // below, matched routes.ignored_patterns (Add's `suppress`).
  uint64_t ignored = 0;
};

// One exchange of one connection, named from the client's side (its local and peer
// endpoints, and where the exchange sits on the connection): the server's span computes the
// same key with its endpoints swapped. The position is the request's TCP sequence number when
// the kernel gave one (exact, whatever either end missed), else the exchange's index. Plain
// fields, no string building per span.
struct ExchangeKey {
  std::string client_address, server_address;
  uint16_t client_port = 0, server_port = 0;
  // Set where the same tuple can exist in several network namespaces (StitchingNamespace):
  // two containers' loopback connections are not one connection.
  uint32_t netns = 0;
  bool by_tcp_seq = false;  // `position` is a TCP sequence number, not an index
  uint64_t position = 0;
  bool operator==(const ExchangeKey&) const = default;
};
struct ExchangeKeyHash {
  size_t operator()(const ExchangeKey& k) const;
};

class TraceAssembler {
 public:
  using Emit = std::function<void(Span&&)>;  // sampled spans only, ids and parent set

  TraceAssembler(const Sampler& sampler, AssemblyLimits limits, Emit emit);
  ~TraceAssembler();

  // `now_ns` on the spans' clock (unix ns). The span's own ids are overwritten. `suppress`: the
  // span is assembled like any other (it gets ids and can be a parent) but neither it nor any
  // span linked below it here is emitted (a health check's own calls belong to it); its parent,
  // if any, is emitted without it.
  void Add(Span span, const ConnectionInfo& connection, const SpanOrigin& origin, uint64_t now_ns,
           bool suppress = false);
  // Releases the spans whose hold has ended.
  void Advance(uint64_t now_ns);
  // Releases everything (shutdown).
  void Flush();

  size_t held() const { return held_.size(); }
  size_t settled() const { return settled_.size(); }
  const AssemblyStats& stats() const { return stats_; }

 private:
  struct Held;
  struct Trace {
    TraceId trace_id{};
    std::string trace_state;
    bool sampled = true;
  };
  // A span that left, as far as its late children need it: its trace, its id, its window.
  struct Settled {
    Trace trace;
    SpanId span_id{};
    uint64_t start_ns = 0, end_ns = 0;
    uint64_t expire_ns = 0;
    SpanKind kind = SpanKind::kInternal;
    ExchangeKey exchange_key;  // CLIENT: its exchange
    uint64_t thread_key = 0;   // SERVER: its thread
    bool suppressed = false;   // late children are not emitted either
  };
  struct NoParent {};
  using ParentChoice = std::variant<NoParent, Held*, const Settled*, const TraceContext*>;

  ParentChoice FindParent(Held& span);
  ParentChoice FindWireParent(Held& span);  // for spans whose ids the kernel chose
  ParentChoice FindSameHostClient(const Held& server);
  bool ServerInsideClient(const Span& server, uint64_t client_start, uint64_t client_end) const;
  // Keeps a span that arrived undecided: indexed, and due when its hold ends (or waiting for
  // its held same-host CLIENT at once).
  void Hold(Held&& arriving, bool parent_is_held);
  // A CLIENT span arrived: the SERVER span of the same exchange waiting for it is decided now.
  void WakeWaitingServer(const ExchangeKey& key);
  // The held SERVER span waiting for `client` (same exchange, window inside it), taken out of
  // the waiting index; nullptr when none.
  Held* TakeWaitingServer(const Held& client);
  // The hold ended: wait for a held parent, or become a root candidate.
  void Resolve(Held& span, uint64_t root_ready_ns);
  // The grace ended: wait for a parent found meanwhile, or leave as a root.
  void ReleaseIfStillRoot(Held& span);
  // Acts on a choice that is final: waits for a held parent, leaves under a released one.
  // False when the choice names no local parent (the caller decides what a root does).
  bool TakeLocalParent(Held& span, const ParentChoice& parent);
  bool WaitForHeldParent(Held& span, Held* parent);
  void ReleaseUnder(Held& span, const Settled& parent);
  void ReleaseAsRoot(Held& span, const TraceContext* remote_parent);
  void ReleaseTree(Held& root, const Trace& trace);
  void LinkChild(const Span& parent, Held& child);
  bool WouldCycle(const Held& child, const Held* parent) const;
  void Unindex(const Held& span);
  // What a released span leaves behind for children that arrive after it (ids, window).
  void Settle(const Held& span, const Trace& trace);
  void ExpireSettled();
  void ReleaseOldest();

  const Sampler& sampler_;
  AssemblyLimits limits_;
  Emit emit_;
  IdGenerator ids_;
  uint64_t clock_ns_ = 0;
  uint64_t next_seq_ = 0;
  std::map<uint64_t, std::unique_ptr<Held>> held_;  // by arrival order
  std::vector<uint64_t> due_;                       // arrival order = deadline order
  size_t due_head_ = 0;
  std::multimap<uint64_t, uint64_t> root_candidates_;  // ready time -> seq
  // SERVER spans by (pid << 32 | tid): in-process parents for CLIENT spans.
  std::unordered_map<uint64_t, std::vector<Held*>> servers_by_thread_;
  // CLIENT spans by exchange (client's endpoints and index): same-host parents for SERVERs.
  std::unordered_map<ExchangeKey, Held*, ExchangeKeyHash> clients_by_exchange_;
  // Held SERVER spans still looking for their same-host CLIENT, by the same key.
  std::unordered_map<ExchangeKey, Held*, ExchangeKeyHash> servers_by_exchange_;
  // Released spans that may still be a parent, kept `hold + root grace` after they left.
  std::deque<Settled> settled_;  // release order = expiry order
  uint64_t settled_base_ = 0;    // id of settled_.front()
  std::unordered_map<ExchangeKey, uint64_t, ExchangeKeyHash> settled_clients_;
  std::unordered_map<uint64_t, std::deque<uint64_t>> settled_servers_;  // by thread
  AssemblyStats stats_;
};

}  // namespace otelbpf
