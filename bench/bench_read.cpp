// bench/bench_read.cpp - read cases: get by id, range filter (with and without the expression
// index), array membership, any() over an array of objects, count, first, and the per-call
// overhead of a cached shape that returns no rows. The overhead and SQLiteCpp twins decode each
// row with sqler::decode straight from the column text into a Doc, as sqler does; the
// hand-written twins (bench_handwritten.cpp) use Boost.JSON.
#include "bench_common.hpp"
#include "bench_handwritten.hpp"

namespace bench {
namespace {

using sqler::field;
constexpr auto f_i = field<&Doc::i>;
constexpr auto f_tags = field<&Doc::tags>;
constexpr auto f_events = field<&Shipment::events>;
constexpr auto f_val = field<&Event::val>;

// The hand-written SQL of the overhead and SQLiteCpp twins. The static_asserts prove it is the very
// text sqler runs for the matching DSL expression, so all twins execute the same statement.
template <class T>
using coll_ref = sqler::collection<T>&;

constexpr std::string_view get_sql = "SELECT _id, _version, data FROM \"Doc\" WHERE _id = ?1";
static_assert(get_sql == sqler::detail::get_shape<sqler::detail::sqlite_dialect, Doc>::sql);

using range_query = decltype(std::declval<coll_ref<Doc>>().find(f_i >= 0 && f_i < 0));
using filter_query = decltype(std::declval<range_query>().order_by(f_i).limit(0));
constexpr std::string_view filter_sql =
    "SELECT _id, _version, data FROM \"Doc\" WHERE (json_extract(data,'$.i') >= ?1 AND "
    "json_extract(data,'$.i') < ?2) ORDER BY json_extract(data,'$.i') ASC LIMIT ?3";
static_assert(filter_sql == filter_query::sql());

constexpr std::string_view count_sql =
    "SELECT COUNT(*) FROM \"Doc\" WHERE (json_extract(data,'$.i') >= ?1 AND "
    "json_extract(data,'$.i') < ?2)";
static_assert(count_sql == range_query::sql_of<sqler::detail::count_kind>());

using first_query = decltype(std::declval<coll_ref<Doc>>().find(f_i >= 0));
constexpr std::string_view first_sql =
    "SELECT _id, _version, data FROM \"Doc\" WHERE json_extract(data,'$.i') >= ?1 LIMIT 1";
static_assert(first_sql == first_query::sql_of<sqler::detail::first_kind>());

using probe_query = decltype(std::declval<coll_ref<Doc>>().find(f_i == 0));
constexpr std::string_view probe_sql =
    "SELECT _id, _version, data FROM \"Doc\" WHERE json_extract(data,'$.i') = ?1";
static_assert(probe_sql == probe_query::sql());

using contains_query = decltype(std::declval<coll_ref<Doc>>().find(f_tags.contains(0)));
constexpr std::string_view contains_sql =
    "SELECT _id, _version, data FROM \"Doc\" WHERE EXISTS (SELECT 1 FROM "
    "json_each(data,'$.tags') AS je1 WHERE je1.value = ?1)";
static_assert(contains_sql == contains_query::sql());

using contains_any_query =
    decltype(std::declval<coll_ref<Doc>>().find(f_tags.contains_any({0, 1})));
constexpr std::string_view contains_any_sql =
    "SELECT _id, _version, data FROM \"Doc\" WHERE EXISTS (SELECT 1 FROM "
    "json_each(data,'$.tags') AS je1 WHERE je1.value IN (SELECT value FROM json_each(?1)))";
static_assert(contains_any_sql == contains_any_query::sql());

using any_query =
    decltype(std::declval<coll_ref<Shipment>>().find(f_events.any(f_val > 0)));
constexpr std::string_view any_sql =
    "SELECT _id, _version, data FROM \"Shipment\" WHERE EXISTS (SELECT 1 FROM "
    "json_each(data,'$.events') AS je1 WHERE json_extract(je1.value,'$.val') > ?1)";
static_assert(any_sql == any_query::sql());

// ---------------------------------------------------------------- get by id

void get_sqler(benchmark::State& state, storage s) {
  auto& env = sqler_fixture(dataset::docs, s);
  auto docs = env.db.collection<Doc>();
  const auto ids = probe_ids(config().docs);
  std::size_t k = 0;
  for (auto _ : state) {
    auto doc = docs.get(ids[k++ & 4095]);
    benchmark::DoNotOptimize(doc);
  }
  finish(state, 1, 1);
}

void get_overhead(benchmark::State& state, storage s) {
  auto& env = overhead_fixture(dataset::docs, s);
  raw_stmt q(env.db->get(), get_sql);
  const auto ids = probe_ids(config().docs);
  std::size_t k = 0;
  for (auto _ : state) {
    sqlite3_bind_int64(q.get(), 1, ids[k++ & 4095]);
    std::optional<Doc> doc;
    if (raw_step(q.get())) {
      doc.emplace();
      sqler::decode(raw_text(q.get(), 2), *doc);
    }
    sqlite3_reset(q.get());
    benchmark::DoNotOptimize(doc);
  }
  finish(state, 1, 1);
}

void get_cpp(benchmark::State& state, storage s) {
  auto& env = cpp_fixture(dataset::docs, s);
  SQLite::Statement q(*env.db, std::string(get_sql));
  const auto ids = probe_ids(config().docs);
  std::size_t k = 0;
  for (auto _ : state) {
    q.bind(1, ids[k++ & 4095]);
    std::optional<Doc> doc;
    if (q.executeStep()) {
      doc.emplace();
      sqler::decode(cpp_text(q, 2), *doc);
    }
    q.reset();
    benchmark::DoNotOptimize(doc);
  }
  finish(state, 1, 1);
}

// ---------------------------------------------------------------- queries returning documents

// The overhead and SQLiteCpp halves of every "SELECT _id, _version, data ... -> std::vector<T>"
// case: bind, step every row decoding column 2 into a new element, reset.
template <class T, class Bind>
std::vector<T> raw_rows(sqlite3_stmt* st, Bind&& bind) {
  bind(st);
  std::vector<T> out;
  while (raw_step(st)) sqler::decode(raw_text(st, 2), out.emplace_back());
  sqlite3_reset(st);
  return out;
}

template <class T, class Bind>
std::vector<T> cpp_rows(SQLite::Statement& st, Bind&& bind) {
  bind(st);
  std::vector<T> out;
  while (st.executeStep()) sqler::decode(cpp_text(st, 2), out.emplace_back());
  st.reset();
  return out;
}

// Items are the documents returned, or calls when `per_call` (a query that returns nothing).
template <class T, class Run>
void loop_rows(benchmark::State& state, Run&& run, bool per_call = false) {
  std::int64_t rows = 0;
  for (auto _ : state) {
    auto out = run();
    rows = static_cast<std::int64_t>(out.size());
    benchmark::DoNotOptimize(out.data());
  }
  finish(state, rows, per_call ? 1 : rows);
}

template <dataset D>
void filter_sqler(benchmark::State& state, storage s) {
  auto docs = sqler_fixture(D, s).db.collection<Doc>();
  const auto& c = config();
  loop_rows<Doc>(state, [&] {
    return docs.find(f_i >= c.range_lo && f_i < c.range_hi).order_by(f_i).limit(c.limit).all();
  });
}

template <dataset D>
void filter_overhead(benchmark::State& state, storage s) {
  raw_stmt q(overhead_fixture(D, s).db->get(), filter_sql);
  const auto& c = config();
  loop_rows<Doc>(state, [&] {
    return raw_rows<Doc>(q.get(), [&](sqlite3_stmt* st) {
      sqlite3_bind_int64(st, 1, c.range_lo);
      sqlite3_bind_int64(st, 2, c.range_hi);
      sqlite3_bind_int64(st, 3, c.limit);
    });
  });
}

template <dataset D>
void filter_cpp(benchmark::State& state, storage s) {
  SQLite::Statement q(*cpp_fixture(D, s).db, std::string(filter_sql));
  const auto& c = config();
  loop_rows<Doc>(state, [&] {
    return cpp_rows<Doc>(q, [&](SQLite::Statement& st) {
      st.bind(1, c.range_lo);
      st.bind(2, c.range_hi);
      st.bind(3, c.limit);
    });
  });
}

void contains_sqler(benchmark::State& state, storage s) {
  auto docs = sqler_fixture(dataset::array_docs, s).db.collection<Doc>();
  loop_rows<Doc>(state, [&] { return docs.find(f_tags.contains(42)).all(); });
}
void contains_overhead(benchmark::State& state, storage s) {
  raw_stmt q(overhead_fixture(dataset::array_docs, s).db->get(), contains_sql);
  loop_rows<Doc>(state, [&] {
    return raw_rows<Doc>(q.get(), [](sqlite3_stmt* st) { sqlite3_bind_int64(st, 1, 42); });
  });
}
void contains_cpp(benchmark::State& state, storage s) {
  SQLite::Statement q(*cpp_fixture(dataset::array_docs, s).db, std::string(contains_sql));
  loop_rows<Doc>(state, [&] {
    return cpp_rows<Doc>(q, [](SQLite::Statement& st) { st.bind(1, 42); });
  });
}

// The overhead and SQLiteCpp twins bind the list as the JSON text a person would write for it.
constexpr const char* any_of_list = "[17,42]";

void contains_any_sqler(benchmark::State& state, storage s) {
  auto docs = sqler_fixture(dataset::array_docs, s).db.collection<Doc>();
  loop_rows<Doc>(state, [&] { return docs.find(f_tags.contains_any({17, 42})).all(); });
}
void contains_any_overhead(benchmark::State& state, storage s) {
  raw_stmt q(overhead_fixture(dataset::array_docs, s).db->get(), contains_any_sql);
  loop_rows<Doc>(state, [&] {
    return raw_rows<Doc>(q.get(), [](sqlite3_stmt* st) {
      sqlite3_bind_text(st, 1, any_of_list, -1, SQLITE_STATIC);
    });
  });
}
void contains_any_cpp(benchmark::State& state, storage s) {
  SQLite::Statement q(*cpp_fixture(dataset::array_docs, s).db, std::string(contains_any_sql));
  loop_rows<Doc>(state, [&] {
    return cpp_rows<Doc>(q, [](SQLite::Statement& st) { st.bindNoCopy(1, any_of_list); });
  });
}

void any_sqler(benchmark::State& state, storage s) {
  auto ships = sqler_fixture(dataset::shipments, s).db.collection<Shipment>();
  loop_rows<Shipment>(state, [&] { return ships.find(f_events.any(f_val > 8)).all(); });
}
void any_overhead(benchmark::State& state, storage s) {
  raw_stmt q(overhead_fixture(dataset::shipments, s).db->get(), any_sql);
  loop_rows<Shipment>(state, [&] {
    return raw_rows<Shipment>(q.get(), [](sqlite3_stmt* st) { sqlite3_bind_int64(st, 1, 8); });
  });
}
void any_cpp(benchmark::State& state, storage s) {
  SQLite::Statement q(*cpp_fixture(dataset::shipments, s).db, std::string(any_sql));
  loop_rows<Shipment>(state, [&] {
    return cpp_rows<Shipment>(q, [](SQLite::Statement& st) { st.bind(1, 8); });
  });
}

// ---------------------------------------------------------------- count, first

void count_sqler(benchmark::State& state, storage s) {
  auto docs = sqler_fixture(dataset::docs_indexed, s).db.collection<Doc>();
  const auto& c = config();
  std::int64_t n = 0;
  for (auto _ : state) {
    n = docs.find(f_i >= c.range_lo && f_i < c.range_hi).count();
    benchmark::DoNotOptimize(n);
  }
  finish(state, n, 1);
}

void count_overhead(benchmark::State& state, storage s) {
  raw_stmt q(overhead_fixture(dataset::docs_indexed, s).db->get(), count_sql);
  const auto& c = config();
  std::int64_t n = 0;
  for (auto _ : state) {
    sqlite3_bind_int64(q.get(), 1, c.range_lo);
    sqlite3_bind_int64(q.get(), 2, c.range_hi);
    raw_step(q.get());
    n = sqlite3_column_int64(q.get(), 0);
    sqlite3_reset(q.get());
    benchmark::DoNotOptimize(n);
  }
  finish(state, n, 1);
}

void count_cpp(benchmark::State& state, storage s) {
  SQLite::Statement q(*cpp_fixture(dataset::docs_indexed, s).db, std::string(count_sql));
  const auto& c = config();
  std::int64_t n = 0;
  for (auto _ : state) {
    q.bind(1, c.range_lo);
    q.bind(2, c.range_hi);
    q.executeStep();
    n = q.getColumn(0).getInt64();
    q.reset();
    benchmark::DoNotOptimize(n);
  }
  finish(state, n, 1);
}

// first(i >= v) for a rotating v: an index seek plus one decoded document.
std::vector<int> first_bounds() {
  auto ids = probe_ids(config().docs);
  std::vector<int> out(ids.size());
  for (std::size_t k = 0; k != ids.size(); ++k) out[k] = static_cast<int>(ids[k] - 1);
  return out;
}

void first_sqler(benchmark::State& state, storage s) {
  auto docs = sqler_fixture(dataset::docs_indexed, s).db.collection<Doc>();
  const auto bounds = first_bounds();
  std::size_t k = 0;
  for (auto _ : state) {
    auto doc = docs.find(f_i >= bounds[k++ & 4095]).first();
    benchmark::DoNotOptimize(doc);
  }
  finish(state, 1, 1);
}

void first_overhead(benchmark::State& state, storage s) {
  raw_stmt q(overhead_fixture(dataset::docs_indexed, s).db->get(), first_sql);
  const auto bounds = first_bounds();
  std::size_t k = 0;
  for (auto _ : state) {
    sqlite3_bind_int64(q.get(), 1, bounds[k++ & 4095]);
    std::optional<Doc> doc;
    if (raw_step(q.get())) {
      doc.emplace();
      sqler::decode(raw_text(q.get(), 2), *doc);
    }
    sqlite3_reset(q.get());
    benchmark::DoNotOptimize(doc);
  }
  finish(state, 1, 1);
}

void first_cpp(benchmark::State& state, storage s) {
  SQLite::Statement q(*cpp_fixture(dataset::docs_indexed, s).db, std::string(first_sql));
  const auto bounds = first_bounds();
  std::size_t k = 0;
  for (auto _ : state) {
    q.bind(1, bounds[k++ & 4095]);
    std::optional<Doc> doc;
    if (q.executeStep()) {
      doc.emplace();
      sqler::decode(cpp_text(q, 2), *doc);
    }
    q.reset();
    benchmark::DoNotOptimize(doc);
  }
  finish(state, 1, 1);
}

// ---------------------------------------------------------------- per-call overhead
// An indexed equality that matches nothing: SQLite does one index probe, so what remains is
// the cost of building the query, finding the cached statement, binding, stepping, resetting.

void empty_sqler(benchmark::State& state, storage s) {
  auto docs = sqler_fixture(dataset::docs_indexed, s).db.collection<Doc>();
  loop_rows<Doc>(state, [&] { return docs.find(f_i == -1).all(); }, true);
}
void empty_overhead(benchmark::State& state, storage s) {
  raw_stmt q(overhead_fixture(dataset::docs_indexed, s).db->get(), probe_sql);
  loop_rows<Doc>(state, [&] {
    return raw_rows<Doc>(q.get(), [](sqlite3_stmt* st) { sqlite3_bind_int64(st, 1, -1); });
  }, true);
}
void empty_cpp(benchmark::State& state, storage s) {
  SQLite::Statement q(*cpp_fixture(dataset::docs_indexed, s).db, std::string(probe_sql));
  loop_rows<Doc>(state, [&] {
    return cpp_rows<Doc>(q, [](SQLite::Statement& st) { st.bind(1, -1); });
  }, true);
}

[[maybe_unused]] const bool registered = [] {
  namespace hw = handwritten;
  register_case("BM_get_by_id", {get_sqler, get_overhead, get_cpp, hw::get_by_id});
  register_case("BM_filter_range", {filter_sqler<dataset::docs>, filter_overhead<dataset::docs>,
                                    filter_cpp<dataset::docs>, hw::filter_range});
  register_case("BM_filter_range_indexed",
                {filter_sqler<dataset::docs_indexed>, filter_overhead<dataset::docs_indexed>,
                 filter_cpp<dataset::docs_indexed>, hw::filter_range_indexed});
  register_case("BM_contains", {contains_sqler, contains_overhead, contains_cpp, hw::contains});
  register_case("BM_contains_any",
                {contains_any_sqler, contains_any_overhead, contains_any_cpp, hw::contains_any});
  register_case("BM_any_events", {any_sqler, any_overhead, any_cpp, hw::any_events});
  register_case("BM_count", {count_sqler, count_overhead, count_cpp, hw::count});
  register_case("BM_first", {first_sqler, first_overhead, first_cpp, hw::first});
  register_case("BM_overhead_empty", {empty_sqler, empty_overhead, empty_cpp, hw::overhead_empty});
  return true;
}();

}  // namespace
}  // namespace bench
