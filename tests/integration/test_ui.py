"""The web UI served by the real agent, checked in a real headless Chromium (Debian's chromium
and chromium-driver, driven with Debian's python3-selenium): real traffic (curl → nginx, curl →
the Python backend) goes into the agent's store, then every page is loaded and read back. The
map must show the services that talked, the span search must filter like `otelbpf observe`, a
trace must open with one bar per span, the DNS and TCP panels must list what curl did, a span
slowed by packet loss must show its retransmissions on its bar, and no page may log a console
error. Screenshots are kept as artifacts (OTELBPF_IT_ARTIFACTS, default
/tmp/otelbpf-it-artifacts/test_ui/). Also: the address and token rules, over plain HTTP."""

import http.client
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

from otelbpf_it import config
from otelbpf_it.case import IntegrationTest
from otelbpf_it.clients import curl
from otelbpf_it.ports import free_port

OK, ERRORS, MISSING = 5, 3, 2  # requests to nginx: /hello (200), /error (500), /missing (404)
BACKEND_FAILURES = 2           # requests to the Python backend answered 503
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
LOSS_TABLE = "otelbpf_it_ui_loss"


def artifacts_dir(test_id: str) -> str:
    root = os.environ.get("OTELBPF_IT_ARTIFACTS", "/tmp/otelbpf-it-artifacts")
    path = os.path.join(root, "test_ui", test_id.split(".")[-1])
    os.makedirs(path, exist_ok=True)
    return path


