#!/usr/bin/env python3
"""Plain TCP peers with known byte counts, for the connection-telemetry tests (stdlib only).

  tcp_peer.py server RECV SEND      listens on 127.0.0.1 (free port), prints {"port": N} and
                                    serves forever: per connection reads RECV bytes, writes
                                    SEND bytes, waits for the client to close, closes
  tcp_peer.py client PORT SEND RECV COUNT
                                    COUNT sequential connections: writes SEND bytes, reads
                                    RECV bytes, closes
  tcp_peer.py connect PORT [SYNCNT] one connect(); prints the errno name it failed with
                                    ("OK" if it connected). SYNCNT: SYN retries (TCP_SYNCNT),
                                    to make a timeout come in seconds rather than minutes
"""

import errno
import json
import socket
import sys


def read_exactly(conn: socket.socket, n: int) -> None:
    while n > 0:
        chunk = conn.recv(min(n, 65536))
        if not chunk:
            raise SystemExit("peer closed early")
        n -= len(chunk)


def server(recv_bytes: int, send_bytes: int) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    print(json.dumps({"port": listener.getsockname()[1]}), flush=True)
    while True:
        conn, _ = listener.accept()
        with conn:
            read_exactly(conn, recv_bytes)
            conn.sendall(b"s" * send_bytes)
            conn.recv(1)  # the client's close (EOF) comes first: the server's side closes last


def client(port: int, send_bytes: int, recv_bytes: int, count: int) -> None:
    for _ in range(count):
        with socket.create_connection(("127.0.0.1", port)) as conn:
            conn.sendall(b"c" * send_bytes)
            read_exactly(conn, recv_bytes)


def connect(port: int, syncnt: int = 0) -> None:
    s = socket.socket()
    if syncnt:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, syncnt)
    try:
        s.connect(("127.0.0.1", port))
        print("OK")
    except OSError as e:
        print(errno.errorcode.get(e.errno, str(e.errno)))
    finally:
        s.close()


if __name__ == "__main__":
    mode, args = sys.argv[1], [int(a) for a in sys.argv[2:]]
    {"server": server, "client": client, "connect": connect}[mode](*args)
