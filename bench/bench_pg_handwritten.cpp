// bench/bench_pg_handwritten.cpp - the libpq/<case> twins of sqler_bench_pg: what a competent
// user writes with libpq alone for the same work, running the very SQL text sqler sends (the
// static_asserts below compare each string with the text sqler generates) on the same tables:
//
// - one connection, each statement PQprepare'd once on it (unnamed parameter types, as sqler
//   prepares) and run with PQexecPrepared: text parameters (integers written with to_chars),
//   text results, the whole result at once, which is what one does for results of bounded size;
// - the streaming case (iterate_all) in single-row mode: PQsendQueryPrepared, PQsetSingleRowMode,
//   one PGresult per row, as one streams a large result with libpq 15;
// - documents encoded with sqler::encode into a reused buffer and decoded with sqler::decode
//   from the column text, so the ratio measures sqler, not a JSON library;
// - every write checks its row count (PQcmdTuples), as sqler does; insert_many in one BEGIN ...
//   COMMIT, like sqler's.
#include <charconv>
#include <cstring>
#include <optional>
#include <set>

#include "bench_pg_common.hpp"

namespace pgbench::libpq {
namespace {

// ---------------------------------------------------------------- sqler's SQL, spelled out

using PG = sqler::detail::postgres_dialect;
using sqler::field;
template <class T>
using coll = sqler::postgres::collection<T>&;
constexpr auto f_i = field<&Doc::i>;
constexpr auto f_tags = field<&Doc::tags>;
constexpr auto f_uchild_id = field<&UDoc::child, &Child::id>;

constexpr std::string_view get_sql = "SELECT _id, _version, data FROM \"Doc\" WHERE _id = $1";
static_assert(get_sql == sqler::detail::get_shape<PG, Doc>::sql);

constexpr std::string_view insert_sql = "INSERT INTO \"IDoc\" (data) VALUES ($1::jsonb) RETURNING _id";
static_assert(insert_sql == sqler::detail::insert_shape<PG, IDoc>::sql);
constexpr std::string_view bulk_sql = "INSERT INTO \"BDoc\" (data) VALUES ($1::jsonb) RETURNING _id";
static_assert(bulk_sql == sqler::detail::insert_shape<PG, BDoc>::sql);

using range_query = decltype(std::declval<coll<Doc>>().find(f_i >= 0 && f_i < 0));
constexpr std::string_view filter_sql =
    "SELECT _id, _version, data FROM \"Doc\" WHERE (NULLIF((data->'i'), 'null'::jsonb) >= "
    "$1::bigint::text::jsonb AND NULLIF((data->'i'), 'null'::jsonb) < $2::bigint::text::jsonb) ORDER BY "
    "NULLIF((data->'i'), 'null'::jsonb) ASC NULLS FIRST";
static_assert(filter_sql == decltype(std::declval<range_query>().order_by(f_i))::sql());

constexpr std::string_view contains_sql =
    "SELECT _id, _version, data FROM \"Doc\" WHERE (data->'tags') @> "
    "jsonb_build_array($1::bigint::text::jsonb)";
static_assert(contains_sql == decltype(std::declval<coll<Doc>>().find(f_tags.contains(0)))::sql());

constexpr std::string_view count_sql =
    "SELECT COUNT(*) FROM \"Doc\" WHERE (NULLIF((data->'i'), 'null'::jsonb) >= $1::bigint::text::jsonb "
    "AND NULLIF((data->'i'), 'null'::jsonb) < $2::bigint::text::jsonb)";
static_assert(count_sql == range_query::sql_of<sqler::detail::count_kind>());

constexpr std::string_view sum_sql =
    "SELECT SUM(((data->>'i')::numeric)) FROM \"Doc\" WHERE (NULLIF((data->'i'), 'null'::jsonb) >= "
    "$1::bigint::text::jsonb AND NULLIF((data->'i'), 'null'::jsonb) < $2::bigint::text::jsonb)";
static_assert(sum_sql ==
              range_query::sql_of<sqler::detail::aggregate_kind<
                  sqler::detail::sum_fn, std::remove_const_t<decltype(f_i)>>>());

constexpr std::string_view update_sql =
    "UPDATE \"UDoc\" SET data = jsonb_set(data, '{\"child\",\"id\"}', "
    "sqler_int(COALESCE(((data->'child'->>'id'))::numeric, 0) + $1::bigint, NULL, NULL, "
    "'$.child.id'), true), _version = _version + 1 WHERE _id = $2";
static_assert(update_sql ==
              sqler::detail::update_by_id_shape<PG, UDoc, decltype(sqler::inc(f_uchild_id, 1))>::sql);

constexpr std::string_view get_u_sql = "SELECT _id, _version, data FROM \"UDoc\" WHERE _id = $1";
static_assert(get_u_sql == sqler::detail::get_shape<PG, UDoc>::sql);
constexpr std::string_view replace_versioned_sql =
    "UPDATE \"UDoc\" SET data = sqler_merge(data, $1::jsonb, $4::jsonb), _version = _version + 1 "
    "WHERE _id = $2 AND _version = $3";
static_assert(replace_versioned_sql == sqler::detail::replace_versioned_shape<PG, UDoc>::sql);
// $4 of the replace: the members UDoc declares, which sqler_merge replaces (it keeps the others).
// Written out by hand, checked at run time against the text sqler binds.
constexpr const char* udoc_members =
    "{\"i\":true,\"name\":true,\"tags\":true,\"child\":{\"id\":true,\"label\":true,\"weight\":true,"
    "\"mid\":{\"id\":true,\"label\":true,\"weight\":true,\"leaf\":{\"id\":true,\"label\":true,"
    "\"weight\":true,\"on\":true}}}}";

constexpr std::string_view all_sql = "SELECT _id, _version, data FROM \"Doc\"";
static_assert(all_sql == decltype(std::declval<coll<Doc>>().find())::sql());

// ---------------------------------------------------------------- a little libpq

struct result {
  PGresult* r;
  explicit result(PGresult* p) noexcept : r(p) {}
  result(const result&) = delete;
  result& operator=(const result&) = delete;
  ~result() { PQclear(r); }
  std::string_view text(int row, int col) const {
    return {PQgetvalue(r, row, col), static_cast<std::size_t>(PQgetlength(r, row, col))};
  }
  std::int64_t int64(int row, int col) const { return parse_int(text(row, col)); }
  static std::int64_t parse_int(std::string_view v) {
    std::int64_t out = 0;
    const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc{} || p != v.data() + v.size()) fail("not an integer: " + std::string(v));
    return out;
  }
};

[[noreturn]] void pq_error(PGconn* c, const PGresult* r, std::string_view what) {
  throw std::runtime_error("libpq twin: " + std::string(what) + ": " +
                           (r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(c)));
}

// Prepares `sql` as `name` on the connection, once.
void prepare(PGconn* c, const char* name, std::string_view sql) {
  static std::set<std::string> done;
  if (!done.insert(name).second) return;
  const std::string text(sql);
  result r(PQprepare(c, name, text.c_str(), 0, nullptr));
  if (PQresultStatus(r.r) != PGRES_COMMAND_OK) pq_error(c, r.r, text);
}

// Runs a prepared statement; `want` is the status it must end with.
inline PGresult* run(PGconn* c, const char* name, int n, const char* const* values,
                     ExecStatusType want) {
  PGresult* r = PQexecPrepared(c, name, n, values, nullptr, nullptr, 0);
  if (PQresultStatus(r) != want) {
    result guard(r);
    pq_error(c, r, name);
  }
  return r;
}

inline void exec(PGconn* c, const char* sql) {
  result r(PQexec(c, sql));
  if (PQresultStatus(r.r) != PGRES_COMMAND_OK && PQresultStatus(r.r) != PGRES_TUPLES_OK)
    pq_error(c, r.r, sql);
}

// An integer parameter in text form.
struct int_text {
  char buf[24];
  explicit int_text(std::int64_t v) noexcept { *std::to_chars(buf, buf + sizeof buf - 1, v).ptr = '\0'; }
  const char* c_str() const noexcept { return buf; }
};

// Whether a write changed exactly one row.
inline bool one_row(PGresult* r) { return std::strcmp(PQcmdTuples(r), "1") == 0; }

}  // namespace

