#!/usr/bin/env bash
# cross-aarch64.sh - the whole purr on aarch64: cross-build the purr command,
# run every shipped scene under qemu-user, and check that each recording is
# bit for bit the one x86-64 makes, and that each architecture replays the
# other's recordings.
#
# Usage: scripts/cross-aarch64.sh [X86_BUILD] [ARM_BUILD]
#
#   X86_BUILD  an x86-64 build directory holding cli/purr (default: build)
#   ARM_BUILD  where to cross-build (default: build-aarch64-purr)
#
# First, purr's math functions (pmath.h) against their table of known
# bits (tests/core/pmath_known.h), on aarch64. Then, for each of
# scenes/*.yaml and bench/reference.yaml (its first hour: a
# whole day is 8.6 million transitions), with seeds 1 and 2:
#   1. x86-64 `purr run --record` and aarch64 `purr run --record` under
#      `qemu-aarch64 -L /`; both must end with the same exit status;
#   2. the x86-64 `purr diff` of the two recordings must say identical
#      (every transition, inputs included: value, time, payload bytes);
#   3. `purr replay --check` of the x86-64 recording by the aarch64 purr,
#      and of the aarch64 recording by the x86-64 purr, must pass.
# Then `purr run --check-determinism --across` with the aarch64 purr, as a
# team would run it. The recordings are left in ARM_BUILD/cross-runs.
#
# Needs (Debian, scripts/setup-debian.sh installs them): the arm64
# architecture (dpkg --add-architecture arm64), gcc-aarch64-linux-gnu,
# qemu-user, libyaml-dev:arm64, libsqlite3-dev:arm64, libuv1-dev:arm64.
# The cross build uses cmake/aarch64-linux-gnu.cmake (SDL off).
#
# When something is missing the script prints SKIP and exits 0, unless
# PURR_REQUIRE_AARCH64 is set (to anything): then it fails. CI sets it.
# Run with `qemu-aarch64 -L /`, never -L /usr/aarch64-linux-gnu: there the
# cross package's ld.so meets the multiarch libc and hangs.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
x86_build=$(cd "${1:-$root/build}" && pwd)
arm_build=$(mkdir -p "${2:-$root/build-aarch64-purr}" &&
    cd "${2:-$root/build-aarch64-purr}" && pwd)
x86=$x86_build/cli/purr
qemu=${PURR_QEMU_AARCH64:-}
if [ -z "$qemu" ]; then
    qemu=qemu-aarch64
    command -v "$qemu" >/dev/null 2>&1 ||
        ! command -v qemu-aarch64-static >/dev/null 2>&1 ||
        qemu=qemu-aarch64-static
fi

skip() {
    if [ -n "${PURR_REQUIRE_AARCH64+set}" ]; then
        echo "cross-aarch64: FAIL: $* (PURR_REQUIRE_AARCH64 is set)" >&2
        exit 1
    fi
    echo "cross-aarch64: SKIP: $* (run scripts/setup-debian.sh; set" \
        "PURR_REQUIRE_AARCH64=1 to make this an error)"
    exit 0
}

missing=
for tool in aarch64-linux-gnu-gcc "$qemu" cmake pkg-config; do
    command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
for pc in yaml-0.1 sqlite3 libuv jansson libzstd liblz4 zlib; do
    [ -f "/usr/lib/aarch64-linux-gnu/pkgconfig/$pc.pc" ] ||
        missing="$missing $pc.pc:arm64"
done
[ -z "$missing" ] || skip "not found:$missing"
[ -x "$x86" ] || { echo "cross-aarch64: FAIL: no $x86" >&2; exit 1; }

start=$(date +%s)
echo "cross-aarch64: building purr for aarch64 in $arm_build"
cmake -S "$root" -B "$arm_build" \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/aarch64-linux-gnu.cmake" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPURR_WITH_SDL=OFF -DPURR_WITH_SERVE=OFF \
    -DPURR_BUILD_TESTS=OFF -DPURR_BUILD_BENCH=OFF -DPURR_WERROR=ON \
    > "$arm_build/configure.log" 2>&1 ||
    { cat "$arm_build/configure.log" >&2; exit 1; }
cmake --build "$arm_build" --target purr -j"$(nproc)" > /dev/null
arm=$arm_build/cli/purr
readelf -h "$arm" 2>/dev/null | grep -q 'Machine:.*AArch64' ||
    { echo "cross-aarch64: FAIL: $arm is not an aarch64 program" >&2; exit 1; }
