"""Redis and Memcached through the protocol seam, against real servers from Debian started on
127.0.0.1 (redis-server with a password, memcached), real clients (python3-redis in its own
process, redis-cli, python3-pymemcache), and the independent OTLP decoder:

- CLIENT spans of the client processes and SERVER spans of the servers, with the stable
  database conventions (db.system.name, db.operation.name, db.query.text without values,
  db.namespace after SELECT, db.response.status_code and error.type on error replies);
- pipelines give one span per command;
- the db.client.operation.duration histogram;
- secrets stay home: the password (AUTH, redis-cli -a) and the keys and values never appear in
  any exported byte (spans, metrics, the agent's own output);
- a connection opened (and authenticated) before the agent started: its later commands are
  spans, classified from the middle of the stream."""

import os
import subprocess
import sys
import time
import unittest

from otelbpf_it import config
from otelbpf_it.case import IntegrationTest
from otelbpf_it.databases import SECRET_PASSWORD, MemcachedServer, RedisServer
from otelbpf_it.measured import report
from otelbpf_it.spans import attr, res

WAIT = 15.0
SECRET_KEY = "customer:4242:ssn"
SECRET_VALUE = "value-078-05-1120"


# Run as `python3 test_redis_memcached.py redis PORT` or `... memcached PORT`: one client process.
def _redis_client(port: int) -> None:
    import redis
    r = redis.Redis(host="127.0.0.1", port=port, password=SECRET_PASSWORD)
    r.set(SECRET_KEY, SECRET_VALUE)
    assert r.get(SECRET_KEY).decode() == SECRET_VALUE
    r.execute_command("SELECT", "3")
    r.lpush("a-list", "x")
    try:
        r.incr("a-list")  # INCRBY on a list: WRONGTYPE
    except redis.ResponseError:
        pass
    pipe = r.pipeline(transaction=False)
    pipe.set("p1", "1")
    pipe.set("p2", "2")
    pipe.get("p1")
    pipe.execute()
    print("ok")


def _memcached_client(port: int) -> None:
    from pymemcache.client.base import Client
    c = Client(("127.0.0.1", port))
    c.set(SECRET_KEY.replace(":", "_"), SECRET_VALUE)
    assert c.get(SECRET_KEY.replace(":", "_")).decode() == SECRET_VALUE
    c.get_many(["k1", "k2", SECRET_KEY.replace(":", "_")])
    c.delete("missing-key")
    c.incr("not-a-number-key", 1)
    print("ok")


def _redis_early_client(port: int, go_on: str) -> None:
    """Connects, authenticates and pings, says "waiting", and sends more once GO_ON exists."""
    import redis
    r = redis.Redis(host="127.0.0.1", port=port, password=SECRET_PASSWORD, single_connection_client=True)
    r.ping()
    print("waiting", flush=True)
    deadline = time.monotonic() + 30
    while not os.path.exists(go_on) and time.monotonic() < deadline:
        time.sleep(0.05)
    r.set(SECRET_KEY, SECRET_VALUE)
    assert r.get(SECRET_KEY).decode() == SECRET_VALUE
    try:
        r.incr(SECRET_KEY)  # not an integer
    except redis.ResponseError:
        pass
    r.close()
    print("ok", flush=True)


