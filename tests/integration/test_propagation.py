"""traceparent injection across hosts (`otelbpf run --propagate=headers`).

Two "hosts": network namespaces A and B joined by a veth pair (otelbpf_it/netns.py). The
agent runs in the root namespace and sees both. Same-host stitching is off
(`--stitch-same-host=false`), so the spans of the two ends of a connection can only be linked
by the `traceparent` header that travelled in the request: the one the agent inserted in the
kernel (sockops + sk_msg `bpf_msg_push_data`), carrying the CLIENT span's own ids.

The peers (propagation_peer.py) see exact bytes: the recording server keeps every byte of
every connection, the raw client chooses each write, the relay keeps what http.client sent.
Every request must arrive as a byte-exact copy of what was sent, or as that copy with ONE
well-formed line `traceparent: 00-<32 hex>-<16 hex>-0[01]\\r\\n` inserted right after the
request line (requests the injector is unsure about may be left alone). Where a line was
inserted, it must name that request's CLIENT span, and the SERVER span must be its child;
where none was, the SERVER span has no parent. `otelbpf_propagation_requests_total
{outcome="injected"}` must count exactly the lines that arrived."""

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import unittest

from otelbpf_it import config
from otelbpf_it.case import IntegrationTest
from otelbpf_it.clients import WRITE_OUT, Transfer, client_env
from otelbpf_it.netns import NetnsPair
from otelbpf_it.ports import free_port
from otelbpf_it.prometheus_text import samples, scrape
from otelbpf_it.spans import JsonLinesFile, attr, res, select, summary
from otelbpf_it.measured import report

PEER_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "propagation_peer.py")
PROPAGATE = ("--propagate=headers",)
NO_STITCHING = ("--stitch-same-host=false",)
METRIC = "otelbpf_propagation_requests_total"
# One inserted line, exactly as the injector writes it.
INSERTED = re.compile(rb"traceparent: (00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01]))\r\n")
FIXED_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
FIXED_PARENT = "00f067aa0ba902b7"
WAIT = 10.0



def request_line(request: bytes) -> str:
    return request[:request.index(b"\r\n")].decode("latin-1")


def _context(data: bytes, at: int) -> str:
    return f"{data[max(0, at - 40):at]!r} | {data[at:at + 60]!r}"


def match_sent(received: bytes, sent: list) -> list:
    """Matches `received` (every byte one connection delivered to the server) against `sent`
    (the requests written on it, in order). Each request must arrive byte-exact, or byte-exact
    but for one inserted traceparent line right after its request line; nothing may follow the
    last one. Returns, per request, the inserted header value or None. Raises AssertionError
    naming the first difference otherwise."""
    pos = 0
    inserted = []
    for i, request in enumerate(sent):
        line_end = request.index(b"\r\n") + 2
        where = f"request {i} ({request_line(request)!r})"
        if received[pos:pos + line_end] != request[:line_end]:
            raise AssertionError(f"{where}: request line differs at offset {pos} of the stream: "
                                 f"{_context(received, pos)}")
        pos += line_end
        rest = request[line_end:]
        line = INSERTED.match(received, pos)
        if line and received[line.end():line.end() + len(rest)] == rest:
            inserted.append(line.group(1).decode())
            pos = line.end() + len(rest)
        elif received[pos:pos + len(rest)] == rest:
            inserted.append(None)
            pos += len(rest)
        else:
            got = received[pos:pos + len(rest)]
            diff = next((k for k in range(min(len(got), len(rest))) if got[k] != rest[k]), min(len(got), len(rest)))
            raise AssertionError(
                f"{where}: not a byte-exact copy (+ at most one traceparent line after the request line): "
                f"after the request line, {len(rest)} bytes expected, first difference at byte {diff} "
                f"(stream offset {pos + diff}):\n  sent:     {_context(rest, diff)}\n"
                f"  received: {_context(received, pos + diff)}"
                + (f"\n  (a traceparent line was inserted: {line.group(0)!r})" if line else ""))
    if pos != len(received):
        raise AssertionError(f"{len(received) - pos} unexpected bytes after the last request at offset {pos}: "
                             f"{_context(received, pos)}")
    return inserted


