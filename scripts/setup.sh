#!/usr/bin/env bash
# Installs sqler's build dependencies on Debian 12 (apt-get only) and builds the library's
# tests, examples and benchmarks: ./build (g++ 12), ./build-clang (clang 14, libstdc++) and
# ./build-libcxx (clang 14 with libc++: tests and examples; Google Benchmark, SQLiteCpp and
# Boost.JSON are built for libstdc++ on Debian, so no benchmarks and no Boost.JSON adapter there).
#
#   scripts/setup.sh                          # deps + the three builds
#   SQLER_COMPILERS="gcc clang" scripts/setup.sh   # some of them (gcc, clang, libcxx)
#   SQLER_SKIP_APT=1 scripts/setup.sh         # deps already installed
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build clang-14 git python3 curl
  libboost1.81-dev libboost-json1.81-dev   # 1.81: first Debian 12 Boost with PFR and JSON
  libsqlite3-dev sqlite3 libgtest-dev libbenchmark-dev
  libsqlitecpp-dev libcpp-httplib-dev gnuplot-nox
  libc++-14-dev libc++abi-14-dev googletest   # the libc++ build: GoogleTest from source
  postgresql-15 libpq-dev                     # the PostgreSQL backend: libpq, a server for tests
)

if [[ "${SQLER_SKIP_APT:-0}" != 1 ]]; then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${packages[@]}"
fi

jobs="${SQLER_JOBS:-2}"
build_type="${SQLER_BUILD_TYPE:-Release}"
compilers="${SQLER_COMPILERS:-gcc clang libcxx}"

configure_and_build() {  # $1 build dir, $2 C compiler, $3 C++ compiler, then extra CMake args
  local dir=$1 cc=$2 cxx=$3
  shift 3
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" \
    -DSQLER_BUILD_TESTS=ON -DSQLER_BUILD_EXAMPLES=ON "$@" ${SQLER_CMAKE_ARGS:-}
  cmake --build "$dir" -j "$jobs"
}

for c in $compilers; do
  case "$c" in
    gcc)    configure_and_build build gcc g++ -DSQLER_BUILD_BENCH=ON ;;
    clang)  configure_and_build build-clang clang-14 clang++-14 -DSQLER_BUILD_BENCH=ON ;;
    libcxx) configure_and_build build-libcxx clang-14 clang++-14 \
              -DCMAKE_CXX_FLAGS=-stdlib=libc++ -DCMAKE_EXE_LINKER_FLAGS=-stdlib=libc++ \
              -DSQLER_GTEST_FROM_SOURCE=ON -DSQLER_WITH_BOOST_JSON=OFF -DSQLER_BUILD_BENCH=OFF ;;
    *) echo "unknown compiler '$c' (use gcc, clang or libcxx)" >&2; exit 2 ;;
  esac
done
