"""How spans leave the agent: OTLP/gRPC, OTLP/HTTP without feedback, local JSON and text
output, and a negative control proving the spans come from the agent."""

import json
import signal
import time
import unittest

from otelbpf_it import expect
from otelbpf_it.case import IntegrationTest
from otelbpf_it.clients import curl, curl_version
from otelbpf_it.spans import attr, res, select, summary, wait_for

RESOURCE_ATTRIBUTES = "deployment.environment=integration,otelbpf.it.case=export"
RESOURCE_EXTRA = {"deployment.environment": "integration", "otelbpf.it.case": "export"}


class GrpcExportTest(IntegrationTest):
    def test_curl_to_nginx_over_grpc(self):
        self.start_receiver()
        nginx = self.start_nginx()
        agent = self.start_agent(protocol="grpc", resource_attributes=RESOURCE_ATTRIBUTES)

        run = curl(nginx.url("/hello?x=1"))
        self.wait_received(lambda s: attr(s, "server.port") == nginx.port, 2, "SERVER+CLIENT spans over gRPC")
        self.stop_agent(agent)

        spans = self.receiver.spans()
        expect.assert_curl_get_hello(self, spans, run, nginx, curl_version(), RESOURCE_EXTRA)
        self.assertEqual({s["transport"] for s in spans}, {"grpc"})


class ExporterSettingsTest(IntegrationTest):
    def test_shutdown_flushes_pending_spans(self):
        # With a 60 s batch delay only the flush on SIGINT can deliver the spans in time.
        self.start_receiver()
        nginx = self.start_nginx()
        agent = self.start_agent(extra_env={"OTEL_BSP_SCHEDULE_DELAY": "60000"})

        curl(nginx.url("/hello/flushed"))
        self.settle(0.5)  # capture → span takes milliseconds; the export waits for the batch
        self.assertEqual(select(self.receiver.spans(), server_port=nginx.port), [],
                         "nothing is exported before the 60 s batch delay")
        self.stop_agent(agent, signal.SIGINT)

        spans = select(self.receiver.spans(), server_port=nginx.port, path="/hello/flushed")
        self.assertEqual(sorted(s["kind"] for s in spans), ["CLIENT", "SERVER"],
                         f"spans flushed at SIGINT\n{self.diagnostics()}")

    def test_gzip_compression(self):
        self.start_receiver()
        nginx = self.start_nginx()
        agent = self.start_agent(extra_env={"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip"})

        curl(nginx.url("/hello/gzip"))
        self.wait_received(lambda s: attr(s, "url.path") == "/hello/gzip", 2, "SERVER+CLIENT spans")
        self.stop_agent(agent)
        spans = self.receiver.spans()
        self.assertEqual({(s["transport"], s["content_encoding"]) for s in spans}, {("http", "gzip")},
                         "OTEL_EXPORTER_OTLP_COMPRESSION=gzip: every request is gzip-encoded")


class NoFeedbackTest(IntegrationTest):
    """The agent's own export connections are traced at neither end, whatever the protocol."""

    def check(self, protocol: str):
        receiver = self.start_receiver()
        nginx = self.start_nginx()
        agent = self.start_agent(protocol=protocol)

        # Traffic spread over several export batches, so exports happen while capturing.
        for i in range(5):
            curl(nginx.url(f"/hello/{i}a"), nginx.url(f"/hello/{i}b"))
            self.settle(0.3)
        self.wait_received(lambda s: s["kind"] == "SERVER" and attr(s, "server.port") == nginx.port, 10,
                           "SERVER spans of the 10 requests")
        self.settle()  # spans of the last exports would have been exported by now
        self.stop_agent(agent)

        # Scoped to this agent and this receiver: another OTLP exporter on the machine is
        # ordinary traffic the agent may well trace.
        spans = self.receiver.spans()
        export_ports = {receiver.http_port, receiver.grpc_port}
        own_pids = {receiver.pid, agent.pid}
        feedback = [s for s in spans
                    if attr(s, "server.port") in export_ports or attr(s, "network.peer.port") in export_ports
                    or res(s, "process.pid") in own_pids]
        self.assertEqual(feedback, [], f"spans of otelbpf's own exports:\n{summary(feedback)}")
        self.assertGreater(len(select(spans, server_port=nginx.port)), 0)

    def test_http_protobuf_exports_are_not_traced(self):
        self.check("http/protobuf")

    def test_grpc_exports_are_not_traced(self):
        self.check("grpc")


