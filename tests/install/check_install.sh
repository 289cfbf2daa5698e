#!/usr/bin/env bash
# Installs the build into a temporary prefix, then builds and runs a project
# that uses it through find_package(widelab) and one through pkg-config.
# Usage: check_install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1; src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
test -f "$tmp/prefix/include/widelab.h"
cmake -S "$src/tests/install/consumer" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/cmake" >/dev/null
LD_LIBRARY_PATH="$tmp/prefix/lib:$tmp/prefix/lib64:${LD_LIBRARY_PATH:-}" "$tmp/cmake/consumer"
pc=$(ls "$tmp"/prefix/lib*/pkgconfig/widelab.pc)
export PKG_CONFIG_PATH=$(dirname "$pc")
cc -o "$tmp/pc" "$src/tests/install/consumer/main.c" $(pkg-config --cflags widelab) \
   $(pkg-config --libs --static widelab) -Wl,-rpath,"$(pkg-config --variable=libdir widelab)"
"$tmp/pc"
echo "install: find_package and pkg-config consumers built and ran"
