"""The embedded store and the commands that read it: the real agent writes every span of real
traffic (curl → nginx, curl → the Python backend) into its store while exporting over OTLP;
`otelbpf observe`, `stats`, `map` and `trace` are then checked against what curl sent and what
the independent OTLP decoder received. Also: following live spans (-f), a store left by an
agent killed with SIGKILL, one writer per store file, the connection and lookup events that
`otelbpf events` lists, and the agent's memory while its store takes bursts."""

import json
import os
import signal
import sqlite3
import stat
import subprocess
import time
import unittest

from otelbpf_it import config
from otelbpf_it.case import IntegrationTest
from otelbpf_it.clients import curl, keep_alive_gets
from otelbpf_it.measured import report
from otelbpf_it.ports import free_port
from otelbpf_it.selfmetrics import mib, require_counters, rss_kib
from otelbpf_it.spans import attr

OK, ERRORS, MISSING = 5, 3, 2  # requests to nginx: /hello (200), /error (500), /missing (404)
BACKEND_FAILURES = 2           # requests to the Python backend answered 503
# What the store may add to the agent's RSS under sustained traffic: SQLite's page cache
# (8 MiB, store_schema.cc), the writer's queue (bounded, span_store.h), the recent-spans table
# that decides callers, and allocator slack.
STORE_CEILING_KIB = 20 * 1024


def otelbpf(*args, timeout: float = 30.0) -> subprocess.CompletedProcess:
    """Runs one query command to its end."""
    return subprocess.run([config.agent_binary(), *args], capture_output=True, text=True, timeout=timeout)


