#!/usr/bin/env python3
"""Peers of the traceparent-injection tests (test_propagation.py), standard library only,
run inside network namespaces (`ip netns exec NS python3 propagation_peer.py ...`).

  propagation_peer.py server OUT [PORT]
      Recording HTTP/1.1 server on raw sockets (it must see the exact bytes): listens on
      0.0.0.0:PORT (0: any free port), prints {"port": N, "pid": P} when ready, one thread per
      connection, keep-alive. Frames each request by its header block and Content-Length (no
      chunked), answers 200 with a small body (and closes after `Connection: close`).
      Appends to OUT (JSON lines, flushed at once):
        {"event": "request", "conn": C, "index": I, "peer": "ip:port", "request_line": ...,
         "path": ..., "traceparents": [values of every traceparent header], "raw": base64 of
         the request's exact bytes (header block + body), "body_length": n, "body_sha256": hex}
        {"event": "closed", "conn": C, "peer": ..., "stream": base64 of every byte received on
         the connection, "leftover": base64 of bytes that did not make a whole request,
         "error": why the connection was dropped, or ""}
  propagation_peer.py relay DOWN_HOST DOWN_PORT OUT
      ThreadingHTTPServer (a thread per request) on 0.0.0.0, free port; prints {"port", "pid"}.
      GET /relay/N calls http://DOWN_HOST:DOWN_PORT/down/N with urllib (the thread serving the
      request makes the call), then answers 200 with the downstream body. Appends to OUT
      {"path": "/down/N", "sent": base64 of the exact bytes http.client sent for that call,
       "received_traceparents": the traceparent values of the incoming GET /relay/N}.
  propagation_peer.py echo
      Line-protocol echo server on 0.0.0.0, free port; prints {"port", "pid"}; a thread per
      connection sends every byte it receives straight back until the client closes.
  propagation_peer.py client HOST PORT STEPS
      One TCP connection (TCP_NODELAY) driven by STEPS, a JSON file: a list of
        {"send": base64}        one sendall() (one write as the application sees it)
        {"sleep_ms": n}
        {"responses": n}        read n HTTP responses (Content-Length framed)
        {"recv_bytes": n}       read exactly n raw bytes
      then closes. Prints {"pid", "local_port", "responses": [{"status", "body"}],
      "received": base64 of the raw bytes read}.
"""

import base64
import hashlib
import http.client
import json
import os
import re
import socket
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_HEADER_BLOCK = 64 * 1024


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class JsonLines:
    def __init__(self, path: str):
        self.file = open(path, "a", encoding="utf-8")
        self.lock = threading.Lock()

    def write(self, record: dict) -> None:
        line = json.dumps(record, sort_keys=True) + "\n"
        with self.lock:
            self.file.write(line)
            self.file.flush()


def ready(port: int) -> None:
    print(json.dumps({"port": port, "pid": os.getpid()}), flush=True)


def listener(port: int = 0) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(128)
    return s


def serve_threads(sock: socket.socket, handle) -> None:
    conn_id = 0
    while True:
        conn, peer = sock.accept()
        conn_id += 1
        threading.Thread(target=handle, args=(conn, peer, conn_id), daemon=True).start()


# ---- recording server -------------------------------------------------------------------

def parse_head(head: bytes):
    """(request line, [(name, value)]) of a header block (without its final CRLF CRLF)."""
    lines = head.split(b"\r\n")
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep:
            raise ValueError(f"header line without a colon: {line[:80]!r}")
        headers.append((name.decode("latin-1"), value.strip(b" \t").decode("latin-1")))
    return lines[0].decode("latin-1"), headers


