"""Containers without a container runtime: real cgroups made by the test, named the way docker,
containerd, CRI-O and podman name theirs, with real servers inside, and real network
namespaces. Checked through the independent OTLP decoder:

- container.id and container.runtime.name on the resource of a process in each runtime's cgroup
  shape, in the unified (v2) hierarchy wherever it is mounted, and on a hybrid host in a v1
  hierarchy while the unified one says "/";
- --container selects by id prefix (processes running at start, and ones started later), and
  --cgroup by a cgroup's file system path, with the forked children of a selected process (a
  child per request too: the kernel selects it as it forks);
- podman runs a real container;
- Kubernetes metadata: a pod watch against a stand-in API server (fake_kubernetes_api.py, no
  cluster can run here) puts the pod's k8s.* attributes and its workload's service.name on a
  process in the pod's container cgroup, and --k8s-namespace selects by the pod's namespace;
- two network namespaces with the same 4-tuple at the same time (each its own 127.0.0.1, the same
  ports) are two connections: each server span is linked under the client span of its own
  namespace, never the other's. TLS makes the case hard: its plaintext has no TCP sequence
  number, so same-host stitching keys on the tuple and the exchange's index alone.

No registry is reachable to pull images from, so docker, containerd and CRI-O are not run: their only trace
otelbpf reads is the cgroup path, which the test reproduces exactly; podman, which Debian has,
runs one real container (a static Go server) from an image built at test time FROM scratch.
"""

import json
import os
import secrets
import subprocess
import sys
import time
import unittest
import uuid

from otelbpf_it import config
from otelbpf_it.case import IntegrationTest
from otelbpf_it.clients import curl
from otelbpf_it.golang import build_go
from otelbpf_it.netns import NetnsPair
from otelbpf_it.nginx import make_certificate
from otelbpf_it.ports import free_port, wait_listening
from otelbpf_it.procs import Process, write_file as write
from otelbpf_it.spans import attr, res

WAIT = 15.0

# An HTTP server (HTTPS when given a certificate and key) that forks a worker to serve, like
# nginx or gunicorn: the worker execs nothing, so only its parent's selection can reach it.
SERVER = r'''
import http.server, os, ssl, sys
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = b"from a container"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
if len(sys.argv) > 3:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[2], sys.argv[3])
    server.socket = context.wrap_socket(server.socket, server_side=True)
if os.fork() == 0:
    server.serve_forever()
else:
    os.wait()
'''


# A server that forks a child per request (like busybox httpd, inetd, or PostgreSQL per
# connection): the child is gone before any look at /proc could select it.
FORK_PER_REQUEST_SERVER = r'''
import http.server, socketserver, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"a child per request"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
class Server(socketserver.ForkingMixIn, http.server.HTTPServer):
    pass
Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
'''


