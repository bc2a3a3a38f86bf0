"""A stand-in for the Kubernetes API server (no cluster can run here): answers the requests
otelbpf's pod watch makes, from objects given as JSON, the way the API reference describes them:
  GET /api/v1/pods?fieldSelector=spec.nodeName=N&limit=L  -> a PodList of the node's pods
  GET /api/v1/pods?watch=1&...                            -> a chunked stream of watch events
                                                             (one BOOKMARK, then held open)
  GET /apis/apps/v1/namespaces/NS/replicasets/NAME        -> the ReplicaSet, if given
Every request is logged (path and Authorization header) as JSON lines for the test to check.

Usage: fake_kubernetes_api.py PORT OBJECTS.json REQUESTS.log"""

import http.server
import json
import sys
import time
import urllib.parse

port, objects_path, log_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(objects_path) as f:
    OBJECTS = json.load(f)  # {"pods": [...], "replicasets": [...], "resourceVersion": "100"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_request_line(self):
        with open(log_path, "a") as log:
            log.write(json.dumps({"path": self.path, "authorization": self.headers.get("Authorization")}) + "\n")

    def send_json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.log_request_line()
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path == "/api/v1/pods" and "watch" in query:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            bookmark = {"type": "BOOKMARK", "object": {"kind": "Pod", "apiVersion": "v1",
                                                       "metadata": {"resourceVersion": OBJECTS["resourceVersion"]}}}
            line = (json.dumps(bookmark) + "\n").encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
            self.wfile.flush()
            try:
                while True:  # held open, as a watch is until its timeoutSeconds
                    time.sleep(0.5)
            except OSError:
                return
        if url.path == "/api/v1/pods":
            node = query.get("fieldSelector", [""])[0].removeprefix("spec.nodeName=")
            items = [p for p in OBJECTS["pods"] if p["spec"].get("nodeName") == node]
            self.send_json(200, {"kind": "PodList", "apiVersion": "v1",
                                 "metadata": {"resourceVersion": OBJECTS["resourceVersion"]}, "items": items})
            return
        parts = url.path.strip("/").split("/")
        if parts[:3] == ["apis", "apps", "v1"] and len(parts) == 7 and parts[5] == "replicasets":
            for rs in OBJECTS.get("replicasets", []):
                if rs["metadata"]["namespace"] == parts[4] and rs["metadata"]["name"] == parts[6]:
                    self.send_json(200, rs)
                    return
        self.send_json(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
                             "code": 404})

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
