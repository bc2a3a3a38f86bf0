"""Whole traces: curl → nginx (proxy_pass, an event loop) → a Python relay (thread per
request) → the Python backend (or a Go service). Every hop is on this host, so the agent links them without
touching a packet: same-host stitching joins each SERVER span to the CLIENT span on the other
end of its connection, in-process links join each CLIENT span to the SERVER span its thread
was serving. Also: a traceparent is joined, and ratio sampling keeps whole traces only."""

import os
import signal
import sys
import time
import unittest

from otelbpf_it import config
from otelbpf_it.case import IntegrationTest
from otelbpf_it.clients import curl
from otelbpf_it.golang import build_go
from otelbpf_it.measured import report
from otelbpf_it.nginx import _temp_path_directives, children_of, config_text, LOCATIONS
from otelbpf_it.ports import free_port, wait_listening
from otelbpf_it.procs import Process
from otelbpf_it.prometheus_text import samples, scrape
from otelbpf_it.spans import attr, select, summary

REQUESTS = 3

# Thread per request (ThreadingHTTPServer): the thread that read GET /relay/N makes the
# outgoing call GET /down/N to the backend, then answers. ?ms=M waits M ms first.
RELAY_SCRIPT = r'''
import json, os, sys, time, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BACKEND = int(sys.argv[1])

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if query.startswith("ms="):  # keep requests in flight together at nginx
            time.sleep(int(query[3:]) / 1000.0)
        n = path.rsplit("/", 1)[-1]
        with urllib.request.urlopen(f"http://127.0.0.1:{BACKEND}/down/{n}", timeout=10) as r:
            body = r.read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("relay: " + (fmt % args) + "\n")

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(json.dumps({"port": server.server_address[1], "pid": os.getpid()}), flush=True)
server.serve_forever()
'''


# A Go service as the last hop (built with golang-go): answers every path with "ok".
GO_BACKEND = r'''
package main

import (
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	if err := http.ListenAndServe("127.0.0.1:"+os.Args[1], nil); err != nil {
		panic(err)
	}
}
'''


class GoBackend:
    def __init__(self, workdir: str):
        binary = build_go(workdir, GO_BACKEND, "go-backend")
        self.port = free_port()
        self.process = Process("go-backend", [binary, str(self.port)], workdir)
        wait_listening(self.port, timeout=10.0, alive=self.process.alive)
        self.pid = self.process.pid

    def stop(self) -> None:
        self.process.kill_group()


class Relay:
    def __init__(self, workdir: str, backend_port: int):
        script = os.path.join(workdir, "relay.py")
        with open(script, "w") as f:
            f.write(RELAY_SCRIPT)
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_") and "proxy" not in k.lower()}
        self.process = Process("relay", [sys.executable, "-u", script, str(backend_port)], workdir, env=env)
        deadline = time.monotonic() + 10
        while "\n" not in self.process.stdout():
            if time.monotonic() > deadline or not self.process.alive():
                raise AssertionError(f"relay did not start:\n{self.process.stderr()}")
            time.sleep(0.05)
        self.port = int(self.process.stdout().split('"port": ')[1].split(",")[0])
        self.pid = self.process.pid

    def stop(self) -> None:
        self.process.kill_group()


