// sqler/detail/config.hpp - the compilers, standard libraries and language version sqler needs.
// Anything else stops the build here with one "sqler: ..." #error, not an obscure failure later.
#pragma once

// Each macro below is defined as 0 or 1: test it with #if, never #ifdef.
//   SQLER_COMPILER_GCC, SQLER_COMPILER_CLANG, SQLER_COMPILER_MSVC - exactly one is 1. Apple clang,
//     clang-cl and other clang-based compilers count as clang: they print clang's signatures.
//   SQLER_COMPILER_APPLE_CLANG - 1 for Apple's clang, whose versions follow Xcode, not LLVM.
//   SQLER_STDLIB_LIBSTDCXX, SQLER_STDLIB_LIBCXX, SQLER_STDLIB_MSVC - the standard library.
//   SQLER_CPLUSPLUS - the language version: _MSVC_LANG where defined (MSVC, clang-cl), because
//     MSVC leaves __cplusplus at 199711L without /Zc:__cplusplus; __cplusplus elsewhere.

// <version> is where each standard library defines its identification macros; all three ship
// it in C++17 mode too, so a wrong -std still reaches the clear message below.
#if defined(__has_include)
#if __has_include(<version>)
#include <version>
#endif
#endif

#if defined(__clang__)
#define SQLER_COMPILER_GCC 0
#define SQLER_COMPILER_CLANG 1
#define SQLER_COMPILER_MSVC 0
#if defined(__apple_build_version__)
#define SQLER_COMPILER_APPLE_CLANG 1
#else
#define SQLER_COMPILER_APPLE_CLANG 0
#endif
#elif defined(__GNUC__)
#define SQLER_COMPILER_GCC 1
#define SQLER_COMPILER_CLANG 0
#define SQLER_COMPILER_MSVC 0
#define SQLER_COMPILER_APPLE_CLANG 0
#elif defined(_MSC_VER)
#define SQLER_COMPILER_GCC 0
#define SQLER_COMPILER_CLANG 0
#define SQLER_COMPILER_MSVC 1
#define SQLER_COMPILER_APPLE_CLANG 0
#else
#define SQLER_COMPILER_GCC 0
#define SQLER_COMPILER_CLANG 0
#define SQLER_COMPILER_MSVC 0
#define SQLER_COMPILER_APPLE_CLANG 0
#endif

#if defined(_LIBCPP_VERSION)
#define SQLER_STDLIB_LIBSTDCXX 0
#define SQLER_STDLIB_LIBCXX 1
#define SQLER_STDLIB_MSVC 0
#elif defined(__GLIBCXX__)
#define SQLER_STDLIB_LIBSTDCXX 1
#define SQLER_STDLIB_LIBCXX 0
#define SQLER_STDLIB_MSVC 0
#elif defined(_MSVC_STL_VERSION)
#define SQLER_STDLIB_LIBSTDCXX 0
#define SQLER_STDLIB_LIBCXX 0
#define SQLER_STDLIB_MSVC 1
#else
#define SQLER_STDLIB_LIBSTDCXX 0
#define SQLER_STDLIB_LIBCXX 0
#define SQLER_STDLIB_MSVC 0
#endif

#if defined(_MSVC_LANG)
#define SQLER_CPLUSPLUS _MSVC_LANG
#else
#define SQLER_CPLUSPLUS __cplusplus
#endif

// One chain, so an unsupported setup gets exactly one sqler message (before the cascade of
// errors the rest of sqler would then produce). The minimum versions are the supported ones;
// older compilers may happen to work but are refused rather than left to fail obscurely.
#if !SQLER_COMPILER_GCC && !SQLER_COMPILER_CLANG && !SQLER_COMPILER_MSVC
#error "sqler: unsupported compiler: needs g++ >= 12, clang >= 14, Apple clang >= 15, MSVC >= 19.30"
#elif !SQLER_STDLIB_LIBSTDCXX && !SQLER_STDLIB_LIBCXX && !SQLER_STDLIB_MSVC
#error "sqler: unsupported standard library: sqler needs libstdc++, libc++ or MSVC's STL"
#elif SQLER_CPLUSPLUS < 202002L
#error "sqler: C++20 is required: compile with -std=c++20 (MSVC: /std:c++20)"
#elif SQLER_COMPILER_APPLE_CLANG && __clang_major__ < 15
#error "sqler: Apple clang 15 (Xcode 15) or newer is required"
#elif SQLER_COMPILER_CLANG && !SQLER_COMPILER_APPLE_CLANG && __clang_major__ < 14
#error "sqler: clang 14 or newer is required"
#elif SQLER_COMPILER_GCC && __GNUC__ < 12
#error "sqler: g++ 12 or newer is required"
#elif SQLER_COMPILER_MSVC && _MSC_VER < 1930
#error "sqler: MSVC 19.30 (Visual Studio 2022) or newer is required"
#endif
