#include "assembly/trace_assembler.h"

#include <algorithm>
#include <utility>

namespace otelbpf {
namespace {

ExchangeKey MakeExchangeKey(const Endpoint& client_local, const Endpoint& client_peer,
                            uint64_t index) {
  return {client_local.address, client_peer.address, client_local.port, client_peer.port, index};
}

uint64_t ThreadKey(uint32_t pid, uint32_t tid) { return static_cast<uint64_t>(pid) << 32 | tid; }

// The incoming context a choice names, or nullptr (no parent, or a held one ignored).
template <typename Choice>
const TraceContext* RemoteParent(const Choice& choice) {
  const TraceContext* const* remote = std::get_if<const TraceContext*>(&choice);
  return remote ? *remote : nullptr;
}

}  // namespace

size_t ExchangeKeyHash::operator()(const ExchangeKey& k) const {
  // boost-style mixing of the fields' own hashes.
  size_t h = std::hash<std::string>{}(k.client_address);
  auto mix = [&h](size_t v) { h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2); };
  mix(std::hash<std::string>{}(k.server_address));
  mix(static_cast<size_t>(k.client_port) << 16 | k.server_port);
  mix(std::hash<uint64_t>{}(k.index));
  return h;
}

struct TraceAssembler::Held {
  uint64_t seq = 0;
  Span span;
  SpanOrigin origin;
  uint32_t pid = 0;
  // CLIENT: its own exchange; SERVER: its client's. Only when `stitchable`.
  ExchangeKey exchange_key;
  bool stitchable = false;
  uint64_t deadline_ns = 0;
  Held* waiting_on = nullptr;  // set once the hold ended and a held parent was chosen
  bool in_process_ambiguous = false;  // saw two SERVER candidates once: never linked in-process
  std::vector<Held*> waiters;  // spans whose hold ended and that wait for this one
  // SERVER spans: position in servers_by_thread_'s vector, so leaving it is O(1). An event
  // loop's thread holds thousands of spans under load: a linear removal made assembly
  // quadratic (40 % of the agent's CPU at 44k requests/s).
  size_t thread_slot = 0;
  // A span whose ids the kernel chose (origin.wire) with a parent: that parent as a remote
  // context, for when it is not held here (gone, or another host's).
  TraceContext wire_parent;
};

struct TraceAssembler::Trace {
  TraceId trace_id{};
  std::string trace_state;
  bool sampled = true;
};

TraceAssembler::TraceAssembler(const Sampler& sampler, AssemblyLimits limits, Emit emit)
    : sampler_(sampler), limits_(limits), emit_(std::move(emit)) {}

TraceAssembler::~TraceAssembler() = default;

void TraceAssembler::Add(Span span, const ConnectionInfo& connection, const SpanOrigin& origin,
                         uint64_t now_ns) {
  ++stats_.spans;
  clock_ns_ = std::max(clock_ns_, now_ns);
  if (held_.size() >= limits_.max_held_spans) ReleaseOldest();

  auto held = std::make_unique<Held>();
  Held& h = *held;
  h.seq = next_seq_++;
  h.span = std::move(span);
  h.span.span_id = origin.wire ? origin.wire->span_id : ids_.NewSpanId();
  h.span.parent_span_id = SpanId{};
  h.origin = origin;
  if (origin.wire) {
    h.wire_parent.trace_id = origin.wire->trace_id;
    h.wire_parent.span_id = origin.wire->parent_span_id;
    h.wire_parent.sampled = origin.wire->sampled;
  }
  h.pid = connection.pid;
  h.deadline_ns = clock_ns_ + limits_.hold_ns;
  if (h.span.kind == SpanKind::kServer && origin.tid != 0) {
    std::vector<Held*>& servers = servers_by_thread_[ThreadKey(h.pid, origin.tid)];
    h.thread_slot = servers.size();
    servers.push_back(&h);
  }
  if (origin.exchange_index) {
    if (h.span.kind == SpanKind::kClient) {
      h.exchange_key = MakeExchangeKey(connection.local, connection.peer, *origin.exchange_index);
      h.stitchable = true;
      clients_by_exchange_[h.exchange_key] = &h;
    } else if (h.span.kind == SpanKind::kServer) {
      h.exchange_key = MakeExchangeKey(connection.peer, connection.local, *origin.exchange_index);
      h.stitchable = true;
    }
  }
  due_.push_back(h.seq);
  held_.emplace(h.seq, std::move(held));
}

