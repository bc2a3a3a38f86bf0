"""Child processes with their output in files and a guaranteed end.

Every process runs in its own session (process group), so stopping it also stops its
children (nginx workers), and a Ctrl-C in the terminal reaches only the test runner."""

import os
import signal
import subprocess
import time


class Process:
    def __init__(self, name: str, argv: list, workdir: str, env: dict = None, cwd: str = None):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.stdout_path = os.path.join(workdir, f"{name}.stdout")
        self.stderr_path = os.path.join(workdir, f"{name}.stderr")
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.popen = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                          env=env, cwd=cwd, start_new_session=True)
        self.pid = self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stdout(self) -> str:
        return _read(self.stdout_path)

    def stderr(self) -> str:
        return _read(self.stderr_path)

    def signal(self, sig: int) -> None:
        if self.alive():
            self.popen.send_signal(sig)

    def wait(self, timeout: float):
        """Exit code, or None when still running after timeout seconds."""
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill_group(self, grace: float = 5.0) -> None:
        """SIGTERM to the whole group, SIGKILL when it lingers. Safe to call twice."""
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                self.popen.poll()
                if not _group_exists(self.pid):
                    return
                time.sleep(0.05)


def _group_exists(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _read(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


def write_file(path: str, text: str) -> str:
    """Writes `text` to `path` (a script or a page a test serves); returns the path."""
    with open(path, "w") as f:
        f.write(text)
    return path
