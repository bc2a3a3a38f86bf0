"""Process and connection selection: --port, --pid and --exe keep exactly what they name."""

import unittest

from otelbpf_it.case import IntegrationTest
from otelbpf_it.clients import curl
from otelbpf_it.spans import attr, res, select, summary


class SelectionTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.start_receiver()
        self.nginx = self.start_nginx()
        self.backend = self.start_backend()

    def traffic(self):
        """Requests to both servers; the backend's come first and last, so any of its spans
        would be exported no later than the nginx spans the tests wait for."""
        runs = [curl(self.backend.url("/status/200?sel=1"))]
        runs.append(curl(self.nginx.url("/hello?sel=2")))
        runs.append(curl(self.backend.url("/status/200?sel=3")))
        return runs

    def spans_for(self, port):
        return select(self.receiver.spans(), server_port=port)

    def test_port_selects_only_connections_on_that_port(self):
        agent = self.start_agent("--port", str(self.nginx.port))
        runs = self.traffic()
        self.wait_received(lambda s: attr(s, "server.port") == self.nginx.port, 2, "nginx SERVER+CLIENT spans")
        self.settle()
        self.stop_agent(agent)

        nginx_spans = self.spans_for(self.nginx.port)
        self.assertEqual(sorted(s["kind"] for s in nginx_spans), ["CLIENT", "SERVER"])
        self.assertEqual(select(nginx_spans, kind="CLIENT")[0]["resource"]["process.pid"], runs[1].pid)
        backend_spans = self.spans_for(self.backend.port) + select(self.receiver.spans(), pid=self.backend.pid)
        self.assertEqual(backend_spans, [], f"--port {self.nginx.port} must drop the backend's traffic\n"
                                            f"{summary(backend_spans)}")

    def test_pid_selects_only_that_process(self):
        agent = self.start_agent("--pid", str(self.backend.pid))
        runs = self.traffic()
        self.wait_received(lambda s: attr(s, "server.port") == self.backend.port, 2, "backend SERVER spans")
        self.settle()
        self.stop_agent(agent)

        spans = self.receiver.spans()
        backend = self.spans_for(self.backend.port)
        self.assertEqual([(s["kind"], res(s, "process.pid"), attr(s, "url.query")) for s in backend],
                         [("SERVER", self.backend.pid, "sel=1"), ("SERVER", self.backend.pid, "sel=3")],
                         "only the backend's SERVER spans: curl is not selected")
        curl_pids = {run.pid for run in runs}
        others = [s for s in spans if res(s, "process.pid") in curl_pids or attr(s, "server.port") == self.nginx.port]
        self.assertEqual(others, [], f"--pid {self.backend.pid} must drop nginx and curl\n{summary(others)}")

    def test_exe_selects_only_matching_executables(self):
        agent = self.start_agent("--exe", "*nginx")
        runs = self.traffic()
        self.wait_received(lambda s: attr(s, "server.port") == self.nginx.port, 1, "nginx SERVER span")
        self.settle()
        self.stop_agent(agent)

        spans = self.receiver.spans()
        nginx = self.spans_for(self.nginx.port)
        self.assertEqual([(s["kind"], res(s, "service.name")) for s in nginx], [("SERVER", "nginx")],
                         "only nginx's SERVER span: curl is not selected")
        curl_pids = {run.pid for run in runs}
        others = [s for s in spans if res(s, "process.pid") in curl_pids | {self.backend.pid}
                  or attr(s, "server.port") == self.backend.port]
        self.assertEqual(others, [], f"--exe '*nginx' must drop curl and the backend\n{summary(others)}")


if __name__ == "__main__":
    unittest.main()
