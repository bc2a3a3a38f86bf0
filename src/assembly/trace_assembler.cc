#include "assembly/trace_assembler.h"

#include <algorithm>
#include <utility>

namespace otelbpf {
namespace {

ExchangeKey MakeExchangeKey(const Endpoint& client_local, const Endpoint& client_peer,
                            uint32_t netns, const SpanOrigin& origin) {
  ExchangeKey key{client_local.address, client_peer.address, client_local.port, client_peer.port};
  key.netns = StitchingNamespace(client_local, client_peer, netns);
  key.by_tcp_seq = origin.request_tcp_seq.has_value();
  key.position = key.by_tcp_seq ? *origin.request_tcp_seq : origin.exchange_index.value_or(0);
  return key;
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
  mix(static_cast<size_t>(k.netns) << 32 | static_cast<size_t>(k.client_port) << 16 |
      k.server_port);
  mix(std::hash<uint64_t>{}(k.position) ^ k.by_tcp_seq);
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
  Held* waiting_on = nullptr;         // set once the hold ended and a held parent was chosen
  bool in_process_ambiguous = false;  // saw two SERVER candidates once: never linked in-process
  std::vector<Held*> waiters;         // spans whose hold ended and that wait for this one
  // SERVER spans: position in servers_by_thread_'s vector, so leaving it is O(1). An event
  // loop's thread holds thousands of spans under load: a linear removal made assembly
  // quadratic (40 % of the agent's CPU at 44k requests/s).
  size_t thread_slot = 0;
  // A span whose ids the kernel chose (origin.wire) with a parent: that parent as a remote
  // context, for when it is not held here (gone, or another host's).
  TraceContext wire_parent;
  bool indexed = false;  // held (in held_ and the indexes); false while deciding on arrival
  // Not emitted: it matched routes.ignored_patterns, or it is linked below a span that did.
  bool suppressed = false;
};

TraceAssembler::TraceAssembler(const Sampler& sampler, AssemblyLimits limits, Emit emit)
    : sampler_(sampler), limits_(limits), emit_(std::move(emit)) {}

TraceAssembler::~TraceAssembler() = default;

void TraceAssembler::Add(Span span, const ConnectionInfo& connection, const SpanOrigin& origin,
                         uint64_t now_ns, bool suppress) {
  ++stats_.spans;
  clock_ns_ = std::max(clock_ns_, now_ns);

  // Built on the stack: most spans are decided on arrival and never need a heap node or an
  // index entry (at tens of thousands of spans a second, those were most of assembly's cost).
  Held h;
  h.seq = next_seq_++;
  h.suppressed = suppress;
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
  if ((origin.request_tcp_seq || origin.exchange_index) &&
      (h.span.kind == SpanKind::kClient || h.span.kind == SpanKind::kServer)) {
    h.stitchable = true;
    h.exchange_key = h.span.kind == SpanKind::kClient
                         ? MakeExchangeKey(connection.local, connection.peer, connection.netns, origin)
                         : MakeExchangeKey(connection.peer, connection.local, connection.netns,
                                           origin);
  }
  const ParentChoice parent = FindParent(h);
  const Settled* const* gone = std::get_if<const Settled*>(&parent);
  if (gone && (h.span.kind == SpanKind::kServer || !h.origin.local_parent_may_follow)) {
    // Its parent already left (the usual order for a same-host SERVER and its CLIENT). A CLIENT
    // that may still see a rival SERVER on its thread waits out its hold instead.
    ++stats_.decided_on_arrival;
    ReleaseUnder(h, **gone);
  } else if (!std::holds_alternative<Held*>(parent) && !h.origin.local_parent_may_follow &&
             !h.origin.wire) {
    // Nothing that arrives later can become its parent: it leaves now as a root.
    ++stats_.decided_on_arrival;
    ReleaseAsRoot(h, RemoteParent(parent));
  } else {
    Hold(std::move(h), std::holds_alternative<Held*>(parent));
  }
}

void TraceAssembler::Hold(Held&& arriving, bool parent_is_held) {
  if (held_.size() >= limits_.max_held_spans) ReleaseOldest();
  auto node = std::make_unique<Held>(std::move(arriving));
  Held& h = *node;
  h.indexed = true;
  h.deadline_ns = clock_ns_ + limits_.hold_ns;
  if (h.span.kind == SpanKind::kServer && h.origin.tid != 0) {
    std::vector<Held*>& servers = servers_by_thread_[ThreadKey(h.pid, h.origin.tid)];
    h.thread_slot = servers.size();
    servers.push_back(&h);
  }
  held_.emplace(h.seq, std::move(node));
  if (h.stitchable && h.span.kind == SpanKind::kClient) {
    clients_by_exchange_[h.exchange_key] = &h;
    // A CLIENT decided on arrival took its waiting SERVER along (ReleaseTree); a held one makes
    // it wait now.
    WakeWaitingServer(h.exchange_key);
  }
  // A SERVER whose same-host CLIENT (or the local span its wire ids name) is held: no rival can
  // come, so it waits for that one now. Looked up again: making room may have released it.
  if (h.span.kind == SpanKind::kServer && parent_is_held) {
    const ParentChoice parent = FindParent(h);
    if (TakeLocalParent(h, parent)) {
      ++stats_.decided_on_arrival;
      return;
    }
  }
  due_.push_back(h.seq);
  if (h.span.kind == SpanKind::kServer && h.stitchable && limits_.stitch_same_host)
    servers_by_exchange_[h.exchange_key] = &h;
}

TraceAssembler::Held* TraceAssembler::TakeWaitingServer(const Held& client) {
  if (client.span.kind != SpanKind::kClient || !client.stitchable) return nullptr;
  auto it = servers_by_exchange_.find(client.exchange_key);
  if (it == servers_by_exchange_.end()) return nullptr;
  Held* server = it->second;
  if (server->waiting_on != nullptr ||
      !ServerInsideClient(server->span, client.span.start_time_unix_nano,
                          client.span.end_time_unix_nano))
    return nullptr;  // not this exchange's server after all: its own hold decides
  servers_by_exchange_.erase(it);
  return server;
}

void TraceAssembler::WakeWaitingServer(const ExchangeKey& key) {
  auto it = servers_by_exchange_.find(key);
  if (it == servers_by_exchange_.end()) return;
  Held& server = *it->second;
  servers_by_exchange_.erase(it);
  if (server.waiting_on != nullptr) return;
  const ParentChoice parent = FindSameHostClient(server);
  if (std::holds_alternative<NoParent>(parent)) return;  // outside its window: the hold decides
  if (TakeLocalParent(server, parent)) ++stats_.decided_on_arrival;
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
    // Linked before its hold ended (its same-host CLIENT arrived): it leaves with its parent.
    if (it->second->waiting_on != nullptr) continue;
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
  ExpireSettled();
}

void TraceAssembler::Flush() {
  const uint64_t clock = clock_ns_;
  Advance(UINT64_MAX - limits_.hold_ns - limits_.root_grace_ns);
  clock_ns_ = clock;
  while (!held_.empty()) ReleaseOldest();  // only if something waits on a span never resolved
}

bool TraceAssembler::ServerInsideClient(const Span& server, uint64_t client_start,
                                        uint64_t client_end) const {
  // The server's work must lie within the client's wait, give or take clock slack.
  return server.start_time_unix_nano + limits_.same_host_slack_ns >= client_start &&
         client_end + limits_.same_host_slack_ns >= server.end_time_unix_nano;
}

TraceAssembler::ParentChoice TraceAssembler::FindSameHostClient(const Held& server) {
  if (!server.stitchable || !limits_.stitch_same_host) return NoParent{};
  auto inside = [&](uint64_t client_start, uint64_t client_end) {
    return ServerInsideClient(server.span, client_start, client_end);
  };
  auto it = clients_by_exchange_.find(server.exchange_key);
  if (it != clients_by_exchange_.end()) {
    if (it->second == &server) return NoParent{};
    const Span& c = it->second->span;
    if (inside(c.start_time_unix_nano, c.end_time_unix_nano)) return it->second;
    return NoParent{};
  }
  auto gone = settled_clients_.find(server.exchange_key);
  if (gone == settled_clients_.end()) return NoParent{};
  const Settled& c = settled_[gone->second - settled_base_];
  if (inside(c.start_ns, c.end_ns)) return &c;
  return NoParent{};
}

TraceAssembler::ParentChoice TraceAssembler::FindWireParent(Held& span) {
  const WireContext& wire = *span.origin.wire;
  if (!IsValid(wire.parent_span_id)) return NoParent{};  // the kernel started the trace here
  // The parent may be here: the SERVER span this thread was serving (a CLIENT's parent), or the
  // local CLIENT whose injected traceparent this SERVER read. Only that very span id.
  if (span.span.kind == SpanKind::kClient && span.origin.tid != 0) {
    const uint64_t thread = ThreadKey(span.pid, span.origin.tid);
    auto it = servers_by_thread_.find(thread);
    if (it != servers_by_thread_.end()) {
      for (Held* server : it->second)
        if (server->span.span_id == wire.parent_span_id) return server;
    }
    auto gone = settled_servers_.find(thread);
    if (gone != settled_servers_.end()) {
      for (uint64_t id : gone->second)
        if (settled_[id - settled_base_].span_id == wire.parent_span_id)
          return &settled_[id - settled_base_];
    }
  } else if (span.span.kind == SpanKind::kServer && span.stitchable) {
    auto it = clients_by_exchange_.find(span.exchange_key);
    if (it != clients_by_exchange_.end() && it->second->span.span_id == wire.parent_span_id)
      return it->second;
    auto gone = settled_clients_.find(span.exchange_key);
    if (gone != settled_clients_.end() &&
        settled_[gone->second - settled_base_].span_id == wire.parent_span_id)
      return &settled_[gone->second - settled_base_];
  }
  return &span.wire_parent;
}

TraceAssembler::ParentChoice TraceAssembler::FindParent(Held& span) {
  // Ids already on the wire decide: any other link would split the trace from its next hop.
  if (span.origin.wire) return FindWireParent(span);
  const std::optional<TraceContext>& carried = span.origin.incoming;
  if (span.span.kind == SpanKind::kServer) {
    // A local caller's CLIENT span beats the traceparent: a proxy forwards its own caller's
    // traceparent unchanged, and the local link is the exact one.
    ParentChoice client = FindSameHostClient(span);
    if (!std::holds_alternative<NoParent>(client)) return client;
  } else if (span.span.kind == SpanKind::kClient && span.origin.tid != 0 &&
             !span.in_process_ambiguous) {
    const uint64_t thread = ThreadKey(span.pid, span.origin.tid);
    const uint64_t start = span.span.start_time_unix_nano, end = span.span.end_time_unix_nano;
    // Made by a goroutine the thread's goroutine started: only a request served since before
    // that start (still being served at the call) is its parent.
    const uint64_t started_by_parent = span.origin.started_by_parent_unix_nano;
    const uint64_t latest_server_start = started_by_parent ? started_by_parent : start;
    ParentChoice only = NoParent{};
    size_t candidates = 0;
    auto it = servers_by_thread_.find(thread);
    if (it != servers_by_thread_.end()) {
      for (Held* server : it->second) {
        const Span& s = server->span;
        if (s.start_time_unix_nano <= std::min(start, latest_server_start) &&
            end <= s.end_time_unix_nano) {
          only = server;
          if (++candidates > 1) break;  // ambiguous already: no need to count them all
        }
      }
    }
    auto gone = settled_servers_.find(thread);
    if (candidates <= 1 && gone != settled_servers_.end()) {
      for (uint64_t id : gone->second) {
        const Settled& s = settled_[id - settled_base_];
        if (s.start_ns <= std::min(start, latest_server_start) && end <= s.end_ns) {
          only = &s;
          if (++candidates > 1) break;
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

bool TraceAssembler::WaitForHeldParent(Held& span, Held* parent) {
  if (WouldCycle(span, parent)) return false;
  span.waiting_on = parent;
  parent->waiters.push_back(&span);
  return true;
}

bool TraceAssembler::TakeLocalParent(Held& span, const ParentChoice& parent) {
  if (Held* const* held = std::get_if<Held*>(&parent)) return WaitForHeldParent(span, *held);
  if (const Settled* const* gone = std::get_if<const Settled*>(&parent)) {
    ReleaseUnder(span, **gone);
    return true;
  }
  return false;
}

void TraceAssembler::Resolve(Held& span, uint64_t root_ready_ns) {
  if (!TakeLocalParent(span, FindParent(span))) root_candidates_.emplace(root_ready_ns, span.seq);
}

void TraceAssembler::ReleaseIfStillRoot(Held& span) {
  const ParentChoice parent = FindParent(span);
  if (!TakeLocalParent(span, parent)) ReleaseAsRoot(span, RemoteParent(parent));
}

void TraceAssembler::LinkChild(const Span& parent, Held& child) {
  Span& cs = child.span;
  cs.parent_span_id = parent.span_id;
  // Children lie inside their parents (same-host slack is the only way out).
  cs.start_time_unix_nano =
      std::clamp(cs.start_time_unix_nano, parent.start_time_unix_nano, parent.end_time_unix_nano);
  cs.end_time_unix_nano =
      std::clamp(cs.end_time_unix_nano, cs.start_time_unix_nano, parent.end_time_unix_nano);
  if (child.origin.wire)
    ++stats_.linked_propagated;  // linked by the ids on the wire (--propagate=headers)
  else
    ++(cs.kind == SpanKind::kServer ? stats_.linked_same_host : stats_.linked_in_process);
}

void TraceAssembler::ReleaseUnder(Held& span, const Settled& parent) {
  Span view;  // the parent's id and window, all LinkChild reads
  view.span_id = parent.span_id;
  view.start_time_unix_nano = parent.start_ns;
  view.end_time_unix_nano = parent.end_ns;
  LinkChild(view, span);
  span.suppressed = span.suppressed || parent.suppressed;
  const Trace trace = parent.trace;  // copied: settling below may move the deque
  ReleaseTree(span, trace);
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
    for (Held* c : children) {
      LinkChild(x.span, *c);
      c->suppressed = c->suppressed || x.suppressed;
      stack.push_back(c);
    }
    if (!x.indexed) {  // decided on arrival: never held, never indexed
      // A CLIENT whose same-host SERVER came first and waits for it: that one leaves with it,
      // and nothing else can name this exchange, so nothing needs to be kept of it.
      if (Held* server = TakeWaitingServer(x)) {
        LinkChild(x.span, *server);
        server->suppressed = server->suppressed || x.suppressed;
        ++stats_.decided_on_arrival;
        stack.push_back(server);
      } else {
        Settle(x, trace);
      }
      if (!trace.sampled)
        ++stats_.sampled_out;
      else if (x.suppressed)
        ++stats_.ignored;
      else
        emit_(std::move(x.span));
      continue;
    }
    Settle(x, trace);
    Unindex(x);
    auto node = held_.extract(x.seq);
    if (!trace.sampled) {
      ++stats_.sampled_out;
    } else if (node.mapped()->suppressed) {
      ++stats_.ignored;
    } else {
      emit_(std::move(node.mapped()->span));
    }
  }
  for (Held* w : relinked) {
    // Their hold and grace are over: they leave with the next Advance unless a parent shows.
    if (held_.count(w->seq) && w->waiting_on == nullptr) Resolve(*w, clock_ns_);
  }
}

void TraceAssembler::Settle(const Held& span, const Trace& trace) {
  const bool client = span.span.kind == SpanKind::kClient && span.stitchable;
  const bool server = span.span.kind == SpanKind::kServer && span.origin.tid != 0;
  if (!client && !server) return;  // nothing can name it as a parent
  Settled s;
  s.trace = trace;
  s.span_id = span.span.span_id;
  s.start_ns = span.span.start_time_unix_nano;
  s.end_ns = span.span.end_time_unix_nano;
  s.expire_ns = clock_ns_ + limits_.hold_ns + limits_.root_grace_ns;
  s.kind = span.span.kind;
  s.suppressed = span.suppressed;
  const uint64_t id = settled_base_ + settled_.size();
  if (client) {
    s.exchange_key = span.exchange_key;
    settled_clients_[span.exchange_key] = id;
  } else {
    s.thread_key = ThreadKey(span.pid, span.origin.tid);
    settled_servers_[s.thread_key].push_back(id);
  }
  settled_.push_back(std::move(s));
}

void TraceAssembler::ExpireSettled() {
  while (!settled_.empty() && settled_.front().expire_ns <= clock_ns_) {
    const Settled& s = settled_.front();
    const uint64_t id = settled_base_;
    if (s.kind == SpanKind::kClient) {
      auto it = settled_clients_.find(s.exchange_key);
      if (it != settled_clients_.end() && it->second == id) settled_clients_.erase(it);
    } else {
      auto it = settled_servers_.find(s.thread_key);
      if (it != settled_servers_.end()) {
        if (!it->second.empty() && it->second.front() == id) it->second.pop_front();
        if (it->second.empty()) settled_servers_.erase(it);
      }
    }
    settled_.pop_front();
    ++settled_base_;
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
  if (span.stitchable) {
    auto& index = span.span.kind == SpanKind::kClient ? clients_by_exchange_ : servers_by_exchange_;
    auto it = index.find(span.exchange_key);
    if (it != index.end() && it->second == &span) index.erase(it);
  }
}

void TraceAssembler::ReleaseOldest() {
  if (held_.empty()) return;
  // Release the trace the oldest span belongs to, from its topmost known ancestor.
  Held* top = held_.begin()->second.get();
  while (top->waiting_on) top = top->waiting_on;
  ++stats_.released_early;
  const ParentChoice parent = FindParent(*top);
  if (const Settled* const* gone = std::get_if<const Settled*>(&parent)) {
    ReleaseUnder(*top, **gone);
    return;
  }
  ReleaseAsRoot(*top, RemoteParent(parent));
}

}  // namespace otelbpf
