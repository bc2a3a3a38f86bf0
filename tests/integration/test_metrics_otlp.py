"""Metrics over OTLP: curl → nginx traffic as http.server/client.request.duration histograms
and otelbpf's self-metrics, received by the independent receiver (one flat record per data
point, see otlp-receiver/flatten.js). Cumulative over OTLP/HTTP, delta over OTLP/gRPC, and
the final export at SIGTERM.

Points are matched by what the test knows for sure: SERVER series by the resource's
process.pid (nginx's worker), CLIENT series by curl's pid (from Popen) and server.port."""

import json
import time
import unittest

from otelbpf_it.case import IntegrationTest
from otelbpf_it.clients import curl
from otelbpf_it.spans import res

SERVER_DURATION = "http.server.request.duration"
CLIENT_DURATION = "http.client.request.duration"
SERVER_RESPONSE_SIZE = "http.server.response.body.size"
BODY_SIZE_METRICS = ("http.server.request.body.size", "http.server.response.body.size",
                     "http.client.request.body.size", "http.client.response.body.size")
# The semantic conventions' advice for http.*.request.duration, in seconds.
# The semantic conventions' advice for http.*.request.duration, exactly.
DURATION_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]

INTERVAL_MS = 500          # OTEL_METRIC_EXPORT_INTERVAL of the periodic tests
WAIT = 15.0                # for points that must come (many intervals)
CLOCK_SLACK_NS = 1_000_000  # agent vs test runner wall clock (as in expect.py)

# Exact attribute sets of the series nginx and curl make (no http.route: no route pattern is
# configured; url.template: the heuristic template of the path, /hello answered 200 and /missing
# 404; server.address/server.port on CLIENT series only; error.type on 4xx CLIENT only).
COMMON = {"http.request.method": "GET", "url.scheme": "http", "network.protocol.version": "1.1"}


def template_of(status: int) -> str:
    return "/hello" if status == 200 else "/missing"


def server_attributes(status: int) -> dict:
    return {**COMMON, "http.response.status_code": status, "url.template": template_of(status)}


def client_attributes(status: int, port: int) -> dict:
    attrs = {**COMMON, "http.response.status_code": status, "url.template": template_of(status),
             "server.address": "127.0.0.1", "server.port": port}
    if status >= 400:
        attrs["error.type"] = str(status)
    return attrs


# ---- reading points ------------------------------------------------------------------

def series_key(p: dict) -> tuple:
    """One time series: the resource, the metric and the attribute set."""
    return (json.dumps(p["resource"], sort_keys=True), p["name"], json.dumps(p["attributes"], sort_keys=True))


def by_series(points: list) -> dict:
    """series key → its points in time order."""
    out = {}
    for p in points:
        out.setdefault(series_key(p), []).append(p)
    for pts in out.values():
        pts.sort(key=lambda p: p["time_unix_nano"])
    return out


def status_of(p: dict):
    return p["attributes"].get("http.response.status_code")


def cumulative_counts(points: list) -> dict:
    """status code → count of the latest point of each series, summed over series (each
    cumulative point already holds everything since the series started)."""
    out = {}
    for pts in by_series(points).values():
        last = pts[-1]
        out[status_of(last)] = out.get(status_of(last), 0) + last["count"]
    return out


def delta_counts(points: list) -> dict:
    """status code → sum of the counts of every point (delta points add up)."""
    out = {}
    for p in points:
        out[status_of(p)] = out.get(status_of(p), 0) + p["count"]
    return out


def describe(points: list, limit: int = 60) -> str:
    lines = [f"{len(points)} point(s):"]
    for p in sorted(points, key=lambda p: (p["name"], p["time_unix_nano"]))[:limit]:
        value = p.get("count") if p["type"] == "histogram" else p.get("value")
        lines.append(f"  {p['name']} {p['type']} {p['temporality']} service={res(p, 'service.name')} "
                     f"pid={res(p, 'process.pid')} {json.dumps(p['attributes'], sort_keys=True)} "
                     f"value/count={value} start={p['start_time_unix_nano']} time={p['time_unix_nano']} "
                     f"via={p['transport']}")
    if len(points) > limit:
        lines.append(f"  ... {len(points) - limit} more")
    return "\n".join(lines)


