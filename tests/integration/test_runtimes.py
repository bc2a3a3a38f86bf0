"""Services that do not run one request per thread: a Go service (goroutines moved between
threads by the runtime), a Node.js service and a Python asyncio service (many requests on one
event loop thread). Each answers GET /svc/N?ms=M by waiting M ms, calling the backend's /down/N,
then answering; requests come six at a time, so several are in flight on the service together.

What must hold for every runtime: no outgoing call is ever put under a request that did not make
it (a wrong parent is worse than none). How many calls get their right parent is measured and
printed ([measured] lines; docs/design.md, "Parent rules", quotes them): on an event loop a call
is linked only while it is the only request in flight; a Go service is followed by goroutine,
not by thread, including goroutines a handler starts, also by the kernel when it puts ids on
the wire (--propagate=headers)."""

import os
import sys
import time

from otelbpf_it import config
from otelbpf_it.case import IntegrationTest
from otelbpf_it.clients import curl
from otelbpf_it.golang import build_go
from otelbpf_it.measured import report
from otelbpf_it.ports import free_port, wait_listening
from otelbpf_it.procs import Process
from otelbpf_it.spans import attr, select, summary

IN_FLIGHT = 6
ROUNDS = 5

GO_SERVICE = r'''
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// With a third argument "spawn", the handler makes its call from a goroutine it starts (and
// waits for it), then starts one more that calls /late/N after the response went out.
func main() {
	backend := os.Args[2]
	spawn := len(os.Args) > 3 && os.Args[3] == "spawn"
	call := func(path string) ([]byte, error) {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%s%s", backend, path))
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		return io.ReadAll(resp.Body)
	}
	http.HandleFunc("/svc/", func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
		n := strings.TrimPrefix(r.URL.Path, "/svc/")
		var body []byte
		var err error
		if spawn {
			done := make(chan struct{})
			go func() {
				body, err = call("/down/" + n)
				close(done)
			}()
			<-done
			go func() {
				time.Sleep(150 * time.Millisecond)
				call("/late/" + n)
			}()
		} else {
			body, err = call("/down/" + n)
		}
		if err != nil {
			http.Error(w, err.Error(), 502)
			return
		}
		w.Write(body)
	})
	if err := http.ListenAndServe("127.0.0.1:"+os.Args[1], nil); err != nil {
		panic(err)
	}
}
'''

NODE_SERVICE = r'''
const http = require('http');
const [port, backend] = process.argv.slice(2).map(Number);
http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const n = url.pathname.split('/').pop();
  setTimeout(() => {
    http.get({ host: '127.0.0.1', port: backend, path: `/down/${n}` }, (down) => {
      const chunks = [];
      down.on('data', (c) => chunks.push(c));
      down.on('end', () => res.end(Buffer.concat(chunks)));
    }).on('error', (e) => { res.statusCode = 502; res.end(String(e)); });
  }, Number(url.searchParams.get('ms') || 0));
}).listen(port, '127.0.0.1');
'''

# Raw HTTP/1.1 over asyncio streams: the standard library has no asyncio HTTP server or client.
ASYNCIO_SERVICE = r'''
import asyncio, sys
from urllib.parse import urlsplit, parse_qs

PORT, BACKEND = int(sys.argv[1]), int(sys.argv[2])

async def call_backend(n):
    reader, writer = await asyncio.open_connection("127.0.0.1", BACKEND)
    writer.write(f"GET /down/{n} HTTP/1.1\r\nHost: 127.0.0.1:{BACKEND}\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    data = await reader.read()
    writer.close()
    return data.split(b"\r\n\r\n", 1)[1]

async def serve(reader, writer):
    while True:
        head = await reader.readuntil(b"\r\n\r\n")
        target = head.split(b" ")[1].decode()
        url = urlsplit(target)
        await asyncio.sleep(int(parse_qs(url.query).get("ms", ["0"])[0]) / 1000)
        body = await call_backend(url.path.rsplit("/", 1)[-1])
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()

async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", PORT)
    async with server:
        await server.serve_forever()

asyncio.run(main())
'''


