"""Several exchanges on one connection: keep-alive, pipelining, and a connection that was
open before the agent started."""

import os
import unittest

from otelbpf_it import expect
from otelbpf_it.case import IntegrationTest
from otelbpf_it.clients import RawConnection, curl, get_request
from otelbpf_it.spans import attr, res, select


def runner_service_name() -> str:
    """The test runner's own service name as the agent must see it: its executable's name."""
    return expect.exe_name_of_pid(os.getpid())


def in_request_order(spans: list) -> list:
    """Start-time order; pipelined requests may share a start time, so end time breaks ties."""
    return sorted(spans, key=lambda s: (s["start_time_unix_nano"], s["end_time_unix_nano"]))


class KeepAliveTest(IntegrationTest):
    def test_three_requests_on_one_curl_connection(self):
        self.start_receiver()
        nginx = self.start_nginx()
        agent = self.start_agent()

        paths = ["/hello/1", "/hello/2", "/hello/3"]
        run = curl(*[nginx.url(p) for p in paths])
        # Precondition on the test itself: curl really reused one connection.
        self.assertEqual([t.num_connects for t in run.transfers], [1, 0, 0])
        self.assertEqual(len({t.local_port for t in run.transfers}), 1)
        client_port = run.transfers[0].local_port

        self.wait_received(lambda s: attr(s, "server.port") == nginx.port, 6, "3 SERVER + 3 CLIENT spans")
        self.stop_agent(agent)
        spans = self.receiver.spans()

        servers = in_request_order(select(spans, kind="SERVER", server_port=nginx.port))
        self.assertEqual([attr(s, "url.path") for s in servers], paths)
        self.assertEqual([attr(s, "network.peer.port") for s in servers], [client_port] * 3)
        self.assertEqual([attr(s, "http.response.status_code") for s in servers], [200] * 3)
        self.assertEqual(len({s["span_id"] for s in servers}), 3, "each exchange has its own span")

        clients = in_request_order(select(spans, kind="CLIENT", server_port=nginx.port))
        self.assertEqual([attr(s, "url.path") for s in clients], paths)
        self.assertEqual([res(s, "process.pid") for s in clients], [run.pid] * 3)
        for client, server in zip(clients, servers):
            expect.assert_encloses(self, client, server)


class PipeliningTest(IntegrationTest):
    def test_three_requests_in_one_write(self):
        self.start_receiver()
        nginx = self.start_nginx()
        agent = self.start_agent()

        paths = ["/hello/p1", "/missing/p2", "/hello/p3"]
        conn = RawConnection(nginx.port)
        self.addCleanup(conn.close)
        conn.send(b"".join(get_request(nginx.port, p, close=(i == len(paths) - 1)) for i, p in enumerate(paths)))
        statuses = [conn.read_response()[0] for _ in paths]
        self.assertEqual(statuses, [200, 404, 200], "nginx answers pipelined requests in order")

        self.wait_received(lambda s: attr(s, "server.port") == nginx.port, 6, "3 SERVER + 3 CLIENT spans")
        self.stop_agent(agent)
        spans = self.receiver.spans()

        servers = in_request_order(select(spans, kind="SERVER", server_port=nginx.port))
        self.assertEqual([attr(s, "url.path") for s in servers], paths)
        self.assertEqual([attr(s, "http.response.status_code") for s in servers], statuses)
        self.assertEqual([attr(s, "network.peer.port") for s in servers], [conn.local_port] * 3)

        clients = in_request_order(select(spans, kind="CLIENT", server_port=nginx.port))
        self.assertEqual([attr(s, "url.path") for s in clients], paths)
        self.assertEqual([attr(s, "http.response.status_code") for s in clients], statuses)
        self.assertEqual([res(s, "process.pid") for s in clients], [os.getpid()] * 3)
        self.assertEqual([res(s, "service.name") for s in clients], [runner_service_name()] * 3)
        self.assertEqual([attr(s, "user_agent.original") for s in clients], ["otelbpf-it"] * 3)


class PreexistingConnectionTest(IntegrationTest):
    def test_connection_opened_before_the_agent(self):
        self.start_receiver()
        backend = self.start_backend()
        conn = RawConnection(backend.port)
        self.addCleanup(conn.close)
        self.assertEqual(conn.get("/status/200?n=1")[0], 200)  # before the agent: no span

        agent = self.start_agent()
        self.assertEqual(conn.get("/status/201?n=2")[0], 201)
        self.assertEqual(conn.get("/status/202?n=3")[0], 202)

        with self.subTest("SERVER spans from the backend"):
            self.wait_received(
                lambda s: s["kind"] == "SERVER" and attr(s, "server.port") == backend.port, 2,
                "SERVER spans for the 2 requests sent after the agent started")
        with self.subTest("CLIENT spans from the test runner"):
            self.wait_received(
                lambda s: s["kind"] == "CLIENT" and res(s, "process.pid") == os.getpid()
                and attr(s, "server.port") == backend.port, 2,
                "CLIENT spans for the 2 requests sent after the agent started")
        self.stop_agent(agent)
        spans = select(self.receiver.spans(), server_port=backend.port)

        servers = in_request_order(select(spans, kind="SERVER"))
        self.assertEqual([(attr(s, "url.query"), attr(s, "http.response.status_code")) for s in servers],
                         [("n=2", 201), ("n=3", 202)])
        self.assertEqual([attr(s, "network.peer.port") for s in servers], [conn.local_port] * 2)
        self.assertEqual([res(s, "process.pid") for s in servers], [backend.pid] * 2)

        clients = in_request_order(select(spans, kind="CLIENT"))
        self.assertEqual([(attr(s, "url.query"), attr(s, "http.response.status_code")) for s in clients],
                         [("n=2", 201), ("n=3", 202)])
        self.assertEqual([res(s, "process.pid") for s in clients], [os.getpid()] * 2)
        # 2xx statuses other than 200 are no errors on either side.
        self.assertEqual({s["status"] for s in spans}, {"UNSET"})


if __name__ == "__main__":
    unittest.main()
