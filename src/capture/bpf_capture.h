// Owns the loaded http_capture eBPF object: configuration before load, attachment, selection
// maps, the ring buffer and the per-CPU loss counters. RAII: destroying it detaches every
// program and frees every map (nothing is pinned, so a kill -9 leaves nothing behind either).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "discovery/go_runtime_functions.h"
#include "discovery/go_tls_functions.h"
#include "http_capture.h"

struct http_capture;
struct ring_buffer;
struct bpf_link;
struct bpf_program;

namespace otelbpf {

// --protocol-port: connections on this port try this protocol first (enum otelbpf_protocol).
struct PortHint {
  uint16_t port = 0;
  uint8_t protocol = OTELBPF_PROTO_UNKNOWN;
};

struct CaptureOptions {
  uint32_t capture_bytes = OTELBPF_DEFAULT_CAPTURE;
  // 8 MiB: ~150 ms of the nginx benchmark's peak event rate (lossless there) at half the
  // RSS of 16 MiB (the ring is mapped twice, so it shows as 2x its size).
  uint32_t ring_buffer_bytes = 8u << 20;
  std::vector<uint32_t> pids;   // empty: every process
  bool select_by_pid = false;   // true when --pid or --exe narrows the set
  bool report_exec = false;     // tell user space about every exec (--exe, Go probes)
  std::vector<uint16_t> ports;  // empty: every port
  // --protocols: one bit per enum otelbpf_protocol value; the kernel classifies only these.
  uint32_t enabled_protocols = ~0u;
  std::vector<PortHint> port_hints;
  // --propagate=headers: outgoing HTTP/1 requests get a traceparent, inserted in the kernel
  // (bpf/propagation.bpf.h). The sampler's root rule travels with it (Sampler).
  bool propagate_headers = false;
  uint64_t root_sample_threshold = 0;
  bool sampler_parent_based = true;
};

struct CaptureCounters {
  uint64_t values[OTELBPF_STAT_COUNT] = {};
  // Per event type (enum otelbpf_event_type): [type][0] sent, [type][1] lost (ring full).
  uint64_t by_type[OTELBPF_EVENT_TYPE_LIMIT][2] = {};
  // What the traceparent injector did (enum otelbpf_propagation_outcome).
  uint64_t propagation[OTELBPF_PROP_COUNT] = {};
};

class BpfCapture {
 public:
  // Called for every ring-buffer record, on the thread that calls Poll().
  using EventHandler = std::function<void(const void* data, size_t size)>;

  // Opens, configures, loads and attaches. Throws std::runtime_error with a message meant for
  // the user when any step fails.
  BpfCapture(const CaptureOptions& options, EventHandler handler);
  ~BpfCapture();
  BpfCapture(const BpfCapture&) = delete;
  BpfCapture& operator=(const BpfCapture&) = delete;

  // Waits up to timeout_ms for a wake-up, then drains everything queued. Returns records seen.
  int Poll(int timeout_ms);

  // Adds the getaddrinfo() entry/return uprobes to one libc file (system-wide: every process
  // mapping it, including later ones). False with `error` set when it cannot.
  bool AttachGetaddrinfo(const std::string& libc_path, std::string* error);
  // Adds the net/http client uprobes (bpf/go_goroutines.bpf.h) to one Go executable, for every
  // process running it. False with `error` set when it cannot (stripped, or no net/http).
  bool AttachGoHttpClient(const std::string& executable, std::string* error);
  // runtime.newproc1's entry and RETs in a Go executable (bpf/go_goroutines.bpf.h): goroutines
  // a handler starts make calls on its request's behalf.
  bool AttachGoSpawns(const std::string& executable, const GoSpawnProbePoints& points,
                      std::string* error);
  // Adds the crypto/tls uprobes (bpf/tls_go.bpf.h) to one Go executable: entry probes on Read
  // and Write, and Read's return program on each of its RET instructions. All or none.
  bool AttachGoTls(const std::string& executable, const GoTlsProbePoints& points,
                   std::string* error);
  // Adds the OpenSSL uprobes (bpf/tls_openssl.bpf.h) to one libssl file (system-wide): TLS
  // plaintext of every process using it. False with `error` set when it cannot.
  bool AttachOpenSsl(const std::string& libssl_path, std::string* error);

  void SelectPid(uint32_t pid);
  // User space holds this process's metadata: its next connections need not wake us early.
  // `goroutines`: a Go program (--propagate=headers then continues no request by thread).
  void MarkDescribed(uint32_t pid, bool goroutines);
  void ForgetProcess(uint32_t pid);  // drop its fd classifications (pid may be reused)
  // User space's parser gave up on this connection: the kernel stops shipping its bytes.
  // False when the kernel no longer holds it (closed, or the fd is another socket now).
  bool AbandonConnection(uint32_t pid, int32_t fd, uint64_t generation);
  // The connection's bytes now carry `protocol` (an HTTP/1.1 upgrade to h2c): the kernel keeps
  // shipping them and stops the work it does for the old protocol (header propagation).
  bool SwitchConnectionProtocol(uint32_t pid, int32_t fd, uint64_t generation, uint8_t protocol);
  void PurgeForgottenProcesses();    // does the map walk for ForgetProcess, batched
  // --propagate=headers: client sockets the injector gave up on (not HTTP, framing unknown)
  // leave its map, back to the kernel's plain send path. Returns how many.
  size_t ReleaseGivenUpSockets();

  CaptureCounters ReadCounters() const;
  // Bytes written by the kernel and not yet consumed, and the ring's size: its fill level.
  uint64_t RingBufferUsedBytes() const;
  uint64_t RingBufferSizeBytes() const { return ring_size_; }
  size_t AttachedHooks() const { return links_.size(); }
  // Bytes of kernel memory held by our maps (from their definitions), for self-metrics.
  uint64_t MapMemoryBytes() const;

 private:
  struct Uprobe {
    bpf_program* program;
    const char* function;  // nullptr: placed at `file_offset` instead
    bool on_return = false;
    bool optional = false;  // a missing symbol is not an error
    uint64_t file_offset = 0;
    uint64_t cookie = 0;  // what bpf_get_attach_cookie() returns in the program
  };
  // All of `uprobes` on `file`, or none (a required one failed: `error` says which).
  bool AttachUprobes(const std::string& file, std::span<const Uprobe> uprobes, std::string* error);
  // --propagate=headers: sk_msg on the client socket map, sockops on the root cgroup.
  void AttachInjector(const std::function<void(const std::string&, int)>& fail);
  // Takes every socket out of the injector's map (at exit: no traceparent after we are gone).
  void ReleaseClientSockets();
  static int OnRecord(void* ctx, void* data, size_t size);
  void Detach();  // idempotent: links, ring buffer, then programs and maps

  http_capture* skel_ = nullptr;
  ring_buffer* ring_ = nullptr;
  EventHandler handler_;
  std::vector<bpf_link*> links_;
  // Read-only views of the ring's consumer and producer positions (libbpf 1.1 has no API).
  const volatile uint64_t* consumer_pos_ = nullptr;
  const volatile uint64_t* producer_pos_ = nullptr;
  uint64_t ring_size_ = 0;
  std::vector<uint32_t> forgotten_;
};

}  // namespace otelbpf