void TraceAssembler::Advance(uint64_t now_ns) {
  clock_ns_ = std::max(clock_ns_, now_ns);
  while (due_head_ < due_.size()) {
    auto it = held_.find(due_[due_head_]);
    if (it == held_.end()) {  // already released with its trace
      ++due_head_;
      continue;
    }
    if (it->second->deadline_ns > clock_ns_) break;
    ++due_head_;
    Resolve(*it->second, it->second->deadline_ns + limits_.root_grace_ns);
  }
  while (!root_candidates_.empty() && root_candidates_.begin()->first <= clock_ns_) {
    const uint64_t seq = root_candidates_.begin()->second;
    root_candidates_.erase(root_candidates_.begin());
    auto it = held_.find(seq);
    if (it != held_.end() && it->second->waiting_on == nullptr) ReleaseIfStillRoot(*it->second);
  }
  if (due_head_ > 4096 && due_head_ * 2 > due_.size()) {
    due_.erase(due_.begin(), due_.begin() + static_cast<std::ptrdiff_t>(due_head_));
    due_head_ = 0;
  }
}

void TraceAssembler::Flush() {
  const uint64_t clock = clock_ns_;
  Advance(UINT64_MAX - limits_.hold_ns - limits_.root_grace_ns);
  clock_ns_ = clock;
  while (!held_.empty()) ReleaseOldest();  // only if something waits on a span never resolved
}

TraceAssembler::Held* TraceAssembler::FindSameHostClient(const Held& server) {
  if (!server.stitchable || !limits_.stitch_same_host) return nullptr;
  auto it = clients_by_exchange_.find(server.exchange_key);
  if (it == clients_by_exchange_.end() || it->second == &server) return nullptr;
  const Span& c = it->second->span;
  const Span& s = server.span;
  // The server's work must lie within the client's wait, give or take clock slack.
  if (s.start_time_unix_nano + limits_.same_host_slack_ns < c.start_time_unix_nano) return nullptr;
  if (c.end_time_unix_nano + limits_.same_host_slack_ns < s.end_time_unix_nano) return nullptr;
  return it->second;
}

TraceAssembler::ParentChoice TraceAssembler::FindWireParent(Held& span) {
  const WireContext& wire = *span.origin.wire;
  if (!IsValid(wire.parent_span_id)) return NoParent{};  // the kernel started the trace here
  // The parent may be held here: the SERVER span this thread was serving (a CLIENT's parent),
  // or the local CLIENT whose injected traceparent this SERVER read. Only that very span id.
  Held* local = nullptr;
  if (span.span.kind == SpanKind::kClient && span.origin.tid != 0) {
    auto it = servers_by_thread_.find(ThreadKey(span.pid, span.origin.tid));
    if (it != servers_by_thread_.end()) {
      for (Held* server : it->second)
        if (server->span.span_id == wire.parent_span_id) local = server;
    }
  } else if (span.span.kind == SpanKind::kServer && span.stitchable) {
    auto it = clients_by_exchange_.find(span.exchange_key);
    if (it != clients_by_exchange_.end() && it->second->span.span_id == wire.parent_span_id)
      local = it->second;
  }
  if (local) return local;
  return &span.wire_parent;
}

TraceAssembler::ParentChoice TraceAssembler::FindParent(Held& span) {
  // Ids already on the wire decide: any other link would split the trace from its next hop.
  if (span.origin.wire) return FindWireParent(span);
  const std::optional<TraceContext>& carried = span.origin.incoming;
  if (span.span.kind == SpanKind::kServer) {
    // A local caller's CLIENT span beats the traceparent: a proxy forwards its own caller's
    // traceparent unchanged, and the local link is the exact one.
    if (Held* client = FindSameHostClient(span)) return client;
  } else if (span.span.kind == SpanKind::kClient && span.origin.tid != 0 &&
             !span.in_process_ambiguous) {
    auto it = servers_by_thread_.find(ThreadKey(span.pid, span.origin.tid));
    Held* only = nullptr;
    size_t candidates = 0;
    if (it != servers_by_thread_.end()) {
      for (Held* server : it->second) {
        const Span& s = server->span;
        if (s.start_time_unix_nano <= span.span.start_time_unix_nano &&
            span.span.end_time_unix_nano <= s.end_time_unix_nano) {
          only = server;
          if (++candidates > 1) break;  // ambiguous already: no need to count them all
        }
      }
    }
    if (candidates == 1) return only;
    if (candidates > 1) {  // one thread, several requests in flight: an event loop
      span.in_process_ambiguous = true;
      ++stats_.ambiguous_in_process;
    }
  }
  if (carried) return &*carried;
  return NoParent{};
}

bool TraceAssembler::WouldCycle(const Held& child, const Held* parent) const {
  for (size_t steps = 0; parent != nullptr && steps <= held_.size(); ++steps) {
    if (parent == &child) return true;
    parent = parent->waiting_on;
  }
  return parent != nullptr;
}

bool TraceAssembler::WaitForHeldParent(Held& span, const ParentChoice& parent) {
  Held* const* local = std::get_if<Held*>(&parent);
  if (!local || WouldCycle(span, *local)) return false;
  span.waiting_on = *local;
  (*local)->waiters.push_back(&span);
  return true;
}

