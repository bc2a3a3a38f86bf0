/* TLS plaintext from OpenSSL (libssl.so.3 and .1.1), with uprobes only (part of
 * http_capture.bpf.c). User space attaches these programs to every libssl it finds mapped
 * (src/capture/mapped_libraries.cc), system-wide, so later processes are covered too.
 *
 * SSL_read/SSL_write (and their _ex forms) take the caller's plaintext buffer; their return
 * says how many bytes it holds. Which socket they belong to is not in their arguments, and the
 * kprobes other agents use to learn it do not exist here. Instead: the call's entry marks the
 * thread's slot in `active_calls`, and the first data syscall the library makes inside the call
 * (to move the ciphertext) records its fd there. SSL -> fd is remembered for the calls served
 * from the library's buffer without a syscall, and learned from SSL_set_fd as well.
 *
 * The plaintext then goes where a syscall's bytes go (handle_bytes): the same classification,
 * the same events, on the same (tgid, fd) connection, flagged TLS. The ciphertext syscalls of
 * the connection are never shipped (exit_call).
 */
#ifndef OTELBPF_TLS_OPENSSL_BPF_H
#define OTELBPF_TLS_OPENSSL_BPF_H

struct ssl_key {
  __u32 tgid;
  __u32 pad;
  __u64 ssl; /* SSL * in that process */
};

/* The socket each SSL object last moved ciphertext on. LRU: SSL_free removes entries, and the
 * objects of processes that exit age out. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 65536);
  __type(key, struct ssl_key);
  __type(value, __s32);
} ssl_fds SEC(".maps");

/* Plaintext a TLS library call moved on socket `fd` (OpenSSL here, Go's crypto/tls in
 * tls_go.bpf.h), shipped as if one syscall had moved it. `a` is the thread's syscall slot: free
 * to describe it, since the thread is in no syscall while a probe runs (and off the stack,
 * which handle_bytes' callees need). */
static __always_inline void ship_tls_plaintext(struct call_args *a, __u32 tgid, __s32 fd,
                                               __u64 buf, __u64 length, __u64 enter_ns,
                                               __u8 direction) {
  /* Looked up, not made: the syscall that moved this call's ciphertext (or an earlier call's)
   * made it, ignored or not (a verdict on ciphertext says nothing about the plaintext). */
  struct otelbpf_conn_key conn_key = {.tgid = tgid, .fd = fd};
  struct otelbpf_conn_state *c = bpf_map_lookup_elem(&conns, &conn_key);
  if (!c || c->kind != KIND_TCP) return;
  switch_to_tls(c, tgid, fd);
  if (c->verdict == OTELBPF_VERDICT_IGNORED) return; /* user space gave up on the plaintext */
  /* Dated as a syscall would be: a send from its start, a receive from its return. */
  a->enter_ns = direction == OTELBPF_DIR_SEND ? enter_ns : 0;
  a->ptr = buf;
  a->fd = fd;
  a->kind = CALL_BUF;
  a->direction = direction;
  a->active = 0;
  struct message_ref m = {.buf = buf, .length = length, .tgid = tgid};
  handle_bytes(c, a, &m);
}

static __always_inline void tls_call_enter(__u64 ssl, __u64 buf, __u64 out_len, __u8 direction) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (!tgid_selected(tgid) || !ssl) return;
  struct call_args *a = bpf_task_storage_get(&active_calls, bpf_get_current_task_btf(), 0,
                                             BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (!a) {
    count(OTELBPF_STAT_ARGS_MAP_FULL);
    return;
  }
  /* A call whose return probe never ran (the thread was killed in it) is simply replaced. */
  a->tls_ssl = ssl;
  a->tls_buf = buf;
  a->tls_out_len = out_len;
  a->tls_direction = direction;
  a->tls_fd = -1;
  a->tls_enter_ns = bpf_ktime_get_ns();
}

SEC("uprobe")
int BPF_KPROBE(ssl_read_enter, void *ssl, void *buf, int num) {
  tls_call_enter((__u64)ssl, (__u64)buf, 0, OTELBPF_DIR_RECV);
  return 0;
}

SEC("uprobe")
int BPF_KPROBE(ssl_write_enter, void *ssl, const void *buf, int num) {
  tls_call_enter((__u64)ssl, (__u64)buf, 0, OTELBPF_DIR_SEND);
  return 0;
}

SEC("uprobe")
int BPF_KPROBE(ssl_read_ex_enter, void *ssl, void *buf, __u64 num, __u64 *readbytes) {
  tls_call_enter((__u64)ssl, (__u64)buf, (__u64)readbytes, OTELBPF_DIR_RECV);
  return 0;
}

SEC("uprobe")
int BPF_KPROBE(ssl_write_ex_enter, void *ssl, const void *buf, __u64 num, __u64 *written) {
  tls_call_enter((__u64)ssl, (__u64)buf, (__u64)written, OTELBPF_DIR_SEND);
  return 0;
}

/* The return of all four: the plaintext is in the caller's buffer now (reads) or was taken
 * (writes). */
SEC("uretprobe")
int BPF_KRETPROBE(ssl_call_return, long rc) {
  struct call_args *a = bpf_task_storage_get(&active_calls, bpf_get_current_task_btf(), 0, 0);
  if (!a || !a->tls_ssl) return 0;
  /* Fields, not a copy of the slot: the stack is shared with handle_bytes' callees. */
  const __u64 ssl = a->tls_ssl, buf = a->tls_buf, out_len = a->tls_out_len;
  const __u64 enter_ns = a->tls_enter_ns;
  const __u8 direction = a->tls_direction;
  __s32 fd = a->tls_fd;
  a->tls_ssl = 0;
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  /* SSL_read/SSL_write return an int (the upper half of the register is not theirs): the byte
   * count, <= 0 on failure. The _ex forms return 1 on success and store a size_t. */
  int ret = (int)rc;
  __u64 length = 0;
  if (out_len) {
    if (ret == 1) bpf_probe_read_user(&length, sizeof(length), (const void *)out_len);
  } else if (ret > 0) {
    length = (__u64)ret;
  }
  struct ssl_key key = {.tgid = tgid, .ssl = ssl};
  if (fd >= 0) {
    bpf_map_update_elem(&ssl_fds, &key, &fd, BPF_ANY);
  } else {
    __s32 *known = bpf_map_lookup_elem(&ssl_fds, &key);
    if (known) fd = *known;
  }
  if (length == 0) return 0;
  if (fd < 0) {
    count(OTELBPF_STAT_TLS_NO_FD); /* e.g. memory BIOs (asyncio): no socket under the SSL */
    return 0;
  }
  ship_tls_plaintext(a, tgid, fd, buf, length, enter_ns, direction);
  return 0;
}

SEC("uprobe")
int BPF_KPROBE(ssl_set_fd_enter, void *ssl, int fd) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (!tgid_selected(tgid) || !ssl) return 0;
  struct ssl_key key = {.tgid = tgid, .ssl = (__u64)ssl};
  __s32 value = fd;
  bpf_map_update_elem(&ssl_fds, &key, &value, BPF_ANY);
  return 0;
}

SEC("uprobe")
int BPF_KPROBE(ssl_free_enter, void *ssl) {
  struct ssl_key key = {.tgid = bpf_get_current_pid_tgid() >> 32, .ssl = (__u64)ssl};
  bpf_map_delete_elem(&ssl_fds, &key);
  return 0;
}

#endif /* OTELBPF_TLS_OPENSSL_BPF_H */
