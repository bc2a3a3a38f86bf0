"""What the agent says about itself: the counter lines it logs at exit, and its memory as
/proc shows it.

At exit otelbpf logs (stderr, after the level and time):
    kernel: events_sent=.. ringbuf_full=.. args_map_full=.. conn_map_full=.. ...
    user space: records=.. malformed=.. orphan_data=.. connections=.. rejected=.. exchanges=.. spans=..
    otlp: exported=.. dropped_queue_full=.. dropped_export_failed=.. requests=.. failures=..
    store: written=.. dropped_queue_full=.. dropped_write_failed=.. evicted_age=.. evicted_size=..
"""

import re

SECTIONS = ("kernel", "user space", "otlp", "store")


def exit_counters(stderr: str) -> dict:
    """{"kernel": {...}, "user space": {...}, "otlp": {...}} from the agent's stderr; a
    section the agent did not print is absent (otlp without an endpoint)."""
    out = {}
    for line in stderr.splitlines():
        for section in SECTIONS:
            match = re.search(rf"\b{section}:((?:\s+[a-z_]+=\d+)+)\s*$", line)
            if match:
                out[section] = {k: int(v) for k, v in re.findall(r"([a-z_]+)=(\d+)", match.group(1))}
    return out


def require_counters(tc, agent, *sections) -> dict:
    """The exit counters, failing the test when a section is missing (the agent must always
    account for what it did)."""
    counters = exit_counters(agent.process.stderr())
    for section in sections:
        tc.assertIn(section, counters, f"no '{section}:' counter line at exit\n{agent.diagnostics()}")
    return counters


def kernel_losses(counters: dict) -> int:
    """Events the kernel side could not ship (each of these makes spans go missing)."""
    k = counters.get("kernel", {})
    return k.get("ringbuf_full", 0) + k.get("args_map_full", 0) + k.get("conn_map_full", 0)


def rss_kib(pid: int) -> int:
    """Resident set size of a live process, in KiB (VmRSS)."""
    return _status_field(pid, "VmRSS")


def peak_rss_kib(pid: int) -> int:
    """High-water mark of the resident set size, in KiB (VmHWM)."""
    return _status_field(pid, "VmHWM")


def memory_kib(pid: int) -> dict:
    """VmRSS split into RssAnon (heap: the agent's own data) and RssFile (shared libraries,
    and the ring buffer: a BPF ring buffer is mapped twice back to back, so a 16 MiB ring
    shows as 32 MiB of RssFile while using 16 MiB of memory), plus the peak VmHWM, in KiB."""
    return {name: _status_field(pid, name) for name in ("VmRSS", "RssAnon", "RssFile", "VmHWM")}


def describe_memory(m: dict) -> str:
    return f"RSS {mib(m['VmRSS'])} (anon {mib(m['RssAnon'])}, file+ring buffer {mib(m['RssFile'])})"


def _status_field(pid: int, name: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {name} in /proc/{pid}/status")


def mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"
