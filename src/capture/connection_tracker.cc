#include "capture/connection_tracker.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string_view>

#include "http_capture.h"
#include "protocols/registry.h"

namespace otelbpf {

namespace {
// Retransmissions remembered per connection until the exchanges they fall into complete. Loss
// bursts beyond this keep the newest; the span's count is then a lower bound.
constexpr size_t kMaxRetransmitsPerConnection = 64;
// How long an exited process's resource still names the connection closes that trail its exit.
constexpr uint64_t kExitedMemoryNs = 10'000'000'000;
// Serving threads remembered per process (ServingThreads); beyond it, all of them serve.
constexpr size_t kMaxServingThreadsPerProcess = 4096;
}  // namespace

struct ConnectionTracker::Tracked {
  Tracked(ConnectionInfo i, std::unique_ptr<ConnectionParser> p)
      : info(std::move(i)), parser(std::move(p)) {}
  ConnectionInfo info;
  std::unique_ptr<ConnectionParser> parser;
  std::vector<Retransmit> retransmits;  // a vector: an empty std::deque already costs ~0.6 KiB
  uint32_t srtt_us = 0;
  std::vector<WireContext> wire_contexts;  // --propagate=headers, by request start
  uint32_t last_serving_tid = 0;           // the last thread NoteServingThread saw read here
  bool mirror_watched = false;             // this host's other end of it is tracked too
  bool moved_bytes = false;  // since the last Expire: a quiet connection's parser may Rest
};

// One connection end's tuple; the namespace only where the tuple alone is ambiguous
// (StitchingNamespace), so the key of the other end, swapped, is the same.
std::string TupleKey(const Endpoint& local, const Endpoint& peer, uint32_t netns) {
  return local.address + ":" + std::to_string(local.port) + "|" + peer.address + ":" +
         std::to_string(peer.port) + "@" + std::to_string(StitchingNamespace(local, peer, netns));
}

std::string FormatAddress(uint16_t family, const uint8_t* addr) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family == AF_INET) {
    inet_ntop(AF_INET, addr, buf, sizeof(buf));
  } else if (family == AF_INET6) {
    // IPv4-mapped IPv6 (::ffff:a.b.c.d) is an IPv4 peer on a dual-stack socket: say so plainly.
    static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(addr, kMapped, sizeof(kMapped)) == 0)
      inet_ntop(AF_INET, addr + 12, buf, sizeof(buf));
    else
      inet_ntop(AF_INET6, addr, buf, sizeof(buf));
  }
  return buf;
}

ConnectionTracker::ConnectionTracker(ProcessRegistry& processes, ExchangeHandler on_exchange,
                                     size_t max_connections, SpanBuildOptions span_options)
    : processes_(processes),
      on_exchange_(std::move(on_exchange)),
      span_options_(span_options),
      max_connections_(max_connections) {}

ConnectionTracker::~ConnectionTracker() = default;

