// bench/bench_common.hpp - shared pieces of the sqler benchmarks: document types, a
// deterministic data generator, the hand-written (raw C API and SQLiteCpp) connection setup,
// and a cache of loaded databases so each data set is built once per twin and storage.
//
// Every case is registered as twins that do the same work on the same data:
//   <case>/sqler/<storage>        the DSL / collection API
//   <case>/handwritten/<storage>  what a user writes without sqler: sqlite3 C API with cached
//                                 statements, a plain (id INTEGER PRIMARY KEY, data TEXT) table,
//                                 Boost.JSON value_from/serialize and parse/value_to
//                                 (bench_handwritten.cpp)
//   <case>/overhead/<storage>     sqlite3 C API, sqler's SQL text and schema, statement prepared
//                                 once, sqler's codec
//   <case>/sqlitecpp/<storage>    SQLiteCpp, sqler's SQL text, statement reused, sqler's codec
// The overhead and SQLiteCpp twins encode with sqler::encode and decode with sqler::decode into
// the same structs, so a sqler/overhead ratio isolates the DSL and library overhead rather than
// JSON work; sqler/handwritten is the comparison a user makes.
#pragma once

#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sqler/sqler.hpp"

namespace bench {

// ---------------------------------------------------------------- documents

// Three levels of nested objects below Doc, four keys each.
struct Leaf {
  std::int64_t id;
  std::string label;
  double weight;
  bool on;
};
struct Mid {
  std::int64_t id;
  std::string label;
  double weight;
  Leaf leaf;
};
struct Child {
  std::int64_t id;
  std::string label;
  double weight;
  Mid mid;
};
struct Doc {
  int i;
  std::string name;  // 12 characters
  std::vector<int> tags;  // 8 values in [0, 1000)
  Child child;
};

struct Event {
  int val;
  std::string kind;
};
struct Shipment {
  int i;
  std::vector<Event> events;  // 4 events
};

// Hydration: every user refers to one of fewer addresses.
struct Address {
  std::string street;
  std::string city;
};
struct User {
  std::string name;
  int age;
  sqler::ref<Address> address;
};

// The versioned counter that concurrent writers increment.
struct Counter {
  std::int64_t n;
};

// ---------------------------------------------------------------- sizes

// SQLER_BENCH_SCALE shrinks every data set (the CTest smoke run uses 0.01); names keep the
// nominal sizes so a scaled run still pairs with report.py.
struct sizes {
  double scale = 1.0;
  std::size_t bulk_small = 10000;
  std::size_t bulk_large = 50000;
  std::size_t docs = 20000;        // get / filter / update / count / first / overhead
  std::size_t array_docs = 15000;  // contains / contains_any / any
  int range_lo = 10000;            // filter: i in [range_lo, range_hi)
  int range_hi = 11000;
  std::int64_t limit = 200;
  std::size_t users = 200;      // hydration: users, each with one ref
  std::size_t addresses = 150;  // ... into this many addresses
  int counter_threads = 8;
  int counter_increments = 10;  // per thread per iteration
};
// SQLER_BENCH_DOCS=N (the scaling table of report.py --scaling) sets bulk_small, docs and
// array_docs to N, overriding SQLER_BENCH_SCALE for them.
const sizes& config();

// ---------------------------------------------------------------- data

std::vector<Doc> make_docs(std::size_t n);            // i is a permutation of 0..n-1
const std::vector<Doc>& docs_of_size(std::size_t n);  // make_docs(n), built once per n
std::vector<Shipment> make_shipments(std::size_t n);  // 1 in 40 has an event with val > 8
std::vector<Address> make_addresses(std::size_t n);
std::vector<User> make_users(std::size_t n, std::size_t addresses);  // user k -> address k % addresses + 1
// A fixed pseudo-random sequence of row ids in [1, n], the same for every twin.
std::vector<std::int64_t> probe_ids(std::size_t n, std::size_t count = 4096);

// ---------------------------------------------------------------- hand-written connections

enum class storage { mem, disk };
const char* storage_name(storage s);

// sqlite3 C API, set up the way sqler::detail::connection sets itself up (extended result
// codes, busy_timeout 5000 ms, journal_mode=WAL and synchronous=NORMAL for files,
// foreign_keys=ON). The fixtures verify this against a real sqler connection at run time.
class raw_db {
 public:
  explicit raw_db(const std::string& path);
  raw_db(const raw_db&) = delete;
  raw_db& operator=(const raw_db&) = delete;
  ~raw_db();
  sqlite3* get() const noexcept { return db_; }
  void exec(const char* sql);

