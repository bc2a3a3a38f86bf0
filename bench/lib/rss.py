#!/usr/bin/env python3
"""RSS of a process, split the way the memory benchmark reports it (KiB):
  "rss anon file bpfmap hwm"
rss/anon/file/hwm from /proc/PID/status (VmRSS, RssAnon, RssFile+RssShmem, VmHWM); bpfmap = the
part of RSS that is eBPF map memory mapped into the process (anon_inode:bpf-map, i.e. the ring
buffer, whose data pages libbpf maps twice). That part is kernel memory, also counted in the
maps' bytes_memlock; anon is the agent's own heap and stacks."""
import sys

pid = sys.argv[1]
status = {}
for line in open(f"/proc/{pid}/status"):
    k, _, v = line.partition(":")
    status[k] = v.split()[0] if v.split() else "0"
bpfmap = 0
current = ""
for line in open(f"/proc/{pid}/smaps"):
    first = line.split(None, 6)
    if "-" in first[0] and len(first) >= 5 and not first[0].endswith(":"):
        current = first[5].strip() if len(first) > 5 else ""
    elif line.startswith("Rss:") and current == "anon_inode:bpf-map":
        bpfmap += int(line.split()[1])
print(status.get("VmRSS", 0), status.get("RssAnon", 0),
      int(status.get("RssFile", 0)) + int(status.get("RssShmem", 0)), bpfmap, status.get("VmHWM", 0))
