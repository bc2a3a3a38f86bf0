// Turns raw ring-buffer records into per-connection byte streams and hands each connection's
// bytes to the parser of the protocol the kernel announced it with (protocols/registry.h).
// Completed exchanges, as spans, go to a callback with the kernel's view of their window. It
// owns connections, generations, roles, kernel context and windows, and never names a protocol.
// Bounded: at most `max_connections` are tracked; records that cannot be placed are counted,
// never guessed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "capture/lifecycle_events.h"
#include "discovery/process_registry.h"
#include "http_capture.h"
#include "protocols/common/connection.h"
#include "protocols/common/protocol.h"

namespace otelbpf {

struct TrackerStats {
  uint64_t records = 0;
  uint64_t malformed_records = 0;  // size/type did not match the ABI
  uint64_t orphan_data = 0;        // data for a connection we never saw open
  uint64_t connections_opened = 0;
  uint64_t connections_rejected = 0;   // table full
  uint64_t connections_abandoned = 0;  // their parser found they were not its protocol
  uint64_t connections_switched = 0;   // their bytes moved to another protocol (h2c upgrade)
  uint64_t connections_unknown_protocol = 0;  // announced with a protocol no parser handles
  uint64_t exchanges = 0;             // every protocol's
  uint64_t exchanges_by_protocol[OTELBPF_PROTO_COUNT] = {};
  uint64_t process_exits = 0;
  uint64_t process_execs = 0;  // execs the kernel reported (all of them, unless told otherwise)
  uint64_t tls_connections = 0;  // connections whose syscalls turned out to carry TLS records
  uint64_t retransmits = 0;  // retransmit records received
  uint64_t retransmits_unattributed =
      0;  // owner socket unknown (never read/written while we watched)
  uint64_t tcp_lifecycle_events = 0;        // TCP connection up/failed/down records
  uint64_t tcp_lifecycle_unattributed = 0;  // closed well after their process exited
  uint64_t dns_lookups = 0;           // getaddrinfo() records
  uint64_t process_snapshots = 0;     // argv/environment copies the kernel took
  uint64_t wire_contexts = 0;            // ids the kernel put on the wire (--propagate=headers)
  uint64_t wire_contexts_unmatched = 0;  // of those, never matched to an exchange
  uint64_t go_calls_unlinked = 0;  // CLIENT spans of Go programs kept off in-process links
  uint64_t go_spawns = 0;           // ancestries of started goroutines the kernel sent
  // CLIENT spans made by a goroutine that a serving goroutine started (or its descendants):
  // offered to the request that goroutine was serving when it started the line.
  uint64_t go_calls_by_started_goroutines = 0;
};

class ConnectionTracker {
 public:
  // Every completed exchange of every protocol. `connection.kernel` holds what the kernel saw
  // during the exchange's window (TCP only). The handler may move the span out.
  using ExchangeHandler = std::function<void(ExchangeSpan& exchange, const ConnectionInfo&)>;
  using ProcessHandler = std::function<void(uint32_t pid)>;

  ConnectionTracker(ProcessRegistry& processes, ExchangeHandler on_exchange,
                    size_t max_connections, SpanBuildOptions span_options = {});
  ~ConnectionTracker();

  // One ring-buffer record (see bpf/include/http_capture.h). Never throws on bad input.
  void HandleRecord(const void* data, size_t size);

  // Called when a process exits (after its connections were closed) / execs.
  void OnProcessExit(ProcessHandler handler) { on_exit_ = std::move(handler); }
  void OnProcessExec(ProcessHandler handler) { on_exec_ = std::move(handler); }
  // Every TCP retransmission whose socket owner is known: its resource, the local and peer
  // endpoints and the TCP state. For the tcp.retransmissions counter.
  using RetransmitHandler = std::function<void(const ResourcePtr&, const Endpoint& local,
                                               const Endpoint& peer, uint16_t state)>;
  void OnRetransmit(RetransmitHandler handler) { on_retransmit_ = std::move(handler); }
  // Called when an exited process's resource is retired (metrics keep its last values).
  void OnResourceRetired(std::function<void(const ResourcePtr&)> handler) {
    on_retired_ = std::move(handler);
  }
  // A connection whose parser gave up on it (not its protocol after all): the kernel can stop
  // shipping its bytes (BpfCapture::AbandonConnection).
  using AbandonHandler = std::function<void(uint32_t pid, int32_t fd, uint64_t generation)>;
  void OnAbandon(AbandonHandler handler) { on_abandon_ = std::move(handler); }
  // A connection whose bytes switched protocol (HTTP/1.1 upgraded to h2c): the kernel is told
  // what it carries now (BpfCapture::SwitchConnectionProtocol), so HTTP/1-only work stops.
  using SwitchHandler =
      std::function<void(uint32_t pid, int32_t fd, uint64_t generation, uint8_t protocol)>;
  void OnSwitch(SwitchHandler handler) { on_switch_ = std::move(handler); }
  // The protocols (bit 1 << enum otelbpf_protocol) a connection may switch to: the enabled
  // ones (--protocols). A switch to another one ends the connection's parsing as before.
  void SetSwitchTargets(uint32_t protocols) { switch_targets_ = protocols; }
  // Ends requests still unanswered after their protocol's timeout, and lets connections that
  // moved no byte since the last call rest (ConnectionParser::Rest). Call about once a second.
  // Returns how many connections released memory by resting.
  size_t Expire(uint64_t now_ns);

