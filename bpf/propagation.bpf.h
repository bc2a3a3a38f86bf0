/* W3C trace context propagation in the kernel (--propagate=headers; part of http_capture.bpf.c).
 *
 * Outgoing HTTP/1.x requests that carry no traceparent get one, inserted right after their
 * request line by an sk_msg program (bpf_msg_push_data) on the client sockets a sockops program
 * puts in `client_sockets`. The ids it carries must be the ones user space later gives the
 * spans, so they are chosen here and reported (otelbpf_trace_context_event):
 *   - each thread remembers the request it is serving (`served_requests`, set when a server
 *     connection receives a request start, cleared when that connection answers). A request
 *     read while another one of the thread is unanswered makes the entry ambiguous: an event
 *     loop with several requests in flight cannot say which one an outgoing call serves, and
 *     no link is better than a wrong one (the same rule trace assembly applies in user space);
 *   - an outgoing request made while the thread serves one unambiguous request continues that
 *     request's trace, as the server span's child; otherwise it starts a trace;
 *   - in Go programs, goroutines stand in for threads (`served_by_goroutine`; a send's
 *     goroutine is the one it is made for, noted at its entry in `go_sending`), and a goroutine
 *     a handler started continues the request its handler was serving when it started it.
 * The server span's ids are only reported when an outgoing call used them, so servers that make
 * no calls keep user space's ordinary rules (same-host stitching included).
 *
 * Never corrupting traffic comes first. The injector tracks each client socket's request
 * boundaries: it only inserts when a send starts at a request boundary, begins with an HTTP
 * method, and holds the whole header block (within PROP_WINDOW bytes); it learns the body's
 * length from Content-Length and skips that many bytes. Anything it cannot be sure of
 * (chunked bodies, a header block split over sends, several requests in one send, bytes that
 * are not HTTP) leaves the connection alone from then on. Every outcome is counted.
 */
#ifndef OTELBPF_PROPAGATION_BPF_H
#define OTELBPF_PROPAGATION_BPF_H

const volatile bool propagate_headers = false;
/* The sampler's root rule, as in src/trace/sampler.cc: a new trace is sampled when the last
 * 56 bits of its id are >= this (0: always; above 2^56 - 1: never). A parent-based sampler
 * follows an incoming traceparent's sampled flag instead. */
const volatile __u64 root_sample_threshold = 0;
const volatile bool sampler_parent_based = true;

#define PROP_WINDOW 2048            /* bytes of a send or receive searched for the header block */
#define PROP_LINE_LEN 70            /* "traceparent: " + 55 + "\r\n" */
#define PROP_STALE_NS 5000000000ull /* a served request unanswered this long is forgotten */

struct wire_context {
  __u8 trace_id[16];
  __u8 span_id[8];
  __u8 parent_span_id[8];
  __u8 sampled;
};

/* The request a thread is serving, by pid_tgid. */
struct served_request {
  struct wire_context ctx; /* the SERVER span's ids */
  __u64 start_ns;          /* exit of the receive that read it */
  __u64 generation;
  __u32 tgid;
  __s32 fd;
  __u8 ambiguous; /* another request of this thread was unanswered when this one came */
  __u8 reported;  /* its ids were sent to user space */
};

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, __u64);
  __type(value, struct served_request);
} served_requests SEC(".maps");

/* The same in Go programs, by goroutine (go_key): there a thread runs whichever goroutine is
 * ready, and net/http serves a connection's requests and runs their handlers on one goroutine
 * (bpf/go_goroutines.bpf.h). */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, struct go_key);
  __type(value, struct served_request);
} served_by_goroutine SEC(".maps");

/* A Go program's send in progress, by pid_tgid: the goroutine it is made for (the handler's, for
 * the transport writer's sends), set at the syscall's entry for the injector, which runs inside
 * the syscall and cannot read the registers that tell. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, __u64);
  __type(value, __u64);
} go_sending SEC(".maps");

/* What the injector put on the wire during a thread's current send, by pid_tgid, until the
 * send's syscall exit reports it with the connection's identity and the syscall's start. */
