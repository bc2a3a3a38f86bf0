// SPDX-License-Identifier: GPL-2.0
/* HTTP/1 traffic capture from syscall tracepoints only (our kernels have no kprobes and
 * refuse fentry/fexit).
 *
 * Each data syscall is seen twice: sys_enter_* remembers its arguments per thread, and
 * sys_exit_* knows how many bytes moved. Every (tgid, fd) we look at is classified once
 * (socket or not, through the task's fd table) and cached in `conns`, so the common case for
 * uninteresting fds is one hash lookup. Connections ship payload to user space only once their
 * bytes look like HTTP/1; the rest never leave the kernel.
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "http_capture.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define EINPROGRESS 115
#define ECONNRESET 104
#define EPIPE 32

/* A kernel pointer as a read-only BTF pointer: its fields are read with plain loads, which the
 * verifier makes fault-safe (kfunc, any program type, kernel >= 6.2). */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/* Set by user space before load. */
const volatile __u32 self_tgid = 0;
const volatile __u32 capture_bytes = OTELBPF_DEFAULT_CAPTURE;
const volatile bool filter_tgids = false;
const volatile bool filter_ports = false;
const volatile bool report_exec = false;
/* Ring-buffer fill (bytes) past which an event wakes the reader at once; below it the reader
 * drains on its own timer. Waking per event costs the traced workload a lot (DESIGN.md §1). */
const volatile __u64 wakeup_threshold = 256 * 1024;

enum conn_kind { KIND_OTHER = 0, KIND_TCP = 1, KIND_UDP = 2 };
/* Unknown TCP gets a bounded look before it is ignored: a connection we saw open must show a
 * message start within its first few data syscalls; one learned in mid-stream may be inside a
 * large message and gets more. */
#define FROM_START_DETECT_TRIES 4
#define MIDSTREAM_DETECT_TRIES 64

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 131072);
  __type(key, struct otelbpf_conn_key);
  __type(value, struct otelbpf_conn_state);
} conns SEC(".maps");

enum call_kind { CALL_BUF = 0, CALL_IOV = 1, CALL_MSG = 2, CALL_MMSG = 3, CALL_SENDFILE = 4 };

struct call_args {
  __u64 enter_ns;
  __u64 ptr;   /* buf, iovec array, msghdr or mmsghdr array */
  __u64 addr;  /* sendto/recvfrom: the peer's sockaddr (UDP without connect()) */
  __u32 count; /* iovcnt / vlen */
  __s32 fd;
  __u8 kind; /* enum call_kind */
  __u8 direction;
  __u8 active; /* set by the enter program, cleared by the exit program */
  /* The TLS library call (SSL_read, SSL_write, ...) the thread is in, set by its uprobe and
   * cleared by its return probe (tls_openssl.bpf.h). Here, not in a map of its own, because the
   * data syscalls inside the call must see it, and they already hold this slot. */
  __u8 tls_direction;
  /* The thread's process's described_tgids flags, cached once user space has described it (0:
   * not yet), so shipping an event needs no lookup of them. Only exec changes them for a
   * described process, and process_exec clears this for its thread (the only one left). */
  __u8 described;
  __s32 tls_fd;      /* the socket of the first data syscall inside the call (-1: none yet) */
  __u64 tls_ssl;     /* the SSL object (0: not in a TLS call) */
  __u64 tls_buf;     /* the caller's plaintext buffer */
  __u64 tls_out_len; /* SSL_read_ex / SSL_write_ex: where the byte count goes; 0 otherwise */
  __u64 tls_enter_ns;
};

/* The data syscall each thread is in, from its enter to its exit. Task-local storage rather
 * than a hash keyed by pid_tgid: no hashing, no insert and delete per syscall (a thread keeps
 * its slot until it exits), and no capacity to run out of. */
struct {
  __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, struct call_args);
} active_calls SEC(".maps");

/* fds in accept/connect flight, keyed by pid_tgid. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16384);
  __type(key, __u64);
  __type(value, __s32);
} active_connects SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 16 * 1024 * 1024); /* resized by user space */
} events SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, OTELBPF_STAT_COUNT);
  __type(key, __u32);
  __type(value, __u64);
} stats SEC(".maps");

/* Selection, filled by user space when filter_tgids / filter_ports are set. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 65536);
  __type(key, __u32);
  __type(value, __u8);
} selected_tgids SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, __u16);
  __type(value, __u8);
} selected_ports SEC(".maps");

/* The 4-tuples of otelbpf's own sockets (its exporters), as (local, peer) of our end. A
 * connection whose (peer, local) is one of these is the collector's end of our export: tracing
 * it would loop forever. The whole tuple, not the port alone: a client elsewhere on the host
 * may well use the same port number towards another server. */
struct tuple_key {
  __u16 family;
  __u16 local_port;
  __u16 peer_port;
  __u16 pad;
  __u8 local_addr[16];
  __u8 peer_addr[16];
};

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 4096);
  __type(key, struct tuple_key);
  __type(value, __u8);
} self_tuples SEC(".maps");

/* Processes whose metadata user space has read from /proc (value: OTELBPF_DESCRIBED_* flags).
 * A connection opening in any other process wakes the reader at once, so it reads /proc before
 * a short-lived client (curl) exits and takes its executable path, command line and
 * OTEL_SERVICE_NAME with it. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 65536);
  __type(key, __u32);
  __type(value, __u8);
} described_tgids SEC(".maps");

/* Owner of each TCP socket we classified: retransmissions (softirq, no current process) are
 * attributed through it. Stale entries age out (LRU); a reused socket address is re-owned at
 * its next classification. */
struct sock_owner {
  __u32 tgid;
  __s32 fd;
  __u64 generation;
};

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 131072);
  __type(key, __u64); /* struct sock * */
  __type(value, struct sock_owner);
} sock_owners SEC(".maps");

/* Generation counter: one u64 shared by all CPUs, bumped atomically. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} generation_counter SEC(".maps");

/* Per-CPU scratch to assemble a data event before bpf_ringbuf_output (which needs the bytes
 * in BPF memory and a bounded size). Twice the cap so masked offsets plus masked sizes always
 * stay inside. */
struct scratch {
  struct otelbpf_event_header hdr;
  __u8 payload[2 * OTELBPF_MAX_CAPTURE];
  /* The message's iovec array, read with one helper call rather than one per entry (each
   * bpf_probe_read_user has a large fixed cost), and used by both detection and capture. */
  struct iovec iov[OTELBPF_MAX_IOVECS];
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct scratch);
} scratch_buf SEC(".maps");