void ConnectionTracker::HandleRecord(const void* data, size_t size) {
  ++stats_.records;
  if (size < sizeof(otelbpf_event_header)) {
    ++stats_.malformed_records;
    return;
  }
  otelbpf_event_header h;
  std::memcpy(&h, data, sizeof(h));
  switch (h.type) {
    case OTELBPF_EV_CONN_OPEN: {
      if (size < sizeof(otelbpf_conn_open_event)) break;
      otelbpf_conn_open_event e;
      std::memcpy(&e, data, sizeof(e));
      Open(e);
      return;
    }
    case OTELBPF_EV_DATA:
      if (size < sizeof(h) + h.captured || h.captured > OTELBPF_MAX_CAPTURE ||
          h.captured > h.length)
        break;
      Data(h, static_cast<const uint8_t*>(data) + sizeof(h));
      return;
    case OTELBPF_EV_CONN_CLOSE:
      Close(h);
      return;
    case OTELBPF_EV_PROCESS_EXIT:
      ProcessExit(h.tgid, h.end_ns);
      return;
    case OTELBPF_EV_PROCESS_EXEC:
      ProcessExec(h.tgid);
      return;
    case OTELBPF_EV_GO_SPAWN: {
      if (size < sizeof(otelbpf_go_spawn_event)) break;
      otelbpf_go_spawn_event e;
      std::memcpy(&e, data, sizeof(e));
      GoSpawn(e);
      return;
    }
    case OTELBPF_EV_TLS_SEEN:
      ++stats_.tls_connections;
      if (on_tls_seen_) on_tls_seen_(h.tgid);
      return;
    case OTELBPF_EV_TCP_RETRANSMIT: {
      if (size < sizeof(otelbpf_tcp_retransmit_event)) break;
      otelbpf_tcp_retransmit_event e;
      std::memcpy(&e, data, sizeof(e));
      TcpRetransmit(e);
      return;
    }
    case OTELBPF_EV_TCP_CONN_UP:
    case OTELBPF_EV_TCP_CONN_FAILED:
    case OTELBPF_EV_TCP_CONN_DOWN: {
      if (size < sizeof(otelbpf_tcp_conn_event)) break;
      otelbpf_tcp_conn_event e;
      std::memcpy(&e, data, sizeof(e));
      ++stats_.tcp_lifecycle_events;
      if (!on_tcp_connection_ || e.hdr.tgid == 0) return;
      TcpConnectionEvent event = DecodeTcpConnection(e);
      // An exit closes the process's sockets after its exit event: by then its resource is
      // retired, and reading /proc again would resurrect it under a stale name.
      if (event.kind != TcpConnectionEvent::Kind::kDown) {
        event.resource = Resolve(e.hdr.tgid, e.comm, e.process_start_ns);
      } else if (!(event.resource = processes_.Find(e.hdr.tgid))) {
        auto gone = recently_exited_.find(e.hdr.tgid);
        if (gone != recently_exited_.end()) event.resource = gone->second.resource;
      }
      if (!event.resource) {
        ++stats_.tcp_lifecycle_unattributed;
        return;
      }
      on_tcp_connection_(event);
      return;
    }
    case OTELBPF_EV_PROCESS_SNAPSHOT: {
      if (size < sizeof(otelbpf_process_snapshot_event)) break;
      RememberProcessSnapshot(static_cast<const uint8_t*>(data));
      return;
    }
    case OTELBPF_EV_TRACE_CONTEXT: {
      if (size < sizeof(otelbpf_trace_context_event)) break;
      otelbpf_trace_context_event e;
      std::memcpy(&e, data, sizeof(e));
      TraceContextEvent(e);
      return;
    }
    case OTELBPF_EV_DNS_LOOKUP: {
      if (size < sizeof(otelbpf_dns_lookup_event)) break;
      auto e = std::make_unique<otelbpf_dns_lookup_event>();  // 344 bytes: not on the stack
      std::memcpy(e.get(), data, sizeof(*e));
      ++stats_.dns_lookups;
      if (!on_dns_lookup_) return;
      DnsLookupEvent event = DecodeDnsLookup(*e);
      event.resource = Resolve(e->hdr.tgid, e->comm, e->process_start_ns);
      on_dns_lookup_(event);
      return;
    }
  }
  ++stats_.malformed_records;
}

void ConnectionTracker::RememberProcessSnapshot(const uint8_t* record) {
  // Read the fields in place: the event is 10 KiB.
  otelbpf_process_snapshot_event head;
  std::memcpy(&head, record, offsetof(otelbpf_process_snapshot_event, args));
  const uint32_t args_len = std::min<uint32_t>(head.args_len, OTELBPF_SNAPSHOT_ARGS);
  const uint32_t env_len = std::min<uint32_t>(head.env_len, OTELBPF_SNAPSHOT_ENV);
  ProcessSnapshot s;
  s.start_ns = head.process_start_ns;
  s.argv.assign(record + offsetof(otelbpf_process_snapshot_event, args),
                record + offsetof(otelbpf_process_snapshot_event, args) + args_len);
  s.environ_block.assign(record + offsetof(otelbpf_process_snapshot_event, env),
                         record + offsetof(otelbpf_process_snapshot_event, env) + env_len);
  s.argv_complete = args_len > 0 && args_len == head.args_total;
  s.environ_complete = env_len > 0 && env_len == head.env_total;
  ++stats_.process_snapshots;
  processes_.AddSnapshot(head.hdr.tgid, std::move(s));
}