struct injection {
  struct wire_context ctx;
  __u64 at_ns;
  __u16 local_port;
  __u16 peer_port;
  __u8 continues_served; /* ctx continues the thread's served request */
  /* Go: the goroutine whose served request ctx continues (0: the thread's) */
  __u64 served_by_goroutine;
};

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, __u64);
  __type(value, struct injection);
} injections SEC(".maps");

/* Client sockets the injector looks at (sockops adds them when they connect). */
struct {
  __uint(type, BPF_MAP_TYPE_SOCKHASH);
  __uint(max_entries, 65536);
  __type(key, __u64); /* socket cookie */
  __type(value, __u64);
} client_sockets SEC(".maps");

/* Per client socket: where its next request starts. */
struct inject_state {
  __u64 body_left; /* bytes of the current request's body still to be sent */
  __u64 cookie;    /* the socket's key in client_sockets */
  __u8 done;       /* left alone from now on */
};

struct {
  __uint(type, BPF_MAP_TYPE_SK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, struct inject_state);
} inject_states SEC(".maps");

/* Sockets the injector gave up on, by cookie: user space takes them out of client_sockets, so
 * they go back to the kernel's plain send path (a database connection should not pay the
 * sockmap's copy for its whole life). Only sockops may edit a sockhash from BPF. */
struct {
  __uint(type, BPF_MAP_TYPE_QUEUE);
  __uint(max_entries, 4096);
  __type(value, __u64);
} released_sockets SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, OTELBPF_PROP_COUNT);
  __type(key, __u32);
  __type(value, __u64);
} propagation_stats SEC(".maps");

/* The programs this runs in already use most of the 512-byte BPF stack: records are built here. */
struct propagation_scratch {
  struct otelbpf_trace_context_event event;
  struct served_request request;
  struct injection injection;
  struct wire_context incoming;
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct propagation_scratch);
} propagation_scratch SEC(".maps");

static __always_inline struct propagation_scratch *prop_scratch(void) {
  __u32 zero = 0;
  return bpf_map_lookup_elem(&propagation_scratch, &zero);
}

static __always_inline void count_propagation(__u32 outcome) {
  __u64 *v = bpf_map_lookup_elem(&propagation_stats, &outcome);
  if (v) *v += 1;
}

/* ------------------------------------------------------------ header block scanning ---- */

/* The start of a message, copied where loops can read it, and what scanning found. */
struct header_window {
  __u8 buf[2 * PROP_WINDOW + 64]; /* indexes are masked with 2 * PROP_WINDOW - 1; + slack for
                                   * the header-name compares past a line start */
  __u32 len;                      /* valid bytes in buf (<= PROP_WINDOW) */
  __u32 request_line_end;         /* just past the request line's LF; 0: not found */
  __u32 header_end;               /* just past the blank line; 0: not in the window */
  __u32 traceparent_value;        /* where the first traceparent's value starts */
  __u32 traceparents;             /* traceparent headers seen */
  __u64 content_length;
  __u8 content_lengths; /* Content-Length headers seen */
  __u8 unsure;          /* bare LF, unreadable Content-Length, Transfer-Encoding */
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct header_window);
} header_windows SEC(".maps");

#define WINDOW_MASK (2 * PROP_WINDOW - 1)
#define LOWER8 0x2020202020202020ull
#define STR8(a, b, c, d, e, f, g, h)                                                         \
  ((__u64)(a) | (__u64)(b) << 8 | (__u64)(c) << 16 | (__u64)(d) << 24 | (__u64)(e) << 32 | \
   (__u64)(f) << 40 | (__u64)(g) << 48 | (__u64)(h) << 56)

static __always_inline __u64 load8(const struct header_window *w, __u32 at) {
  __u64 v;
  __builtin_memcpy(&v, &w->buf[at & WINDOW_MASK], 8);
  return v;
}

static __always_inline __u8 byte_at(const struct header_window *w, __u32 at) {
  return w->buf[at & WINDOW_MASK];
}

