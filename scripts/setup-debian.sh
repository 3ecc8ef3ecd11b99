#!/usr/bin/env bash
# Installs the Debian 12 packages purr needs (idempotent; needs root).
set -euo pipefail
pkgs=(build-essential cmake pkg-config libuv1-dev libsqlite3-dev sqlite3
      libcriterion-dev libyaml-dev libsdl2-dev libsdl2-ttf-dev
      libsdl2-image-dev fonts-dejavu-core xvfb xauth valgrind
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user clang libclang-rt-14-dev)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
        --no-install-recommends "${missing[@]}"
fi
