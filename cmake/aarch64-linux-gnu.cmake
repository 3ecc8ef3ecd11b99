# aarch64-linux-gnu.cmake - cross-build purr for 64-bit Arm Linux from a
# Debian x86-64 host, against Debian's multiarch :arm64 libraries.
#
#   dpkg --add-architecture arm64 && apt-get update
#   apt-get install gcc-aarch64-linux-gnu qemu-user \
#       libyaml-dev:arm64 libsqlite3-dev:arm64 libuv1-dev:arm64
#   cmake -S . -B build-arm64 \
#       -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DPURR_WITH_SDL=OFF
#
# The multiarch libraries live in /usr/lib/aarch64-linux-gnu and their
# headers in /usr/include (shared with the host's), so the search root is
# both the cross toolchain's sysroot and /. Programs are the host's; every
# library, header and CMake package must come from the target. pkg-config
# looks only at the arm64 .pc files.
#
# Run the results with `qemu-aarch64 -L / ./purr ...`: with
# -L /usr/aarch64-linux-gnu the cross package's ld.so meets the multiarch
# libc and the program hangs in pthread_create.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(ENV{PKG_CONFIG_LIBDIR}
    /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")

# Test programs (try_run, CTest) run under qemu.
find_program(PURR_QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static)
if(PURR_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${PURR_QEMU_AARCH64} -L /)
endif()
