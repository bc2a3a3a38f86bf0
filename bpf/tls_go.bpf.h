/* TLS plaintext from Go's crypto/tls, with uprobes only (part of http_capture.bpf.c). Go
 * programs carry their own TLS, so there is no libssl to probe: user space attaches these
 * programs to each Go executable that has the symbols (src/capture/go_probes.cc).
 *
 * crypto/tls.(*Conn).Read(b) and Write(b) take the plaintext buffer; with Go's register ABI
 * (Go >= 1.17, amd64) the receiver is in RAX, b's pointer in RBX and its length in RCX, and the
 * byte count comes back in RAX.
 *
 * Write's plaintext is shipped at its entry, whole: shipped at its return, it could come after
 * the peer's answer to it. The return is late whenever the runtime parks the goroutine after its
 * write syscall, and meanwhile another goroutine has read the response (measured: the last
 * request of a keep-alive client, shipped after its response, one run in three). A Write that
 * then fails has its bytes shipped anyway; its exchange fails with the connection.
 *
 * Read's plaintext is only there at its return. There are no return probes: a uretprobe
 * overwrites the return address on the stack, and Go's stack growth and traceback do not survive
 * that. User space places `go_tls_read_return` on every RET instruction of Read instead (found by
 * decoding its machine code). Between the entry and a RET the goroutine may sleep and wake on
 * another thread, so the call is remembered by goroutine (its runtime.g, which Go keeps in R14),
 * not by thread.
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

struct go_tls_read {
  __u64 buf;
  __s32 fd;
};

/* The crypto/tls Read each goroutine is in. LRU: a goroutine that ends inside a call (a panic)
 * leaves its entry to age out. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, struct go_key);
  __type(value, struct go_tls_read);
} go_tls_reads SEC(".maps");

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

/* The socket of the Conn in RAX, or -1 (counted) when it cannot be proven. */
static __always_inline __s32 go_tls_call_fd(struct pt_regs *ctx) {
  __s32 fd = go_tls_conn_fd(ctx, ctx->ax);
  if (fd < 0) count(OTELBPF_STAT_GO_TLS_OTHER_CONN);
  return fd;
}

SEC("uprobe")
int go_tls_read_enter(struct pt_regs *ctx) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (!tgid_selected(tgid)) return 0;
  struct go_key key = {.tgid = tgid, .ptr = ctx->r14};
  struct go_tls_read call = {.buf = ctx->bx, .fd = go_tls_call_fd(ctx)};
  if (call.fd < 0) {
    bpf_map_delete_elem(&go_tls_reads, &key); /* an older call's must not be taken for this one */
    return 0;
  }
  bpf_map_update_elem(&go_tls_reads, &key, &call, BPF_ANY);
  return 0;
}

/* The thread's syscall slot, to describe the plaintext in (see ship_tls_plaintext). */
static __always_inline struct call_args *go_tls_slot(void) {
  struct call_args *a = bpf_task_storage_get(&active_calls, bpf_get_current_task_btf(), 0,
                                             BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (!a) count(OTELBPF_STAT_ARGS_MAP_FULL);
  return a;
}

/* On each RET of Read: RAX holds n, the bytes read into b. */
SEC("uprobe")
int go_tls_read_return(struct pt_regs *ctx) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  struct go_key key = {.tgid = tgid, .ptr = ctx->r14};
  struct go_tls_read *found = bpf_map_lookup_elem(&go_tls_reads, &key);
  if (!found) return 0;
  const __u64 buf = found->buf;
  const __s32 fd = found->fd;
  bpf_map_delete_elem(&go_tls_reads, &key);
  __s64 n = (__s64)ctx->ax;
  if (n <= 0) return 0;
  struct call_args *a = go_tls_slot();
  if (a) ship_tls_plaintext(a, tgid, fd, buf, (__u64)n, 0, OTELBPF_DIR_RECV);
  return 0;
}

SEC("uprobe")
int go_tls_write_enter(struct pt_regs *ctx) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  const __u64 length = ctx->cx;
  if (!tgid_selected(tgid) || length == 0) return 0;
  __s32 fd = go_tls_call_fd(ctx);
  if (fd < 0) return 0;
  struct call_args *a = go_tls_slot();
  if (a) ship_tls_plaintext(a, tgid, fd, ctx->bx, length, bpf_ktime_get_ns(), OTELBPF_DIR_SEND);
  return 0;
}

#endif /* OTELBPF_TLS_GO_BPF_H */