// ---------------------------------------------------------------- the cases

void get_by_id(benchmark::State& state) {
  PGconn* c = libpq_conn();
  prepare(c, "get", get_sql);
  const auto ids = probe_ids(config().docs);
  auto get = [&](std::int64_t id) {
    const int_text p(id);
    const char* v[] = {p.c_str()};
    result r(run(c, "get", 1, v, PGRES_TUPLES_OK));
    std::optional<Doc> doc;
    if (PQntuples(r.r) == 1) sqler::decode(r.text(0, 2), doc.emplace());
    return doc;
  };
  for (std::size_t k = 0; k != 16; ++k) {
    const auto got = get(ids[k]);
    check(got && *got == docs_data()[static_cast<std::size_t>(ids[k] - 1)], "get_by_id returns the document");
  }
  std::size_t k = 0;
  for (auto _ : state) {
    auto doc = get(ids[k++ & 4095]);
    benchmark::DoNotOptimize(doc);
  }
  finish(state, 1, 1);
}

void insert(benchmark::State& state) {
  PGconn* c = libpq_conn();
  prepare(c, "insert", insert_sql);
  std::vector<IDoc> data;
  for (const Doc& d : docs_data()) data.push_back(as<IDoc>(d));
  std::string buf;
  std::size_t k = 0;
  std::int64_t last = 0;
  for (auto _ : state) {
    buf.clear();
    sqler::encode(data[k++ % data.size()], buf);
    const char* v[] = {buf.c_str()};
    result r(run(c, "insert", 1, v, PGRES_TUPLES_OK));
    const std::int64_t id = r.int64(0, 0);
    if (id <= last) fail("insert: ids increase");
    last = id;
  }
  finish(state, 1, 1);
}