/* Per-CPU room for the connection-open event that detect_tcp and handle_datagram fill. On the
 * stack it took the exit program's call chain (exit_data -> handle_bytes -> classify_user_bytes)
 * to 544 bytes, past the verifier's 512 on 6.18 kernels. Only syscall-exit programs use it
 * (never the softirq ones: retransmissions, state changes), so no program nests on it. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct otelbpf_conn_open_event);
} conn_open_scratch SEC(".maps");

static __always_inline struct otelbpf_conn_open_event *conn_open_begin(void) {
  __u32 zero = 0;
  struct otelbpf_conn_open_event *e = bpf_map_lookup_elem(&conn_open_scratch, &zero);
  if (e) __builtin_memset(e, 0, sizeof(*e));
  return e;
}

static __always_inline void count(enum otelbpf_stat stat) {
  __u32 key = stat;
  __u64 *v = bpf_map_lookup_elem(&stats, &key);
  if (v) *v += 1;
}

/* Sent and lost events per event type (which probe made them): see OTELBPF_EVENT_TYPE_LIMIT. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 2 * OTELBPF_EVENT_TYPE_LIMIT);
  __type(key, __u32);
  __type(value, __u64);
} event_stats SEC(".maps");

static __always_inline __u64 next_generation(void) {
  __u32 zero = 0;
  __u64 *g = bpf_map_lookup_elem(&generation_counter, &zero);
  if (!g) return 0;
  return __sync_fetch_and_add(g, 1) + 1;
}

/* Events emitted on each CPU since its last look at the ring's fill. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u32);
} fill_check_countdown SEC(".maps");

/* Reading the fill touches the cache line user space writes as it consumes: every 16th event per
 * CPU looks, the rest never wake the reader. The fill can then pass the threshold by at most 16
 * events per CPU before a wakeup, far inside the ring. */
#define FILL_CHECK_EVERY 16
static __always_inline __u64 ringbuf_flags(void) {
  __u32 zero = 0;
  __u32 *countdown = bpf_map_lookup_elem(&fill_check_countdown, &zero);
  if (countdown && (*countdown)++ % FILL_CHECK_EVERY != 0) return BPF_RB_NO_WAKEUP;
  return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_threshold ? BPF_RB_FORCE_WAKEUP
                                                                           : BPF_RB_NO_WAKEUP;
}

/* Every event is counted as sent or lost, overall and per type: by emit(), or by whoever
 * reserves ring-buffer room itself. */
static __always_inline void count_event(__u8 type, bool lost) {
  count(lost ? OTELBPF_STAT_RINGBUF_FULL : OTELBPF_STAT_EVENTS_SENT);
  __u32 key = ((__u32)type & (OTELBPF_EVENT_TYPE_LIMIT - 1)) * 2 + (lost ? 1 : 0);
  __u64 *v = bpf_map_lookup_elem(&event_stats, &key);
  if (v) *v += 1;
}

/* Sends an event built elsewhere. False when the ring buffer had no room. */
static __always_inline bool emit(void *event, __u64 size, __u64 flags, __u8 type) {
  bool lost = bpf_ringbuf_output(&events, event, size, flags) != 0;
  count_event(type, lost);
  return !lost;
}

static __always_inline bool tgid_selected(__u32 tgid) {
  if (tgid == self_tgid) return false;
  if (filter_tgids && !bpf_map_lookup_elem(&selected_tgids, &tgid)) return false;
  return true;
}

/* The struct sock behind a task's fd, or NULL when the fd is not a socket. */
static __always_inline struct sock *fd_to_sock(__s32 fd) {
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  struct files_struct *files = BPF_CORE_READ(task, files);
  if (!files) return NULL;
  struct fdtable *fdt = BPF_CORE_READ(files, fdt);
  if (!fdt || fd < 0 || (__u32)fd >= BPF_CORE_READ(fdt, max_fds)) return NULL;
  struct file **fd_array = BPF_CORE_READ(fdt, fd);
  struct file *file = NULL;
  if (bpf_probe_read_kernel(&file, sizeof(file), &fd_array[fd]) || !file) return NULL;
  umode_t mode = BPF_CORE_READ(file, f_inode, i_mode);
  if ((mode & S_IFMT) != S_IFSOCK) return NULL;
  struct socket *sock = BPF_CORE_READ(file, private_data);
  if (!sock) return NULL;
  return BPF_CORE_READ(sock, sk);
}

static __always_inline bool is_inet(struct sock *sk, __u16 type, __u16 protocol) {
  if (!sk) return false;
  __u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
  if (family != AF_INET && family != AF_INET6) return false;
  return BPF_CORE_READ(sk, sk_type) == type && BPF_CORE_READ(sk, sk_protocol) == protocol;
}

static __always_inline bool is_tcp(struct sock *sk) {
  return is_inet(sk, SOCK_STREAM, IPPROTO_TCP);
}

/* A UDP socket that may carry DNS: not connected, or connected to a DNS server. Others (QUIC,
 * RTP, ...) are never looked at again. */
static __always_inline bool is_dns_candidate_udp(struct sock *sk) {
  if (!is_inet(sk, SOCK_DGRAM, IPPROTO_UDP)) return false;
  __u16 peer = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
  return peer == 0 || peer == OTELBPF_DNS_PORT;
}

static __always_inline void remember_owner(struct sock *sk, __u32 tgid, __s32 fd,
                                           __u64 generation) {
  __u64 key = (__u64)sk;
  struct sock_owner o = {.tgid = tgid, .fd = fd, .generation = generation};
  bpf_map_update_elem(&sock_owners, &key, &o, BPF_ANY);
}

/* The state of a socket we may follow, made on first sight; NULL for other fds and for
 * connections ignored for good. */
static __always_inline struct otelbpf_conn_state *get_conn(__u32 tgid, __s32 fd) {
  struct otelbpf_conn_key key = {.tgid = tgid, .fd = fd};
  struct otelbpf_conn_state *c = bpf_map_lookup_elem(&conns, &key);
  if (c) return (c->kind != KIND_OTHER && c->verdict != OTELBPF_VERDICT_IGNORED) ? c : NULL;

  struct otelbpf_conn_state fresh = {};
  struct sock *sk = fd_to_sock(fd);
  if (is_tcp(sk)) {
    fresh.kind = KIND_TCP;
    fresh.generation = next_generation();
    fresh.sk = (__u64)sk;
    remember_owner(sk, tgid, fd, fresh.generation);
  } else if (is_dns_candidate_udp(sk)) {
    fresh.kind = KIND_UDP;
    fresh.generation = next_generation();
    fresh.sk = (__u64)sk;
  }
  if (bpf_map_update_elem(&conns, &key, &fresh, BPF_NOEXIST) &&
      bpf_map_lookup_elem(&conns, &key) == NULL) {
    count(OTELBPF_STAT_CONN_MAP_FULL);
    return NULL;
  }
  if (fresh.kind == KIND_OTHER) return NULL;
  return bpf_map_lookup_elem(&conns, &key);
}

/* Tells user space that a connection's syscalls carry TLS records: if the process's TLS library
 * is one otelbpf reads, its plaintext follows; if not, user space says so (once per program).
 * A global function: its event gets a stack frame of its own, off the capture path's. */
__noinline int tls_seen(struct otelbpf_conn_state *c, __u32 tgid, __s32 fd) {
  if (!c) return 0;
  struct otelbpf_event_header e = {.type = OTELBPF_EV_TLS_SEEN, .role = c->role, .tgid = tgid,
                                   .fd = fd, .generation = c->generation};
  e.tid = (__u32)bpf_get_current_pid_tgid();
  e.start_ns = e.end_ns = bpf_ktime_get_ns();
  emit(&e, sizeof(e), ringbuf_flags(), OTELBPF_EV_TLS_SEEN);
  return 0;
}

