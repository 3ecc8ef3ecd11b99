#!/usr/bin/env bash
# The main job: builds purr and runs the pet-robot demo on the virtual clock.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-debian.sh
cmake -S . -B build -DPURR_BUILD_TESTS=OFF -DPURR_BUILD_BENCH=OFF > /dev/null
cmake --build build -j"$(nproc)" --target purr-demo
./build/examples/purr-demo
