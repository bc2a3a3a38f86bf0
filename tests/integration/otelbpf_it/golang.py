"""Builds the Go programs of the tests with Debian's golang-go (GOPATH mode, no modules: the
standard library only; the build cache is kept across tests)."""

import os
import subprocess

from . import config

GO_CACHE = "/tmp/otelbpf-it-gocache"


def build_go(workdir: str, source_text: str, output: str, *, static: bool = False,
             stripped: bool = False) -> str:
    """Writes `source_text` to WORKDIR/<output>.go, builds it to `output` (a path, or a name in
    workdir) and returns the binary's path. `static`: CGO_ENABLED=0 (runs in an empty image);
    `stripped`: -ldflags=-s -w (no symbol table, as release builds often ship)."""
    binary = output if os.path.isabs(output) else os.path.join(workdir, output)
    source = os.path.join(workdir, os.path.basename(binary) + ".go")
    with open(source, "w") as f:
        f.write(source_text)
    env = {**os.environ, "GOCACHE": GO_CACHE, "GO111MODULE": "off", "GOPATH": os.path.join(workdir, "gopath")}
    if static:
        env["CGO_ENABLED"] = "0"
    command = [config.tool("go"), "build", "-o", binary]
    if stripped:
        command.append("-ldflags=-s -w")
    built = subprocess.run(command + [source], cwd=workdir, env=env, capture_output=True, text=True, timeout=300)
    if built.returncode != 0:
        raise AssertionError(f"go build of {os.path.basename(binary)} failed:\n{built.stderr}")
    return binary