 private:
  sqlite3* db_ = nullptr;
};

// A statement prepared once (SQLITE_PREPARE_PERSISTENT, as sqler's cache does) and reused.
class raw_stmt {
 public:
  raw_stmt(sqlite3* db, std::string_view sql);
  raw_stmt(const raw_stmt&) = delete;
  raw_stmt& operator=(const raw_stmt&) = delete;
  ~raw_stmt() { sqlite3_finalize(stmt_); }
  sqlite3_stmt* get() const noexcept { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// A step whose failures throw, as any careful hand-written code does.
inline bool raw_step(sqlite3_stmt* st) {
  const int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3_reset(st);
  throw std::runtime_error(std::string("sqlite: ") + sqlite3_errmsg(sqlite3_db_handle(st)));
}

inline std::string_view raw_text(sqlite3_stmt* st, int col) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, col));
  return {p, static_cast<std::size_t>(sqlite3_column_bytes(st, col))};
}

// SQLiteCpp, opened with the same flags, busy timeout and pragmas.
std::unique_ptr<SQLite::Database> open_sqlitecpp(const std::string& path);

inline std::string_view cpp_text(const SQLite::Statement& st, int col) {
  const SQLite::Column c = st.getColumn(col);
  return {c.getText(), static_cast<std::size_t>(c.getBytes())};
}

// ---------------------------------------------------------------- loaded databases

// One database per (data set, twin, storage), built on first use and kept until exit. The
// loading itself is untimed: a raw INSERT loop with sqler::encode for the sqler, overhead and
// SQLiteCpp twins, the same loop with Boost.JSON for the hand-written twins.
struct sqler_env {
  sqler::database db;
};
struct raw_env {  // the overhead and handwritten twins
  std::unique_ptr<raw_db> db;
};
struct cpp_env {
  std::unique_ptr<SQLite::Database> db;
};

enum class dataset {
  empty_docs,        // empty Doc table (bulk insert)
  docs,              // config().docs Docs
  docs_indexed,      // the same, plus the expression index on $.i
  docs_update,       // a private copy for the update case
  array_docs,        // config().array_docs Docs
  shipments,         // config().array_docs Shipments
  users,             // config().users Users referring to config().addresses Addresses
  counter,           // one Counter {n: 0} with _id 1
};

sqler_env& sqler_fixture(dataset d, storage s);
raw_env& overhead_fixture(dataset d, storage s);  // sqler's DDL, loaded with sqler::encode
cpp_env& cpp_fixture(dataset d, storage s);
// The hand-written twins' databases: opened and checked like overhead_fixture, but `build`
// creates their own plain tables and loads them with their own codec.
raw_env& handwritten_fixture(dataset d, storage s, const std::function<void(raw_db&)>& build);

const std::vector<Doc>& docs_data();        // what dataset::docs* hold, in _id order
const std::vector<Doc>& array_docs_data();  // what dataset::array_docs holds
// docs_data() with the first letter of each name upper-cased (same length). BM_update_by_id
// writes docs_data() and this on alternate passes over its probe ids, so every update changes
// the row: SQLite does not write a record that is byte-identical to the stored one, so
// writing the same content back would cost the plain table of the hand-written twin nothing.
const std::vector<Doc>& docs_data_variant();
// What BM_update_by_id writes into document `id` on call k (k counts from 0).
inline const Doc& update_source(std::int64_t id, std::size_t k) {
  const auto& src = ((k >> 12) & 1) != 0 ? docs_data_variant() : docs_data();
  return src[static_cast<std::size_t>(id - 1)];
}

void release_fixtures();  // closes every database and removes the temporary files

// ---------------------------------------------------------------- registration

using bench_fn = std::function<void(benchmark::State&, storage)>;

struct twins {
  bench_fn sqler;
  bench_fn overhead;
  bench_fn sqlitecpp;    // may be empty when SQLiteCpp does not fit the case
  bench_fn handwritten;  // may be empty when no plain hand-written version fits the case
};

enum class storages { both, disk_only };

// Registers <name>/{sqler,handwritten,overhead,sqlitecpp}/{mem,disk}, next to each other. Iteration counts
// follow the benchmark thread's CPU time (on a small shared machine much steadier than wall
// time, and where the library's own cost shows); `process_cpu` cases run their work on other
// threads and count the whole process's CPU time instead. Wall time is reported as well.
void register_case(const std::string& name, twins t, bool process_cpu = false,
                   storages where = storages::both);

// Sets items/s and the rows-per-call counter that report.py uses to check twins agree.
inline void finish(benchmark::State& state, std::int64_t rows_per_call, std::int64_t items_per_call) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * items_per_call);
  state.counters["rows"] = static_cast<double>(rows_per_call);
}

}  // namespace bench
