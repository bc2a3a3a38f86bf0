"""Two "hosts" on one machine: network namespaces joined by a veth pair, each with loopback
up and one address of a private /30 (10.251.N.1 and 10.251.N.2). Programs run inside one
with `ip netns exec NAME ...`, which execs the program itself, so the pid of the Popen is the
program's pid (the agent, in the root namespace, sees every namespace's syscalls).

    pair = NetnsPair()                 # creates both ends (fails with ip's message)
    tc.addCleanup(pair.remove)         # before starting anything inside it
    pair.a.run("ip", "-br", "addr")    # subprocess.run inside namespace a
    pair.b.process("server", [...], workdir)   # a procs.Process inside namespace b
    pair.b.address                     # "10.251.N.2"

Names carry a random suffix; remove() deletes both namespaces (which destroys the veth pair)
and is safe to call twice or after a failed creation."""

import random
import re
import secrets
import subprocess
import sys
import time

from . import config
from .procs import Process

PREFIX = "otelbpf-it"
SUBNET = "10.251"


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([config.tool("ip"), *args], stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"ip {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
    return result


class Namespace:
    """One end: a network namespace with loopback up and one veth address."""

    def __init__(self, name: str, veth: str, address: str):
        self.name = name
        self.veth = veth
        self.address = address

    def argv(self, *command) -> list:
        """`ip netns exec NAME COMMAND...`: COMMAND runs (exec'd, same pid) inside the namespace."""
        return [config.tool("ip"), "netns", "exec", self.name, *map(str, command)]

    def run(self, *command, timeout: float = 60.0, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
        """Runs COMMAND to completion inside the namespace (text output captured)."""
        result = subprocess.run(self.argv(*command), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                timeout=timeout, **kwargs)
        if check and result.returncode != 0:
            raise AssertionError(f"in {self.name}: {' '.join(map(str, command))} failed ({result.returncode}):\n"
                                 f"{result.stdout}{result.stderr}")
        return result

    def process(self, name: str, argv: list, workdir: str, env: dict = None) -> Process:
        """A long-running procs.Process inside the namespace (own process group, output in files)."""
        return Process(name, self.argv(*argv), workdir, env=env)

    def __repr__(self) -> str:
        return f"Namespace({self.name}, {self.veth}, {self.address})"


def _used_third_octets() -> set:
    """N of every 10.251.N.x address in the root namespace and in every named namespace."""
    texts = [_ip("-o", "-4", "addr", check=False).stdout]
    for line in _ip("netns", "list", check=False).stdout.splitlines():
        if line.split():
            texts.append(_ip("-n", line.split()[0], "-o", "-4", "addr", check=False).stdout)
    return {int(n) for text in texts for n in re.findall(rf"\b{re.escape(SUBNET)}\.(\d+)\.\d+", text)}


class NetnsPair:
    """Namespaces `a` (10.251.N.1) and `b` (10.251.N.2) joined by a veth pair."""

    def __init__(self):
        suffix = secrets.token_hex(3)
        used = _used_third_octets()
        free = [n for n in range(1, 255) if n not in used]
        if not free:
            raise AssertionError(f"every {SUBNET}.N.0/30 is in use: leftover namespaces? ({_ip('netns', 'list').stdout})")
        n = random.choice(free)
        self.subnet = f"{SUBNET}.{n}.0/30"
        self.a = Namespace(f"{PREFIX}-a-{suffix}", f"obit-a-{suffix}", f"{SUBNET}.{n}.1")
        self.b = Namespace(f"{PREFIX}-b-{suffix}", f"obit-b-{suffix}", f"{SUBNET}.{n}.2")
        self._created = []
        try:
            self._create()
        except BaseException:
            self.remove()
            raise

    def _create(self) -> None:
        for ns in (self.a, self.b):
            _ip("netns", "add", ns.name)
            self._created.append(ns.name)
        # Created in the root namespace, then each end moved: a failure in between leaves a
        # veth that remove() deletes by name.
        _ip("link", "add", self.a.veth, "type", "veth", "peer", "name", self.b.veth)
        self._veth_in_root = True
        for ns in (self.a, self.b):
            _ip("link", "set", ns.veth, "netns", ns.name)
        self._veth_in_root = False
        for ns in (self.a, self.b):
            _ip("-n", ns.name, "link", "set", "lo", "up")
            _ip("-n", ns.name, "addr", "add", f"{ns.address}/30", "dev", ns.veth)
            _ip("-n", ns.name, "link", "set", ns.veth, "up")
        self._wait_reachable()

    def _wait_reachable(self, timeout: float = 10.0) -> None:
        """Both veth ends up (carrier) and a TCP connect from a to a closed port of b refused
        (the RST came back: the path works both ways; no ping needed)."""
        probe = ("import socket, sys\n"
                 "s = socket.socket()\n"
                 "s.settimeout(1)\n"
                 "try:\n"
                 f"    s.connect(({self.b.address!r}, 9))\n"
                 "except ConnectionRefusedError:\n"
                 "    sys.exit(0)\n"
                 "except OSError as e:\n"
                 "    sys.exit(f'{e}')\n"
                 "sys.exit('something listens on port 9')\n")
        deadline = time.monotonic() + timeout
        last = ""
        while True:
            up = all("LOWER_UP" in _ip("-n", ns.name, "link", "show", ns.veth).stdout for ns in (self.a, self.b))
            if up:
                result = subprocess.run(self.a.argv(sys.executable, "-c", probe), capture_output=True, text=True)
                if result.returncode == 0:
                    return
                last = result.stderr.strip()
            if time.monotonic() > deadline:
                raise AssertionError(f"veth {self.a.veth} <-> {self.b.veth} not usable after {timeout} s ({last}):\n"
                                     + _ip("-n", self.a.name, "addr").stdout + _ip("-n", self.b.name, "addr").stdout)
            time.sleep(0.05)

    def remove(self) -> None:
        """Deletes both namespaces (their veth ends go with them) and a veth left in the root
        namespace by a failed creation. Processes must be stopped first: a namespace lives on
        while a process is inside, though its name is gone."""
        if getattr(self, "_veth_in_root", False):
            _ip("link", "del", self.a.veth, check=False)
            self._veth_in_root = False
        for name in reversed(self._created):
            _ip("netns", "del", name, check=False)
        self._created = []

    def __repr__(self) -> str:
        return f"NetnsPair({self.a}, {self.b})"


def leftovers() -> list:
    """Namespaces of these tests still present (for checks after cleanup)."""
    return [line.split()[0] for line in _ip("netns", "list", check=False).stdout.splitlines()
            if line.startswith(PREFIX)]


if __name__ == "__main__":  # python3 -m otelbpf_it.netns: create, show, remove
    pair = NetnsPair()
    try:
        print(pair)
        print(pair.a.run("ip", "-br", "addr").stdout)
    finally:
        pair.remove()
    print("leftovers:", leftovers())
