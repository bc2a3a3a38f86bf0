"""DNS, both ways otelbpf sees it, against a real dnsmasq on 127.0.0.1:53:

- getaddrinfo() through uprobes on libc: `getent ahosts` makes dns.lookup.duration points with
  dns.question.name and, for a name that does not exist, error.type=EAI_NONAME;
- the wire: the queries glibc's resolver sends over UDP (connected socket, sendmmsg), a query
  over an unconnected UDP socket (sendto/recvfrom) and one over TCP (length-prefixed) become
  CLIENT spans with the question, its type, the response code and the answer count.

Everything is matched by the pid of the process the test started."""

import os
import socket
import struct
import subprocess
import sys
import time
import unittest

from otelbpf_it.case import IntegrationTest
from otelbpf_it.dns_server import KNOWN_ADDRESS, KNOWN_NAME, MISSING_NAME, DnsServer
from otelbpf_it.spans import attr, res, select, summary

WAIT = 15.0


def query_packet(name: str, qtype: int, query_id: int) -> bytes:
    """A standard recursive query (RFC 1035 section 4.1) for `name`."""
    header = struct.pack("!HHHHHH", query_id, 0x0100, 1, 0, 0, 0)
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split("."))
    return header + labels + b"\x00" + struct.pack("!HH", qtype, 1)


# Run as `python3 test_dns.py client udp|tcp NAME`: one A query to 127.0.0.1:53, unconnected
# UDP (sendto/recvfrom) or TCP, printing the response code.
def _client(transport: str, name: str) -> None:
    q = query_packet(name, 1, 0x4242)
    if transport == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(5)
        s.sendto(q, ("127.0.0.1", 53))
        response, _ = s.recvfrom(4096)
    else:
        s = socket.create_connection(("127.0.0.1", 53), timeout=5)
        s.sendall(struct.pack("!H", len(q)) + q)
        length = struct.unpack("!H", s.recv(2, socket.MSG_WAITALL))[0]
        response = s.recv(length, socket.MSG_WAITALL)
    s.close()
    print(response[3] & 0x0F)


class DnsTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.dns = DnsServer(self.workdir)
        self.addCleanup(self.dns.stop)
        self.start_receiver()
        self.agent = self.start_agent("--prometheus=false", extra_env={"OTEL_METRIC_EXPORT_INTERVAL": "500"})

    def run_pid(self, argv: list) -> tuple:
        """Runs argv to completion; returns (pid, stdout)."""
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = p.communicate(timeout=30)
        return p.pid, out, err, p.returncode

    def getent(self, name: str) -> int:
        pid, out, err, code = self.run_pid(self.dns.resolving_with_it(["getent", "ahosts", name]))
        if name == KNOWN_NAME:
            self.assertEqual(code, 0, f"getent ahosts {name}: {err}\ndnsmasq saw:\n{self.dns.queries()}")
            self.assertIn(KNOWN_ADDRESS, out)
        else:
            self.assertEqual(code, 2, f"getent ahosts {name} must find nothing: {out}{err}")
        return pid

    def lookup_points(self, pid: int) -> list:
        return [p for p in self.receiver.metrics()
                if p["name"] == "dns.lookup.duration" and res(p, "process.pid") == pid]

    def wait_lookup(self, pid: int, name: str, error_type) -> dict:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            points = [p for p in self.lookup_points(pid) if p["attributes"].get("dns.question.name") == name]
            if points:
                latest = max(points, key=lambda p: p["time_unix_nano"])
                self.assertEqual(latest["attributes"].get("error.type"), error_type, latest)
                self.assertEqual(latest["count"], 1)
                return latest
            time.sleep(0.25)
        self.fail(f"no dns.lookup.duration point for {name} of pid {pid}; points of that pid: "
                  f"{self.lookup_points(pid)}\n{self.diagnostics()}")

    def dns_spans(self, pid: int, count: int) -> list:
        deadline = time.monotonic() + WAIT
        spans = []
        while time.monotonic() < deadline:
            spans = [s for s in select(self.receiver.spans(), kind="CLIENT", pid=pid)
                     if attr(s, "network.protocol.name") == "dns"]
            if len(spans) >= count:
                return spans
            time.sleep(0.25)
        self.fail(f"expected {count} DNS span(s) of pid {pid}, got:\n{summary(spans)}\n{self.diagnostics()}")

    def test_getaddrinfo_lookups_are_timed_by_name_and_error(self):
        found = self.getent(KNOWN_NAME)
        missing = self.getent(MISSING_NAME)
        point = self.wait_lookup(found, KNOWN_NAME, None)
        self.assertEqual(point["unit"], "s")
        self.assertGreater(point["sum"], 0)
        self.assertLess(point["sum"], 5)
        self.wait_lookup(missing, MISSING_NAME, "EAI_NONAME")

    def test_resolver_queries_over_udp_become_client_spans(self):
        pid = self.getent(KNOWN_NAME)
        spans = self.dns_spans(pid, 2)  # glibc asks for A and AAAA
        by_type = {attr(s, "dns.question.type"): s for s in spans}
        self.assertIn("A", by_type, summary(spans))
        a = by_type["A"]
        self.assertEqual(a["name"], "DNS A")
        self.assertEqual(attr(a, "dns.question.name"), KNOWN_NAME)
        self.assertEqual(attr(a, "dns.response_code"), "NOERROR")
        self.assertEqual(attr(a, "dns.answer.count"), 1)
        self.assertEqual(attr(a, "network.transport"), "udp")
        self.assertEqual(attr(a, "server.port"), 53)
        self.assertEqual(attr(a, "network.peer.address"), "127.0.0.1")
        self.assertEqual(a["status"], "UNSET")
        self.assertIn("AAAA", by_type, summary(spans))
        for s in spans:
            self.assertGreater(s["end_time_unix_nano"], s["start_time_unix_nano"])

    def test_nxdomain_is_an_error_span(self):
        pid = self.getent(MISSING_NAME)
        spans = self.dns_spans(pid, 1)
        for s in spans:
            self.assertEqual(attr(s, "dns.question.name"), MISSING_NAME)
            self.assertEqual(attr(s, "dns.response_code"), "NXDOMAIN")
            self.assertEqual(attr(s, "error.type"), "NXDOMAIN")
            self.assertEqual(s["status"], "ERROR")

    def test_unconnected_udp_and_tcp_queries_become_client_spans(self):
        for transport in ("udp", "tcp"):
            pid, out, err, code = self.run_pid([sys.executable, os.path.abspath(__file__), "client", transport,
                                                KNOWN_NAME])
            self.assertEqual((code, out.strip()), (0, "0"), f"{transport} query: {err}")
            span = self.dns_spans(pid, 1)[0]
            self.assertEqual(attr(span, "network.transport"), transport)
            self.assertEqual(attr(span, "dns.question.name"), KNOWN_NAME)
            self.assertEqual(attr(span, "dns.question.type"), "A")
            self.assertEqual(attr(span, "dns.answer.count"), 1)
            self.assertEqual(attr(span, "dns.response_code"), "NOERROR")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "client":
        _client(sys.argv[2], sys.argv[3])
    else:
        unittest.main()