/* Offset of the first byte after optional whitespace from `at`. */
static __always_inline __u32 skip_ows(const struct header_window *w, __u32 at) {
  for (int i = 0; i < 8; i++) {
    __u8 c = byte_at(w, at);
    if (c != ' ' && c != '\t') break;
    at++;
  }
  return at;
}

/* A header line starts at `at` (just past a LF). Returns 1 to stop scanning. */
static __always_inline long on_line_start(struct header_window *w, __u32 at) {
  if (w->request_line_end == 0) {
    w->request_line_end = at;
    if (at < 2 || byte_at(w, at - 2) != '\r') w->unsure = 1; /* bare LF: not ours to edit */
  }
  if (at + 1 >= w->len) return 1; /* the window ends first: header block incomplete */
  if (byte_at(w, at) == '\r' && byte_at(w, at + 1) == '\n') {
    w->header_end = at + 2;
    return 1;
  }
  __u64 a = load8(w, at) | LOWER8, b = load8(w, at + 8) | LOWER8;
  if (a == STR8('t', 'r', 'a', 'c', 'e', 'p', 'a', 'r') &&
      (b & 0xffffffffull) == STR8('e', 'n', 't', ':', 0, 0, 0, 0)) {
    if (w->traceparents++ == 0) w->traceparent_value = skip_ows(w, at + 12);
  } else if (a == STR8('c', 'o', 'n', 't', 'e', 'n', 't', '-') &&
             (b & 0xffffffffffffffull) == STR8('l', 'e', 'n', 'g', 't', 'h', ':', 0)) {
    w->content_lengths++;
    __u32 p = skip_ows(w, at + 15);
    __u64 n = 0;
    int digits = 0;
    for (int i = 0; i < 12; i++) {
      __u8 c = byte_at(w, p + i);
      if (c < '0' || c > '9') break;
      n = n * 10 + (c - '0');
      digits++;
    }
    __u8 after = byte_at(w, p + digits);
    if (digits == 0 || digits == 12 || (after != '\r' && after != ' ' && after != '\t'))
      w->unsure = 1;
    w->content_length = n;
  } else if (a == STR8('t', 'r', 'a', 'n', 's', 'f', 'e', 'r') &&
             b == STR8('-', 'e', 'n', 'c', 'o', 'd', 'i', 'n')) {
    w->unsure = 1; /* chunked (or worse): the body's end is not known here */
  }
  return 0;
}

/* bpf_loop wants its context on the stack: it points at the window. */
struct scan_ctx {
  struct header_window *w;
};

