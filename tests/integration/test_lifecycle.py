"""The agent's life: programs attached when it says ready, all gone after it stops, even
when it is killed."""

import signal
import time
import unittest

from otelbpf_it.bpf_objects import program_exists, program_ids_of
from otelbpf_it.case import IntegrationTest


class LifecycleTest(IntegrationTest):
    def loaded_programs(self, agent) -> set:
        ids = program_ids_of(agent.pid)
        self.assertTrue(ids, f"otelbpf said ready but holds no eBPF program\n{agent.diagnostics()}")
        return ids

    def assert_all_unloaded(self, ids: set, after: str) -> None:
        """The kernel frees a program once its last fd and link are gone: give it a moment."""
        deadline = time.monotonic() + 5.0
        remaining = ids
        while remaining and time.monotonic() < deadline:
            remaining = {i for i in remaining if program_exists(i)}
            time.sleep(0.1)
        self.assertEqual(remaining, set(), f"eBPF programs still loaded 5 s after {after}")

    def test_sigterm_unloads_every_program(self):
        self.start_receiver()
        agent = self.start_agent()
        ids = self.loaded_programs(agent)
        self.stop_agent(agent)
        self.assert_all_unloaded(ids, "SIGTERM")

    def test_sigkill_leaves_no_program_behind(self):
        self.start_receiver()
        agent = self.start_agent()
        ids = self.loaded_programs(agent)
        agent.process.signal(signal.SIGKILL)
        self.assertEqual(agent.process.wait(10), -signal.SIGKILL)
        self.assert_all_unloaded(ids, "SIGKILL")


if __name__ == "__main__":
    unittest.main()
