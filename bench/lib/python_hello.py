#!/usr/bin/env python3
"""The Python service of the overhead benchmark: `hello` from the standard library's
http.server, the way many small internal services and health endpoints are written.

ThreadingHTTPServer (one thread per connection) with HTTP/1.1 keep-alive and a
Content-Length, so wrk can reuse connections; a request's `Connection: close` is honoured
and echoed (without the echo wrk counts every close as a read error). No access log: nginx in the same benchmark has none either,
and writing one line per request to stderr would be most of the work.

Usage: python3 python_hello.py PORT   (0 = any free port). Prints `python-hello ready port=N`
once listening; SIGTERM ends it.
"""
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODY = b"hello"


class Hello(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless the client says close
    # Headers and body leave in two writes; without TCP_NODELAY the second waits for the
    # client's delayed ACK (40 ms: ~1k req/s instead of ~10k). Production servers set it too.
    disable_nagle_algorithm = True

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(BODY)))
        if self.close_connection:  # the client asked (wrk --close): say so, as nginx does
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format, *args):  # noqa: A002 (the base class's signature)
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 4096  # listen backlog, as nginx's `backlog=4096` in the same benchmark


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = Server(("127.0.0.1", port), Hello)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"python-hello ready port={server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
