// bench/bench_pg_common.hpp - shared pieces of the PostgreSQL benchmark (sqler_bench_pg): the
// document types, deterministic data, the sizes, and the three environments its twins run in:
//
//   sqler_pg/<case>      sqler::postgres::database (the collection and query API)
//   libpq/<case>         hand-written libpq (bench_pg_handwritten.cpp): sqler's own SQL text,
//                        each statement PQprepare'd once on its connection, PQexecPrepared (or
//                        single-row mode for the streaming case), text parameters, documents
//                        through sqler::encode / sqler::decode
//   sqler_sqlite/<case>  the same sqler calls on a SQLite file database (WAL), for orientation
//
// sqler_pg and libpq work on the same tables of one schema of their own per run
// (sqler_bench_<pid>), created and loaded by sqler (untimed); the schema is dropped at exit.
#pragma once

#include <benchmark/benchmark.h>
#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sqler/postgres.hpp"
#include "sqler/sqler.hpp"

namespace pgbench {

// ---------------------------------------------------------------- documents
// The same shape as the SQLite benchmark's bench::Doc: three levels of nested objects, four
// keys each, 8 int tags.
struct Leaf {
  std::int64_t id;
  std::string label;
  double weight;
  bool on;
  bool operator==(const Leaf&) const = default;
};
struct Mid {
  std::int64_t id;
  std::string label;
  double weight;
  Leaf leaf;
  bool operator==(const Mid&) const = default;
};
struct Child {
  std::int64_t id;
  std::string label;
  double weight;
  Mid mid;
  bool operator==(const Child&) const = default;
};

// The read cases' table: an expression index on i (ensure_index) and a multikey (GIN) index on
// tags (sqler::multikey below).
struct Doc {
  int i;
  std::string name;  // 12 characters
  std::vector<int> tags;  // 8 values in [0, 1000)
  Child child;
  bool operator==(const Doc&) const = default;
};
// Write cases, each on a table of its own without secondary indexes (so the server's index
// maintenance does not drown the client-side cost being compared): update and optimistic
// replace (UDoc, loaded with the same documents), single inserts (IDoc, grows during the run),
// insert_many (BDoc, emptied between iterations).
struct UDoc {
  int i;
  std::string name;
  std::vector<int> tags;
  Child child;
};
struct IDoc {
  int i;
  std::string name;
  std::vector<int> tags;
  Child child;
};
struct BDoc {
  int i;
  std::string name;
  std::vector<int> tags;
  Child child;
};

template <class To>
To as(const Doc& d) {
  return To{d.i, d.name, d.tags, d.child};
}

}  // namespace pgbench

template <>
struct sqler::multikey<pgbench::Doc> : sqler::multikey_list<sqler::elements<&pgbench::Doc::tags>> {};

namespace pgbench {

// ---------------------------------------------------------------- sizes

// SQLER_BENCH_SCALE (0 < scale <= 1) shrinks the data sets, as in the SQLite benchmark; case
// names keep their nominal sizes.
struct sizes {
  double scale = 1.0;
  std::size_t docs = 20000;  // Doc and UDoc
  std::size_t bulk = 1000;   // documents per insert_many call
  int range_lo = 10000;      // filter: i in [range_lo, range_lo + range_rows), ordered by i
  int range_rows = 100;
  int count_rows = 1000;     // count and sum: i in [range_lo, range_lo + count_rows)
  int tag = 42;              // contains(tag)
};
const sizes& config();

// What the read cases must return, computed from the generated data.
struct expected {
  std::int64_t filter_rows = 0;
  std::int64_t contains_rows = 0;
  std::int64_t count = 0;
  std::int64_t sum = 0;      // sum of i over the count range
  std::int64_t all_sum = 0;  // sum of i over every document
};
const expected& expect();

const std::vector<Doc>& docs_data();  // what Doc and UDoc hold, in _id order (i: a permutation)
// A fixed pseudo-random sequence of ids in [1, n], the same for every twin.
std::vector<std::int64_t> probe_ids(std::size_t n, std::size_t count = 4096);

// ---------------------------------------------------------------- environments

bool server_configured();            // SQLER_PG is set
const std::string& schema_name();    // this run's schema
const std::string& conninfo();       // SQLER_PG, with this run's schema first in search_path
sqler::postgres::database& pg_db();  // created, tables made and loaded on first use
sqler::database& sqlite_db();        // a temporary file, loaded the same way on first use
PGconn* libpq_conn();                // the hand-written twin's connection (same schema)
std::string server_version();        // SELECT version()
std::string server_settings();       // fsync, synchronous_commit, shared_buffers, jit
void release_environments();         // closes everything, drops the schema, removes the file

// A failed check: the run stops with this message (a twin that does the wrong thing fast is
// worthless).
[[noreturn]] inline void fail(const std::string& what) {
  throw std::runtime_error("sqler_bench_pg: check failed: " + what);
}
inline void check(bool ok, const std::string& what) {
  if (!ok) fail(what);
}

// Sets items/s and the rows-per-call counter report.py compares across twins.
inline void finish(benchmark::State& state, std::int64_t rows_per_call, std::int64_t items_per_call) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * items_per_call);
  state.counters["rows"] = static_cast<double>(rows_per_call);
}

// ---------------------------------------------------------------- the hand-written twins
// (bench_pg_handwritten.cpp)
namespace libpq {
void get_by_id(benchmark::State& state);
void insert(benchmark::State& state);
void insert_many(benchmark::State& state);
void filter_range(benchmark::State& state);
void contains(benchmark::State& state);
void count(benchmark::State& state);
void update_inc(benchmark::State& state);
void replace_versioned(benchmark::State& state);
void iterate_all(benchmark::State& state);
void sum(benchmark::State& state);
}  // namespace libpq

}  // namespace pgbench
