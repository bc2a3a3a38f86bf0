/* TLS plaintext from Go's crypto/tls, with uprobes only (part of http_capture.bpf.c). Go
 * programs carry their own TLS, so there is no libssl to probe: user space attaches these
 * programs to each Go executable that has the symbols (src/capture/go_probes.cc).
 *
 * crypto/tls.(*Conn).Read(b) and Write(b) take the plaintext buffer; with Go's register ABI
 * (Go >= 1.17, amd64) the receiver is in RAX, b's pointer in RBX, and the byte count comes back
 * in RAX. There are no return probes: a uretprobe overwrites the return address on the stack,
 * and Go's stack growth and traceback do not survive that. User space places `go_tls_return`
 * on every RET instruction of both functions instead (found by decoding their machine code).
 *
 * Between the entry and a RET the goroutine may sleep and wake on another thread, so the call
 * is remembered by goroutine (its runtime.g, which Go keeps in R14), not by thread.
 *
 * The socket is read from the Conn itself, without kprobes and without guessing: its first
 * field is the net.Conn it wraps, an interface (itab, data). Only when the itab is
 * *net.TCPConn's is data a *net.TCPConn, whose first word is its *netFD, whose poll.FD holds
 * the descriptor (Sysfd) after a 16-byte mutex; those layouts have not changed since Go 1.9.
 * The attachment's cookie is where that itab lies relative to the probed function, so the
 * check holds for position-independent executables too. Any other wrapped connection is
 * counted (OTELBPF_STAT_GO_TLS_OTHER_CONN) and its plaintext left alone.
 */
#ifndef OTELBPF_TLS_GO_BPF_H
#define OTELBPF_TLS_GO_BPF_H

struct go_tls_call {
  __u64 buf;
  __u64 enter_ns;
  __s32 fd;
  __u8 direction;
};

/* The crypto/tls call each goroutine is in. LRU: a goroutine that ends inside a call (a panic)
 * leaves its entry to age out. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, struct go_key);
  __type(value, struct go_tls_call);
} go_tls_calls SEC(".maps");

/* poll.FD.Sysfd, after fdMutex{state uint64; rsema, wsema uint32}. */
#define GO_POLL_FD_SYSFD_OFFSET 16

/* The descriptor under a *crypto/tls.Conn, or -1 when it does not wrap a *net.TCPConn. */
static __always_inline __s32 go_tls_conn_fd(struct pt_regs *ctx, __u64 conn) {
  __u64 wrapped[2]; /* Conn.conn, a net.Conn: itab, data */
  if (bpf_probe_read_user(wrapped, sizeof(wrapped), (const void *)conn)) return -1;
  /* The probe sits on the function's first instruction, so ip is where it was loaded. */
  __u64 tcp_conn_itab = PT_REGS_IP(ctx) + bpf_get_attach_cookie(ctx);
  if (wrapped[0] != tcp_conn_itab || !wrapped[1]) return -1;
  __u64 net_fd;
  if (bpf_probe_read_user(&net_fd, sizeof(net_fd), (const void *)wrapped[1]) || !net_fd)
    return -1;
  __s64 sysfd;
  if (bpf_probe_read_user(&sysfd, sizeof(sysfd), (const void *)(net_fd + GO_POLL_FD_SYSFD_OFFSET)))
    return -1;
  return sysfd >= 0 && sysfd <= 0x7fffffff ? (__s32)sysfd : -1;
}

static __always_inline void go_tls_enter(struct pt_regs *ctx, __u8 direction) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (!tgid_selected(tgid)) return;
  struct go_key key = {.tgid = tgid, .ptr = ctx->r14};
  struct go_tls_call call = {.buf = ctx->bx, .direction = direction};
  call.fd = go_tls_conn_fd(ctx, ctx->ax);
  if (call.fd < 0) {
    count(OTELBPF_STAT_GO_TLS_OTHER_CONN);
    bpf_map_delete_elem(&go_tls_calls, &key); /* an older call's must not be taken for this one */
    return;
  }
  call.enter_ns = bpf_ktime_get_ns();
  bpf_map_update_elem(&go_tls_calls, &key, &call, BPF_ANY);
}

SEC("uprobe")
int go_tls_read_enter(struct pt_regs *ctx) {
  go_tls_enter(ctx, OTELBPF_DIR_RECV);
  return 0;
}

SEC("uprobe")
int go_tls_write_enter(struct pt_regs *ctx) {
  go_tls_enter(ctx, OTELBPF_DIR_SEND);
  return 0;
}

/* On each RET of Read and Write: RAX holds n, the bytes read into b or written from it. */
SEC("uprobe")
int go_tls_return(struct pt_regs *ctx) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  struct go_key key = {.tgid = tgid, .ptr = ctx->r14};
  struct go_tls_call *found = bpf_map_lookup_elem(&go_tls_calls, &key);
  if (!found) return 0;
  const __u64 buf = found->buf, enter_ns = found->enter_ns;
  const __s32 fd = found->fd;
  const __u8 direction = found->direction;
  bpf_map_delete_elem(&go_tls_calls, &key);
  __s64 n = (__s64)ctx->ax;
  if (n <= 0) return 0;
  struct call_args *a = bpf_task_storage_get(&active_calls, bpf_get_current_task_btf(), 0,
                                             BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (!a) {
    count(OTELBPF_STAT_ARGS_MAP_FULL);
    return 0;
  }
  ship_tls_plaintext(a, tgid, fd, buf, (__u64)n, enter_ns, direction);
  return 0;
}

#endif /* OTELBPF_TLS_GO_BPF_H */
