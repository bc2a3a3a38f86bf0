#include "capture/bpf_capture.h"

#include "discovery/container.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unordered_set>

#include <fmt/format.h>

#include "capture/openssl_uprobes.h"
#include "http_capture.skel.h"

namespace otelbpf {
namespace {

// Every sys_exit tracepoint whose sys_enter twin records a data call (see exit_data).
constexpr const char* kDataExitTracepoints[] = {
    "sys_exit_read",     "sys_exit_write",    "sys_exit_recvfrom",  "sys_exit_sendto",
    "sys_exit_recvmsg",  "sys_exit_sendmsg",  "sys_exit_readv",     "sys_exit_writev",
    "sys_exit_recvmmsg", "sys_exit_sendmmsg", "sys_exit_sendfile64"};

std::string Errno(int err) { return std::strerror(err < 0 ? -err : err); }

// libbpf reports most failures as negative errno; turn the common ones into advice.
std::string Advice(int err) {
  err = err < 0 ? -err : err;
  if (err == EPERM || err == EACCES)
    return " (otelbpf needs root, or CAP_BPF + CAP_PERFMON + CAP_DAC_READ_SEARCH)";
  if (err == ENOENT)
    return " (is tracefs mounted at /sys/kernel/tracing? is this tracepoint in this kernel?)";
  return "";
}

}  // namespace

BpfCapture::BpfCapture(const CaptureOptions& options, EventHandler handler)
    : handler_(std::move(handler)) {
  skel_ = http_capture__open();
  if (!skel_) throw std::runtime_error("cannot open the eBPF object: " + Errno(errno));

  auto* ro = skel_->rodata;
  ro->self_tgid = static_cast<uint32_t>(getpid());
  ro->capture_bytes = std::clamp<uint32_t>(options.capture_bytes, 64, OTELBPF_MAX_CAPTURE);
  ro->filter_tgids = options.select_by_pid;
  ro->filter_ports = !options.ports.empty();
  ro->report_exec = options.report_exec;
  ro->wakeup_threshold = options.ring_buffer_bytes / 8;
  ro->propagate_headers = options.propagate_headers;
  ro->root_sample_threshold = options.root_sample_threshold;
  ro->sampler_parent_based = options.sampler_parent_based;
  ro->enabled_protocols = options.enabled_protocols;
  // The injector's programs are only loaded when asked for: they change how every client
  // socket sends (through the sockmap), which nobody should get by default.
  bpf_program__set_autoload(skel_->progs.track_client_sockets, options.propagate_headers);
  bpf_program__set_autoload(skel_->progs.inject_traceparent, options.propagate_headers);
  // A sockhash needs CAP_NET_ADMIN: without --propagate it is not even created, so the minimal
  // privileges (docs/reliability.md) stay what they were.
  bpf_map__set_autocreate(skel_->maps.client_sockets, options.propagate_headers);
  bpf_map__set_autocreate(skel_->maps.inject_states, options.propagate_headers);

  if (int err = bpf_map__set_max_entries(skel_->maps.events, options.ring_buffer_bytes); err)
    throw std::runtime_error("invalid ring buffer size (must be a power of two pages): " +
                             Errno(err));

  if (int err = http_capture__load(skel_); err) {
    http_capture__destroy(skel_);
    skel_ = nullptr;
    // Without privileges preflight has already failed, so EACCES here is the verifier.
    std::string why = (err == -EACCES || err == EACCES)
                          ? " (the kernel's verifier rejected a program; its log is printed above)"
                          : Advice(err);
    if (options.propagate_headers && (err == -EPERM || err == EPERM))
      why += "; --propagate=headers also needs CAP_NET_ADMIN (a sockmap and a cgroup program)";
    throw std::runtime_error("cannot load the eBPF programs: " + Errno(err) + why);
  }

  for (uint32_t pid : options.pids) SelectPid(pid);
  for (const PortHint& h : options.port_hints) {
    bpf_map__update_elem(skel_->maps.protocol_port_hints, &h.port, sizeof(h.port), &h.protocol,
                         sizeof(h.protocol), BPF_ANY);
  }
  for (uint16_t port : options.ports) {
    uint8_t one = 1;
    bpf_map__update_elem(skel_->maps.selected_ports, &port, sizeof(port), &one, sizeof(one),
                         BPF_ANY);
  }

  // Attach one by one (rather than skeleton attach) to name the hook that fails.
  auto fail = [this](const std::string& what, int err) {
    Detach();
    throw std::runtime_error("cannot attach eBPF program to " + what + ": " + Errno(err) +
                             Advice(err));
  };
  bpf_program* prog;
  bpf_object__for_each_program(prog, skel_->obj) {
    if (prog == skel_->progs.exit_data) continue;  // attached below, once per syscall
    // uprobes name a file: the Attach* functions below do them, per library file found.
    const std::string_view section = bpf_program__section_name(prog);
    if (section.starts_with("uprobe") || section.starts_with("uretprobe")) continue;
    // The injector attaches to a cgroup and a sockmap: below.
    if (prog == skel_->progs.track_client_sockets || prog == skel_->progs.inject_traceparent)
      continue;
    bpf_link* link = bpf_program__attach(prog);
    if (!link) fail(bpf_program__section_name(prog), errno);
    links_.push_back(link);
  }
  for (const char* tp : kDataExitTracepoints) {
    bpf_link* link = bpf_program__attach_tracepoint(skel_->progs.exit_data, "syscalls", tp);
    if (!link) fail(std::string("syscalls/") + tp, errno);
    links_.push_back(link);
  }

  if (options.propagate_headers) AttachInjector(fail);

  ring_ = ring_buffer__new(bpf_map__fd(skel_->maps.events), &BpfCapture::OnRecord, this, nullptr);
  if (!ring_) {
    int err = errno;
    Detach();
    throw std::runtime_error("cannot open the ring buffer: " + Errno(err));
  }
  // A BPF ring buffer map exposes its consumer position in its first page and its producer
  // position in the second; both may be mapped read-only for monitoring.
  const long page = sysconf(_SC_PAGESIZE);
  const int ring_fd = bpf_map__fd(skel_->maps.events);
  void* cons = mmap(nullptr, page, PROT_READ, MAP_SHARED, ring_fd, 0);
  void* prod = mmap(nullptr, page, PROT_READ, MAP_SHARED, ring_fd, page);
  if (cons != MAP_FAILED) consumer_pos_ = static_cast<const volatile uint64_t*>(cons);
  if (prod != MAP_FAILED) producer_pos_ = static_cast<const volatile uint64_t*>(prod);
  ring_size_ = bpf_map__max_entries(skel_->maps.events);
}

void BpfCapture::AttachInjector(const std::function<void(const std::string&, int)>& fail) {
  // sk_msg runs on every send of the sockets in client_sockets; sockops puts every client
  // socket of the machine's cgroups there as it connects (the root cgroup covers them all).
  if (bpf_prog_attach(bpf_program__fd(skel_->progs.inject_traceparent),
                      bpf_map__fd(skel_->maps.client_sockets), BPF_SK_MSG_VERDICT, 0))
    fail("the client socket map (sk_msg)", errno);
  const std::string cgroup = Cgroup2MountOfThisHost();
  if (cgroup.empty()) fail("the root cgroup (sockops)", ENOENT);
  int fd = open(cgroup.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail("the root cgroup " + cgroup + " (sockops)", errno);
  bpf_link* link = bpf_program__attach_cgroup(skel_->progs.track_client_sockets, fd);
  const int err = errno;
  close(fd);
  if (!link) fail("the root cgroup " + cgroup + " (sockops)", err);
  links_.push_back(link);
}

size_t BpfCapture::ReleaseGivenUpSockets() {
  if (bpf_program__fd(skel_->progs.inject_traceparent) < 0) return 0;  // not injecting
  const int queue = bpf_map__fd(skel_->maps.released_sockets);
  const int sockets = bpf_map__fd(skel_->maps.client_sockets);
  size_t released = 0;
  uint64_t cookie = 0;
  while (bpf_map_lookup_and_delete_elem(queue, nullptr, &cookie) == 0) {
    if (bpf_map_delete_elem(sockets, &cookie) == 0) ++released;  // else: closed meanwhile
  }
  return released;
}

void BpfCapture::ReleaseClientSockets() {
  // Freeing the map would release its sockets too, but later (the kernel defers it): a
  // connection could still get a traceparent after we are gone, and nobody would report the
  // span it names. Take them out now; each goes back to the kernel's plain send path.
  if (bpf_program__fd(skel_->progs.inject_traceparent) < 0) return;  // never loaded
  const int fd = bpf_map__fd(skel_->maps.client_sockets);
  uint64_t key = 0, next = 0;
  while (bpf_map_get_next_key(fd, nullptr, &next) == 0) {
    key = next;
    if (bpf_map_delete_elem(fd, &key) != 0) break;  // cannot happen; never loop forever
  }
}

uint64_t BpfCapture::RingBufferUsedBytes() const {
  if (!consumer_pos_ || !producer_pos_) return 0;
  const uint64_t consumer = *consumer_pos_, producer = *producer_pos_;
  return producer > consumer ? producer - consumer : 0;
}

BpfCapture::~BpfCapture() { Detach(); }

void BpfCapture::Detach() {
  const long page = sysconf(_SC_PAGESIZE);
  if (consumer_pos_) munmap(const_cast<uint64_t*>(consumer_pos_), page);
  if (producer_pos_) munmap(const_cast<uint64_t*>(producer_pos_), page);
  consumer_pos_ = producer_pos_ = nullptr;
  if (ring_) ring_buffer__free(ring_);
  ring_ = nullptr;
  for (bpf_link* link : links_) bpf_link__destroy(link);
  links_.clear();
  if (skel_) ReleaseClientSockets();
  if (skel_) http_capture__destroy(skel_);
  skel_ = nullptr;
}

int BpfCapture::OnRecord(void* ctx, void* data, size_t size) {
  static_cast<BpfCapture*>(ctx)->handler_(data, size);
  return 0;
}

int BpfCapture::Poll(int timeout_ms) {
  // The kernel side mostly writes without waking us (see wakeup_threshold), so a poll that
  // times out is normal: drain explicitly afterwards.
  int n = ring_buffer__poll(ring_, timeout_ms);
  if (n < 0 && n != -EINTR) return n;
  int m = ring_buffer__consume(ring_);
  return (n > 0 ? n : 0) + (m > 0 ? m : 0);
}

bool BpfCapture::AttachUprobes(const std::string& file, std::span<const Uprobe> uprobes,
                               std::string* error) {
  std::vector<bpf_link*> links;
  for (const Uprobe& u : uprobes) {
    LIBBPF_OPTS(bpf_uprobe_opts, opts, .bpf_cookie = u.cookie, .retprobe = u.on_return,
                .func_name = u.function);
    // pid -1: every process that maps this file, now or later.
    bpf_link* link = bpf_program__attach_uprobe_opts(u.program, -1, file.c_str(),
                                                     u.function ? 0 : u.file_offset, &opts);
    if (link) {
      links.push_back(link);
      continue;
    }
    if (u.optional) continue;  // e.g. SSL_read_ex, which OpenSSL 1.1.0 lacks
    if (error)
      *error = (u.function ? std::string(u.function) : fmt::format("offset {:#x}", u.file_offset)) +
               ": " + Errno(errno);
    for (bpf_link* l : links) bpf_link__destroy(l);
    return false;
  }
  links_.insert(links_.end(), links.begin(), links.end());
  return true;
}

bool BpfCapture::AttachGetaddrinfo(const std::string& libc_path, std::string* error) {
  const Uprobe uprobes[] = {{skel_->progs.getaddrinfo_enter, "getaddrinfo"},
                            {skel_->progs.getaddrinfo_return, "getaddrinfo", true}};
  return AttachUprobes(libc_path, uprobes, error);
}

bool BpfCapture::AttachGoHttpClient(const std::string& executable, std::string* error) {
  const Uprobe uprobes[] = {
      {skel_->progs.go_transport_round_trip, "net/http.(*Transport).roundTrip"},
      {skel_->progs.go_request_write, "net/http.(*Request).write"}};
  return AttachUprobes(executable, uprobes, error);
}

bool BpfCapture::AttachGoSpawns(const std::string& executable, const GoSpawnProbePoints& points,
                                std::string* error) {
  std::vector<Uprobe> uprobes{{.program = skel_->progs.go_newproc1_enter, .function = nullptr,
                               .file_offset = points.entry_offset}};
  for (uint64_t ret : points.return_offsets)
    uprobes.push_back(
        {.program = skel_->progs.go_newproc1_return, .function = nullptr, .file_offset = ret});
  return AttachUprobes(executable, uprobes, error);
}

bool BpfCapture::AttachGoTls(const std::string& executable, const GoTlsProbePoints& points,
                             std::string* error) {
  auto program = [this](GoTlsProbe probe) {
    switch (probe) {
      case GoTlsProbe::kReadEnter:
        return skel_->progs.go_tls_read_enter;
      case GoTlsProbe::kWriteEnter:
        return skel_->progs.go_tls_write_enter;
      case GoTlsProbe::kReadReturn:
        break;
    }
    return skel_->progs.go_tls_read_return;
  };
  std::vector<Uprobe> uprobes;
  for (const GoTlsUprobe& u : GoTlsUprobes(points)) {
    uprobes.push_back({.program = program(u.probe), .function = nullptr,
                       .file_offset = u.file_offset,
                       .cookie = static_cast<uint64_t>(u.tcp_conn_itab_delta)});
  }
  return AttachUprobes(executable, uprobes, error);
}

bool BpfCapture::AttachOpenSsl(const std::string& libssl_path, std::string* error) {
  auto program = [this](OpenSslProbe probe) {
    switch (probe) {
      case OpenSslProbe::kReadEnter:
        return skel_->progs.ssl_read_enter;
      case OpenSslProbe::kWriteEnter:
        return skel_->progs.ssl_write_enter;
      case OpenSslProbe::kReadExEnter:
        return skel_->progs.ssl_read_ex_enter;
      case OpenSslProbe::kWriteExEnter:
        return skel_->progs.ssl_write_ex_enter;
      case OpenSslProbe::kSetFdEnter:
        return skel_->progs.ssl_set_fd_enter;
      case OpenSslProbe::kFreeEnter:
        return skel_->progs.ssl_free_enter;
      case OpenSslProbe::kCallReturn:
        break;
    }
    return skel_->progs.ssl_call_return;
  };
  std::vector<Uprobe> uprobes;
  for (const OpenSslUprobe& u : kOpenSslUprobes)
    uprobes.push_back({program(u.probe), u.function, u.on_return(), u.optional});
  return AttachUprobes(libssl_path, uprobes, error);
}

void BpfCapture::SelectPid(uint32_t pid) {
  uint8_t one = 1;
  bpf_map__update_elem(skel_->maps.selected_tgids, &pid, sizeof(pid), &one, sizeof(one), BPF_ANY);
}

void BpfCapture::MarkDescribed(uint32_t pid, bool goroutines) {
  uint8_t flags = OTELBPF_DESCRIBED | (goroutines ? OTELBPF_DESCRIBED_GOROUTINES : 0);
  bpf_map__update_elem(skel_->maps.described_tgids, &pid, sizeof(pid), &flags, sizeof(flags),
                       BPF_ANY);
}

bool BpfCapture::AbandonConnection(uint32_t pid, int32_t fd, uint64_t generation) {
  // Only the same generation: the fd may be another socket by now.
  int map = bpf_map__fd(skel_->maps.conns);
  otelbpf_conn_key key{pid, fd};
  otelbpf_conn_state state{};
  if (bpf_map_lookup_elem(map, &key, &state) != 0 || state.generation != generation) return false;
  state.verdict = OTELBPF_VERDICT_IGNORED;
  return bpf_map_update_elem(map, &key, &state, BPF_EXIST) == 0;
}

bool BpfCapture::SwitchConnectionProtocol(uint32_t pid, int32_t fd, uint64_t generation,
                                          uint8_t protocol) {
  int map = bpf_map__fd(skel_->maps.conns);
  otelbpf_conn_key key{pid, fd};
  otelbpf_conn_state state{};
  if (bpf_map_lookup_elem(map, &key, &state) != 0 || state.generation != generation) return false;
  state.proto = protocol;
  return bpf_map_update_elem(map, &key, &state, BPF_EXIST) == 0;
}

void BpfCapture::ForgetProcess(uint32_t pid) {
  forgotten_.push_back(pid);
  bpf_map__delete_elem(skel_->maps.selected_tgids, &pid, sizeof(pid), 0);
  bpf_map__delete_elem(skel_->maps.described_tgids, &pid, sizeof(pid), 0);
}

void BpfCapture::PurgeForgottenProcesses() {
  if (forgotten_.empty()) return;
  // A process's exit closes its fds without close(2), so the kernel never saw those closes.
  // Drop their cached classifications so a recycled pid starts clean.
  std::unordered_set<uint32_t> gone(forgotten_.begin(), forgotten_.end());
  forgotten_.clear();
  int fd = bpf_map__fd(skel_->maps.conns);
  otelbpf_conn_key key{}, next{};
  std::vector<otelbpf_conn_key> doomed;
  void* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    if (gone.count(next.tgid)) doomed.push_back(next);
    key = next;
    prev = &key;
  }
  for (const auto& k : doomed) bpf_map_delete_elem(fd, &k);
}

CaptureCounters BpfCapture::ReadCounters() const {
  CaptureCounters out;
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return out;
  std::vector<uint64_t> per_cpu(static_cast<size_t>(ncpu));
  auto sum = [&](bpf_map* map, uint32_t key) {
    uint64_t total = 0;
    if (bpf_map__lookup_elem(map, &key, sizeof(key), per_cpu.data(),
                             per_cpu.size() * sizeof(uint64_t), 0) == 0) {
      for (uint64_t v : per_cpu) total += v;
    }
    return total;
  };
  for (uint32_t i = 0; i < OTELBPF_STAT_COUNT; ++i) out.values[i] = sum(skel_->maps.stats, i);
  for (uint32_t type = 0; type < OTELBPF_EVENT_TYPE_LIMIT; ++type) {
    out.by_type[type][0] = sum(skel_->maps.event_stats, type * 2);
    out.by_type[type][1] = sum(skel_->maps.event_stats, type * 2 + 1);
  }
  for (uint32_t i = 0; i < OTELBPF_PROP_COUNT; ++i)
    out.propagation[i] = sum(skel_->maps.propagation_stats, i);
  return out;
}

uint64_t BpfCapture::MapMemoryBytes() const {
  uint64_t total = 0;
  bpf_map* map;
  bpf_object__for_each_map(map, skel_->obj) {
    uint64_t entries = bpf_map__max_entries(map);
    uint64_t value = bpf_map__value_size(map);
    uint64_t key = bpf_map__key_size(map);
    if (bpf_map__type(map) == BPF_MAP_TYPE_RINGBUF) {
      total += entries;
    } else if (bpf_map__type(map) == BPF_MAP_TYPE_PERCPU_ARRAY) {
      total += entries * value * static_cast<uint64_t>(std::max(1, libbpf_num_possible_cpus()));
    } else {
      total += entries * (key + value);
    }
  }
  return total;
}

}  // namespace otelbpf
