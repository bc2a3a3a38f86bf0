"""A private nginx (master + one worker) on a free 127.0.0.1 port, everything it writes kept
in the test's work folder."""

import os
import re
import subprocess
import time

from . import config
from .ports import free_port, wait_listening
from .procs import Process

# Responses are fixed by the config: tests assert exact status codes and body sizes.
LOCATIONS = """
    location /hello   { return 200 "hello"; }
    location /missing { return 404; }
    location /error   { return 500; }
    location /        { return 404; }
"""


def _temp_path_directives(folder: str) -> str:
    """A *_temp_path line for each module this nginx build has: nginx creates those folders
    at startup, and a module built out rejects its directive."""
    built = subprocess.run([config.tool("nginx"), "-V"], capture_output=True, text=True).stderr
    lines = [f"client_body_temp_path {folder}/client_body;"]
    for module in ("proxy", "fastcgi", "uwsgi", "scgi"):
        if f"--without-http_{module}_module" not in built:
            lines.append(f"{module}_temp_path {folder}/{module};")
    return "\n    ".join(lines)


def make_certificate(folder: str) -> tuple:
    """A self-signed certificate for 127.0.0.1/localhost, made now with the openssl command:
    (certificate path, key path)."""
    cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    subprocess.run([config.tool("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def config_text(folder: str, port: int, worker_connections: int = 4096, rlimit_nofile: int = 8192,
                tls: bool = False, http2: bool = False) -> str:
    listen = f"127.0.0.1:{port}"
    if tls:
        cert, key = make_certificate(folder)
        listen += f" ssl{' http2' if http2 else ''};\n        ssl_certificate {cert};\n        ssl_certificate_key {key}"
    return f"""daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile {rlimit_nofile};
pid {folder}/nginx.pid;
error_log {folder}/error.log info;
events {{ worker_connections {worker_connections}; }}
http {{
    access_log {folder}/access.log;
    {_temp_path_directives(folder)}
    default_type text/plain;
    keepalive_requests 1000;
    server {{
        listen {listen};
        server_name localhost;
        {LOCATIONS}
    }}
}}
"""


class Nginx:
    def __init__(self, workdir: str, worker_connections: int = 4096, rlimit_nofile: int = 8192,
                 tls: bool = False, http2: bool = False):
        """tls: HTTPS with a certificate made for this nginx (cert.pem in its folder); http2:
        also HTTP/2 (ALPN h2) on it."""
        self.folder = os.path.join(workdir, "nginx")
        for n in range(2, 100):  # a second nginx in the same test gets nginx-2, ...
            if not os.path.exists(self.folder):
                break
            self.folder = os.path.join(workdir, f"nginx-{n}")
        os.makedirs(self.folder)
        self.port = free_port()
        self.scheme = "https" if tls else "http"
        self.certificate = os.path.join(self.folder, "cert.pem") if tls else None
        conf = os.path.join(self.folder, "nginx.conf")
        with open(conf, "w") as f:
            f.write(config_text(self.folder, self.port, worker_connections, rlimit_nofile, tls, http2))
        self.binary = config.tool("nginx")
        self.process = Process("nginx", [self.binary, "-p", self.folder, "-c", conf, "-e",
                                         os.path.join(self.folder, "error.log")], workdir)
        self.master_pid = self.process.pid
        wait_listening(self.port, timeout=10.0, alive=self.process.alive)

    def worker_pids(self, timeout: float = 5.0) -> list:
        """Pids of the worker processes (they accept the connections, so they own SERVER
        spans). The master listens before it forks them, so wait for at least one."""
        deadline = time.monotonic() + timeout
        while True:
            workers = children_of(self.master_pid)
            if workers or time.monotonic() >= deadline:
                return workers
            time.sleep(0.05)

    def url(self, path: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def error_log(self) -> str:
        try:
            with open(os.path.join(self.folder, "error.log")) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        self.process.kill_group()


def children_of(pid: int) -> list:
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                # The command name in parentheses may hold spaces: split after its ')'.
                fields = f.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[1]) == pid:
            children.append(int(entry))
    return sorted(children)


def command_line_of(pid: int) -> str:
    """/proc/PID/cmdline with NULs as spaces and padding trimmed (nginx rewrites its argv)."""
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return re.sub(r"\s+", " ", f.read().replace(b"\0", b" ").decode("utf-8", "replace")).strip()