void ConnectionTracker::TraceContextEvent(const otelbpf_trace_context_event& e) {
  Tracked* t = Find(e.hdr.tgid, e.hdr.fd, e.hdr.generation);
  if (!t) {
    ++stats_.wire_contexts_unmatched;
    return;
  }
  // A connection has at most a few requests in flight; more means they were never matched.
  constexpr size_t kMaxPending = 16;
  if (t->wire_contexts.size() >= kMaxPending) {
    t->wire_contexts.erase(t->wire_contexts.begin());
    ++stats_.wire_contexts_unmatched;
  }
  WireContext w;
  w.request_start_ns = e.hdr.start_ns;
  std::memcpy(w.trace_id.data(), e.trace_id, w.trace_id.size());
  std::memcpy(w.span_id.data(), e.span_id, w.span_id.size());
  std::memcpy(w.parent_span_id.data(), e.parent_span_id, w.parent_span_id.size());
  w.sampled = e.sampled != 0;
  t->wire_contexts.push_back(w);
  ++stats_.wire_contexts;
}

ResourcePtr ConnectionTracker::Resolve(uint32_t pid, const char (&comm)[16],
                                       uint64_t process_start_ns) {
  const bool known = processes_.Contains(pid);
  ResourcePtr r =
      processes_.Get(pid, std::string_view(comm, strnlen(comm, sizeof(comm))), process_start_ns);
  if (!known && on_described_) on_described_(pid);
  return r;
}

ConnectionTracker::Tracked* ConnectionTracker::Find(uint32_t pid, int32_t fd, uint64_t generation) {
  auto p = by_process_.find(pid);
  if (p == by_process_.end()) return nullptr;
  auto c = p->second.find(fd);
  if (c == p->second.end() || c->second->info.generation != generation) return nullptr;
  return c->second.get();
}

void ConnectionTracker::Open(const otelbpf_conn_open_event& e) {
  const auto& h = e.hdr;
  FdTable& fds = by_process_[h.tgid];
  auto existing = fds.find(h.fd);
  if (existing != fds.end()) {
    // The fd was reused without us seeing the close (lost record): end the old one first.
    End(*existing->second, h.start_ns, false);
    Unindex(*existing->second);
    fds.erase(existing);
    --connection_count_;
  }
  if (connection_count_ >= max_connections_) {
    ++stats_.connections_rejected;
    if (fds.empty()) by_process_.erase(h.tgid);
    return;
  }
  const Protocol* protocol = ProtocolById(e.protocol);
  if (!protocol) {
    // A kernel newer than this user space, or a corrupt record: nothing can parse it, so the
    // kernel is told to stop copying its bytes.
    ++stats_.connections_unknown_protocol;
    if (on_abandon_) on_abandon_(h.tgid, h.fd, h.generation);
    if (fds.empty()) by_process_.erase(h.tgid);
    return;
  }
  ConnectionInfo info;
  info.pid = h.tgid;
  info.fd = h.fd;
  info.generation = h.generation;
  info.role = static_cast<ConnectionRole>(h.role);
  info.transport = e.transport == OTELBPF_TRANSPORT_UDP ? Transport::kUdp : Transport::kTcp;
  info.protocol = e.protocol;
  info.tls = (h.flags & OTELBPF_FLAG_TLS) != 0;
  info.local = {FormatAddress(e.family, e.local_addr), e.local_port};
  info.peer = {FormatAddress(e.family, e.peer_addr), e.peer_port};
  info.netns = e.netns;
  info.resource = Resolve(h.tgid, e.comm, e.process_start_ns);
  ParserSetup setup;
  setup.role = info.role;
  setup.transport = info.transport;
  setup.learned_midstream = (h.flags & OTELBPF_FLAG_LEARNED_MIDSTREAM) != 0;
  setup.switch_targets = switch_targets_;
  auto t = std::make_unique<Tracked>(std::move(info), protocol->make_parser(setup));
  // An unconnected UDP socket has no one peer: only TCP connections have a tuple to mirror.
  if (t->info.transport == Transport::kTcp)
    by_tuple_[TupleKey(t->info.local, t->info.peer, t->info.netns)] = {h.tgid, h.fd};
  fds.emplace(h.fd, std::move(t));
  ++connection_count_;
  ++stats_.connections_opened;
}

