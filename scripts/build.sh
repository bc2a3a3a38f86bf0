#!/usr/bin/env bash
# Installs what building and running needs (Debian 12, as root) and builds the agent alone into
# ./build/otelbpf: no tests, fuzzers, sanitizer builds or benchmarks (scripts/test.sh builds
# those). Usage: scripts/build.sh [extra cmake -D options]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --run-only
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOTELBPF_BUILD_TESTS=OFF \
  -DOTELBPF_BUILD_BENCH=OFF "$@" >/dev/null
cmake --build build -j"$(nproc)" --target otelbpf
echo "build.sh: built $(pwd)/build/otelbpf"
