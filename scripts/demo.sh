#!/usr/bin/env bash
# The main job: installs what purr needs, builds it, runs the pet-robot scene
# headless for a simulated day while recording every transition, then
# replays the recording and checks every output bit for bit.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-debian.sh
cmake -S . -B build -DPURR_BUILD_TESTS=OFF -DPURR_BUILD_BENCH=OFF > /dev/null
cmake --build build -j"$(nproc)" --target purr
mkdir -p out
rm -f out/pet.db out/pet.db-wal out/pet.db-shm
./build/cli/purr run scenes/pet.yaml --headless --record out/pet.db -q
./build/cli/purr replay out/pet.db --check
