#!/usr/bin/env bash
# Installs the Debian 12 packages otelbpf needs. Idempotent: safe to run again. Must run as root.
# Usage: scripts/setup.sh [--run-only]
#   (default)    everything to build, run and test (test servers, databases, Node.js, ...)
#   --run-only   only what building and running the agent needs (scripts/build.sh)
set -euo pipefail
RUN_ONLY=0
case "${1:-}" in
  --run-only) RUN_ONLY=1 ;;
  "") ;;
  *) echo "setup.sh: unknown option '$1' (use --run-only or nothing)" >&2; exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
  echo "setup.sh: run as root (it installs Debian packages with apt-get)" >&2
  exit 1
fi

BUILD_PACKAGES=(
  build-essential cmake pkg-config git ca-certificates
  clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev
  protobuf-compiler libprotobuf-dev libgrpc++-dev protobuf-compiler-grpc
  libcurl4-openssl-dev libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  libyaml-cpp-dev  # the config file (--config, src/config) and kubeconfig files
  libsqlite3-dev  # the embedded store (--store, src/store) that otelbpf observe/stats/map read
  libmimalloc-dev  # the agent's allocator: ~15 % less agent CPU than glibc malloc (docs/performance.md)
  libcpp-httplib-dev  # the web UI's HTTP server (src/ui, docs/ui.md)
  libcapstone-dev  # finds the returns of Go functions for the Go TLS probes (src/discovery/x86_returns.cc)
)
TEST_PACKAGES=(
  libgtest-dev libgmock-dev libbenchmark-dev
  nginx-light wrk python3 procps iproute2 nftables util-linux
  dnsmasq-base  # a real DNS server on 127.0.0.1 for the DNS tests (no system service)
  prometheus  # promtool checks our exposition; the server scrapes otelbpf in the tests
  # Real database servers and clients for the protocol tests (each test starts its own).
  redis-server redis-tools memcached python3-redis python3-pymemcache
  postgresql postgresql-client python3-psycopg2
  mariadb-server mariadb-client python3-pymysql
  golang-go  # builds the Go programs of the runtime and TLS tests (tests/integration/)
  openssl curl  # certificates made at test time; the HTTPS client of the TLS tests
  nghttp2-client nghttp2-server nghttp2-proxy python3-grpcio  # HTTP/2, h2c and gRPC peers (test_http2_grpc.py)
  systemd  # systemd-analyze verify checks deploy/systemd/otelbpf.service (tests/deploy)
  podman runc  # one real container in test_containers (runc: crun refuses hybrid cgroup hosts)
  chromium chromium-driver python3-selenium  # the web UI in a real headless browser (test_ui.py)
)
# The independent OTLP decoder in the tests runs on Node.js; some images ship their own
# nodejs (with npm inside), which conflicts with Debian's npm package.
command -v npm >/dev/null 2>&1 || TEST_PACKAGES+=(nodejs npm)
[ "$RUN_ONLY" -eq 1 ] && TEST_PACKAGES=()

export DEBIAN_FRONTEND=noninteractive
missing=()
for p in "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup.sh: installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$RUN_ONLY" -eq 1 ]; then
  echo "setup.sh: the packages to build and run otelbpf are present"
  exit 0
fi

# nginx, prometheus and the databases from Debian start themselves as services on install; tests
# run their own.
for service in nginx prometheus prometheus-node-exporter redis-server memcached postgresql mariadb; do
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now "$service" >/dev/null 2>&1 || true; fi
done
pkill -x nginx 2>/dev/null || true
pkill -x prometheus 2>/dev/null || true
pkill -x prometheus-node-exporter 2>/dev/null || true
for daemon in redis-server memcached mariadbd; do pkill -x "$daemon" 2>/dev/null || true; done
echo "setup.sh: all packages present"
