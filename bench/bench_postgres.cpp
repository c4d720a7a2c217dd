// bench/bench_postgres.cpp - sqler_bench_pg: the main cases on PostgreSQL, each as three twins
// next to each other in one Google Benchmark binary (see bench_pg_common.hpp):
//
//   sqler_pg/<case>      sqler::postgres::database
//   libpq/<case>         the same SQL by hand with libpq (bench_pg_handwritten.cpp)
//   sqler_sqlite/<case>  the same sqler calls on a SQLite file database, for orientation
//
// The sqler twins below are one template over the database type, so sqler_pg and sqler_sqlite
// run exactly the same calls. Every twin checks its results against the generated data before
// its timed loop (and the write twins check every write), so none can be fast by doing less.
//
// Needs a server: SQLER_PG (a libpq conninfo). Without it the binary says so and exits 0, or 1
// when SQLER_PG_REQUIRED=1 (CI). report.py --pg runs it and writes the PostgreSQL section of
// RESULTS.md.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <cstdlib>
#include <string_view>

#include "bench_pg_common.hpp"
#include "sqler/version.hpp"

namespace pgbench {
namespace {

using sqler::field;
constexpr auto f_i = field<&Doc::i>;
constexpr auto f_tags = field<&Doc::tags>;
constexpr auto f_uchild_id = field<&UDoc::child, &Child::id>;

// ---------------------------------------------------------------- the sqler twins

template <class Database>
void get_by_id(benchmark::State& state, Database& db) {
  auto docs = db.template collection<Doc>();
  const auto ids = probe_ids(config().docs);
  const auto& data = docs_data();
  for (std::size_t k = 0; k != 16; ++k) {
    const auto got = docs.get(ids[k]);
    check(got && *got == data[static_cast<std::size_t>(ids[k] - 1)], "get_by_id returns the document");
  }
  std::size_t k = 0;
  for (auto _ : state) {
    auto doc = docs.get(ids[k++ & 4095]);
    benchmark::DoNotOptimize(doc);
  }
  finish(state, 1, 1);
}

template <class Database>
void insert(benchmark::State& state, Database& db) {
  auto docs = db.template collection<IDoc>();
  std::vector<IDoc> data;
  for (const Doc& d : docs_data()) data.push_back(as<IDoc>(d));
  std::size_t k = 0;
  std::int64_t last = 0;
  for (auto _ : state) {
    const std::int64_t id = docs.insert(data[k++ % data.size()]);
    if (id <= last) fail("insert: ids increase");
    last = id;
  }
  finish(state, 1, 1);
}

// clear: empties the table between iterations (untimed).
template <class Database, class Clear>
void insert_many(benchmark::State& state, Database& db, Clear&& clear) {
  auto docs = db.template collection<BDoc>();
  std::vector<BDoc> data;
  for (std::size_t k = 0; k != config().bulk; ++k) data.push_back(as<BDoc>(docs_data()[k]));
  clear();
  std::int64_t rows = 0;
  for (auto _ : state) {
    auto ids = docs.insert_many(data);
    benchmark::DoNotOptimize(ids.data());
    rows = static_cast<std::int64_t>(ids.size());
    state.PauseTiming();
    check(rows == static_cast<std::int64_t>(data.size()) && docs.size() == rows &&
              std::is_sorted(ids.begin(), ids.end()),
          "insert_many stores every document");
    clear();
    state.ResumeTiming();
  }
  finish(state, rows, static_cast<std::int64_t>(data.size()));
}

template <class Database>
void filter_range(benchmark::State& state, Database& db) {
  auto docs = db.template collection<Doc>();
  const auto& c = config();
  const int lo = c.range_lo, hi = c.range_lo + c.range_rows;
  auto run = [&] { return docs.find(f_i >= lo && f_i < hi).order_by(f_i).all(); };
  {
    const auto out = run();
    bool ok = static_cast<std::int64_t>(out.size()) == expect().filter_rows;
    for (std::size_t k = 0; ok && k != out.size(); ++k) ok = out[k].i == lo + static_cast<int>(k);
    check(ok, "filter_range returns i in [lo, hi) in order");
  }
  std::int64_t rows = 0;
  for (auto _ : state) {
    auto out = run();
    rows = static_cast<std::int64_t>(out.size());
    benchmark::DoNotOptimize(out.data());
  }
  finish(state, rows, rows);
}

template <class Database>
void contains(benchmark::State& state, Database& db) {
  auto docs = db.template collection<Doc>();
  const int tag = config().tag;
  auto run = [&] { return docs.find(f_tags.contains(tag)).all(); };
  {
    const auto out = run();
    bool ok = static_cast<std::int64_t>(out.size()) == expect().contains_rows;
    for (const Doc& d : out) ok = ok && std::find(d.tags.begin(), d.tags.end(), tag) != d.tags.end();
    check(ok, "contains returns the documents holding the tag");
  }
  std::int64_t rows = 0;
  for (auto _ : state) {
    auto out = run();
    rows = static_cast<std::int64_t>(out.size());
    benchmark::DoNotOptimize(out.data());
  }
  finish(state, rows, rows);
}

template <class Database>
void count(benchmark::State& state, Database& db) {
  auto docs = db.template collection<Doc>();
  const auto& c = config();
  const int lo = c.range_lo, hi = c.range_lo + c.count_rows;
  check(docs.find(f_i >= lo && f_i < hi).count() == expect().count, "count");
  std::int64_t n = 0;
  for (auto _ : state) {
    n = docs.find(f_i >= lo && f_i < hi).count();
    benchmark::DoNotOptimize(n);
  }
  finish(state, n, 1);
}

template <class Database>
void sum(benchmark::State& state, Database& db) {
  auto docs = db.template collection<Doc>();
  const auto& c = config();
  const int lo = c.range_lo, hi = c.range_lo + c.count_rows;
  const auto first = docs.find(f_i >= lo && f_i < hi).sum(f_i);
  check(first && *first == expect().sum, "sum");
  for (auto _ : state) {
    auto s = docs.find(f_i >= lo && f_i < hi).sum(f_i);
    benchmark::DoNotOptimize(s);
  }
  finish(state, 1, 1);
}

// patch: one atomic in-place increment of a nested member (checked by sqler: not_found when no
// row changed).
template <class Database>
void update_inc(benchmark::State& state, Database& db) {
  auto docs = db.template collection<UDoc>();
  const auto ids = probe_ids(config().docs);
  {
    const auto before = docs.get(ids[0]);
    docs.update(ids[0], sqler::inc(f_uchild_id, 1));
    const auto after = docs.get(ids[0]);
    check(before && after && after->child.id == before->child.id + 1, "update_inc increments");
  }
  std::size_t k = 0;
  for (auto _ : state) docs.update(ids[k++ & 4095], sqler::inc(f_uchild_id, 1));
  finish(state, 1, 1);
}

// Optimistic read-modify-write: get_versioned, change a member, replace(versioned&), which
// succeeds only if nobody wrote in between (stale_version otherwise: the run fails).
template <class Database>
void replace_versioned(benchmark::State& state, Database& db) {
  auto docs = db.template collection<UDoc>();
  const auto ids = probe_ids(config().docs);
  {
    auto v = docs.get_versioned(ids[1]);
    check(v.has_value(), "replace_versioned finds the document");
    const auto version = v->version;
    ++v->value.child.mid.id;
    docs.replace(*v);
    const auto again = docs.get_versioned(ids[1]);
    check(again && again->version == version + 1 && again->value.child.mid.id == v->value.child.mid.id,
          "replace_versioned writes and bumps the version");
  }
  std::size_t k = 0;
  for (auto _ : state) {
    auto v = docs.get_versioned(ids[k++ & 4095]);
    ++v->value.child.mid.id;
    docs.replace(*v);
  }
  finish(state, 1, 1);
}

// Streams every document, one decoded at a time into the iterator's T.
template <class Database>
void iterate_all(benchmark::State& state, Database& db) {
  auto docs = db.template collection<Doc>();
  auto run = [&] {
    std::int64_t n = 0, s = 0;
    for (auto it = docs.find().begin(); it != std::default_sentinel; ++it) {
      ++n;
      s += it->i;
    }
    return std::pair{n, s};
  };
  {
    const auto [n, s] = run();
    check(n == static_cast<std::int64_t>(config().docs) && s == expect().all_sum,
          "iterate_all streams every document");
  }
  std::int64_t rows = 0;
  for (auto _ : state) {
    const auto [n, s] = run();
    rows = n;
    benchmark::DoNotOptimize(s);
  }
  finish(state, rows, rows);
}

// ---------------------------------------------------------------- registration

using fn = void (*)(benchmark::State&);

void add(const std::string& name, std::function<void(benchmark::State&)> f) {
  benchmark::RegisterBenchmark(name.c_str(), [f = std::move(f)](benchmark::State& s) { f(s); })
      ->Unit(benchmark::kMicrosecond)
      // Elapsed time: with the server in another process, a call's cost is its round trips plus
      // the server's work plus the client's; the client's CPU time is reported beside it.
      ->UseRealTime();
}

template <class Sqler>
void add_case(const std::string& name, Sqler&& sqler, fn hand) {
  add("sqler_pg/" + name, [sqler](benchmark::State& s) { sqler(s, pg_db()); });
  add("libpq/" + name, hand);
  add("sqler_sqlite/" + name, [sqler](benchmark::State& s) { sqler(s, sqlite_db()); });
}

#define PGBENCH_GENERIC(F) [](benchmark::State& s, auto& db) { F(s, db); }

void register_all() {
  add_case("get_by_id", PGBENCH_GENERIC(get_by_id), libpq::get_by_id);
  add_case("insert", PGBENCH_GENERIC(insert), libpq::insert);
  add("sqler_pg/insert_many_1k", [](benchmark::State& s) {
    auto& db = pg_db();
    insert_many(s, db, [&] { db.execute("TRUNCATE \"BDoc\""); });
  });
  add("libpq/insert_many_1k", libpq::insert_many);
  add("sqler_sqlite/insert_many_1k", [](benchmark::State& s) {
    auto& db = sqlite_db();
    insert_many(s, db, [&] { db.execute("DELETE FROM \"BDoc\""); });
  });
  add_case("filter_range_100", PGBENCH_GENERIC(filter_range), libpq::filter_range);
  add_case("contains_gin", PGBENCH_GENERIC(contains), libpq::contains);
  add_case("count_range", PGBENCH_GENERIC(count), libpq::count);
  add_case("update_inc", PGBENCH_GENERIC(update_inc), libpq::update_inc);
  add_case("replace_versioned", PGBENCH_GENERIC(replace_versioned), libpq::replace_versioned);
  add_case("iterate_all", PGBENCH_GENERIC(iterate_all), libpq::iterate_all);
  add_case("sum_range", PGBENCH_GENERIC(sum), libpq::sum);
}

}  // namespace
}  // namespace pgbench

