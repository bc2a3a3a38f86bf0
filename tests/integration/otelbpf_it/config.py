"""Where the things under test live. CTest passes them as environment variables; the
defaults suit a run by hand from a build directory next to the source tree."""

import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
INTEGRATION_DIR = os.path.dirname(HERE)


def agent_binary() -> str:
    """Path of the otelbpf binary (OTELBPF_BIN)."""
    return os.environ.get("OTELBPF_BIN", os.path.join(os.getcwd(), "otelbpf"))


def receiver_dir() -> str:
    """Folder of the Node.js OTLP receiver, with node_modules installed (OTELBPF_RECEIVER_DIR)."""
    return os.environ.get("OTELBPF_RECEIVER_DIR", os.path.join(INTEGRATION_DIR, "otlp-receiver"))


def backend_script() -> str:
    return os.path.join(INTEGRATION_DIR, "backend_server.py")


def tool(name: str) -> str:
    """Absolute path of a program the tests drive (curl, nginx, node)."""
    for candidate in (shutil.which(name), f"/usr/sbin/{name}", f"/usr/bin/{name}"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise AssertionError(f"{name} not found: run scripts/setup.sh as root to install test dependencies")


def keep_artifacts() -> bool:
    """OTELBPF_IT_KEEP=1 keeps every test's work folder, not only the failing ones."""
    return os.environ.get("OTELBPF_IT_KEEP", "") not in ("", "0")


def check_environment() -> None:
    """Fails (never skips) when the suite cannot run for real."""
    if os.geteuid() != 0:
        raise AssertionError("otelbpf integration tests must run as root: the agent loads eBPF programs")
    binary = agent_binary()
    if not os.access(binary, os.X_OK):
        raise AssertionError(f"otelbpf binary not found at {binary}: build target 'otelbpf' or set OTELBPF_BIN")
    modules = os.path.join(receiver_dir(), "node_modules", "@opentelemetry", "otlp-transformer")
    if not os.path.isdir(modules):
        raise AssertionError(f"receiver dependencies missing in {receiver_dir()}: run 'npm ci' there")
