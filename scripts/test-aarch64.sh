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

if [ "$status" -eq 0 ]; then
    echo "test-aarch64: PASS"
fi
exit "$status"
