"""Start-up on a host that is not ready: no kernel BTF, no tracefs mounted. Each case runs the
real agent inside a private mount namespace (unshare -m) so the host's mounts are untouched."""

import re
import subprocess
import unittest

from otelbpf_it import config
from otelbpf_it.case import IntegrationTest


def run_in_mount_namespace(prepare: str, agent_args: str, wrapper: str = "",
                           timeout: float = 30.0) -> subprocess.CompletedProcess:
    """Runs `prepare` (shell, inside a fresh private mount namespace), then the agent with
    agent_args, optionally under `wrapper` (e.g. a timeout command)."""
    script = f"set -e; {prepare}; exec {wrapper} {config.agent_binary()} {agent_args}"
    return subprocess.run([config.tool("unshare"), "-m", "--propagation", "private", "sh", "-c", script],
                          capture_output=True, text=True, timeout=timeout)


class PreflightTest(IntegrationTest):
    def test_no_btf_is_one_clear_error(self):
        # An empty tmpfs over /sys/kernel/btf: the kernel looks as if built without BTF.
        result = run_in_mount_namespace("mount -t tmpfs none /sys/kernel/btf", "run --output none")
        self.assertEqual(result.returncode, 1, result.stderr)
        errors = [line for line in result.stderr.splitlines() if line.startswith("error")]
        self.assertEqual(len(errors), 1, f"exactly one error line expected:\n{result.stderr}")
        self.assertIn("no BTF", errors[0])
        self.assertIn("CONFIG_DEBUG_INFO_BTF", errors[0])
        self.assertNotIn("ready", result.stderr)

    def test_missing_tracefs_is_mounted_and_capture_works(self):
        # Unmount tracefs wherever it is; the agent must mount it, attach, and stop cleanly.
        prepare = ("umount /sys/kernel/tracing 2>/dev/null || true; "
                   "umount /sys/kernel/debug/tracing 2>/dev/null || true; "
                   "umount /sys/kernel/debug 2>/dev/null || true; "
                   "test ! -e /sys/kernel/tracing/events")
        # `timeout -s INT 3` stands in for an operator's Ctrl-C after 3 s.
        result = run_in_mount_namespace(prepare, "run --output none", wrapper=f"{config.tool('timeout')} --preserve-status -s INT 3")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("mounted tracefs at /sys/kernel/tracing", result.stderr)
        ready = re.search(r"otelbpf is ready: (\d+) hooks attached in (\d+) ms", result.stderr)
        self.assertIsNotNone(ready, result.stderr)
        # The start-up budget: attached within 1 s.
        self.assertLess(int(ready.group(2)), 1000, result.stderr)


if __name__ == "__main__":
    unittest.main()
