"""Process and connection selection: --port, --pid and --exe keep exactly what they name; a
process that exports its own traces (an OpenTelemetry SDK) is left to it unless asked."""

import os
import sys
import unittest

from otelbpf_it.case import IntegrationTest
from otelbpf_it.clients import client_env, curl
from otelbpf_it.ports import free_port, wait_listening
from otelbpf_it.procs import Process, write_file as write
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


# A service that behaves like one with an OpenTelemetry SDK: it puts its own traceparent (a new
# span id of its own) on the call it makes downstream for each request it serves.
SDK_LIKE_SERVICE = r'''
import http.client, http.server, secrets, sys
DOWNSTREAM = int(sys.argv[2])
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
        with open(sys.argv[3], "a") as log:
            log.write(f"{self.path} {trace_id} {span_id}\n")
        downstream = http.client.HTTPConnection("127.0.0.1", DOWNSTREAM)
        downstream.request("GET", "/hello" + self.path, headers={"traceparent": f"00-{trace_id}-{span_id}-01"})
        downstream.getresponse().read()
        body = b"instrumented"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
'''


class OwnTelemetryTest(IntegrationTest):
    """A process with OTEL_TRACES_EXPORTER in its environment exports its own spans: otelbpf
    emits none for it (nor request metrics), and its neighbour's span still joins the ids it
    sent; --trace-sdk-processes=true emits its spans too."""

    def run_case(self, *agent_args) -> tuple:
        self.start_receiver()
        nginx = self.start_nginx()
        port = free_port()
        ids_log = os.path.join(self.workdir, "sdk-ids.txt")
        script = write(os.path.join(self.workdir, "sdk_service.py"), SDK_LIKE_SERVICE)
        service = Process("sdk-service", [sys.executable, script, port, nginx.port, ids_log], self.workdir,
                          env={**client_env(), "OTEL_TRACES_EXPORTER": "otlp", "OTEL_SERVICE_NAME": "it-sdk"})
        self.addCleanup(service.kill_group)
        wait_listening(port, timeout=10.0, alive=service.alive)
        self.ports.add(port)
        agent = self.start_agent(*agent_args)
        curl(f"http://127.0.0.1:{port}/sdk")
        self.wait_received(lambda s: attr(s, "url.path") == "/hello/sdk" and s["kind"] == "SERVER", 1,
                           "nginx's SERVER span", timeout=15.0)
        self.settle()
        self.stop_agent(agent)
        with open(ids_log) as f:
            _, trace_id, span_id = f.read().split()
        return service, agent, trace_id, span_id

    def test_a_process_with_an_sdk_is_left_to_it(self):
        service, agent, trace_id, span_id = self.run_case()
        spans = self.receiver.spans()
        self.assertEqual([s for s in spans if res(s, "process.pid") == service.pid], [],
                         "no span of the process that exports its own")
        nginx_server = [s for s in spans if s["kind"] == "SERVER" and attr(s, "url.path") == "/hello/sdk"]
        self.assertEqual(len(nginx_server), 1, summary(spans))
        self.assertEqual((nginx_server[0]["trace_id"], nginx_server[0]["parent_span_id"]), (trace_id, span_id),
                         "the neighbour's span joins the ids the SDK put on the wire")
        curl_client = [s for s in spans if s["kind"] == "CLIENT" and attr(s, "server.port") in self.ports
                       and attr(s, "url.path") == "/sdk"]
        self.assertEqual(len(curl_client), 1, "the caller's span is emitted as usual")
        self.assertIn("exports its own traces (OTEL_TRACES_EXPORTER=otlp)", agent.process.stderr())

    def test_trace_sdk_processes_emits_them_too(self):
        service, _, _, _ = self.run_case("--trace-sdk-processes=true")
        mine = [s for s in self.receiver.spans() if res(s, "process.pid") == service.pid]
        self.assertEqual(sorted(s["kind"] for s in mine), ["CLIENT", "SERVER"], summary(mine))
        self.assertTrue(all(res(s, "service.name") == "it-sdk" for s in mine))


if __name__ == "__main__":
    unittest.main()
