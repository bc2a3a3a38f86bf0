"""HTTP/2 and gRPC through the protocol seam (src/protocols/http2/), against real peers from
Debian on 127.0.0.1, checked through the independent OTLP decoder:

- nghttpd and nghttp (cleartext HTTP/2 by prior knowledge): several streams on one
  connection, each its own CLIENT and SERVER span, network.protocol.version "2";
- curl --http2 on http:// (an HTTP/1.1 request with `Upgrade: h2c`) through nghttpx, which
  answers 101 and continues in HTTP/2: the upgrading request comes out as stream 1 and the
  next request as stream 3, both version 2 on both ends, and no 101 span;
- nginx with TLS and HTTP/2 (ALPN h2) and curl --http2: https spans of version 2;
- a gRPC server and client in Python (python3-grpcio): unary, server streaming, a failing call
  with a non-OK status (an error on the client's span only, by the conventions' rules), and a
  call on a channel opened before the agent started; rpc.*.call.duration metrics.
"""

import os
import subprocess
import sys
import time
import unittest

from otelbpf_it import config
from otelbpf_it.case import IntegrationTest
from otelbpf_it.measured import report
from otelbpf_it.ports import free_port, wait_listening
from otelbpf_it.procs import Process, write_file as write
from otelbpf_it.spans import attr, res

WAIT = 15.0

# A gRPC server without generated code: generic handlers on raw bytes. demo.Greeter/SayHello
# answers, demo.Greeter/Fail fails with NOT_FOUND, demo.Greeter/Count streams 3 replies.
GRPC_SERVER = r'''
import sys, time
from concurrent import futures
import grpc

def say_hello(request, context):
    return b"hello " + request

def fail(request, context):
    context.abort(grpc.StatusCode.NOT_FOUND, "no such greeting")

def count(request, context):
    for n in range(3):
        yield str(n).encode()

handlers = {
    "SayHello": grpc.unary_unary_rpc_method_handler(say_hello),
    "Fail": grpc.unary_unary_rpc_method_handler(fail),
    "Count": grpc.unary_stream_rpc_method_handler(count),
}
server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("demo.Greeter", handlers),))
server.add_insecure_port("127.0.0.1:" + sys.argv[1])
server.start()
server.wait_for_termination()
'''

# The client: one channel for all calls. With "--wait FILE" it makes one call, then waits for
# FILE before the others (its channel was opened before the agent).
GRPC_CLIENT = r'''
import os, sys, time
import grpc
port = sys.argv[1]
wait_for = sys.argv[2] if len(sys.argv) > 2 else None
channel = grpc.insecure_channel("127.0.0.1:" + port)
hello = channel.unary_unary("/demo.Greeter/SayHello")
fail = channel.unary_unary("/demo.Greeter/Fail")
count = channel.unary_stream("/demo.Greeter/Count")
assert hello(b"first", timeout=10) == b"hello first"
if wait_for:
    print("waiting", flush=True)
    while not os.path.exists(wait_for):
        time.sleep(0.05)
assert hello(b"otelbpf", timeout=10) == b"hello otelbpf"
try:
    fail(b"x", timeout=10)
    raise SystemExit("Fail did not fail")
except grpc.RpcError as e:
    assert e.code() == grpc.StatusCode.NOT_FOUND, e.code()
assert [m for m in count(b"", timeout=10)] == [b"0", b"1", b"2"]
print("ok", flush=True)
'''


