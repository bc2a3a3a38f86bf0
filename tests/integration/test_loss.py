"""Loss accounting: when the kernel-to-user ring buffer overflows, every lost event is counted,
the count is visible as the self-metric `otelbpf.capture.events.lost{reason="ringbuf_full"}`
(Prometheus and OTLP) and in the agent's log, and the agent keeps tracing afterwards.

How the overflow is made certain rather than hoped for: the agent runs with the smallest ring
buffer it accepts (1 MiB) and the largest capture (8192 bytes), and is stopped (SIGSTOP, a
consumer starved of CPU) while a burst of large requests and responses goes through one
keep-alive connection. The kernel side keeps capturing meanwhile. On this machine a burst of
similar traffic without the stall (4 clients, ~26k events/s, 200 MB/s copied) did not overflow the
ring: the consumer keeps up, so a test relying on speed alone would test nothing.

The traffic is built so that the number of events it causes is known exactly. Both ends live
in this test runner on blocking sockets: the client sends each request in one send() and
reads each response with one recv(MSG_WAITALL); the server does the same. Every request and
every response is larger than the capture limit. So each exchange is exactly 4 data syscalls on
a traced connection, each an event of one full-size record (header + 8192 bytes), and
a 1 MiB ring holds at most RING_CAPACITY of them. For a burst of BURST exchanges:
  - lost ≥ 4·BURST − RING_CAPACITY  (what cannot have fit was lost, and must be counted);
  - delivered + lost ≥ 4·BURST      (no event of ours escapes both counters).
Other processes on the machine add events (process exits) to both counters, never remove any,
so these bounds hold on a shared machine.
"""

import os
import re
import signal
import socket
import sys
import threading
import time
import unittest

from otelbpf_it.case import IntegrationTest
from otelbpf_it.ports import free_port
from otelbpf_it.prometheus_text import samples, scrape, value
from otelbpf_it.selfmetrics import require_counters
from otelbpf_it.spans import attr, res, select
from otelbpf_it.measured import report

RING_MB = 1  # the smallest --ring-buffer-mb
CAPTURE = 8192  # the largest --capture-bytes
# A data record: BPF ring-buffer record header (8 bytes) + otelbpf_event_header (56 bytes,
# bpf/include/http_capture.h) + the captured bytes, rounded up to 8.
RECORD_BYTES = 8 + 56 + CAPTURE
RING_CAPACITY = (RING_MB << 20) // RECORD_BYTES  # 127 full-size records at most
BURST = 200  # exchanges while the agent is stopped: 800 events, at least 673 lost
BODY = b"b" * (CAPTURE + 100)  # every request and response is longer than the capture
PATH_FORMAT = "/{}/{:06d}"  # "check" or "burst", and a number: every request has the same size
LOST = "otelbpf_capture_events_lost_total"
DELIVERED = "otelbpf_capture_events_total"


def request(port: int, path: str) -> bytes:
    """Same size for every path of PATH_FORMAT to one port."""
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {len(BODY)}\r\n\r\n"
    return head.encode() + BODY


RESPONSE = (f"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {len(BODY)}\r\n\r\n"
            .encode() + BODY)