/* The connection turned out to carry TLS: from now on its syscalls' bytes are ciphertext, never
 * classified or shipped, and the plaintext read by the TLS library's uprobes is classified
 * afresh. One that was shipping cleartext (PostgreSQL's SSLRequest, STARTTLS) starts a new
 * generation: user space ends the cleartext part and meets the TLS part as a new connection. */
static __always_inline void switch_to_tls(struct otelbpf_conn_state *c, __u32 tgid, __s32 fd) {
  if (c->tls) return;
  c->tls = 1;
  if (c->verdict == OTELBPF_VERDICT_SHIPPING) {
    c->generation = next_generation();
    remember_owner((struct sock *)c->sk, tgid, fd, c->generation);
  }
  c->verdict = OTELBPF_VERDICT_LOOKING;
  c->proto = OTELBPF_PROTO_UNKNOWN;
  c->tries = 0;
}

/* ---------------------------------------------------------------- classification ---- */

#include "classify.bpf.h"

/* Port hints (--protocol-port PROTO=PORT): a connection with this local or peer port tries that
 * protocol first, and is announced as it when no byte test matched by the end of its look. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 256);
  __type(key, __u16);
  __type(value, __u8);
} protocol_port_hints SEC(".maps");

static __always_inline __u8 port_hint(__u16 local, __u16 peer) {
  __u8 *h = bpf_map_lookup_elem(&protocol_port_hints, &local);
  if (!h) h = bpf_map_lookup_elem(&protocol_port_hints, &peer);
  return h ? *h : OTELBPF_PROTO_UNKNOWN;
}

/* A socket's endpoints into any struct with family, local/peer port and local/peer address
 * fields (open events, connection events, self_tuples keys): one reader, no copies between
 * look-alike structs. Explicit sizes: BPF_CORE_READ_INTO on a byte array would copy one byte. */
#define FILL_SOCK_ENDPOINTS(event, sk)                                                  \
  do {                                                                                  \
    (event)->family = BPF_CORE_READ(sk, __sk_common.skc_family);                        \
    (event)->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);                       \
    (event)->peer_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));           \
    if ((event)->family == AF_INET) {                                                   \
      bpf_core_read((event)->local_addr, 4, &(sk)->__sk_common.skc_rcv_saddr);          \
      bpf_core_read((event)->peer_addr, 4, &(sk)->__sk_common.skc_daddr);               \
    } else {                                                                            \
      bpf_core_read((event)->local_addr, 16, &(sk)->__sk_common.skc_v6_rcv_saddr);      \
      bpf_core_read((event)->peer_addr, 16, &(sk)->__sk_common.skc_v6_daddr);           \
    }                                                                                   \
  } while (0)