def go_binary(workdir: str) -> str:
    """Builds the Go service."""
    return build_go(workdir, GO_SERVICE, "go-service")


class RuntimeCase(IntegrationTest):
    def run_service(self, name: str, argv_for_port, agent_args: tuple = (), agent_first: bool = False,
                    warm_up: bool = False) -> int:
        self.start_receiver()
        backend = self.start_backend()
        port = free_port()
        if agent_first:
            agent = self.start_agent(*agent_args)
        service = Process(name, argv_for_port(port, backend.port), self.workdir)
        self.addCleanup(service.kill_group)
        wait_listening(port, timeout=20.0, alive=service.alive)
        self.ports.add(port)

        if not agent_first:
            agent = self.start_agent(*agent_args)
        if warm_up:  # one round first, not counted (/svc/warm-N)
            curl(*(f"http://127.0.0.1:{port}/svc/warm-{i}" for i in range(IN_FLIGHT)),
                 extra=["--parallel", "--parallel-immediate", "--parallel-max", str(IN_FLIGHT)])
            time.sleep(0.5)
        # Six at once, the earlier ones waiting longer, so that they are all in flight together.
        for r in range(ROUNDS):
            urls = [f"http://127.0.0.1:{port}/svc/{r * IN_FLIGHT + i}?ms={50 + 40 * (IN_FLIGHT - 1 - i)}"
                    for i in range(IN_FLIGHT)]
            curl(*urls, extra=["--parallel", "--parallel-immediate", "--parallel-max", str(IN_FLIGHT)])
        total = ROUNDS * IN_FLIGHT
        self.wait_received(lambda s: attr(s, "url.path", "").startswith("/down/") and s["kind"] == "CLIENT",
                           total, "the service's calls to the backend", timeout=20.0)
        self.settle(1.5)  # every span out of assembly's hold
        self.stop_agent(agent)

        spans = self.receiver.spans()
        linked = wrong = 0
        for n in range(total):
            servers = select(spans, kind="SERVER", server_port=port, path=f"/svc/{n}")
            calls = select(spans, kind="CLIENT", server_port=backend.port, path=f"/down/{n}")
            self.assertEqual(len(servers), 1, f"/svc/{n}\n{summary(spans)}")
            self.assertEqual(len(calls), 1, f"/down/{n}\n{summary(spans)}")
            parent = calls[0]["parent_span_id"]
            if parent == servers[0]["span_id"]:
                linked += 1
            elif parent:
                wrong += 1
        report(f"{name}: {linked} of {total} calls under the request that made them, {wrong} under "
               f"another one ({IN_FLIGHT} requests in flight at a time)")
        self.assertEqual(wrong, 0, f"{name}: calls under a request that did not make them\n{summary(spans)}")
        # No call of a Go program was seen by thread only (they are followed by goroutine).
        self.assertIn("go_calls_unlinked=0", agent.process.stderr(), agent.diagnostics())
        self.spans = spans
        self.agent_log = agent.process.stderr()
        self.backend = backend
        return linked


