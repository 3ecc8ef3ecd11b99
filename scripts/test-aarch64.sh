#!/bin/sh
# test-aarch64.sh - build the context-switch selftest for aarch64 and run it
# under qemu-aarch64.
#
# Usage: scripts/test-aarch64.sh [OUTDIR]
#
# Cross-compiles tests/arch/ctx_selftest.c twice, statically (so qemu needs
# no aarch64 sysroot): once with core/arch/switch_aarch64.S and once with
# the ucontext fallback (core/arch/switch_ucontext.c, PURR_CTX_UCONTEXT).
# Runs both under qemu-aarch64 and exits non-zero if a build or a run fails.
# Binaries go to OUTDIR (default: a temporary directory, removed afterwards).
#
# Tools (Debian: gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user):
#   PURR_AARCH64_CC     cross compiler (default aarch64-linux-gnu-gcc)
#   PURR_QEMU_AARCH64   emulator (default qemu-aarch64, or
#                       qemu-aarch64-static if that is all there is)
# When a tool is missing the script prints SKIP and exits 0, unless
# PURR_REQUIRE_AARCH64 is set (to anything): then it fails. CI sets it.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cc=${PURR_AARCH64_CC:-aarch64-linux-gnu-gcc}
qemu=${PURR_QEMU_AARCH64:-}
if [ -z "$qemu" ]; then
    qemu="qemu-aarch64"
    if ! command -v "$qemu" >/dev/null 2>&1 &&
        command -v qemu-aarch64-static >/dev/null 2>&1; then
        qemu="qemu-aarch64-static"
    fi
fi

missing=
command -v "$cc" >/dev/null 2>&1 || missing="$missing $cc"
command -v "$qemu" >/dev/null 2>&1 || missing="$missing $qemu"
if [ -n "$missing" ]; then
    if [ -n "${PURR_REQUIRE_AARCH64+set}" ]; then
        echo "test-aarch64: FAIL: not found:$missing" \
            "(PURR_REQUIRE_AARCH64 is set)" >&2
        exit 1
    fi
    echo "test-aarch64: SKIP: not found:$missing" \
        "(install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user;" \
        "set PURR_REQUIRE_AARCH64=1 to make this an error)"
    exit 0
fi

if [ $# -ge 1 ]; then
    out=$1
    mkdir -p "$out"
else
    out=$(mktemp -d "${TMPDIR:-/tmp}/purr-aarch64.XXXXXX")
    trap 'rm -rf "$out"' EXIT
fi

# The same warnings as purr's own targets (cmake/PurrWarnings.cmake), as
# errors: the cross compiler is the only one that sees the aarch64 paths.
cflags="-std=gnu11 -O2 -g -static -Wall -Wextra -Werror -Wshadow -Wundef
    -Wwrite-strings -Wstrict-prototypes -Wmissing-prototypes
    -Wold-style-definition -I$root/include -I$root/core"
test_src=$root/tests/arch/ctx_selftest.c

status=0

# run NAME EXTRA_FLAGS SWITCH_SRC: builds and runs one variant.
run() {
    name=$1
    extra=$2
    src=$3
    echo "test-aarch64: $name: $cc ... $(basename "$src")"
    # shellcheck disable=SC2086 # cflags and extra are word lists
    if ! "$cc" $cflags $extra "$test_src" "$src" -o "$out/$name"; then
        echo "test-aarch64: FAIL: $name did not build" >&2
        status=1
        return
    fi
    if ! "$qemu" "$out/$name"; then
        echo "test-aarch64: FAIL: $name failed under $qemu" >&2
        status=1
        return
    fi
}

run ctx_selftest_aarch64 "" "$root/core/arch/switch_aarch64.S"
run ctx_selftest_aarch64_ucontext -DPURR_CTX_UCONTEXT \
    "$root/core/arch/switch_ucontext.c"

# The whole core on aarch64: the pet demo, built for both architectures
# from the same sources (without libuv, which has no aarch64 build here),
# must print byte-identical timelines: determinism across architectures.
core_srcs=$(ls "$root"/core/*.c | grep -v -e clock_uv.c -e /datum_fuzz)
# shellcheck disable=SC2086
if "$cc" $cflags -DPURR_BUILDING $core_srcs "$root/core/arch/switch_aarch64.S" \
        "$root/examples/pet_demo.c" -lpthread -lm -o "$out/pet_demo_aarch64" &&
    cc $cflags -DPURR_BUILDING -static-libgcc $core_srcs \
        "$root/core/arch/switch_x86_64.S" "$root/examples/pet_demo.c" \
        -lpthread -lm -o "$out/pet_demo_native" 2>/dev/null; then
    "$qemu" "$out/pet_demo_aarch64" > "$out/pet_aarch64.txt" || status=1
    "$out/pet_demo_native" > "$out/pet_native.txt" || status=1
    if cmp -s "$out/pet_aarch64.txt" "$out/pet_native.txt"; then
        echo "test-aarch64: pet_demo: identical on aarch64 and x86-64" \
            "($(wc -l < "$out/pet_native.txt") lines)"
    else
        echo "test-aarch64: FAIL: pet_demo output differs between" \
            "aarch64 and x86-64" >&2
        diff "$out/pet_native.txt" "$out/pet_aarch64.txt" | head >&2
        status=1
    fi
else
    echo "test-aarch64: FAIL: the core did not build for aarch64" >&2
    status=1
fi

if [ "$status" -eq 0 ]; then
    echo "test-aarch64: PASS"
fi
exit "$status"
