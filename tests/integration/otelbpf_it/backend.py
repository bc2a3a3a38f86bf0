"""The Python backend (backend_server.py) as a child process."""

import json
import os
import sys
import time

from . import config
from .procs import Process

# The backend names itself through the standard variable, so tests also check that the agent
# reads OTEL_SERVICE_NAME from the observed process's environment.
BACKEND_SERVICE_NAME = "it-backend"


class Backend:
    def __init__(self, workdir: str):
        env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
        env["OTEL_SERVICE_NAME"] = BACKEND_SERVICE_NAME
        self.process = Process("backend", [sys.executable, "-u", config.backend_script()], workdir, env=env)
        self.port = self._wait_port(timeout=10.0)
        self.pid = self.process.pid

    def _wait_port(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.process.stdout().split("\n")
            if len(lines) > 1:
                return json.loads(lines[0])["port"]
            if not self.process.alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"python backend did not start:\n{self.process.stderr()}")

    def received_traceparents(self) -> dict:
        """Request target -> the traceparent it came with ("-" when none), from the log."""
        out = {}
        for line in self.process.stderr().splitlines():
            if line.startswith('backend: "') and " traceparent=" in line:
                target = line.split('"')[1].split(" ")[1]
                out[target] = line.rsplit(" traceparent=", 1)[1]
        return out

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.process.kill_group()
