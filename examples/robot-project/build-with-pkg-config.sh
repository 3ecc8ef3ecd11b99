#!/bin/sh
# Builds the testbench and the plug-in with pkg-config instead of CMake,
# then checks the scene and the baseline with both. Needs PKG_CONFIG_PATH
# to reach purr's .pc files (PREFIX/lib/pkgconfig) when purr is not
# installed in a standard place.
set -eu
cd "$(dirname "$0")"
out=${1:-build-pc}
mkdir -p "$out"
# shellcheck disable=SC2046
cc -o "$out/lightbench" src/main.c src/lightbot.c \
    $(pkg-config --cflags --libs purr-cli)
# A plug-in takes purr's functions from the program that loads it: it
# needs purr's headers only.
# shellcheck disable=SC2046
cc -shared -fPIC -o "$out/liblightbot.so" src/plugin.c src/lightbot.c \
    $(pkg-config --cflags purr-sim)
"$out/lightbench" run scenes/lightbot.yaml --headless -q
"$out/lightbench" replay baselines/lightbot.db --check -q
purr=${PURR:-$(pkg-config --variable=prefix purr-core)/bin/purr}
"$purr" run scenes/lightbot.yaml --headless -q --load "$out/liblightbot.so"
"$purr" replay baselines/lightbot.db --check -q --load "$out/liblightbot.so"