def parse_curl_trace(path: str) -> list:
    """The requests curl wrote, from `curl --trace FILE`: one bytes object per 'Send header'
    block, with the 'Send data' blocks that follow it."""
    requests, current = [], None
    with open(path, encoding="latin-1") as f:
        for line in f:
            if line.startswith(("=>", "<=", "==")):
                current = None
                if line.startswith("=> Send header"):
                    requests.append(bytearray())
                    current = requests[-1]
                elif line.startswith("=> Send data"):
                    current = requests[-1]
            elif current is not None and re.match(r"^[0-9a-f]{4}: ", line):
                current.extend(bytes.fromhex(line[6:6 + 48]))
    return [bytes(r) for r in requests]


class Peer:
    """A propagation_peer.py server started inside a namespace; ready when it prints its port."""

    def __init__(self, tc, ns, name: str, *args, service: str):
        env = {**client_env(), "OTEL_SERVICE_NAME": service}
        self.ns = ns
        self.process = ns.process(name, [sys.executable, "-u", PEER_SCRIPT, *args], tc.workdir, env=env)
        tc.addCleanup(self.process.kill_group)
        deadline = time.monotonic() + 10
        while "\n" not in self.process.stdout():
            if time.monotonic() > deadline or not self.process.alive():
                raise AssertionError(f"{name} did not start in {ns.name}:\n{self.process.stderr()}")
            time.sleep(0.05)
        ready = json.loads(self.process.stdout().split("\n")[0])
        self.port, self.pid = ready["port"], ready["pid"]
        if self.pid != self.process.pid:
            raise AssertionError(f"{name}: pid {self.pid} is not the Popen's {self.process.pid} (ip netns exec forked?)")
        tc.ports.add(self.port)

    def url(self, path: str) -> str:
        return f"http://{self.ns.address}:{self.port}{path}"


class Recorder(Peer):
    def __init__(self, tc, ns, name: str = "recorder"):
        self.out_path = os.path.join(tc.workdir, f"{name}.jsonl")
        super().__init__(tc, ns, name, "server", self.out_path, service="it-recorder")
        self._records = JsonLinesFile(self.out_path)

    def connection(self, client_port: int, timeout: float = WAIT) -> tuple:
        """(request records, every byte received) of the connection from `client_port`, once
        the client has closed it."""
        deadline = time.monotonic() + timeout
        while True:
            records = [r for r in self._records.read() if r["peer"].endswith(f":{client_port}")]
            closed = [r for r in records if r["event"] == "closed"]
            if closed:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"recorder: connection from port {client_port} not closed after {timeout} s; "
                                     f"records: {[(r['event'], r.get('request_line')) for r in records]}\n"
                                     f"{self.process.stderr()}")
            time.sleep(0.05)
        if len(closed) != 1:
            raise AssertionError(f"{len(closed)} connections from port {client_port}")
        closed = closed[0]
        if closed["error"] or closed["leftover"]:
            raise AssertionError(f"recorder could not frame the connection from port {client_port}: "
                                 f"error={closed['error']!r}, unframed bytes "
                                 f"{base64.b64decode(closed['leftover'])[:200]!r}")
        requests = sorted((r for r in records if r["event"] == "request"), key=lambda r: r["index"])
        return requests, base64.b64decode(closed["stream"])

    def requests_for(self, path: str) -> list:
        return [r for r in self._records.read() if r["event"] == "request" and r["path"] == path]


class Relay(Peer):
    def __init__(self, tc, ns, down_ns, down_port: int):
        self.out_path = os.path.join(tc.workdir, "relay.jsonl")
        super().__init__(tc, ns, "relay", "relay", down_ns.address, str(down_port), self.out_path,
                         service="it-relay")
        self._records = JsonLinesFile(self.out_path)

    def record(self, path: str) -> dict:
        found = [r for r in self._records.read() if r["path"] == path]
        if len(found) != 1:
            raise AssertionError(f"relay records for {path}: {found}\n{self.process.stderr()}")
        return found[0]


