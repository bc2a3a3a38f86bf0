/* A copy of a process's argv and environment, read from its own memory in the kernel (part of
 * http_capture.bpf.c). User space names a process from /proc/PID, but a short-lived client can
 * be gone by the time it gets there: curl sends its request, reads the answer and exits within
 * a millisecond. This copy is taken while the process is certainly alive (it is making the
 * syscall we are in), once per process, before user space has described it.
 */
#ifndef OTELBPF_PROCESS_SNAPSHOT_BPF_H
#define OTELBPF_PROCESS_SNAPSHOT_BPF_H

/* tgid -> start time of the process a snapshot was sent for: once per process, and a reused
 * pid (different start time) gets its own. LRU: old entries make room by themselves. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 8192);
  __type(key, __u32);
  __type(value, __u64);
} snapshot_sent SEC(".maps");

/* 10 KiB: far too big for the BPF stack. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct otelbpf_process_snapshot_event);
} snapshot_scratch SEC(".maps");

/* Copies [start, end) of the current process's memory into buf (at most `cap` - 1 bytes; `cap`
 * is a power of two). Returns the bytes copied: 0 when the range could not be read (user space then reads
 * /proc as before). */
#define COPY_USER_RANGE(buf, cap, start, end, copied, total)                 \
  do {                                                                       \
    (total) = (end) > (start) ? (__u32)((end) - (start)) : 0;                \
    __u32 n_ = (total) >= (cap) ? (cap) - 1 : (total);                       \
    n_ &= (cap) - 1; /* the verifier's proof that the copy fits */           \
    (copied) = 0;                                                            \
    if (n_ > 0 && bpf_probe_read_user((buf), n_, (const void *)(start)) == 0) \
      (copied) = n_;                                                         \
  } while (0)

static __always_inline void snapshot_process(__u32 tgid) {
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  __u64 start = BPF_CORE_READ(task, group_leader, start_boottime);
  __u64 *sent = bpf_map_lookup_elem(&snapshot_sent, &tgid);
  if (sent && *sent == start) return;
  __u32 zero = 0;
  struct otelbpf_process_snapshot_event *e = bpf_map_lookup_elem(&snapshot_scratch, &zero);
  if (!e) return;
  struct mm_struct *mm = BPF_CORE_READ(task, mm);
  if (!mm) return;
  __u64 arg_start = BPF_CORE_READ(mm, arg_start), arg_end = BPF_CORE_READ(mm, arg_end);
  __u64 env_start = BPF_CORE_READ(mm, env_start), env_end = BPF_CORE_READ(mm, env_end);
  e->hdr.type = OTELBPF_EV_PROCESS_SNAPSHOT;
  e->hdr.tgid = tgid;
  e->hdr.tid = (__u32)bpf_get_current_pid_tgid();
  e->hdr.fd = -1;
  e->hdr.start_ns = e->hdr.end_ns = bpf_ktime_get_ns();
  e->process_start_ns = start;
  bpf_get_current_comm(e->comm, sizeof(e->comm));
  COPY_USER_RANGE(e->args, OTELBPF_SNAPSHOT_ARGS, arg_start, arg_end, e->args_len, e->args_total);
  COPY_USER_RANGE(e->env, OTELBPF_SNAPSHOT_ENV, env_start, env_end, e->env_len, e->env_total);
  /* No wake-up of its own: the event that follows (see below) forces one. */
  if (emit(e, sizeof(*e), BPF_RB_NO_WAKEUP, OTELBPF_EV_PROCESS_SNAPSHOT))
    bpf_map_update_elem(&snapshot_sent, &tgid, &start, BPF_ANY);
}

/* Called, in the process's own context, before any event that names a process: when user space
 * has not described it yet, takes the snapshot and returns true (the caller's event then
 * forces a wake-up, so /proc is read while the process most likely still exists). */
static __always_inline bool snapshot_if_undescribed(__u32 tgid) {
  if (bpf_map_lookup_elem(&described_tgids, &tgid)) return false;
  snapshot_process(tgid);
  return true;
}

#endif /* OTELBPF_PROCESS_SNAPSHOT_BPF_H */
