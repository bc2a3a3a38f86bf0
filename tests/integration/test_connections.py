"""Several exchanges on one connection: keep-alive, pipelining, and a connection that was
open before the agent started."""

import os
import unittest

from otelbpf_it import expect
from otelbpf_it.case import IntegrationTest
from otelbpf_it.clients import RawConnection, curl, get_request
from otelbpf_it.spans import attr, res, select


def runner_service_name() -> str:
    """The test runner's own service name as the agent must see it: the module python runs."""
    return expect.runner_service_name()


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
    """A keep-alive connection opened, and used once, before the agent started; the next two
    requests on it must give spans at both ends."""

    def test_to_python_backend_blocked_in_recv(self):
        # A thread of the backend sits in recv() on the connection when the agent attaches:
        # the syscall that returns the next request began before any hook existed. Its exit
        # still finds its arguments in the registers the syscall saved (docs/design.md,
        # "Receives blocked at attach"), so that request is seen too, and counted.
        backend = self.start_backend()
        agent_log = self.check(backend.port, backend.pid, "/status/200?n=1", [("/status/203", "n=2", 203),
                                                                               ("/status/201", "n=3", 201),
                                                                               ("/status/202", "n=4", 202)])
        self.assertRegex(agent_log, r"calls_before_attach=[1-9]")

    def test_to_nginx_waiting_in_epoll(self):
        # nginx waits in epoll and reads only once data is there, after the agent attached.
        nginx = self.start_nginx()
        self.check(nginx.port, nginx.worker_pids()[0], "/hello/1?n=1", [("/hello/2", "n=2", 200),
                                                                        ("/missing/3", "n=3", 404)])

    def check(self, port: int, server_pid: int, first: str, after: list) -> str:
        """The first request before the agent, then `after`: spans at both ends for each of
        those. Returns the agent's log."""
        self.start_receiver()
        conn = RawConnection(port)
        self.addCleanup(conn.close)
        self.assertEqual(conn.get(first)[0], 200)  # before the agent: no span
        agent = self.start_agent()
        for path, query, status in after:
            self.assertEqual(conn.get(f"{path}?{query}")[0], status)

        expected_clients = list(after)
        expected_servers = list(after)
        with self.subTest("SERVER spans"):
            self.wait_received(lambda s: s["kind"] == "SERVER" and attr(s, "server.port") == port,
                               len(expected_servers), "SERVER spans for the requests sent after the agent started")
        with self.subTest("CLIENT spans from the test runner"):
            self.wait_received(lambda s: s["kind"] == "CLIENT" and res(s, "process.pid") == os.getpid()
                               and attr(s, "server.port") == port, len(expected_clients),
                               "CLIENT spans for the requests sent after the agent started")
        self.stop_agent(agent)
        spans = select(self.receiver.spans(), server_port=port)

        servers = in_request_order(select(spans, kind="SERVER"))
        self.assertEqual([(attr(s, "url.path"), attr(s, "url.query"), attr(s, "http.response.status_code"))
                          for s in servers], expected_servers, "SERVER spans")
        self.assertEqual([attr(s, "network.peer.port") for s in servers], [conn.local_port] * len(expected_servers))
        self.assertEqual([res(s, "process.pid") for s in servers], [server_pid] * len(expected_servers))

        clients = in_request_order(select(spans, kind="CLIENT"))
        self.assertEqual([(attr(s, "url.path"), attr(s, "url.query"), attr(s, "http.response.status_code"))
                          for s in clients], expected_clients, "CLIENT spans")
        self.assertEqual([res(s, "process.pid") for s in clients], [os.getpid()] * len(expected_clients))
        return agent.process.stderr()


if __name__ == "__main__":
    unittest.main()
