#!/usr/bin/env python3
"""Opens N keep-alive connections to 127.0.0.1:PORT, sends one GET on each, reads each
response, and holds every connection open until SIGTERM (or stdin closes).

Prints `held N ok=N failed=N` once all are open and answered. Needs `ulimit -n` > N."""
import selectors
import signal
import socket
import sys
import time

REQUEST = b"GET /hold HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: otelbpf-bench-hold/1\r\nAccept: */*\r\n\r\n"


def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])
    batch = 256  # connect and answer in batches: the listen backlog never overflows
    held, ok, failed = [], 0, 0
    sel = selectors.DefaultSelector()
    for start in range(0, n, batch):
        group = []
        for _ in range(min(batch, n - start)):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.connect(("127.0.0.1", port))
                s.sendall(REQUEST)
                s.setblocking(False)
                group.append(s)
                sel.register(s, selectors.EVENT_READ, bytearray())
            except OSError:
                failed += 1
                s.close()
        pending = set(group)
        deadline = time.monotonic() + 30
        while pending and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=1):
                s, buf = key.fileobj, key.data
                try:
                    chunk = s.recv(65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    pending.discard(s)
                    sel.unregister(s)
                    failed += 1
                    continue
                buf += chunk
                if b"\r\n\r\n" in buf and buf.startswith(b"HTTP/1.1 200"):
                    head, _, body = bytes(buf).partition(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n"):
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":")[1])
                    if len(body) >= length:
                        ok += 1
                        pending.discard(s)
                        sel.unregister(s)
        failed += len(pending)
        for s in pending:
            sel.unregister(s)
        held.extend(group)
    print(f"held {len(held)} ok={ok} failed={failed}", flush=True)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        sys.stdin.read()  # until stdin closes or SIGTERM
        signal.pause()
    finally:
        for s in held:
            s.close()


if __name__ == "__main__":
    main()