def json_lines(text: str) -> list:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class StoreQueriesTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.start_receiver()
        self.nginx = self.start_nginx()
        self.backend = self.start_backend()
        self.store = os.path.join(self.workdir, "otelbpf.db")
        ports = [a for p in (self.nginx.port, self.backend.port) for a in ("--port", str(p))]
        self.agent = self.start_agent(*ports, "--store", self.store, "--output", "none",
                                      "--prometheus=false")

    def observe(self, *args) -> list:
        done = otelbpf("observe", "--store", self.store, "-o", "json", *args)
        self.assertEqual(done.returncode, 0, done.stderr)
        return json_lines(done.stdout)

    def send_traffic(self) -> None:
        curl(*[self.nginx.url("/hello")] * OK, *[self.nginx.url("/error")] * ERRORS,
             *[self.nginx.url("/missing")] * MISSING)
        curl(*[self.backend.url("/status/503")] * BACKEND_FAILURES)
        requests = OK + ERRORS + MISSING + BACKEND_FAILURES
        # Both ends of each request are traced (curl's CLIENT span, the server's SERVER span).
        self.wait_received(lambda s: True, 2 * requests, "both ends of every request")
        # The store commits every 200 ms: wait until it holds them all too.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(self.observe("--last", "1000")) < 2 * requests:
            time.sleep(0.2)

    def test_observe_filters_match_what_was_sent_and_exported(self):
        self.send_traffic()
        nginx_port = str(self.nginx.port)
        served = self.observe("--last", "1000", "--to", nginx_port, "--kind", "server")
        self.assertEqual(len(served), OK + ERRORS + MISSING, served)
        self.assertEqual(sorted(s["http_status"] for s in served),
                         sorted([200] * OK + [404] * MISSING + [500] * ERRORS))
        self.assertTrue(all(s["from"] == "curl" for s in served), [s["from"] for s in served])

        failing = self.observe("--last", "1000", "--http-status", "5+", "--kind", "server")
        self.assertEqual(len(failing), ERRORS + BACKEND_FAILURES, failing)
        not_failing = self.observe("--last", "1000", "--not", "--http-status", "5+", "--kind", "server")
        self.assertEqual(len(not_failing), OK + MISSING, not_failing)
        paths = self.observe("--last", "1000", "--http-path", "^/(error|missing)$", "--kind", "client")
        self.assertEqual(len(paths), ERRORS + MISSING, paths)

        # The same spans, ids and all, as the independent OTLP decoder received them.
        exported = {(s["trace_id"], s["span_id"]): s for s in self.receiver.spans() if self.related(s)}
        stored = {(s["trace_id"], s["span_id"]): s for s in self.observe("--last", "1000")
                  if s["attributes"].get("server.port") in (self.nginx.port, self.backend.port)}
        self.assertEqual(set(stored), set(exported))
        for key, span in stored.items():
            self.assertEqual(span.get("parent_span_id"), exported[key].get("parent_span_id") or None)
            self.assertEqual(span["attributes"]["url.path"], attr(exported[key], "url.path"))

        compact = otelbpf("observe", "--store", self.store, "--last", "3", "--kind", "server")
        self.assertEqual(compact.returncode, 0, compact.stderr)
        self.assertEqual(len(compact.stdout.splitlines()), 3, compact.stdout)
        bad = otelbpf("observe", "--store", self.store, "--http-status", "7x")
        self.assertEqual(bad.returncode, 2)
        self.assertIn("--http-status 7x", bad.stderr)

    def test_stats_map_and_trace(self):
        self.send_traffic()
        stats = otelbpf("stats", "--store", self.store, "--since", "10m")
        self.assertEqual(stats.returncode, 0, stats.stderr)
        rows = [line.split() for line in stats.stdout.splitlines()]
        header = rows[0]
        self.assertEqual(header[:5], ["SERVICE", "KIND", "PROTOCOL", "OPERATION", "COUNT"])
        error_row = [r for r in rows if r[0] == "nginx" and r[1] == "server" and r[3:5] == ["GET", "/error"]]
        self.assertEqual(len(error_row), 1, stats.stdout)
        # SERVICE KIND PROTOCOL GET /error COUNT RATE ERRORS P50 P90 P99
        self.assertEqual(error_row[0][5], str(ERRORS), stats.stdout)
        self.assertEqual(error_row[0][7], "100.0%", stats.stdout)

        graph = otelbpf("map", "--store", self.store, "--since", "10m")
        self.assertEqual(graph.returncode, 0, graph.stderr)
        edges = {line.split("  ")[0]: line for line in graph.stdout.splitlines()}
        self.assertIn("curl -> nginx", edges, graph.stdout)
        self.assertIn(f"{OK + ERRORS + MISSING} calls", edges["curl -> nginx"])
        self.assertIn("curl -> it-backend", edges, graph.stdout)  # the backend's OTEL_SERVICE_NAME
        dot = otelbpf("map", "--store", self.store, "--since", "10m", "--dot")
        self.assertIn('"curl" -> "nginx"', dot.stdout)

        one = self.observe("--last", "1", "--to", str(self.nginx.port), "--kind", "server")[0]
        waterfall = otelbpf("trace", "--store", self.store, one["trace_id"])
        self.assertEqual(waterfall.returncode, 0, waterfall.stderr)
        lines = waterfall.stdout.splitlines()
        self.assertIn("2 spans", lines[0])
        self.assertRegex(lines[2], r"curl client http GET ")
        self.assertRegex(lines[3], r"^\S+\s+\S+\s+  nginx server http GET ")  # indented: a child
        self.assertEqual(sum(1 for line in lines if "|" in line and "#" in line), 2, waterfall.stdout)
        missing = otelbpf("trace", "--store", self.store, "0" * 31 + "1")
        self.assertEqual(missing.returncode, 1)

        self.stop_agent(self.agent)
        counters = require_counters(self, self.agent, "store")["store"]
        self.assertEqual(counters["dropped_queue_full"] + counters["dropped_write_failed"], 0, counters)
        self.assertGreaterEqual(counters["written"], 2 * (OK + ERRORS + MISSING + BACKEND_FAILURES))

        # The agent's metrics, snapshotted at stop: nginx's request-duration histogram counted
        # every request, by status code.
        self.assertGreater(counters["metric_points_written"], 0, counters)
        metrics = otelbpf("metrics", "--store", self.store, "--since", "10m", "--service", "nginx",
                          "--name", "http.server.request.duration", "-o", "json")
        self.assertEqual(metrics.returncode, 0, metrics.stderr)
        by_status = {}
        for row in json_lines(metrics.stdout):
            self.assertEqual(row["kind"], "histogram")
            status = row["attributes"]["http.response.status_code"]
            by_status[status] = by_status.get(status, 0) + row["increase"]
        self.assertEqual(by_status, {200: OK, 500: ERRORS, 404: MISSING}, metrics.stdout)
        table = otelbpf("metrics", "--store", self.store, "--since", "10m", "--name", "otelbpf.store.*")
        self.assertEqual(table.returncode, 0, table.stderr)
        self.assertIn("otelbpf.store.spans", table.stdout)

    def test_follow_prints_new_spans_as_they_are_stored(self):
        # The running agent tells followers when it commits, over an owner-only socket.
        live = os.stat(self.store + ".live")
        self.assertTrue(stat.S_ISSOCK(live.st_mode))
        self.assertEqual(stat.S_IMODE(live.st_mode), 0o600)
        follower = subprocess.Popen([config.agent_binary(), "observe", "--store", self.store, "-f", "-o", "json",
                                     "--kind", "server", "--to", str(self.nginx.port)],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        def stop_follower():
            if follower.poll() is None:
                follower.kill()
            follower.communicate()
        self.addCleanup(stop_follower)
        time.sleep(0.5)
        curl(self.nginx.url("/hello"), self.nginx.url("/missing"))
        seen = []
        deadline = time.monotonic() + 10
        while len(seen) < 2 and time.monotonic() < deadline:
            line = follower.stdout.readline()
            if line.strip():
                seen.append(json.loads(line))
        follower.send_signal(signal.SIGINT)
        self.assertEqual(follower.wait(5), 0)
        self.assertEqual([s["attributes"]["url.path"] for s in seen], ["/hello", "/missing"])


class StoreDurabilityTest(IntegrationTest):
    def test_killed_agent_leaves_a_readable_store_the_next_agent_appends_to(self):
        nginx = self.start_nginx()
        store = os.path.join(self.workdir, "otelbpf.db")
        agent = self.start_agent("--port", str(nginx.port), "--store", store, "--output", "none",
                                 "--prometheus=false", export=False)

        def stored() -> list:
            done = otelbpf("observe", "--store", store, "-o", "json", "--last", "1000", "--kind", "server")
            self.assertEqual(done.returncode, 0, done.stderr)
            return json_lines(done.stdout)

        def wait_stored(count: int) -> None:
            deadline = time.monotonic() + 10
            while len(stored()) < count and time.monotonic() < deadline:
                time.sleep(0.2)
            self.assertEqual(len(stored()), count, agent.diagnostics())

        curl(*[nginx.url("/hello")] * 4)
        wait_stored(4)
        os.kill(agent.pid, signal.SIGKILL)
        agent.process.wait(5)
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
            self.assertEqual(db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        self.assertEqual(len(stored()), 4)

        # The dead agent's lock went with it: a new agent takes the same store over.
        self.start_agent("--port", str(nginx.port), "--store", store, "--output", "none",
                         "--prometheus=false", export=False)
        curl(*[nginx.url("/hello")] * 3)
        wait_stored(7)

    def test_one_writer_per_store(self):
        store = os.path.join(self.workdir, "otelbpf.db")
        self.start_agent("--store", store, "--output", "none", "--prometheus=false", "--port", "1",
                         export=False)
        second = subprocess.run([config.agent_binary(), "run", "--store", store, "--output", "none",
                                 "--prometheus=false", "--port", "1"],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(second.returncode, 2, second.stderr)
        self.assertIn("another otelbpf is writing the store", second.stderr)


class NetEventsTest(IntegrationTest):
    def test_events_lists_connections_failures_and_lookups(self):
        nginx = self.start_nginx()
        refused = free_port()  # nothing listens there
        store = os.path.join(self.workdir, "otelbpf.db")
        # Unscoped: a process selected by --exe is chosen when user space sees its exec, and
        # getent's lookup comes sooner than that. Events are told apart by port and name below.
        self.start_agent("--store", store, "--output", "none", "--prometheus=false", export=False)
        curl(nginx.url("/hello"))
        failed = subprocess.run([config.tool("curl"), "-sS", "--noproxy", "*", f"http://127.0.0.1:{refused}/"],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(failed.returncode, 7, failed.stderr)  # curl: failed to connect
        # getaddrinfo() of a name (curl resolves "localhost" itself, without libc).
        lookup = subprocess.run(["getent", "ahosts", "localhost"], capture_output=True, text=True, timeout=30)
        self.assertEqual(lookup.returncode, 0, lookup.stderr)

        def events(*args) -> list:
            done = otelbpf("events", "--store", store, "-o", "json", "--since", "5m", *args)
            self.assertEqual(done.returncode, 0, done.stderr)
            return json_lines(done.stdout)

        nginx_end = f"127.0.0.1:{nginx.port}"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            seen = events()
            kinds = {(e["kind"], e.get("peer", e.get("name"))) for e in seen}
            if {("tcp_up", nginx_end), ("tcp_down", nginx_end),
                ("tcp_failed", f"127.0.0.1:{refused}"), ("dns_lookup", "localhost")} <= kinds:
                break
            time.sleep(0.3)
        self.assertIn(("tcp_up", nginx_end), kinds, seen)
        self.assertIn(("tcp_down", nginx_end), kinds, seen)
        failure = [e for e in seen if e["kind"] == "tcp_failed" and e["peer"] == f"127.0.0.1:{refused}"]
        self.assertEqual(len(failure), 1, seen)
        self.assertEqual(failure[0]["result"], 111, failure)  # ECONNREFUSED
        self.assertEqual(failure[0]["service"], "curl")
        lookups = [e for e in seen if e["kind"] == "dns_lookup" and e.get("name") == "localhost"]
        self.assertGreaterEqual(len(lookups), 1, seen)
        self.assertEqual(lookups[0]["result"], 0, lookups)  # getaddrinfo succeeded
        self.assertEqual(lookups[0]["service"], "getent", lookups)
        ours = [e for e in seen if e["kind"].startswith("tcp_") and e["peer"] in (nginx_end, f"127.0.0.1:{refused}")]
        self.assertTrue(ours and all(e["service"] == "curl" for e in ours), ours)

        only_failures = events("--kind", "tcp_failed")
        self.assertEqual({e["kind"] for e in only_failures}, {"tcp_failed"})
        table = otelbpf("events", "--store", store, "--since", "5m", "--kind", "dns_lookup")
        self.assertEqual(table.returncode, 0, table.stderr)
        self.assertIn("localhost", table.stdout)
        bad = otelbpf("events", "--store", store, "--kind", "tcp_sideways")
        self.assertNotEqual(bad.returncode, 0, bad.stdout)
        self.assertIn("tcp_sideways", bad.stderr)


class StoreMemoryTest(IntegrationTest):
    def test_memory_stays_bounded_while_the_store_takes_bursts(self):
        nginx = self.start_nginx()
        store = os.path.join(self.workdir, "otelbpf.db")
        agent = self.start_agent("--port", str(nginx.port), "--store", store, "--output", "none",
                                 "--prometheus=false", export=False)
        start = rss_kib(agent.pid)
        samples = []
        # 4 bursts of 1,500 requests (3,000 spans each, above --store-max-spans-per-second).
        for burst in range(4):
            keep_alive_gets(nginx.port, [f"/hello/burst{burst}/{i}" for i in range(1500)])
            time.sleep(1.5)
            samples.append(rss_kib(agent.pid))
        report(f"store under bursts: agent RSS at start {mib(start)}, after each burst "
               + ", ".join(mib(s) for s in samples))
        self.assertLess(max(samples), start + STORE_CEILING_KIB,
                        f"RSS grew past start + {mib(STORE_CEILING_KIB)}: {samples} KiB")
        self.stop_agent(agent)
        counters = require_counters(self, agent, "store")["store"]
        report(f"store under bursts: {counters}")
        self.assertEqual(counters["dropped_queue_full"] + counters["dropped_write_failed"], 0, counters)
        # Every span was written or left out as part of a sampled trace, and counted.
        user_space = require_counters(self, agent, "user space")["user space"]
        self.assertEqual(counters["written"] + counters["sampled_out"] + counters["over_budget"],
                         user_space["spans"], counters)


if __name__ == "__main__":
    unittest.main()