void insert_many(benchmark::State& state) {
  PGconn* c = libpq_conn();
  prepare(c, "bulk", bulk_sql);
  prepare(c, "bulk_count", "SELECT count(*) FROM \"BDoc\"");
  std::vector<BDoc> data;
  for (std::size_t k = 0; k != config().bulk; ++k) data.push_back(as<BDoc>(docs_data()[k]));
  exec(c, "TRUNCATE \"BDoc\"");
  std::string buf;
  std::int64_t rows = 0;
  for (auto _ : state) {
    std::vector<std::int64_t> ids;
    ids.reserve(data.size());
    exec(c, "BEGIN");
    try {
      for (const BDoc& d : data) {
        buf.clear();
        sqler::encode(d, buf);
        const char* v[] = {buf.c_str()};
        result r(run(c, "bulk", 1, v, PGRES_TUPLES_OK));
        ids.push_back(r.int64(0, 0));
      }
      exec(c, "COMMIT");
    } catch (...) {
      PQclear(PQexec(c, "ROLLBACK"));
      throw;
    }
    benchmark::DoNotOptimize(ids.data());
    rows = static_cast<std::int64_t>(ids.size());
    state.PauseTiming();
    {
      result n(run(c, "bulk_count", 0, nullptr, PGRES_TUPLES_OK));
      check(rows == static_cast<std::int64_t>(data.size()) && n.int64(0, 0) == rows &&
                std::is_sorted(ids.begin(), ids.end()),
            "insert_many stores every document");
    }
    exec(c, "TRUNCATE \"BDoc\"");
    state.ResumeTiming();
  }
  finish(state, rows, static_cast<std::int64_t>(data.size()));
}

namespace {
// Every row's document, decoded in order (a SELECT _id, _version, data of bounded size).
std::vector<Doc> rows_of(const result& r) {
  const int n = PQntuples(r.r);
  std::vector<Doc> out;
  out.reserve(static_cast<std::size_t>(n));
  for (int row = 0; row != n; ++row) sqler::decode(r.text(row, 2), out.emplace_back());
  return out;
}
}  // namespace

