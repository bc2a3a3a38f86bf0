#!/usr/bin/env bash
# Sets everything up, builds, and runs every test suite through CTest: unit tests and the
# integration tests (real eBPF, real nginx/curl/python servers, real OTLP). Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "test.sh: the integration tests load eBPF programs: run as root" >&2
  exit 1
fi
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOTELBPF_BUILD_TESTS=ON \
  -DOTELBPF_BUILD_BENCH=ON >/dev/null
cmake --build build -j"$(nproc)"
cd build
# Unit tests and fuzzers run beside the integration modules; those take a RESOURCE_LOCK on the
# machine's kernel hooks and still run one at a time (tests/integration/CMakeLists.txt).
ctest --output-on-failure --timeout 600 -j"$(nproc)" "$@"