static __always_inline void fill_addresses(struct otelbpf_conn_open_event *e, struct sock *sk) {
  FILL_SOCK_ENDPOINTS(e, sk);
  e->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/* The endpoints of a tcp/sock tracepoint record (tcp_retransmit_skb, inet_sock_set_state:
 * same field names, ports in host order) into an event with local/peer port and address
 * fields. Addresses are copied with a helper: the verifier refuses loads through a moved ctx
 * pointer, which is what clang makes of any array copy out of the record. */
#define COPY_RECORD_ENDPOINTS(event, record)                          \
  do {                                                                \
    (event)->family = (record)->family;                               \
    (event)->local_port = (record)->sport;                            \
    (event)->peer_port = (record)->dport;                             \
    if ((record)->family == AF_INET) {                                \
      bpf_probe_read_kernel((event)->local_addr, 4, (record)->saddr); \
      bpf_probe_read_kernel((event)->peer_addr, 4, (record)->daddr);  \
    } else {                                                          \
      bpf_probe_read_kernel((event)->local_addr, 16, (record)->saddr_v6); \
      bpf_probe_read_kernel((event)->peer_addr, 16, (record)->daddr_v6);  \
    }                                                                 \
  } while (0)

/* ::ffff:a.b.c.d, the form an IPv6 socket gives an IPv4 peer (gRPC's exporter uses dual-stack
 * sockets for 127.0.0.1). */
static __always_inline bool v4_mapped(const __u8 *a) {
  for (int i = 0; i < 10; i++)
    if (a[i]) return false;
  return a[10] == 0xff && a[11] == 0xff;
}

/* One key for one connection whichever family each end's socket has: v4-mapped addresses are
 * stored as plain IPv4, so our dual-stack end and the collector's IPv4 end meet. */
static __always_inline void normalize_tuple(struct tuple_key *k) {
  if (k->family != AF_INET6 || !v4_mapped(k->local_addr) || !v4_mapped(k->peer_addr)) return;
  k->family = AF_INET;
  __builtin_memcpy(k->local_addr, k->local_addr + 12, 4);
  __builtin_memcpy(k->peer_addr, k->peer_addr + 12, 4);
  __builtin_memset(k->local_addr + 4, 0, 12);
  __builtin_memset(k->peer_addr + 4, 0, 12);
}

/* Our socket's tuple, as self_tuples stores it. */
static __always_inline void tuple_of_sock(struct tuple_key *k, struct sock *sk) {
  FILL_SOCK_ENDPOINTS(k, sk);
  normalize_tuple(k);
}

/* True when the connection described by `e` is the far end of one of our own sockets. */
static __always_inline bool is_our_exports_far_end(const struct otelbpf_conn_open_event *e) {
  struct tuple_key k = {
      .family = e->family, .local_port = e->peer_port, .peer_port = e->local_port};
  __builtin_memcpy(k.local_addr, e->peer_addr, 16);
  __builtin_memcpy(k.peer_addr, e->local_addr, 16);
  normalize_tuple(&k);
  return bpf_map_lookup_elem(&self_tuples, &k) != NULL;
}

static __always_inline bool port_selected(__u16 local, __u16 peer) {
  if (!filter_ports) return true;
  return bpf_map_lookup_elem(&selected_ports, &local) ||
         bpf_map_lookup_elem(&selected_ports, &peer);
}

#include "process_snapshot.bpf.h"
#include "go_goroutines.bpf.h"

/* Tells user space about a connection whose bytes we are about to ship. `e` holds its
 * addresses. False when the ring buffer had no room: the next message tries again. */
static __always_inline bool announce(struct otelbpf_conn_state *c, __u32 tgid, __s32 fd,
                                     struct otelbpf_conn_open_event *e, __u8 protocol,
                                     __u8 transport) {
  e->protocol = protocol;
  e->transport = transport;
  e->hdr.type = OTELBPF_EV_CONN_OPEN;
  e->hdr.role = c->role;
  e->hdr.flags = (c->seen_from_start ? 0 : OTELBPF_FLAG_LEARNED_MIDSTREAM) |
                 (c->tls ? OTELBPF_FLAG_TLS : 0);
  e->hdr.tgid = tgid;
  e->hdr.tid = (__u32)bpf_get_current_pid_tgid();
  e->hdr.fd = fd;
  e->hdr.generation = c->generation;
  e->hdr.start_ns = e->hdr.end_ns = bpf_ktime_get_ns();
  bpf_get_current_comm(e->comm, sizeof(e->comm));
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  e->process_start_ns = BPF_CORE_READ(task, group_leader, start_boottime);
  __u64 flags = snapshot_if_undescribed(tgid) ? BPF_RB_FORCE_WAKEUP : ringbuf_flags();
  if (!emit(e, sizeof(*e), flags, OTELBPF_EV_CONN_OPEN)) {
    c->verdict = OTELBPF_VERDICT_LOOKING; /* try again on the next message rather than ship orphans */
    return false;
  }
  return true;
}

/* Reads the first bytes of one syscall's data and runs the classifier chain on them. Returns the
 * protocol | (enum classify_kind << 8). A global function: the verifier checks the chain once,
 * not once for each place the exit program handles bytes from. */
__noinline int classify_user_bytes(__u64 user_ptr, __u32 first_len, __u64 total, __u8 hint) {
  /* Twice the prefix, so the mask below is a bound the verifier can see (it loses the min()). */
  __u8 prefix[2 * CLASSIFY_PREFIX] = {};
  __u32 n = first_len < CLASSIFY_PREFIX ? first_len : CLASSIFY_PREFIX;
  asm volatile("" : "+r"(n));
  n &= 2 * CLASSIFY_PREFIX - 1;
  if (!n || bpf_probe_read_user(prefix, n, (const void *)user_ptr)) return OTELBPF_PROTO_UNKNOWN;
  int kind = CLASSIFY_NONE;
  __u8 proto = classify_bytes(prefix, n, total, hint, &kind);
  return proto | (kind << 8);
}

/* Decides what a TCP connection carries from the first bytes of one syscall: the classifier
 * chain (classify.bpf.h), then DNS by its server's port, then the user's port hint once the
 * look is over. Announces it when it is one of them. Returns true when payload should be
 * shipped. */
static __always_inline bool detect_tcp(struct otelbpf_conn_state *c, __u32 tgid, __s32 fd, __u8 direction,
                                       const void *first_bytes, __u32 first_len, __u64 total) {
  if (c->verdict == OTELBPF_VERDICT_SHIPPING) return true;
  struct sock *sk = (struct sock *)c->sk;
  if (!sk) sk = fd_to_sock(fd);
  if (!is_tcp(sk)) {
    count(OTELBPF_STAT_FD_UNREADABLE);
    c->verdict = OTELBPF_VERDICT_IGNORED;
    return false;
  }
  struct otelbpf_conn_open_event *e = conn_open_begin();
  if (!e) return false;
  fill_addresses(e, sk);
  const __u8 hint = port_hint(e->local_port, e->peer_port);
  const int verdict = classify_user_bytes((__u64)first_bytes, first_len, total, hint);
  __u8 proto = verdict & 0xff;
  const int kind = verdict >> 8;
  if (kind == CLASSIFY_TLS) {
    if (!c->tls) tls_seen(c, tgid, fd);
    switch_to_tls(c, tgid, fd);
    return false;
  }
  if (proto == OTELBPF_PROTO_UNKNOWN && e->peer_port == OTELBPF_DNS_PORT &&
      protocol_enabled(OTELBPF_PROTO_DNS))
    proto = OTELBPF_PROTO_DNS;
  if (proto == OTELBPF_PROTO_UNKNOWN) {
    /* Not one of ours (yet): look again at the next few messages. */
    __u8 limit = c->seen_from_start ? FROM_START_DETECT_TRIES : MIDSTREAM_DETECT_TRIES;
    if (++c->tries < limit) return false;
    if (!hint || !protocol_enabled(hint)) {
      c->verdict = OTELBPF_VERDICT_IGNORED;
      return false;
    }
    proto = hint; /* the user said what this port carries: let its parser judge the bytes */
  }
  if (is_our_exports_far_end(e) || !port_selected(e->local_port, e->peer_port)) {
    c->verdict = OTELBPF_VERDICT_IGNORED;
    return false;
  }
  if (proto == OTELBPF_PROTO_DNS) {
    c->role = OTELBPF_ROLE_CLIENT; /* we only follow the clients of DNS servers */
  } else if (c->role == OTELBPF_ROLE_UNKNOWN &&
             (kind == CLASSIFY_REQUEST || kind == CLASSIFY_RESPONSE)) {
    /* Receiving a request or sending a response: we serve. */
    bool request = kind == CLASSIFY_REQUEST;
    bool recv = direction == OTELBPF_DIR_RECV;
    c->role = (request == recv) ? OTELBPF_ROLE_SERVER : OTELBPF_ROLE_CLIENT;
  }
  c->proto = proto;
  c->verdict = OTELBPF_VERDICT_SHIPPING;
  c->sk = (__u64)sk;
  return announce(c, tgid, fd, e, proto, OTELBPF_TRANSPORT_TCP);
}

/* The addresses of one UDP datagram (`addr`: the sockaddr the call named, 0 if none). True
 * when its other end is a DNS server's port. */
static __always_inline bool udp_dns_datagram(struct otelbpf_conn_state *c, __u64 addr,
                                             struct otelbpf_conn_open_event *e) {
  fill_addresses(e, (struct sock *)c->sk); /* local side; the peer when connected */
  if (e->peer_port == 0 && addr) {
    struct sockaddr_in sin = {};
    if (bpf_probe_read_user(&sin, sizeof(sin), (const void *)addr)) return false;
    e->peer_port = bpf_ntohs(sin.sin_port);
    if (sin.sin_family == AF_INET) {
      __builtin_memcpy(e->peer_addr, &sin.sin_addr, 4);
    } else if (sin.sin_family == AF_INET6) {
      const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)addr;
      bpf_probe_read_user(e->peer_addr, 16, &sin6->sin6_addr);
    }
  }
  return e->peer_port == OTELBPF_DNS_PORT;
}

/* ---------------------------------------------------------------- payload capture ---- */

static __always_inline struct scratch *scratch_get(void) {
  __u32 zero = 0;
  return bpf_map_lookup_elem(&scratch_buf, &zero);
}

/* Fills the header of a data event in `s`. */
static __always_inline void scratch_begin(struct scratch *s, struct otelbpf_conn_state *c,
                                          __u32 tgid, __s32 fd, struct call_args *args,
                                          __u64 length) {
  s->hdr.type = OTELBPF_EV_DATA;
  s->hdr.direction = args->direction;
  s->hdr.role = c->role;
  s->hdr.flags = 0;
  s->hdr.tgid = tgid;
  s->hdr.fd = fd;
  s->hdr.captured = 0;
  s->hdr.generation = c->generation;
  s->hdr.end_ns = bpf_ktime_get_ns();
  s->hdr.start_ns = args->enter_ns ? args->enter_ns : s->hdr.end_ns; /* receives: see enter_call */
  s->hdr.length = length;
  s->hdr.srtt_us = 0;
  s->hdr.tcp_seq = 0;
  s->hdr.reserved = 0;
  if (!args->described) args->described = described_flags(tgid);
  s->hdr.goroutine = (args->described & OTELBPF_DESCRIBED_GOROUTINES)
                         ? goroutine_of_syscall(tgid, args->direction == OTELBPF_DIR_SEND)
                         : 0;
  if (s->hdr.goroutine) announce_spawn(tgid, s->hdr.goroutine);
  s->hdr.tid = (__u32)bpf_get_current_pid_tgid();
  if (c->sk && c->kind == KIND_TCP) {
    /* Plain loads through a read-only BTF pointer, not a helper call per field: the loads
     * fault safely (they read 0) and cost a few instructions, where each bpf_probe_read_kernel
     * cost tens of nanoseconds on every data event. */
    const struct tcp_sock *tp =
        bpf_rdonly_cast((void *)c->sk, bpf_core_type_id_kernel(struct tcp_sock));
    s->hdr.srtt_us = tp->srtt_us >> 3; /* the kernel stores it << 3 */
    /* The stream position after this syscall, minus what it moved: its first byte's. */
    __u32 next = args->direction == OTELBPF_DIR_SEND ? tp->write_seq : tp->copied_seq;
    /* TLS plaintext has no position of its own in the stream (the ciphertext has). */
    if (!c->tls) {
      s->hdr.tcp_seq = next - (__u32)length;
      s->hdr.flags = OTELBPF_FLAG_TCP_SEQ;
    }
  }
}