void filter_range(benchmark::State& state) {
  PGconn* c = libpq_conn();
  prepare(c, "filter", filter_sql);
  const auto& cfg = config();
  const int lo = cfg.range_lo, hi = cfg.range_lo + cfg.range_rows;
  auto go = [&] {
    const int_text p1(lo), p2(hi);
    const char* v[] = {p1.c_str(), p2.c_str()};
    result r(run(c, "filter", 2, v, PGRES_TUPLES_OK));
    return rows_of(r);
  };
  {
    const auto out = go();
    bool ok = static_cast<std::int64_t>(out.size()) == expect().filter_rows;
    for (std::size_t k = 0; ok && k != out.size(); ++k) ok = out[k].i == lo + static_cast<int>(k);
    check(ok, "filter_range returns i in [lo, hi) in order");
  }
  std::int64_t rows = 0;
  for (auto _ : state) {
    auto out = go();
    rows = static_cast<std::int64_t>(out.size());
    benchmark::DoNotOptimize(out.data());
  }
  finish(state, rows, rows);
}

void contains(benchmark::State& state) {
  PGconn* c = libpq_conn();
  prepare(c, "contains", contains_sql);
  const int tag = config().tag;
  auto go = [&] {
    const int_text p1(tag);
    const char* v[] = {p1.c_str()};
    result r(run(c, "contains", 1, v, PGRES_TUPLES_OK));
    return rows_of(r);
  };
  {
    const auto out = go();
    bool ok = static_cast<std::int64_t>(out.size()) == expect().contains_rows;
    for (const Doc& d : out) ok = ok && std::find(d.tags.begin(), d.tags.end(), tag) != d.tags.end();
    check(ok, "contains returns the documents holding the tag");
  }
  std::int64_t rows = 0;
  for (auto _ : state) {
    auto out = go();
    rows = static_cast<std::int64_t>(out.size());
    benchmark::DoNotOptimize(out.data());
  }
  finish(state, rows, rows);
}

void count(benchmark::State& state) {
  PGconn* c = libpq_conn();
  prepare(c, "count", count_sql);
  const auto& cfg = config();
  auto go = [&] {
    const int_text p1(cfg.range_lo), p2(cfg.range_lo + cfg.count_rows);
    const char* v[] = {p1.c_str(), p2.c_str()};
    result r(run(c, "count", 2, v, PGRES_TUPLES_OK));
    return r.int64(0, 0);
  };
  check(go() == expect().count, "count");
  std::int64_t n = 0;
  for (auto _ : state) {
    n = go();
    benchmark::DoNotOptimize(n);
  }
  finish(state, n, 1);
}

void sum(benchmark::State& state) {
  PGconn* c = libpq_conn();
  prepare(c, "sum", sum_sql);
  const auto& cfg = config();
  auto go = [&] {
    const int_text p1(cfg.range_lo), p2(cfg.range_lo + cfg.count_rows);
    const char* v[] = {p1.c_str(), p2.c_str()};
    result r(run(c, "sum", 2, v, PGRES_TUPLES_OK));
    std::optional<std::int64_t> s;
    if (PQntuples(r.r) == 1 && PQgetisnull(r.r, 0, 0) == 0) s = r.int64(0, 0);
    return s;
  };
  const auto first = go();
  check(first && *first == expect().sum, "sum");
  for (auto _ : state) {
    auto s = go();
    benchmark::DoNotOptimize(s);
  }
  finish(state, 1, 1);
}

void update_inc(benchmark::State& state) {
  PGconn* c = libpq_conn();
  prepare(c, "update_inc", update_sql);
  prepare(c, "get_u", get_u_sql);
  const auto ids = probe_ids(config().docs);
  auto inc = [&](std::int64_t id) {
    const int_text by(1), p2(id);
    const char* v[] = {by.c_str(), p2.c_str()};
    result r(run(c, "update_inc", 2, v, PGRES_COMMAND_OK));
    if (!one_row(r.r)) fail("update_inc: no such document");
  };
  auto child_id = [&](std::int64_t id) {
    const int_text p(id);
    const char* v[] = {p.c_str()};
    result r(run(c, "get_u", 1, v, PGRES_TUPLES_OK));
    UDoc d;
    sqler::decode(r.text(0, 2), d);
    return d.child.id;
  };
  {
    const auto before = child_id(ids[0]);
    inc(ids[0]);
    check(child_id(ids[0]) == before + 1, "update_inc increments");
  }
  std::size_t k = 0;
  for (auto _ : state) inc(ids[k++ & 4095]);
  finish(state, 1, 1);
}

