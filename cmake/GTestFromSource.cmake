# GTestFromSource.cmake - GoogleTest and gtest_main built from source with this build's compiler.
# Prebuilt libgtest is compiled against libstdc++ and cannot link into a -stdlib=libc++ (or
# sanitized, or otherwise ABI-changed) build. Including this module builds the sources that
# Debian's `googletest` package installs under /usr/src/googletest (or SQLER_GTEST_SOURCE_DIR)
# with the current compiler, flags and directory options, and provides GTest::gtest and
# GTest::gtest_main like find_package(GTest) does. Use it INSTEAD of find_package(GTest): the
# installed GTestConfig.cmake would refuse to load with only half its targets already defined.
include_guard(GLOBAL)

set(SQLER_GTEST_SOURCE_DIR "/usr/src/googletest" CACHE PATH
    "GoogleTest source tree to build when GoogleTest comes from source (Debian: package googletest)")

if(NOT EXISTS "${SQLER_GTEST_SOURCE_DIR}/googletest/CMakeLists.txt")
  message(FATAL_ERROR
    "GTestFromSource: no GoogleTest sources in ${SQLER_GTEST_SOURCE_DIR} "
    "(apt-get install googletest, or set SQLER_GTEST_SOURCE_DIR)")
endif()

# block() keeps GoogleTest's options out of the including project's scope. No gmock, nothing
# installed with the project, and EXCLUDE_FROM_ALL so only what the tests link gets built.
block(SCOPE_FOR VARIABLES)
  set(BUILD_GMOCK OFF)
  set(INSTALL_GTEST OFF)
  set(gtest_force_shared_crt ON)  # MSVC: the same runtime as the rest of the build
  set(BUILD_SHARED_LIBS OFF)
  add_subdirectory("${SQLER_GTEST_SOURCE_DIR}" "${CMAKE_BINARY_DIR}/_deps/googletest-build"
                   EXCLUDE_FROM_ALL)
endblock()

if(NOT TARGET GTest::gtest)
  add_library(GTest::gtest ALIAS gtest)
endif()
if(NOT TARGET GTest::gtest_main)
  add_library(GTest::gtest_main ALIAS gtest_main)
endif()
set(GTest_FOUND TRUE)
set(GTEST_FOUND TRUE)
