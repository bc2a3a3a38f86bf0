#!/usr/bin/env python3
"""Reads `bpftool prog show -j` / `bpftool map show -j` on stdin and sums what the benchmarks
need for the eBPF objects one process holds. Ownership comes from /proc/PID/fdinfo/*
(`prog_id:` / `map_id:` lines of its bpf fds): Debian's bpftool 7.1 has no `pids` field.

  progs PID [FILE]        -> "run_time_ns run_cnt programs"  (+ "id name run_time_ns run_cnt" per
                             program into FILE)
  progs-diff BEFORE AFTER -> "name run_time_ns run_cnt" per program, AFTER - BEFORE
  maps PID                -> "bytes_memlock maps"  (+ "map NAME TYPE MAX_ENTRIES BYTES" per map on stderr)
  tracepoints             -> number of tracepoint programs loaded (anyone's)
"""
import json
import os
import sys


def held_ids(pid, key):
    ids = set()
    base = f"/proc/{pid}/fdinfo"
    try:
        fds = os.listdir(base)
    except OSError:
        return ids
    for fd in fds:
        try:
            with open(os.path.join(base, fd)) as f:
                for line in f:
                    if line.startswith(key + ":"):
                        ids.add(int(line.split(":", 1)[1]))
        except (OSError, ValueError):
            pass
    return ids


def main():
    what = sys.argv[1]
    text = sys.stdin.read() if what != "progs-diff" else ""
    objs = json.loads(text) if text.strip() else []
    if what == "progs-diff":
        def load(path):
            out = {}
            for line in open(path):
                pid, name, ns, cnt = line.split()
                out[pid] = (name, int(ns), int(cnt))
            return out
        before, after = load(sys.argv[2]), load(sys.argv[3])
        for pid, (name, ns, cnt) in after.items():
            b = before.get(pid, (name, 0, 0))
            print(f"{name}\t{ns - b[1]}\t{cnt - b[2]}")
        return
    if what == "progs":
        ids = held_ids(int(sys.argv[2]), "prog_id")
        mine = [p for p in objs if p.get("id") in ids]
        if len(sys.argv) > 3:
            with open(sys.argv[3], "w") as f:
                for p in mine:
                    f.write(f"{p['id']} {p.get('name', '?')} {p.get('run_time_ns', 0)} {p.get('run_cnt', 0)}\n")
        print(sum(p.get("run_time_ns", 0) for p in mine), sum(p.get("run_cnt", 0) for p in mine), len(mine))
    elif what == "maps":
        ids = held_ids(int(sys.argv[2]), "map_id")
        mine = [m for m in objs if m.get("id") in ids]
        for m in sorted(mine, key=lambda m: -int(m.get("bytes_memlock", 0))):
            print(f"map {m.get('name', '?')} {m.get('type', '?')} {m.get('max_entries', '?')} "
                  f"{m.get('bytes_memlock', 0)}", file=sys.stderr)
        print(sum(int(m.get("bytes_memlock", 0)) for m in mine), len(mine))
    elif what == "tracepoints":
        print(sum(1 for p in objs if p.get("type") == "tracepoint"))
    else:
        sys.exit(f"unknown query {what}")


if __name__ == "__main__":
    main()