class GoServiceTest(RuntimeCase):
    def test_go_calls_are_under_the_request_that_made_them(self):
        # Followed by goroutine (bpf/go_goroutines.bpf.h): the handler's goroutine read the
        # request, and the transport's writer sends the call on its behalf.
        binary = go_binary(self.workdir)
        linked = self.run_service("go", lambda port, backend: [binary, str(port), str(backend)])
        self.assertGreaterEqual(linked, 0.95 * ROUNDS * IN_FLIGHT)
        # Its handlers call directly: goroutine creation (two uprobe hits per goroutine) is not
        # followed in it.
        self.assertNotIn("following goroutine creation", self.agent_log)

    def test_go_calls_from_goroutines_a_handler_starts(self):
        # runtime.newproc1 probes, attached once the program first calls from a goroutine that
        # serves nothing (the warm-up round, not counted): the goroutine a handler starts makes
        # its call for that request; one that calls after the response was sent gets no parent.
        binary = go_binary(self.workdir)
        linked = self.run_service("go (calls from started goroutines)",
                                  lambda port, backend: [binary, str(port), str(backend), "spawn"], warm_up=True)
        self.assertGreaterEqual(linked, 0.95 * ROUNDS * IN_FLIGHT)
        self.assertIn("following goroutine creation", self.agent_log)
        late = [s for s in self.spans if s["kind"] == "CLIENT" and attr(s, "url.path", "").startswith("/late/")]
        self.assertEqual(len(late), (ROUNDS + 1) * IN_FLIGHT, summary(self.spans))
        server_ids = {s["span_id"] for s in self.spans if s["kind"] == "SERVER"}
        late_linked = [s for s in late if s["parent_span_id"] in server_ids]
        self.assertEqual(late_linked, [], "a call made after its request ended is under no request")
        report(f"go: {len(late)} calls from goroutines that outlived their request, none under a request")

    def test_a_go_program_started_after_the_agent(self):
        # Found when it first connects; the requests before its uprobes are in place get no
        # in-process parent (never a wrong one).
        binary = go_binary(self.workdir)
        linked = self.run_service("go started after the agent",
                                  lambda port, backend: [binary, str(port), str(backend)], agent_first=True)
        self.assertGreaterEqual(linked, (ROUNDS - 1) * IN_FLIGHT)

    def test_go_calls_carry_their_request_on_the_wire_with_propagation(self):
        # The kernel chooses the ids it writes into a call's traceparent by the request the
        # call's goroutine serves (not the thread's, which says nothing in Go).
        binary = go_binary(self.workdir)
        linked = self.run_service("go --propagate=headers",
                                  lambda port, backend: [binary, str(port), str(backend)],
                                  agent_args=("--propagate=headers",))
        self.assertGreaterEqual(linked, 0.95 * ROUNDS * IN_FLIGHT)
        self.assert_backend_saw_the_calls_ids()

    def test_started_goroutines_carry_their_request_on_the_wire_with_propagation(self):
        binary = go_binary(self.workdir)
        linked = self.run_service("go --propagate=headers (calls from started goroutines)",
                                  lambda port, backend: [binary, str(port), str(backend), "spawn"],
                                  agent_args=("--propagate=headers",), warm_up=True)
        self.assertGreaterEqual(linked, 0.95 * ROUNDS * IN_FLIGHT)
        self.assert_backend_saw_the_calls_ids()

    def assert_backend_saw_the_calls_ids(self):
        """The traceparent each counted call carried on the wire (logged by the backend) names
        the call's own CLIENT span, in the trace of the request that made it."""
        received = self.backend.received_traceparents()
        for n in range(ROUNDS * IN_FLIGHT):
            call = select(self.spans, kind="CLIENT", path=f"/down/{n}")[0]
            self.assertEqual(received.get(f"/down/{n}"), f"00-{call['trace_id']}-{call['span_id']}-01",
                             f"/down/{n}")


class NodeServiceTest(RuntimeCase):
    def test_node_calls_are_never_put_under_another_request(self):
        script = os.path.join(self.workdir, "service.js")
        with open(script, "w") as f:
            f.write(NODE_SERVICE)
        self.run_service("node", lambda port, backend: [config.tool("node"), script, str(port), str(backend)])


class AsyncioServiceTest(RuntimeCase):
    def test_asyncio_calls_are_never_put_under_another_request(self):
        script = os.path.join(self.workdir, "service.py")
        with open(script, "w") as f:
            f.write(ASYNCIO_SERVICE)
        self.run_service("asyncio", lambda port, backend: [sys.executable, "-u", script, str(port), str(backend)])