/* bpf_loop callback: one 8-byte word of the window; line starts are handled where a LF is. */
static long scan_word(__u32 i, struct scan_ctx *ctx) {
  struct header_window *w = ctx->w;
  __u32 off = i * 8;
  if (off >= w->len) return 1;
  __u64 x = load8(w, off) ^ 0x0a0a0a0a0a0a0a0aull; /* LF bytes become zero */
  if (!((x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull)) return 0;
  for (int b = 0; b < 8; b++) {
    __u32 at = off + b;
    if (at >= w->len) return 1;
    if (byte_at(w, at) == '\n' && on_line_start(w, at + 1)) return 1;
  }
  return 0;
}

static __always_inline void scan_headers(struct header_window *w) {
  w->request_line_end = w->header_end = w->traceparent_value = w->traceparents = 0;
  w->content_length = 0;
  w->content_lengths = w->unsure = 0;
  struct scan_ctx ctx = {.w = w};
  bpf_loop(PROP_WINDOW / 8, scan_word, &ctx, 0);
}

static __always_inline int lower_hex(__u8 c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/* Parses `n` bytes of lowercase hex at `at` into out. False on any other character. */
static __always_inline bool parse_hex(const struct header_window *w, __u32 at, __u8 *out, int n) {
  for (int i = 0; i < 16; i++) {
    if (i >= n) break;
    int hi = lower_hex(byte_at(w, at + 2 * i)), lo = lower_hex(byte_at(w, at + 2 * i + 1));
    if (hi < 0 || lo < 0) return false;
    out[i] = (__u8)(hi << 4 | lo);
  }
  return true;
}

static __always_inline bool all_zero(const __u8 *p, int n) {
  __u8 any = 0;
  for (int i = 0; i < 16; i++)
    if (i < n) any |= p[i];
  return any == 0;
}

/* The traceparent the scanned request carries, by the W3C rules trace/traceparent.cc applies
 * (exactly one header; malformed ones are ignored). Fills trace id, parent and sampled. */
static __always_inline bool parse_traceparent(const struct header_window *w,
                                              struct wire_context *incoming) {
  if (w->traceparents != 1) return false;
  __u32 v = w->traceparent_value;
  if (v + 55 > w->len) return false;
  __u8 version = 0, flags = 0;
  if (!parse_hex(w, v, &version, 1) || version == 0xff) return false;
  if (byte_at(w, v + 2) != '-' || byte_at(w, v + 35) != '-' || byte_at(w, v + 52) != '-')
    return false;
  __u8 end = byte_at(w, v + 55);
  if (version == 0 ? (end != '\r' && end != ' ' && end != '\t') : (end != '\r' && end != '-'))
    return false;
  if (!parse_hex(w, v + 3, incoming->trace_id, 16) ||
      !parse_hex(w, v + 36, incoming->parent_span_id, 8) || !parse_hex(w, v + 53, &flags, 1))
    return false;
  if (all_zero(incoming->trace_id, 16) || all_zero(incoming->parent_span_id, 8)) return false;
  incoming->sampled = flags & 1;
  return true;
}

/* ------------------------------------------------------------------------- ids ---- */

static __always_inline void random_bytes(__u8 *out, int n) {
  for (int i = 0; i < 16; i += 4) {
    if (i >= n) break;
    __u32 r = bpf_get_prandom_u32();
    __builtin_memcpy(out + i, &r, 4);
  }
}

/* Random, and never all zero (the one invalid id). */
static __always_inline void new_span_id(__u8 *id) {
  random_bytes(id, 8);
  if (all_zero(id, 8)) id[7] = 1;
}

static __always_inline __u8 root_sampled(const __u8 *trace_id) {
  __u64 randomness = 0;
  for (int i = 9; i < 16; i++) randomness = randomness << 8 | trace_id[i];
  return randomness >= root_sample_threshold;
}

/* A context starting a trace: random ids, the root sampling rule. */
static __always_inline void new_root_context(struct wire_context *ctx) {
  random_bytes(ctx->trace_id, 16);
  if (all_zero(ctx->trace_id, 16)) ctx->trace_id[15] = 1;
  new_span_id(ctx->span_id);
  __builtin_memset(ctx->parent_span_id, 0, 8);
  ctx->sampled = root_sampled(ctx->trace_id);
}

/* -------------------------------------------------------- served requests (server) ---- */

/* A server connection received bytes that start a request: it becomes the thread's served
 * request, continuing the trace its traceparent names. */
/* Where a served request is remembered: by goroutine in a Go program (the one the syscall's
 * bytes belong to, `goroutine` != 0), else by thread. */
static __always_inline struct served_request *served_find(__u64 id, __u64 goroutine) {
  if (goroutine) {
    struct go_key key = {.tgid = id >> 32, .ptr = goroutine};
    return bpf_map_lookup_elem(&served_by_goroutine, &key);
  }
  return bpf_map_lookup_elem(&served_requests, &id);
}

static __always_inline void served_store(__u64 id, __u64 goroutine, struct served_request *r) {
  if (goroutine) {
    struct go_key key = {.tgid = id >> 32, .ptr = goroutine};
    bpf_map_update_elem(&served_by_goroutine, &key, r, BPF_ANY);
  } else {
    bpf_map_update_elem(&served_requests, &id, r, BPF_ANY);
  }
}

static __always_inline void served_forget(__u64 id, __u64 goroutine) {
  if (goroutine) {
    struct go_key key = {.tgid = id >> 32, .ptr = goroutine};
    bpf_map_delete_elem(&served_by_goroutine, &key);
  } else {
    bpf_map_delete_elem(&served_requests, &id);
  }
}

static __always_inline void begin_served_request(struct otelbpf_conn_state *c, __u32 tgid,
                                                 const struct scratch *s) {
  __u32 zero = 0;
  struct header_window *w = bpf_map_lookup_elem(&header_windows, &zero);
  if (!w) return;
  __u32 n = s->hdr.captured < PROP_WINDOW ? s->hdr.captured : PROP_WINDOW;
  n &= 2 * PROP_WINDOW - 1;
  if (n == 0 || bpf_probe_read_kernel(w->buf, n, s->payload)) return;
  w->len = n;
  scan_headers(w);

  struct propagation_scratch *ps = prop_scratch();
  if (!ps) return;
  __u64 id = bpf_get_current_pid_tgid();
  /* A receive's exit: user space dates a request's first byte by it (a server may wait in
   * recv() long before the request comes), and matches our report by it. */
  __u64 now = s->hdr.end_ns;
  struct served_request *prev = served_find(id, s->hdr.goroutine);
  struct served_request *r = &ps->request;
  __builtin_memset(r, 0, sizeof(*r));
  r->start_ns = now;
  r->generation = c->generation;
  r->tgid = tgid;
  r->fd = s->hdr.fd;
  r->ambiguous = prev && now - prev->start_ns < PROP_STALE_NS;
  struct wire_context *incoming = &ps->incoming;
  if (parse_traceparent(w, incoming)) {
    __builtin_memcpy(r->ctx.trace_id, incoming->trace_id, 16);
    __builtin_memcpy(r->ctx.parent_span_id, incoming->parent_span_id, 8);
    r->ctx.sampled = sampler_parent_based ? incoming->sampled : root_sampled(incoming->trace_id);
    new_span_id(r->ctx.span_id);
  } else {
    new_root_context(&r->ctx);
  }
  served_store(id, s->hdr.goroutine, r);
}

/* The server connection answered: the request it was serving on this thread (goroutine) is
 * over. */
static __always_inline void end_served_request(struct otelbpf_conn_state *c, __u32 tgid,
                                               const struct scratch *s) {
  __u64 id = bpf_get_current_pid_tgid();
  struct served_request *r = served_find(id, s->hdr.goroutine);
  if (r && r->tgid == tgid && r->fd == s->hdr.fd && r->generation == c->generation)
    served_forget(id, s->hdr.goroutine);
}

/* ---------------------------------------------------------- reports to user space ---- */

static __always_inline void report_context(struct propagation_scratch *ps,
                                           const struct wire_context *ctx, __u32 tgid, __s32 fd,
                                           __u64 generation, __u8 role, __u64 start_ns) {
  struct otelbpf_trace_context_event *e = &ps->event;
  __builtin_memset(e, 0, sizeof(*e));
  e->hdr.type = OTELBPF_EV_TRACE_CONTEXT;
  e->hdr.role = role;
  e->hdr.tgid = tgid;
  e->hdr.tid = (__u32)bpf_get_current_pid_tgid();
  e->hdr.fd = fd;
  e->hdr.generation = generation;
  e->hdr.start_ns = e->hdr.end_ns = start_ns;
  __builtin_memcpy(e->trace_id, ctx->trace_id, 16);
  __builtin_memcpy(e->span_id, ctx->span_id, 8);
  __builtin_memcpy(e->parent_span_id, ctx->parent_span_id, 8);
  e->sampled = ctx->sampled;
  emit(e, sizeof(*e), ringbuf_flags(), OTELBPF_EV_TRACE_CONTEXT);
}

/* A client connection's send returned: if the injector put a traceparent in it, say which
 * ids, and the ids of the served request it continues (once per served request). */
static __always_inline void report_injection(struct otelbpf_conn_state *c, const struct scratch *s) {
  __u64 id = bpf_get_current_pid_tgid();
  struct injection *in = bpf_map_lookup_elem(&injections, &id);
  if (!in) return;
  struct propagation_scratch *ps = prop_scratch();
  if (!ps) return;
  struct injection *done = &ps->injection;
  __builtin_memcpy(done, in, sizeof(*done));
  bpf_map_delete_elem(&injections, &id);
  /* It must have happened during this very syscall, on this very socket. */
  if (done->at_ns < s->hdr.start_ns || !c->sk) return;
  struct sock *sk = (struct sock *)c->sk;
  if (BPF_CORE_READ(sk, __sk_common.skc_num) != done->local_port ||
      bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport)) != done->peer_port)
    return;
  if (done->continues_served) {
    struct served_request *r = served_find(id, done->served_by_goroutine);
    if (r && !r->reported) {
      r->reported = 1;
      report_context(ps, &r->ctx, r->tgid, r->fd, r->generation, OTELBPF_ROLE_SERVER,
                     r->start_ns);
    }
  }
  report_context(ps, &done->ctx, s->hdr.tgid, s->hdr.fd, s->hdr.generation, OTELBPF_ROLE_CLIENT,
                 s->hdr.start_ns);
}