void ConnectionTracker::Data(const otelbpf_event_header& h, const uint8_t* payload) {
  Tracked* t = Find(h.tgid, h.fd, h.generation);
  if (!t) {
    ++stats_.orphan_data;
    return;
  }
  if (h.srtt_us) t->srtt_us = h.srtt_us;
  const bool send = h.direction == OTELBPF_DIR_SEND;
  // A receive's entry time says when the process started waiting, not when bytes arrived: a
  // server blocked in recv() on an idle keep-alive connection would otherwise start its next
  // span seconds early. Its exit time is the closest we get to the arrival.
  const uint64_t start_ns = send ? h.start_ns : h.end_ns;
  Piece piece;
  piece.direction = send ? Direction::kSend : Direction::kRecv;
  piece.bytes = std::string_view(reinterpret_cast<const char*>(payload), h.captured);
  piece.length = h.length;
  piece.start_ns = start_ns;
  piece.end_ns = h.end_ns;
  piece.tid = h.goroutine ? GoroutineExecutor(h.tgid, h.goroutine, h.end_ns) : h.tid;
  if (h.flags & OTELBPF_FLAG_TCP_SEQ) piece.tcp_seq = h.tcp_seq;
  if (!send && t->info.role != ConnectionRole::kClient) NoteServingThread(*t, piece.tid);
  t->parser->OnData(piece);
  t->moved_bytes = true;
  Drain(*t);
  if (std::unique_ptr<ProtocolSwitch> handover = t->parser->TakeSwitch()) {
    SwitchProtocol(*t, std::move(handover));
  }
  if (t->parser->abandoned()) {
    ++stats_.connections_abandoned;
    if (on_abandon_) on_abandon_(h.tgid, h.fd, h.generation);
    KeepParserCounters(*t);
    Erase(h.tgid, h.fd);
  }
}

void ConnectionTracker::SwitchProtocol(Tracked& t, std::unique_ptr<ProtocolSwitch> handover) {
  const Protocol* next = ProtocolById(handover->protocol);
  if (!next) return;  // not a registered protocol: the old parser's abandoned() ends it
  KeepParserCounters(t);  // the old protocol's counts stay with it
  if (t.info.role == ConnectionRole::kUnknown) t.info.role = t.parser->role();
  ParserSetup setup;
  setup.role = t.info.role;
  setup.transport = t.info.transport;
  setup.switch_targets = switch_targets_;
  setup.switched_from = handover.get();
  t.parser = next->make_parser(setup);
  t.info.protocol = next->id;
  ++stats_.connections_switched;
  if (on_switch_) on_switch_(t.info.pid, t.info.fd, t.info.generation, next->id);
  if (handover->rest) {
    t.parser->OnData(handover->rest->View());
    Drain(t);
  }
}

void ConnectionTracker::Close(const otelbpf_event_header& h) {
  Tracked* t = Find(h.tgid, h.fd, h.generation);
  if (!t) return;
  End(*t, h.end_ns, (h.flags & OTELBPF_FLAG_RESET) != 0);
  Erase(h.tgid, h.fd);
}

void ConnectionTracker::ProcessExit(uint32_t pid, uint64_t ns) {
  ++stats_.process_exits;
  auto p = by_process_.find(pid);
  if (p != by_process_.end()) {
    for (auto& [fd, t] : p->second) {
      End(*t, ns, false);
      Unindex(*t);
    }
    connection_count_ -= p->second.size();
    by_process_.erase(p);
  }
  // Keep exited resources a few seconds for the closes that trail the exit (see the header).
  std::erase_if(recently_exited_,
                [ns](const auto& kv) { return kv.second.exit_ns + kExitedMemoryNs < ns; });
  if (ResourcePtr r = processes_.Find(pid)) {
    recently_exited_[pid] = {r, ns};
    if (on_retired_) on_retired_(r);
  }
  processes_.Forget(pid);
  serving_threads_.erase(pid);
  goroutine_executors_.erase(pid);
  go_ancestries_.erase(pid);
  go_lineage_requested_.erase(pid);
  go_call_counts_.erase(pid);
  if (on_exit_) on_exit_(pid);
}

void ConnectionTracker::ProcessExec(uint32_t pid) {
  ++stats_.process_execs;
  // Another program now: its name, service and runtime are read again at its next event (which
  // describes it to the kernel again). Connections it inherited keep the resource they had.
  processes_.Forget(pid);
  goroutine_executors_.erase(pid);
  go_ancestries_.erase(pid);
  go_lineage_requested_.erase(pid);
  go_call_counts_.erase(pid);
  if (on_exec_) on_exec_(pid);
}

