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
 * A handler may also start goroutines that make its calls (fan-out). runtime.newproc1 creates
 * every goroutine: its entry names the creator (callergp, RBX) and each of its RETs the new g
 * (RAX), read by probes user space places on the RET instructions (src/discovery/
 * go_runtime_functions.h), so the child's parent and birth time are kept (`go_spawns`). The
 * first time a started goroutine moves bytes, its ancestry goes to user space first
 * (OTELBPF_EV_GO_SPAWN), which gives its calls to the request its nearest serving ancestor was
 * serving when the line of goroutines leading to it was started, and to no other.
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

/* A goroutine's creator and birth, by (tgid, g). */
struct go_spawn {
  __u64 parent;
  __u64 started_ns;
  __u8 announced; /* its ancestry went to user space (a reused g is announced again) */
};
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 65536);
  __type(key, struct go_key);
  __type(value, struct go_spawn);
} go_spawns SEC(".maps");

/* newproc1 in progress, by thread: its creator, until one of its RETs (it runs on the thread's
 * system stack, start to end on one thread). */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 4096);
  __type(key, __u64);
  __type(value, __u64);
} go_spawning SEC(".maps");

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

/* Sends a started goroutine's ancestry once, before its first DATA record. */
static __always_inline void announce_spawn(__u32 tgid, __u64 g) {
  struct go_key key = {.tgid = tgid, .ptr = g};
  struct go_spawn *spawn = bpf_map_lookup_elem(&go_spawns, &key);
  if (!spawn || spawn->announced) return;
  spawn->announced = 1;
  /* Written in place: the data path's stack has no room for a copy. */
  struct otelbpf_go_spawn_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  count_event(OTELBPF_EV_GO_SPAWN, e == NULL);
  if (!e) return;
  __builtin_memset(e, 0, sizeof(*e));
  e->hdr.type = OTELBPF_EV_GO_SPAWN;
  e->hdr.tgid = tgid;
  e->hdr.start_ns = e->hdr.end_ns = bpf_ktime_get_ns();
  e->goroutine = g;
  for (int i = 0; i < OTELBPF_GO_SPAWN_DEPTH && spawn; i++) {
    const __u64 born = spawn->started_ns;
    e->parents[i] = spawn->parent;
    e->started_ns[i] = born;
    key.ptr = spawn->parent;
    spawn = bpf_map_lookup_elem(&go_spawns, &key);
    /* The parent may have died and its g been given to a younger goroutine since: that one's
     * record is not the parent's, and the line stops here. */
    if (spawn && spawn->started_ns >= born) spawn = NULL;
  }
  bpf_ringbuf_submit(e, ringbuf_flags());
}

SEC("uprobe")
int go_newproc1_enter(struct pt_regs *ctx) {
  __u64 id = bpf_get_current_pid_tgid();
  if (!tgid_selected(id >> 32)) return 0;
  __u64 creator = ctx->bx; /* callergp: the goroutine that said `go` */
  bpf_map_update_elem(&go_spawning, &id, &creator, BPF_ANY);
  return 0;
}

SEC("uprobe")
int go_newproc1_return(struct pt_regs *ctx) {
  __u64 id = bpf_get_current_pid_tgid();
  __u64 *creator = bpf_map_lookup_elem(&go_spawning, &id);
  if (!creator) return 0;
  struct go_spawn spawn = {.parent = *creator, .started_ns = bpf_ktime_get_ns()};
  bpf_map_delete_elem(&go_spawning, &id);
  struct go_key key = {.tgid = id >> 32, .ptr = ctx->ax}; /* the new g */
  if (key.ptr && key.ptr != spawn.parent) bpf_map_update_elem(&go_spawns, &key, &spawn, BPF_ANY);
  return 0;
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
