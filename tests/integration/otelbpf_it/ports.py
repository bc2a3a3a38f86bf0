"""Free TCP ports on 127.0.0.1, for servers that cannot bind port 0 themselves (nginx)."""

import socket
import time


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, timeout: float, alive=lambda: True) -> None:
    """Waits until something accepts TCP connections on 127.0.0.1:port. The probe connects
    and closes without sending a byte, so it never looks like an HTTP exchange."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise AssertionError(f"process meant to listen on port {port} exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")