/* Called for every shipped HTTP/1 syscall when propagation is on. A global function: the
 * verifier checks it once, not once per place the exit program ships bytes from. */
__noinline int follow_trace_context(struct otelbpf_conn_state *c, __u32 tgid, const struct scratch *s) {
  if (!c || !s) return 0;
  if (c->role == OTELBPF_ROLE_SERVER) {
    if (s->hdr.direction == OTELBPF_DIR_RECV) {
      if (s->hdr.captured >= 8 && classify_http1(s->payload, 8, s->hdr.length) == CLASSIFY_REQUEST)
        begin_served_request(c, tgid, s);
    } else {
      end_served_request(c, tgid, s);
    }
  } else if (c->role == OTELBPF_ROLE_CLIENT && s->hdr.direction == OTELBPF_DIR_SEND) {
    report_injection(c, s);
  }
  return 0;
}

/* --------------------------------------------------------------- sockops + sk_msg ---- */

SEC("sockops")
int track_client_sockets(struct bpf_sock_ops *skops) {
  if (skops->op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB) return 1;
  if (skops->family != AF_INET && skops->family != AF_INET6) return 1;
  if (!port_selected((__u16)skops->local_port, bpf_ntohl(skops->remote_port) & 0xffff)) return 1;
  __u64 cookie = bpf_get_socket_cookie(skops);
  struct bpf_sock *sk = skops->sk;
  if (!sk) return 1;
  struct inject_state *st = bpf_sk_storage_get(&inject_states, sk, 0,
                                               BPF_SK_STORAGE_GET_F_CREATE);
  if (!st) return 1;
  st->cookie = cookie;
  bpf_sock_hash_update(skops, &client_sockets, &cookie, BPF_ANY);
  return 1;
}