void TraceAssembler::Resolve(Held& span, uint64_t root_ready_ns) {
  if (!WaitForHeldParent(span, FindParent(span))) root_candidates_.emplace(root_ready_ns, span.seq);
}

void TraceAssembler::ReleaseIfStillRoot(Held& span) {
  const ParentChoice parent = FindParent(span);
  if (!WaitForHeldParent(span, parent)) ReleaseAsRoot(span, RemoteParent(parent));
}

void TraceAssembler::ReleaseAsRoot(Held& span, const TraceContext* remote_parent) {
  Trace trace;
  if (remote_parent) {
    trace.trace_id = remote_parent->trace_id;
    trace.trace_state = remote_parent->trace_state;
    trace.sampled = sampler_.ShouldSample(trace.trace_id, *remote_parent);
    span.span.parent_span_id = remote_parent->span_id;
    ++stats_.joined_remote;
  } else {
    // A trace the kernel started (its id is on the wire) keeps that id; the kernel applied
    // this sampler's root rule to it already, so the decision is the same.
    trace.trace_id = span.origin.wire ? span.origin.wire->trace_id : ids_.NewTraceId();
    trace.sampled = sampler_.ShouldSample(trace.trace_id, std::nullopt);
    span.span.parent_span_id = SpanId{};
    ++stats_.new_traces;
  }
  ReleaseTree(span, trace);
}

void TraceAssembler::ReleaseTree(Held& root, const Trace& trace) {
  if (root.waiting_on) {  // released early: it no longer waits for its parent
    auto& siblings = root.waiting_on->waiters;
    siblings.erase(std::remove(siblings.begin(), siblings.end(), &root), siblings.end());
    root.waiting_on = nullptr;
  }
  std::vector<Held*> stack{&root};
  std::vector<Held*> relinked;  // waiters that chose another parent meanwhile: resolve again
  while (!stack.empty()) {
    Held& x = *stack.back();
    stack.pop_back();
    // Re-check each waiter while x is still indexed: a rival parent may have arrived since.
    std::vector<Held*> children;
    for (Held* w : x.waiters) {
      w->waiting_on = nullptr;
      ParentChoice again = FindParent(*w);
      Held** local = std::get_if<Held*>(&again);
      (local && *local == &x ? children : relinked).push_back(w);
    }
    x.waiters.clear();
    x.span.trace_id = trace.trace_id;
    x.span.trace_state = trace.trace_state;
    const SpanId id = x.span.span_id;
    const uint64_t start = x.span.start_time_unix_nano, end = x.span.end_time_unix_nano;
    for (Held* c : children) {
      Span& cs = c->span;
      cs.parent_span_id = id;
      // Children lie inside their parents (same-host slack is the only way out).
      cs.start_time_unix_nano = std::clamp(cs.start_time_unix_nano, start, end);
      cs.end_time_unix_nano = std::clamp(cs.end_time_unix_nano, cs.start_time_unix_nano, end);
      if (c->origin.wire)
        ++stats_.linked_propagated;  // linked by the ids on the wire (--propagate=headers)
      else
        ++(cs.kind == SpanKind::kServer ? stats_.linked_same_host : stats_.linked_in_process);
      stack.push_back(c);
    }
    Unindex(x);
    auto node = held_.extract(x.seq);
    if (trace.sampled) {
      emit_(std::move(node.mapped()->span));
    } else {
      ++stats_.sampled_out;
    }
  }
  for (Held* w : relinked) {
    // Their hold and grace are over: they leave with the next Advance unless a parent shows.
    if (held_.count(w->seq) && w->waiting_on == nullptr) Resolve(*w, clock_ns_);
  }
}

void TraceAssembler::Unindex(const Held& span) {
  if (span.span.kind == SpanKind::kServer && span.origin.tid != 0) {
    auto it = servers_by_thread_.find(ThreadKey(span.pid, span.origin.tid));
    if (it != servers_by_thread_.end()) {
      std::vector<Held*>& v = it->second;
      const size_t slot = span.thread_slot;
      if (slot < v.size() && v[slot] == &span) {  // swap-remove, keeping slots right
        v[slot] = v.back();
        v[slot]->thread_slot = slot;
        v.pop_back();
      }
      if (v.empty()) servers_by_thread_.erase(it);
    }
  }
  if (span.span.kind == SpanKind::kClient && span.stitchable) {
    auto it = clients_by_exchange_.find(span.exchange_key);
    if (it != clients_by_exchange_.end() && it->second == &span) clients_by_exchange_.erase(it);
  }
}

void TraceAssembler::ReleaseOldest() {
  if (held_.empty()) return;
  // Release the trace the oldest span belongs to, from its topmost known ancestor.
  Held* top = held_.begin()->second.get();
  while (top->waiting_on) top = top->waiting_on;
  ++stats_.released_early;
  ReleaseAsRoot(*top, RemoteParent(FindParent(*top)));
}

}  // namespace otelbpf
