/* TCP connection lifecycle, from sock:inet_sock_set_state (part of http_capture.bpf.c: it
 * shares that object's ring buffer, selection maps and counters).
 *
 * The tracepoint fires on every TCP state change, often in softirq context where no process is
 * current, so each connection's owner is remembered by socket address from the one moment it
 * is certain:
 *   client: CLOSE -> SYN_SENT runs inside connect(), in the connecting process;
 *   server: SYN_RECV -> ESTABLISHED runs in softirq before anyone owns the socket; accept()
 *           (exit_accept in http_capture.bpf.c) names the owner later.
 * Events: UP when an owned connection is established, FAILED when a connect() ends in CLOSE
 * without ever being established, DOWN when an announced connection reaches CLOSE (with the
 * byte, RTT and retransmission totals of its tcp_sock). Connections that existed before we
 * attached have no record here and are not reported.
 */
#ifndef OTELBPF_TCP_LIFECYCLE_BPF_H
#define OTELBPF_TCP_LIFECYCLE_BPF_H

#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_SYN_RECV 3
#define TCP_FIN_WAIT2 5
#define TCP_CLOSE 7
#define TCP_CLOSE_WAIT 8
#define TCP_CLOSING 11

struct tcp_life {
  __u64 start_ns;       /* client: SYN_SENT; server: ESTABLISHED */
  __u64 established_ns; /* 0 until established */
  __u64 process_start_ns;
  __u32 tgid; /* 0 until known (server side: until accept()) */
  __u8 role;
  __u8 announced; /* UP went out: DOWN must follow, or active-connection counts drift */
  __u8 fin_in;    /* the peer's FIN arrived: bytes_received counts it as one byte */
  __u8 pad;
  char comm[16];
};

/* LRU: a connection we never see close (lost event) ages out instead of pinning an entry. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 65536);
  __type(key, __u64); /* struct sock * */
  __type(value, struct tcp_life);
} tcp_lives SEC(".maps");

/* Addresses from the tracepoint record when there is one: by the time a connection reaches
 * CLOSE the kernel may already have released its local port (skc_num reads 0), while the
 * record was filled from inet_sport. Outside the tracepoint (accept), from the socket. */
static __always_inline void fill_tcp_conn_addresses(
    struct otelbpf_tcp_conn_event *e, struct sock *sk,
    const struct trace_event_raw_inet_sock_set_state *ctx) {
  if (!ctx) {
    FILL_SOCK_ENDPOINTS(e, sk);
    return;
  }
  COPY_RECORD_ENDPOINTS(e, ctx);
}

static __always_inline void emit_tcp_conn(__u8 type, struct tcp_life *l, struct sock *sk,
                                          const struct trace_event_raw_inet_sock_set_state *ctx,
                                          __u64 start_ns, __u64 now, __u16 error) {
  struct otelbpf_tcp_conn_event e = {};
  e.hdr.type = type;
  e.hdr.role = l->role;
  e.hdr.tgid = l->tgid;
  e.hdr.fd = -1;
  e.hdr.start_ns = start_ns;
  e.hdr.end_ns = now;
  e.error = error;
  e.process_start_ns = l->process_start_ns;
  __builtin_memcpy(e.comm, l->comm, sizeof(e.comm));
  fill_tcp_conn_addresses(&e, sk, ctx);
  if (type == OTELBPF_EV_TCP_CONN_DOWN) {
    struct tcp_sock *tp = (struct tcp_sock *)sk;
    /* Payload only: bytes_acked would also count the FIN's sequence number, and bytes_sent
     * counts retransmitted bytes again. */
    e.bytes_sent = BPF_CORE_READ(tp, bytes_sent) - BPF_CORE_READ(tp, bytes_retrans);
    e.bytes_received = BPF_CORE_READ(tp, bytes_received);
    if (l->fin_in && e.bytes_received) e.bytes_received -= 1;
    e.srtt_us = BPF_CORE_READ(tp, srtt_us) >> 3; /* stored << 3 */
    e.retransmits = BPF_CORE_READ(tp, total_retrans);
  }
  /* An owner user space has not described yet: wake it now, before a short-lived client
   * exits and takes its /proc entry with it (as for connection opens). */
  __u64 flags =
      bpf_map_lookup_elem(&described_tgids, &l->tgid) ? ringbuf_flags() : BPF_RB_FORCE_WAKEUP;
  if (emit(&e, sizeof(e), flags, type) && type == OTELBPF_EV_TCP_CONN_UP) l->announced = 1;
}