static __always_inline void scratch_send(struct scratch *s) {
  /* captured never exceeds OTELBPF_MAX_CAPTURE; the mask only proves it to the verifier. */
  __u32 size = s->hdr.captured & (2 * OTELBPF_MAX_CAPTURE - 1);
  if (s->hdr.length > size) count(OTELBPF_STAT_CAPTURE_TRUNCATED);
  emit(s, sizeof(s->hdr) + size, ringbuf_flags(), OTELBPF_EV_DATA);
}

static __always_inline __u32 capture_limit(__u64 length) {
  __u64 limit = capture_bytes < OTELBPF_MAX_CAPTURE ? capture_bytes : OTELBPF_MAX_CAPTURE;
  return length < limit ? (__u32)length : (__u32)limit;
}

/* Appends up to `want` bytes from user memory at `src` to the scratch payload. */
static __always_inline void scratch_append(struct scratch *s, const void *src, __u32 want) {
  __u32 off = s->hdr.captured & (OTELBPF_MAX_CAPTURE - 1);
  __u32 n = want & (OTELBPF_MAX_CAPTURE - 1);
  if (want >= OTELBPF_MAX_CAPTURE) n = OTELBPF_MAX_CAPTURE - 1;
  if (n == 0) return;
  if (bpf_probe_read_user(&s->payload[off], n, src) == 0) s->hdr.captured = off + n;
}

/* Reads the first entries of an iovec array (up to OTELBPF_MAX_IOVECS) into s->iov. Returns
 * how many, 0 when there are none or they cannot be read. */
static __always_inline __u32 scratch_load_iovecs(struct scratch *s, const struct iovec *iov,
                                                 __u32 iovcnt) {
  __u32 n = iovcnt < OTELBPF_MAX_IOVECS ? iovcnt : OTELBPF_MAX_IOVECS;
  asm volatile("" : "+r"(n)); /* keep the bound check below, which the verifier needs */
  if (n == 0 || n > OTELBPF_MAX_IOVECS) return 0;
  if (bpf_probe_read_user(s->iov, n * sizeof(struct iovec), iov)) return 0;
  return n;
}

/* Copies the first `length` bytes scattered over the `niov` iovecs loaded in s->iov (capped by
 * the capture limit); `iovcnt` is the array's full size. */
static __always_inline void scratch_append_iovecs(struct scratch *s, __u32 niov, __u32 iovcnt,
                                                  __u64 length) {
  __u32 want = capture_limit(length);
  for (int i = 0; i < OTELBPF_MAX_IOVECS; i++) {
    if (i >= niov || s->hdr.captured >= want) break;
    __u64 n = s->iov[i].iov_len;
    __u32 room = want - s->hdr.captured;
    if (n > room) n = room;
    scratch_append(s, s->iov[i].iov_base, (__u32)n);
  }
  if (iovcnt > OTELBPF_MAX_IOVECS) count(OTELBPF_STAT_IOV_TRUNCATED);
}

#include "propagation.bpf.h"

/* One message of a data syscall, as the global functions below take it (BPF calls have at most
 * five arguments). */
struct message_ref {
  __u64 buf;    /* a plain buffer (user pointer), or 0 */
  __u64 iov;    /* an iovec array (user pointer), or 0 */
  __u64 length; /* bytes the syscall moved for this message */
  __u64 addr;   /* UDP: the sockaddr the call named, 0 if none */
  __u32 iovcnt;
  __u32 tgid;
};

/* The per-CPU scratch, with the message's iovec array (if any) loaded into it: `niov` gets
 * how many entries. */
static __always_inline struct scratch *scratch_for(const struct message_ref *m, __u32 *niov) {
  struct scratch *s = scratch_get();
  *niov = 0;
  if (s && m->iov) *niov = scratch_load_iovecs(s, (const struct iovec *)m->iov, m->iovcnt);
  return s;
}

/* Sends one message's bytes (a plain buffer or the `niov` iovecs loaded in `s`) to user space. */
static __always_inline void ship_bytes(struct otelbpf_conn_state *c, struct call_args *args,
                                       const struct message_ref *m, struct scratch *s,
                                       __u32 niov) {
  scratch_begin(s, c, m->tgid, args->fd, args, m->length);
  if (m->iov)
    scratch_append_iovecs(s, niov, m->iovcnt, m->length);
  else
    scratch_append(s, (const void *)m->buf, capture_limit(m->length));
  /* Cleartext that turns into TLS (PostgreSQL's SSLRequest, STARTTLS): the hello is not sent. */
  if (!c->tls && starts_tls_handshake(s->payload, s->hdr.captured)) {
    tls_seen(c, m->tgid, args->fd);
    switch_to_tls(c, m->tgid, args->fd);
    return;
  }
  if (propagate_headers && c->proto == OTELBPF_PROTO_HTTP1) follow_trace_context(c, m->tgid, s);
  scratch_send(s);
}

/* One message's worth of bytes (a plain buffer or an iovec array) on a TCP candidate.
 * A global function, like handle_datagram below: the exit program handles bytes from up to seven
 * places (each call kind, each message of a sendmmsg), and inlined there the verifier walked
 * classification and capture seven times over: 0.7 s of start-up. Verified once now. */
__noinline int handle_bytes(struct otelbpf_conn_state *c, struct call_args *args,
                            struct message_ref *m) {
  if (!c || !args || !m) return 0;
  __u32 niov = 0;
  struct scratch *s = scratch_for(m, &niov);
  if (!s) return 0;
  if (c->verdict != OTELBPF_VERDICT_SHIPPING) {
    /* Still looking: classify the first bytes (for an iovec array, its first element's). */
    const void *first = (const void *)m->buf;
    __u32 first_len = m->length > 0xffffffffull ? 0xffffffff : (__u32)m->length;
    if (m->iov) {
      __u64 l0 = niov ? s->iov[0].iov_len : 0;
      first = niov ? s->iov[0].iov_base : NULL;
      if (l0 < first_len) first_len = (__u32)l0;
    }
    if (!detect_tcp(c, m->tgid, args->fd, args->direction, first, first_len, m->length)) return 0;
  }
  ship_bytes(c, args, m, s, niov);
  return 0;
}

/* One UDP datagram: shipped when it goes to or comes from a DNS server. Global: see
 * handle_bytes. */