  // TCP connection lifecycle (up, failed, down) and getaddrinfo() calls, with their resource.
  void OnTcpConnection(std::function<void(const TcpConnectionEvent&)> handler) {
    on_tcp_connection_ = std::move(handler);
  }
  void OnDnsLookup(std::function<void(const DnsLookupEvent&)> handler) {
    on_dns_lookup_ = std::move(handler);
  }
  // A connection of `pid` carries TLS records: its plaintext follows if the process's TLS
  // library is one otelbpf reads (bpf/tls_openssl.bpf.h).
  void OnTlsSeen(ProcessHandler handler) { on_tls_seen_ = std::move(handler); }
  // A Go program (pid) made a call from a goroutine that serves no request and whose ancestry
  // is unknown: goroutine creation must be followed for it (GoProbes::AttachLineageFor). Once
  // per process.
  void OnGoLineageNeeded(ProcessHandler handler) { on_go_lineage_needed_ = std::move(handler); }
  // Called the first time a process's metadata is read from /proc.
  void OnProcessDescribed(ProcessHandler handler) { on_described_ = std::move(handler); }

  // Agent shutdown: delivers every completed exchange and forgets all connections.
  // Requests still awaiting a response are not reported (see .cc for why).
  void CloseAll(uint64_t now_ns);

  size_t connection_count() const { return connection_count_; }
  const TrackerStats& stats() const { return stats_; }
  // Every parser's counters summed by protocol (enum otelbpf_protocol), connections that ended
  // included. Walks the live connections: call it about once a second, not per record.
  std::array<ParserCounters, OTELBPF_PROTO_COUNT> ProtocolCounters() const;

 private:
  struct Tracked;
  using FdTable = std::unordered_map<int32_t, std::unique_ptr<Tracked>>;

  void Open(const otelbpf_conn_open_event& e);
  void RememberProcessSnapshot(const uint8_t* record);  // an otelbpf_process_snapshot_event
  void TraceContextEvent(const otelbpf_trace_context_event& e);
  // The kernel's ids for the request that started at request_start_ns, if it sent any.
  void TakeWireContext(Tracked& t, uint64_t request_start_ns, std::optional<WireContext>* out);
  void Data(const otelbpf_event_header& h, const uint8_t* payload);
  void Close(const otelbpf_event_header& h);
  // The parser handed the connection to another protocol: its parser takes over from here.
  void SwitchProtocol(Tracked& t, std::unique_ptr<ProtocolSwitch> handover);
  void ProcessExit(uint32_t pid, uint64_t ns);
  void ProcessExec(uint32_t pid);
  void TcpRetransmit(const otelbpf_tcp_retransmit_event& e);
  // The resource of a process named by a kernel event (reads /proc the first time).
  ResourcePtr Resolve(uint32_t pid, const char (&comm)[16], uint64_t process_start_ns);
  Tracked* Find(uint32_t pid, int32_t fd, uint64_t generation);
  // Hands on every exchange the connection's parser completed, with its kernel context.
  void Drain(Tracked& t);
  void FillKernelContext(Tracked& t, uint64_t from_ns, uint64_t to_ns);
  // The connection ends (close, exit, fd reuse): everything it completed is delivered.
  void End(Tracked& t, uint64_t ns, bool reset);
  // Adds a connection's parser counters to ended_parser_counters_, before it is forgotten.
  void KeepParserCounters(const Tracked& t);
  void Erase(uint32_t pid, int32_t fd);
  void Unindex(const Tracked& t);
  // Remembers that thread `tid` of `pid` read from a connection it may serve.
  void NoteServingThread(Tracked& t, uint32_t tid);
  // Whether thread (or goroutine executor) `tid` of `pid` read from a server connection.
  bool ServesRequests(uint32_t pid, uint32_t tid) const;
  // OTELBPF_EV_GO_SPAWN: remembers a goroutine's ancestry.
  void GoSpawn(const otelbpf_go_spawn_event& e);
  // The executor of the goroutine at `goroutine` that started a child at `child_born_ns` (its
  // own birth `born_ns`, 0: unknown); 0 when that address holds a younger goroutine now.
  uint32_t ParentExecutor(uint32_t pid, uint64_t goroutine, uint64_t born_ns,
                          uint64_t child_born_ns);
  // A Go CLIENT span made by a goroutine that serves no request itself: offered to its nearest
  // serving ancestor's request, the one it was serving when it started the goroutines' line.
  // Without a known ancestry, asks for goroutine creation to be followed when
  // `lineage_worth_following`.
  void OfferToStartingRequest(uint32_t pid, SpanOrigin& origin, bool lineage_worth_following);
  // Whether trace assembly must hold this exchange's span for a local parent that may still
  // arrive (SpanOrigin::local_parent_may_follow).
  bool LocalParentMayFollow(Tracked& t, const ExchangeSpan& x);