class MetricsTestCase(IntegrationTest):
    """Starts the receiver, nginx and the agent exporting metrics to it."""

    def start(self, protocol: str, temporality: str = None, interval_ms: int = INTERVAL_MS):
        self.start_receiver()
        self.nginx = self.start_nginx()
        self.workers = self.nginx.worker_pids()
        self.assertTrue(self.workers, "nginx has a worker process")
        env = {"OTEL_METRIC_EXPORT_INTERVAL": str(interval_ms)}
        if temporality:
            env["OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE"] = temporality
        self.agent_started_ns = time.time_ns()
        # No Prometheus endpoint: its fixed default port would clash between parallel runs.
        self.agent = self.start_agent("--prometheus=false", protocol=protocol, extra_env=env)
        self.assertIn("metrics to OTLP", self.agent.process.stderr(),
                      f"the agent announces its OTLP metrics exporter\n{self.agent.diagnostics()}")

    # ---- selections -------------------------------------------------------------------

    def points(self) -> list:
        return self.receiver.metrics()

    def server_points(self, name: str = SERVER_DURATION) -> list:
        """Points of `name` whose resource is this test's nginx worker."""
        return [p for p in self.points() if p["name"] == name and res(p, "process.pid") in self.workers]

    def client_points(self, run, name: str = CLIENT_DURATION) -> list:
        """Points of `name` whose resource is the curl process of `run`."""
        return [p for p in self.points() if p["name"] == name and res(p, "process.pid") == run.pid]

    def self_points(self, name: str) -> list:
        return [p for p in self.points() if p["name"] == name and res(p, "service.name") == "otelbpf"
                and res(p, "process.pid") == self.agent.pid]

    def relevant(self) -> list:
        """Points of this test's processes and of this agent (for failure messages)."""
        pids = set(self.workers) | {self.agent.pid} | set(getattr(self, "curl_pids", ()))
        return [p for p in self.points() if res(p, "process.pid") in pids]

    def context(self) -> str:
        all_points = self.points()
        return (f"{describe(self.relevant())}\n({len(all_points)} point(s) received in all)\n"
                f"{self.diagnostics()}")

    def curl(self, *paths: str):
        run = curl(*(self.nginx.url(p) for p in paths))
        self.curl_pids = getattr(self, "curl_pids", []) + [run.pid]
        self.assertEqual([t.http_code for t in run.transfers],
                         [404 if p.startswith("/missing") else 200 for p in paths])
        return run

    def wait_until(self, condition, what: str, timeout: float = WAIT) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() >= deadline:
                self.fail(f"timed out after {timeout} s waiting for {what}\n{self.context()}")
            time.sleep(0.1)

    # ---- checks -----------------------------------------------------------------------

    def assert_duration_histograms(self, points: list, temporality: str, transport: str) -> None:
        """Shape of every http.*.request.duration point."""
        self.assertTrue(points, "no duration points to check")
        for p in points:
            with self.subTest(point=f"{p['name']} {p['attributes']} at {p['time_unix_nano']}"):
                self.assertEqual(p["type"], "histogram")
                self.assertEqual(p["unit"], "s")
                self.assertEqual(p["temporality"], temporality)
                self.assertEqual(p["transport"], transport)
                self.assertEqual(p["explicit_bounds"], DURATION_BOUNDS)
                self.assertEqual(len(p["bucket_counts"]), len(DURATION_BOUNDS) + 1)
                self.assertEqual(sum(p["bucket_counts"]), p["count"], "buckets add up to the count")
                self.assertIsInstance(p["count"], int)
                self.assertNotIsInstance(p["count"], bool)
                self.assertGreaterEqual(p["sum"] if p["sum"] is not None else 0.0, 0.0)
                if p["count"] == 0 and p["sum"] is not None:
                    self.assertEqual(p["sum"], 0.0, "no measurement, no duration")
                self.assertLessEqual(p["start_time_unix_nano"], p["time_unix_nano"])
                self.assertGreaterEqual(p["start_time_unix_nano"], self.agent_started_ns - CLOCK_SLACK_NS,
                                        "a series starts while the agent runs")
                self.assertLessEqual(p["time_unix_nano"], time.time_ns())

    def assert_cumulative_series(self, points: list) -> None:
        """Every point of a cumulative series keeps the series' start and never decreases."""
        for key, pts in by_series(points).items():
            with self.subTest(series=key[1:]):
                self.assertEqual({p["start_time_unix_nano"] for p in pts}, {pts[0]["start_time_unix_nano"]},
                                 "a cumulative series keeps its start time")
                for before, after in zip(pts, pts[1:]):
                    self.assertLessEqual(before["count"], after["count"], "cumulative counts never decrease")
                    for b, a in zip(before["bucket_counts"], after["bucket_counts"]):
                        self.assertLessEqual(b, a, "cumulative bucket counts never decrease")

    def assert_delta_chain(self, points: list) -> None:
        """Consecutive delta points of a series cover consecutive intervals: each point
        starts when the previous one ended."""
        for key, pts in by_series(points).items():
            with self.subTest(series=key[1:]):
                self.assertLessEqual(pts[0]["start_time_unix_nano"], pts[0]["time_unix_nano"])
                for before, after in zip(pts, pts[1:]):
                    self.assertLess(before["time_unix_nano"], after["time_unix_nano"],
                                    f"one point per series per export\n{describe(pts)}")
                    self.assertEqual(after["start_time_unix_nano"], before["time_unix_nano"],
                                     f"start_time = previous point's time\n{describe(pts)}")

    def assert_attribute_sets(self, points: list, expected: list) -> None:
        got = sorted({json.dumps(p["attributes"], sort_keys=True) for p in points})
        self.assertEqual(got, sorted(json.dumps(a, sort_keys=True) for a in expected),
                         f"attribute sets of {points[0]['name'] if points else '?'} series\n{describe(points)}")

    def assert_resources(self, server: list, clients: dict) -> None:
        """SERVER series under nginx's worker, CLIENT series under each curl process
        (`clients`: curl pid → its points)."""
        for p in server:
            self.assertEqual(res(p, "service.name"), "nginx")
            self.assertIn(res(p, "process.pid"), self.workers)
        for pid, points in clients.items():
            self.assertTrue(points, f"points of curl {pid}")
            for p in points:
                self.assertEqual(res(p, "service.name"), "curl")
                self.assertEqual(res(p, "process.pid"), pid)


