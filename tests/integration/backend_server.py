#!/usr/bin/env python3
"""A small HTTP/1.1 backend for otelbpf's integration tests (stdlib only).

Binds 127.0.0.1 on a free port, prints {"port": N, "pid": P} on stdout when ready.
  GET  /sleep?ms=N    sleeps N ms, then 200 "slept"
  GET  /status/NNN    answers status NNN with body "status NNN"
  POST /echo          answers 200 with the request body
  anything else       200 "ok"
Every response has a Content-Length, so connections stay alive (keep-alive tests). Each request
is logged on stderr with the traceparent it came with.
"""

import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/sleep":
            time.sleep(int(parse_qs(url.query).get("ms", ["100"])[0]) / 1000.0)
            self._reply(200, b"slept")
        elif url.path.startswith("/status/"):
            code = int(url.path[len("/status/"):])
            self._reply(code, f"status {code}".encode())
        else:
            self._reply(200, b"ok")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._reply(200, body)

    def _reply(self, code: int, body: bytes):
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        # The traceparent each request came with (tests read what was put on the wire).
        headers = getattr(self, "headers", None)
        traceparent = headers.get("traceparent", "-") if headers else "-"
        sys.stderr.write("backend: " + (fmt % args) + f" traceparent={traceparent}\n")


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(json.dumps({"port": server.server_address[1], "pid": os.getpid()}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
