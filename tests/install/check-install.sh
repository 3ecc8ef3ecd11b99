#!/usr/bin/env bash
# Installs the build tree into a scratch prefix and checks that another
# project can use every layer of it:
# - every installed header compiles on its own with only the prefix's
#   include directory (no installed header includes one that is not
#   installed, or sends the reader to a file outside the repository);
# - find_package(purr COMPONENTS ...) gives purr::core ... purr::cli, shared
#   and static, and a consumer links and runs with each;
# - `pkg-config --libs purr-<layer>` links as printed, for every layer;
# - the stock purr and its shared libraries run from the prefix (RPATH).
set -euo pipefail
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" > /dev/null

# Headers stand alone.
for h in "$prefix"/include/purr/*.h; do
    printf '#include <purr/%s>\nint purr_header_check;\n' "$(basename "$h")" \
        > "$tmp/h.c"
    cc -std=c11 -Wall -Werror -fsyntax-only -I"$prefix/include" "$tmp/h.c" \
        || { echo "check-install: $h does not compile alone" >&2; exit 1; }
    if grep -n '\.\./shared\|sim/view\|_int\.h' "$h"; then
        echo "check-install: $h refers to a file users do not have" >&2
        exit 1
    fi
done

# Shared and static libraries, with SONAMEs.
libdir=$(dirname "$(find "$prefix" -name libpurr_core.so -print -quit)")
for l in core recorder replay sim cli; do
    test -f "$libdir/libpurr_$l.a"
    soname=$(objdump -p "$libdir/libpurr_$l.so" | awk '/SONAME/ {print $2}')
    test "$soname" = "libpurr_$l.so.0" \
        || { echo "check-install: libpurr_$l.so SONAME '$soname'" >&2; exit 1; }
done

# CMake: components, shared and static.
cmake -S "$src/tests/install/consumer" -B "$tmp/consumer" \
    -DCMAKE_PREFIX_PATH="$prefix" > /dev/null
cmake --build "$tmp/consumer" > /dev/null
"$tmp/consumer/consumer"
"$tmp/consumer/consumer_static"
"$tmp/consumer/consumer_cli" --help > /dev/null

# pkg-config: each layer's --libs links as printed (shared), and --static
# links the archives.
export PKG_CONFIG_PATH=$libdir/pkgconfig
# shellcheck disable=SC2046
cc -o "$tmp/pc" "$src/tests/install/consumer/main.c" \
    $(pkg-config --cflags --libs purr)
"$tmp/pc"
for l in core recorder replay sim cli; do
    # shellcheck disable=SC2046
    cc -o "$tmp/pc_$l" "$src/tests/install/consumer/main.c" \
        $(pkg-config --cflags --libs "purr-$l")
    "$tmp/pc_$l"
done
# shellcheck disable=SC2046
cc -o "$tmp/pc_cli_main" "$src/tests/install/consumer/cli_main.c" \
    $(pkg-config --cflags --libs purr-cli)
"$tmp/pc_cli_main" --help > /dev/null
# shellcheck disable=SC2046
cc -o "$tmp/pc_static" "$src/tests/install/consumer/main.c" \
    $(pkg-config --cflags --libs --static purr-core | sed 's/-lpurr_core/-l:libpurr_core.a/')
"$tmp/pc_static"

# The installed stock purr runs from the prefix.
"$prefix/bin/purr" --help > /dev/null
"$prefix/bin/purr" run "$src/scenes/talk.yaml" --duration 10min -q > /dev/null
echo "check-install: ok"
