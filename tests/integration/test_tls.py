"""TLS plaintext through OpenSSL uprobes (bpf/tls_openssl.bpf.h), against real peers from
Debian on 127.0.0.1, checked through the independent OTLP decoder:

- nginx with TLS (a certificate made now with the openssl command) and curl --http1.1: CLIENT
  and SERVER spans with url.scheme "https", linked into one trace on this host (SSL_read and
  SSL_write, OpenSSL 3);
- a Python HTTPS server and client (the ssl module calls SSL_read_ex and SSL_write_ex);
- a keep-alive HTTPS connection opened before the agent started: its next requests are spans;
- Redis over TLS (redis-server --tls-port, redis-cli --tls): database spans, no secrets;
- a Go HTTPS server and clients (crypto/tls, no libssl; bpf/tls_go.bpf.h): HTTP/1.1 and
  HTTP/2 (Go to Go, and curl to Go), both ends' spans linked on this host;
- a program that loads its own copy of libssl after otelbpf looked at it (a late `import ssl`):
  the copy gets its uprobes at the program's first TLS connection;
- clients killed inside a TLS handshake and inside SSL_read, then connections alternating
  between two servers (SSL objects freed and reallocated): every request on its own connection;
- a stripped Go HTTPS client (no symbols to probe): its TLS is reported once as unreadable and
  counted, and nothing is made of its ciphertext;
- ciphertext never becomes a span: every span of these peers carries a real method or command.
"""

import os
import subprocess
import sys
import time
import unittest

from otelbpf_it import config
from otelbpf_it.case import IntegrationTest
from otelbpf_it.golang import build_go
from otelbpf_it.measured import report
from otelbpf_it.nginx import make_certificate
from otelbpf_it.ports import free_port, wait_listening
from otelbpf_it.procs import Process, write_file as write
from otelbpf_it.selfmetrics import require_counters
from otelbpf_it.spans import attr, res

WAIT = 15.0
SECRET_PASSWORD = "tls-secret-4242"

# A Python HTTPS server (its own process): http.server behind ssl.wrap_socket, keep-alive.
PYTHON_HTTPS_SERVER = r'''
import http.server, ssl, sys
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = b"python over tls"
        self.send_response(200 if self.path != "/teapot" else 418)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
server = http.server.HTTPServer(("127.0.0.1", port), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
'''

# A Python HTTPS client on one keep-alive connection: requests the paths given, and with
# "--wait FILE" makes the first request, then waits for FILE to appear before the others.
PYTHON_HTTPS_CLIENT = r'''
import http.client, os, ssl, sys, time
port, paths = int(sys.argv[1]), sys.argv[2].split(",")
wait_for = sys.argv[3] if len(sys.argv) > 3 else None
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
conn = http.client.HTTPSConnection("127.0.0.1", port, context=context)
for n, path in enumerate(paths):
    if n == 1 and wait_for:
        print("waiting", flush=True)
        while not os.path.exists(wait_for):
            time.sleep(0.05)
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
print("ok", flush=True)
'''

# A Python HTTPS client that loads OpenSSL only when it first needs it (`import ssl` late, as
# many programs do): it waits for FILE, imports ssl, says which libssl it mapped, then makes
# COUNT requests on one keep-alive connection, a little apart.
LAZY_TLS_CLIENT = r'''
import os, sys, time
port, wait_for, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
print("started", flush=True)
while not os.path.exists(wait_for):
    time.sleep(0.05)
import http.client, ssl  # http.client imports ssl too: neither before this point
with open("/proc/self/maps") as maps:
    print("mapped", sorted({l.split()[-1] for l in maps if "libssl.so" in l}), flush=True)
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
conn = http.client.HTTPSConnection("127.0.0.1", port, context=context)
for n in range(count):
    conn.request("GET", f"/lazy/{n}")
    conn.getresponse().read()
    time.sleep(0.2)
print("ok", flush=True)
'''

