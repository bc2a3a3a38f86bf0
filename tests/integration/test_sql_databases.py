"""PostgreSQL and MariaDB through the protocol seam, against real servers from Debian (a cluster
made with initdb and run by the unprivileged postgres user; mariadbd with its own datadir), both
on 127.0.0.1 with password authentication, driven by real clients (psycopg2, pgbench with the
extended protocol and prepared statements, PyMySQL), checked through the independent OTLP
decoder:

- CLIENT spans of the clients and SERVER spans of the database processes, by the stable
  database conventions: db.system.name, db.namespace (the database the client connected to),
  db.operation.name, db.collection.name, db.query.summary (the span's name), db.query.text with
  every literal replaced by '?', db.response.status_code (SQLSTATE / error number) and
  error.type on errors;
- prepared statements named by their text (pgbench -M prepared), one span per execution;
- db.client.operation.duration;
- the password and the literals the clients sent never leave the machine;
- connections opened before the agent started: their later queries are spans classified from
  the middle of the stream; a statement prepared before (pgbench -M prepared) is named by what
  the server says it did, never by an invented text, and counted (unknown_statements)."""

import os
import re
import subprocess
import sys
import time
import unittest

from otelbpf_it import config
from otelbpf_it.case import IntegrationTest
from otelbpf_it.databases import SECRET_PASSWORD, MariaDbServer, PostgresServer, _postgres_bin
from otelbpf_it.measured import report
from otelbpf_it.spans import attr, res

WAIT = 20.0
SECRET_LITERAL = "card-4111-1111-1111-1111"


def _postgres_client(dsn: str) -> None:
    import psycopg2
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    cur = conn.cursor()
    if "sslmode=require" in dsn:  # the TLS test: make sure the session really is encrypted
        cur.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        assert cur.fetchone()[0] is True
    cur.execute("CREATE TABLE items (id integer PRIMARY KEY, note text)")
    cur.execute("INSERT INTO items VALUES (%s, %s)", (1, SECRET_LITERAL))
    cur.execute("SELECT note FROM items WHERE id = %s", (1,))
    assert cur.fetchone()[0] == SECRET_LITERAL
    try:
        cur.execute("SELECT * FROM missing_table")
    except psycopg2.errors.UndefinedTable:
        pass
    conn.close()
    print("ok")


def _mysql_client(port: int) -> None:
    import pymysql
    conn = pymysql.connect(host="127.0.0.1", port=port, user=MariaDbServer.USER, password=SECRET_PASSWORD,
                           database=MariaDbServer.DATABASE, autocommit=True)
    cur = conn.cursor()
    cur.execute("CREATE TABLE items (id INT PRIMARY KEY, note VARCHAR(64))")
    cur.execute("INSERT INTO items VALUES (%s, %s)", (1, SECRET_LITERAL))
    cur.execute("SELECT note FROM items WHERE id = %s", (1,))
    assert cur.fetchone()[0] == SECRET_LITERAL
    try:
        cur.execute("SELECT * FROM missing_table")
    except pymysql.err.ProgrammingError:
        pass
    conn.close()
    print("ok")


def _mysql_early_client(port: int, go_on: str) -> None:
    """Connects and queries once, says "waiting", and queries again once GO_ON exists."""
    import pymysql
    conn = pymysql.connect(host="127.0.0.1", port=port, user=MariaDbServer.USER, password=SECRET_PASSWORD,
                           database=MariaDbServer.DATABASE, autocommit=True)
    cur = conn.cursor()
    cur.execute("SELECT 1")
    print("waiting", flush=True)
    deadline = time.monotonic() + 30
    while not os.path.exists(go_on) and time.monotonic() < deadline:
        time.sleep(0.05)
    cur.execute("CREATE TABLE early_items (id INT PRIMARY KEY, note VARCHAR(64))")
    cur.execute("INSERT INTO early_items VALUES (%s, %s)", (1, SECRET_LITERAL))
    cur.execute("SELECT note FROM early_items WHERE id = %s", (1,))
    assert cur.fetchone()[0] == SECRET_LITERAL
    try:
        cur.execute("SELECT * FROM missing_table")
    except pymysql.err.ProgrammingError:
        pass
    conn.close()
    print("ok", flush=True)


