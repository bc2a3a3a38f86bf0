"""Exact expectations on spans, shared by every test that checks the same scenario through
a different path (OTLP/HTTP, OTLP/gRPC, --output json)."""

import os
import sys
import re
import socket
import unittest

from .nginx import command_line_of
from .spans import attr, res, select

# The agent converts kernel timestamps to wall clock; allow this much disagreement with the
# test runner's own wall clock readings around a request.
CLOCK_SLACK_NS = 1_000_000

SPAN_FIELDS = {"trace_id": str, "span_id": str, "parent_span_id": str, "name": str, "kind": str,
               "start_time_unix_nano": int, "end_time_unix_nano": int, "duration_ms": (int, float),
               "status": str, "resource": dict, "attributes": dict}


def realpath_of(program: str) -> str:
    return os.path.realpath(program)


def normalized(command_line: str) -> str:
    return re.sub(r"\s+", " ", command_line).strip()


def exe_name_of_pid(pid: int) -> str:
    return os.path.basename(os.readlink(f"/proc/{pid}/exe"))


def runner_service_name() -> str:
    """The test runner's service name as the agent names it: what python runs (`python3 -m
    unittest ...` is "unittest", a script its file name without .py)."""
    with open("/proc/self/cmdline", "rb") as f:
        argv = f.read().decode().split("\0")
    for i, arg in enumerate(argv[1:], start=1):
        if arg == "-m":
            return argv[i + 1]
        if not arg.startswith("-"):
            return os.path.splitext(os.path.basename(arg))[0]
    return os.path.basename(argv[0])


def assert_span_shape(tc: unittest.TestCase, span: dict) -> None:
    """Fields every span has, with their JSON types, and well-formed ids."""
    for name, kind in SPAN_FIELDS.items():
        tc.assertIn(name, span, f"span lacks field {name}: {span}")
        tc.assertIsInstance(span[name], kind, f"field {name} of {span}")
        tc.assertNotIsInstance(span[name], bool, f"field {name} of {span}")
    tc.assertRegex(span["trace_id"], r"^[0-9a-f]{32}$")
    tc.assertNotEqual(span["trace_id"], "0" * 32)
    tc.assertRegex(span["span_id"], r"^[0-9a-f]{16}$")
    tc.assertNotEqual(span["span_id"], "0" * 16)
    tc.assertRegex(span["parent_span_id"], r"^([0-9a-f]{16})?$")
    tc.assertLessEqual(span["start_time_unix_nano"], span["end_time_unix_nano"])
    tc.assertAlmostEqual(span["duration_ms"], (span["end_time_unix_nano"] - span["start_time_unix_nano"]) / 1e6,
                         delta=0.001, msg="duration_ms must equal end - start")


def _typed(value):
    """A value with its JSON type, so 200 and "200" (or 200.0) never compare equal."""
    return (type(value).__name__, value)


def assert_attrs(tc, span: dict, expected: dict) -> None:
    """Each expected attribute with its exact value and type, all reported in one diff."""
    actual = {key: _typed(attr(span, key)) for key in expected}
    tc.assertEqual(actual, {key: _typed(value) for key, value in expected.items()},
                   f"{span['kind']} span attributes; all of them: {span['attributes']}")


def assert_within(tc, span: dict, start_ns: int, end_ns: int) -> None:
    """The span lies inside a wall clock window the test measured around the exchange."""
    tc.assertGreaterEqual(span["start_time_unix_nano"], start_ns - CLOCK_SLACK_NS,
                          f"{span['kind']} span starts before the client was started")
    tc.assertLessEqual(span["end_time_unix_nano"], end_ns + CLOCK_SLACK_NS,
                       f"{span['kind']} span ends after the client had exited")


def assert_encloses(tc, client: dict, server: dict) -> None:
    """The client sends the first request byte before the server reads it, and reads the last
    response byte after the server wrote it."""
    tc.assertLessEqual(client["start_time_unix_nano"], server["start_time_unix_nano"] + CLOCK_SLACK_NS,
                       "CLIENT span must start no later than the SERVER span")
    tc.assertGreaterEqual(client["end_time_unix_nano"] + CLOCK_SLACK_NS, server["end_time_unix_nano"],
                          "CLIENT span must end no earlier than the SERVER span")


