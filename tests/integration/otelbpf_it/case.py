"""Base class of every integration test: checks the machine, gives each test a work folder,
starts the pieces a test asks for and always stops them."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from . import config
from .agent import Agent, agent_env
from .backend import Backend
from .nginx import Nginx
from .receiver import Receiver
from . import spans as spanlib


class IntegrationTest(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        # An AssertionError here fails every test of the class: never a silent skip.
        config.check_environment()

    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix=f"otelbpf-it-{self.id().split('.')[-1]}-")
        self.receiver = None
        self.agents = []
        self.ports = set()  # of this test's servers: spans on them are this test's

    def run(self, result=None):
        """Removes the work folder of a passing test; keeps (and names) a failing one's logs."""
        result = result if result is not None else self.defaultTestResult()
        problems = len(result.failures) + len(result.errors)
        super().run(result)
        workdir = getattr(self, "workdir", None)
        if workdir and os.path.isdir(workdir):
            if len(result.failures) + len(result.errors) > problems or config.keep_artifacts():
                sys.stderr.write(f"\n[{self.id()}] logs and outputs kept in {workdir}\n")
            else:
                shutil.rmtree(workdir, ignore_errors=True)
        return result

    # ---- pieces ---------------------------------------------------------------------

    def start_receiver(self) -> Receiver:
        self.receiver = Receiver(self.workdir)
        self.addCleanup(self.receiver.stop)
        return self.receiver

    def start_nginx(self, **options) -> Nginx:
        """`options`: worker_connections / rlimit_nofile for many concurrent connections, tls
        (see Nginx)."""
        nginx = Nginx(self.workdir, **options)
        self.addCleanup(nginx.stop)
        self.ports.add(nginx.port)
        return nginx

    def start_backend(self) -> Backend:
        backend = Backend(self.workdir)
        self.addCleanup(backend.stop)
        self.ports.add(backend.port)
        return backend

    def start_agent(self, *args, protocol: str = "http/protobuf", export: bool = True,
                    resource_attributes: str = None, extra_env: dict = None, prefix: list = ()) -> Agent:
        """otelbpf run ARGS, exporting to this test's receiver unless export=False; `prefix`
        is a command that execs the agent (see Agent)."""
        endpoint = self.receiver.endpoint(protocol) if export else None
        env = agent_env(endpoint, protocol if export else None, resource_attributes)
        env.update(extra_env or {})
        agent = Agent(self.workdir, list(args), env, prefix=prefix)
        self.agents.append(agent)
        self.addCleanup(agent.kill)
        return agent

    def agent_after_client_connected(self, argv: list, *agent_args) -> tuple:
        """Connections opened before otelbpf: runs ARGV + [a file path] (a client that connects,
        prints "waiting", and goes on once that file exists), starts the receiver and the agent
        (AGENT_ARGS) once it waits, then lets it go on and waits for it to say "ok". Returns
        (the client's pid, the agent)."""
        go_on = os.path.join(self.workdir, "go-on")
        client = subprocess.Popen(list(argv) + [go_on], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(client.kill)
        self.assertEqual(client.stdout.readline().strip(), "waiting", client.stderr.read() if client.poll() else "")
        self.start_receiver()
        agent = self.start_agent(*agent_args)
        with open(go_on, "w"):
            pass
        out, err = client.communicate(timeout=60)
        self.assertEqual((client.returncode, out.strip()), (0, "ok"), err)
        return client.pid, agent

    def stop_agent(self, agent: Agent, sig: int = signal.SIGTERM) -> None:
        """SIGTERM (or SIGINT): the agent detaches, flushes its exporters and exits 0."""
        code = agent.stop(sig)
        self.assertEqual(code, 0, f"otelbpf exit code after {signal.Signals(sig).name}\n{agent.diagnostics()}")

    # ---- spans ----------------------------------------------------------------------

    def diagnostics(self) -> str:
        parts = [a.diagnostics() for a in self.agents]
        if self.receiver:
            parts.append(f"receiver log (last lines):\n{spanlib.tail_text(self.receiver.log())}")
        parts.append(f"work folder: {self.workdir}")
        return "\n".join(parts)

    def related(self, span: dict) -> bool:
        """A span of this test's own traffic, not of other processes on the machine."""
        return (spanlib.attr(span, "server.port") in self.ports
                or spanlib.attr(span, "network.peer.port") in self.ports)

    def wait_received(self, match, count: int, what: str, timeout: float = 10.0) -> list:
        """Waits for `count` spans matching `match` at the receiver."""
        return spanlib.wait_for(self.receiver.spans, match, count, timeout, what, self.diagnostics, self.related)

    def assert_no_secret_left_the_machine(self, secrets: list, evidence: str = "db.system.name") -> None:
        """None of `secrets` in anything exported or printed: every file of the work folder (the
        receiver's decoded spans and metrics, the agent's output). `evidence` must be there, so
        the check looks at real exported data."""
        self.settle(1.0)
        exported = ""
        for name in os.listdir(self.workdir):
            path = os.path.join(self.workdir, name)
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    exported += f.read().decode("utf-8", "replace")
        self.assertIn(evidence, exported, "the check must look at real exported data")
        for secret in secrets:
            self.assertNotIn(secret, exported, f"{secret!r} left the machine")

    def settle(self, seconds: float = 1.5) -> None:
        """Leaves time for spans that must NOT come (several export intervals of 200 ms)."""
        time.sleep(seconds)
