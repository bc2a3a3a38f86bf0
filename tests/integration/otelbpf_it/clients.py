"""HTTP clients whose process and connection the tests know: curl as a child process, and
raw sockets in the test runner itself (for pipelining and long-lived connections)."""

import os
import re
import socket
import subprocess
import time
from dataclasses import dataclass, field

from . import config

# Printed by curl after each transfer, one line per URL.
WRITE_OUT = "%{local_port} %{http_code} %{num_connects}\\n"


@dataclass
class Transfer:
    local_port: int
    http_code: int
    num_connects: int


@dataclass
class CurlRun:
    pid: int
    argv: list
    returncode: int
    start_ns: int  # wall clock just before curl started
    end_ns: int    # wall clock just after it exited
    transfers: list = field(default_factory=list)
    stderr: str = ""


def client_env() -> dict:
    """No proxy may stand between curl and the server, and no OTEL_* variable may rename it."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith("OTEL_") and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}


def curl(*urls: str, extra: list = (), env: dict = None) -> CurlRun:
    """Runs one curl process fetching the URLs in order over HTTP/1.1 (one connection, reused
    when the server allows). Bodies are discarded. `env` adds variables to curl's environment."""
    argv = [config.tool("curl"), "-sS", "--http1.1", "--noproxy", "*", "-w", WRITE_OUT, *extra]
    for url in urls:
        argv += ["-o", "/dev/null", url]
    start = time.time_ns()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**client_env(), **(env or {})})
    out, err = proc.communicate(timeout=60)
    end = time.time_ns()
    transfers = [Transfer(*map(int, line.split())) for line in out.decode().splitlines() if line.strip()]
    run = CurlRun(proc.pid, argv, proc.returncode, start, end, transfers, err.decode("utf-8", "replace"))
    if proc.returncode != 0 or len(transfers) != len(urls):
        raise AssertionError(f"curl failed ({proc.returncode}): {run.stderr}\n{out.decode()}")
    return run


def curl_version() -> str:
    """'7.88.1' from 'curl 7.88.1 (x86_64-pc-linux-gnu) ...': curl's default User-Agent is curl/<it>."""
    first = subprocess.run([config.tool("curl"), "--version"], capture_output=True, text=True).stdout
    return first.split()[1]


def get_request(port: int, path: str, close: bool = False) -> bytes:
    headers = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: otelbpf-it\r\n"
    if close:
        headers += "Connection: close\r\n"
    return (headers + "\r\n").encode()


class RawConnection:
    """A keep-alive HTTP/1.1 connection driven by hand from the test runner's process."""

    def __init__(self, port: int, source: tuple = None):
        """`source`: (address, port) to connect from, e.g. another loopback address."""
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=source)
        self.local_port = self.sock.getsockname()[1]
        self._buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_response(self):
        """(status code, body) of the next response; needs a Content-Length (both servers send one)."""
        while b"\r\n\r\n" not in self._buffer:
            self._fill()
        head, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
        status = int(head.split(b" ", 2)[1])
        match = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
        length = int(match.group(1)) if match else 0
        while len(self._buffer) < length:
            self._fill()
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        return status, body

    def get(self, path: str):
        self.send(get_request(self.port, path))
        return self.read_response()

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise AssertionError("server closed the connection mid-response")
        self._buffer += chunk

    def close(self) -> None:
        self.sock.close()


def keep_alive_gets(port: int, paths: list, per_connection: int = 500) -> None:
    """GETs each path in order over keep-alive connections from the test runner (a new one every
    `per_connection` requests: nginx closes one after keepalive_requests), checking every answer
    is 200 (nginx answers /hello/... with 200)."""
    for start in range(0, len(paths), per_connection):
        conn = RawConnection(port)
        try:
            for path in paths[start:start + per_connection]:
                status, _ = conn.get(path)
                if status != 200:
                    raise AssertionError(f"nginx answered {status} to {path}")
        finally:
            conn.close()
