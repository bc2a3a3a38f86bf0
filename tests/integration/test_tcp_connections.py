"""TCP connection telemetry from sock:inet_sock_set_state, over OTLP metrics decoded by the
independent receiver: connections opened (client and server side), active, their duration,
bytes each way and RTT, and connect() failures by cause: refused (nothing listens) and timed
out (an nftables rule drops the SYNs, TCP_SYNCNT=1 makes the kernel give up in ~3 s).

Points are matched by the resource's process.pid: the test starts every peer itself."""

import json
import os
import subprocess
import sys
import time
import unittest

from otelbpf_it import config
from otelbpf_it.case import IntegrationTest
from otelbpf_it.ports import free_port
from otelbpf_it.procs import Process
from otelbpf_it.spans import res

REQUEST_BYTES = 1000
RESPONSE_BYTES = 5000
CONNECTIONS = 3
WAIT = 20.0
TABLE = "otelbpf_it_syn_drop"
PEER_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tcp_peer.py")


def nft(*args: str) -> None:
    subprocess.run([config.tool("nft"), *args], check=True, capture_output=True, text=True)


class TcpConnectionMetricsTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.start_receiver()
        self.agent = self.start_agent("--prometheus=false", extra_env={"OTEL_METRIC_EXPORT_INTERVAL": "500"})

    def start_server(self) -> tuple:
        server = Process("tcp-server", [sys.executable, "-u", PEER_SCRIPT, "server", str(REQUEST_BYTES),
                                        str(RESPONSE_BYTES)], self.workdir)
        self.addCleanup(server.kill_group)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "\n" not in server.stdout():
            time.sleep(0.05)
        port = json.loads(server.stdout().split("\n")[0])["port"]
        self.ports.add(port)
        return server, port

    def peer(self, *args) -> subprocess.CompletedProcess:
        """Runs tcp_peer.py ARGS to completion; returns it with its pid in .pid."""
        p = subprocess.Popen([sys.executable, PEER_SCRIPT, *map(str, args)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 0, f"tcp_peer.py {args}: {err}")
        result = subprocess.CompletedProcess(p.args, p.returncode, out, err)
        result.pid = p.pid
        return result

    def latest(self, pid: int, name: str, **attributes) -> list:
        """The latest point of each series of metric `name` of process `pid` whose attributes
        include `attributes` (cumulative: the latest holds everything)."""
        series = {}
        for p in self.receiver.metrics():
            if p["name"] != name or res(p, "process.pid") != pid:
                continue
            if any(p["attributes"].get(k) != v for k, v in attributes.items()):
                continue
            key = json.dumps(p["attributes"], sort_keys=True)
            if key not in series or p["time_unix_nano"] > series[key]["time_unix_nano"]:
                series[key] = p
        return list(series.values())

    def wait_value(self, pid: int, name: str, field: str, expected, **attributes) -> dict:
        deadline = time.monotonic() + WAIT
        points = []
        while time.monotonic() < deadline:
            points = self.latest(pid, name, **attributes)
            if len(points) == 1 and points[0][field] == expected:
                return points[0]
            time.sleep(0.25)
        self.fail(f"{name}{attributes} of pid {pid}: expected one series with {field}={expected}, got "
                  f"{[(p['attributes'], p.get(field)) for p in points]}\n{self.diagnostics()}")

    def test_connections_are_counted_with_duration_bytes_and_rtt(self):
        server, port = self.start_server()
        client = self.peer("client", port, REQUEST_BYTES, RESPONSE_BYTES, CONNECTIONS)

        client_side = {"otelbpf.tcp.role": "client", "server.port": port, "network.peer.address": "127.0.0.1",
                       "network.type": "ipv4"}
        server_side = {**client_side, "otelbpf.tcp.role": "server"}
        self.wait_value(client.pid, "tcp.connections.opened", "value", CONNECTIONS, **client_side)
        self.wait_value(server.pid, "tcp.connections.opened", "value", CONNECTIONS, **server_side)
        # Every connection closed again; the server's last close may trail the client's exit.
        self.wait_value(server.pid, "tcp.connections.active", "value", 0, **server_side)
        self.wait_value(server.pid, "tcp.connection.duration", "count", CONNECTIONS, **server_side)

        # Bytes each way, exactly: what the peers wrote, as the other side acknowledged it.
        for pid, side, sent, received in ((client.pid, client_side, REQUEST_BYTES, RESPONSE_BYTES),
                                          (server.pid, server_side, RESPONSE_BYTES, REQUEST_BYTES)):
            self.wait_value(pid, "tcp.connection.io", "value", CONNECTIONS * sent,
                            **side, **{"network.io.direction": "transmit"})
            self.wait_value(pid, "tcp.connection.io", "value", CONNECTIONS * received,
                            **side, **{"network.io.direction": "receive"})
            rtt = self.wait_value(pid, "tcp.connection.rtt", "count", CONNECTIONS, **side)
            self.assertGreater(rtt["sum"], 0, "loopback RTTs are small, not zero")
            self.assertLess(rtt["sum"] / CONNECTIONS, 0.1, "loopback RTT under 100 ms")
            duration = self.wait_value(pid, "tcp.connection.duration", "count", CONNECTIONS, **side)
            self.assertGreater(duration["sum"], 0)
            self.assertLess(duration["sum"], 30)
        self.wait_value(client.pid, "tcp.connections.active", "value", 0, **client_side)
        self.assertEqual(self.latest(client.pid, "tcp.connections.failed"), [], "nothing failed")

    def test_refused_connections_are_failures(self):
        port = free_port()  # nothing listens there
        self.ports.add(port)
        refused = self.peer("connect", port)
        self.assertEqual(refused.stdout.strip(), "ECONNREFUSED")
        self.wait_value(refused.pid, "tcp.connections.failed", "value", 1, **{
            "error.type": "connection_refused", "server.port": port, "otelbpf.tcp.role": "client"})
        self.assertEqual(self.latest(refused.pid, "tcp.connections.opened"), [], "never opened")

    def test_timed_out_connections_are_failures(self):
        port = free_port()
        self.ports.add(port)
        # Drop SYNs to the port: the kernel retransmits once (TCP_SYNCNT=1), then gives up.
        nft("add", "table", "inet", TABLE)
        self.addCleanup(lambda: subprocess.run([config.tool("nft"), "delete", "table", "inet", TABLE],
                                               capture_output=True))
        nft("add", "chain", "inet", TABLE, "in", "{ type filter hook input priority 0; }")
        nft("add", "rule", "inet", TABLE, "in", "tcp", "dport", str(port), "drop")
        timed_out = self.peer("connect", port, 1)
        self.assertEqual(timed_out.stdout.strip(), "ETIMEDOUT")
        self.wait_value(timed_out.pid, "tcp.connections.failed", "value", 1, **{
            "error.type": "timed_out", "server.port": port})


if __name__ == "__main__":
    unittest.main()