/* The injector is done with this socket for good: hand it back (see released_sockets). */
static __always_inline void give_up(struct inject_state *st, __u32 outcome) {
  st->done = 1;
  count_propagation(outcome);
  if (st->cookie) bpf_map_push_elem(&released_sockets, &st->cookie, BPF_ANY);
}

/* Copies the first bytes of the message into the window (the sk_msg data pointers only cover
 * what bpf_msg_pull_data made linear). */
static __always_inline bool copy_message_start(struct sk_msg_md *msg, struct header_window *w,
                                               __u32 n) {
  if (bpf_msg_pull_data(msg, 0, n, 0)) return false;
  __u8 *data = msg->data, *end = msg->data_end;
  __u32 copied = 0;
  for (int i = 0; i < PROP_WINDOW / 8; i++) {
    if (data + copied + 8 > end || copied + 8 > n) break;
    __builtin_memcpy(&w->buf[copied & WINDOW_MASK], data + copied, 8);
    copied += 8;
  }
  for (int i = 0; i < 8; i++) {
    if (data + copied + 1 > end || copied >= n) break;
    w->buf[copied & WINDOW_MASK] = data[copied];
    copied++;
  }
  w->len = copied;
  return copied == n;
}

static __always_inline void hex_into(__u8 *out, const __u8 *bytes, int n) {
  for (int i = 0; i < 16; i++) {
    if (i >= n) break;
    __u8 hi = bytes[i] >> 4, lo = bytes[i] & 0xf;
    out[2 * i] = hi < 10 ? '0' + hi : 'a' + hi - 10;
    out[2 * i + 1] = lo < 10 ? '0' + lo : 'a' + lo - 10;
  }
}