def mounts() -> list:
    """(mount point, fstype, super options) of every cgroup file system, from mountinfo."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            before, after = line.split(" - ", 1)
            fstype, _, options = after.split()[:3]
            if fstype in ("cgroup", "cgroup2"):
                out.append((before.split()[4].replace("\\040", " "), fstype, options))
    return out


def unified_mount() -> str:
    found = [point for point, fstype, _ in mounts() if fstype == "cgroup2"]
    if not found:
        raise AssertionError("no cgroup2 file system is mounted: otelbpf needs one (sockops, containers)")
    return found[0]


def v1_mount() -> str:
    """A v1 hierarchy of a hybrid host (the pids controller if mounted), or ""."""
    v1 = [(point, options) for point, fstype, options in mounts() if fstype == "cgroup"]
    for point, options in v1:
        if "pids" in options.split(","):
            return point
    return v1[0][0] if v1 else ""


def container_id() -> str:
    return secrets.token_hex(32)


class Cgroups:
    """Cgroup folders made for one test, removed (deepest first) once their processes are gone."""

    def __init__(self, tc: unittest.TestCase):
        self.tc = tc
        self.made = []
        self.top = f"otelbpf-it-{secrets.token_hex(3)}"

    def make(self, root: str, relative: str) -> str:
        path = root
        for part in [self.top, *relative.strip("/").split("/")]:
            path = os.path.join(path, part)
            if not os.path.isdir(path):
                os.mkdir(path)
                self.made.append(path)
        return path

    def remove(self) -> None:
        for path in sorted(self.made, key=len, reverse=True):
            for _ in range(50):
                try:
                    os.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)  # a process still exiting
        self.made = []


class CgroupCase(IntegrationTest):
    """Servers in cgroups made for the test (no tests of its own)."""

    def setUp(self):
        super().setUp()
        self.start_receiver()
        self.cgroups = Cgroups(self)
        self.addCleanup(self.cgroups.remove)
        self.script = write(os.path.join(self.workdir, "server.py"), SERVER)

    def server_in(self, cgroup_dirs: list, name: str) -> tuple:
        """A forking HTTP server moved into these cgroup folders before it execs python;
        (process, port)."""
        port = free_port()
        steps = [f"echo $$ > '{d}/cgroup.procs'" for d in cgroup_dirs]
        steps.append(f"exec '{sys.executable}' '{self.script}' {port}")
        process = Process(name, ["/bin/sh", "-c", " && ".join(steps)], self.workdir)
        self.addCleanup(process.kill_group)
        wait_listening(port, timeout=10.0, alive=process.alive)
        self.ports.add(port)
        return process, port

    def servers_spans(self, port: int) -> list:
        return [s for s in self.receiver.spans() if s["kind"] == "SERVER" and attr(s, "server.port") == port]



class ContainerTest(CgroupCase):
    def test_container_identity_from_each_runtimes_cgroup_shape(self):
        unified = unified_mount()
        shapes = {
            "docker": ("system.slice/docker-{id}.scope", "docker"),
            "containerd": ("kubepods.slice/kubepods-besteffort.slice/"
                           "kubepods-besteffort-pod0d1e2f3a_4b5c_6d7e_8f90_a1b2c3d4e5f6.slice/"
                           "cri-containerd-{id}.scope", "containerd"),
            "cri-o": ("kubepods.slice/kubepods-pod0d1e2f3a_4b5c_6d7e_8f90_a1b2c3d4e5f7.slice/crio-{id}.scope",
                      "cri-o"),
            "podman": ("machine.slice/libpod-{id}.scope/container", "podman"),
        }
        servers = {}
        for name, (shape, runtime) in shapes.items():
            cid = container_id()
            folder = self.cgroups.make(unified, shape.format(id=cid))
            servers[name] = (cid, runtime, *self.server_in([folder], f"server-{name}"))
        hybrid = v1_mount()
        if hybrid:
            # A hybrid host's docker (cgroupfs driver) names the container in its v1 hierarchies
            # only; the unified line stays where the parent was.
            cid = container_id()
            servers["docker-v1"] = (cid, "docker", *self.server_in([self.cgroups.make(hybrid, f"docker/{cid}")],
                                                                  "server-docker-v1"))
        plain_process, plain_port = self.server_in([], "server-outside")

        agent = self.start_agent()
        for name, (_, _, _, port) in servers.items():
            curl(f"http://127.0.0.1:{port}/{name}")
        curl(f"http://127.0.0.1:{plain_port}/outside")
        self.wait_received(lambda s: s["kind"] == "SERVER" and attr(s, "server.port") in self.ports,
                           len(servers) + 1, "a SERVER span per server", timeout=WAIT)
        self.stop_agent(agent)

        for name, (cid, runtime, process, port) in servers.items():
            with self.subTest(name):
                spans = self.servers_spans(port)
                self.assertEqual(len(spans), 1, spans)
                self.assertEqual(res(spans[0], "container.id"), cid, spans[0]["resource"])
                self.assertEqual(res(spans[0], "container.runtime.name"), runtime, spans[0]["resource"])
                # The worker (forked, no exec) answered: its own pid, the container's identity.
                self.assertNotEqual(res(spans[0], "process.pid"), process.pid)
        outside = self.servers_spans(plain_port)
        self.assertEqual(len(outside), 1, outside)
        self.assertIsNone(res(outside[0], "container.id"), "no container is guessed for a plain process")
        clients = [s for s in self.receiver.spans() if s["kind"] == "CLIENT" and attr(s, "server.port") in self.ports]
        self.assertEqual(len(clients), len(servers) + 1)
        self.assertTrue(all(res(s, "container.id") is None for s in clients), "curl runs in no container")

    def test_select_by_container_and_by_cgroup(self):
        unified = unified_mount()
        ids = {name: container_id() for name in ("early", "late", "other")}
        early, early_port = self.server_in([self.cgroups.make(unified, f"system.slice/docker-{ids['early']}.scope")],
                                           "server-early")
        other, other_port = self.server_in([self.cgroups.make(unified, f"system.slice/docker-{ids['other']}.scope")],
                                           "server-other")
        by_path_folder = self.cgroups.make(unified, "selected.slice/app.service")
        by_path, by_path_port = self.server_in([by_path_folder], "server-by-cgroup")

        agent = self.start_agent("--container", ids["early"][:12], "--container", ids["late"],
                                 "--cgroup", os.path.dirname(by_path_folder))
        # Started after the agent: found by its exec.
        late, late_port = self.server_in([self.cgroups.make(unified, f"system.slice/docker-{ids['late']}.scope")],
                                         "server-late")
        time.sleep(1.5)  # the once-a-second look for processes forked since
        for port in (early_port, other_port, by_path_port, late_port):
            curl(f"http://127.0.0.1:{port}/select")
        self.wait_received(lambda s: s["kind"] == "SERVER" and attr(s, "server.port") in self.ports, 3,
                           "SERVER spans of the selected servers", timeout=WAIT)
        self.settle()
        self.stop_agent(agent)

        self.assertEqual(len(self.servers_spans(early_port)), 1, "--container with a 12-digit prefix")
        self.assertEqual(len(self.servers_spans(late_port)), 1, "--container, started after the agent")
        self.assertEqual(len(self.servers_spans(by_path_port)), 1, "--cgroup PATH under the cgroup2 mount")
        self.assertEqual(self.servers_spans(other_port), [], "a container not selected")
        clients = [s for s in self.receiver.spans() if s["kind"] == "CLIENT" and attr(s, "server.port") in self.ports]
        self.assertEqual(clients, [], "curl is in no selected container")


GO_SERVER = r'''
package main

import (
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("from podman\n")) })
	http.ListenAndServe(os.Args[1], nil)
}
'''


class ForkedChildTest(CgroupCase):
    def test_children_of_a_selected_process_are_selected_at_fork(self):
        """The kernel selects a selected process's child when it forks: a per-request child
        lives too briefly for any look at /proc, yet its request is a span."""
        folder = self.cgroups.make(unified_mount(), f"system.slice/docker-{container_id()}.scope")
        self.script = write(os.path.join(self.workdir, "fork_per_request.py"), FORK_PER_REQUEST_SERVER)
        server, port = self.server_in([folder], "server-fork-per-request")
        agent = self.start_agent("--cgroup", folder)
        for i in range(3):
            curl(f"http://127.0.0.1:{port}/child/{i}")
        self.wait_received(lambda s: s["kind"] == "SERVER" and attr(s, "server.port") == port, 3,
                           "a SERVER span per request", timeout=WAIT)
        self.stop_agent(agent)
        pids = {res(s, "process.pid") for s in self.servers_spans(port)}
        self.assertEqual(len(pids), 3, "each request served by its own child")
        self.assertNotIn(server.pid, pids)


class PodmanTest(IntegrationTest):
    """A real container: podman from Debian runs a static Go HTTP server from an image built here
    FROM scratch (no registry is reachable). runc with the cgroupfs manager, since crun refuses
    hybrid hosts; the host's network, so curl reaches it on 127.0.0.1."""

    def podman(self, *args, timeout: float = 120.0) -> str:
        result = subprocess.run([config.tool("podman"), "--runtime", config.tool("runc"), "--cgroup-manager",
                                 "cgroupfs", *map(str, args)], capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise AssertionError(f"podman {' '.join(map(str, args))} failed ({result.returncode}): {result.stderr}")
        return result.stdout.strip()

    def test_container_of_podman_is_named(self):
        self.start_receiver()
        context = os.path.join(self.workdir, "image")
        os.makedirs(context)
        build_go(self.workdir, GO_SERVER, os.path.join(context, "server"), static=True)
        write(os.path.join(context, "Containerfile"), "FROM scratch\nCOPY server /server\nENTRYPOINT [\"/server\"]\n")
        image = f"localhost/otelbpf-it-{secrets.token_hex(3)}"
        self.podman("build", "-q", "-t", image, context)
        self.addCleanup(lambda: subprocess.run([config.tool("podman"), "rmi", "-f", image], capture_output=True))
        port = free_port()
        name = f"otelbpf-it-{secrets.token_hex(3)}"
        # Host limits: podman's default RLIMIT_NOFILE/NPROC are above what this host allows.
        cid = self.podman("run", "-d", "--name", name, "--network", "host", "--ulimit", "nofile=1024:1024",
                          "--ulimit", "nproc=1024:1024", image, f"127.0.0.1:{port}")
        self.addCleanup(lambda: subprocess.run([config.tool("podman"), "rm", "-f", "-t", "0", name],
                                               capture_output=True))
        wait_listening(port, timeout=20.0)
        self.ports.add(port)

        agent = self.start_agent("--container", cid[:12])
        curl(f"http://127.0.0.1:{port}/podman")
        self.wait_received(lambda s: s["kind"] == "SERVER" and attr(s, "server.port") == port, 1,
                           "the container's SERVER span", timeout=WAIT)
        self.settle()
        self.stop_agent(agent)

        spans = [s for s in self.receiver.spans() if attr(s, "server.port") == port]
        self.assertEqual([s["kind"] for s in spans], ["SERVER"], "--container: only the container's side")
        self.assertEqual((res(spans[0], "container.id"), res(spans[0], "container.runtime.name")), (cid, "podman"),
                         spans[0]["resource"])
        self.assertEqual(res(spans[0], "service.name"), "server")


class KubernetesTest(CgroupCase):
    NODE = "node-it"
    TOKEN = "it-bearer-token-3f9a"

    def pod(self, name: str, namespace: str, ip: str, owner: str = None) -> tuple:
        """A pod of this node with one container "app", and the cgroup folder containerd would give
        that container; (pod object, container id, folder)."""
        cid, uid = container_id(), str(uuid.uuid4())
        folder = self.cgroups.make(unified_mount(), "kubepods.slice/kubepods-pod" + uid.replace("-", "_")
                                   + f".slice/cri-containerd-{cid}.scope")
        owners = [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner, "uid": "rs-uid",
                   "controller": True}] if owner else []
        pod = {"kind": "Pod", "apiVersion": "v1",
               "metadata": {"name": name, "namespace": namespace, "uid": uid, "resourceVersion": "99",
                            "labels": {"app": name}, "ownerReferences": owners},
               "spec": {"nodeName": self.NODE, "containers": [{"name": "app", "image": f"shop/{name}:1.4"}]},
               "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                          "containerStatuses": [{"name": "app", "containerID": f"containerd://{cid}",
                                                 "ready": True, "image": f"shop/{name}:1.4"}]}}
        return pod, cid, folder

    def start_api(self, pods: list, replicasets: list) -> str:
        """The stand-in API server with these objects, and a kubeconfig for it (its path)."""
        other_node_pod = json.loads(json.dumps(pods[0]))
        other_node_pod["metadata"].update(name="elsewhere", uid=str(uuid.uuid4()))
        other_node_pod["spec"]["nodeName"] = "another-node"
        objects = write(os.path.join(self.workdir, "objects.json"),
                        json.dumps({"pods": [*pods, other_node_pod], "replicasets": replicasets,
                                    "resourceVersion": "100"}))
        self.requests_log = os.path.join(self.workdir, "api-requests.log")
        api_port = free_port()
        api = Process("fake-kubernetes-api", [sys.executable, os.path.join(os.path.dirname(__file__),
                                                                           "fake_kubernetes_api.py"),
                                              api_port, objects, self.requests_log], self.workdir)
        self.addCleanup(api.kill_group)
        wait_listening(api_port, timeout=10.0, alive=api.alive)
        return write(os.path.join(self.workdir, "kubeconfig"), f"""apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: http://127.0.0.1:{api_port}
users:
- name: it
  user:
    token: {self.TOKEN}
contexts:
- name: it
  context:
    cluster: fake
    user: it
current-context: it
""")

    def assert_api_requests(self) -> None:
        with open(self.requests_log) as f:
            requests = [json.loads(line) for line in f]
        self.assertTrue(requests, "the agent asked the API server")
        self.assertTrue(all(r["authorization"] == f"Bearer {self.TOKEN}" for r in requests), requests)
        lists = [r["path"] for r in requests if r["path"].startswith("/api/v1/pods?") and "watch" not in r["path"]]
        self.assertTrue(lists and all("fieldSelector=spec.nodeName%3D" + self.NODE in p for p in lists), requests)

    def test_pod_metadata_names_a_process_and_its_callers_peer(self):
        # The pod's address is 127.0.0.1 here (its server listens there): curl's CLIENT span to it
        # names the pod's service as its peer.
        pod, cid, folder = self.pod("checkout-6d8f9c7b5-x2k4q", "shop", "127.0.0.1", owner="checkout-6d8f9c7b5")
        replicaset = {"kind": "ReplicaSet", "apiVersion": "apps/v1",
                      "metadata": {"name": "checkout-6d8f9c7b5", "namespace": "shop", "uid": "rs-uid",
                                   "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                                                        "name": "checkout", "uid": "d-uid", "controller": True}]}}
        kubeconfig = self.start_api([pod], [replicaset])
        _, port = self.server_in([folder], "server-in-pod")

        agent = self.start_agent("--kubeconfig", kubeconfig, "--k8s-node", self.NODE)
        time.sleep(1.0)  # the first list
        for i in range(2):
            curl(f"http://127.0.0.1:{port}/pod/{i}")
        self.wait_received(lambda s: attr(s, "server.port") == port, 4, "the pod's SERVER and curl's CLIENT spans",
                           timeout=WAIT)
        self.stop_agent(agent)

        self.assertIn(f"watching the pods of node {self.NODE}", agent.process.stderr())
        expected = {"k8s.pod.name": "checkout-6d8f9c7b5-x2k4q", "k8s.namespace.name": "shop",
                    "k8s.pod.uid": pod["metadata"]["uid"], "k8s.container.name": "app", "k8s.node.name": self.NODE,
                    "k8s.replicaset.name": "checkout-6d8f9c7b5", "k8s.deployment.name": "checkout",
                    "service.name": "checkout", "container.id": cid}
        # The last span at least: a span made before the first list was applied may lack them
        # (the process is looked up again at its next connection).
        last = max(self.servers_spans(port), key=lambda s: s["start_time_unix_nano"])
        self.assertEqual({k: res(last, k) for k in expected}, expected, last["resource"])
        clients = [s for s in self.receiver.spans() if s["kind"] == "CLIENT" and attr(s, "server.port") == port]
        self.assertEqual(len(clients), 2)
        self.assertEqual(attr(clients[-1], "service.peer.name"), "checkout", clients[-1])
        self.assertIsNone(res(clients[-1], "k8s.pod.name"), "curl runs in no pod")
        self.assert_api_requests()

    def test_select_by_namespace(self):
        shop, _, shop_folder = self.pod("cart", "shop", "10.244.1.8")
        jobs, _, jobs_folder = self.pod("batch-worker", "jobs", "10.244.1.9")
        kubeconfig = self.start_api([shop, jobs], [])
        _, shop_port = self.server_in([shop_folder], "server-in-shop")
        _, jobs_port = self.server_in([jobs_folder], "server-in-jobs")

        agent = self.start_agent("--kubeconfig", kubeconfig, "--k8s-node", self.NODE, "--k8s-namespace", "shop")
        time.sleep(1.5)  # the first list, then the once-a-second look at processes not yet judged
        for i in range(2):
            curl(f"http://127.0.0.1:{shop_port}/pod/{i}")
            curl(f"http://127.0.0.1:{jobs_port}/pod/{i}")
        self.wait_received(lambda s: s["kind"] == "SERVER" and attr(s, "server.port") == shop_port, 2,
                           "the shop pod's SERVER spans", timeout=WAIT)
        self.settle()
        self.stop_agent(agent)

        self.assertEqual({res(s, "k8s.namespace.name") for s in self.servers_spans(shop_port)}, {"shop"})
        self.assertEqual(self.servers_spans(jobs_port), [], "--k8s-namespace shop: the jobs pod is not watched")
        self.assertEqual([s for s in self.receiver.spans() if s["kind"] == "CLIENT"
                          and attr(s, "server.port") in self.ports], [], "curl is in no pod")
        self.assert_api_requests()


class NetworkNamespaceTest(IntegrationTest):
    def test_same_tuple_in_two_namespaces_is_two_connections(self):
        self.start_receiver()
        pair = NetnsPair()
        self.addCleanup(pair.remove)
        cert, key = make_certificate(self.workdir)
        script = write(os.path.join(self.workdir, "https_server.py"), SERVER)
        server_port, client_port = 8443, free_port()
        for ns in (pair.a, pair.b):
            server = ns.process(f"server-{ns.name}", [sys.executable, script, server_port, cert, key], self.workdir)
            self.addCleanup(server.kill_group)
        for ns in (pair.a, pair.b):
            ns.run(sys.executable, "-c", "import socket, sys, time\n"
                   "for _ in range(200):\n"
                   "    try:\n"
                   f"        socket.create_connection(('127.0.0.1', {server_port}), timeout=0.5).close(); sys.exit(0)\n"
                   "    except OSError: time.sleep(0.05)\n"
                   "sys.exit('not listening')\n")
        self.ports.add(server_port)

        agent = self.start_agent()
        # The same client port in both namespaces, at the same time: one 4-tuple, twice.
        clients = {ns.name: subprocess.Popen(
            ns.argv(config.tool("curl"), "-sSk", "--http1.1", "--local-port", client_port, "-o", "/dev/null",
                    f"https://127.0.0.1:{server_port}/{label}"),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE) for ns, label in ((pair.a, "ns-a"), (pair.b, "ns-b"))}
        for name, proc in clients.items():
            out, err = proc.communicate(timeout=30)
            self.assertEqual(proc.returncode, 0, f"curl in {name}: {err.decode()}")
        self.wait_received(lambda s: attr(s, "server.port") == server_port, 4, "2 SERVER + 2 CLIENT spans", timeout=WAIT)
        self.settle()
        self.stop_agent(agent)

        spans = [s for s in self.receiver.spans() if attr(s, "server.port") == server_port]
        by = {(s["kind"], attr(s, "url.path")): s for s in spans}
        self.assertEqual(sorted(by), [("CLIENT", "/ns-a"), ("CLIENT", "/ns-b"), ("SERVER", "/ns-a"), ("SERVER", "/ns-b")],
                         spans)
        for label in ("/ns-a", "/ns-b"):
            client, server = by[("CLIENT", label)], by[("SERVER", label)]
            self.assertEqual(attr(server, "url.scheme"), "https")
            self.assertEqual(attr(server, "network.peer.port"), client_port, "the two connections share their tuple")
            self.assertEqual(server["parent_span_id"], client["span_id"],
                             f"the server of {label} under its own namespace's client:\n{client}\n{server}")
            self.assertEqual(server["trace_id"], client["trace_id"])


if __name__ == "__main__":
    unittest.main()
