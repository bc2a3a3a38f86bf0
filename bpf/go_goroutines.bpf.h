/* Goroutines instead of threads for Go programs (part of http_capture.bpf.c).
 *
 * A Go program runs its goroutines on whichever thread is free, so the thread of a syscall
 * does not say which request the bytes belong to. The goroutine does: Go keeps the running
 * goroutine's runtime.g address in register R14 (the register ABI, Go >= 1.17 on amd64), and a
 * syscall leaves it there, so a syscall tracepoint reads it from the task's user registers.
 *
 * net/http serves a connection's requests on one goroutine, which also runs their handlers:
 * the goroutine that read a request is the one whose calls are its children. A handler's
 * outgoing call, though, is written by the transport's writeLoop goroutine. Two uprobes carry
 * the handler's goroutine over (no uretprobes: they corrupt Go stacks):
 *   - net/http.(*Transport).roundTrip(t, req) runs on the handler's goroutine: remember
 *     req (RBX) -> that goroutine;
 *   - net/http.(*Request).write(r, ...) runs on writeLoop just before the request's bytes go
 *     out: remember writeLoop's goroutine -> the handler's, for its next send.
 * User space only looks at this for processes it described as Go programs
 * (OTELBPF_DESCRIBED_GOROUTINES), and attaches the uprobes to each Go executable it finds.
 */
#ifndef OTELBPF_GO_GOROUTINES_BPF_H
#define OTELBPF_GO_GOROUTINES_BPF_H

struct go_key {
  __u32 tgid;
  __u32 pad;
  __u64 ptr; /* a *http.Request, or a runtime.g */
};

/* *http.Request -> the goroutine that asked for it to be sent. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, struct go_key);
  __type(value, __u64);
} go_request_owners SEC(".maps");

/* writeLoop's goroutine -> the goroutine its next send is made for. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, struct go_key);
  __type(value, __u64);
} go_send_owners SEC(".maps");

/* The process's OTELBPF_DESCRIBED_* flags, 0 until user space has described it. */
static __always_inline __u8 described_flags(__u32 tgid) {
  __u8 *described = bpf_map_lookup_elem(&described_tgids, &tgid);
  return described ? *described : 0;
}

/* The goroutine the current syscall of a Go program was made on: its user R14. */
static __always_inline __u64 current_goroutine(void) {
  struct task_struct *task = bpf_get_current_task_btf();
  struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
  return BPF_CORE_READ(regs, r14);
}

/* Whose bytes a Go program's syscall moves: for a send that writeLoop makes for a handler,
 * the handler's goroutine (used once); otherwise the goroutine it runs on. */
static __always_inline __u64 goroutine_of_syscall(__u32 tgid, bool send) {
  struct go_key key = {.tgid = tgid, .ptr = current_goroutine()};
  if (send) {
    __u64 *owner = bpf_map_lookup_elem(&go_send_owners, &key);
    if (owner) {
      __u64 g = *owner;
      bpf_map_delete_elem(&go_send_owners, &key);
      return g;
    }
  }
  return key.ptr;
}

SEC("uprobe")
int go_transport_round_trip(struct pt_regs *ctx) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (!tgid_selected(tgid)) return 0;
  struct go_key key = {.tgid = tgid, .ptr = ctx->bx};
  __u64 g = ctx->r14;
  bpf_map_update_elem(&go_request_owners, &key, &g, BPF_ANY);
  return 0;
}

SEC("uprobe")
int go_request_write(struct pt_regs *ctx) {
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  struct go_key request = {.tgid = tgid, .ptr = ctx->ax};
  struct go_key writer = {.tgid = tgid, .ptr = ctx->r14};
  __u64 *owner = bpf_map_lookup_elem(&go_request_owners, &request);
  if (!owner) {
    /* A request nobody's roundTrip announced: an owner left over from an earlier request whose
     * bytes never went out must not be given to this one. */
    bpf_map_delete_elem(&go_send_owners, &writer);
    return 0;
  }
  __u64 g = *owner;
  bpf_map_delete_elem(&go_request_owners, &request);
  bpf_map_update_elem(&go_send_owners, &writer, &g, BPF_ANY);
  return 0;
}

#endif /* OTELBPF_GO_GOROUTINES_BPF_H */