void ConnectionTracker::TcpRetransmit(const otelbpf_tcp_retransmit_event& e) {
  ++stats_.retransmits;
  const auto& h = e.hdr;
  if (h.tgid == 0) {
    ++stats_.retransmits_unattributed;
    return;
  }
  auto remember = [&](Tracked& t, bool by_peer) {
    if (t.retransmits.size() == kMaxRetransmitsPerConnection)
      t.retransmits.erase(t.retransmits.begin());
    t.retransmits.push_back({h.end_ns, e.state, by_peer});
  };
  if (Tracked* t = Find(h.tgid, h.fd, h.generation)) remember(*t, false);
  Endpoint local{FormatAddress(e.family, e.local_addr), e.local_port};
  Endpoint peer{FormatAddress(e.family, e.peer_addr), e.peer_port};
  // The other end, if it is a connection we track on this host: the loss delayed it too.
  auto mirror = by_tuple_.find(TupleKey(peer, local, e.netns));
  if (mirror != by_tuple_.end()) {
    auto p = by_process_.find(mirror->second.first);
    if (p != by_process_.end()) {
      auto c = p->second.find(mirror->second.second);
      if (c != p->second.end()) remember(*c->second, true);
    }
  }
  if (on_retransmit_) on_retransmit_(processes_.Get(h.tgid, ""), local, peer, e.state);
}

void ConnectionTracker::CloseAll(uint64_t now_ns) {
  // At shutdown, requests still waiting for a response are not failures of the service:
  // report only what completed.
  for (auto& [pid, fds] : by_process_) {
    for (auto& [fd, t] : fds) {
      Drain(*t);
      KeepParserCounters(*t);
    }
  }
  by_process_.clear();
  by_tuple_.clear();
  connection_count_ = 0;
}

void ConnectionTracker::Drain(Tracked& t) {
  // A connection learned mid-stream gets its role from its bytes (who sends requests).
  if (t.info.role == ConnectionRole::kUnknown) t.info.role = t.parser->role();
  t.parser->Drain(t.info, span_options_, drained_);
  if (drained_.empty()) return;
  for (ExchangeSpan& x : drained_) {
    FillKernelContext(t, x.first_byte_ns, x.last_byte_ns);
    ++stats_.exchanges;
    ++stats_.exchanges_by_protocol[t.info.protocol < OTELBPF_PROTO_COUNT ? t.info.protocol : 0];
    if (x.span.kind == SpanKind::kClient && IsGoroutineExecutor(x.origin.tid))
      OfferToStartingRequest(t.info.pid, x.origin, t.info.transport == Transport::kTcp);
    if (x.span.kind == SpanKind::kClient && x.origin.tid != 0 &&
        !IsGoroutineExecutor(x.origin.tid) && processes_.RunsGoroutines(t.info.pid)) {
      // A Go program's call seen by thread only (no goroutine known yet): that thread ran
      // whichever goroutine was ready, so linking by it would guess. No link.
      x.origin.tid = 0;
      ++stats_.go_calls_unlinked;
    }
    x.origin.local_parent_may_follow = LocalParentMayFollow(t, x);
    on_exchange_(x, t.info);
  }
  drained_.clear();
}

uint32_t ConnectionTracker::GoroutineExecutor(uint32_t pid, uint64_t goroutine,
                                              uint64_t seen_ns, uint64_t born_ns) {
  auto& ids = goroutine_executors_[pid];
  if (ids.size() >= kMaxGoroutinesPerProcess) ids.clear();  // ids are never reused: no mix-up
  auto [it, added] = ids.try_emplace(goroutine);
  if (added || (born_ns != 0 && it->second.since_ns < born_ns)) {
    it->second.executor =
        kGoroutineExecutorBit | (next_goroutine_executor_++ & ~kGoroutineExecutorBit);
    it->second.since_ns = born_ns != 0 ? born_ns : seen_ns;
  }
  return it->second.executor;
}

void ConnectionTracker::NoteServingThread(Tracked& t, uint32_t tid) {
  if (tid == 0 || tid == t.last_serving_tid) return;
  t.last_serving_tid = tid;
  ServingThreads& threads = serving_threads_[t.info.pid];
  if (threads.all) return;
  threads.tids.insert(tid);
  if (threads.tids.size() > kMaxServingThreadsPerProcess) {
    threads.all = true;
    threads.tids = {};
  }
}

