"""One HTTP exchange → one SERVER and one CLIENT span with exact semconv attributes, status
and timing; exported over OTLP/HTTP (protobuf) to the independent receiver."""

import os
import unittest

from otelbpf_it import expect
from otelbpf_it.backend import BACKEND_SERVICE_NAME
from otelbpf_it.case import IntegrationTest
from otelbpf_it.clients import curl, curl_version
from otelbpf_it.spans import attr, res, select

RESOURCE_ATTRIBUTES = "deployment.environment=integration,otelbpf.it.case=http-spans"
RESOURCE_EXTRA = {"deployment.environment": "integration", "otelbpf.it.case": "http-spans"}


class CurlToNginxTest(IntegrationTest):
    def test_get_hello_gives_one_server_and_one_client_span(self):
        self.start_receiver()
        nginx = self.start_nginx()
        agent = self.start_agent(resource_attributes=RESOURCE_ATTRIBUTES)

        run = curl(nginx.url("/hello?x=1"))
        self.wait_received(lambda s: attr(s, "server.port") == nginx.port, 2,
                           f"SERVER+CLIENT spans for nginx port {nginx.port}")
        self.stop_agent(agent)  # flushes: after this every span is at the receiver

        spans = self.receiver.spans()
        expect.assert_curl_get_hello(self, spans, run, nginx, curl_version(), RESOURCE_EXTRA)
        for span in select(spans, server_port=nginx.port):
            self.assertEqual(span["transport"], "http")
        self.assertEqual(agent.process.stdout(), "", "default output is none when an OTLP endpoint is set")


class ServiceNameTest(IntegrationTest):
    """service.name is the observed process's own OTEL_SERVICE_NAME, else its executable's name;
    never the agent's own OTEL_SERVICE_NAME."""

    def test_service_name_comes_from_each_process(self):
        self.start_receiver()
        nginx = self.start_nginx()
        agent = self.start_agent(extra_env={"OTEL_SERVICE_NAME": "name-of-the-agent"})

        named = curl(nginx.url("/hello/named"), env={"OTEL_SERVICE_NAME": "it-curl"})
        self.wait_received(lambda s: attr(s, "url.path") == "/hello/named", 2, "SERVER+CLIENT spans")
        self.stop_agent(agent)

        spans = select(self.receiver.spans(), server_port=nginx.port, path="/hello/named")
        self.assertEqual(sorted((s["kind"], res(s, "service.name"), res(s, "process.pid")) for s in spans),
                         [("CLIENT", "it-curl", named.pid), ("SERVER", "nginx", nginx.worker_pids()[0])])


class StatusCodeTest(IntegrationTest):
    def test_404_is_an_error_for_the_client_only_and_500_for_both(self):
        self.start_receiver()
        nginx = self.start_nginx()
        agent = self.start_agent()

        missing = curl(nginx.url("/missing"))
        failing = curl(nginx.url("/error"))
        self.assertEqual([missing.transfers[0].http_code, failing.transfers[0].http_code], [404, 500])
        self.wait_received(lambda s: attr(s, "server.port") == nginx.port, 4,
                           "SERVER+CLIENT spans for /missing and /error")
        self.stop_agent(agent)
        spans = self.receiver.spans()

        def one(kind, path, pid=None):
            found = select(spans, kind=kind, server_port=nginx.port, path=path, pid=pid)
            self.assertEqual(len(found), 1, f"{kind} spans for {path}: {found}")
            return found[0]

        server = one("SERVER", "/missing")
        self.assertEqual(attr(server, "http.response.status_code"), 404)
        self.assertEqual(server["status"], "UNSET", "a 4xx is not a server error")
        self.assertNotIn("error.type", server["attributes"])

        client = one("CLIENT", "/missing", missing.pid)
        self.assertEqual(attr(client, "http.response.status_code"), 404)
        self.assertEqual(client["status"], "ERROR", "a 4xx is a client error")
        self.assertEqual(attr(client, "error.type"), "404")

        for kind, pid in (("SERVER", None), ("CLIENT", failing.pid)):
            span = one(kind, "/error", pid)
            self.assertEqual(attr(span, "http.response.status_code"), 500)
            self.assertEqual(span["status"], "ERROR", f"{kind} status of a 500")
            self.assertEqual(attr(span, "error.type"), "500")


class PythonBackendTest(IntegrationTest):
    """The backend sets OTEL_SERVICE_NAME in its own environment: the agent must use it."""

    def test_slow_request_duration_and_client_encloses_server(self):
        self.start_receiver()
        backend = self.start_backend()
        agent = self.start_agent()

        run = curl(backend.url("/sleep?ms=100"))
        self.wait_received(lambda s: attr(s, "server.port") == backend.port, 2,
                           f"SERVER+CLIENT spans for backend port {backend.port}")
        self.stop_agent(agent)
        spans = select(self.receiver.spans(), server_port=backend.port, path="/sleep")

        servers = [s for s in spans if s["kind"] == "SERVER"]
        clients = [s for s in spans if s["kind"] == "CLIENT"]
        self.assertEqual(len(servers), 1, f"SERVER spans: {servers}")
        self.assertEqual(len(clients), 1, f"CLIENT spans: {clients}")
        server, client = servers[0], clients[0]
        for span in (server, client):
            expect.assert_span_shape(self, span)
            expect.assert_attrs(self, span, {"http.request.method": "GET", "url.query": "ms=100",
                                             "http.response.status_code": 200, "http.response.body.size": 5})
            expect.assert_within(self, span, run.start_ns, run.end_ns)

        self.assertGreaterEqual(server["duration_ms"], 100.0, "the handler sleeps 100 ms")
        self.assertLess(server["duration_ms"], 5000.0)
        expect.assert_encloses(self, client, server)
        expect.assert_resource(self, server, BACKEND_SERVICE_NAME, backend.pid,
                               os.path.realpath(f"/proc/{backend.pid}/exe"))
        expect.assert_resource(self, client, "curl", run.pid, expect.realpath_of(run.argv[0]))

    def test_post_body_sizes(self):
        self.start_receiver()
        backend = self.start_backend()
        agent = self.start_agent()

        payload = "hello world"  # 11 bytes, echoed back
        run = curl(backend.url("/echo"), extra=["--data-binary", payload, "-H", "Content-Type: text/plain"])
        self.wait_received(lambda s: attr(s, "server.port") == backend.port, 2, "SERVER+CLIENT spans for POST /echo")
        self.stop_agent(agent)

        spans = select(self.receiver.spans(), server_port=backend.port, path="/echo")
        self.assertEqual(sorted(s["kind"] for s in spans), ["CLIENT", "SERVER"], f"spans: {spans}")
        for span in spans:
            # The CLIENT span is named by its url.template (routes: heuristic template of /echo).
            self.assertEqual(span["name"], "POST" if span["kind"] == "SERVER" else "POST /echo")
            expect.assert_attrs(self, span, {"http.request.method": "POST", "http.response.status_code": 200,
                                             "http.request.body.size": 11, "http.response.body.size": 11})
        client = select(spans, kind="CLIENT")[0]
        self.assertEqual(res(client, "process.pid"), run.pid)


if __name__ == "__main__":
    unittest.main()