/* Inserts "traceparent: 00-<trace>-<span>-<flags>\r\n" at `at`. */
static __always_inline bool insert_traceparent(struct sk_msg_md *msg, __u32 at,
                                               const struct wire_context *ctx) {
  __u8 line[PROP_LINE_LEN];
  __builtin_memcpy(line, "traceparent: 00-", 16);
  hex_into(line + 16, ctx->trace_id, 16);
  line[48] = '-';
  hex_into(line + 49, ctx->span_id, 8);
  line[65] = '-';
  line[66] = '0';
  line[67] = ctx->sampled ? '1' : '0';
  line[68] = '\r';
  line[69] = '\n';
  if (bpf_msg_push_data(msg, at, PROP_LINE_LEN, 0)) return false;
  if (bpf_msg_pull_data(msg, at, at + PROP_LINE_LEN, 0)) return false;
  __u8 *data = msg->data, *end = msg->data_end;
  if (data + PROP_LINE_LEN > end) return false;
  __builtin_memcpy(data, line, PROP_LINE_LEN);
  return true;
}

/* At the entry of a Go program's send: the goroutine it is made for (the transport writer
 * sends for the handler that asked), for the injector that runs inside the syscall. */
static __always_inline void note_go_send(__u32 tgid) {
  if (!(described_flags(tgid) & OTELBPF_DESCRIBED_GOROUTINES)) return;
  __u64 id = bpf_get_current_pid_tgid();
  struct go_key key = {.tgid = tgid, .ptr = current_goroutine()};
  __u64 *owner = bpf_map_lookup_elem(&go_send_owners, &key);
  __u64 g = owner ? *owner : key.ptr;
  bpf_map_update_elem(&go_sending, &id, &g, BPF_ANY);
}

/* The request whose outgoing calls a send of thread `id` makes: in a program described as
 * running one request per thread, the thread's; in a Go program, that of the goroutine the
 * send is for (go_sending), or of the nearest ancestor that started its line of goroutines
 * while serving it (go_spawns, when goroutine creation is followed). Unknown processes have
 * none: a new trace is better than a wrong parent. `*goroutine` says whose it is (0: the
 * thread's). */
static __always_inline struct served_request *served_for_send(__u64 id, __u64 *goroutine) {
  __u32 tgid = id >> 32;
  *goroutine = 0;
  __u8 *described = bpf_map_lookup_elem(&described_tgids, &tgid);
  if (!described) return NULL;
  if (!(*described & OTELBPF_DESCRIBED_GOROUTINES)) return served_find(id, 0);
  __u64 *sending = bpf_map_lookup_elem(&go_sending, &id);
  if (!sending) return NULL;
  __u64 g = *sending;
  struct served_request *r = served_find(id, g);
  if (r) {
    *goroutine = g;
    return r;
  }
  /* A goroutine that serves nothing: its line's nearest serving ancestor, if that one was
   * already serving the request when it started the line (design.md, "Goroutines a handler
   * starts"). */
  struct go_key key = {.tgid = tgid, .ptr = g};
  for (int i = 0; i < OTELBPF_GO_SPAWN_DEPTH; i++) {
    struct go_spawn *spawn = bpf_map_lookup_elem(&go_spawns, &key);
    if (!spawn) return NULL;
    r = served_find(id, spawn->parent);
    if (r) {
      if (r->start_ns > spawn->started_ns) return NULL; /* taken up after the line began */
      *goroutine = spawn->parent;
      return r;
    }
    key.ptr = spawn->parent;
  }
  return NULL;
}