  ProcessRegistry& processes_;
  ExchangeHandler on_exchange_;
  ProcessHandler on_exit_, on_exec_, on_described_, on_tls_seen_, on_go_lineage_needed_;
  std::unordered_set<uint32_t> go_lineage_requested_;  // pids on_go_lineage_needed_ was told
  // Go programs' TCP calls, and those made from goroutines that serve nothing and whose
  // ancestry is unknown: at least kLineageAfterCalls and a tenth of all asks for the lineage.
  struct GoCallCounts {
    uint64_t calls = 0;
    uint64_t from_unknown_goroutines = 0;
  };
  static constexpr uint64_t kLineageAfterCalls = 3;
  std::unordered_map<uint32_t, GoCallCounts> go_call_counts_;
  RetransmitHandler on_retransmit_;
  std::function<void(const ResourcePtr&)> on_retired_;
  std::function<void(const TcpConnectionEvent&)> on_tcp_connection_;
  std::function<void(const DnsLookupEvent&)> on_dns_lookup_;
  AbandonHandler on_abandon_;
  SwitchHandler on_switch_;
  uint32_t switch_targets_ = ~0u;
  SpanBuildOptions span_options_;
  std::vector<ExchangeSpan> drained_;  // reused by Drain: no allocation per exchange
  size_t max_connections_;
  size_t connection_count_ = 0;
  std::unordered_map<uint32_t, FdTable> by_process_;
  // "local|peer" endpoints → (pid, fd): finds this host's other end of a connection, so a
  // retransmission by a local server also shows on the local client's span it delayed.
  std::unordered_map<std::string, std::pair<uint32_t, int32_t>> by_tuple_;
  // Resources of processes that exited in the last few seconds: the kernel closes an exiting
  // process's sockets after its exit event, and their closes still belong to it.
  struct Exited {
    ResourcePtr resource;
    uint64_t exit_ns;
  };
  std::unordered_map<uint32_t, Exited> recently_exited_;
  // Per process, the threads that have read from a server (or not yet known) connection: only
  // their CLIENT spans can have an in-process parent. A process with more threads than we
  // remember counts as serving on all of them.
  struct ServingThreads {
    bool all = false;
    std::unordered_set<uint32_t> tids;
  };
  std::unordered_map<uint32_t, ServingThreads> serving_threads_;
  // Go programs: each goroutine (runtime.g address, per process) stands in for a thread, as an
  // executor id with kGoroutineExecutorBit set (Linux thread ids stay below 2^22), so everything
  // keyed by thread keys by goroutine instead.
  static constexpr uint32_t kGoroutineExecutorBit = 0x80000000u;
  static constexpr size_t kMaxGoroutinesPerProcess = 65536;
  static bool IsGoroutineExecutor(uint32_t tid) { return (tid & kGoroutineExecutorBit) != 0; }
  // The runtime reuses a dead goroutine's g for a new one: `born_ns` (when the goroutine was
  // started, 0: unknown) later than the executor's `since_ns` means another goroutine at the
  // same address, which gets an executor of its own (its predecessor's requests are not its).
  // `seen_ns`: the time of the event naming it, for an executor made without a birth.
  uint32_t GoroutineExecutor(uint32_t pid, uint64_t goroutine, uint64_t seen_ns,
                             uint64_t born_ns = 0);
  struct GoroutineIdentity {
    uint32_t executor = 0;
    uint64_t since_ns = 0;  // monotonic: the goroutine holding it existed from then on
  };
  std::unordered_map<uint32_t, std::unordered_map<uint64_t, GoroutineIdentity>>
      goroutine_executors_;
  // Go: started goroutines' ancestries (OTELBPF_EV_GO_SPAWN), by process and executor, nearest
  // ancestor first, each with when it started the goroutine below it (monotonic ns).
  struct GoAncestor {
    uint32_t executor = 0;  // 0: none (unknown, or beyond the kernel's depth)
    uint64_t started_ns = 0;
  };
  using GoAncestry = std::array<GoAncestor, OTELBPF_GO_SPAWN_DEPTH>;
  static constexpr size_t kMaxAncestriesPerProcess = 16384;
  std::unordered_map<uint32_t, std::unordered_map<uint32_t, GoAncestry>> go_ancestries_;
  uint32_t next_goroutine_executor_ = 1;
  TrackerStats stats_;
  std::array<ParserCounters, OTELBPF_PROTO_COUNT> ended_parser_counters_{};  // by protocol
};

// "127.0.0.1" / "::1" from the kernel's address bytes.
std::string FormatAddress(uint16_t family, const uint8_t* addr16);

}  // namespace otelbpf
