"""The agent without root: which capabilities `otelbpf run` needs, what each one buys, and
what the user sees when one is missing. The agent runs as uid 65534 (nobody) with exactly
the listed capabilities (setpriv from util-linux: inheritable, ambient and bounding sets),
against servers and clients that run as root, as they would on a real host.

Found by experiment on Linux 6.18 (docs/reliability.md has the full table):
  CAP_BPF              maps and programs               without it: refuses to start
  CAP_PERFMON          tracing programs and attaching  without it: refuses to start
  CAP_DAC_READ_SEARCH  tracefs (/sys/kernel/tracing    without it: refuses to start
                       is 0700 root), /proc/PID/environ
  CAP_SYS_PTRACE       /proc/PID/exe of processes of   without it: no process.executable.path,
                       other users (or with more caps)             --exe cannot match them
  CAP_SYS_ADMIN        mounting tracefs if missing     without it: refuses to start there
  CAP_SYS_RESOURCE     not needed: since Linux 5.11 BPF memory is charged to the memory cgroup
"""

import os
import signal
import subprocess
import sys
import unittest

from otelbpf_it import config
from otelbpf_it.agent import agent_env
from otelbpf_it.case import IntegrationTest
from otelbpf_it.clients import curl
from otelbpf_it.spans import attr, res, select, summary

NOBODY = 65534
# Enough to run and trace every process with its service name.
MINIMAL = ("bpf", "perfmon", "dac_read_search")
# Plus full process metadata for other users' processes, and --exe for them.
RECOMMENDED = MINIMAL + ("sys_ptrace",)
# Capability numbers (linux/capability.h), to check what the agent really holds.
CAP_NUMBERS = {"dac_read_search": 2, "net_admin": 12, "sys_ptrace": 19, "sys_admin": 21, "sys_resource": 24,
               "perfmon": 38, "bpf": 39}

PRIVILEGES_MESSAGE = "otelbpf needs privileges to load eBPF programs"
EXIT_TIMEOUT = 20.0


def setpriv(caps, uid: int = NOBODY) -> list:
    """A command prefix that execs the agent as `uid` (root when 0) holding exactly `caps`."""
    spec = ",".join(["-all"] + [f"+{c}" for c in caps])
    argv = [config.tool("setpriv")]
    if uid != 0:
        argv += [f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
    return argv + [f"--inh-caps={spec}", f"--ambient-caps={spec}", f"--bounding-set={spec}", "--"]


def without_tracefs() -> list:
    """A command prefix giving the agent a private mount namespace where tracefs is not
    mounted (the host's mounts are untouched), as on hosts that boot without it."""
    script = ("if mountpoint -q /sys/kernel/tracing; then umount /sys/kernel/tracing || exit 97; fi; "
              'exec "$@"')
    return [config.tool("unshare"), "--mount", "--propagation", "private", "sh", "-c", script, "sh"]


def effective_caps(pid: int) -> set:
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line)
    mask = int(fields["CapEff"].strip(), 16)
    return {name for name, bit in CAP_NUMBERS.items() if mask >> bit & 1}, int(fields["Uid"].split()[1])


def host_has_tracefs() -> bool:
    with open("/proc/self/mounts") as f:
        return any(line.split()[2] == "tracefs" for line in f)