class CumulativeHttpTest(MetricsTestCase):
    def test_http_protobuf_cumulative(self):
        self.start("http/protobuf")
        first = self.curl("/hello", "/missing", "/hello")   # one connection, 3 requests
        second = self.curl("/hello", "/missing")            # another process
        runs = [(first, {200: 2, 404: 1}), (second, {200: 1, 404: 1})]

        def all_counted():
            return (cumulative_counts(self.server_points()) == {200: 3, 404: 2}
                    and all(cumulative_counts(self.client_points(r)) == want for r, want in runs))
        self.wait_until(all_counted, "cumulative duration counts 200:3 404:2 for nginx and per curl process")
        self.wait_until(lambda: any(p["value"] > 0 for p in self.self_points("otelbpf.capture.events")),
                        "otelbpf.capture.events > 0 under service.name otelbpf")
        self.stop_agent(self.agent)

        # Exact checks on everything received, the final export at SIGTERM included.
        server = self.server_points()
        clients = {run.pid: self.client_points(run) for run, _ in runs}
        with self.subTest("SERVER duration series"):
            self.assertEqual(cumulative_counts(server), {200: 3, 404: 2}, describe(server))
            self.assertEqual(sum(cumulative_counts(server).values()), 5, "one measurement per request")
            self.assert_attribute_sets(server, [server_attributes(200), server_attributes(404)])
            for p in server:
                self.assertNotIn("server.address", p["attributes"])
                self.assertNotIn("server.port", p["attributes"])
                self.assertNotIn("error.type", p["attributes"], "a 404 is not a server error")
        with self.subTest("CLIENT duration series"):
            port = self.nginx.port
            for run, want in runs:
                points = clients[run.pid]
                self.assertEqual(cumulative_counts(points), want, describe(points))
                self.assert_attribute_sets(points, [client_attributes(200, port), client_attributes(404, port)])
                for p in points:
                    self.assertEqual(p["attributes"]["server.port"], port)
                    if status_of(p) == 404:
                        self.assertEqual(p["attributes"]["error.type"], "404")
            self.assertEqual(sum(sum(cumulative_counts(pts).values()) for pts in clients.values()), 5)
        with self.subTest("resources"):
            self.assert_resources(server, clients)
        everything = server + [p for pts in clients.values() for p in pts]
        with self.subTest("histogram shape, temporality, transport"):
            self.assert_duration_histograms(everything, "CUMULATIVE", "http")
        with self.subTest("cumulative series"):
            self.assert_cumulative_series(everything)
        with self.subTest("a series starts with its first request"):
            for run, _ in runs:
                for p in clients[run.pid]:
                    self.assertGreaterEqual(p["start_time_unix_nano"], run.start_ns - CLOCK_SLACK_NS)
                    self.assertLessEqual(p["start_time_unix_nano"], run.end_ns + CLOCK_SLACK_NS)
            for p in server:
                self.assertGreaterEqual(p["start_time_unix_nano"], first.start_ns - CLOCK_SLACK_NS)
                self.assertLessEqual(p["start_time_unix_nano"], second.end_ns + CLOCK_SLACK_NS)
        with self.subTest("body sizes"):
            sizes = [p for name in BODY_SIZE_METRICS for p in self.server_points(name)]
            sizes += [p for name in BODY_SIZE_METRICS for run, _ in runs for p in self.client_points(run, name)]
            self.assertEqual({p["name"] for p in sizes}, set(BODY_SIZE_METRICS), describe(sizes))
            self.assertEqual({(p["unit"], p["type"], p["temporality"]) for p in sizes},
                             {("By", "histogram", "CUMULATIVE")})
            ok = by_series([p for p in self.server_points(SERVER_RESPONSE_SIZE) if status_of(p) == 200])
            self.assertEqual(len(ok), 1, describe(self.server_points(SERVER_RESPONSE_SIZE)))
            last = list(ok.values())[0][-1]
            self.assertEqual((last["count"], last["sum"]), (3, 15.0), "3 responses of 'hello' (5 bytes)")
        with self.subTest("self-metric otelbpf.capture.events"):
            events = self.self_points("otelbpf.capture.events")
            self.assertTrue(events, self.context())
            last = max(events, key=lambda p: p["time_unix_nano"])
            self.assertEqual((last["type"], last["is_monotonic"], last["temporality"], last["value_type"]),
                             ("sum", True, "CUMULATIVE", "int"))
            self.assertGreater(last["value"], 0)
            self.assertEqual({p["transport"] for p in events}, {"http"})


