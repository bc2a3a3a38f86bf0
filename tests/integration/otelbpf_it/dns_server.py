"""dnsmasq (Debian's dnsmasq-base) as the DNS server of the DNS tests, on 127.0.0.1:53.

Port 53 because glibc's resolver cannot be pointed at any other port: clients that should use
it run through `resolving_with_it(argv)`, which gives them a private mount namespace where
/etc/resolv.conf names 127.0.0.1. Nothing on the host changes."""

import os
import socket
import time

from . import config
from .procs import Process

# Names the server answers: A and AAAA for KNOWN_NAME, NXDOMAIN for anything under .invalid.
KNOWN_NAME = "svc.otelbpf.test"
KNOWN_ADDRESS = "127.0.0.42"
KNOWN_ADDRESS6 = "fd00::42"
MISSING_NAME = "nothing-here.invalid"
PORT = 53


def _port_busy() -> bool:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", PORT))
        return False
    except OSError:
        return True
    finally:
        s.close()


class DnsServer:
    def __init__(self, workdir: str):
        if _port_busy():
            raise AssertionError("127.0.0.1:53 is taken: the DNS tests need it for their own dnsmasq "
                                 "(glibc's resolver only talks to port 53)")
        self.log_path = os.path.join(workdir, "dnsmasq.queries.log")
        self.process = Process("dnsmasq", [
            config.tool("dnsmasq"), "--keep-in-foreground", "--conf-file=/dev/null", "--user=root",
            "--listen-address=127.0.0.1", "--bind-interfaces", f"--port={PORT}", "--no-resolv", "--no-hosts",
            f"--address=/{KNOWN_NAME}/{KNOWN_ADDRESS}", f"--address=/{KNOWN_NAME}/{KNOWN_ADDRESS6}",
            "--local=/invalid/", "--log-queries", f"--log-facility={self.log_path}"], workdir)
        self.resolv_conf = os.path.join(workdir, "resolv.conf")
        with open(self.resolv_conf, "w") as f:
            f.write("nameserver 127.0.0.1\noptions attempts:1 timeout:2\n")
        deadline = time.monotonic() + 10
        while not _port_busy():
            if time.monotonic() > deadline or not self.process.alive():
                raise AssertionError(f"dnsmasq did not start:\n{self.process.stderr()}")
            time.sleep(0.05)

    def resolving_with_it(self, argv: list) -> list:
        """argv run in a private mount namespace whose /etc/resolv.conf names this server. The
        last exec keeps the pid: the process the caller starts is the one that resolves."""
        script = 'mount --bind "$0" /etc/resolv.conf && exec "$@"'
        return [config.tool("unshare"), "--mount", "--propagation", "private", "sh", "-c", script,
                self.resolv_conf, *argv]

    def queries(self) -> str:
        try:
            with open(self.log_path) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self) -> None:
        self.process.kill_group()
