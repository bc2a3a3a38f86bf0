#!/usr/bin/env bash
# Installs dependencies (Debian 12, as root) and builds otelbpf into ./build.
# Usage: scripts/build.sh [extra cmake -D options]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build build -j"$(nproc)"
echo "build.sh: built $(pwd)/build/otelbpf"