class PrivilegesTest(IntegrationTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A binary under a private folder (e.g. /root) cannot run as nobody: say so plainly.
        done = subprocess.run(setpriv(()) + ["test", "-x", config.agent_binary()], capture_output=True, text=True)
        if done.returncode != 0:
            raise AssertionError(f"uid {NOBODY} cannot execute {config.agent_binary()} (a parent folder is not "
                                 f"world-searchable?): these tests run the agent unprivileged. {done.stderr}")

    def start_unprivileged(self, caps, *args, uid: int = NOBODY, prefix: list = ()):
        """The agent as `uid` with exactly `caps`, watching only this test's servers (--port):
        on a shared machine other traffic could fill the export queue and drop our spans."""
        ports = [a for p in sorted(self.ports) for a in ("--port", str(p))]
        # No store: the test's folder is root's (0700), and the question here is the kernel part.
        agent = self.start_agent(*ports, "--store", "none", *args, prefix=[*prefix, *setpriv(caps, uid)])
        held, agent_uid = effective_caps(agent.pid)
        self.assertEqual((held, agent_uid), (set(caps), uid), "the agent runs with exactly these capabilities")
        return agent

    def run_to_exit(self, caps, *args, uid: int = NOBODY, prefix: list = ()) -> tuple:
        """Runs an agent that is expected to refuse to start: (exit code, stderr)."""
        argv = [*prefix, *setpriv(caps, uid), config.agent_binary(), "run", *args]
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env=agent_env(), text=True, start_new_session=True)
        try:
            _, err = proc.communicate(timeout=EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            _, err = proc.communicate()
            self.fail(f"otelbpf with {caps} (uid {uid}) kept running {EXIT_TIMEOUT} s; stderr:\n{err}")
        self.assertNotIn("otelbpf is ready", err)
        return proc.returncode, err

    def traced_request(self, backend, path: str) -> tuple:
        """curl → backend, both root; returns (SERVER span, CLIENT span, curl run)."""
        run = curl(backend.url(path))
        spans = self.wait_received(lambda s: attr(s, "url.path") == path, 2, f"SERVER+CLIENT spans of {path}")
        server = select(spans, kind="SERVER", pid=backend.pid)
        client = select(spans, kind="CLIENT", pid=run.pid)
        self.assertEqual((len(server), len(client)), (1, 1), summary(spans))
        return server[0], client[0], run

    # ---- what works ----------------------------------------------------------------

    def test_minimal_set_traces_other_users_processes(self):
        """bpf + perfmon + dac_read_search: spans of root's processes, with the service name
        from their environment; the executable path needs CAP_SYS_PTRACE."""
        self.start_receiver()
        backend = self.start_backend()
        agent = self.start_unprivileged(MINIMAL)
        server, client, _ = self.traced_request(backend, "/priv/minimal")
        self.stop_agent(agent)

        self.assertEqual(res(server, "service.name"), "it-backend", "OTEL_SERVICE_NAME read from /proc/PID/environ")
        self.assertEqual(res(client, "service.name"), "curl")
        self.assertIn("/priv/minimal", res(client, "process.command_line", ""))
        for span in (server, client):
            self.assertNotIn("process.executable.path", span["resource"],
                             "without CAP_SYS_PTRACE /proc/PID/exe of another user is unreadable")

    def test_sys_ptrace_adds_the_executable_path(self):
        self.start_receiver()
        backend = self.start_backend()
        agent = self.start_unprivileged(RECOMMENDED)
        server, client, run = self.traced_request(backend, "/priv/recommended")
        self.stop_agent(agent)

        self.assertEqual(res(server, "service.name"), "it-backend")
        self.assertEqual(res(server, "process.executable.path"), os.path.realpath(sys.executable))
        self.assertEqual(res(client, "process.executable.path"), os.path.realpath(run.argv[0]))

    def test_exe_selection_of_other_users_processes(self):
        """--exe matches /proc/PID/exe. With CAP_SYS_PTRACE it selects root's curl; without
        it the agent must either still select it or say why it cannot."""
        self.start_receiver()
        backend = self.start_backend()

        agent = self.start_unprivileged(RECOMMENDED, "--exe", "curl")
        _, client, _ = self.traced_request_client_only(backend, "/priv/exe-ptrace")
        self.stop_agent(agent)
        self.assertEqual(res(client, "service.name"), "curl")

        agent = self.start_unprivileged(MINIMAL, "--exe", "curl")
        run = curl(backend.url("/priv/exe-no-ptrace"))
        self.settle()
        self.stop_agent(agent)
        selected = select(self.receiver.spans(), kind="CLIENT", pid=run.pid)
        if not selected:
            self.assertIn("CAP_SYS_PTRACE", agent.process.stderr(),
                          "--exe selected nothing, silently: without CAP_SYS_PTRACE the agent cannot read "
                          "/proc/PID/exe of other users' processes and must say so\n" + agent.diagnostics())

    def traced_request_client_only(self, backend, path: str) -> tuple:
        run = curl(backend.url(path))
        spans = self.wait_received(lambda s: attr(s, "url.path") == path and s["kind"] == "CLIENT", 1,
                                   f"CLIENT span of {path}")
        return None, spans[0], run

    def test_root_with_only_bpf_and_perfmon(self):
        """uid 0 owns tracefs: in a container or a systemd unit running as root, CAP_BPF +
        CAP_PERFMON are enough to run. /proc/PID/exe of a process holding capabilities the
        agent lacks still needs CAP_SYS_PTRACE, even for the same uid."""
        self.start_receiver()
        backend = self.start_backend()
        agent = self.start_unprivileged(("bpf", "perfmon"), uid=0)
        server, _, _ = self.traced_request(backend, "/priv/root-bpf-perfmon")
        self.stop_agent(agent)
        self.assertEqual(res(server, "service.name"), "it-backend")
        self.assertNotIn("process.executable.path", server["resource"],
                         "the backend holds every capability, the agent two: its exe link needs CAP_SYS_PTRACE")

    # ---- what breaks, and what the user reads --------------------------------------

    def test_each_missing_capability_is_named(self):
        expected = {
            "bpf": [PRIVILEGES_MESSAGE, "CAP_BPF"],
            "perfmon": [PRIVILEGES_MESSAGE, "CAP_PERFMON"],
            # tracefs is mounted but unreadable: the message must say so, not "not mounted".
            "dac_read_search": ["tracefs", "CAP_DAC_READ_SEARCH"],
        }
        for missing, phrases in expected.items():
            caps = tuple(c for c in MINIMAL if c != missing)
            with self.subTest(without=missing):
                code, err = self.run_to_exit(caps)
                self.assertEqual(code, 1, f"exit code without CAP_{missing.upper()}; stderr:\n{err}")
                for phrase in phrases:
                    self.assertIn(phrase, err, f"message without CAP_{missing.upper()}")
                if host_has_tracefs():
                    self.assertNotIn("tracefs is not mounted", err,
                                     "tracefs is mounted: blaming its absence sends the user the wrong way")

    def test_propagation_needs_net_admin_and_says_so(self):
        """--propagate=headers needs a sockmap and a cgroup program: CAP_NET_ADMIN on top of the
        minimal set. Without it the agent refuses to start and names it; with it, it runs."""
        code, err = self.run_to_exit(MINIMAL, "--propagate=headers")
        self.assertEqual(code, 1, err)
        self.assertIn("--propagate=headers also needs CAP_NET_ADMIN", err)
        self.start_receiver()
        backend = self.start_backend()
        agent = self.start_unprivileged(MINIMAL + ("net_admin",), "--propagate=headers")
        server, client, _ = self.traced_request(backend, "/priv/propagate")
        self.stop_agent(agent)
        self.assertEqual(server["parent_span_id"], client["span_id"])

    def test_root_without_capabilities(self):
        """uid 0 with an empty capability set (a container with every capability dropped)."""
        code, err = self.run_to_exit((), uid=0)
        self.assertEqual(code, 1, err)
        self.assertIn("CAP_BPF", err, "the message names the capability to grant")

    def test_tracefs_missing(self):
        """In a mount namespace without tracefs: CAP_SYS_ADMIN lets the agent mount it;
        without it the agent says how to mount it. The host's mounts are never touched."""
        self.assertTrue(host_has_tracefs(), "this test expects tracefs mounted on the host")
        code, err = self.run_to_exit(MINIMAL, prefix=without_tracefs())
        self.assertEqual(code, 1, err)
        self.assertIn("tracefs is not mounted", err)
        self.assertIn("mount -t tracefs tracefs /sys/kernel/tracing", err)

        self.start_receiver()
        agent = self.start_unprivileged(MINIMAL + ("sys_admin",), prefix=without_tracefs())
        self.assertIn("mounted tracefs at /sys/kernel/tracing", agent.process.stderr())
        self.stop_agent(agent)
        self.assertTrue(host_has_tracefs(), "the host's tracefs is still mounted")


if __name__ == "__main__":
    unittest.main()