bool ConnectionTracker::ServesRequests(uint32_t pid, uint32_t tid) const {
  auto it = serving_threads_.find(pid);
  return it != serving_threads_.end() && (it->second.all || it->second.tids.count(tid) != 0);
}

void ConnectionTracker::GoSpawn(const otelbpf_go_spawn_event& e) {
  ++stats_.go_spawns;
  const uint32_t pid = e.hdr.tgid;
  auto& ancestries = go_ancestries_[pid];
  // Bounded (~2 MiB a process). After a clear, the goroutines announced before have no line:
  // their calls go unlinked, never under a wrong request.
  if (ancestries.size() >= kMaxAncestriesPerProcess) ancestries.clear();
  // Each goroutine of the line was born when the one above it started it: started_ns[i] is
  // the birth of the goroutine below parents[i].
  GoAncestry ancestry{};
  for (size_t i = 0; i < ancestry.size() && e.parents[i] != 0; ++i) {
    const uint64_t born = i + 1 < ancestry.size() && e.parents[i + 1] ? e.started_ns[i + 1] : 0;
    const uint32_t parent = ParentExecutor(pid, e.parents[i], born, e.started_ns[i]);
    if (parent == 0) break;  // that g holds a younger goroutine now: the line is lost there
    ancestry[i] = {parent, e.started_ns[i]};
  }
  ancestries[GoroutineExecutor(pid, e.goroutine, e.hdr.end_ns, e.started_ns[0])] = ancestry;
}

uint32_t ConnectionTracker::ParentExecutor(uint32_t pid, uint64_t goroutine, uint64_t born_ns,
                                           uint64_t child_born_ns) {
  if (born_ns != 0) return GoroutineExecutor(pid, goroutine, born_ns, born_ns);
  // Birth unknown: the executor known at that address is the parent only if it was there
  // before the child was started (else the parent died and a younger goroutine has its g).
  auto& ids = goroutine_executors_[pid];
  auto it = ids.find(goroutine);
  if (it == ids.end()) return GoroutineExecutor(pid, goroutine, child_born_ns);
  return it->second.since_ns <= child_born_ns ? it->second.executor : 0;
}

void ConnectionTracker::OfferToStartingRequest(uint32_t pid, SpanOrigin& origin,
                                               bool lineage_worth_following) {
  if (lineage_worth_following) ++go_call_counts_[pid].calls;
  // A goroutine that serves requests makes calls for its own (net/http runs a connection's
  // handlers on the goroutine that read them).
  if (ServesRequests(pid, origin.tid)) return;
  const GoAncestry* ancestry = nullptr;
  if (auto p = go_ancestries_.find(pid); p != go_ancestries_.end()) {
    if (auto a = p->second.find(origin.tid); a != p->second.end()) ancestry = &a->second;
  }
  if (!ancestry) {
    // Its ancestry is unknown: goroutine creation is not followed in this program yet. It is
    // worth following for calls over TCP (not the resolver's DNS datagrams, which every Go
    // program sends from goroutines of its own) of a program that serves requests, once such
    // calls are more than the odd one (a handler's own call whose writer went unnoticed).
    if (on_go_lineage_needed_ && lineage_worth_following && serving_threads_.count(pid)) {
      GoCallCounts& counts = go_call_counts_[pid];
      ++counts.from_unknown_goroutines;
      if (counts.from_unknown_goroutines >= kLineageAfterCalls &&
          counts.from_unknown_goroutines * 10 >= counts.calls &&
          go_lineage_requested_.insert(pid).second) {
        on_go_lineage_needed_(pid);
      }
    }
    return;
  }
  for (const GoAncestor& ancestor : *ancestry) {
    if (ancestor.executor == 0) return;  // no serving ancestor known: no in-process parent
    if (ServesRequests(pid, ancestor.executor)) {
      origin.tid = ancestor.executor;
      origin.started_by_parent_unix_nano =
          ancestor.started_ns + span_options_.monotonic_to_realtime_ns;
      ++stats_.go_calls_by_started_goroutines;
      return;
    }
  }
}

