"""The Node.js OTLP receiver (otlp-receiver/receiver.js) as a child process: spans in
received-spans.jsonl, metric data points (one flat record per point, see
otlp-receiver/flatten.js) in received-metrics.jsonl."""

import json
import os
import time

from . import config
from .procs import Process
from .spans import JsonLinesFile


class Receiver:
    def __init__(self, workdir: str):
        self.spans_path = os.path.join(workdir, "received-spans.jsonl")
        self.metrics_path = os.path.join(workdir, "received-metrics.jsonl")
        script = os.path.join(config.receiver_dir(), "receiver.js")
        self.process = Process("receiver", [config.tool("node"), script, "--out", self.spans_path,
                                            "--metrics-out", self.metrics_path], workdir,
                               cwd=config.receiver_dir())
        ready = self._wait_ready(timeout=15.0)
        self.http_port = ready["http_port"]
        self.grpc_port = ready["grpc_port"]
        self.pid = self.process.pid
        self._spans = JsonLinesFile(self.spans_path)
        self._metrics = JsonLinesFile(self.metrics_path)

    def _wait_ready(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            first = self.process.stdout().split("\n")
            if len(first) > 1 and first[0].strip():
                return json.loads(first[0])
            if not self.process.alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"OTLP receiver did not start:\n{self.process.stderr()}")

    def endpoint(self, protocol: str) -> str:
        port = self.grpc_port if protocol == "grpc" else self.http_port
        return f"http://127.0.0.1:{port}"

    def spans(self) -> list:
        return self._spans.read()

    def metrics(self) -> list:
        """Every metric data point received so far, in arrival order: dicts with resource,
        scope, name, unit, type, temporality, attributes, times, value or count/sum/buckets,
        transport (see otlp-receiver/flatten.js)."""
        return self._metrics.read()

    def log(self) -> str:
        return self.process.stderr()

    def stop(self) -> None:
        self.process.kill_group()