class LocalOutputTest(IntegrationTest):
    """Without an OTLP endpoint the agent prints spans itself."""

    def test_json_output_lines(self):
        nginx = self.start_nginx()
        agent = self.start_agent("--output", "json", export=False, resource_attributes=RESOURCE_ATTRIBUTES)

        run = curl(nginx.url("/hello?x=1"))
        missing = None
        try:
            wait_for(agent.stdout_spans, lambda s: attr(s, "server.port") == nginx.port, 2, 10.0,
                     "JSON spans on stdout", agent.diagnostics)
        except AssertionError as err:
            missing = str(err)
        self.stop_agent(agent)
        if missing:
            # Tell "never printed" from "printed only at exit" (a stdout not flushed per span).
            late = len(select(agent.stdout_spans(), server_port=nginx.port))
            self.fail(f"JSON spans for nginx's port appeared on stdout only after SIGTERM ({late}): "
                      "stdout is not flushed per span" if late else missing)

        for line in agent.process.stdout().splitlines():
            if line.strip():
                self.assertIsInstance(json.loads(line), dict, "every stdout line is one JSON object")
        expect.assert_curl_get_hello(self, agent.stdout_spans(), run, nginx, curl_version(), RESOURCE_EXTRA)

    def test_text_output_is_the_default_without_endpoint(self):
        nginx = self.start_nginx()
        agent = self.start_agent(export=False)

        curl(nginx.url("/hello/text-output"))

        def text_lines():
            return [line for line in agent.process.stdout().splitlines() if "/hello/text-output" in line]

        deadline = time.monotonic() + 10.0
        while len(text_lines()) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        printed_while_running = len(text_lines())
        self.stop_agent(agent)
        lines = text_lines()
        self.assertEqual(printed_while_running, len(lines),
                         "text lines appeared on stdout only after SIGTERM: stdout is not flushed per span")
        self.assertEqual(len(lines), 2, f"one line per span (SERVER and CLIENT) naming /hello/text-output; "
                                        f"stdout:\n{agent.process.stdout()}\n{agent.diagnostics()}")
        for line in lines:
            self.assertIn("GET", line)
            self.assertIn("200", line)
            with self.assertRaises(ValueError, msg="text output is not JSON"):
                json.loads(line)


class NegativeControlTest(IntegrationTest):
    """Spans at the receiver come from the agent, and only from traffic while it runs."""

    def test_no_agent_no_spans(self):
        self.start_receiver()
        nginx = self.start_nginx()

        curl(nginx.url("/hello/before"))  # nothing observes this
        self.settle()
        self.assertEqual(self.receiver.spans(), [], "spans arrived with no agent running")

        agent = self.start_agent()
        curl(nginx.url("/hello/during"))
        self.wait_received(lambda s: attr(s, "url.path") == "/hello/during", 2, "spans while the agent runs")
        self.stop_agent(agent)

        curl(nginx.url("/hello/after"))  # the agent is gone: nothing may report this
        second = self.start_agent()      # and a new agent must not report what happened before it
        curl(nginx.url("/hello/again"))
        self.wait_received(lambda s: attr(s, "url.path") == "/hello/again", 2, "spans from the second agent")
        self.stop_agent(second)

        spans = select(self.receiver.spans(), server_port=nginx.port)
        self.assertEqual(sorted(attr(s, "url.path") for s in spans),
                         ["/hello/again"] * 2 + ["/hello/during"] * 2,
                         f"only traffic while an agent ran is reported\n{summary(spans)}")


if __name__ == "__main__":
    unittest.main()
