#!/usr/bin/env bash
# Runs the whole test suite with CTest in every build directory scripts/setup.sh made
# (build = g++, build-clang = clang++, build-libcxx = clang++ with libc++). Fails if any test
# fails or no build exists.
#
# The PostgreSQL tests need a server: unless SQLER_PG already names one, a throwaway cluster
# (scripts/pg_cluster.sh) is started for the run and stopped afterwards, also on failure; with
# it, SQLER_PG_REQUIRED=1 makes a PostgreSQL test that cannot reach it fail instead of skip.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${SQLER_PG:-}" ]]; then
  eval "$(scripts/pg_cluster.sh start)"
  trap 'scripts/pg_cluster.sh stop "$SQLER_PG_DIR"' EXIT
fi
export SQLER_PG SQLER_PG_REQUIRED=1

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