void replace_versioned(benchmark::State& state) {
  PGconn* c = libpq_conn();
  prepare(c, "get_u", get_u_sql);
  prepare(c, "replace_v", replace_versioned_sql);
  {
    std::string sqlers;
    PG::write_merge_schema(sqlers, sqler::detail::merge_schema_of<UDoc>::value);
    check(sqlers == udoc_members, "the hand-written member list is the one sqler binds: " + sqlers);
  }
  const auto ids = probe_ids(config().docs);
  std::string buf;
  auto bump = [&](std::int64_t id) {
    const int_text p(id);
    std::int64_t version = 0;
    UDoc d;
    {
      const char* v[] = {p.c_str()};
      result r(run(c, "get_u", 1, v, PGRES_TUPLES_OK));
      if (PQntuples(r.r) != 1) fail("replace_versioned: no such document");
      version = r.int64(0, 1);
      sqler::decode(r.text(0, 2), d);
    }
    ++d.child.mid.id;
    buf.clear();
    sqler::encode(d, buf);
    const int_text pv(version);
    const char* v[] = {buf.c_str(), p.c_str(), pv.c_str(), udoc_members};
    result r(run(c, "replace_v", 4, v, PGRES_COMMAND_OK));
    if (!one_row(r.r)) fail("replace_versioned: stale version");
    return std::pair{version, d.child.mid.id};
  };
  {
    const auto [version, mid] = bump(ids[1]);
    const int_text p(ids[1]);
    const char* v[] = {p.c_str()};
    result r(run(c, "get_u", 1, v, PGRES_TUPLES_OK));
    UDoc d;
    sqler::decode(r.text(0, 2), d);
    check(r.int64(0, 1) == version + 1 && d.child.mid.id == mid,
          "replace_versioned writes and bumps the version");
  }
  std::size_t k = 0;
  for (auto _ : state) bump(ids[k++ & 4095]);
  finish(state, 1, 1);
}

void iterate_all(benchmark::State& state) {
  PGconn* c = libpq_conn();
  prepare(c, "all", all_sql);
  Doc d{};  // one document decoded into again and again, as sqler's iterator does
  auto go = [&] {
    if (PQsendQueryPrepared(c, "all", 0, nullptr, nullptr, nullptr, 0) == 0) pq_error(c, nullptr, "all");
    if (PQsetSingleRowMode(c) == 0) pq_error(c, nullptr, "single-row mode");
    std::int64_t n = 0, s = 0, ids = 0;
    std::string error;
    while (PGresult* raw = PQgetResult(c)) {
      result r(raw);
      const auto st = PQresultStatus(raw);
      if (st == PGRES_SINGLE_TUPLE) {
        ids += r.int64(0, 0) + r.int64(0, 1);  // _id and _version, as sqler's iterator reads them
        sqler::decode(r.text(0, 2), d);
        ++n;
        s += d.i;
      } else if (st != PGRES_TUPLES_OK && error.empty()) {
        error = PQresultErrorMessage(raw);  // read on to the end before throwing
      }
    }
    if (!error.empty()) fail("iterate_all: " + error);
    benchmark::DoNotOptimize(ids);
    return std::pair{n, s};
  };
  {
    const auto [n, s] = go();
    check(n == static_cast<std::int64_t>(config().docs) && s == expect().all_sum,
          "iterate_all streams every document");
  }
  std::int64_t rows = 0;
  for (auto _ : state) {
    const auto [n, s] = go();
    rows = n;
    benchmark::DoNotOptimize(s);
  }
  finish(state, rows, rows);
}

}  // namespace pgbench::libpq