class DeltaGrpcTest(MetricsTestCase):
    def test_grpc_delta_two_waves(self):
        self.start("grpc", temporality="delta")

        first = self.curl("/hello", "/missing", "/hello")
        self.wait_until(lambda: delta_counts(self.server_points()) == {200: 2, 404: 1}
                        and delta_counts(self.client_points(first)) == {200: 2, 404: 1},
                        "wave 1 as delta points: 200:2 404:1")
        time.sleep(3 * INTERVAL_MS / 1000)  # more than one export interval between the waves
        wave2_ns = time.time_ns()
        second = self.curl("/hello", "/missing")
        self.wait_until(lambda: delta_counts(self.server_points()) == {200: 3, 404: 2}
                        and delta_counts(self.client_points(second)) == {200: 1, 404: 1},
                        "wave 2 as delta points: totals 200:3 404:2")
        time.sleep(3 * INTERVAL_MS / 1000)  # later exports must add nothing
        self.stop_agent(self.agent)

        server = self.server_points()
        clients = {first.pid: self.client_points(first), second.pid: self.client_points(second)}
        everything = server + clients[first.pid] + clients[second.pid]
        with self.subTest("totals: no double counting"):
            self.assertEqual(delta_counts(server), {200: 3, 404: 2}, describe(server))
            self.assertEqual(delta_counts(clients[first.pid]), {200: 2, 404: 1}, describe(clients[first.pid]))
            self.assertEqual(delta_counts(clients[second.pid]), {200: 1, 404: 1}, describe(clients[second.pid]))
        with self.subTest("each wave in the interval it happened in"):
            before = [p for p in server if p["time_unix_nano"] < wave2_ns]
            after = [p for p in server if p["time_unix_nano"] >= wave2_ns]
            self.assertEqual(delta_counts(before), {200: 2, 404: 1}, describe(server))
            self.assertEqual({k: v for k, v in delta_counts(after).items() if v}, {200: 1, 404: 1},
                             describe(server))
            # Wave 2 is counted in points that started after wave 1 was exported.
            self.assertTrue(all(p["start_time_unix_nano"] >= min(q["time_unix_nano"] for q in before)
                                for p in after if p["count"] > 0), describe(server))
        with self.subTest("attributes and resources"):
            self.assert_attribute_sets(server, [server_attributes(200), server_attributes(404)])
            for run in (first, second):
                self.assert_attribute_sets(clients[run.pid], [client_attributes(200, self.nginx.port),
                                                          client_attributes(404, self.nginx.port)])
            self.assert_resources(server, clients)
        with self.subTest("histogram shape, temporality, transport"):
            self.assert_duration_histograms(everything, "DELTA", "grpc")
        with self.subTest("delta chain: start_time = previous point's time"):
            self.assert_delta_chain(everything)
        with self.subTest("self-metrics under delta preference"):
            events = self.self_points("otelbpf.capture.events")
            self.assertTrue(events, self.context())
            self.assertEqual({(p["type"], p["is_monotonic"], p["temporality"], p["value_type"], p["transport"])
                              for p in events}, {("sum", True, "DELTA", "int", "grpc")})
            self.assertTrue(all(p["value"] >= 0 for p in events), describe(events))
            self.assertGreater(sum(p["value"] for p in events), 0)
            self.assert_delta_chain(events)
            # The OTLP exporter spec: delta preference leaves UpDownCounters cumulative.
            tracked = self.self_points("otelbpf.connections.tracked")
            self.assertTrue(tracked, self.context())
            self.assertEqual({(p["type"], p["is_monotonic"], p["temporality"]) for p in tracked},
                             {("sum", False, "CUMULATIVE")})