# A Python HTTPS client that opens a new connection for every request, alternating between two
# servers: each connection's SSL object is freed before the next is made, so the allocator may
# hand the next one the same address on another socket (a stale SSL -> fd mapping would put a
# request on the wrong connection). Paths name the port they go to.
ALTERNATING_TLS_CLIENT = r'''
import http.client, ssl, sys
ports, rounds = [int(p) for p in sys.argv[1].split(",")], int(sys.argv[2])
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
for n in range(rounds):
    port = ports[n % len(ports)]
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context)
    conn.request("GET", f"/to/{port}/{n}")
    conn.getresponse().read()
    conn.close()
print("ok", flush=True)
'''

# A TCP server that accepts and never answers (a TLS client hangs in its handshake), and one
# that completes the handshake, reads a request and never answers (the client hangs in SSL_read).
SILENT_SERVERS = r'''
import socket, ssl, sys, threading, time
handshake_port, call_port, cert, key = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
def listen(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(8)
    return s
mute, answering = listen(handshake_port), listen(call_port)
held = []
def hold_handshakes():
    while True:
        held.append(mute.accept()[0])
threading.Thread(target=hold_handshakes, daemon=True).start()
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
while True:
    try:  # the test's own "is it listening" probe connects and leaves without a handshake
        conn = context.wrap_socket(answering.accept()[0], server_side=True)
        conn.recv(4096)
        held.append(conn)
    except (ssl.SSLError, OSError):
        pass
'''

# A TLS client that connects to PORT and makes one request, hanging wherever the server stops.
HANGING_TLS_CLIENT = r'''
import socket, ssl, sys
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
print("connecting", flush=True)
conn = context.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
print("handshake done", flush=True)
conn.sendall(b"GET /never-answered HTTP/1.1\r\nHost: x\r\n\r\n")
print("request sent", flush=True)
conn.recv(4096)
'''

# A Go HTTPS client (crypto/tls) on one keep-alive connection, HTTP/1.1 (or HTTP/2 with a fourth
# argument "h2"): waits the seconds given (a service's first calls come a while after it starts),
# requests each path, then lives on briefly (otelbpf looks at its libraries after seeing its TLS).
GO_HTTPS_CLIENT = r'''
package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	wait, _ := strconv.ParseFloat(os.Args[3], 64)
	time.Sleep(time.Duration(wait * float64(time.Second)))
	transport := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	if len(os.Args) > 4 && os.Args[4] == "h2" {
		transport.ForceAttemptHTTP2 = true
	} else {
		transport.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	client := &http.Client{Transport: transport}
	for _, path := range strings.Split(os.Args[2], ",") {
		resp, err := client.Get(os.Args[1] + path)
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	time.Sleep(2 * time.Second)
	fmt.Println("ok")
}
'''

# A Go HTTPS server (crypto/tls): HTTP/1.1, and HTTP/2 to clients that offer h2 (ALPN).
GO_HTTPS_SERVER = r'''
package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/teapot" {
			w.WriteHeader(http.StatusTeapot)
		}
		fmt.Fprint(w, "go over tls")
	})
	if err := http.ListenAndServeTLS(os.Args[1], os.Args[2], os.Args[3], nil); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
}
'''


class TlsTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.start_receiver()

    def assert_no_ciphertext_spans(self, pids: set) -> None:
        """Every span of these processes is a real request: a method or a database command."""
        self.settle(1.0)
        for s in self.receiver.spans():
            if res(s, "process.pid") not in pids:
                continue
            method = attr(s, "http.request.method") or attr(s, "db.operation.name")
            self.assertTrue(method, f"a span that is not a request: {s}")
            self.assertNotIn("\ufffd", s["name"], f"a span named by binary bytes: {s}")

    def python(self, name: str, source: str, *args) -> Process:
        script = write(os.path.join(self.workdir, f"{name}.py"), source)
        return Process(name, [sys.executable, script, *map(str, args)], self.workdir)

    # ---- nginx + curl ----------------------------------------------------------------

    def test_nginx_and_curl_over_tls_are_https_spans_in_one_trace(self):
        nginx = self.start_nginx(tls=True)
        workers = set(nginx.worker_pids())
        agent = self.start_agent()
        curl = subprocess.run([config.tool("curl"), "-sk", "--http1.1", nginx.url("/hello?page=1"),
                               nginx.url("/missing")], capture_output=True, text=True, timeout=30)
        self.assertEqual(curl.returncode, 0, curl.stderr)
        self.assertTrue(curl.stdout.startswith("hello"), curl.stdout)
        clients = self.wait_received(lambda s: s["kind"] == "CLIENT" and res(s, "process.executable.name") == "curl"
                                     and attr(s, "server.port") == nginx.port, 2, "curl CLIENT spans", WAIT)
        servers = self.wait_received(lambda s: s["kind"] == "SERVER" and res(s, "process.pid") in workers, 2,
                                     "nginx SERVER spans", WAIT)
        by_path = {attr(s, "url.path"): s for s in servers}
        self.assertEqual(set(by_path), {"/hello", "/missing"})
        self.assertEqual(attr(by_path["/hello"], "http.response.status_code"), 200)
        self.assertEqual(attr(by_path["/missing"], "http.response.status_code"), 404)
        for s in clients + servers:
            self.assertEqual(attr(s, "url.scheme"), "https", s)
        hello_client = next(s for s in clients if attr(s, "url.full", "").endswith("/hello?page=1"))
        self.assertTrue(attr(hello_client, "url.full").startswith(f"https://127.0.0.1:{nginx.port}/"))
        self.assertEqual(by_path["/hello"]["parent_span_id"], hello_client["span_id"],
                         "the SERVER span of nginx is the child of curl's CLIENT span (same host)")
        self.assertEqual(by_path["/hello"]["trace_id"], hello_client["trace_id"])
        self.assert_no_ciphertext_spans(workers | {res(clients[0], "process.pid")})
        self.stop_agent(agent)
        counters = require_counters(self, agent, "user space")
        self.assertGreaterEqual(counters["user space"]["tls_connections"], 2,
                                "both ends' handshake was recognised as TLS")
        self.assertEqual(counters["user space"]["tls_unreadable_processes"], 0)
        report(f"nginx + curl over TLS: {len(clients)} CLIENT and {len(servers)} SERVER spans, https, "
               f"one trace per request; tls_connections={counters['user space']['tls_connections']}")

    def test_tls_false_leaves_tls_traffic_alone(self):
        nginx = self.start_nginx(tls=True)
        workers = set(nginx.worker_pids())
        agent = self.start_agent("--tls=false")
        curl = subprocess.run([config.tool("curl"), "-sk", "--http1.1", nginx.url("/hello")],
                              capture_output=True, text=True, timeout=30)
        self.assertEqual(curl.stdout, "hello", curl.stderr)
        # A cleartext request through the same agent proves it was capturing meanwhile.
        plain = self.start_nginx()
        subprocess.run([config.tool("curl"), "-s", plain.url("/hello")], capture_output=True, timeout=30)
        self.wait_received(lambda s: s["kind"] == "SERVER" and attr(s, "server.port") == plain.port, 1,
                           "the cleartext nginx's SERVER span", WAIT)
        self.assertEqual([s for s in self.receiver.spans() if attr(s, "server.port") == nginx.port
                          or res(s, "process.pid") in workers], [], "no span of the TLS traffic")
        self.stop_agent(agent)
        self.assertNotIn("uprobes attached", agent.process.stderr())
        self.assertNotIn("speaks TLS through a library", agent.process.stderr())
        counters = require_counters(self, agent, "user space")
        self.assertGreaterEqual(counters["user space"]["tls_connections"], 1, "TLS is still recognised")
        report("--tls=false: no uprobes, no TLS spans, TLS records recognised and left alone")

    # ---- Python: SSL_read_ex / SSL_write_ex ---------------------------------------------

    def test_python_https_server_and_client(self):
        cert, key = make_certificate(self.workdir)
        port = free_port()
        self.ports.add(port)
        agent = self.start_agent()
        server = self.python("https-server", PYTHON_HTTPS_SERVER, port, cert, key)
        self.addCleanup(server.kill_group)
        wait_listening(port, 10, server.alive)
        client = self.python("https-client", PYTHON_HTTPS_CLIENT, port, "/a,/teapot,/b")
        self.assertEqual(client.wait(60), 0, client.stderr())
        servers = self.wait_received(lambda s: s["kind"] == "SERVER" and res(s, "process.pid") == server.pid, 3,
                                     "Python HTTPS SERVER spans", WAIT)
        clients = self.wait_received(lambda s: s["kind"] == "CLIENT" and res(s, "process.pid") == client.pid, 3,
                                     "Python HTTPS CLIENT spans", WAIT)
        self.assertEqual(sorted(attr(s, "url.path") for s in servers), ["/a", "/b", "/teapot"])
        self.assertEqual({attr(s, "url.scheme") for s in servers + clients}, {"https"})
        teapot = next(s for s in clients if attr(s, "url.full", "").endswith("/teapot"))
        self.assertEqual(attr(teapot, "http.response.status_code"), 418)
        self.assert_no_ciphertext_spans({server.pid, client.pid})
        self.stop_agent(agent)
        report("Python ssl (SSL_read_ex/SSL_write_ex): 3 SERVER + 3 CLIENT https spans")

    def test_libssl_loaded_after_the_process_was_scanned(self):
        """A program already looked at (no libssl then) loads its own copy of libssl later: the
        copy gets its uprobes when the program's first TLS connection shows up."""
        cert, key = make_certificate(self.workdir)
        port = free_port()
        self.ports.add(port)
        private = os.path.join(self.workdir, "private-openssl")
        os.makedirs(private)
        for name in ("libssl.so.3", "libcrypto.so.3"):  # a file of its own: not the host's
            subprocess.run(["cp", os.path.join("/usr/lib/x86_64-linux-gnu", name), private], check=True)
        server = self.python("https-server", PYTHON_HTTPS_SERVER, port, cert, key)
        self.addCleanup(server.kill_group)
        wait_listening(port, 10, server.alive)
        go_on = os.path.join(self.workdir, "go-on")
        script = write(os.path.join(self.workdir, "lazy-client.py"), LAZY_TLS_CLIENT)
        client = Process("lazy-client", [sys.executable, script, port, go_on, 12], self.workdir,
                         env=dict(os.environ, LD_LIBRARY_PATH=private))
        self.addCleanup(client.kill_group)
        deadline = time.monotonic() + 10
        while "started" not in client.stdout() and time.monotonic() < deadline:
            time.sleep(0.05)
        agent = self.start_agent()  # scans every running program, the client among them
        write(go_on, "")
        self.assertEqual(client.wait(60), 0, client.stderr())
        self.assertIn(f"mapped ['{private}/libssl.so.3']", client.stdout(), "the client used the private copy")
        clients = self.wait_received(lambda s: s["kind"] == "CLIENT" and res(s, "process.pid") == client.pid, 8,
                                     "CLIENT spans through the late-loaded libssl", WAIT)
        paths = sorted({attr(s, "url.path") for s in clients})
        self.assertEqual({attr(s, "url.scheme") for s in clients}, {"https"})
        self.assertTrue(set(paths) <= {f"/lazy/{n}" for n in range(12)}, paths)
        self.assertIn("/lazy/11", paths, "the requests after the attachment are all there")
        self.assert_no_ciphertext_spans({client.pid})
        self.stop_agent(agent)
        report(f"libssl copy loaded after the process was scanned: {len(paths)} of 12 requests are https "
               f"CLIENT spans (those before its uprobes were attached are missed)")

    def test_reused_ssl_objects_and_clients_killed_mid_handshake_and_mid_call(self):
        """SSL objects freed and reallocated on new sockets never carry an old socket's mapping,
        and clients killed inside a handshake or inside SSL_read leave nothing behind: the
        requests after them are spans on the right connections."""
        cert, key = make_certificate(self.workdir)
        port_a, port_b, mute_port, silent_port = (free_port() for _ in range(4))
        self.ports.update({port_a, port_b, mute_port, silent_port})
        agent = self.start_agent()
        servers = []
        for port in (port_a, port_b):
            server = self.python(f"https-server-{port}", PYTHON_HTTPS_SERVER, port, cert, key)
            self.addCleanup(server.kill_group)
            servers.append(server)
        silent = self.python("silent-servers", SILENT_SERVERS, mute_port, silent_port, cert, key)
        self.addCleanup(silent.kill_group)
        for port, proc in ((port_a, servers[0]), (port_b, servers[1]), (mute_port, silent), (silent_port, silent)):
            wait_listening(port, 10, proc.alive)
        # Killed where each one hangs: in the handshake, then in SSL_read after its request.
        for port, stage in ((mute_port, "connecting"), (silent_port, "request sent")):
            hanging = self.python(f"hanging-client-{port}", HANGING_TLS_CLIENT, port)
            self.addCleanup(hanging.kill_group)
            deadline = time.monotonic() + 10
            while stage not in hanging.stdout() and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertIn(stage, hanging.stdout(), hanging.stderr())
            time.sleep(0.5)  # inside the call now
            hanging.kill_group()
        client = self.python("alternating-client", ALTERNATING_TLS_CLIENT, f"{port_a},{port_b}", 10)
        self.assertEqual(client.wait(60), 0, client.stderr())
        spans = self.wait_received(lambda s: s["kind"] == "CLIENT" and res(s, "process.pid") == client.pid, 10,
                                   "CLIENT spans of the alternating client", WAIT)
        self.assertEqual(sorted(attr(s, "url.path") for s in spans),
                         sorted(f"/to/{(port_a, port_b)[n % 2]}/{n}" for n in range(10)))
        for s in spans:  # each request on the connection it was sent on
            self.assertEqual(attr(s, "url.path").split("/")[2], str(attr(s, "server.port")), s)
            self.assertEqual(attr(s, "network.peer.port"), attr(s, "server.port"), s)
        for server, port in zip(servers, (port_a, port_b)):
            served = self.wait_received(lambda s: s["kind"] == "SERVER" and res(s, "process.pid") == server.pid, 5,
                                        f"SERVER spans on port {port}", WAIT)
            self.assertEqual({attr(s, "url.path").split("/")[2] for s in served}, {str(port)})
        self.assertTrue(agent.process.alive(), "the agent outlived the killed clients")
        self.assert_no_ciphertext_spans({client.pid, silent.pid, *(s.pid for s in servers)})
        self.stop_agent(agent)
        report("TLS: clients killed mid-handshake and mid-SSL_read, then 10 connections alternating between two "
               "servers (SSL objects reused): 10 CLIENT + 10 SERVER spans, each on its own connection")

    def test_keep_alive_tls_connection_opened_before_the_agent(self):
        nginx = self.start_nginx(tls=True)
        workers = set(nginx.worker_pids())
        go_on = os.path.join(self.workdir, "go-on")
        client = self.python("early-client", PYTHON_HTTPS_CLIENT, nginx.port, "/hello,/hello?after=1,/missing",
                             go_on)
        deadline = time.monotonic() + 30
        while "waiting" not in client.stdout() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertIn("waiting", client.stdout(), client.stderr())
        agent = self.start_agent()  # the handshake and the first request are over
        write(go_on, "")
        self.assertEqual(client.wait(60), 0, client.stderr())
        servers = self.wait_received(lambda s: s["kind"] == "SERVER" and res(s, "process.pid") in workers, 2,
                                     "SERVER spans of the requests after the agent started", WAIT)
        self.assertEqual(sorted(attr(s, "url.query") or "" for s in servers
                                if attr(s, "url.path") == "/hello"), ["after=1"])
        self.assertIn("/missing", [attr(s, "url.path") for s in servers])
        self.assertEqual({attr(s, "url.scheme") for s in servers}, {"https"})
        self.assert_no_ciphertext_spans(workers | {client.pid})
        self.stop_agent(agent)
        report("TLS keep-alive connection opened before the agent: its 2 later requests are https spans")

    # ---- Redis over TLS ------------------------------------------------------------

    def test_redis_over_tls(self):
        cert, key = make_certificate(self.workdir)
        port = free_port()
        self.ports.add(port)
        server = Process("redis-tls", [config.tool("redis-server"), "--port", "0", "--tls-port", str(port),
                                       "--bind", "127.0.0.1", "--tls-cert-file", cert, "--tls-key-file", key,
                                       "--tls-auth-clients", "no", "--requirepass", SECRET_PASSWORD,
                                       "--save", "", "--appendonly", "no", "--dir", self.workdir], self.workdir)
        self.addCleanup(server.kill_group)
        wait_listening(port, 15, server.alive)
        agent = self.start_agent()
        cli = [config.tool("redis-cli"), "--tls", "--insecure", "-p", str(port), "-a", SECRET_PASSWORD,
               "--no-auth-warning"]
        # -x: the value comes from stdin, so it is not in redis-cli's command line either.
        for command, stdin in ((["-x", "SET", "tls:key"], "secret-value-77"), (["GET", "tls:key"], ""),
                               (["INCR", "tls:key"], "")):
            done = subprocess.run(cli + command, input=stdin, capture_output=True, text=True, timeout=30)
            self.assertEqual(done.returncode, 0, done.stderr)
        spans = self.wait_received(lambda s: attr(s, "db.system.name") == "redis" and s["kind"] == "SERVER"
                                   and res(s, "process.pid") == server.pid, 6,
                                   "redis SERVER spans over TLS (AUTH + a command, 3 times)", WAIT)
        operations = [attr(s, "db.operation.name") for s in spans]
        for op in ("SET", "GET", "INCR"):
            self.assertIn(op, operations)
        incr = next(s for s in spans if attr(s, "db.operation.name") == "INCR")
        self.assertEqual(incr["status"], "ERROR", f"INCR on a non-number fails: {incr}")
        self.stop_agent(agent)
        self.assert_no_secret_left_the_machine([SECRET_PASSWORD, "secret-value-77"])
        report(f"Redis over TLS: {len(spans)} SERVER spans ({', '.join(sorted(set(operations)))}), no secrets")

    # ---- Go: crypto/tls ------------------------------------------------------------------

    def test_go_https_server_and_client_are_read_through_crypto_tls(self):
        cert, key = make_certificate(self.workdir)
        server_binary = build_go(self.workdir, GO_HTTPS_SERVER, "go-https-server")
        client_binary = build_go(self.workdir, GO_HTTPS_CLIENT, "go-https-client")
        port = free_port()
        self.ports.add(port)
        agent = self.start_agent()
        # Both start after the agent: each gets its probes at its exec, before its first call.
        server = Process("go-https-server", [server_binary, f"127.0.0.1:{port}", cert, key], self.workdir)
        self.addCleanup(server.kill_group)
        wait_listening(port, 10, server.alive)
        client = Process("go-https-client", [client_binary, f"https://127.0.0.1:{port}", "/a,/teapot,/b", "1"],
                         self.workdir)
        self.assertEqual(client.wait(60), 0, client.stdout() + client.stderr())
        h2 = subprocess.run([config.tool("curl"), "-sk", "--http2", f"https://127.0.0.1:{port}/h2"],
                            capture_output=True, text=True, timeout=30)
        self.assertEqual(h2.stdout, "go over tls", h2.stderr)
        # Go to Go over HTTP/2 (ALPN h2): streams on one connection.
        go_h2 = Process("go-h2-client", [client_binary, f"https://127.0.0.1:{port}", "/h2a,/h2b", "1", "h2"],
                        self.workdir)
        self.assertEqual(go_h2.wait(60), 0, go_h2.stdout() + go_h2.stderr())
        servers = self.wait_received(lambda s: s["kind"] == "SERVER" and res(s, "process.pid") == server.pid, 6,
                                     "the Go server's SERVER spans (3 + 2 from Go clients, 1 from curl)", WAIT)
        h2_clients = self.wait_received(lambda s: s["kind"] == "CLIENT" and res(s, "process.pid") == go_h2.pid, 2,
                                        "the Go HTTP/2 client's CLIENT spans", WAIT)
        clients = self.wait_received(lambda s: s["kind"] == "CLIENT" and res(s, "process.pid") == client.pid, 3,
                                     "the Go client's CLIENT spans", WAIT)
        by_path = {attr(s, "url.path"): s for s in servers}
        self.assertEqual(set(by_path), {"/a", "/teapot", "/b", "/h2", "/h2a", "/h2b"})
        self.assertEqual(attr(by_path["/teapot"], "http.response.status_code"), 418)
        self.assertEqual(attr(by_path["/h2"], "network.protocol.version"), "2", "curl and Go agreed on h2")
        self.assertEqual(attr(by_path["/a"], "network.protocol.version"), "1.1")
        for s in servers + clients + h2_clients:
            self.assertEqual(attr(s, "url.scheme"), "https", s)
        for c in h2_clients:
            self.assertEqual(attr(c, "network.protocol.version"), "2", c)
            self.assertEqual(by_path[attr(c, "url.path")]["parent_span_id"], c["span_id"],
                             "an HTTP/2 stream's SERVER span is the child of its CLIENT span")
        for c in clients:
            path = attr(c, "url.full").removeprefix(f"https://127.0.0.1:{port}")
            self.assertIn(path, ("/a", "/teapot", "/b"))
            self.assertEqual(by_path[path]["parent_span_id"], c["span_id"],
                             f"{path}: the Go server's SERVER span is the child of the Go client's CLIENT span")
            self.assertEqual(by_path[path]["trace_id"], c["trace_id"])
        self.assert_no_ciphertext_spans({server.pid, client.pid, go_h2.pid})
        self.stop_agent(agent)
        log = agent.process.stderr()
        self.assertIn("go-https-server: TLS plaintext read from crypto/tls", log)
        self.assertIn("go-https-client: TLS plaintext read from crypto/tls", log)
        self.assertNotIn("speaks TLS through a library", log)
        counters = require_counters(self, agent, "user space")
        self.assertEqual(counters["user space"]["tls_unreadable_processes"], 0)
        report(f"Go crypto/tls: {len(servers)} SERVER spans (HTTP/1.1 and h2) and {len(clients) + len(h2_clients)} "
               "CLIENT spans (HTTP/1.1 and h2), https, each client/server pair one trace")

    # ---- a TLS library we do not read ------------------------------------------------

    def test_stripped_go_tls_is_reported_unreadable_and_never_parsed(self):
        nginx = self.start_nginx(tls=True)
        workers = set(nginx.worker_pids())
        binary = build_go(self.workdir, GO_HTTPS_CLIENT, "go-https-client", stripped=True)
        agent = self.start_agent()
        client = Process("go-https-client", [binary, nginx.url(""), "/hello,/hello,/hello", "0"], self.workdir)
        self.assertEqual(client.wait(60), 0, client.stderr())
        # nginx's side is OpenSSL: its SERVER spans exist; the Go side has none.
        self.wait_received(lambda s: s["kind"] == "SERVER" and res(s, "process.pid") in workers, 3,
                           "nginx SERVER spans of the Go client's requests", WAIT)
        self.assert_no_ciphertext_spans(workers | {client.pid})
        go_spans = [s for s in self.receiver.spans() if res(s, "process.pid") == client.pid]
        self.assertEqual(go_spans, [], "a stripped Go program's TLS is not read: no span may come of its ciphertext")
        self.stop_agent(agent)
        log = agent.process.stderr()
        self.assertIn("go-https-client: its TLS stays unread (no symbol table (stripped))", log)
        self.assertIn("speaks TLS through a library otelbpf does not read", log)
        self.assertEqual(log.count("go-https-client (pid"), 1, "said once per program")
        counters = require_counters(self, agent, "user space")
        self.assertGreaterEqual(counters["user space"]["tls_unreadable_processes"], 1)
        report("stripped Go crypto/tls client: reported once as unreadable, counted, no span of its own")


if __name__ == "__main__":
    unittest.main()