/* The current process owns `l` from now on, if it is one we watch. */
static __always_inline bool claim_tcp_life(struct tcp_life *l, struct sock *sk, __u32 tgid) {
  if (tgid == self_tgid || !tgid_selected(tgid)) return false;
  struct otelbpf_conn_open_event tmp = {};
  fill_addresses(&tmp, sk);
  if (!port_selected(tmp.local_port, tmp.peer_port)) return false;
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  l->tgid = tgid;
  l->process_start_ns = BPF_CORE_READ(task, group_leader, start_boottime);
  bpf_get_current_comm(l->comm, sizeof(l->comm));
  /* The UP event (in softirq, for clients) may be the first to name this process. */
  snapshot_if_undescribed(tgid);
  return true;
}

/* Called by accept() for the socket it returns: the server side's owner is now known. */
static __always_inline void tcp_life_accepted(struct sock *sk, __u32 tgid) {
  __u64 key = (__u64)sk;
  struct tcp_life *l = bpf_map_lookup_elem(&tcp_lives, &key);
  if (!l || l->tgid) return;
  if (!claim_tcp_life(l, sk, tgid)) {
    bpf_map_delete_elem(&tcp_lives, &key);
    return;
  }
  emit_tcp_conn(OTELBPF_EV_TCP_CONN_UP, l, sk, NULL, l->established_ns, bpf_ktime_get_ns(), 0);
}

SEC("tracepoint/sock/inet_sock_set_state")
int tcp_state_change(struct trace_event_raw_inet_sock_set_state *ctx) {
  if (ctx->protocol != IPPROTO_TCP) return 0;
  int oldstate = ctx->oldstate, newstate = ctx->newstate;
  struct sock *sk = (struct sock *)ctx->skaddr;
  __u64 key = (__u64)sk;
  __u64 now = bpf_ktime_get_ns();

  if (newstate == TCP_SYN_SENT) {
    struct tcp_life fresh = {.start_ns = now, .role = OTELBPF_ROLE_CLIENT};
    if (claim_tcp_life(&fresh, sk, bpf_get_current_pid_tgid() >> 32))
      bpf_map_update_elem(&tcp_lives, &key, &fresh, BPF_ANY);
    return 0;
  }
  if (newstate == TCP_ESTABLISHED && oldstate == TCP_SYN_RECV) {
    struct tcp_life fresh = {.start_ns = now, .established_ns = now, .role = OTELBPF_ROLE_SERVER};
    bpf_map_update_elem(&tcp_lives, &key, &fresh, BPF_ANY);
    return 0;
  }

  struct tcp_life *l = bpf_map_lookup_elem(&tcp_lives, &key);
  if (!l) return 0;
  if (newstate == TCP_ESTABLISHED && oldstate == TCP_SYN_SENT) {
    l->established_ns = now;
    emit_tcp_conn(OTELBPF_EV_TCP_CONN_UP, l, sk, ctx, l->start_ns, now, 0);
    return 0;
  }
  /* The peer's FIN: it moved us to CLOSE_WAIT or CLOSING, or (FIN_WAIT2 -> CLOSE) ended our
   * own close. The last one is also how an orphaned FIN_WAIT2 times out: then bytes_received
   * comes out one byte low. */
  if (newstate == TCP_CLOSE_WAIT || newstate == TCP_CLOSING ||
      (newstate == TCP_CLOSE && oldstate == TCP_FIN_WAIT2))
    l->fin_in = 1;
  if (newstate != TCP_CLOSE) return 0;
  if (l->established_ns == 0 && l->role == OTELBPF_ROLE_CLIENT) {
    /* tcp_done_with_error() stores the error before the state change that brings us here. */
    int err = BPF_CORE_READ(sk, sk_err);
    emit_tcp_conn(OTELBPF_EV_TCP_CONN_FAILED, l, sk, ctx, l->start_ns, now, (__u16)err);
  } else if (l->announced) {
    emit_tcp_conn(OTELBPF_EV_TCP_CONN_DOWN, l, sk, ctx, l->established_ns, now, 0);
  }
  bpf_map_delete_elem(&tcp_lives, &key);
  return 0;
}

#endif /* OTELBPF_TCP_LIFECYCLE_BPF_H */
