"""Misbehaving OTLP collectors, run as threads of the test runner:

- `BlackHoleCollector` accepts TCP connections and reads everything sent to it, but never
  answers a byte: an exporter talking to it can only time out.
- `TcpRelay` listens on a port chosen by the test and forwards each connection to another
  port (the real receiver's). Stopping it closes the port and every relayed connection, as a
  collector that crashes would; starting a new relay on the same port brings the "collector"
  back at the address the agent was given.

`tcp_local_ports_of(pid)` gives the local ports of a process's TCP sockets: for the agent,
those of its own export connections.

Both servers only ever see the agent's export connections, which the agent never traces. A relay's
own connection to the receiver, though, is ordinary traffic of the test runner: tests that
use one narrow the agent with --port so that traffic is not traced (and exported, and
relayed, and traced again...).
"""

import os
import socket
import threading


def _listen(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # A relay restarted on its old port must not trip over the previous one's TIME_WAITs.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    return sock


def _close_quietly(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


class _Server:
    """Accept loop on its own thread; subclasses handle each accepted connection."""

    def __init__(self, port: int = 0):
        self._listener = _listen(port)
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._sockets = []  # every connection opened, closed at stop()
        self._stopped = False
        self.accepted = 0
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    def _track(self, sock: socket.socket) -> bool:
        with self._lock:
            if self._stopped:
                return False
            self._sockets.append(sock)
            return True

    def _accept_loop(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # listener closed by stop()
            if not self._track(conn):
                conn.close()
                return
            self.accepted += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        """Closes the port and every connection, like a collector that dies. Safe to call twice."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            sockets, self._sockets = self._sockets, []
        _close_quietly(self._listener)
        for s in sockets:
            _close_quietly(s)
        self._thread.join(timeout=5)


class BlackHoleCollector(_Server):
    """Accepts, reads and discards; never writes. Counts the bytes it swallowed."""

    def __init__(self, port: int = 0):
        self.bytes_received = 0
        super().__init__(port)

    def _handle(self, conn: socket.socket) -> None:
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            with self._lock:
                self.bytes_received += len(chunk)

    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class TcpRelay(_Server):
    """Forwards every connection on `port` to 127.0.0.1:`target_port`, bytes unchanged."""

    def __init__(self, port: int, target_port: int):
        self.target_port = target_port
        super().__init__(port)

    def _handle(self, conn: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
        except OSError:
            conn.close()
            return
        upstream.settimeout(None)
        if not self._track(upstream):
            upstream.close()
            return
        threading.Thread(target=self._pump, args=(upstream, conn), daemon=True).start()
        self._pump(conn, upstream)

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        while True:
            try:
                chunk = src.recv(65536)
                if not chunk:
                    dst.shutdown(socket.SHUT_WR)
                    return
                dst.sendall(chunk)
            except OSError:
                return


def tcp_local_ports_of(pid: int, remote_port: int = None) -> set:
    """Local ports of the connected TCP sockets a process holds (IPv4 and IPv6; listening
    sockets left out), from its fds and /proc/PID/net/tcp{,6}; with `remote_port`, only
    those connected to that port. For the agent: its own export connections."""
    inodes = set()
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            link = os.readlink(f"{fd_dir}/{fd}")
        except OSError:
            continue  # closed meanwhile
        if link.startswith("socket:["):
            inodes.add(link[len("socket:["):-1])
    ports = set()
    for table in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{table}") as f:
                next(f)  # header
                for line in f:
                    fields = line.split()
                    local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
                    if inode not in inodes or state == "0A":  # 0A: LISTEN
                        continue
                    if remote_port is not None and int(remote.rsplit(":", 1)[1], 16) != remote_port:
                        continue
                    ports.add(int(local.rsplit(":", 1)[1], 16))
        except FileNotFoundError:
            continue
    return ports