__noinline int handle_datagram(struct otelbpf_conn_state *c, struct call_args *args,
                               struct message_ref *m) {
  if (!c || !args || !m) return 0;
  struct otelbpf_conn_open_event *e = conn_open_begin();
  if (!e || !udp_dns_datagram(c, m->addr, e)) return 0;
  if (c->verdict != OTELBPF_VERDICT_SHIPPING) {
    if (!protocol_enabled(OTELBPF_PROTO_DNS) || !port_selected(e->local_port, e->peer_port)) return 0;
    c->role = OTELBPF_ROLE_CLIENT;
    c->proto = OTELBPF_PROTO_DNS;
    c->verdict = OTELBPF_VERDICT_SHIPPING;
    if (!announce(c, m->tgid, args->fd, e, OTELBPF_PROTO_DNS, OTELBPF_TRANSPORT_UDP)) return 0;
  }
  __u32 niov = 0;
  struct scratch *s = scratch_for(m, &niov);
  if (s) ship_bytes(c, args, m, s, niov);
  return 0;
}

/* ---------------------------------------------------------------- syscall plumbing ---- */

static __always_inline void enter_call(__s32 fd, __u64 ptr, __u64 addr, __u32 count_arg,
                                       __u8 kind, __u8 direction) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (!tgid_selected(tgid)) return;
  /* Only the arguments here: whether the fd is a connection we follow is looked up once, at
   * the exit, where the bytes are (one hash lookup per syscall instead of two). */
  struct call_args *a = bpf_task_storage_get(&active_calls, bpf_get_current_task_btf(), 0,
                                             BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (!a) {
    count(OTELBPF_STAT_ARGS_MAP_FULL); /* no memory for this thread's slot */
    return;
  }
  /* A receive is dated by its exit (when the bytes were there): its entry time says only when
   * the process began to wait, so it is not read. A send's entry is when it started. */
  a->enter_ns = direction == OTELBPF_DIR_SEND ? bpf_ktime_get_ns() : 0;
  /* Inside SSL_read/SSL_write: this syscall moves its ciphertext, so its fd is the SSL's socket. */
  if (a->tls_ssl && a->tls_fd < 0) a->tls_fd = fd;
  a->ptr = ptr;
  a->addr = addr;
  a->count = count_arg;
  a->fd = fd;
  a->kind = kind;
  a->direction = direction;
  a->active = 1;
  if (propagate_headers && direction == OTELBPF_DIR_SEND) note_go_send(tgid);
}

/* A data syscall on a UDP socket that may carry DNS: each datagram on its own. */
static __always_inline void exit_udp_call(struct otelbpf_conn_state *c, __u32 tgid, struct call_args *args,
                                          long ret) {
  switch (args->kind) {
    case CALL_BUF: {
      struct message_ref m = {.buf = args->ptr, .length = ret, .addr = args->addr, .tgid = tgid};
      handle_datagram(c, args, &m);
      break;
    }
    case CALL_IOV: {
      struct message_ref m = {.iov = args->ptr, .iovcnt = args->count, .length = ret, .tgid = tgid};
      handle_datagram(c, args, &m);
      break;
    }
    case CALL_MSG: {
      struct user_msghdr m = {};
      if (bpf_probe_read_user(&m, sizeof(m), (const void *)args->ptr)) return;
      struct message_ref r = {.iov = (__u64)m.msg_iov, .iovcnt = (__u32)m.msg_iovlen, .length = ret,
                              .addr = (__u64)m.msg_name, .tgid = tgid};
      handle_datagram(c, args, &r);
      break;
    }
    case CALL_MMSG: {
      /* The resolver in glibc sends its A and AAAA queries with one sendmmsg. */
      const struct mmsghdr *msgs = (const struct mmsghdr *)args->ptr;
      for (int i = 0; i < OTELBPF_MAX_MMSGS; i++) {
        if (i >= ret) break;
        struct mmsghdr m = {};
        if (bpf_probe_read_user(&m, sizeof(m), &msgs[i])) break;
        if (m.msg_len == 0) continue;
        struct message_ref r = {.iov = (__u64)m.msg_hdr.msg_iov,
                                .iovcnt = (__u32)m.msg_hdr.msg_iovlen, .length = m.msg_len,
                                .addr = (__u64)m.msg_hdr.msg_name, .tgid = tgid};
        handle_datagram(c, args, &r);
      }
      if (ret > OTELBPF_MAX_MMSGS) count(OTELBPF_STAT_IOV_TRUNCATED);
      break;
    }
  }
}

/* A receive that was already blocked when we attached (a thread-per-connection server idle in
 * recv() on a kept-alive connection), or when its process became selected: its entry was never
 * seen, which is why this thread has no slot yet (every data syscall entry of a selected
 * process makes one). Its arguments are still in the user registers the syscall saved (x86-64:
 * rdi, rsi, rdx, r8; only rax holds the result), so it is described now as its entry would have
 * been, and its bytes, already in the caller's buffer, are read as usual. Sends are not
 * recovered: a send does not block for long. */
static __always_inline struct call_args *describe_call_at_exit(long id) {
#if defined(__TARGET_ARCH_x86)
  struct task_struct *task = bpf_get_current_task_btf();
  struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
  const __s32 fd = (__s32)BPF_CORE_READ(regs, di);
  const __u64 ptr = BPF_CORE_READ(regs, si);
  const __u32 third = (__u32)BPF_CORE_READ(regs, dx);
  switch (id) {
    case 0: /* read(fd, buf, count) */
      enter_call(fd, ptr, 0, 0, CALL_BUF, OTELBPF_DIR_RECV);
      break;
    case 45: /* recvfrom(fd, buf, len, flags, src_addr, addrlen) */
      enter_call(fd, ptr, BPF_CORE_READ(regs, r8), 0, CALL_BUF, OTELBPF_DIR_RECV);
      break;
    case 19: /* readv(fd, iov, iovcnt) */
      enter_call(fd, ptr, 0, third, CALL_IOV, OTELBPF_DIR_RECV);
      break;
    case 47: /* recvmsg(fd, msg, flags) */
      enter_call(fd, ptr, 0, 0, CALL_MSG, OTELBPF_DIR_RECV);
      break;
    case 299: /* recvmmsg(fd, msgvec, vlen, flags, timeout) */
      enter_call(fd, ptr, 0, third, CALL_MMSG, OTELBPF_DIR_RECV);
      break;
    default:
      return NULL;
  }
  struct call_args *args = bpf_task_storage_get(&active_calls, task, 0, 0);
  if (args && args->active) count(OTELBPF_STAT_CALLS_BEFORE_ATTACH);
  return args;
#else
  return NULL;
#endif
}

