"""The otelbpf agent as a child process: `otelbpf run ...`, ready when its stderr says
`otelbpf is ready`, stopped with SIGTERM."""

import os
import signal
import time

from . import config
from .procs import Process, tail
from .spans import JsonLinesFile

READY_LINE = "otelbpf is ready"
READY_TIMEOUT = 15.0
STOP_TIMEOUT = 15.0


def agent_env(endpoint: str = None, protocol: str = None, resource_attributes: str = None) -> dict:
    """The test runner's environment without any OTEL_* variable it may carry, plus the
    given OTLP settings. A short batch delay makes spans arrive within a poll or two."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["OTEL_BSP_SCHEDULE_DELAY"] = "200"
    if endpoint:
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint
    if protocol:
        env["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol
    if resource_attributes:
        env["OTEL_RESOURCE_ATTRIBUTES"] = resource_attributes
    return env


class Agent:
    _count = 0

    def __init__(self, workdir: str, args: list, env: dict, prefix: list = ()):
        """`prefix` runs the agent through another program that execs it (e.g. setpriv to
        drop privileges), so the pid is still the agent's."""
        Agent._count += 1
        if not any(a == "--store" or a.startswith("--store=") for a in args):
            # Each agent its own store in the test's folder: parallel tests never share the
            # default /var/lib/otelbpf/otelbpf.db (one writer per file), and every test writes one.
            args = [*args, "--store", os.path.join(workdir, f"store-{Agent._count}.db")]
        if not any(a == "--ui" or a.startswith("--ui=") for a in args):
            # No web UI unless a test asks for one (test_ui.py): agents of tests run in parallel
            # would otherwise race for its default port 127.0.0.1:9465.
            args = [*args, "--ui", "none"]
        self.process = Process(f"agent{Agent._count}", [*prefix, config.agent_binary(), "run", *args], workdir,
                               env=env)
        self.pid = self.process.pid
        self.exit_code = None
        self._stdout_spans = JsonLinesFile(self.process.stdout_path)
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if READY_LINE in self.process.stderr():
                return
            if not self.process.alive():
                raise AssertionError(f"otelbpf exited with {self.process.popen.returncode} before being ready; "
                                     f"stderr:\n{tail(self.process.stderr())}")
            time.sleep(0.05)
        stderr = self.process.stderr()
        self.process.kill_group(grace=2.0)
        raise AssertionError(f"otelbpf did not print '{READY_LINE}' on stderr within {READY_TIMEOUT} s; "
                             f"stderr:\n{tail(stderr)}")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Sends sig (SIGTERM or SIGINT) and waits; returns the exit code (kills it and fails
        when it hangs)."""
        if self.exit_code is None:
            self.process.signal(sig)
            self.exit_code = self.process.wait(STOP_TIMEOUT)
            if self.exit_code is None:
                self.process.kill_group(grace=0.5)
                raise AssertionError(f"otelbpf still running {STOP_TIMEOUT} s after {signal.Signals(sig).name}; "
                                     f"stderr:\n{tail(self.process.stderr())}")
        return self.exit_code

    def kill(self) -> None:
        self.process.kill_group()

    def stdout_spans(self) -> list:
        """Spans printed by --output json."""
        return self._stdout_spans.read()

    def diagnostics(self) -> str:
        return f"otelbpf stderr (last lines):\n{tail(self.process.stderr())}"