def run_client(test: unittest.TestCase, kind: str, port: int) -> int:
    """Runs this file as a client process (its own pid) to completion; returns the pid."""
    p = subprocess.Popen([sys.executable, os.path.abspath(__file__), kind, str(port)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = p.communicate(timeout=60)
    test.assertEqual((p.returncode, out.strip()), (0, "ok"), err)
    return p.pid


class RedisMemcachedTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.start_receiver()
        self.agent = self.start_agent("--prometheus=false", extra_env={"OTEL_METRIC_EXPORT_INTERVAL": "500"})

    def client_pid(self, kind: str, port: int) -> int:
        return run_client(self, kind, port)

    def db_spans(self, system: str, pid: int, kind: str, count: int) -> list:
        return self.wait_received(
            lambda s: attr(s, "db.system.name") == system and res(s, "process.pid") == pid and s["kind"] == kind,
            count, f"{kind} {system} spans of pid {pid}", timeout=WAIT)

    def test_redis_client_and_server_spans_without_secrets(self):
        redis = RedisServer(self.workdir, password=SECRET_PASSWORD)
        self.addCleanup(redis.stop)
        self.ports.add(redis.port)
        pid = self.client_pid("redis", redis.port)
        spans = self.db_spans("redis", pid, "CLIENT", 9)
        ops = [attr(s, "db.operation.name") for s in spans]
        self.assertEqual(ops[:2], ["AUTH", "SET"], ops)
        self.assertEqual(attr(spans[0], "db.query.text"), "AUTH ?")
        by_op = {}
        for s in spans:
            by_op.setdefault(attr(s, "db.operation.name"), []).append(s)
        for op in ("SET", "GET", "SELECT", "LPUSH", "INCRBY"):
            self.assertIn(op, by_op, ops)
        first_set = by_op["SET"][0]
        self.assertEqual(first_set["name"], "SET")
        self.assertEqual(attr(first_set, "db.query.text"), "SET ? ?")
        self.assertEqual(attr(first_set, "server.address"), "127.0.0.1")
        self.assertEqual(attr(first_set, "server.port"), redis.port)
        self.assertEqual(attr(first_set, "network.peer.port"), redis.port)
        self.assertEqual(first_set["status"], "UNSET")
        self.assertIsNone(attr(first_set, "db.namespace"), "no SELECT yet")
        # After SELECT 3 the connection's namespace is 3.
        self.assertEqual(attr(by_op["LPUSH"][0], "db.namespace"), "3")
        self.assertEqual(by_op["LPUSH"][0]["name"], "LPUSH 3")
        wrong = by_op["INCRBY"][0]
        self.assertEqual(attr(wrong, "db.response.status_code"), "WRONGTYPE")
        self.assertEqual(attr(wrong, "error.type"), "WRONGTYPE")
        self.assertEqual(wrong["status"], "ERROR")
        # The pipeline: three commands in one send, three spans.
        self.assertGreaterEqual(len(by_op["SET"]), 3, ops)
        self.assertGreaterEqual(len(by_op["GET"]), 2, ops)
        for s in spans:
            self.assertGreaterEqual(s["end_time_unix_nano"], s["start_time_unix_nano"])
        # The server's own view: SERVER spans of redis-server with the client as peer.
        server = self.db_spans("redis", redis.process.pid, "SERVER", 9)
        self.assertIn("SET", [attr(s, "db.operation.name") for s in server])
        self.assertTrue(all(attr(s, "server.port") == redis.port for s in server))
        # redis-cli -a PASSWORD: the password is on its command line, which is masked.
        cli = subprocess.run([config.tool("redis-cli"), "-p", str(redis.port), "-a", SECRET_PASSWORD,
                              "--no-auth-warning", "PING"], capture_output=True, text=True, timeout=30)
        self.assertEqual(cli.stdout.strip(), "PONG", cli.stderr)
        ping = self.wait_received(lambda s: attr(s, "db.operation.name") == "PING" and s["kind"] == "CLIENT"
                                  and res(s, "process.executable.name") == "redis-cli", 1, "redis-cli PING")[0]
        self.assertIn("-a ****", res(ping, "process.command_line"))
        # The RED metric of database clients: one series per namespace (SET before and after
        # SELECT 3), cumulative counts.
        deadline = time.monotonic() + WAIT
        latest = {}
        while time.monotonic() < deadline and set(latest) != {None, "3"}:
            for p in self.receiver.metrics():
                if (p["name"] == "db.client.operation.duration" and res(p, "process.pid") == pid
                        and p["attributes"].get("db.operation.name") == "SET"):
                    ns = p["attributes"].get("db.namespace")
                    if ns not in latest or p["time_unix_nano"] > latest[ns]["time_unix_nano"]:
                        latest[ns] = p
            time.sleep(0.25)
        self.assertEqual(set(latest), {None, "3"}, "SET series without and with db.namespace")
        self.assertEqual(latest[None]["count"], 1)
        self.assertEqual(latest["3"]["count"], 2)
        for p in latest.values():
            self.assertEqual(p["unit"], "s")
            self.assertEqual(p["attributes"].get("db.system.name"), "redis")
            self.assertEqual(p["attributes"].get("server.port"), redis.port)
            self.assertNotIn("db.query.text", p["attributes"])
        self.assert_no_secret_left_the_machine([SECRET_PASSWORD, SECRET_KEY, SECRET_VALUE])

    def test_memcached_client_and_server_spans_without_values(self):
        mc = MemcachedServer(self.workdir)
        self.addCleanup(mc.stop)
        self.ports.add(mc.port)
        pid = self.client_pid("memcached", mc.port)
        spans = self.db_spans("memcached", pid, "CLIENT", 5)
        ops = [attr(s, "db.operation.name") for s in spans]
        self.assertEqual(ops[:3], ["set", "get", "get"], ops)
        set_span, get_span, multi_get = spans[0], spans[1], spans[2]
        self.assertEqual(set_span["name"], "set")
        self.assertEqual(attr(set_span, "server.port"), mc.port)
        self.assertEqual(attr(get_span, "db.response.returned_rows"), 1)
        self.assertEqual(attr(multi_get, "db.response.returned_rows"), 1, "only one of three keys exists")
        self.assertIn("delete", ops)
        self.assertIn("incr", ops)
        server = self.db_spans("memcached", mc.process.pid, "SERVER", 5)
        self.assertEqual([attr(s, "db.operation.name") for s in server][:2], ["set", "get"])
        self.assert_no_secret_left_the_machine([SECRET_VALUE, SECRET_KEY.replace(":", "_")])


class ProtocolSelectionTest(IntegrationTest):
    """--protocols narrows what the kernel classifies; a wrong name is a clear error."""

    def test_only_selected_protocols_are_followed(self):
        redis = RedisServer(self.workdir)
        self.addCleanup(redis.stop)
        mc = MemcachedServer(self.workdir)
        self.addCleanup(mc.stop)
        self.ports.update({redis.port, mc.port})
        self.start_receiver()
        self.start_agent("--prometheus=false", "--protocols", "memcached")
        mc_pid = self.client_pid("memcached", mc.port)
        self.wait_received(lambda s: res(s, "process.pid") == mc_pid, 5, "memcached spans", timeout=WAIT)
        cli = subprocess.run([config.tool("redis-cli"), "-p", str(redis.port), "PING"], capture_output=True,
                             text=True, timeout=30)
        self.assertEqual(cli.stdout.strip(), "PONG", cli.stderr)
        self.settle(2.0)
        redis_spans = [s for s in self.receiver.spans() if attr(s, "db.system.name") == "redis"]
        self.assertEqual(redis_spans, [], "redis was not selected")

    def client_pid(self, kind: str, port: int) -> int:
        return run_client(self, kind, port)

    def test_unknown_protocol_names_fail_with_the_known_ones(self):
        done = subprocess.run([config.agent_binary(), "run", "--protocols", "http1,gopher"], capture_output=True,
                              text=True, timeout=30)
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("unknown protocol 'gopher'", done.stderr)
        self.assertIn("postgresql", done.stderr)
        env = dict(os.environ, OTEL_EBPF_PROTOCOLS="nope")
        done = subprocess.run([config.agent_binary(), "run"], capture_output=True, text=True, timeout=30, env=env)
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("OTEL_EBPF_PROTOCOLS", done.stderr)
        done = subprocess.run([config.agent_binary(), "run", "--protocol-port", "redis"], capture_output=True,
                              text=True, timeout=30)
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("PROTOCOL=PORT", done.stderr)


class RedisConnectionBeforeAgentTest(IntegrationTest):
    def test_redis_connection_opened_before_the_agent(self):
        redis = RedisServer(self.workdir, password=SECRET_PASSWORD)
        self.addCleanup(redis.stop)
        self.ports.add(redis.port)
        pid, agent = self.agent_after_client_connected(
            [sys.executable, os.path.abspath(__file__), "redis-early", str(redis.port)], "--prometheus=false")
        spans = self.wait_received(
            lambda s: attr(s, "db.system.name") == "redis" and res(s, "process.pid") == pid
            and s["kind"] == "CLIENT", 3, "the early client's CLIENT spans", timeout=WAIT)
        self.assertEqual([attr(s, "db.operation.name") for s in spans], ["SET", "GET", "INCRBY"])
        self.assertEqual(attr(spans[0], "db.query.text"), "SET ? ?")
        self.assertEqual(spans[2]["status"], "ERROR")
        self.assertEqual(attr(spans[2], "db.response.status_code"), "ERR")
        servers = self.wait_received(
            lambda s: attr(s, "db.system.name") == "redis" and res(s, "process.pid") == redis.process.pid
            and s["kind"] == "SERVER", 3, "redis-server's SERVER spans", timeout=WAIT)
        self.assertEqual(sorted(attr(s, "db.operation.name") for s in servers), ["GET", "INCRBY", "SET"])
        self.stop_agent(agent)
        self.assert_no_secret_left_the_machine([SECRET_PASSWORD, SECRET_KEY, SECRET_VALUE])
        report("Redis connection opened before the agent: SET, GET, INCRBY (error) as CLIENT and SERVER spans")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "redis":
        _redis_client(int(sys.argv[2]))
    elif len(sys.argv) == 3 and sys.argv[1] == "memcached":
        _memcached_client(int(sys.argv[2]))
    elif len(sys.argv) == 4 and sys.argv[1] == "redis-early":
        _redis_early_client(int(sys.argv[2]), sys.argv[3])
    else:
        unittest.main()