/* The context an outgoing request carries: the served request's trace when there is exactly
 * one, else a new trace. */
static __always_inline void choose_client_context(__u64 id, struct injection *in) {
  __u64 goroutine = 0;
  struct served_request *r = served_for_send(id, &goroutine);
  if (r && !r->ambiguous && bpf_ktime_get_ns() - r->start_ns < PROP_STALE_NS) {
    in->served_by_goroutine = goroutine;
    __builtin_memcpy(in->ctx.trace_id, r->ctx.trace_id, 16);
    __builtin_memcpy(in->ctx.parent_span_id, r->ctx.span_id, 8);
    in->ctx.sampled = r->ctx.sampled;
    new_span_id(in->ctx.span_id);
    in->continues_served = 1;
  } else {
    new_root_context(&in->ctx);
  }
}

SEC("sk_msg")
int inject_traceparent(struct sk_msg_md *msg) {
  __u64 id = bpf_get_current_pid_tgid();
  if (!tgid_selected(id >> 32)) return SK_PASS;
  struct inject_state *st = bpf_sk_storage_get(&inject_states, msg->sk, 0,
                                               BPF_SK_STORAGE_GET_F_CREATE);
  if (!st || st->done) return SK_PASS;
  __u32 size = msg->size;
  if (st->body_left >= size) { /* all of it is body */
    st->body_left -= size;
    return SK_PASS;
  }
  if (st->body_left) { /* a body ends and the next request starts inside this send */
    give_up(st, OTELBPF_PROP_PIPELINED);
    return SK_PASS;
  }

  __u32 zero = 0;
  struct header_window *w = bpf_map_lookup_elem(&header_windows, &zero);
  if (!w) return SK_PASS;
  __u32 n = size < PROP_WINDOW ? size : PROP_WINDOW;
  if (n < 8 || !copy_message_start(msg, w, n) || classify_http1(w->buf, 8, size) != CLASSIFY_REQUEST) {
    give_up(st, OTELBPF_PROP_NOT_HTTP);
    return SK_PASS;
  }
  scan_headers(w);
  if (!w->header_end) {
    give_up(st, OTELBPF_PROP_HEADERS_SPLIT);
    return SK_PASS;
  }
  /* Bytes of this send after the header block: the body's start, or the next request. */
  __u64 after = size - w->header_end;
  bool framing_known = !w->unsure && w->content_lengths <= 1;
  if (framing_known) {
    if (after > w->content_length) { /* pipelined: the next request is in here too */
      give_up(st, OTELBPF_PROP_PIPELINED);
    } else {
      st->body_left = w->content_length - after;
    }
  } else {
    give_up(st, OTELBPF_PROP_BODY_UNKNOWN); /* inject into this request, then stop */
  }
  if (w->traceparents) {
    count_propagation(OTELBPF_PROP_ALREADY_PRESENT);
    return SK_PASS;
  }
  if (w->unsure && w->request_line_end && byte_at(w, w->request_line_end - 2) != '\r')
    return SK_PASS; /* bare LF line endings: do not mix in CRLF */

  struct propagation_scratch *ps = prop_scratch();
  if (!ps) return SK_PASS;
  struct injection *in = &ps->injection;
  __builtin_memset(in, 0, sizeof(*in));
  in->at_ns = bpf_ktime_get_ns();
  in->local_port = (__u16)msg->local_port;
  in->peer_port = (__u16)bpf_ntohl(msg->remote_port);
  choose_client_context(id, in);
  if (!insert_traceparent(msg, w->request_line_end, &in->ctx)) {
    count_propagation(OTELBPF_PROP_NO_ROOM);
    return SK_PASS;
  }
  count_propagation(OTELBPF_PROP_INJECTED);
  bpf_map_update_elem(&injections, &id, in, BPF_ANY);
  return SK_PASS;
}

#endif /* OTELBPF_PROPAGATION_BPF_H */
