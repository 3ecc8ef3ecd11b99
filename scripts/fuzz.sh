#!/bin/sh
# fuzz.sh - build every libFuzzer target in tests/fuzz/ with clang
# (-fsanitize=fuzzer,address,undefined) and run each for SECONDS seconds.
#
#   scripts/fuzz.sh [SECONDS [NAME...]]   (default 30 s, every target)
#
# Each target tests/fuzz/fuzz_NAME.c is linked against the purr libraries
# built by CMake in build-fuzz/ (with clang and the same sanitizers), and
# seeded from tests/fuzz/corpus/NAME/ when it exists. Exit status: 0 when
# every target ran clean, 1 on a crash (the reproducer is left in
# build-fuzz/), 77 when clang is not available (CTest: skipped).
set -eu
seconds=${1:-30}
[ $# -gt 0 ] && shift
root=$(cd "$(dirname "$0")/.." && pwd)
out=${PURR_FUZZ_BUILD:-$root/build-fuzz}
command -v clang >/dev/null 2>&1 || { echo "fuzz.sh: no clang" >&2; exit 77; }

san=address,undefined
cmake -S "$root" -B "$out" -DCMAKE_C_COMPILER=clang -DPURR_SANITIZE=$san \
  -DPURR_BUILD_TESTS=OFF -DPURR_BUILD_BENCH=OFF -DPURR_WITH_SDL=OFF \
  -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$out" -j2 --target purr_sim purr_recorder purr_replay >/dev/null

# Dependents first: replay uses sim (scenes, for import) and the recorder.
libs="$out/replay/libpurr_replay.a $out/sim/libpurr_sim.a \
  $out/recorder/libpurr_recorder.a $out/core/libpurr_core.a"
status=0
for src in "$root"/tests/fuzz/fuzz_*.c; do
  name=$(basename "$src" .c)
  if [ $# -gt 0 ]; then
    case " $* " in *" ${name#fuzz_} "*|*" $name "*) ;; *) continue ;; esac
  fi
  corpus="$root/tests/fuzz/corpus/${name#fuzz_}"
  work="$out/$name.corpus"
  mkdir -p "$work"
  # shellcheck disable=SC2086
  clang -g -O1 -fsanitize=fuzzer,$san -I"$root/include" -I"$root/core" \
    -I"$root/recorder" -I"$root/replay" -I"$root/sim" "$src" $libs \
    $(pkg-config --libs yaml-0.1 libuv sqlite3 libzstd liblz4 zlib jansson) \
    -lm -lpthread -o "$out/$name"
  echo "fuzz.sh: $name for ${seconds}s"
  if [ -d "$corpus" ]; then
    (cd "$out" && "./$name" -max_total_time="$seconds" -max_len=4096 \
      "$work" "$corpus") || status=1
  else
    (cd "$out" && "./$name" -max_total_time="$seconds" "$work") || status=1
  fi
done
exit $status
