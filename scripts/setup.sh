#!/usr/bin/env bash
# Installs sqler's build dependencies on Debian 12 (apt-get only) and builds the
# library's tests, examples and benchmarks into ./build (and ./build-clang).
#
#   scripts/setup.sh            # deps + g++ build + clang++ build
#   SQLER_COMPILERS=gcc scripts/setup.sh   # only one compiler
#   SQLER_SKIP_APT=1 scripts/setup.sh      # deps already installed
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build clang-14 git python3 curl
  libboost1.81-dev libboost-json1.81-dev   # 1.81: first Debian 12 Boost with PFR and JSON
  libsqlite3-dev sqlite3 libgtest-dev libbenchmark-dev
  libsqlitecpp-dev libcpp-httplib-dev gnuplot-nox
)

if [[ "${SQLER_SKIP_APT:-0}" != 1 ]]; then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}"
fi

jobs="${SQLER_JOBS:-2}"
build_type="${SQLER_BUILD_TYPE:-Release}"
compilers="${SQLER_COMPILERS:-gcc clang}"

configure_and_build() {  # $1 build dir, $2 C compiler, $3 C++ compiler
  cmake -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" \
    -DCMAKE_C_COMPILER="$2" -DCMAKE_CXX_COMPILER="$3" \
    -DSQLER_BUILD_TESTS=ON -DSQLER_BUILD_EXAMPLES=ON -DSQLER_BUILD_BENCH=ON \
    ${SQLER_CMAKE_ARGS:-}
  cmake --build "$1" -j "$jobs"
}

for c in $compilers; do
  case "$c" in
    gcc)   configure_and_build build gcc g++ ;;
    clang) configure_and_build build-clang clang-14 clang++-14 ;;
    *) echo "unknown compiler '$c' (use gcc or clang)" >&2; exit 2 ;;
  esac
done