class ProxyNginx:
    """nginx whose /relay/ location proxies to the relay. By default over HTTP/1.0, nginx's
    default: one upstream connection per request. `pooled`: HTTP/1.1 over one kept-alive
    upstream connection that every request reuses, as production proxies do."""

    def __init__(self, workdir: str, relay_port: int, pooled: bool = False):
        self.folder = os.path.join(workdir, "nginx")
        os.makedirs(self.folder)
        self.port = free_port()
        if pooled:
            # Host names the relay as in the unpooled case (the upstream's name would say "relay").
            proxy = ("location /relay/ { proxy_pass http://relay; proxy_http_version 1.1; "
                     f"proxy_set_header Connection \"\"; proxy_set_header Host 127.0.0.1:{relay_port}; }}\n")
        else:
            proxy = f"location /relay/ {{ proxy_pass http://127.0.0.1:{relay_port}; }}\n"
        text = config_text(self.folder, self.port).replace(LOCATIONS, proxy + LOCATIONS)
        if pooled:
            upstream = f"upstream relay {{ server 127.0.0.1:{relay_port}; keepalive 1; }}\n    server {{"
            text = text.replace("server {", upstream, 1)
        assert "proxy_pass" in text and _temp_path_directives(self.folder)
        conf = os.path.join(self.folder, "nginx.conf")
        with open(conf, "w") as f:
            f.write(text)
        self.process = Process("nginx", [config.tool("nginx"), "-p", self.folder, "-c", conf, "-e",
                                         os.path.join(self.folder, "error.log")], workdir)
        wait_listening(self.port, timeout=10.0, alive=self.process.alive)

    def worker_pids(self) -> list:
        deadline = time.monotonic() + 5
        while not children_of(self.process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        return children_of(self.process.pid)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.process.kill_group()


class TraceChainCase(IntegrationTest):
    def start_chain(self, pooled: bool = False, go_backend: bool = False):
        self.start_receiver()
        if go_backend:
            self.backend = GoBackend(self.workdir)
            self.addCleanup(self.backend.stop)
            self.ports.add(self.backend.port)
        else:
            self.backend = self.start_backend()
        self.relay = Relay(self.workdir, self.backend.port)
        self.addCleanup(self.relay.stop)
        self.nginx = ProxyNginx(self.workdir, self.relay.port, pooled)
        self.addCleanup(self.nginx.stop)
        self.ports.update({self.nginx.port, self.relay.port})

    def hops(self, spans: list, n: int, with_curl: bool = True) -> dict:
        """The spans of request n, by hop; fails unless each hop has exactly one span."""
        def one(kind, port, path):
            found = select(spans, kind=kind, server_port=port, path=path)
            self.assertEqual(len(found), 1, f"{kind} :{port} {path}\n{summary(spans)}")
            return found[0]

        hops = {
            "nginx": one("SERVER", self.nginx.port, f"/relay/{n}"),
            "nginx-out": one("CLIENT", self.relay.port, f"/relay/{n}"),
            "relay": one("SERVER", self.relay.port, f"/relay/{n}"),
            "relay-out": one("CLIENT", self.backend.port, f"/down/{n}"),
            "backend": one("SERVER", self.backend.port, f"/down/{n}"),
        }
        if with_curl:
            hops["curl"] = one("CLIENT", self.nginx.port, f"/relay/{n}")
        return hops

    def assert_chain(self, hops: dict, top_parent: str = ""):
        order = [h for h in ("curl", "nginx", "nginx-out", "relay", "relay-out", "backend") if h in hops]
        top = hops[order[0]]
        self.assertEqual(top["parent_span_id"], top_parent, f"{order[0]} is the trace's top span here")
        for parent_name, child_name in zip(order, order[1:]):
            parent, child = hops[parent_name], hops[child_name]
            self.assertEqual(child["parent_span_id"], parent["span_id"], f"{child_name} is {parent_name}'s child")
            self.assertEqual(child["trace_id"], top["trace_id"], child_name)
            self.assertLessEqual(parent["start_time_unix_nano"], child["start_time_unix_nano"],
                                 f"{child_name} starts inside {parent_name}")
            self.assertLessEqual(child["end_time_unix_nano"], parent["end_time_unix_nano"],
                                 f"{child_name} ends inside {parent_name}")


class LocalChainTest(TraceChainCase):
    def test_each_request_is_one_trace_with_every_parent_right(self):
        self.start_chain()
        agent = self.start_agent()
        for n in range(REQUESTS):
            curl(self.nginx.url(f"/relay/{n}"))
        self.wait_received(lambda s: attr(s, "url.path", "").startswith(("/relay/", "/down/")),
                           6 * REQUESTS, "six spans per request")
        self.stop_agent(agent)

        spans = self.receiver.spans()
        traces = set()
        for n in range(REQUESTS):
            hops = self.hops(spans, n)
            self.assert_chain(hops)
            traces.add(hops["curl"]["trace_id"])
        self.assertEqual(len(traces), REQUESTS, "one trace per request")
        self.assertIn("linked_same_host=", agent.process.stderr())


class PooledUpstreamRestartTest(TraceChainCase):
    """The agent is killed (-9) and started again while nginx keeps its kept-alive connection to
    the relay open. The relay's thread for that connection was already blocked in recv() when
    the new agent attached; that receive is described at its exit from the registers the
    syscall saved, so even the first request after the restart is seen at the relay. The two
    ends of the connection saw different numbers of exchanges (the first agent's are gone):
    same-host stitching by the requests' TCP sequence numbers does not care, and every chain
    after the restart is whole."""

    AFTER = 10

    def chain_requests(self, first: int, count: int) -> None:
        for n in range(first, first + count):
            curl(self.nginx.url(f"/relay/{n}"))
        self.wait_received(lambda s: attr(s, "url.path", "") in (f"/relay/{first + count - 1}",
                                                                  f"/down/{first + count - 1}"),
                           5, f"the last chain of requests {first}..{first + count - 1}")

    def test_chains_after_a_kill_9_restart_are_whole(self):
        self.restart_mid_chain(go_backend=False)

    def test_chains_through_a_go_service_after_a_kill_9_restart_are_whole(self):
        # The issue's shape: nginx over a pooled upstream to a Python service calling a Go one.
        self.restart_mid_chain(go_backend=True)

    def restart_mid_chain(self, go_backend: bool):
        self.start_chain(pooled=True, go_backend=go_backend)
        first_agent = self.start_agent()
        self.chain_requests(0, 3)
        first_agent.process.signal(signal.SIGKILL)
        self.assertEqual(first_agent.process.wait(10), -signal.SIGKILL)

        agent = self.start_agent()
        self.chain_requests(100, self.AFTER)
        self.settle(1.0)
        self.stop_agent(agent)
        spans = self.receiver.spans()

        relay_side = select(spans, kind="SERVER", server_port=self.relay.port)
        self.assertEqual(len({attr(s, "network.peer.port") for s in relay_side}), 1,
                         "nginx reused one upstream connection before and after the restart\n"
                         + summary(relay_side))
        whole = 0
        for n in range(100, 100 + self.AFTER):
            self.assert_chain(self.hops(spans, n))
            whole += 1
        report(f"pooled upstream{' to Python then Go' if go_backend else ''}, agent killed and restarted: "
               f"{whole} of the next {self.AFTER} chains whole (the relay's receive blocked at the restart included)")
        log = agent.process.stderr()
        self.assertRegex(log, r"calls_before_attach=[1-9]", agent.diagnostics())
        self.assertNotRegex(log, r"unmatched_responses=[1-9]", "no response went without its request")


class JoinTraceparentTest(TraceChainCase):
    TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
    PARENT_ID = "00f067aa0ba902b7"

    def test_server_span_joins_the_incoming_trace(self):
        self.start_chain()
        # curl is not watched: nginx's SERVER span is the first one on this host, and its
        # parent is the span id the caller sent.
        pids = [*self.nginx.worker_pids(), self.relay.pid, self.backend.pid]
        agent = self.start_agent(*[a for pid in pids for a in ("--pid", str(pid))])
        curl(self.nginx.url("/relay/0"), extra=[
            "-H", f"traceparent: 00-{self.TRACE_ID}-{self.PARENT_ID}-01", "-H", "tracestate: rojo=1"])
        # A malformed traceparent (uppercase hex) is ignored: a new trace.
        curl(self.nginx.url("/relay/1"), extra=[
            "-H", f"traceparent: 00-{self.TRACE_ID.upper()}-{self.PARENT_ID}-01"])
        self.wait_received(lambda s: attr(s, "url.path", "").startswith(("/relay/", "/down/")), 10,
                           "five spans per request")
        self.stop_agent(agent)

        spans = self.receiver.spans()
        joined = self.hops(spans, 0, with_curl=False)
        self.assert_chain(joined, top_parent=self.PARENT_ID)
        self.assertEqual(joined["nginx"]["trace_id"], self.TRACE_ID)
        ignored = self.hops(spans, 1, with_curl=False)
        self.assert_chain(ignored)
        self.assertNotEqual(ignored["nginx"]["trace_id"], self.TRACE_ID)

    def test_unsampled_traceparent_drops_the_whole_trace(self):
        self.start_chain()
        pids = [*self.nginx.worker_pids(), self.relay.pid, self.backend.pid]
        agent = self.start_agent(*[a for pid in pids for a in ("--pid", str(pid))])
        curl(self.nginx.url("/relay/0"), extra=["-H", f"traceparent: 00-{self.TRACE_ID}-{self.PARENT_ID}-00"])
        curl(self.nginx.url("/relay/1"))
        self.wait_received(lambda s: attr(s, "url.path", "").startswith(("/relay/", "/down/")), 5,
                           "the sampled request's spans")
        self.stop_agent(agent)
        spans = self.receiver.spans()
        self.assert_chain(self.hops(spans, 1, with_curl=False))
        self.assertEqual([s for s in spans if attr(s, "url.path") in ("/relay/0", "/down/0")], [])
        self.assertIn("sampled_out=5", agent.process.stderr())


class EventLoopTest(TraceChainCase):
    def test_concurrent_requests_on_one_nginx_worker_are_never_linked_wrongly(self):
        """One nginx worker serves every request at once: its outgoing calls overlap several
        requests in flight on the same thread, so they must stay unlinked rather than guess."""
        self.start_chain()
        metrics_port = free_port()
        agent = self.start_agent(extra_env={"OTEL_EXPORTER_PROMETHEUS_PORT": str(metrics_port)})
        requests = 6
        # One curl sending all six at once on six connections (threads of separate curls can
        # start hundreds of ms apart on a loaded machine). Requests started together and taking
        # equal time would each contain only their own call; so the earlier ones take longer
        # (550 ms down to 300 ms, within the assembly hold) and contain the later ones' calls.
        curl(*[self.nginx.url(f"/relay/{n}?ms={300 + 50 * (requests - 1 - n)}") for n in range(requests)],
             extra=["--parallel", "--parallel-immediate", "--parallel-max", str(requests)])
        self.wait_received(lambda s: attr(s, "url.path", "").startswith(("/relay/", "/down/")),
                           6 * requests, "six spans per request")
        time.sleep(1.5)  # the agent publishes its self-metrics once a second
        assembly = {ls["outcome"]: v for n, ls, v in samples(scrape(metrics_port))
                    if n == "otelbpf_trace_assembly_spans_total"}
        self.stop_agent(agent)

        spans = self.receiver.spans()
        unlinked = 0
        for n in range(requests):
            hops = self.hops(spans, n)
            if hops["nginx-out"]["parent_span_id"]:
                self.assertEqual(hops["nginx-out"]["parent_span_id"], hops["nginx"]["span_id"])
            else:
                unlinked += 1
            # The rest of the chain does not depend on the event loop.
            self.assertEqual(hops["nginx"]["parent_span_id"], hops["curl"]["span_id"])
            self.assertEqual(hops["relay"]["parent_span_id"], hops["nginx-out"]["span_id"])
            self.assertEqual(hops["relay-out"]["parent_span_id"], hops["relay"]["span_id"])
            self.assertEqual(hops["backend"]["parent_span_id"], hops["relay-out"]["span_id"])
        self.assertGreater(unlinked, 0, "the requests overlapped: some links must have been refused")
        self.assertIn(f"ambiguous_in_process={unlinked}", agent.process.stderr())
        # The same counts as self-metrics (otelbpf.trace_assembly.spans{outcome}).
        self.assertEqual(assembly.get("ambiguous_in_process"), unlinked, assembly)
        self.assertGreaterEqual(assembly.get("linked_same_host", 0), 3 * requests, assembly)


class RatioSamplingTest(TraceChainCase):
    def test_ratio_keeps_whole_traces_only(self):
        self.start_chain()
        requests = 24
        agent = self.start_agent(extra_env={"OTEL_TRACES_SAMPLER": "traceidratio",
                                            "OTEL_TRACES_SAMPLER_ARG": "0.5"})
        for n in range(requests):
            curl(self.nginx.url(f"/relay/{n}"))
        time.sleep(2.5)  # the assembly hold, then one export interval
        self.stop_agent(agent)

        spans = [s for s in self.receiver.spans() if attr(s, "url.path", "").startswith(("/relay/", "/down/"))]
        kept = sorted({int(attr(s, "url.path").rsplit("/", 1)[1]) for s in spans})
        for n in kept:
            self.assert_chain(self.hops(spans, n))
        self.assertEqual(len(spans), 6 * len(kept), "no trace exported in part")
        # Binomial(24, 0.5): outside [4, 20] with probability < 0.002.
        self.assertGreaterEqual(len(kept), 4, summary(spans))
        self.assertLessEqual(len(kept), 20, summary(spans))
        self.assertIn("sampler traceidratio (ratio 0.5)", agent.process.stderr())

    def test_bad_sampler_falls_back_to_the_default_and_says_so(self):
        self.start_receiver()
        agent = self.start_agent(extra_env={"OTEL_TRACES_SAMPLER": "sometimes"})
        self.stop_agent(agent)
        stderr = agent.process.stderr()
        self.assertIn('OTEL_TRACES_SAMPLER="sometimes" is not a sampler name', stderr)
        self.assertIn("sampler parentbased_always_on", stderr)


if __name__ == "__main__":
    unittest.main()