class SqlDatabasesTest(IntegrationTest):
    def start_agent_after(self, server) -> None:
        """The server is set up (passwords set over its local socket) before the agent starts."""
        self.addCleanup(server.stop)
        self.ports.add(server.port)
        self.start_receiver()
        self.agent = self.start_agent("--prometheus=false", extra_env={"OTEL_METRIC_EXPORT_INTERVAL": "500"})

    def client(self, *args) -> int:
        p = subprocess.Popen([sys.executable, os.path.abspath(__file__), *map(str, args)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = p.communicate(timeout=60)
        self.assertEqual((p.returncode, out.strip()), (0, "ok"), err)
        return p.pid

    def spans_of(self, pid: int, kind: str, count: int, system: str) -> list:
        return self.wait_received(
            lambda s: res(s, "process.pid") == pid and s["kind"] == kind and attr(s, "db.system.name") == system,
            count, f"{kind} {system} spans of pid {pid}", timeout=WAIT)

    def assert_exported_nothing_of(self, secrets: list) -> None:
        self.settle(1.0)
        exported = ""
        for name in os.listdir(self.workdir):
            path = os.path.join(self.workdir, name)
            if os.path.isfile(path) and not name.startswith(("postgres", "mariadbd")):
                with open(path, "rb") as f:
                    exported += f.read().decode("utf-8", "replace")
        self.assertIn("db.system.name", exported, "the check must look at real exported data")
        for secret in secrets:
            self.assertNotIn(secret, exported, f"{secret!r} left the machine")

    def check_sql_spans(self, spans: list, system: str, port: int, error_code: str) -> None:
        by_summary = {attr(s, "db.query.summary") or s["name"]: s for s in spans}
        self.assertIn("INSERT items", by_summary, [s["name"] for s in spans])
        insert = by_summary["INSERT items"]
        self.assertEqual(insert["name"], "INSERT items")
        self.assertEqual(attr(insert, "db.operation.name"), "INSERT")
        self.assertEqual(attr(insert, "db.collection.name"), "items")
        self.assertNotIn(SECRET_LITERAL, attr(insert, "db.query.text"))
        self.assertIn("?", attr(insert, "db.query.text"))
        select = by_summary["SELECT items"]
        self.assertEqual(attr(select, "db.query.text"), "SELECT note FROM items WHERE id = ?")
        self.assertEqual(attr(select, "db.namespace"), "shop")
        self.assertEqual(attr(select, "server.port"), port)
        self.assertEqual(attr(select, "server.address"), "127.0.0.1")
        self.assertEqual(select["status"], "UNSET")
        errors = [s for s in spans if s["status"] == "ERROR"]
        self.assertEqual(len(errors), 1, [s["name"] for s in errors])
        self.assertEqual(attr(errors[0], "db.response.status_code"), error_code)
        self.assertEqual(attr(errors[0], "error.type"), error_code)
        self.assertEqual(attr(errors[0], "db.collection.name"), "missing_table")

    def wait_metric(self, pid: int, system: str) -> dict:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            points = [p for p in self.receiver.metrics() if p["name"] == "db.client.operation.duration"
                      and res(p, "process.pid") == pid and p["attributes"].get("db.system.name") == system]
            if points:
                return max(points, key=lambda p: p["time_unix_nano"])
            time.sleep(0.25)
        self.fail(f"no db.client.operation.duration for {system} pid {pid}\n{self.diagnostics()}")

    def postgres_session(self, pg, dsn: str) -> tuple:
        """The agent, then the psycopg2 client: (client pid, its CLIENT spans, the backend's
        SERVER spans), the client's checked by check_sql_spans."""
        self.start_agent_after(pg)
        pid = self.client("postgres", dsn)
        spans = self.spans_of(pid, "CLIENT", 4, "postgresql")
        self.check_sql_spans(spans, "postgresql", pg.port, "42P01")
        # The server's view, from the backend process postgres forked for this connection.
        server = self.wait_received(
            lambda s: s["kind"] == "SERVER" and attr(s, "db.system.name") == "postgresql"
            and attr(s, "server.port") == pg.port and attr(s, "db.collection.name") == "items", 2,
            "SERVER spans of the postgres backend", timeout=WAIT)
        self.assertIn("SELECT items", [s["name"] for s in server])
        return pid, spans, server

    def test_postgresql_simple_and_extended_protocol(self):
        pg = PostgresServer(self.workdir)
        pid, spans, server = self.postgres_session(pg, pg.dsn())
        self.assertEqual(res(server[0], "process.executable.name"), "postgres")
        point = self.wait_metric(pid, "postgresql")
        self.assertEqual(point["unit"], "s")
        # pgbench: the extended protocol with named prepared statements (Parse once, then
        # Bind/Execute per transaction): every execution is a span named by its statement.
        env = dict(os.environ, PGPASSWORD=SECRET_PASSWORD)
        common = ["-h", "127.0.0.1", "-p", str(pg.port), "-U", pg.USER]
        init = subprocess.run([_postgres_bin("pgbench"), "-i", "-s", "1", "-q", *common, pg.DATABASE],
                              env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(init.returncode, 0, init.stderr)
        bench = subprocess.Popen([_postgres_bin("pgbench"), "-M", "prepared", "-S", "-t", "5", *common, pg.DATABASE],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = bench.communicate(timeout=120)
        self.assertEqual(bench.returncode, 0, err)
        selects = self.wait_received(
            lambda s: res(s, "process.pid") == bench.pid and attr(s, "db.collection.name") == "pgbench_accounts",
            5, "pgbench's prepared SELECTs", timeout=WAIT)
        for s in selects:
            self.assertEqual(s["name"], "SELECT pgbench_accounts")
            self.assertEqual(attr(s, "db.query.text"), "SELECT abalance FROM pgbench_accounts WHERE aid = $1;")
        self.assert_exported_nothing_of([SECRET_PASSWORD, SECRET_LITERAL])

    def test_postgresql_over_tls(self):
        """libpq asks for TLS in cleartext (SSLRequest), then speaks TLS on the same connection:
        the kernel sees the handshake start, stops shipping the socket's bytes and starts a new
        generation whose bytes are the plaintext of SSL_read/SSL_write."""
        pg = PostgresServer(self.workdir, tls=True)
        pid, spans, server = self.postgres_session(pg, pg.dsn() + " sslmode=require")
        for s in spans + server:
            self.assertTrue(attr(s, "db.operation.name"), f"a span not made of a query: {s}")
        self.assert_exported_nothing_of([SECRET_PASSWORD, SECRET_LITERAL])
        self.stop_agent(self.agent)
        report(f"PostgreSQL over TLS (SSLRequest, then TLS): {len(spans)} CLIENT + {len(server)} SERVER spans")

    def test_mariadb_queries_errors_and_secrets(self):
        db = MariaDbServer(self.workdir)
        self.start_agent_after(db)
        pid = self.client("mysql", db.port)
        spans = self.spans_of(pid, "CLIENT", 4, "mariadb")
        self.check_sql_spans(spans, "mariadb", db.port, "1146")
        server = self.spans_of(db.process.pid, "SERVER", 4, "mariadb")
        self.assertIn("SELECT items", [s["name"] for s in server])
        self.wait_metric(pid, "mariadb")
        self.assert_exported_nothing_of([SECRET_PASSWORD, SECRET_LITERAL])

    # ---- connections opened before the agent ---------------------------------------------

    def test_postgresql_statements_prepared_before_the_agent(self):
        pg = PostgresServer(self.workdir)
        self.addCleanup(pg.stop)
        self.ports.add(pg.port)
        env = dict(os.environ, PGPASSWORD=SECRET_PASSWORD)
        common = ["-h", "127.0.0.1", "-p", str(pg.port), "-U", pg.USER]
        init = subprocess.run([_postgres_bin("pgbench"), "-i", "-s", "1", "-q", *common, pg.DATABASE],
                              env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(init.returncode, 0, init.stderr)
        # One connection, its statement prepared (Parse) at its first transaction, then
        # executed (Bind/Execute) for 6 s: the agent starts in the middle.
        bench = subprocess.Popen([_postgres_bin("pgbench"), "-M", "prepared", "-S", "-c", "1", "-T", "6", *common,
                                  pg.DATABASE], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(bench.kill)
        time.sleep(1.5)
        self.start_receiver()
        agent = self.start_agent("--prometheus=false")
        out, err = bench.communicate(timeout=60)
        self.assertEqual(bench.returncode, 0, err)
        clients = self.spans_of(bench.pid, "CLIENT", 20, "postgresql")
        for s in clients:
            # The server's CommandComplete says SELECT; the statement's text was never seen.
            self.assertEqual(attr(s, "db.operation.name"), "SELECT", s)
            self.assertEqual(s["name"], "SELECT", s)
            self.assertIsNone(attr(s, "db.query.text"), f"an invented statement text: {s}")
            self.assertIsNone(attr(s, "db.collection.name"), s)
            self.assertEqual(attr(s, "server.port"), pg.port)
        servers = self.wait_received(
            lambda s: s["kind"] == "SERVER" and attr(s, "db.system.name") == "postgresql"
            and attr(s, "server.port") == pg.port, 20, "the backend's SERVER spans", timeout=WAIT)
        self.assertEqual({attr(s, "db.query.text") for s in servers}, {None})
        self.stop_agent(agent)
        counted = [int(n) for n in re.findall(r"postgresql: [^\n]*unknown_statements=(\d+)", agent.process.stderr())]
        self.assertTrue(counted and counted[-1] >= len(clients),
                        f"executions of statements prepared before the agent are counted: {counted}")
        report(f"pgbench -M prepared started before the agent: {len(clients)} CLIENT + {len(servers)} SERVER "
               f"spans named SELECT (no invented text), unknown_statements={counted[-1]}")

    def test_mariadb_connection_opened_before_the_agent(self):
        db = MariaDbServer(self.workdir)
        self.addCleanup(db.stop)
        self.ports.add(db.port)
        pid, agent = self.agent_after_client_connected(
            [sys.executable, os.path.abspath(__file__), "mysql-early", str(db.port)], "--prometheus=false")
        # The server's greeting, which names MariaDB, was before the agent: the wire protocol's
        # name is all that is known.
        spans = self.spans_of(pid, "CLIENT", 4, "mysql")
        by_summary = {attr(s, "db.query.summary") or s["name"]: s for s in spans}
        select = by_summary["SELECT early_items"]
        self.assertEqual(attr(select, "db.query.text"), "SELECT note FROM early_items WHERE id = ?")
        self.assertIsNone(attr(select, "db.namespace"), "the handshake that named the database was not seen")
        self.assertIn("INSERT early_items", by_summary)
        errors = [s for s in spans if s["status"] == "ERROR"]
        self.assertEqual([attr(s, "db.response.status_code") for s in errors], ["1146"])
        self.stop_agent(agent)
        self.assert_exported_nothing_of([SECRET_PASSWORD, SECRET_LITERAL])
        report(f"MariaDB connection opened before the agent: {len(spans)} CLIENT spans of its later queries")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "postgres":
        _postgres_client(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "mysql":
        _mysql_client(int(sys.argv[2]))
    elif len(sys.argv) == 4 and sys.argv[1] == "mysql-early":
        _mysql_early_client(int(sys.argv[2]), sys.argv[3])
    else:
        unittest.main()