def assert_resource(tc, span: dict, service: str, pid: int, exe_path: str, command_line: str = None,
                    extra: dict = None) -> None:
    """Resource attributes of the process that owns the span, all reported in one diff."""
    resource = span["resource"]
    expected = {"service.name": service, "process.pid": pid, "process.executable.name": os.path.basename(exe_path),
                "process.executable.path": exe_path, "host.name": socket.gethostname(),
                "telemetry.sdk.name": "otelbpf", **(extra or {})}
    actual = {key: _typed(resource.get(key)) for key in expected}
    if command_line is not None:
        expected["process.command_line"] = normalized(command_line)
        actual["process.command_line"] = _typed(normalized(resource.get("process.command_line") or ""))
    tc.assertEqual(actual, {key: _typed(value) for key, value in expected.items()},
                   f"{span['kind']} span resource; all of it: {resource}")
    for key in ("telemetry.sdk.language", "telemetry.sdk.version"):
        tc.assertIsInstance(res(span, key), str, f"{key}; resource: {resource}")
        tc.assertNotEqual(res(span, key), "", key)


def assert_curl_get_hello(tc, spans: list, run, nginx, curl_version: str, resource_extra: dict = None):
    """curl → nginx `GET /hello?x=1`: exactly one SERVER span (nginx worker) and one CLIENT
    span (that curl process) for nginx's port, every attribute exact."""
    mine = select(spans, server_port=nginx.port)
    servers = [s for s in mine if s["kind"] == "SERVER"]
    clients = [s for s in mine if s["kind"] == "CLIENT"]
    tc.assertEqual(len(servers), 1, f"SERVER spans for port {nginx.port}: {servers}")
    tc.assertEqual(len(clients), 1, f"CLIENT spans for port {nginx.port}: {clients}")
    tc.assertEqual(len(mine), 2, f"spans for port {nginx.port}: {mine}")
    server, client = servers[0], clients[0]
    # Each aspect in its own subTest: one run reports every discrepancy, not only the first.
    common = {
        "http.request.method": "GET", "url.path": "/hello", "url.query": "x=1", "url.scheme": "http",
        "http.response.status_code": 200, "server.address": "127.0.0.1", "server.port": nginx.port,
        "network.peer.address": "127.0.0.1", "network.protocol.version": "1.1",
        "user_agent.original": f"curl/{curl_version}", "http.response.body.size": 5,
    }
    for span in (server, client):
        with tc.subTest(f"{span['kind']} span shape, name and status"):
            assert_span_shape(tc, span)
            # Routes (docs/design.md): no pattern matches, so /hello gets its heuristic template
            # in url.template; a CLIENT span is named by it, a SERVER span only by an http.route.
            tc.assertEqual(span["name"], "GET" if span["kind"] == "SERVER" else "GET /hello")
            assert_attrs(tc, span, {"url.template": "/hello"})
            tc.assertNotIn("http.route", span["attributes"], "no route pattern: no http.route")
            tc.assertEqual(span["status"], "UNSET", f"{span['kind']} status of a 200")
            tc.assertNotIn("error.type", span["attributes"])
        with tc.subTest(f"{span['kind']} span timing"):
            assert_within(tc, span, run.start_ns, run.end_ns)

    with tc.subTest("SERVER span attributes"):
        assert_attrs(tc, server, {**common, "client.address": "127.0.0.1",
                                  "network.peer.port": run.transfers[0].local_port})
        tc.assertNotIn("url.full", server["attributes"], "url.full is for CLIENT spans only")
    with tc.subTest("SERVER span resource (nginx worker)"):
        pid = res(server, "process.pid")
        tc.assertIn(pid, nginx.worker_pids(), "SERVER span must come from an nginx worker")
        assert_resource(tc, server, "nginx", pid, realpath_of(nginx.binary), command_line_of(pid), resource_extra)

    with tc.subTest("CLIENT span attributes"):
        assert_attrs(tc, client, {**common, "network.peer.port": nginx.port,
                                  "url.full": f"http://127.0.0.1:{nginx.port}/hello?x=1"})
    with tc.subTest("CLIENT span resource (curl)"):
        if res(client, "process.executable.path") is None:
            # curl had already exited when the agent first read /proc/PID (very short-lived
            # clients, docs/reliability.md): the executable's path is only in /proc, but what the
            # kernel copied (name, command line, environment) must still be exact. Say it happened.
            sys.stderr.write(f"\n    [measured] curl (pid {run.pid}) exited before the agent read /proc: "
                             f"resource from the kernel only: {client['resource']}\n")
            expected = {"service.name": "curl", "process.pid": run.pid, "process.executable.name": "curl",
                        **(resource_extra or {})}
            tc.assertEqual({key: res(client, key) for key in expected}, expected)
            tc.assertEqual(normalized(res(client, "process.command_line") or ""), normalized(" ".join(run.argv)))
        else:
            assert_resource(tc, client, "curl", run.pid, realpath_of(run.argv[0]), " ".join(run.argv),
                            resource_extra)
    with tc.subTest("CLIENT span encloses SERVER span"):
        assert_encloses(tc, client, server)
        tc.assertNotEqual(server["span_id"], client["span_id"])
