#!/usr/bin/env python3
"""A discarding OTLP/HTTP sink for the overhead benchmark.

Accepts POSTs on 127.0.0.1:PORT (any path), reads each body into one reused buffer (recv_into,
so the bytes never become Python objects) and answers `200` with an empty body, keeping the
connection alive. It does not decode protobuf: decoding is the collector's cost, not ours.

Prints `sink ready port=N` once listening; on SIGTERM prints
`sink: requests=N body_bytes=N` and exits. One thread per connection (the agent keeps one).
"""
import signal
import socket
import sys
import threading

RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\n"
            b"Content-Length: 0\r\n\r\n")

lock = threading.Lock()
totals = {"requests": 0, "body_bytes": 0}


def serve(conn: socket.socket) -> None:
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    pending = b""
    try:
        while True:
            # Read until the end of the header block.
            while b"\r\n\r\n" not in pending:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                pending += chunk
            head, _, rest = pending.partition(b"\r\n\r\n")
            length = 0
            chunked = False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value.strip())
                elif name == b"transfer-encoding" and b"chunked" in value.lower():
                    chunked = True
            if chunked:  # libcurl sends Content-Length for a known body; be safe anyway
                data = rest
                while not data.endswith(b"0\r\n\r\n"):
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                length = len(data)
                pending = b""
            else:
                body = min(len(rest), length)
                pending = rest[body:]
                left = length - body
                while left > 0:
                    n = conn.recv_into(view, min(left, len(buf)))
                    if n == 0:
                        return
                    left -= n
            with lock:
                totals["requests"] += 1
                totals["body_bytes"] += length
            conn.sendall(RESPONSE)
    except OSError:
        pass
    finally:
        conn.close()


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(64)

    def stop(signum, frame):
        with lock:
            print(f"sink: requests={totals['requests']} body_bytes={totals['body_bytes']}", flush=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"sink ready port={srv.getsockname()[1]}", flush=True)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