class CurlInNs:
    """curl run to completion inside a namespace, with the exact bytes it sent (--trace)."""

    def __init__(self, tc, ns, urls: list, extra: list = ()):
        trace = os.path.join(tc.workdir, f"curl-trace-{time.monotonic_ns()}.txt")
        argv = [config.tool("curl"), "-sS", "--http1.1", "--noproxy", "*", "-w", WRITE_OUT, "--trace", trace, *extra]
        for url in urls:
            argv += ["-o", "/dev/null", url]
        proc = subprocess.Popen(ns.argv(*argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=client_env())
        out, err = proc.communicate(timeout=60)
        self.pid = proc.pid
        self.transfers = [Transfer(*map(int, l.split())) for l in out.decode().splitlines() if l.strip()]
        if proc.returncode != 0 or len(self.transfers) != len(urls) or any(t.http_code != 200 for t in self.transfers):
            raise AssertionError(f"curl in {ns.name} failed ({proc.returncode}): {err.decode()}\n{out.decode()}")
        self.local_port = self.transfers[0].local_port
        if any(t.local_port != self.local_port for t in self.transfers):
            raise AssertionError(f"curl used several connections: {self.transfers}")
        self.sent = parse_curl_trace(trace)
        if len(self.sent) != len(urls):
            raise AssertionError(f"{len(self.sent)} requests in curl's trace {trace}, expected {len(urls)}")


class PropagationTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.start_receiver()
        self.hosts = NetnsPair()
        self.addCleanup(self.hosts.remove)  # runs last: after every process inside has been stopped
        self.metrics_port = None

    # ---- pieces -------------------------------------------------------------------------

    def start_propagating_agent(self, *ports: int, propagate: bool = True):
        """The agent scoped to this test's server ports, same-host stitching off, with or
        without injection, its Prometheus endpoint on a free port."""
        self.metrics_port = free_port()
        args = [*(PROPAGATE if propagate else ()), *NO_STITCHING]
        for port in ports:
            args += ["--port", str(port)]
        return self.start_agent(*args, extra_env={"OTEL_EXPORTER_PROMETHEUS_PORT": str(self.metrics_port)})

    def raw_client(self, ns, server, steps: list) -> dict:
        """propagation_peer.py client inside `ns` → server; returns its JSON output (+ "pid")."""
        steps_path = os.path.join(self.workdir, f"steps-{time.monotonic_ns()}.json")
        with open(steps_path, "w") as f:
            json.dump(steps, f)
        proc = subprocess.Popen(ns.argv(sys.executable, PEER_SCRIPT, "client", server.ns.address, server.port,
                                        steps_path),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env={**client_env(), "OTEL_SERVICE_NAME": "it-raw-client"})
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 0, f"raw client: {err.decode()}")
        result = json.loads(out.decode().splitlines()[-1])
        self.assertEqual(result["pid"], proc.pid)
        return result

    def one_span(self, spans: list, kind: str, pid: int, path: str) -> dict:
        found = select(spans, kind=kind, pid=pid, path=path)
        self.assertEqual(len(found), 1, f"{kind} spans of pid {pid} for {path}\n{summary(spans, related=self.related)}")
        return found[0]

    def wait_spans(self, wanted: list) -> None:
        """Waits until a span exists for each (kind, pid, path) of `wanted`."""
        keys = set(wanted)
        self.wait_received(lambda s: (s.get("kind"), res(s, "process.pid"), attr(s, "url.path")) in keys,
                           len(keys), f"spans {sorted(keys)}", timeout=WAIT)

    def propagation_counts(self) -> dict:
        """{outcome: value} of otelbpf_propagation_requests_total (empty when there is no series)."""
        return {ls.get("outcome"): v for n, ls, v in samples(scrape(self.metrics_port)) if n == METRIC}

    def assert_injected_count(self, expected: int) -> dict:
        """outcome="injected" reaches `expected` and stays there (the agent publishes once a
        second); a missing series counts as 0 only when 0 is expected."""
        deadline = time.monotonic() + WAIT
        counts = self.propagation_counts()
        while counts.get("injected", 0) < expected and time.monotonic() < deadline:
            time.sleep(0.25)
            counts = self.propagation_counts()
        time.sleep(1.2)
        counts = self.propagation_counts()
        if expected:
            self.assertIn("injected", counts, f"no {METRIC}{{outcome=\"injected\"}} series: {counts}")
        self.assertEqual(counts.get("injected", 0), expected,
                         f"{METRIC}{{outcome=\"injected\"}} vs traceparent lines that arrived; all outcomes: {counts}")
        return counts

    # ---- shared checks ------------------------------------------------------------------

    def assert_link(self, label: str, client: dict, server: dict, inserted) -> None:
        """An inserted header names the CLIENT span that sent it and the SERVER span is that
        span's child; without one, nothing links them (stitching is off)."""
        if inserted is None:
            self.assertEqual(server["parent_span_id"], "", f"{label}: no header arrived, yet the SERVER span has a parent")
            self.assertNotEqual(server["trace_id"], client["trace_id"], f"{label}: no header, same trace")
            return
        _, trace, span, flags = inserted.split("-")
        self.assertEqual((client["trace_id"], client["span_id"]), (trace, span),
                         f"{label}: the inserted traceparent {inserted} must carry the CLIENT span's own ids")
        self.assertEqual(flags, "01", f"{label}: the CLIENT span is sampled (parentbased_always_on)")
        self.assertEqual((server["trace_id"], server["parent_span_id"]), (trace, span),
                         f"{label}: the SERVER span must be the child of the span in the header")

    def assert_exact_connection(self, requests: list, stream: bytes, sent: list) -> list:
        """The connection delivered exactly `sent` (+ inserted lines) and the recorder framed it
        into those requests; returns the inserted values per request."""
        inserted = match_sent(stream, sent)
        self.assertEqual([r["request_line"] for r in requests], [request_line(s) for s in sent])
        self.assertEqual(b"".join(base64.b64decode(r["raw"]) for r in requests), stream)
        for record, value in zip(requests, inserted):
            self.assertEqual(record["traceparents"], [value] if value else [],
                             f"traceparent headers of {record['request_line']!r}")
        return inserted

    # ---- 1, 2, 3: curl in A → recording server in B ----------------------------------------

    def test_header_and_links_across_hosts(self):
        recorder = Recorder(self, self.hosts.b)
        agent = self.start_propagating_agent(recorder.port)
        run = CurlInNs(self, self.hosts.a, [recorder.url("/hdr/0")])
        requests, stream = recorder.connection(run.local_port)
        self.wait_spans([("CLIENT", run.pid, "/hdr/0"), ("SERVER", recorder.pid, "/hdr/0")])
        counts = self.assert_injected_count(1)
        self.stop_agent(agent)

        inserted = self.assert_exact_connection(requests, stream, run.sent)
        self.assertIsNotNone(inserted[0], f"no traceparent inserted into curl's request: {stream!r}")
        self.assertRegex(inserted[0], r"^00-[0-9a-f]{32}-[0-9a-f]{16}-01$")
        spans = self.receiver.spans()
        client = self.one_span(spans, "CLIENT", run.pid, "/hdr/0")
        server = self.one_span(spans, "SERVER", recorder.pid, "/hdr/0")
        self.assert_link("curl A → recorder B", client, server, inserted[0])
        self.assertEqual(client["parent_span_id"], "", "curl's CLIENT span is the top of its trace")
        report(f"curl → {recorder.url('/hdr/0')}: arrived {request_line(run.sent[0])!r} + "
               f"'traceparent: {inserted[0]}'; outcomes {counts}")

    def test_keep_alive_requests_each_carry_their_own_client_span(self):
        """Two requests on one curl connection: each gets a header naming its own CLIENT span."""
        recorder = Recorder(self, self.hosts.b)
        agent = self.start_propagating_agent(recorder.port)
        paths = ["/ka/0", "/ka/1"]
        run = CurlInNs(self, self.hosts.a, [recorder.url(p) for p in paths])
        requests, stream = recorder.connection(run.local_port)
        self.wait_spans([(k, pid, p) for p in paths for k, pid in (("CLIENT", run.pid), ("SERVER", recorder.pid))])
        self.assert_injected_count(2)
        self.stop_agent(agent)

        inserted = self.assert_exact_connection(requests, stream, run.sent)
        self.assertNotIn(None, inserted, "each request of the keep-alive connection gets its header")
        spans = self.receiver.spans()
        for path, value in zip(paths, inserted):
            self.assert_link(path, self.one_span(spans, "CLIENT", run.pid, path),
                             self.one_span(spans, "SERVER", recorder.pid, path), value)
        self.assertNotEqual(inserted[0], inserted[1])

    def test_control_without_propagation_nothing_links_the_hosts(self):
        recorder = Recorder(self, self.hosts.b)
        agent = self.start_propagating_agent(recorder.port, propagate=False)
        run = CurlInNs(self, self.hosts.a, [recorder.url("/ctl/0")])
        requests, stream = recorder.connection(run.local_port)
        self.wait_spans([("CLIENT", run.pid, "/ctl/0"), ("SERVER", recorder.pid, "/ctl/0")])
        self.assert_injected_count(0)
        self.stop_agent(agent)

        self.assertEqual(stream, b"".join(run.sent), "without --propagate the request arrives untouched")
        self.assertEqual(requests[0]["traceparents"], [])
        spans = self.receiver.spans()
        client = self.one_span(spans, "CLIENT", run.pid, "/ctl/0")
        server = self.one_span(spans, "SERVER", recorder.pid, "/ctl/0")
        self.assert_link("control", client, server, None)

    def test_request_with_a_traceparent_is_left_alone(self):
        recorder = Recorder(self, self.hosts.b)
        agent = self.start_propagating_agent(recorder.port)
        header = f"00-{FIXED_TRACE}-{FIXED_PARENT}-01"
        run = CurlInNs(self, self.hosts.a, [recorder.url("/has/0")], extra=["-H", f"traceparent: {header}"])
        requests, stream = recorder.connection(run.local_port)
        self.wait_spans([("CLIENT", run.pid, "/has/0"), ("SERVER", recorder.pid, "/has/0")])
        counts = self.assert_injected_count(0)
        self.stop_agent(agent)

        self.assertEqual(stream, b"".join(run.sent), "a request that has a traceparent arrives byte-exact")
        self.assertEqual(requests[0]["traceparents"], [header])
        spans = self.receiver.spans()
        server = self.one_span(spans, "SERVER", recorder.pid, "/has/0")
        self.assertEqual((server["trace_id"], server["parent_span_id"]), (FIXED_TRACE, FIXED_PARENT))
        client = self.one_span(spans, "CLIENT", run.pid, "/has/0")
        self.assertEqual((client["trace_id"], client["parent_span_id"]), (FIXED_TRACE, FIXED_PARENT),
                         "curl's CLIENT span joins the trace its request carries (design.md, rule 3)")
        report(f"request already carrying a traceparent: outcomes {counts}")

    # ---- 4, 5, 6: raw client in A → recording server in B ------------------------------------

    def run_raw_case(self, name: str, steps: list, sent: list, paths: list):
        recorder = Recorder(self, self.hosts.b)
        agent = self.start_propagating_agent(recorder.port)
        result = self.raw_client(self.hosts.a, recorder, steps)
        self.assertEqual([r["status"] for r in result["responses"]], [200] * len(sent))
        requests, stream = recorder.connection(result["local_port"])
        inserted = self.assert_exact_connection(requests, stream, sent)
        report(f"{name}: traceparent inserted into {sum(v is not None for v in inserted)} of {len(sent)} requests "
               f"({', '.join(f'{p}: {v or None}' for p, v in zip(paths, inserted))})")
        self.wait_spans([(k, pid, p) for p in paths for k, pid in (("SERVER", recorder.pid), ("CLIENT", result["pid"]))])
        self.assert_injected_count(sum(v is not None for v in inserted))
        self.stop_agent(agent)

        spans = self.receiver.spans()
        for path, value in zip(paths, inserted):
            server = self.one_span(spans, "SERVER", recorder.pid, path)
            client = self.one_span(spans, "CLIENT", result["pid"], path)
            self.assert_link(f"{name} {path}", client, server, value)
        return recorder, requests, inserted

    def test_pipelined_requests_in_one_write_arrive_byte_exact(self):
        host = "Host: propagation.test\r\n"
        body = bytes(range(100))  # binary, with CR and LF in it
        sent = [f"GET /pipe/0 HTTP/1.1\r\n{host}User-Agent: it-raw\r\n\r\n".encode(),
                f"POST /pipe/1 HTTP/1.1\r\n{host}Content-Type: application/octet-stream\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode() + body,
                f"GET /pipe/2 HTTP/1.1\r\n{host}\r\n".encode()]
        steps = [{"send": base64.b64encode(b"".join(sent)).decode()}, {"responses": 3}]
        self.run_raw_case("pipelined (3 requests, one write)", steps, sent, ["/pipe/0", "/pipe/1", "/pipe/2"])

    def test_large_body_in_many_writes_arrives_byte_exact(self):
        chunk_size, chunks = 64 * 1024, 16
        body = bytearray()
        for i in range(chunks):
            # Each write of the body starts like a request (or a traceparent header) and the
            # one before ends with CRLF: a naive injector would insert a line there.
            if i % 2 == 0:
                head = f"GET / HTTP/1.1\r\nHost: salt-{i}\r\n".encode()
            else:
                head = f"traceparent: 00-{FIXED_TRACE}-{FIXED_PARENT}-01\r\n".encode()
            tail = b"\r\ntraceparent: \r\n\r\n"
            filler = hashlib.sha256(str(i).encode()).hexdigest().encode() * (chunk_size // 64 + 1)
            body += head + filler[:chunk_size - len(head) - len(tail)] + tail
        body = bytes(body)
        self.assertEqual(len(body), chunk_size * chunks)
        large = (f"POST /large HTTP/1.1\r\nHost: propagation.test\r\nContent-Type: application/octet-stream\r\n"
                 f"Content-Length: {len(body)}\r\n\r\n").encode()
        after = b"GET /after HTTP/1.1\r\nHost: propagation.test\r\n\r\n"
        steps = [{"send": base64.b64encode(large).decode()}]
        steps += [{"send": base64.b64encode(body[k:k + chunk_size]).decode()} for k in range(0, len(body), chunk_size)]
        steps += [{"responses": 1}, {"send": base64.b64encode(after).decode()}, {"responses": 1}]
        recorder, requests, inserted = self.run_raw_case(
            "1 MiB body in 64 KiB writes", steps, [large + body, after], ["/large", "/after"])
        self.assertEqual(requests[0]["body_length"], len(body))
        self.assertEqual(requests[0]["body_sha256"], hashlib.sha256(body).hexdigest())
        report(f"1 MiB body arrived with sha256 {requests[0]['body_sha256']}")

    def test_header_block_split_across_writes_arrives_byte_exact(self):
        parts = [b"GET /split HTTP/1.1\r\nHo", b"st: x\r\n\r\n"]
        steps = [{"send": base64.b64encode(parts[0]).decode()}, {"sleep_ms": 100},
                 {"send": base64.b64encode(parts[1]).decode()}, {"responses": 1}]
        self.run_raw_case("header block in two writes", steps, [b"".join(parts)], ["/split"])

    # ---- 7: not HTTP -------------------------------------------------------------------------

    def test_non_http_bytes_are_never_touched(self):
        echo = Peer(self, self.hosts.b, "echo", "echo", service="it-echo")
        agent = self.start_propagating_agent(echo.port)
        lines = [b"HELLO otelbpf\r\n", b"GET key\r\n", b"SET key 5\r\nvalue\r\n",
                 b"PUT /x HTTP/1.1 is not a request here\r\n", b"QUIT\r\n"]
        steps = []
        for line in lines:
            steps += [{"send": base64.b64encode(line).decode()}, {"recv_bytes": len(line)}]
        result = self.raw_client(self.hosts.a, echo, steps)
        received = base64.b64decode(result["received"])
        self.assertEqual(received, b"".join(lines), "the echo server must get (and send back) exactly what was sent")
        counts = self.assert_injected_count(0)
        self.stop_agent(agent)
        report(f"line protocol through the injector: echoed byte-exact; outcomes {counts}")

    # ---- 8: curl in A → relay in B → recording server in A ------------------------------------

    def test_chain_across_hosts_is_one_trace(self):
        recorder = Recorder(self, self.hosts.a)
        relay = Relay(self, self.hosts.b, self.hosts.a, recorder.port)
        agent = self.start_propagating_agent(recorder.port, relay.port)
        runs = [CurlInNs(self, self.hosts.a, [relay.url(f"/relay/{n}")]) for n in range(2)]
        wanted = []
        for n, run in enumerate(runs):
            wanted += [("CLIENT", run.pid, f"/relay/{n}"), ("SERVER", relay.pid, f"/relay/{n}"),
                       ("CLIENT", relay.pid, f"/down/{n}"), ("SERVER", recorder.pid, f"/down/{n}")]
        self.wait_spans(wanted)
        self.assert_injected_count(2 * len(runs))
        self.stop_agent(agent)

        spans = self.receiver.spans()
        traces = set()
        for n, run in enumerate(runs):
            with self.subTest(request=n):
                curl_span = self.one_span(spans, "CLIENT", run.pid, f"/relay/{n}")
                relay_in = self.one_span(spans, "SERVER", relay.pid, f"/relay/{n}")
                relay_out = self.one_span(spans, "CLIENT", relay.pid, f"/down/{n}")
                down = self.one_span(spans, "SERVER", recorder.pid, f"/down/{n}")
                # What reached the recorder: the relay's exact bytes + a header naming the relay's CLIENT span.
                records = recorder.requests_for(f"/down/{n}")
                self.assertEqual(len(records), 1, records)
                sent = base64.b64decode(relay.record(f"/down/{n}")["sent"])
                inserted = match_sent(base64.b64decode(records[0]["raw"]), [sent])[0]
                self.assertIsNotNone(inserted, f"no traceparent inserted into the relay's call: {records[0]}")
                self.assertEqual(records[0]["traceparents"], [inserted])
                self.assertEqual(inserted, f"00-{curl_span['trace_id']}-{relay_out['span_id']}-01",
                                 "the relay's call carries curl's trace id and the relay's CLIENT span id")
                self.assertEqual(relay.record(f"/down/{n}")["received_traceparents"],
                                 [f"00-{curl_span['trace_id']}-{curl_span['span_id']}-01"],
                                 "curl's request reached the relay with a header naming curl's CLIENT span")
                self.assertEqual(curl_span["parent_span_id"], "")
                self.assertEqual(relay_in["parent_span_id"], curl_span["span_id"], "relay SERVER ← curl CLIENT (header)")
                self.assertEqual(relay_out["parent_span_id"], relay_in["span_id"], "relay CLIENT ← relay SERVER (in process)")
                self.assertEqual(down["parent_span_id"], relay_out["span_id"], "recorder SERVER ← relay CLIENT (header)")
                self.assertEqual({s["trace_id"] for s in (curl_span, relay_in, relay_out, down)}, {curl_span["trace_id"]},
                                 "one trace id for all four spans")
                traces.add(curl_span["trace_id"])
                report(f"chain {n}: curl → relay → recorder, one trace {curl_span['trace_id']}; the relay's call "
                       f"arrived with 'traceparent: {inserted}'")
        self.assertEqual(len(traces), len(runs), "one trace per request")

    def test_relay_continues_the_trace_its_request_carries_and_ignores_a_malformed_one(self):
        """The kernel reads the relay's incoming traceparent itself (the ids of the call it makes
        go on the wire before user space sees anything): a valid one is continued, a malformed
        one (uppercase hex, which W3C forbids) starts a trace, exactly as user space would."""
        recorder = Recorder(self, self.hosts.a)
        relay = Relay(self, self.hosts.b, self.hosts.a, recorder.port)
        agent = self.start_propagating_agent(recorder.port, relay.port)
        cases = {0: f"00-{FIXED_TRACE}-{FIXED_PARENT}-01", 1: f"00-{FIXED_TRACE.upper()}-{FIXED_PARENT}-01"}
        for n, header in cases.items():
            CurlInNs(self, self.hosts.a, [relay.url(f"/relay/{n}")], extra=["-H", f"traceparent: {header}"])
        wanted = [(k, pid, f"{p}/{n}") for n in cases
                  for k, pid, p in (("SERVER", relay.pid, "/relay"), ("CLIENT", relay.pid, "/down"),
                                    ("SERVER", recorder.pid, "/down"))]
        self.wait_spans(wanted)
        self.stop_agent(agent)

        spans = self.receiver.spans()
        for n, header in cases.items():
            with self.subTest(header=header):
                relay_in = self.one_span(spans, "SERVER", relay.pid, f"/relay/{n}")
                relay_out = self.one_span(spans, "CLIENT", relay.pid, f"/down/{n}")
                down = self.one_span(spans, "SERVER", recorder.pid, f"/down/{n}")
                self.assertEqual(relay.record(f"/down/{n}")["received_traceparents"], [header])
                if n == 0:
                    self.assertEqual((relay_in["trace_id"], relay_in["parent_span_id"]), (FIXED_TRACE, FIXED_PARENT))
                else:
                    self.assertEqual(relay_in["parent_span_id"], "", "a malformed traceparent is ignored")
                    self.assertNotEqual(relay_in["trace_id"], FIXED_TRACE)
                self.assertEqual(relay_out["parent_span_id"], relay_in["span_id"])
                self.assertEqual(down["parent_span_id"], relay_out["span_id"])
                self.assertEqual({relay_in["trace_id"], relay_out["trace_id"], down["trace_id"]},
                                 {relay_in["trace_id"]})
                report(f"relay given 'traceparent: {header}': its call went out in trace {relay_out['trace_id']}")


if __name__ == "__main__":
    unittest.main()