def recording_server(out_path: str, port: int = 0) -> None:
    out = JsonLines(out_path)
    sock = listener(port)

    def handle(conn: socket.socket, peer, conn_id: int) -> None:
        peer_text = f"{peer[0]}:{peer[1]}"
        stream = bytearray()  # every byte received
        buffer = b""          # not yet framed
        index = 0
        error = ""

        def fill() -> bool:
            nonlocal buffer
            chunk = conn.recv(262144)
            if not chunk:
                return False
            stream.extend(chunk)
            buffer += chunk
            return True

        try:
            while True:
                while b"\r\n\r\n" not in buffer:
                    if len(buffer) > MAX_HEADER_BLOCK:
                        raise ValueError(f"no end of header block within {MAX_HEADER_BLOCK} bytes")
                    if not fill():
                        raise EOFError
                end = buffer.index(b"\r\n\r\n") + 4
                request_line, headers = parse_head(buffer[:end - 4])
                lengths = [v for n, v in headers if n.lower() == "content-length"]
                if len(lengths) > 1 or (lengths and not re.fullmatch(r"\d+", lengths[0])):
                    raise ValueError(f"bad Content-Length {lengths}")
                length = int(lengths[0]) if lengths else 0
                while len(buffer) < end + length:
                    if not fill():
                        raise EOFError
                raw, buffer = buffer[:end + length], buffer[end + length:]
                body = raw[end:]
                parts = request_line.split(" ")
                out.write({"event": "request", "conn": conn_id, "index": index, "peer": peer_text,
                           "request_line": request_line, "path": parts[1] if len(parts) == 3 else "",
                           "traceparents": [v for n, v in headers if n.lower() == "traceparent"],
                           "raw": b64(raw), "body_length": len(body),
                           "body_sha256": hashlib.sha256(body).hexdigest()})
                close = any(n.lower() == "connection" and v.lower() == "close" for n, v in headers)
                answer = f"recorded {conn_id}/{index}\n".encode()
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                             + str(len(answer)).encode() + (b"\r\nConnection: close" if close else b"")
                             + b"\r\n\r\n" + answer)
                index += 1
                if close:
                    break
        except EOFError:
            pass
        except (ValueError, UnicodeDecodeError) as e:
            error = str(e)
        except OSError as e:
            error = f"socket: {e}"
        finally:
            out.write({"event": "closed", "conn": conn_id, "peer": peer_text, "stream": b64(bytes(stream)),
                       "leftover": b64(buffer), "error": error})
            conn.close()

    ready(sock.getsockname()[1])
    serve_threads(sock, handle)


# ---- relay --------------------------------------------------------------------------------

_sent = threading.local()
_original_send = http.client.HTTPConnection.send


def _recording_send(self, data):
    """http.client's every write, also kept for the calling thread (the bytes it sent)."""
    if hasattr(_sent, "chunks"):
        _sent.chunks.append(bytes(data) if not hasattr(data, "read") else b"")
    return _original_send(self, data)


def relay(down_host: str, down_port: int, out_path: str) -> None:
    http.client.HTTPConnection.send = _recording_send
    out = JsonLines(out_path)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            n = self.path.partition("?")[0].rsplit("/", 1)[-1]
            path = f"/down/{n}"
            _sent.chunks = []
            try:
                with opener.open(f"http://{down_host}:{down_port}{path}", timeout=10) as r:
                    body = r.read()
            finally:
                out.write({"path": path, "sent": b64(b"".join(_sent.chunks)),
                           "received_traceparents": self.headers.get_all("traceparent") or []})
                del _sent.chunks
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):
            sys.stderr.write("relay: " + (fmt % args) + "\n")

    server = ThreadingHTTPServer(("0.0.0.0", 0), Handler)
    server.daemon_threads = True
    ready(server.server_address[1])
    server.serve_forever()


# ---- echo ---------------------------------------------------------------------------------

def echo() -> None:
    sock = listener()

    def handle(conn: socket.socket, peer, conn_id: int) -> None:
        with conn:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                conn.sendall(chunk)

    ready(sock.getsockname()[1])
    serve_threads(sock, handle)


# ---- raw client ---------------------------------------------------------------------------

def client(host: str, port: int, steps_path: str) -> None:
    with open(steps_path) as f:
        steps = json.load(f)
    conn = socket.create_connection((host, port), timeout=20)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buffer = b""
    received = bytearray()
    responses = []

    def fill() -> None:
        nonlocal buffer
        chunk = conn.recv(65536)
        if not chunk:
            raise SystemExit(f"server closed the connection; had {buffer[:200]!r}")
        received.extend(chunk)
        buffer += chunk

    for step in steps:
        if "send" in step:
            conn.sendall(base64.b64decode(step["send"]))
        elif "sleep_ms" in step:
            time.sleep(step["sleep_ms"] / 1000.0)
        elif "responses" in step:
            for _ in range(step["responses"]):
                while b"\r\n\r\n" not in buffer:
                    fill()
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                status = int(head.split(b" ", 2)[1])
                match = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
                length = int(match.group(1)) if match else 0
                while len(buffer) < length:
                    fill()
                body, buffer = buffer[:length], buffer[length:]
                responses.append({"status": status, "body": body.decode("latin-1")})
        elif "recv_bytes" in step:
            while len(buffer) < step["recv_bytes"]:
                fill()
            buffer = buffer[step["recv_bytes"]:]
        else:
            raise SystemExit(f"unknown step {step}")
    local_port = conn.getsockname()[1]
    conn.close()
    print(json.dumps({"pid": os.getpid(), "local_port": local_port, "responses": responses,
                      "received": b64(bytes(received))}), flush=True)


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "server":
        recording_server(args[0], int(args[1]) if len(args) > 1 else 0)
    elif mode == "relay":
        relay(args[0], int(args[1]), args[2])
    elif mode == "echo":
        echo()
    elif mode == "client":
        client(args[0], int(args[1]), args[2])
    else:
        raise SystemExit(__doc__)