bool ConnectionTracker::LocalParentMayFollow(Tracked& t, const ExchangeSpan& x) {
  if (x.origin.wire || t.info.kernel.wire)
    return true;  // the ids on the wire decide: keep the hold
  switch (x.span.kind) {
    case SpanKind::kClient: {
      // In-process parents are SERVER spans served on the same thread, and that thread read
      // their request before it made this call: the record of that read came first.
      if (x.origin.tid == 0) return false;
      return ServesRequests(t.info.pid, x.origin.tid);
    }
    case SpanKind::kServer: {
      // A same-host parent is the CLIENT span of this host's other end of the connection.
      if (!(x.origin.request_tcp_seq || x.origin.exchange_index) ||
          t.info.transport != Transport::kTcp)
        return false;
      if (!t.mirror_watched)
        t.mirror_watched = by_tuple_.count(TupleKey(t.info.peer, t.info.local, t.info.netns)) != 0;
      // The other end's first record may still be on its way (another CPU) on the first
      // exchange we see: hold that one whatever the lookup said.
      return t.mirror_watched || *x.origin.exchange_index == 0;
    }
    default:
      return false;
  }
}

void ConnectionTracker::FillKernelContext(Tracked& t, uint64_t from, uint64_t to) {
  // The kernel's view of this exchange's lifetime: retransmissions inside it, latest RTT.
  KernelContext& k = t.info.kernel;
  k.retransmits.clear();
  k.srtt_us = t.srtt_us;
  auto first_kept = std::find_if(t.retransmits.begin(), t.retransmits.end(),
                                 [from](const Retransmit& r) { return r.monotonic_ns >= from; });
  t.retransmits.erase(t.retransmits.begin(), first_kept);
  for (const Retransmit& r : t.retransmits)
    if (r.monotonic_ns <= to) k.retransmits.push_back(r);
  k.wire.reset();
  if (!t.wire_contexts.empty()) TakeWireContext(t, from, &k.wire);
}

void ConnectionTracker::TakeWireContext(Tracked& t, uint64_t request_start_ns,
                                        std::optional<WireContext>* out) {
  // Contexts of earlier request starts were never matched (their exchange was lost): drop.
  auto& v = t.wire_contexts;
  auto it = v.begin();
  while (it != v.end() && it->request_start_ns < request_start_ns) ++it;
  stats_.wire_contexts_unmatched += static_cast<uint64_t>(it - v.begin());
  if (it != v.end() && it->request_start_ns == request_start_ns) *out = *it++;
  v.erase(v.begin(), it);
}

void ConnectionTracker::End(Tracked& t, uint64_t ns, bool reset) {
  t.parser->OnClose(ns, reset);
  Drain(t);
  KeepParserCounters(t);
}

void ConnectionTracker::KeepParserCounters(const Tracked& t) {
  if (t.info.protocol < OTELBPF_PROTO_COUNT)
    ended_parser_counters_[t.info.protocol] += t.parser->counters();
}

std::array<ParserCounters, OTELBPF_PROTO_COUNT> ConnectionTracker::ProtocolCounters() const {
  auto sums = ended_parser_counters_;
  for (const auto& [pid, fds] : by_process_) {
    for (const auto& [fd, t] : fds) {
      if (t->info.protocol < OTELBPF_PROTO_COUNT) sums[t->info.protocol] += t->parser->counters();
    }
  }
  return sums;
}

size_t ConnectionTracker::Expire(uint64_t now_ns) {
  size_t rested = 0;
  for (auto& [pid, fds] : by_process_) {
    for (auto& [fd, t] : fds) {
      t->parser->Expire(now_ns);
      Drain(*t);
      if (!t->moved_bytes && t->parser->Rest()) ++rested;
      t->moved_bytes = false;
    }
  }
  return rested;
}

void ConnectionTracker::Unindex(const Tracked& t) {
  auto it = by_tuple_.find(TupleKey(t.info.local, t.info.peer, t.info.netns));
  if (it != by_tuple_.end() && it->second == std::make_pair(t.info.pid, t.info.fd))
    by_tuple_.erase(it);
}

void ConnectionTracker::Erase(uint32_t pid, int32_t fd) {
  auto p = by_process_.find(pid);
  if (p == by_process_.end()) return;
  auto c = p->second.find(fd);
  if (c == p->second.end()) return;
  Unindex(*c->second);
  p->second.erase(c);
  --connection_count_;
  if (p->second.empty()) by_process_.erase(p);
}

}  // namespace otelbpf
