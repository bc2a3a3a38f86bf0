"""Hostile and broken traffic while the agent watches: binary garbage, a 1 MiB header, a lying
Content-Length, half-sent requests, resets and a thousand concurrent connections. The agent
must survive with bounded memory, invent no spans, and still trace a normal request after."""

import random
import resource
import socket
import struct
import unittest

from otelbpf_it.case import IntegrationTest
from otelbpf_it.clients import RawConnection, curl, get_request
from otelbpf_it.spans import attr, select

# Paths a span on nginx's port may carry: the ones this test sent as real request lines.
SENT_PATHS = {"/hello", "/big", "/lie", "/reset", "/conc", "/hello/after"}
METHODS = {"GET", "POST"}


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


def send_and_close(port: int, data: bytes, reset: bool = False, read: bool = False) -> None:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(data)
        if read:
            try:
                s.recv(65536)
            except OSError:
                pass
        if reset:
            # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass  # the server may refuse or reset first: that is part of the abuse
    finally:
        s.close()


class BadInputTest(IntegrationTest):
    def test_agent_survives_abuse_and_still_traces(self):
        self.start_receiver()
        nginx = self.start_nginx()
        agent = self.start_agent()
        port = nginx.port
        rng = random.Random(20261122)

        # Binary garbage, some of it starting like HTTP.
        for i in range(50):
            junk = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 4096)))
            prefix = [b"", b"GET ", b"HTTP/1.1 200", b"POST /\x00\xff"][i % 4]
            send_and_close(port, prefix + junk, read=True)

        # A 1 MiB header (nginx answers 400/494 and closes).
        big = b"GET /big HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n"
        send_and_close(port, big, read=True)

        # A Content-Length far beyond the body, then close.
        send_and_close(port, b"POST /lie HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nshort")

        # Requests cut off mid-line and mid-headers.
        send_and_close(port, b"GET /hal")
        send_and_close(port, b"GET /half HTTP/1.1\r\nHo")

        # A complete request whose connection is reset.
        send_and_close(port, get_request(port, "/reset"), reset=True)

        # A thousand connections open at once, each with a request answered.
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
        conns = []
        try:
            for _ in range(1000):
                c = RawConnection(port)
                c.send(get_request(port, "/conc"))
                conns.append(c)
            for c in conns:
                c.read_response()
        finally:
            for c in conns:
                c.close()

        # Still alive, still tracing.
        self.assertTrue(agent.process.alive(), f"otelbpf died\n{agent.diagnostics()}")
        run = curl(nginx.url("/hello/after?ok=1"))
        self.wait_received(lambda s: s["kind"] == "SERVER" and attr(s, "url.path") == "/hello/after", 1,
                           "SERVER span of the normal request after the abuse")
        rss = rss_kib(agent.pid)
        self.stop_agent(agent)

        spans = select(self.receiver.spans(), server_port=port)
        invented = [s for s in spans if attr(s, "url.path") not in SENT_PATHS
                    or attr(s, "http.request.method") not in METHODS]
        self.assertEqual(invented, [], "spans for requests nobody sent")
        conc = [s for s in spans if s["kind"] == "SERVER" and attr(s, "url.path") == "/conc"]
        self.assertEqual(len(conc), 1000, "every concurrent request seen once by nginx's side")
        after = [s for s in spans if s["kind"] == "SERVER" and attr(s, "url.path") == "/hello/after"]
        self.assertEqual([attr(s, "http.response.status_code") for s in after], [200])
        self.assertEqual(run.returncode, 0)
        # Bounded memory: a 1 MiB header must not be buffered, a thousand connections are cheap.
        self.assertLess(rss, 100 * 1024, f"agent RSS {rss} KiB after the abuse")


if __name__ == "__main__":
    unittest.main()
