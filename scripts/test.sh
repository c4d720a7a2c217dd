#!/usr/bin/env bash
# Runs the whole test suite with CTest in every build directory scripts/setup.sh made
# (build = g++, build-clang = clang++, build-libcxx = clang++ with libc++). Fails if any test
# fails or no build exists.
set -euo pipefail
cd "$(dirname "$0")/.."
ran=0
for dir in build build-clang build-libcxx; do
  [[ -f "$dir/CTestTestfile.cmake" ]] || continue
  echo "== ctest --test-dir $dir"
  ctest --test-dir "$dir" --output-on-failure -j "${SQLER_JOBS:-2}"
  ran=1
done
if [[ $ran == 0 ]]; then
  echo "no build directory: run scripts/setup.sh first" >&2
  exit 1
fi