def http_get(url: str, headers: dict = None, timeout: float = 10.0):
    """(status, headers, body) of one GET; redirects are not followed (the token's 303 is
    checked as such)."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(request, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


class UiInBrowserTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.nginx = self.start_nginx()
        self.backend = self.start_backend()
        self.ui_port = free_port()
        self.base = f"http://127.0.0.1:{self.ui_port}"
        # Every process is watched (no --port): getaddrinfo() lookups and connection events are
        # in the panels; the checks below narrow to this test's ports.
        self.agent = self.start_agent("--output", "none", "--prometheus=false",
                                      "--ui", f"127.0.0.1:{self.ui_port}", export=False)
        self.artifacts = artifacts_dir(self.id())

    def api(self, path: str) -> dict:
        status, _, body = http_get(self.base + path)
        self.assertEqual(status, 200, body)
        return json.loads(body)

    def server_spans(self, extra: str = "") -> list:
        return self.api(f"/api/spans?since=10m&last=1000&kind=server&to={self.nginx.port}{extra}")["spans"]

    def send_traffic(self) -> None:
        local = f"http://127.0.0.1:{self.nginx.port}"
        curl(*[f"{local}/hello"] * OK, *[f"{local}/error"] * ERRORS, *[f"{local}/missing"] * MISSING)
        # A getaddrinfo() call for the DNS panel (curl answers "localhost" itself, getent asks libc).
        subprocess.run(["getent", "ahosts", "localhost"], check=True, capture_output=True, timeout=10)
        curl(*[self.backend.url("/status/503")] * BACKEND_FAILURES)
        # The store commits every 200 ms: wait until it holds every server span.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and len(self.server_spans()) < OK + ERRORS + MISSING:
            time.sleep(0.2)
        self.assertEqual(len(self.server_spans()), OK + ERRORS + MISSING, self.diagnostics())

    def start_browser(self):
        # Debian's selenium; imported here so a missing package fails this test with its name.
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        # No background fetches of Google services: the browser's own lookups would fill the panels.
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-default-apps", "--no-first-run",
                    "--window-size=1400,1000", f"--user-data-dir={os.path.join(self.workdir, 'chromium')}"):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(executable_path=CHROMEDRIVER, log_path=os.path.join(self.workdir, "chromedriver.log"))
        driver = webdriver.Chrome(service=service, options=options)
        self.addCleanup(driver.quit)
        return driver

    def wait_state(self, driver, state: str, timeout: float = 15.0) -> None:
        """The page marks each view's end of loading on <body data-state>."""
        deadline = time.monotonic() + timeout
        current = None
        while time.monotonic() < deadline:
            current = driver.execute_script("return document.body.dataset.state")
            if current == state:
                return
            if current and current.startswith("failed:"):
                break
            time.sleep(0.05)
        error = driver.execute_script("return document.getElementById('error').textContent")
        self.fail(f"page state {current!r}, waited for {state!r}; error banner: {error!r}\n{self.diagnostics()}")

    def rows(self, driver, selector: str) -> list:
        """The text of each data row of a table (the 'nothing here' row excluded)."""
        return driver.execute_script(
            "return [...document.querySelectorAll(arguments[0] + ' tbody tr:not(.empty)')]"
            ".map(r => [...r.cells].map(c => c.textContent))", selector)

    def search(self, driver, text: str) -> list:
        box = driver.find_element("id", "filter")
        box.clear()
        box.send_keys(text)
        driver.execute_script("document.body.dataset.state = 'searching'")
        driver.find_element("css selector", "#span-search button").click()
        self.wait_state(driver, "ready:spans")
        return self.rows(driver, "#spans")

    def test_every_page_in_a_real_browser(self):
        self.send_traffic()
        driver = self.start_browser()
        measured = {}

        # Overview: the map shows who talked, RED shows nginx's failing route.
        driver.get(self.base + "/")
        self.wait_state(driver, "ready:overview")
        measured["overview_load_ms"] = driver.execute_script("return document.body.dataset.loadMs")
        nodes = set(driver.execute_script(
            "return [...document.querySelectorAll('#map g.node')].map(n => n.dataset.name)"))
        edges = set(tuple(e) for e in driver.execute_script(
            "return [...document.querySelectorAll('#map g.edge')].map(e => [e.dataset.from, e.dataset.to])"))
        self.assertTrue({"curl", "nginx", "it-backend"} <= nodes, nodes)
        self.assertIn(("curl", "nginx"), edges)
        self.assertIn(("curl", "it-backend"), edges)  # the backend's OTEL_SERVICE_NAME
        red = self.rows(driver, "#red")
        error_row = [r for r in red if r[0] == "nginx" and r[1] == "server" and r[3] == "GET /error"]
        self.assertEqual(len(error_row), 1, red)
        # At least ours: every process on the host is watched, and another test's nginx would be
        # "nginx" too (the span search below counts exactly, by this test's port).
        self.assertGreaterEqual(int(error_row[0][4]), ERRORS, error_row)
        self.assertEqual(error_row[0][6], "100.0%")
        driver.save_screenshot(os.path.join(self.artifacts, "1-overview.png"))

        # Span search: observe's filters typed in the box, counted against what curl sent.
        driver.get(self.base + "/#spans")
        self.wait_state(driver, "ready:spans")
        port = self.nginx.port
        served = self.search(driver, f"--to {port} --kind server")
        self.assertEqual(len(served), OK + ERRORS + MISSING, served)
        self.assertTrue(all(r[1] == "curl" for r in served), served)
        failing = self.search(driver, f"--to {port} --kind server --http-status 5+")
        self.assertEqual(sorted(r[5] for r in failing), ["500"] * ERRORS, failing)
        not_failing = self.search(driver, f"--to {port} --kind server --not --http-status 5+")
        self.assertEqual(sorted(r[5] for r in not_failing), sorted(["200"] * OK + ["404"] * MISSING))
        hello = self.search(driver, f"--to {port} --kind client --http-path '^/hello$'")
        self.assertEqual(len(hello), OK, hello)
        driver.save_screenshot(os.path.join(self.artifacts, "2-spans.png"))

        # A trace opens from the list: curl's CLIENT span and nginx's SERVER span under it, one
        # bar each, with the kernel's RTT on the bars.
        driver.find_element("css selector", "#spans tbody tr").click()
        self.wait_state(driver, "ready:trace")
        trace_id = driver.execute_script("return location.hash.split('/')[1]")
        stored = self.api(f"/api/trace/{trace_id}")["spans"]
        self.assertEqual(len(stored), 2, stored)
        self.assertEqual(len(driver.find_elements("css selector", "#waterfall .wf-row")), 2)
        self.assertEqual(len(driver.find_elements("css selector", "#waterfall .wf-bar")), 2)
        labels = [e.text for e in driver.find_elements("css selector", "#waterfall .wf-label")]
        self.assertTrue(labels[0].startswith("curl client http GET /hello"), labels)
        self.assertTrue(labels[1].startswith("nginx server http GET /hello"), labels)
        kernel = [e.text for e in driver.find_elements("css selector", "#waterfall .wf-kernel")]
        self.assertTrue(kernel and all("rtt" in k for k in kernel), kernel)
        self.assertIn("url.path", driver.find_element("id", "span-details").text)
        driver.save_screenshot(os.path.join(self.artifacts, "3-trace.png"))

        # DNS: getent's getaddrinfo("localhost").
        driver.get(self.base + "/#dns")
        self.wait_state(driver, "ready:dns")
        lookups = self.rows(driver, "#dns-lookups")
        self.assertTrue(any(r[2] == "localhost" and r[1].startswith("getent(") for r in lookups), lookups)
        driver.save_screenshot(os.path.join(self.artifacts, "4-dns.png"))

        # TCP: curl's connections to nginx, up and down.
        driver.get(self.base + "/#tcp")
        self.wait_state(driver, "ready:tcp")
        tcp = self.rows(driver, "#tcp")
        to_nginx = [r for r in tcp if r[4].endswith(f":{port}") and r[2].startswith("curl")]
        self.assertTrue({"tcp_up", "tcp_down"} <= {r[1] for r in to_nginx}, tcp[:20])
        driver.save_screenshot(os.path.join(self.artifacts, "5-tcp.png"))

        # The window selector reloads the view with the new window.
        driver.get(self.base + "/")
        self.wait_state(driver, "ready:overview")
        driver.execute_script("const w = document.getElementById('window'); w.value = '1h';"
                              "w.dispatchEvent(new Event('change'));")
        self.wait_state(driver, "ready:overview")
        self.assertEqual(driver.execute_script("return document.getElementById('window').value"), "1h")

        logs = driver.get_log("browser")
        with open(os.path.join(self.artifacts, "console.json"), "w") as f:
            json.dump(logs, f, indent=1)
        with open(os.path.join(self.artifacts, "measured.json"), "w") as f:
            json.dump(measured, f)
        self.assertEqual([e for e in logs if e.get("level") in ("SEVERE", "WARNING")], [], logs)
        self.stop_agent(self.agent)
        print(f"\n[measured] overview loaded in {measured['overview_load_ms']} ms; screenshots in {self.artifacts}")


    def add_loss(self, port: int, percent: int) -> None:
        """Drops `percent`% of the TCP packets to and from `port` in the INPUT hook (as
        test_tcp_context.py does: our kernel has no netem; a drop in OUTPUT is no retransmission)."""
        def nft(*args):
            subprocess.run([config.tool("nft"), *args], check=True, capture_output=True, text=True)
        nft("add", "table", "inet", LOSS_TABLE)
        self.addCleanup(lambda: subprocess.run([config.tool("nft"), "delete", "table", "inet", LOSS_TABLE],
                                               capture_output=True))
        nft("add", "chain", "inet", LOSS_TABLE, "in", "{ type filter hook input priority 0; }")
        for direction in ("dport", "sport"):
            nft("add", "rule", "inet", LOSS_TABLE, "in", "tcp", direction, str(port),
                "numgen", "random", "mod", "100", "<", str(percent), "drop")

    def test_retransmissions_are_marked_on_the_bar(self):
        self.add_loss(self.backend.port, 10)
        body = b"x" * 32768  # several segments each way: more chances to lose one
        conn = http.client.HTTPConnection("127.0.0.1", self.backend.port, timeout=30)
        for i in range(40):
            conn.request("POST", f"/echo?i={i}", body=body, headers={"Content-Length": str(len(body))})
            self.assertEqual(len(conn.getresponse().read()), len(body))
        conn.close()
        query = f"/api/spans?since=10m&last=1000&kind=client&to={self.backend.port}"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and len(self.api(query)["spans"]) < 40:
            time.sleep(0.2)
        slowed = [s for s in self.api(query)["spans"] if s.get("kernel", {}).get("retransmits", 0) > 0]
        self.assertTrue(slowed, "10% loss over 40 requests of 32 KiB each way retransmitted nothing on any span")
        span = slowed[0]
        count = span["kernel"]["retransmits"]

        driver = self.start_browser()
        driver.get(self.base + "/#trace/" + span["trace_id"])
        self.wait_state(driver, "ready:trace")
        row = driver.find_element("css selector", f"#waterfall .wf-row[data-span='{span['span_id']}']")
        self.assertEqual(len(row.find_elements("css selector", ".wf-mark")), count)
        note = row.find_element("css selector", ".wf-kernel").text
        self.assertIn(f"{count} tcp retransmit", note)
        driver.save_screenshot(os.path.join(self.artifacts, "retransmissions.png"))
        self.assertEqual([e for e in driver.get_log("browser") if e.get("level") in ("SEVERE", "WARNING")], [])


