#!/usr/bin/env bash
# The worked project outside the tree (examples/robot-project), built and
# tested against an installed purr alone, the three ways a team uses it:
# its own testbench calling purr_main, a plug-in loaded by the stock purr
# (both through find_package(purr) and purr_add_scene_test), and with
# pkg-config. The project is copied out of purr's tree first, so nothing
# of purr's sources or build can be reached but the installed package.
set -euo pipefail
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s.%N)
cmake --install "$build" --prefix "$tmp/prefix" > /dev/null
cp -r "$src/examples/robot-project" "$tmp/project"
rm -rf "$tmp/project/build" "$tmp/project/build-pc"
cmake -S "$tmp/project" -B "$tmp/project/build" \
    -DCMAKE_PREFIX_PATH="$tmp/prefix" > /dev/null
cmake --build "$tmp/project/build" -j2 > /dev/null
# Every test passes, lightbot-changed.baseline by catching the change.
ctest --test-dir "$tmp/project/build" --output-on-failure
# The changed build's replay really diverges (exit 1), with the report.
if "$tmp/project/build/lightbench_changed" replay \
        "$tmp/project/baselines/lightbot.db" --check > "$tmp/changed.out"; then
    echo "check-robot-project: the changed build was not caught" >&2
    exit 1
fi
grep -q "DIVERGED" "$tmp/changed.out"
# JUnit from purr and from CTest.
test -s "$tmp/project/build/purr-junit/lightbot.xml"
ctest --test-dir "$tmp/project/build" --output-junit "$tmp/ctest.xml" \
    > /dev/null
grep -q 'lightbot.baseline' "$tmp/ctest.xml"
# pkg-config.
libdir=$(dirname "$(find "$tmp/prefix" -name libpurr_core.so -print -quit)")
PKG_CONFIG_PATH=$libdir/pkgconfig PURR=$tmp/prefix/bin/purr \
    sh "$tmp/project/build-with-pkg-config.sh" "$tmp/pc" > /dev/null
# Re-baselining is the only way the baseline changes, and it works.
before=$(sha256sum < "$tmp/project/baselines/lightbot.db")
ctest --test-dir "$tmp/project/build" > /dev/null
test "$before" = "$(sha256sum < "$tmp/project/baselines/lightbot.db")"
cmake --build "$tmp/project/build" --target purr-rebaseline > /dev/null
"$tmp/project/build/lightbench" replay "$tmp/project/baselines/lightbot.db" \
    --check -q > /dev/null
end=$(date +%s.%N)
awk -v a="$start" -v b="$end" \
    'BEGIN { printf "check-robot-project: ok (install, build and tests in %.1f s)\n", b - a }'