class FinalExportTest(MetricsTestCase):
    def test_sigterm_exports_last_traffic_cumulative_http(self):
        # With a 60 s interval only the export at SIGTERM can deliver the traffic in time.
        self.start("http/protobuf", interval_ms=60000)
        run = self.curl("/hello", "/missing", "/hello")
        self.assertEqual(self.server_points() + self.client_points(run), [],
                         "nothing is exported before the 60 s interval")
        self.stop_agent(self.agent)

        server = self.server_points()
        client = self.client_points(run)
        self.assertEqual(cumulative_counts(server), {200: 2, 404: 1}, f"final export\n{self.context()}")
        self.assertEqual(cumulative_counts(client), {200: 2, 404: 1}, f"final export\n{self.context()}")
        self.assert_attribute_sets(server, [server_attributes(200), server_attributes(404)])
        self.assert_attribute_sets(client, [client_attributes(200, self.nginx.port),
                                            client_attributes(404, self.nginx.port)])
        self.assert_duration_histograms(server + client, "CUMULATIVE", "http")
        self.assertEqual(len(by_series(server + client)), len(server + client), "one final export, one point each")
        events = self.self_points("otelbpf.capture.events")
        self.assertTrue(events, f"self-metrics in the final export\n{self.context()}")
        self.assertGreater(max(events, key=lambda p: p["time_unix_nano"])["value"], 0)

    def test_sigterm_exports_last_delta_grpc(self):
        # Periodic exports run; the traffic right before SIGTERM lands in the final one only.
        self.start("grpc", temporality="delta")
        self.wait_until(lambda: self.self_points("otelbpf.capture.events"), "a first periodic export")
        run = self.curl("/hello", "/missing", "/hello")
        self.stop_agent(self.agent)

        server = self.server_points()
        client = self.client_points(run)
        self.assertEqual(delta_counts(server), {200: 2, 404: 1}, f"final export\n{self.context()}")
        self.assertEqual(delta_counts(client), {200: 2, 404: 1}, f"final export\n{self.context()}")
        self.assert_duration_histograms(server + client, "DELTA", "grpc")
        self.assert_delta_chain(server + client)


if __name__ == "__main__":
    unittest.main()