class UiAddressAndTokenTest(IntegrationTest):
    def run_agent_to_exit(self, *args, env: dict = None) -> subprocess.CompletedProcess:
        store = os.path.join(self.workdir, "store.db")
        return subprocess.run([config.agent_binary(), "run", "--store", store, "--output", "none",
                               "--prometheus=false", *args],
                              capture_output=True, text=True, timeout=30, env=env)

    def test_a_reachable_address_without_a_token_refuses_to_start(self):
        done = self.run_agent_to_exit("--ui", f"0.0.0.0:{free_port()}")
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("--ui-token", done.stderr)
        self.assertNotIn("otelbpf is ready", done.stderr)
        bad = self.run_agent_to_exit("--ui", "localhost")
        self.assertEqual(bad.returncode, 2, bad.stderr)
        self.assertIn("ADDR:PORT", bad.stderr)

    def test_with_a_token_every_request_needs_it(self):
        port = free_port()
        token = "it-" + os.urandom(8).hex()
        agent = self.start_agent("--output", "none", "--prometheus=false", "--ui", f"0.0.0.0:{port}",
                                 export=False, extra_env={"OTEL_EBPF_UI_TOKEN": token})
        base = f"http://127.0.0.1:{port}"
        for path in ("/", "/app.js", "/api/spans", "/api/status"):
            status, headers, _ = http_get(base + path)
            self.assertEqual(status, 401, path)
            self.assertIn("Bearer", headers.get("WWW-Authenticate", ""))
        self.assertEqual(http_get(base + "/api/spans", {"Authorization": "Bearer nope"})[0], 401)
        status, _, body = http_get(base + "/api/spans", {"Authorization": f"Bearer {token}"})
        self.assertEqual(status, 200, body)
        self.assertIn("spans", json.loads(body))
        # A browser: ?token= once, a cookie from then on, and the token leaves the address bar.
        status, headers, _ = http_get(base + f"/?token={token}")
        self.assertEqual(status, 303)
        self.assertEqual(headers["Location"], "/")
        cookie = headers["Set-Cookie"].split(";")[0]
        self.assertEqual(http_get(base + "/", {"Cookie": cookie})[0], 200)
        self.assertEqual(http_get(base + "/api/status", {"Cookie": cookie})[0], 200)
        self.stop_agent(agent)

    def test_a_busy_port_is_fatal_when_given_and_a_warning_by_default(self):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
            held.bind(("127.0.0.1", 0))
            held.listen()
            port = held.getsockname()[1]
            done = self.run_agent_to_exit("--ui", f"127.0.0.1:{port}")
            self.assertEqual(done.returncode, 2, done.stderr)
            self.assertIn(f"127.0.0.1:{port}", done.stderr)
            self.assertIn("in use", done.stderr)
        # The default address: hold 127.0.0.1:9465 (or find it held by another agent already).
        default = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            default.bind(("127.0.0.1", 9465))
            default.listen()
        except OSError:
            pass  # busy either way
        try:
            env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
            agent = subprocess.Popen([config.agent_binary(), "run", "--store", os.path.join(self.workdir, "d.db"),
                                      "--output", "none", "--prometheus=false"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
            def stop():
                if agent.poll() is None:
                    agent.kill()
                    agent.wait()
                agent.stderr.close()
            self.addCleanup(stop)
            stderr = ""
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and "otelbpf is ready" not in stderr:
                line = agent.stderr.readline()
                if not line:
                    break
                stderr += line
            self.assertIn("otelbpf is ready", stderr)
            self.assertIn("web UI: cannot listen on 127.0.0.1:9465", stderr)
            self.assertIn("running without it", stderr)
            agent.terminate()
            self.assertEqual(agent.wait(15), 0)
        finally:
            default.close()