static __always_inline void exit_call(long id, long ret) {
  /* The slot itself, not a copy, is passed on: no stack for it, and scratch_begin caches the
   * process's described flags in it. */
  struct call_args *args = bpf_task_storage_get(&active_calls, bpf_get_current_task_btf(), 0, 0);
  if (!args) {
    if (ret <= 0 || !tgid_selected(bpf_get_current_pid_tgid() >> 32)) return;
    args = describe_call_at_exit(id);
  }
  if (!args || !args->active) return;
  args->active = 0;
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  struct otelbpf_conn_state *c = get_conn(tgid, args->fd);
  if (!c) return;
  if (ret <= 0) {
    if (ret == -ECONNRESET || ret == -EPIPE) c->reset = 1;
    return;
  }
  /* Ciphertext: of a TLS call whose plaintext its return probe ships, or outside one (the
   * handshake, alerts). */
  if (args->tls_ssl && c->kind == KIND_TCP) switch_to_tls(c, tgid, args->fd);
  if (c->tls) return;
  if (c->kind == KIND_UDP) {
    exit_udp_call(c, tgid, args, ret);
    return;
  }

  switch (args->kind) {
    case CALL_BUF: {
      struct message_ref m = {.buf = args->ptr, .length = ret, .tgid = tgid};
      handle_bytes(c, args, &m);
      break;
    }
    case CALL_IOV: {
      struct message_ref m = {.iov = args->ptr, .iovcnt = args->count, .length = ret, .tgid = tgid};
      handle_bytes(c, args, &m);
      break;
    }
    case CALL_MSG: {
      struct user_msghdr m = {};
      if (bpf_probe_read_user(&m, sizeof(m), (const void *)args->ptr)) return;
      struct message_ref r = {
          .iov = (__u64)m.msg_iov, .iovcnt = (__u32)m.msg_iovlen, .length = ret, .tgid = tgid};
      handle_bytes(c, args, &r);
      break;
    }
    case CALL_MMSG: {
      /* ret is the number of messages; each carries its own byte count. */
      const struct mmsghdr *msgs = (const struct mmsghdr *)args->ptr;
      for (int i = 0; i < OTELBPF_MAX_MMSGS; i++) {
        if (i >= ret) break;
        struct mmsghdr m = {};
        if (bpf_probe_read_user(&m, sizeof(m), &msgs[i])) break;
        if (m.msg_len == 0) continue;
        struct message_ref r = {.iov = (__u64)m.msg_hdr.msg_iov,
                                .iovcnt = (__u32)m.msg_hdr.msg_iovlen, .length = m.msg_len,
                                .tgid = tgid};
        handle_bytes(c, args, &r);
      }
      if (ret > OTELBPF_MAX_MMSGS) count(OTELBPF_STAT_IOV_TRUNCATED);
      break;
    }
    case CALL_SENDFILE: {
      /* File bytes never pass through user memory: ship the length only (a gap) so the
       * parser can still find where the message ends. */
      if (c->verdict != OTELBPF_VERDICT_SHIPPING) return;
      struct scratch *s = scratch_get();
      if (!s) return;
      scratch_begin(s, c, tgid, args->fd, args, ret);
      scratch_send(s);
      break;
    }
  }
}

/* Enter programs differ per syscall (argument positions, call kind, direction). */
/* addr: the sockaddr argument of sendto/recvfrom (their 5th), 0 for the others. */
#define DATA_SYSCALL_ENTER(name, fd_arg, ptr_arg, addr, count_arg, kind, dir)                   \
  SEC("tracepoint/syscalls/sys_enter_" #name)                                                   \
  int enter_##name(struct trace_event_raw_sys_enter *ctx) {                                     \
    enter_call((__s32)ctx->args[fd_arg], ctx->args[ptr_arg], addr, count_arg, kind, dir);       \
    return 0;                                                                                   \
  }

DATA_SYSCALL_ENTER(read, 0, 1, 0, 0, CALL_BUF, OTELBPF_DIR_RECV)
DATA_SYSCALL_ENTER(write, 0, 1, 0, 0, CALL_BUF, OTELBPF_DIR_SEND)
DATA_SYSCALL_ENTER(recvfrom, 0, 1, ctx->args[4], 0, CALL_BUF, OTELBPF_DIR_RECV)
DATA_SYSCALL_ENTER(sendto, 0, 1, ctx->args[4], 0, CALL_BUF, OTELBPF_DIR_SEND)
DATA_SYSCALL_ENTER(recvmsg, 0, 1, 0, 0, CALL_MSG, OTELBPF_DIR_RECV)
DATA_SYSCALL_ENTER(sendmsg, 0, 1, 0, 0, CALL_MSG, OTELBPF_DIR_SEND)
DATA_SYSCALL_ENTER(readv, 0, 1, 0, (__u32)ctx->args[2], CALL_IOV, OTELBPF_DIR_RECV)
DATA_SYSCALL_ENTER(writev, 0, 1, 0, (__u32)ctx->args[2], CALL_IOV, OTELBPF_DIR_SEND)
DATA_SYSCALL_ENTER(recvmmsg, 0, 1, 0, (__u32)ctx->args[2], CALL_MMSG, OTELBPF_DIR_RECV)
DATA_SYSCALL_ENTER(sendmmsg, 0, 1, 0, (__u32)ctx->args[2], CALL_MMSG, OTELBPF_DIR_SEND)
/* sendfile64(out_fd, in_fd, offset, count): bytes go out on out_fd. */
DATA_SYSCALL_ENTER(sendfile64, 0, 2, 0, 0, CALL_SENDFILE, OTELBPF_DIR_SEND)

/* One exit program serves every data syscall: the enter side recorded what kind of call it
 * was, and all sys_exit_* records share one layout. User space attaches it to each
 * sys_exit_<name> above (DATA_EXIT_TRACEPOINTS in bpf_capture.cc); being one program, the
 * verifier checks it once instead of eleven times, which is most of our start-up time. The
 * section name gives it no automatic attachment. */
SEC("tracepoint")
int exit_data(struct trace_event_raw_sys_exit *ctx) {
  exit_call(ctx->id, ctx->ret);
  return 0;
}

/* ---------------------------------------------------------------- TLS plaintext ---- */

#include "tls_openssl.bpf.h"
#include "tls_go.bpf.h"

/* ---------------------------------------------------------------- connection lifecycle ---- */

#include "tcp_lifecycle.bpf.h"

static __always_inline void remember_connect(__s32 fd) {
  __u64 id = bpf_get_current_pid_tgid();
  __u32 tgid = id >> 32;
  if (tgid != self_tgid && !tgid_selected(tgid)) return;
  bpf_map_update_elem(&active_connects, &id, &fd, BPF_ANY);
}

/* A connection born while we watch: its role is certain and it must start with a message. */
static __always_inline void new_connection(__s32 fd, __u8 role) {
  __u64 id = bpf_get_current_pid_tgid();
  __u32 tgid = id >> 32;
  struct otelbpf_conn_key key = {.tgid = tgid, .fd = fd};
  struct sock *sk = fd_to_sock(fd);
  if (!is_tcp(sk)) {
    bpf_map_delete_elem(&conns, &key);
    return;
  }
  if (tgid == self_tgid) {
    /* Our own export connection: remember its tuple so the collector's end of it is never
     * traced. connect() binds the local address and port before it returns. */
    struct tuple_key k = {};
    tuple_of_sock(&k, sk);
    __u8 one = 1;
    bpf_map_update_elem(&self_tuples, &k, &one, BPF_ANY);
    return;
  }
  struct otelbpf_conn_state c = {.generation = next_generation(),
                         .sk = (__u64)sk,
                         .kind = KIND_TCP,
                         .role = role,
                         .seen_from_start = 1};
  if (bpf_map_update_elem(&conns, &key, &c, BPF_ANY)) count(OTELBPF_STAT_CONN_MAP_FULL);
  remember_owner(sk, tgid, fd, c.generation);
  if (role == OTELBPF_ROLE_SERVER) tcp_life_accepted(sk, tgid);
}