built=$(date +%s)
echo "cross-aarch64: built in $((built - start)) s"

runs=$arm_build/cross-runs
rm -rf "$runs"
mkdir -p "$runs"
status=0
checked=0

fail() {
    echo "cross-aarch64: FAIL: $*" >&2
    status=1
}

# purr's math functions against their table of known bits, on aarch64:
# built as purr builds them, and once more with contraction forced on
# (pmath.c turns it off itself). Criterion is not used here: see
# docs/determinism.md.
for contract in off fast; do
    aarch64-linux-gnu-gcc -std=gnu11 -O2 -static -ffp-contract=$contract \
        -DPURR_BUILDING -I"$root/include" -I"$root/tests/core" \
        "$root/core/pmath.c" "$root/tests/core/pmath_bits.c" \
        -o "$runs/pmath_bits.$contract"
    if out=$("$qemu" -L / "$runs/pmath_bits.$contract"); then
        echo "cross-aarch64: -ffp-contract=$contract: ${out#pmath_bits: }"
    else
        fail "pmath on aarch64 (-ffp-contract=$contract): $out"
    fi
done

# check NAME SCENE SEED [RUN OPTIONS...]
check() {
    local name=$1 scene=$2 seed=$3
    shift 3
    local x="$runs/$name.seed$seed.x86_64.db"
    local a="$runs/$name.seed$seed.aarch64.db"
    local xs=0 as=0
    "$x86" run "$scene" --seed "$seed" --headless -q --record "$x" "$@" \
        > "$runs/$name.seed$seed.x86_64.txt" || xs=$?
    "$qemu" -L / "$arm" run "$scene" --seed "$seed" --headless -q \
        --record "$a" "$@" > "$runs/$name.seed$seed.aarch64.txt" || as=$?
    if [ "$xs" -gt 1 ] || [ "$as" -gt 1 ] || [ "$xs" -ne "$as" ]; then
        fail "$name seed $seed: exit status $xs on x86-64, $as on aarch64"
        return
    fi
    local verdict
    if ! verdict=$("$x86" diff -q "$x" "$a"); then
        fail "$name seed $seed: the recordings differ"
        "$x86" diff "$x" "$a" >&2 || true
        return
    fi
    # A replay's status is the run's: 1 when an expectation fails again
    # (fails.yaml), as it did when recorded ($xs); a divergence is 1 too,
    # so the verdict line is what says "identical".
    local rs=0
    "$qemu" -L / "$arm" replay --check "$x" > "$runs/$name.seed$seed.rx.txt" || rs=$?
    if [ "$rs" -ne "$xs" ] || ! grep -q ": identical" "$runs/$name.seed$seed.rx.txt"; then
        fail "$name seed $seed: aarch64 does not replay the x86-64 recording"
        return
    fi
    rs=0
    "$x86" replay --check "$a" > "$runs/$name.seed$seed.ra.txt" || rs=$?
    if [ "$rs" -ne "$as" ] || ! grep -q ": identical" "$runs/$name.seed$seed.ra.txt"; then
        fail "$name seed $seed: x86-64 does not replay the aarch64 recording"
        return
    fi
    checked=$((checked + 1))
    echo "cross-aarch64: $name seed $seed: ${verdict#* and * }; replayed" \
        "both ways"
}

for scene in "$root"/scenes/*.yaml; do
    name=$(basename "$scene" .yaml)
    for seed in 1 2; do
        check "$name" "$scene" "$seed"
    done
done
for seed in 1 2; do
    check reference "$root/bench/reference.yaml" "$seed" --duration 1h
done

# The self-check a team runs, with this aarch64 build.
if ! (cd "$runs" && "$x86" run "$root/scenes/pet.yaml" --check-determinism \
        --across "$qemu -L / $arm" > across.txt); then
    fail "purr run --check-determinism --across the aarch64 purr:"
    cat "$runs/across.txt" >&2
else
    echo "cross-aarch64: pet: $(tail -n 1 "$runs/across.txt")"
fi

end=$(date +%s)
if [ "$status" -eq 0 ]; then
    echo "cross-aarch64: PASS: $checked runs identical on x86-64 and" \
        "aarch64 ($((end - built)) s of runs, $((end - start)) s in all)"
fi
exit "$status"
