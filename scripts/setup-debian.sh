#!/usr/bin/env bash
# Installs the Debian 12 packages purr needs (idempotent; needs root).
# The :arm64 libraries (Debian multiarch) are for the aarch64 cross build
# of the whole purr (scripts/cross-aarch64.sh), run under qemu-user.
set -euo pipefail
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $SUDO dpkg --add-architecture arm64
fi
pkgs=(build-essential cmake pkg-config libuv1-dev libsqlite3-dev sqlite3
      libcriterion-dev libyaml-dev libsdl2-dev libsdl2-ttf-dev
      libsdl2-image-dev fonts-dejavu-core xvfb xauth valgrind
      libjansson-dev libwebsockets-dev libzstd-dev liblz4-dev zlib1g-dev lz4
      libzstd-dev:arm64 liblz4-dev:arm64 zlib1g-dev:arm64
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user clang libclang-rt-14-dev
      libyaml-dev:arm64 libsqlite3-dev:arm64 libuv1-dev:arm64)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
        --no-install-recommends "${missing[@]}"
fi