SEC("tracepoint/syscalls/sys_enter_connect")
int enter_connect(struct trace_event_raw_sys_enter *ctx) {
  remember_connect((__s32)ctx->args[0]);
  return 0;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int exit_connect(struct trace_event_raw_sys_exit *ctx) {
  __u64 id = bpf_get_current_pid_tgid();
  __s32 *fdp = bpf_map_lookup_elem(&active_connects, &id);
  if (!fdp) return 0;
  __s32 fd = *fdp;
  bpf_map_delete_elem(&active_connects, &id);
  if (ctx->ret == 0 || ctx->ret == -EINPROGRESS) new_connection(fd, OTELBPF_ROLE_CLIENT);
  return 0;
}

static __always_inline void exit_accept(long ret) {
  if (ret < 0) return;
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (!tgid_selected(tgid)) return;
  new_connection((__s32)ret, OTELBPF_ROLE_SERVER);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int exit_accept_(struct trace_event_raw_sys_exit *ctx) {
  exit_accept(ctx->ret);
  return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int exit_accept4(struct trace_event_raw_sys_exit *ctx) {
  exit_accept(ctx->ret);
  return 0;
}

SEC("tracepoint/syscalls/sys_enter_close")
int enter_close(struct trace_event_raw_sys_enter *ctx) {
  __u64 id = bpf_get_current_pid_tgid();
  __u32 tgid = id >> 32;
  __s32 fd = (__s32)ctx->args[0];
  if (tgid == self_tgid) {
    struct sock *sk = fd_to_sock(fd);
    if (is_tcp(sk)) {
      struct tuple_key k = {};
      tuple_of_sock(&k, sk);
      bpf_map_delete_elem(&self_tuples, &k);
    }
    return 0;
  }
  struct otelbpf_conn_key key = {.tgid = tgid, .fd = fd};
  struct otelbpf_conn_state *c = bpf_map_lookup_elem(&conns, &key);
  if (!c) return 0;
  if (c->verdict == OTELBPF_VERDICT_SHIPPING) {
    struct otelbpf_event_header e = {.type = OTELBPF_EV_CONN_CLOSE,
                                     .role = c->role,
                                     .flags = c->reset ? OTELBPF_FLAG_RESET : 0,
                                     .tgid = tgid,
                                     .fd = fd,
                                     .generation = c->generation};
    e.start_ns = e.end_ns = bpf_ktime_get_ns();
    emit(&e, sizeof(e), ringbuf_flags(), OTELBPF_EV_CONN_CLOSE);
  }
  bpf_map_delete_elem(&conns, &key);
  return 0;
}

/* ---------------------------------------------------------------- processes ---- */

SEC("tracepoint/sched/sched_process_exit")
int process_exit(void *ctx) {
  __u64 id = bpf_get_current_pid_tgid();
  __u32 tgid = id >> 32;
  if ((__u32)id != tgid || tgid == self_tgid) return 0; /* only the group leader's exit */
  if (filter_tgids) bpf_map_delete_elem(&selected_tgids, &tgid); /* its pid may be reused */
  struct otelbpf_event_header e = {.type = OTELBPF_EV_PROCESS_EXIT, .tgid = tgid, .fd = -1};
  e.start_ns = e.end_ns = bpf_ktime_get_ns();
  emit(&e, sizeof(e), ringbuf_flags(), OTELBPF_EV_PROCESS_EXIT);
  return 0;
}

/* A selected process's child is selected too: servers fork their workers (nginx, gunicorn,
 * PostgreSQL per connection, busybox httpd per request) without an exec user space could see,
 * and a per-request child is gone before user space's next look at new processes. Threads
 * (pid != tgid) are not new processes. Typed arguments (tp_btf): the child's task_struct. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(process_fork, struct task_struct *parent, struct task_struct *child) {
  if (!filter_tgids) return 0;
  __u32 child_tgid = BPF_CORE_READ(child, tgid);
  if (BPF_CORE_READ(child, pid) != child_tgid) return 0;
  __u32 parent_tgid = BPF_CORE_READ(parent, tgid);
  if (!bpf_map_lookup_elem(&selected_tgids, &parent_tgid)) return 0;
  __u8 one = 1;
  bpf_map_update_elem(&selected_tgids, &child_tgid, &one, BPF_ANY);
  return 0;
}

/* The process now runs another program (a shell that execs a server, often Go): what user
 * space described (its metadata, whether it runs goroutines) is no longer true. Forget it here
 * at once, so propagation stops continuing requests by thread until user space has described
 * the new program, and tell user space. */
SEC("tracepoint/sched/sched_process_exec")
int process_exec(void *ctx) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (tgid == self_tgid) return 0;
  bool was_described = bpf_map_delete_elem(&described_tgids, &tgid) == 0;
  /* The exec'ing thread is the process's only one now: its cached flags go with the entry. */
  struct call_args *a = bpf_task_storage_get(&active_calls, bpf_get_current_task_btf(), 0, 0);
  if (a) a->described = 0;
  bpf_map_delete_elem(&snapshot_sent, &tgid);
  /* User space hears of every exec (--exe selects by it, Go programs get their uprobes at it),
   * unless told it needs only those of the programs it knew. */
  if (!report_exec && !was_described) return 0;
  struct otelbpf_event_header e = {.type = OTELBPF_EV_PROCESS_EXEC, .tgid = tgid, .fd = -1};
  e.start_ns = e.end_ns = bpf_ktime_get_ns();
  emit(&e, sizeof(e), report_exec ? BPF_RB_FORCE_WAKEUP : ringbuf_flags(), OTELBPF_EV_PROCESS_EXEC);
  return 0;
}

/* ---------------------------------------------------------------- name lookups ---- */

#include "dns_lookup.bpf.h"

/* ---------------------------------------------------------------- TCP retransmissions ---- */

SEC("tracepoint/tcp/tcp_retransmit_skb")
int tcp_retransmit(struct trace_event_raw_tcp_retransmit_skb *ctx) {
  count(OTELBPF_STAT_RETRANSMITS);
  struct otelbpf_tcp_retransmit_event e = {};
  __u64 key = (__u64)ctx->skaddr;
  struct sock_owner *o = bpf_map_lookup_elem(&sock_owners, &key);
  if (o) {
    e.hdr.tgid = o->tgid;
    e.hdr.fd = o->fd;
    e.hdr.generation = o->generation;
  } else {
    e.hdr.fd = -1;
  }
  e.hdr.type = OTELBPF_EV_TCP_RETRANSMIT;
  e.hdr.start_ns = e.hdr.end_ns = bpf_ktime_get_ns();
  e.state = (__u16)ctx->state;
  COPY_RECORD_ENDPOINTS(&e, ctx);
  e.netns = BPF_CORE_READ((struct sock *)ctx->skaddr, __sk_common.skc_net.net, ns.inum);
  emit(&e, sizeof(e), ringbuf_flags(), OTELBPF_EV_TCP_RETRANSMIT);
  return 0;
}
