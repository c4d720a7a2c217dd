// bench/bench_main.cpp - entry point: records the versions under test in the JSON context,
// runs the registered twins, then closes every cached database (and deletes its temporary
// files) while the main thread is still fully alive.
#include <boost/version.hpp>

#include "bench_common.hpp"
#include "sqler/version.hpp"

int main(int argc, char** argv) {
  benchmark::AddCustomContext("sqler_version", SQLER_VERSION_STRING);
  benchmark::AddCustomContext("sqlite_version", sqlite3_libversion());
  benchmark::AddCustomContext("sqlitecpp_version", SQLITECPP_VERSION);
  benchmark::AddCustomContext("boost_version", BOOST_LIB_VERSION);
#if defined(__clang__)
  benchmark::AddCustomContext("compiler", "clang " __clang_version__);
#elif defined(__GNUC__)
  benchmark::AddCustomContext("compiler", "g++ " __VERSION__);
#endif
#if defined(NDEBUG)
  benchmark::AddCustomContext("sqler_build", "NDEBUG (release)");
#else
  benchmark::AddCustomContext("sqler_build", "assertions on (not a release build)");
#endif
  benchmark::AddCustomContext("data_scale", std::to_string(bench::config().scale));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  bench::release_fixtures();
  return 0;
}
