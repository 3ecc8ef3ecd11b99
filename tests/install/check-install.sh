#!/usr/bin/env bash
# Installs the build tree into a scratch prefix, then builds a consumer
# with find_package(purr) and another with pkg-config, and runs both.
set -euo pipefail
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" > /dev/null
cmake -S "$src/tests/install/consumer" -B "$tmp/consumer" \
    -DCMAKE_PREFIX_PATH="$tmp/prefix" > /dev/null
cmake --build "$tmp/consumer" > /dev/null
"$tmp/consumer/consumer"
libdir=$(ls -d "$tmp"/prefix/lib*/pkgconfig | head -1)
# shellcheck disable=SC2046
cc -o "$tmp/pc" "$src/tests/install/consumer/main.c" \
    $(PKG_CONFIG_PATH="$libdir" pkg-config --cflags --libs --static purr)
"$tmp/pc"
