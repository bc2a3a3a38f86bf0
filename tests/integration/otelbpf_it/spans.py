"""Reading flat span records (receiver output or `otelbpf run --output json`) and waiting
for the ones a test expects."""

import json
import time


def read_json_lines(path: str) -> list:
    """Complete JSON lines of a file that another process is still appending to. A last line
    without its newline is being written: it is left for the next read."""
    try:
        with open(path, "rb") as f:
            data = f.read().decode("utf-8")
    except FileNotFoundError:
        return []
    records = []
    for line in data.split("\n")[:-1]:
        if line.strip():
            records.append(json.loads(line))
    return records


def attr(span: dict, key: str, default=None):
    return span.get("attributes", {}).get(key, default)


def res(span: dict, key: str, default=None):
    return span.get("resource", {}).get(key, default)


def select(spans: list, kind: str = None, service: str = None, pid: int = None,
           server_port: int = None, path: str = None) -> list:
    """Spans matching every given criterion, in start-time order."""
    out = []
    for s in spans:
        if kind is not None and s.get("kind") != kind:
            continue
        if service is not None and res(s, "service.name") != service:
            continue
        if pid is not None and res(s, "process.pid") != pid:
            continue
        if server_port is not None and attr(s, "server.port") != server_port:
            continue
        if path is not None and attr(s, "url.path") != path:
            continue
        out.append(s)
    return sorted(out, key=lambda s: s.get("start_time_unix_nano", 0))


def summary(spans: list, limit: int = 60) -> str:
    """One line per span, for failure messages."""
    lines = [f"{len(spans)} span(s) received:"]
    for s in spans[:limit]:
        lines.append("  {kind} {name} {path}?{query} -> {code} status={status} service={svc} pid={pid} "
                     "server.port={sport} peer={peer}:{pport} via={via}".format(
                         kind=s.get("kind"), name=s.get("name"), path=attr(s, "url.path"),
                         query=attr(s, "url.query"), code=attr(s, "http.response.status_code"),
                         status=s.get("status"), svc=res(s, "service.name"), pid=res(s, "process.pid"),
                         sport=attr(s, "server.port"), peer=attr(s, "network.peer.address"),
                         pport=attr(s, "network.peer.port"), via=s.get("transport", "stdout")))
    if len(spans) > limit:
        lines.append(f"  ... {len(spans) - limit} more")
    return "\n".join(lines)


def wait_for(read, match, count: int, timeout: float = 10.0, what: str = "spans", context=lambda: "") -> list:
    """Polls read() (→ list of spans) until at least `count` spans satisfy match; returns
    those. On timeout fails with what was received and `context()` (e.g. the agent's log)."""
    deadline = time.monotonic() + timeout
    while True:
        spans = read()
        found = [s for s in spans if match(s)]
        if len(found) >= count:
            return sorted(found, key=lambda s: s.get("start_time_unix_nano", 0))
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {count} {what}, found {len(found)}\n"
                                 f"{summary(spans)}\n{context()}")
        time.sleep(0.1)


def tail_text(text: str, lines: int = 30) -> str:
    return "\n".join(text.splitlines()[-lines:])
