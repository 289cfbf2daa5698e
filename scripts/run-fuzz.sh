#!/usr/bin/env bash
# Builds the libFuzzer targets in tests/fuzz/ with clang and runs each briefly
# on its seed corpus. Usage: scripts/run-fuzz.sh BUILD_DIR SECONDS
set -euo pipefail
dir=${1:-build-fuzz}; secs=${2:-20}
shopt -s nullglob
targets=(tests/fuzz/fuzz_*.c)
if [[ ${#targets[@]} -eq 0 ]]; then exit 0; fi
CC=clang cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWL_FUZZ=ON -DWL_TESTS=OFF -DWL_BENCH=OFF >/dev/null
cmake --build "$dir" -j "$(nproc)" --target fuzzers >/dev/null
bin=$(cd "$dir" && pwd)
for src in "${targets[@]}"; do
  name=$(basename "$src" .c)
  corpus="tests/fuzz/corpus/${name#fuzz_}"
  work=$(mktemp -d)
  [[ -d "$corpus" ]] && cp -r "$corpus"/. "$work"/
  echo "fuzz: $name for ${secs}s"
  (cd "$work" && "$bin/$name" -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=0 . 2>fuzz.log) || {
    tail -40 "$work/fuzz.log"; echo "fuzz: $name FAILED"; exit 1; }
  rm -rf "$work"
done
echo "fuzz: all targets ran clean"
