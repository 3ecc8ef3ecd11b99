#!/usr/bin/env bash
# Builds purr with warnings as errors and runs every test through CTest.
# PURR_BUILD_DIR (default build) and PURR_CMAKE_ARGS select the variant.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-debian.sh
bash scripts/setup-oracles.sh
dir=${PURR_BUILD_DIR:-build}
# shellcheck disable=SC2086
cmake -S . -B "$dir" -DPURR_WERROR=ON -DPURR_BUILD_TESTS=ON \
    -DPURR_BUILD_BENCH=OFF ${PURR_CMAKE_ARGS:-} > /dev/null
cmake --build "$dir" -j"$(nproc)"
# shellcheck disable=SC2086
ctest --test-dir "$dir" --output-on-failure -j"$(nproc)" ${PURR_CTEST_ARGS:-}
