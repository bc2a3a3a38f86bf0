"""What only the kernel knows, on the span: packet loss induced with an nftables random-drop
rule on the backend's loopback port must show up as TCP retransmissions on the spans of the
requests it slowed (count attribute + one event each), and every span carries the RTT."""

import http.client
import os
import subprocess
import unittest

from otelbpf_it import config
from otelbpf_it.case import IntegrationTest
from otelbpf_it.spans import attr, res, select

TABLE = "otelbpf_it_loss"
BODY = b"x" * 32768  # several segments per request and per response: more chances to lose one


def nft(*args: str) -> None:
    subprocess.run([config.tool("nft"), *args], check=True, capture_output=True, text=True)


class PacketLossTest(IntegrationTest):
    def add_loss(self, port: int, percent: int) -> None:
        """Drops `percent`% of the TCP packets to and from `port` on this host (our kernel has
        no netem; nftables' numgen works). In the INPUT hook: a drop in OUTPUT fails the
        sender's own transmit, which TCP later redoes as a fresh send, not a retransmission,
        so tcp_retransmit_skb never fires and the 'loss' is invisible as such."""
        nft("add", "table", "inet", TABLE)
        self.addCleanup(lambda: subprocess.run([config.tool("nft"), "delete", "table", "inet", TABLE],
                                               capture_output=True))
        nft("add", "chain", "inet", TABLE, "in", "{ type filter hook input priority 0; }")
        for direction in ("dport", "sport"):
            nft("add", "rule", "inet", TABLE, "in", "tcp", direction, str(port),
                "numgen", "random", "mod", "100", "<", str(percent), "drop")

    def test_retransmissions_show_on_the_spans_they_slowed(self):
        self.start_receiver()
        backend = self.start_backend()
        agent = self.start_agent("--port", str(backend.port))
        self.add_loss(backend.port, 10)

        requests = 40
        conn = http.client.HTTPConnection("127.0.0.1", backend.port, timeout=30)
        for i in range(requests):
            conn.request("POST", f"/echo?i={i}", body=BODY, headers={"Content-Length": str(len(BODY))})
            response = conn.getresponse()
            self.assertEqual(len(response.read()), len(BODY))
        conn.close()

        mine = lambda s: s["kind"] == "CLIENT" and res(s, "process.pid") == os.getpid()
        self.wait_received(mine, requests, f"{requests} CLIENT spans", timeout=20)
        self.stop_agent(agent)
        spans = select(self.receiver.spans(), server_port=backend.port)
        clients = [s for s in spans if mine(s)]
        self.assertEqual(len(clients), requests)

        for s in spans:
            count = attr(s, "otelbpf.tcp.retransmits")
            self.assertIsInstance(count, int, f"every TCP span carries the count: {s}")
            events = [e for e in s.get("events", []) if e["name"] == "otelbpf.tcp.retransmit"]
            self.assertEqual(len(events), count, "one event per retransmission")
            for e in events:
                self.assertLessEqual(s["start_time_unix_nano"], e["time_unix_nano"])
                self.assertLessEqual(e["time_unix_nano"], s["end_time_unix_nano"])
                self.assertIn(e["attributes"].get("otelbpf.tcp.side"), ("local", "peer"))
                self.assertTrue(e["attributes"].get("otelbpf.tcp.state"))
            rtt = attr(s, "otelbpf.tcp.rtt")
            self.assertIsNotNone(rtt, f"RTT on every span: {s}")
            self.assertGreater(rtt, 0)

        slowed = [s for s in clients if attr(s, "otelbpf.tcp.retransmits") > 0]
        self.assertTrue(slowed, "10% loss over 40 requests of 32 KiB each way retransmitted nothing on any span")
        # A loopback echo that takes a second was slowed by loss: it must say so on its own span.
        for s in clients:
            if s["duration_ms"] >= 1000:
                self.assertGreater(attr(s, "otelbpf.tcp.retransmits"), 0, f"slow span without retransmissions: {s}")
        self.assertRegex(agent.process.stderr(), r"kernel:.* retransmits=[1-9]")


if __name__ == "__main__":
    unittest.main()
