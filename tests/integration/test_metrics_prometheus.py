"""A real Prometheus server (Debian's) scrapes otelbpf's endpoint; its query API must return the
request counts of the traffic the test made, and the live exposition must pass promtool. Also:
attributes.select from a config file narrows a metric's labels, adding up what becomes equal."""

import json
import os
import subprocess
import time
import unittest
import urllib.parse
import urllib.request

from otelbpf_it import config
from otelbpf_it.case import IntegrationTest
from otelbpf_it.clients import curl
from otelbpf_it.ports import free_port, wait_listening
from otelbpf_it.procs import Process


def http_get(url: str, timeout: float = 5.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()


class PrometheusScrapeTest(IntegrationTest):
    def start_prometheus(self, target_port: int) -> int:
        """Prometheus scraping 127.0.0.1:target_port every second; returns its API port."""
        port = free_port()
        folder = os.path.join(self.workdir, "prometheus")
        os.makedirs(folder)
        config_path = os.path.join(folder, "prometheus.yml")
        with open(config_path, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: otelbpf\n    honor_labels: true\n"
                    f"    static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n")
        server = Process("prometheus", [config.tool("prometheus"), f"--config.file={config_path}",
                                        f"--storage.tsdb.path={folder}/data", f"--web.listen-address=127.0.0.1:{port}"],
                         self.workdir)
        self.addCleanup(server.kill_group)
        wait_listening(port, 20, server.alive)
        return port

    def query(self, api_port: int, promql: str) -> list:
        url = f"http://127.0.0.1:{api_port}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        body = json.loads(http_get(url))
        self.assertEqual(body["status"], "success", body)
        return body["data"]["result"]

    def test_prometheus_scrapes_request_counts(self):
        nginx = self.start_nginx()
        metrics_port = free_port()
        agent = self.start_agent("--output", "none", "--port", str(nginx.port), export=False,
                                 extra_env={"OTEL_EXPORTER_PROMETHEUS_PORT": str(metrics_port)})
        api_port = self.start_prometheus(metrics_port)

        for _ in range(3):
            self.assertEqual(curl(nginx.url("/hello")).returncode, 0)
        for _ in range(2):
            curl(nginx.url("/missing"))

        # The live exposition, checked by the real linter.
        exposition = http_get(f"http://127.0.0.1:{metrics_port}/metrics")
        lint = subprocess.run([config.tool("promtool"), "check", "metrics"], input=exposition,
                              capture_output=True, text=True)
        self.assertEqual(lint.returncode, 0, f"promtool:\n{lint.stdout}{lint.stderr}")
        self.assertIn("target_info{", exposition)

        # Prometheus sees exactly the requests nginx served, by status code.
        promql = 'sum by (http_response_status_code) (http_server_request_duration_seconds_count{job="nginx"})'
        deadline = time.monotonic() + 20
        counts = {}
        while time.monotonic() < deadline:
            counts = {r["metric"].get("http_response_status_code"): float(r["value"][1])
                      for r in self.query(api_port, promql)}
            if counts == {"200": 3.0, "404": 2.0}:
                break
            time.sleep(0.5)
        self.assertEqual(counts, {"200": 3.0, "404": 2.0}, f"Prometheus query result\n{self.diagnostics()}")

        # Clients are told apart from servers, and their metric carries the server port. Each curl
        # is its own short-lived process (instance), so its series ends when it exits: look back.
        client_promql = ('sum by (server_port) '
                         '(max_over_time(http_client_request_duration_seconds_count{job="curl"}[5m]))')
        client = self.query(api_port, client_promql)
        self.assertEqual({r["metric"]["server_port"]: float(r["value"][1]) for r in client}, {str(nginx.port): 5.0})
        # otelbpf's own health, from the same endpoint.
        events = self.query(api_port, 'otelbpf_capture_events_total{job="otelbpf"}')
        self.assertEqual(len(events), 1)
        self.assertGreater(float(events[0]["value"][1]), 0)
        self.stop_agent(agent)

    def test_attributes_select_narrows_labels_and_adds_up(self):
        nginx = self.start_nginx()
        metrics_port = free_port()
        config_file = os.path.join(self.workdir, "otelbpf.yaml")
        with open(config_file, "w") as f:
            f.write("attributes:\n  select:\n    http_server_request_duration:\n"
                    "      include: [http.response.status_code]\n")
        self.start_agent("--config", config_file, "--output", "none", "--port", str(nginx.port), export=False,
                         extra_env={"OTEL_EXPORTER_PROMETHEUS_PORT": str(metrics_port)})
        # Two paths, one status: one series once the path and method labels are gone.
        curl(nginx.url("/hello"), nginx.url("/hello/a"), nginx.url("/hello/b"), nginx.url("/missing"))

        def nginx_counts() -> dict:
            exposition = http_get(f"http://127.0.0.1:{metrics_port}/metrics")
            lines = [l for l in exposition.splitlines()
                     if l.startswith("http_server_request_duration_seconds_count{") and 'job="nginx"' in l]
            return {l.split("{", 1)[1].split("}", 1)[0]: float(l.rsplit(" ", 1)[1]) for l in lines}

        deadline = time.monotonic() + 15
        counts = nginx_counts()
        while time.monotonic() < deadline and sum(counts.values()) < 4:
            time.sleep(0.3)
            counts = nginx_counts()
        self.assertEqual(len(counts), 2, counts)  # 200 and 404
        for labels, value in counts.items():
            self.assertNotIn("url_template", labels)
            self.assertNotIn("http_request_method", labels)
            self.assertEqual(value, 3.0 if 'http_response_status_code="200"' in labels else 1.0, counts)


if __name__ == "__main__":
    unittest.main()
