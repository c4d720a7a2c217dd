// bench/bench_handwritten.hpp - the hand-written twins (<case>/handwritten/<storage>): what a
// user writes without sqler. Registered by bench_read.cpp, bench_write.cpp and bench_extra.cpp
// next to the other twins of each case; defined in bench_handwritten.cpp.
#pragma once

#include "bench_common.hpp"

namespace bench::handwritten {

void bulk_insert(benchmark::State& state, storage s, std::size_t n);
void get_by_id(benchmark::State& state, storage s);
void filter_range(benchmark::State& state, storage s);
void filter_range_indexed(benchmark::State& state, storage s);
void contains(benchmark::State& state, storage s);
void contains_any(benchmark::State& state, storage s);
void any_events(benchmark::State& state, storage s);
void count(benchmark::State& state, storage s);
void first(benchmark::State& state, storage s);
void overhead_empty(benchmark::State& state, storage s);
void update_by_id(benchmark::State& state, storage s);
void patch_inc(benchmark::State& state, storage s);  // load-modify-save in one transaction
void hydrate_refs(benchmark::State& state, storage s);
void hydrate_loop(benchmark::State& state, storage s);
// No versioned_counter_8t twin: the plain table has no version column, and optimistic
// versioning would mean inventing sqler's own machinery (see bench/README.md).

}  // namespace bench::handwritten