class FixedSizeServer:
    """HTTP server on a thread of the test runner that reads each request with exactly one
    recv(MSG_WAITALL) and answers with exactly one send(): one syscall each way, so the test
    knows how many events every exchange causes."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.request_size = len(request(self.port, PATH_FORMAT.format("check", 0)))
        self.served = 0
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def _accept_loop(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(None)  # blocking: MSG_WAITALL then waits inside one recv()
            while True:
                data = conn.recv(self.request_size, socket.MSG_WAITALL)
                if len(data) < self.request_size:
                    return  # the client closed
                conn.sendall(RESPONSE)
                self.served += 1

    def stop(self) -> None:
        self.listener.close()


class FixedSizeClient:
    """One keep-alive connection; one send() per request, one recv(MSG_WAITALL) per response."""

    def __init__(self, port: int):
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.settimeout(None)

    def exchange(self, path: str) -> None:
        self.sock.sendall(request(self.port, path))
        data = self.sock.recv(len(RESPONSE), socket.MSG_WAITALL)
        if data != RESPONSE:
            raise AssertionError(f"short or wrong response to {path}: {len(data)} bytes")

    def close(self) -> None:
        self.sock.close()



class RingBufferOverflowTest(IntegrationTest):
    def scrape_counters(self, metrics_port: int) -> tuple:
        text = scrape(metrics_port)
        return value(text, DELIVERED), value(text, LOST, reason="ringbuf_full")

    def wait_counters_settled(self, metrics_port: int, timeout: float = 15.0) -> tuple:
        """(delivered, lost) once `lost` reads the same across a full housekeeping tick (the
        agent publishes its kernel counters once a second)."""
        deadline = time.monotonic() + timeout
        previous = self.scrape_counters(metrics_port)
        while time.monotonic() < deadline:
            time.sleep(1.2)
            current = self.scrape_counters(metrics_port)
            if current[1] == previous[1] and current[1] > 0:
                return current
            previous = current
        self.fail(f"otelbpf.capture.events.lost never settled above 0 within {timeout} s: last {previous}\n"
                  f"{self.diagnostics()}")

    def server_span(self, port: int, path: str, what: str) -> dict:
        return self.wait_received(lambda s: s["kind"] == "SERVER" and attr(s, "server.port") == port
                                  and attr(s, "url.path") == path, 1, what, timeout=15.0)[0]

    def test_overflow_is_counted_and_the_agent_recovers(self):
        self.start_receiver()
        server = FixedSizeServer()
        self.addCleanup(server.stop)
        self.ports.add(server.port)
        metrics_port = free_port()
        agent = self.start_agent("--ring-buffer-mb", str(RING_MB), "--capture-bytes", str(CAPTURE),
                                 "--port", str(server.port),
                                 extra_env={"OTEL_EXPORTER_PROMETHEUS_PORT": str(metrics_port),
                                            "OTEL_METRIC_EXPORT_INTERVAL": "1000"})
        self.addCleanup(lambda: os.kill(agent.pid, signal.SIGCONT) if agent.process.alive() else None)

        # 1. Traced, nothing lost yet: the warm-up exchange gives its span, and the counters
        #    (published once a second) read no loss.
        client = FixedSizeClient(server.port)
        self.addCleanup(client.close)
        client.exchange(PATH_FORMAT.format("check", 1))
        self.server_span(server.port, PATH_FORMAT.format("check", 1), "SERVER span of the warm-up")
        time.sleep(1.5)
        delivered_before, lost_before = self.scrape_counters(metrics_port)
        self.assertEqual(lost_before, 0, f"events lost before the burst\n{self.diagnostics()}")

        # 2. The burst, with the consumer stalled.
        os.kill(agent.pid, signal.SIGSTOP)
        started = time.monotonic()
        try:
            for i in range(BURST):
                client.exchange(PATH_FORMAT.format("burst", i))
        finally:
            burst_s = time.monotonic() - started
            os.kill(agent.pid, signal.SIGCONT)
        self.assertTrue(agent.process.alive(), f"otelbpf died during the burst\n{self.diagnostics()}")

        # 3. Every event of ours is delivered or counted as lost, and what cannot have fit is lost.
        delivered_after, lost_after = self.wait_counters_settled(metrics_port)
        lost, delivered = lost_after - lost_before, delivered_after - delivered_before
        ours = 4 * BURST
        report(f"burst of {BURST} exchanges ({ours} events of {RECORD_BYTES} B) in {burst_s * 1000:.0f} ms "
               f"with the agent stopped, ring {RING_MB} MiB (room for {RING_CAPACITY}): "
               f"lost {lost:.0f} (ringbuf_full), delivered {delivered:.0f} (incl. other processes' events)")
        self.assertGreaterEqual(lost, ours - RING_CAPACITY,
                                f"{ours} events of {RECORD_BYTES} B cannot fit a {RING_MB} MiB ring buffer: at least "
                                f"{ours - RING_CAPACITY} must be counted lost, {lost:.0f} were\n{self.diagnostics()}")
        self.assertGreaterEqual(delivered + lost, ours,
                                f"of {ours} events, {delivered:.0f} delivered + {lost:.0f} lost: some were not "
                                f"counted at all\n{self.diagnostics()}")

        # The per-probe view agrees: the lost data events are the syscall probe's, and the losses
        # of all probes add up to the ring-buffer total.
        text = scrape(metrics_port)
        probe_lost = {ls["probe"]: v for n, ls, v in samples(text)
                      if n == "otelbpf_capture_probe_events_total" and ls.get("outcome") == "lost"}
        self.assertEqual(sum(probe_lost.values()), value(text, LOST, reason="ringbuf_full"), probe_lost)
        self.assertGreaterEqual(probe_lost.get("syscall_data", 0), ours - RING_CAPACITY, probe_lost)

        # 4. The agent said so in its log (warned while running, with the running total).
        warned = [int(n) for n in re.findall(r"lost (\d+) capture events so far", agent.process.stderr())]
        self.assertTrue(warned, f"no 'lost N capture events so far' warning\n{self.diagnostics()}")
        self.assertGreaterEqual(max(warned), ours - RING_CAPACITY, f"warnings: {warned}")

        # 5. It keeps working: a new connection after the burst is traced.
        after = FixedSizeClient(server.port)
        after.exchange(PATH_FORMAT.format("check", 2))
        after.close()
        self.server_span(server.port, PATH_FORMAT.format("check", 2), "SERVER span of a request after the burst")
        self.wait_received(lambda s: s["kind"] == "CLIENT" and attr(s, "server.port") == server.port
                           and attr(s, "url.path") == PATH_FORMAT.format("check", 2), 1,
                           "CLIENT span of a request after the burst", timeout=15.0)

        client.close()
        self.stop_agent(agent)

        # 6. The three views agree: exit counters, the Prometheus endpoint, the final OTLP export.
        counters = require_counters(self, agent, "kernel", "user space")
        at_exit = counters["kernel"]["ringbuf_full"]
        self.assertEqual(at_exit, lost_after,
                         f"ringbuf_full at exit vs on Prometheus after the burst (nothing is lost after it)\n"
                         f"{self.diagnostics()}")
        self.assertLessEqual(max(warned), at_exit + counters["kernel"]["args_map_full"])
        points = sorted((p for p in self.receiver.metrics()
                         if p["name"] == "otelbpf.capture.events.lost" and res(p, "process.pid") == agent.pid
                         and p["attributes"].get("reason") == "ringbuf_full"),
                        key=lambda p: p["time_unix_nano"])
        self.assertTrue(points, f"no otelbpf.capture.events.lost{{reason=ringbuf_full}} over OTLP\n{self.diagnostics()}")
        self.assertEqual(points[-1]["value"], at_exit, "the final OTLP export reports the final count")

        # 7. Nothing invented: whatever the gaps did to the stitcher, every span on this port
        #    names a request that was really sent.
        sent = {PATH_FORMAT.format("check", 1), PATH_FORMAT.format("check", 2)}
        sent |= {PATH_FORMAT.format("burst", i) for i in range(BURST)}
        spans = select(self.receiver.spans(), server_port=server.port)
        invented = [s for s in spans if attr(s, "url.path") not in sent]
        self.assertEqual(invented, [], "spans for requests never sent")
        report(f"spans after the overflow: {len(spans)} on the test port for {BURST + 2} exchanges "
               f"(both ends traced); exit counters {counters['kernel']}")


if __name__ == "__main__":
    unittest.main()
