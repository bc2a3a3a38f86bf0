/* Name resolution as applications ask for it: uprobes on libc's getaddrinfo() entry and return
 * (part of http_capture.bpf.c). User space attaches both to every libc it finds mapped
 * (src/capture/libc_uprobes.cc), system-wide, so processes started later are covered too.
 * The return value and the time between entry and return are what dns.lookup.duration needs;
 * the name is read at return, while the caller still holds it.
 */
#ifndef OTELBPF_DNS_LOOKUP_BPF_H
#define OTELBPF_DNS_LOOKUP_BPF_H

struct lookup_call {
  __u64 start_ns;
  __u64 node; /* const char *node */
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16384);
  __type(key, __u64); /* pid_tgid: one call in flight per thread */
  __type(value, struct lookup_call);
} active_lookups SEC(".maps");

/* Events are too big for the BPF stack: assembled in per-CPU scratch. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct otelbpf_dns_lookup_event);
} dns_lookup_scratch SEC(".maps");

SEC("uprobe")
int BPF_KPROBE(getaddrinfo_enter, const char *node) {
  __u64 id = bpf_get_current_pid_tgid();
  if (!tgid_selected(id >> 32)) return 0;
  struct lookup_call call = {.start_ns = bpf_ktime_get_ns(), .node = (__u64)node};
  if (bpf_map_update_elem(&active_lookups, &id, &call, BPF_ANY)) count(OTELBPF_STAT_ARGS_MAP_FULL);
  return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(getaddrinfo_return, int ret) {
  __u64 id = bpf_get_current_pid_tgid();
  struct lookup_call *call = bpf_map_lookup_elem(&active_lookups, &id);
  if (!call) return 0;
  __u32 zero = 0;
  struct otelbpf_dns_lookup_event *e = bpf_map_lookup_elem(&dns_lookup_scratch, &zero);
  if (!e) {
    bpf_map_delete_elem(&active_lookups, &id);
    return 0;
  }
  __u32 tgid = id >> 32;
  e->hdr.type = OTELBPF_EV_DNS_LOOKUP;
  e->hdr.tgid = tgid;
  e->hdr.tid = (__u32)id;
  e->hdr.fd = -1;
  e->hdr.start_ns = call->start_ns;
  e->hdr.end_ns = bpf_ktime_get_ns();
  e->result = ret;
  e->name[0] = 0;
  if (call->node) bpf_probe_read_user_str(e->name, sizeof(e->name), (const void *)call->node);
  bpf_map_delete_elem(&active_lookups, &id);
  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  e->process_start_ns = BPF_CORE_READ(task, group_leader, start_boottime);
  bpf_get_current_comm(e->comm, sizeof(e->comm));
  __u64 flags = snapshot_if_undescribed(tgid) ? BPF_RB_FORCE_WAKEUP : ringbuf_flags();
  emit(e, sizeof(*e), flags, OTELBPF_EV_DNS_LOOKUP);
  return 0;
}

#endif /* OTELBPF_DNS_LOOKUP_BPF_H */