def wait_metric(test: IntegrationTest, name: str, pid: int, accept=lambda point: True) -> dict:
    """The first point of metric `name` from process `pid` that `accept`s, within WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        for p in test.receiver.metrics():
            if p["name"] == name and p["resource"].get("process.pid") == pid and accept(p):
                return p
        time.sleep(0.2)
    test.fail(f"no {name} of pid {pid}\n{test.diagnostics()}")


class Http2Test(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.start_receiver()

    def test_nghttpd_and_nghttp_cleartext_streams(self):
        docroot = os.path.join(self.workdir, "docroot")
        os.makedirs(docroot)
        write(os.path.join(docroot, "a.txt"), "first file\n")
        write(os.path.join(docroot, "b.txt"), "second file\n")
        port = free_port()
        self.ports.add(port)
        agent = self.start_agent()
        server = Process("nghttpd", [config.tool("nghttpd"), "--no-tls", "-d", docroot, str(port)], self.workdir)
        self.addCleanup(server.kill_group)
        wait_listening(port, 10, server.alive)
        # One connection, three concurrent streams (nghttp sends them at once).
        urls = [f"http://127.0.0.1:{port}/{p}" for p in ("a.txt", "b.txt", "missing.txt")]
        client = subprocess.run([config.tool("nghttp"), "-n", *urls], capture_output=True, text=True, timeout=30)
        self.assertEqual(client.returncode, 0, client.stderr)
        servers = self.wait_received(lambda s: s["kind"] == "SERVER" and res(s, "process.pid") == server.pid, 3,
                                     "nghttpd SERVER spans", WAIT)
        clients = self.wait_received(lambda s: s["kind"] == "CLIENT" and res(s, "process.executable.name") == "nghttp",
                                     3, "nghttp CLIENT spans", WAIT)
        for spans in (servers, clients):
            by_path = {attr(s, "url.path"): s for s in spans}
            self.assertEqual(set(by_path), {"/a.txt", "/b.txt", "/missing.txt"})
            self.assertEqual(attr(by_path["/a.txt"], "http.response.status_code"), 200)
            self.assertEqual(attr(by_path["/missing.txt"], "http.response.status_code"), 404)
            for s in spans:
                self.assertEqual(attr(s, "network.protocol.version"), "2", s)
                self.assertEqual(attr(s, "url.scheme"), "http", s)
                self.assertEqual(attr(s, "http.request.method"), "GET", s)
        # Same host, one connection: each stream's SERVER span is the child of its CLIENT span.
        client_by_path = {attr(s, "url.path"): s for s in clients}
        for s in servers:
            self.assertEqual(s["parent_span_id"], client_by_path[attr(s, "url.path")]["span_id"], s)
        self.stop_agent(agent)
        report("nghttp -> nghttpd (h2c, 3 streams on one connection): 3 SERVER + 3 CLIENT spans, version 2, "
               "each SERVER span the child of its CLIENT span")

    def test_curl_upgrades_to_h2c_through_nghttpx(self):
        docroot = os.path.join(self.workdir, "docroot")
        os.makedirs(docroot)
        write(os.path.join(docroot, "a.txt"), "first file\n")
        write(os.path.join(docroot, "b.txt"), "second file\n")
        backend_port, front_port = free_port(), free_port()
        self.ports.update({backend_port, front_port})
        agent = self.start_agent("--prometheus=false", extra_env={"OTEL_METRIC_EXPORT_INTERVAL": "500"})
        backend = Process("nghttpd", [config.tool("nghttpd"), "--no-tls", "-d", docroot, str(backend_port)],
                          self.workdir)
        self.addCleanup(backend.kill_group)
        wait_listening(backend_port, 10, backend.alive)
        # nghttpx's cleartext frontend accepts HTTP/1.1 upgrades to h2c (RFC 7540 section 3.2).
        proxy = Process("nghttpx", [config.tool("nghttpx"), f"--frontend=127.0.0.1,{front_port};no-tls",
                                    f"--backend=127.0.0.1,{backend_port};;proto=h2", "--conf=/dev/null",
                                    "--workers=1", "--no-ocsp"], self.workdir)
        self.addCleanup(proxy.kill_group)
        wait_listening(front_port, 10, proxy.alive)
        curl = subprocess.run([config.tool("curl"), "-sv", "--http2", "-o", "/dev/null", "-o", "/dev/null",
                               "-w", "%{http_version} ", f"http://127.0.0.1:{front_port}/a.txt",
                               f"http://127.0.0.1:{front_port}/b.txt"], capture_output=True, text=True, timeout=30)
        self.assertEqual(curl.returncode, 0, curl.stderr)
        self.assertIn("101 Switching Protocols", curl.stderr, "curl upgraded in-band, not by prior knowledge")
        self.assertEqual(curl.stdout.split(), ["2", "2"], "both requests were answered in HTTP/2")
        is_client = lambda s: s["kind"] == "CLIENT" and res(s, "process.executable.name") == "curl" \
            and attr(s, "network.peer.port") == front_port
        is_server = lambda s: s["kind"] == "SERVER" and res(s, "process.executable.name") == "nghttpx" \
            and attr(s, "server.port") == front_port
        clients = self.wait_received(is_client, 2, "curl's CLIENT spans", WAIT)
        servers = self.wait_received(is_server, 2, "nghttpx's SERVER spans", WAIT)
        self.settle(1.0)
        for kind, match in (("CLIENT", is_client), ("SERVER", is_server)):
            spans = [s for s in self.receiver.spans() if match(s)]
            by_path = {attr(s, "url.path"): s for s in spans}
            self.assertEqual(len(spans), 2, f"one {kind} span per request, none for the 101: {spans}")
            self.assertEqual(set(by_path), {"/a.txt", "/b.txt"}, spans)
            for s in spans:
                self.assertEqual(attr(s, "network.protocol.version"), "2", s)
                self.assertEqual(attr(s, "http.response.status_code"), 200, s)
                self.assertEqual(attr(s, "url.scheme"), "http", s)
        # Same host, one connection, stream ids on both ends: each SERVER span under its CLIENT span.
        client_by_path = {attr(s, "url.path"): s for s in clients}
        for s in servers:
            self.assertEqual(s["parent_span_id"], client_by_path[attr(s, "url.path")]["span_id"], s)
        # curl's end and nghttpx's end of the connection both switched.
        wait_metric(self, "otelbpf.connections.switched", agent.pid, lambda p: p["value"] >= 2)
        self.stop_agent(agent)
        report("curl --http2 -> nghttpx (HTTP/1.1 Upgrade: h2c, 101): /a.txt on stream 1 and /b.txt on stream 3, "
               "2 CLIENT + 2 SERVER spans of version 2, each SERVER span under its CLIENT span, no 101 span")

    def test_nginx_http2_over_tls_and_curl(self):
        nginx = self.start_nginx(tls=True, http2=True)
        workers = set(nginx.worker_pids())
        agent = self.start_agent()
        curl = subprocess.run([config.tool("curl"), "-sk", "--http2", "-o", "/dev/null", "-o", "/dev/null",
                               "-w", "%{http_version} ",
                               nginx.url("/hello"), nginx.url("/error")], capture_output=True, text=True, timeout=30)
        self.assertEqual(curl.stdout.split(), ["2", "2"], "curl and nginx negotiated HTTP/2 (ALPN h2)")
        servers = self.wait_received(lambda s: s["kind"] == "SERVER" and res(s, "process.pid") in workers, 2,
                                     "nginx HTTP/2 SERVER spans", WAIT)
        clients = self.wait_received(lambda s: s["kind"] == "CLIENT" and res(s, "process.executable.name") == "curl"
                                     and attr(s, "server.port") == nginx.port, 2, "curl HTTP/2 CLIENT spans", WAIT)
        for s in servers + clients:
            self.assertEqual(attr(s, "network.protocol.version"), "2", s)
            self.assertEqual(attr(s, "url.scheme"), "https", s)
        error = next(s for s in servers if attr(s, "url.path") == "/error")
        self.assertEqual(attr(error, "http.response.status_code"), 500)
        self.assertEqual(error["status"], "ERROR")
        self.stop_agent(agent)
        report("curl --http2 -> nginx (TLS, ALPN h2): https spans of version 2 on both ends")


class GrpcTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.start_receiver()
        self.port = free_port()
        self.ports.add(self.port)

    def start_server(self) -> Process:
        server = Process("grpc-server", [sys.executable, write(os.path.join(self.workdir, "server.py"),
                                                                         GRPC_SERVER), str(self.port)], self.workdir)
        self.addCleanup(server.kill_group)
        wait_listening(self.port, 20, server.alive)
        return server

    def client(self, *args) -> Process:
        return Process("grpc-client", [sys.executable, write(os.path.join(self.workdir, "client.py"),
                                                                       GRPC_CLIENT), str(self.port), *args],
                       self.workdir)

    def rpc_spans(self, pid: int, kind: str, count: int) -> list:
        return self.wait_received(lambda s: s["kind"] == kind and res(s, "process.pid") == pid
                                  and attr(s, "rpc.system.name") == "grpc", count, f"gRPC {kind} spans", WAIT)

    def check_calls(self, spans: list, kind: str) -> None:
        by_method = {}
        for s in spans:
            by_method.setdefault(attr(s, "rpc.method"), []).append(s)
        self.assertEqual(set(by_method), {"demo.Greeter/SayHello", "demo.Greeter/Fail", "demo.Greeter/Count"})
        ok = by_method["demo.Greeter/SayHello"][-1]
        self.assertEqual(ok["name"], "demo.Greeter/SayHello")
        self.assertEqual(attr(ok, "rpc.response.status_code"), "OK")
        self.assertEqual(ok["status"], "UNSET")
        failed = by_method["demo.Greeter/Fail"][0]
        self.assertEqual(attr(failed, "rpc.response.status_code"), "NOT_FOUND")
        if kind == "CLIENT":  # every non-OK code is a client error
            self.assertEqual(failed["status"], "ERROR")
            self.assertEqual(attr(failed, "error.type"), "NOT_FOUND")
        else:  # NOT_FOUND is the caller's problem, not the server's
            self.assertEqual(failed["status"], "UNSET")
        stream = by_method["demo.Greeter/Count"][0]
        self.assertEqual(attr(stream, "rpc.response.status_code"), "OK")
        for s in spans:
            self.assertIsNone(attr(s, "http.request.method"), "a gRPC call is an RPC span, not an HTTP one")

    def test_unary_streaming_and_failing_calls(self):
        agent = self.start_agent("--prometheus=false", extra_env={"OTEL_METRIC_EXPORT_INTERVAL": "500"})
        server = self.start_server()
        client = self.client()
        self.assertEqual(client.wait(60), 0, client.stderr())
        server_spans = self.rpc_spans(server.pid, "SERVER", 4)
        client_spans = self.rpc_spans(client.pid, "CLIENT", 4)
        self.check_calls(server_spans, "SERVER")
        self.check_calls(client_spans, "CLIENT")
        # Same host: the server's span of each call is the child of the client's.
        client_ids = {s["span_id"] for s in client_spans}
        linked = [s for s in server_spans if s["parent_span_id"] in client_ids]
        self.assertEqual(len(linked), 4, "each call's SERVER span is the child of its CLIENT span (stream id)")
        metric = wait_metric(self, "rpc.server.call.duration", server.pid)
        self.assertEqual(metric["unit"], "s")
        wait_metric(self, "rpc.client.call.duration", client.pid)
        self.stop_agent(agent)
        report(f"gRPC (python3-grpcio): 4 SERVER + 4 CLIENT spans (unary, NOT_FOUND, server streaming); "
               f"{len(linked)} of 4 SERVER spans linked to their CLIENT span; rpc.*.call.duration exported")

    def test_call_on_a_channel_opened_before_the_agent(self):
        server = self.start_server()
        go_on = os.path.join(self.workdir, "go-on")
        client = self.client(go_on)
        deadline = time.monotonic() + 30
        while "waiting" not in client.stdout() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertIn("waiting", client.stdout(), client.stderr())
        agent = self.start_agent()
        write(go_on, "")
        self.assertEqual(client.wait(60), 0, client.stderr())
        # The HPACK tables of this connection began before us: names sent by index into them may
        # be unknown, but what is decoded is never invented.
        spans = self.wait_received(lambda s: s["kind"] == "SERVER" and res(s, "process.pid") == server.pid, 1,
                                   "SERVER spans of calls on the earlier channel", WAIT)
        self.settle(1.0)
        spans = [s for s in self.receiver.spans() if res(s, "process.pid") == server.pid]
        # A call whose content-type was sent by index into the unknown table is an HTTP/2 POST
        # (its path, when decoded, is still the method's): never a method that was not called.
        methods = [attr(s, "rpc.method") or attr(s, "url.path") for s in spans]
        for m in methods:
            self.assertIn(m if m is None else m.lstrip("/"), (None, "demo.Greeter/SayHello", "demo.Greeter/Fail",
                                                               "demo.Greeter/Count", "_OTHER"),
                          f"a method that was never called: {m}")
        self.assertGreaterEqual(len(spans), 3, "every call after the agent started has a SERVER span")
        self.stop_agent(agent)
        report(f"gRPC channel opened before the agent: {len(spans)} SERVER spans after it started "
               f"(methods {sorted(set(map(str, methods)))})")


if __name__ == "__main__":
    unittest.main()
