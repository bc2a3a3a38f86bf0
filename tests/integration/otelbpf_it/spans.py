"""Reading flat span records (receiver output or `otelbpf run --output json`) and waiting
for the ones a test expects."""

import json
import time


class JsonLinesFile:
    """Spans of a JSON-lines file another process keeps appending to, read incrementally:
    other traffic on the machine can make it large, and tests poll it often. A last line
    without its newline is still being written: it is left for the next read."""

    def __init__(self, path: str):
        self.path = path
        self._offset = 0
        self._records = []

    def read(self) -> list:
        try:
            with open(self.path, "rb") as f:
                f.seek(self._offset)
                data = f.read()
        except FileNotFoundError:
            return list(self._records)
        complete = data[:data.rfind(b"\n") + 1]
        self._offset += len(complete)
        for line in complete.decode("utf-8").split("\n"):
            if line.strip():
                self._records.append(json.loads(line))
        return list(self._records)


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


def summary(spans: list, limit: int = 40, related=None) -> str:
    """One line per span, for failure messages; with `related`, only the spans it accepts
    (those of the test's own servers and clients), counting the others."""
    shown = [s for s in spans if related is None or not isinstance(s, dict) or related(s)]
    others = len(spans) - len(shown)
    lines = [f"{len(spans)} span(s) received" + (f", {others} of other traffic on this machine not shown" if others else "")
             + (":" if shown else "")]
    for s in shown[:limit]:
        if not isinstance(s, dict):  # e.g. lines of --output text
            lines.append(f"  {s}")
            continue
        lines.append("  {kind} {name} {path}?{query} -> {code} status={status} service={svc} pid={pid} "
                     "server.port={sport} peer={peer}:{pport} via={via}".format(
                         kind=s.get("kind"), name=s.get("name"), path=attr(s, "url.path"),
                         query=attr(s, "url.query"), code=attr(s, "http.response.status_code"),
                         status=s.get("status"), svc=res(s, "service.name"), pid=res(s, "process.pid"),
                         sport=attr(s, "server.port"), peer=attr(s, "network.peer.address"),
                         pport=attr(s, "network.peer.port"), via=s.get("transport", "stdout")))
    if len(shown) > limit:
        lines.append(f"  ... {len(shown) - limit} more")
    return "\n".join(lines)


def wait_for(read, match, count: int, timeout: float = 10.0, what: str = "spans", context=lambda: "",
             related=None) -> list:
    """Polls read() (→ list of spans) until at least `count` spans satisfy match; returns
    those. On timeout fails with what was received (see summary) and `context()` (e.g. the
    agent's log)."""
    deadline = time.monotonic() + timeout
    while True:
        spans = read()
        found = [s for s in spans if match(s)]
        if len(found) >= count:
            return select(found)  # start-time order (select with no criterion keeps them all)
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {count} {what}, found {len(found)}\n"
                                 f"{summary(spans, related=related)}\n{context()}")
        time.sleep(0.1)


def tail_text(text: str, lines: int = 30) -> str:
    return "\n".join(text.splitlines()[-lines:])