int main(int argc, char** argv) {
  if (!pgbench::server_configured()) {
    const char* req = std::getenv("SQLER_PG_REQUIRED");
    const bool required = req != nullptr && std::string_view(req) == "1";
    // "skipping: SQLER_PG is not set" is what CTest's SKIP_REGULAR_EXPRESSION looks for.
    if (required)
      std::fprintf(stderr, "sqler_bench_pg: SQLER_PG_REQUIRED=1 but no server is named (SQLER_PG "
                           "is empty or unset): failing\n");
    else
      std::fprintf(stderr, "sqler_bench_pg: skipping: SQLER_PG is not set, so there is no "
                           "PostgreSQL server to benchmark (start a throwaway one with "
                           "eval \"$(scripts/pg_cluster.sh start)\")\n");
    return required ? 1 : 0;
  }
  benchmark::AddCustomContext("sqler_version", SQLER_VERSION_STRING);
  benchmark::AddCustomContext("libpq_version", std::to_string(PQlibVersion()));
  benchmark::AddCustomContext("sqlite_version", sqlite3_libversion());
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
  benchmark::AddCustomContext("data_scale", std::to_string(pgbench::config().scale));
  benchmark::AddCustomContext("docs", std::to_string(pgbench::config().docs));
  int rc = 0;
  try {
    benchmark::AddCustomContext("pg_server", pgbench::server_version());
    benchmark::AddCustomContext("pg_settings", pgbench::server_settings());
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    pgbench::register_all();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    rc = 1;
  }
  pgbench::release_environments();
  return rc;
}
