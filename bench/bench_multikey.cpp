// bench/bench_multikey.cpp - multikey indexes (sqler::multikey<T>): array membership searched
// through the side table instead of scanning every document's array, against the same query
// without the declaration and against a hand-written normalised join table; and what the
// indexes cost writes (insert, patch) with 0, 1 and 3 of them declared.
//
// Twins here are not the sqler/handwritten/overhead/sqlitecpp of the other cases (report.py's
// main tables skip these names; its "Multikey indexes" section reads them):
//   BM_mk_contains/{indexed,scan,jointable}/<storage>   tags.contains(q), ~200 of N documents
//   BM_mk_any_sku/{indexed,scan,jointable}/<storage>    items.any(sku == q), ~200 of N
//   BM_mk_insert/{idx0,idx1,idx3}/<storage>             insert_many of a batch, per document
//   BM_mk_patch_array/{idx0,idx1,idx3}/<storage>        update(id, set(tags, other tags))
//   BM_mk_patch_scalar/{idx0,idx1,idx3}/<storage>       update(id, inc(i, 1)): no array changes
//
// indexed and scan read the same table ("MkDoc", shared by two C++ types with the same members,
// one declaring multikey<> on tags and items[].sku, one declaring nothing), so they read the
// same bytes. jointable is what a user writes without sqler: the documents in a plain
// (id INTEGER PRIMARY KEY, data TEXT) table, their tags and skus in doc_tags(tag, doc_id) and
// doc_skus(sku, doc_id) with covering indexes on (tag, doc_id) / (sku, doc_id), the query
// joining back to the documents, decoded with sqler's codec (the same as the sqler twins, so the
// ratio is about the SQL and the storage, not JSON). All three return the same documents: the
// first use checks their ids once, and that the plans search the indexes.
//
// Data: N documents (10k, SQLER_BENCH_SCALE scales it, SQLER_BENCH_DOCS sets it), each with 8
// int tags from a vocabulary of N/25 values, 3 string labels and 3 items whose sku comes from
// N*3/200 values, so one tag or sku is held by about 200 documents at every N: the indexed
// query's result stays the same size while the scan grows with N.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <set>

#include <unistd.h>

#include <array>

#include "bench_common.hpp"

namespace bench::mk {

struct Item {
  std::string sku;
  int qty;
};

// What each instantiation of Doc is: the table it lives in and its multikey declaration.
enum kind : int {
  read_indexed = 0,  // "MkDoc", multikey<tags, items[].sku>
  read_scan = 1,     // "MkDoc", no declaration
  write0 = 2,        // "MkW0", no multikey index
  write1 = 3,        // "MkW1", multikey<tags>
  write3 = 4,        // "MkW3", multikey<tags, labels, items[].sku>
};

constexpr std::string_view table_of(int k) {
  switch (k) {
    case read_indexed:
    case read_scan: return "MkDoc";
    case write0: return "MkW0";
    case write1: return "MkW1";
    default: return "MkW3";
  }
}

// The same members for every kind: only the type (and so the table and the multikey
// declaration) differs.
template <int K>
struct Doc {
  static constexpr std::string_view sqler_table = table_of(K);
  static constexpr bool sqler_shared_table = true;
  int i;
  std::string name;               // 12 characters
  std::vector<int> tags;          // 8 values in [0, N/25)
  std::vector<std::string> labels;  // 3 of N*3/200 values
  std::vector<Item> items;        // 3, sku one of N*3/200 values
  Child child;                    // three levels, as bench::Doc
};

}  // namespace bench::mk

template <>
struct sqler::multikey<bench::mk::Doc<bench::mk::read_indexed>>
    : sqler::multikey_list<
          sqler::elements<&bench::mk::Doc<bench::mk::read_indexed>::tags>,
          sqler::elements<&bench::mk::Doc<bench::mk::read_indexed>::items, &bench::mk::Item::sku>> {
};
template <>
struct sqler::multikey<bench::mk::Doc<bench::mk::write1>>
    : sqler::multikey_list<sqler::elements<&bench::mk::Doc<bench::mk::write1>::tags>> {};
template <>
struct sqler::multikey<bench::mk::Doc<bench::mk::write3>>
    : sqler::multikey_list<
          sqler::elements<&bench::mk::Doc<bench::mk::write3>::tags>,
          sqler::elements<&bench::mk::Doc<bench::mk::write3>::labels>,
          sqler::elements<&bench::mk::Doc<bench::mk::write3>::items, &bench::mk::Item::sku>> {};

namespace bench::mk {
namespace {

using Indexed = Doc<read_indexed>;
using Scan = Doc<read_scan>;
using sqler::field;

// ---------------------------------------------------------------- the SQL each twin runs

template <class T>
using coll_ref = sqler::collection<T>&;

using contains_indexed_q =
    decltype(std::declval<coll_ref<Indexed>>().find(field<&Indexed::tags>.contains(0)));
static_assert(contains_indexed_q::sql() ==
              "SELECT _id, _version, data FROM (SELECT _id AS \"sqler:mk\" FROM "
              "\"MkDoc__mk__tags\" WHERE value = ?1) JOIN \"MkDoc\" ON \"MkDoc\"._id = "
              "\"sqler:mk\"");
using contains_scan_q =
    decltype(std::declval<coll_ref<Scan>>().find(field<&Scan::tags>.contains(0)));
static_assert(contains_scan_q::sql() ==
              "SELECT _id, _version, data FROM \"MkDoc\" WHERE EXISTS (SELECT 1 FROM "
              "json_each(data,'$.tags') AS je1 WHERE je1.value = ?1)");
using any_indexed_q = decltype(std::declval<coll_ref<Indexed>>().find(
    field<&Indexed::items>.any(field<&Item::sku> == std::string())));
static_assert(any_indexed_q::sql() ==
              "SELECT _id, _version, data FROM (SELECT _id AS \"sqler:mk\" FROM "
              "\"MkDoc__mk__items.sku\" WHERE value = ?1) JOIN \"MkDoc\" ON \"MkDoc\"._id = "
              "\"sqler:mk\"");

// The hand-written normalised schema and its queries.
constexpr const char* join_schema[] = {
    "CREATE TABLE docs (id INTEGER PRIMARY KEY, data TEXT NOT NULL)",
    "CREATE TABLE doc_tags (tag INTEGER NOT NULL, doc_id INTEGER NOT NULL)",
    "CREATE TABLE doc_skus (sku TEXT NOT NULL, doc_id INTEGER NOT NULL)",
};
// Created after the bulk load, as a user loading in bulk would.
constexpr const char* join_indexes[] = {
    "CREATE INDEX doc_tags_tag ON doc_tags (tag, doc_id)",
    "CREATE INDEX doc_skus_sku ON doc_skus (sku, doc_id)",
};
constexpr std::string_view join_contains_sql =
    "SELECT d.id, d.data FROM doc_tags AS t JOIN docs AS d ON d.id = t.doc_id WHERE t.tag = ?1";
constexpr std::string_view join_any_sql =
    "SELECT d.id, d.data FROM doc_skus AS s JOIN docs AS d ON d.id = s.doc_id WHERE s.sku = ?1";

// Diagnostics for the indexed-vs-jointable gap, on sqler's own database and codec through the
// bare C API: `sqlersql` runs sqler's statement text, the join above (so indexed/sqlersql is
// the library's cost and sqlersql/jointable the tables'), `inform` the same search in the form
// sqler rendered before it joined, `_id IN (SELECT ...)` (so inform/sqlersql is what the join
// saves: SQLite copies the IN list's ids into an ephemeral index before the lookups).
constexpr std::string_view in_form_sql =
    "SELECT _id, _version, data FROM \"MkDoc\" WHERE _id IN (SELECT _id FROM \"MkDoc__mk__tags\" "
    "WHERE value = ?1)";

// ---------------------------------------------------------------- data

// SQLER_BENCH_DOCS when set (the scaling table), else 10k scaled by SQLER_BENCH_SCALE.
std::size_t doc_count() {
  static const std::size_t n = [] {
    if (const char* env = std::getenv("SQLER_BENCH_DOCS"); env != nullptr && *env != '\0')
      return config().array_docs;  // config() applied SQLER_BENCH_DOCS already
    return std::max<std::size_t>(20, static_cast<std::size_t>(std::llround(10000 * config().scale)));
  }();
  return n;
}
// Documents per insert_many call in BM_mk_insert.
std::size_t batch_size() { return std::max<std::size_t>(10, std::min<std::size_t>(1000, doc_count() / 10)); }

struct vocabulary {
  std::uint64_t tags, labels, skus;
};
vocabulary vocab() {
  const auto n = static_cast<std::uint64_t>(doc_count());
  return {std::max<std::uint64_t>(1, n * 8 / 200), std::max<std::uint64_t>(1, n * 3 / 200),
          std::max<std::uint64_t>(1, n * 3 / 200)};
}
int query_tag() { return static_cast<int>(7 % vocab().tags); }
std::string query_sku() { return "s" + std::to_string(7 % vocab().skus); }

struct rng {  // splitmix64, seeded per document so any document can be made alone
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) { return next() % n; }
};

std::string word(rng& r, std::size_t len) {
  std::string s(len, 'a');
  for (auto& c : s) c = static_cast<char>('a' + r.below(26));
  return s;
}

// Document k (0-based; stored with _id k + 1).
template <int K>
Doc<K> make_doc(std::size_t k) {
  const auto v = vocab();
  rng r{0x6d6b0000ULL + k * 0x2545f4914f6cdd1dULL};
  Doc<K> d;
  d.i = static_cast<int>(k);
  d.name = word(r, 12);
  d.tags.resize(8);
  for (auto& t : d.tags) t = static_cast<int>(r.below(v.tags));
  d.labels.resize(3);
  for (auto& l : d.labels) l = "l" + std::to_string(r.below(v.labels));
  d.items.resize(3);
  for (auto& it : d.items) it = Item{"s" + std::to_string(r.below(v.skus)), static_cast<int>(r.below(100))};
  const auto id = static_cast<std::int64_t>(k);
  d.child = Child{id, word(r, 6), static_cast<double>(r.below(10000)) / 100.0,
                  Mid{id * 2, word(r, 6), static_cast<double>(r.below(10000)) / 100.0,
                      Leaf{id * 3, word(r, 6), static_cast<double>(r.below(10000)) / 100.0,
                           r.below(2) == 1}}};
  return d;
}

// The other tags a patch swaps in: each shifted by one within the vocabulary.
std::vector<int> shifted(std::vector<int> tags) {
  const auto n = static_cast<int>(vocab().tags);
  for (auto& t : tags) t = (t + 1) % n;
  return tags;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Stores documents [0, n) in `table` through a prepared INSERT in one transaction, encoded with
// sqler::encode: untimed set-up, the same bytes for every sqler twin.
void load(sqlite3* db, std::string_view table, std::size_t n) {
  raw_stmt st(db, "INSERT INTO \"" + std::string(table) + "\" (data) VALUES (?1)");
  sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  std::string buf;
  for (std::size_t k = 0; k != n; ++k) {
    buf.clear();
    sqler::encode(make_doc<read_scan>(k), buf);
    sqlite3_bind_text(st.get(), 1, buf.data(), static_cast<int>(buf.size()), SQLITE_STATIC);
    raw_step(st.get());
    sqlite3_reset(st.get());
  }
  if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK)
    throw std::runtime_error(std::string("load: ") + sqlite3_errmsg(db));
}

std::string plan_of(sqlite3* db, std::string_view sql, const std::function<void(sqlite3_stmt*)>& bind) {
  raw_stmt q(db, "EXPLAIN QUERY PLAN " + std::string(sql));
  bind(q.get());
  std::string out;
  while (raw_step(q.get())) {
    if (!out.empty()) out += "; ";
    out += raw_text(q.get(), 3);
  }
  return out;
}

bool verbose() {
  const char* env = std::getenv("SQLER_BENCH_VERBOSE");
  return env != nullptr && *env != '\0' && *env != '0';
}

// ---------------------------------------------------------------- fixtures

struct registry {
  std::map<std::string, std::unique_ptr<sqler::database>> sqler;
  std::map<std::string, std::unique_ptr<raw_db>> raw;
  std::map<std::string, std::uint64_t> counters;  // per-fixture call counters (patch phases)
  std::vector<std::string> files;

  std::string path_for(const std::string& key, storage s) {
    if (s == storage::mem) return ":memory:";
    auto p = (std::filesystem::temp_directory_path() /
              ("sqler_bench_mk_" + std::to_string(::getpid()) + "_" + key + ".db"))
                 .string();
    std::filesystem::remove(p);
    files.push_back(p);
    return p;
  }
  ~registry() {
    sqler.clear();
    raw.clear();
    for (const auto& f : files)
      for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(f + suffix);
  }
};

registry& reg() {
  static registry r;
  return r;
}

std::unique_ptr<sqler::database> open_sqler(const std::string& key, storage s) {
  const auto path = reg().path_for(key, s);
  return std::make_unique<sqler::database>(s == storage::mem ? sqler::database::in_memory()
                                                             : sqler::database::open(path));
}

// "MkDoc": N documents, loaded first, then the indexed type opened, which creates and fills its
// two side tables from them (sqler's own path for declaring an index on existing data).
sqler::database& read_db(storage s) {
  const std::string key = std::string("read_") + storage_name(s);
  auto& slot = reg().sqler[key];
  if (!slot) {
    auto db = open_sqler(key, s);
    db->collection<Scan>();
    const auto t0 = std::chrono::steady_clock::now();
    load(db->native_handle(), "MkDoc", doc_count());
    const double loaded = seconds_since(t0);
    const auto t1 = std::chrono::steady_clock::now();
    db->collection<Indexed>();
    if (verbose())
      std::fprintf(stderr, "[mk] %s: %zu docs loaded in %.2f s, 2 multikey indexes built in %.2f s\n",
                   key.c_str(), doc_count(), loaded, seconds_since(t1));
    slot = std::move(db);
  }
  return *slot;
}

// The hand-written normalised twin: documents plus doc_tags / doc_skus, one row per distinct
// tag (sku) of a document, as an application maintaining the join table itself writes them.
sqlite3* join_db(storage s) {
  const std::string key = std::string("join_") + storage_name(s);
  auto& slot = reg().raw[key];
  if (!slot) {
    auto db = std::make_unique<raw_db>(reg().path_for(key, s));
    for (const char* sql : join_schema) db->exec(sql);
    const auto t0 = std::chrono::steady_clock::now();
    {
      raw_stmt doc(db->get(), "INSERT INTO docs (id, data) VALUES (?1, ?2)");
      raw_stmt tag(db->get(), "INSERT INTO doc_tags (tag, doc_id) VALUES (?1, ?2)");
      raw_stmt sku(db->get(), "INSERT INTO doc_skus (sku, doc_id) VALUES (?1, ?2)");
      db->exec("BEGIN IMMEDIATE");
      std::string buf;
      for (std::size_t k = 0; k != doc_count(); ++k) {
        const auto d = make_doc<read_scan>(k);
        const auto id = static_cast<std::int64_t>(k) + 1;
        buf.clear();
        sqler::encode(d, buf);
        sqlite3_bind_int64(doc.get(), 1, id);
        sqlite3_bind_text(doc.get(), 2, buf.data(), static_cast<int>(buf.size()), SQLITE_STATIC);
        raw_step(doc.get());
        sqlite3_reset(doc.get());
        for (int t : std::set<int>(d.tags.begin(), d.tags.end())) {
          sqlite3_bind_int64(tag.get(), 1, t);
          sqlite3_bind_int64(tag.get(), 2, id);
          raw_step(tag.get());
          sqlite3_reset(tag.get());
        }
        std::set<std::string> skus;
        for (const auto& it : d.items) skus.insert(it.sku);
        for (const auto& v : skus) {
          sqlite3_bind_text(sku.get(), 1, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
          sqlite3_bind_int64(sku.get(), 2, id);
          raw_step(sku.get());
          sqlite3_reset(sku.get());
        }
      }
      db->exec("COMMIT");
    }
    for (const char* sql : join_indexes) db->exec(sql);
    if (verbose())
      std::fprintf(stderr, "[mk] %s: %zu docs + join tables loaded and indexed in %.2f s\n",
                   key.c_str(), doc_count(), seconds_since(t0));
    slot = std::move(db);
  }
  return slot->get();
}

// ---------------------------------------------------------------- the twins' queries

template <class T>
std::vector<T> join_rows(sqlite3_stmt* st, std::vector<std::int64_t>* ids = nullptr) {
  std::vector<T> out;
  while (raw_step(st)) {
    if (ids) ids->push_back(sqlite3_column_int64(st, 0));
    sqler::decode(raw_text(st, 1), out.emplace_back());
  }
  sqlite3_reset(st);
  return out;
}

auto find_contains_indexed(sqler::database& db) {
  return db.collection<Indexed>().find(field<&Indexed::tags>.contains(query_tag()));
}
auto find_contains_scan(sqler::database& db) {
  return db.collection<Scan>().find(field<&Scan::tags>.contains(query_tag()));
}
auto find_any_indexed(sqler::database& db, const std::string& sku) {
  return db.collection<Indexed>().find(field<&Indexed::items>.any(field<&Item::sku> == sku));
}
auto find_any_scan(sqler::database& db, const std::string& sku) {
  return db.collection<Scan>().find(field<&Scan::items>.any(field<&Item::sku> == sku));
}

// Once per storage and case: the three twins return the same documents, sqler's indexed query
// searches the side table and the join its covering index (else the comparison is void).
void verify(storage s, bool contains) {
  static std::set<std::pair<int, bool>> done;
  if (!done.insert({static_cast<int>(s), contains}).second) return;
  auto& db = read_db(s);
  sqlite3* j = join_db(s);
  const std::string sku = query_sku();
  auto sorted = [](std::vector<std::int64_t> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  std::vector<std::int64_t> indexed, scan, joined;
  std::string plan, join_plan;
  raw_stmt q(j, contains ? join_contains_sql : join_any_sql);
  auto bind = [&](sqlite3_stmt* st) {
    if (contains)
      sqlite3_bind_int64(st, 1, query_tag());
    else
      sqlite3_bind_text(st, 1, sku.data(), static_cast<int>(sku.size()), SQLITE_TRANSIENT);
  };
  if (contains) {
    indexed = sorted(find_contains_indexed(db).ids());
    scan = sorted(find_contains_scan(db).ids());
    plan = find_contains_indexed(db).explain();
  } else {
    indexed = sorted(find_any_indexed(db, sku).ids());
    scan = sorted(find_any_scan(db, sku).ids());
    plan = find_any_indexed(db, sku).explain();
  }
  bind(q.get());
  join_rows<Scan>(q.get(), &joined);
  joined = sorted(joined);
  join_plan = plan_of(j, contains ? join_contains_sql : join_any_sql, bind);
  const char* what = contains ? "BM_mk_contains" : "BM_mk_any_sku";
  if (indexed != scan || indexed != joined)
    throw std::runtime_error(std::string(what) + ": the twins return different documents (" +
                             std::to_string(indexed.size()) + " indexed, " +
                             std::to_string(scan.size()) + " scan, " +
                             std::to_string(joined.size()) + " jointable)");
  const std::string side = contains ? "MkDoc__mk__tags" : "MkDoc__mk__items.sku";
  // The join: the side table searched first, then each document by its rowid.
  if (plan.find("SEARCH " + side + " USING PRIMARY KEY") != 0 ||
      plan.find("SEARCH MkDoc USING INTEGER PRIMARY KEY") == std::string::npos)
    throw std::runtime_error(std::string(what) + ": sqler's plan is not a join driven by " + side +
                             ": " + plan);
  if (join_plan.find("COVERING INDEX") == std::string::npos)
    throw std::runtime_error(std::string(what) + ": the join's plan does not use its covering index: " +
                             join_plan);
  std::string in_plan;
  if (contains) {  // the diagnostic IN form (inform below): same documents, an IN list first
    raw_stmt in(db.native_handle(), in_form_sql);
    sqlite3_bind_int64(in.get(), 1, query_tag());
    std::vector<std::int64_t> ids;
    while (raw_step(in.get())) ids.push_back(sqlite3_column_int64(in.get(), 0));
    in_plan = plan_of(db.native_handle(), in_form_sql,
                      [](sqlite3_stmt* st) { sqlite3_bind_int64(st, 1, query_tag()); });
    if (sorted(ids) != indexed || in_plan.find("LIST SUBQUERY") == std::string::npos)
      throw std::runtime_error("BM_mk_contains: the IN form differs or does not search an IN list: " +
                               in_plan);
  }
  if (verbose())
    std::fprintf(stderr, "[mk] %s/%s: %zu matches of %zu\n  sqler indexed: %s\n  jointable: %s\n  inform: %s\n",
                 what, storage_name(s), indexed.size(), doc_count(), plan.c_str(), join_plan.c_str(),
                 in_plan.c_str());
}

template <class Run>
void loop_rows(benchmark::State& state, Run&& run) {
  std::int64_t rows = 0;
  for (auto _ : state) {
    auto out = run();
    rows = static_cast<std::int64_t>(out.size());
    benchmark::DoNotOptimize(out.data());
  }
  finish(state, rows, rows);
}

void contains_indexed(benchmark::State& state, storage s) {
  verify(s, true);
  auto& db = read_db(s);
  auto docs = db.collection<Indexed>();
  const int q = query_tag();
  loop_rows(state, [&] { return docs.find(field<&Indexed::tags>.contains(q)).all(); });
}
void contains_scan(benchmark::State& state, storage s) {
  verify(s, true);
  auto& db = read_db(s);
  auto docs = db.collection<Scan>();
  const int q = query_tag();
  loop_rows(state, [&] { return docs.find(field<&Scan::tags>.contains(q)).all(); });
}
void contains_join(benchmark::State& state, storage s) {
  verify(s, true);
  raw_stmt q(join_db(s), join_contains_sql);
  const int tag = query_tag();
  loop_rows(state, [&] {
    sqlite3_bind_int64(q.get(), 1, tag);
    return join_rows<Scan>(q.get());
  });
}


template <class T>
std::vector<T> doc_rows(sqlite3_stmt* st) {
  std::vector<T> out;
  while (raw_step(st)) sqler::decode(raw_text(st, 2), out.emplace_back());
  sqlite3_reset(st);
  return out;
}

void contains_raw(benchmark::State& state, storage s, std::string_view sql) {
  verify(s, true);
  raw_stmt q(read_db(s).native_handle(), sql);
  const int tag = query_tag();
  loop_rows(state, [&] {
    sqlite3_bind_int64(q.get(), 1, tag);
    return doc_rows<Indexed>(q.get());
  });
}
void contains_sqlersql(benchmark::State& state, storage s) {
  contains_raw(state, s, contains_indexed_q::sql());
}
void contains_inform(benchmark::State& state, storage s) { contains_raw(state, s, in_form_sql); }

void any_indexed(benchmark::State& state, storage s) {
  verify(s, false);
  auto docs = read_db(s).collection<Indexed>();
  const std::string q = query_sku();
  loop_rows(state, [&] { return docs.find(field<&Indexed::items>.any(field<&Item::sku> == q)).all(); });
}
void any_scan(benchmark::State& state, storage s) {
  verify(s, false);
  auto docs = read_db(s).collection<Scan>();
  const std::string q = query_sku();
  loop_rows(state, [&] { return docs.find(field<&Scan::items>.any(field<&Item::sku> == q)).all(); });
}
void any_join(benchmark::State& state, storage s) {
  verify(s, false);
  raw_stmt q(join_db(s), join_any_sql);
  const std::string sku = query_sku();
  loop_rows(state, [&] {
    sqlite3_bind_text(q.get(), 1, sku.data(), static_cast<int>(sku.size()), SQLITE_STATIC);
    return join_rows<Scan>(q.get());
  });
}

// ---------------------------------------------------------------- write cost
// One table per kind, holding the N documents (its multikey side tables filled by the
// triggers as they were stored).

template <int K>
sqler::database& write_db(storage s) {
  const std::string key = std::string(table_of(K)) + "_" + storage_name(s);
  auto& slot = reg().sqler[key];
  if (!slot) {
    auto db = open_sqler(key, s);
    db->template collection<Doc<K>>();  // table, side tables and triggers first: the load fires them
    load(db->native_handle(), table_of(K), doc_count());
    slot = std::move(db);
  }
  return *slot;
}

// Timed: insert_many of `batch_size()` new documents (one transaction) into the table of N.
// Untimed (paused): deleting them again, which the delete triggers carry to the side tables.
template <int K>
void insert_batch(benchmark::State& state, storage s) {
  auto& db = write_db<K>(s);
  auto docs = db.template collection<Doc<K>>();
  static const std::vector<Doc<K>> batch = [] {
    std::vector<Doc<K>> out;
    for (std::size_t k = 0; k != batch_size(); ++k) out.push_back(make_doc<K>(doc_count() + k));
    return out;
  }();
  const std::string clear = "DELETE FROM \"" + std::string(table_of(K)) + "\" WHERE _id > ?1";
  std::int64_t rows = 0;
  std::vector<std::int64_t> ids;
  for (auto _ : state) {
    ids = docs.insert_many(batch);
    benchmark::DoNotOptimize(ids.data());
    rows = static_cast<std::int64_t>(ids.size());
    state.PauseTiming();
    db.execute(clear, ids.empty() ? 0 : ids.front() - 1);
    state.ResumeTiming();
  }
  finish(state, rows, static_cast<std::int64_t>(batch.size()));
}

// A step coprime with n, so (k * step) % n visits every document once per pass in a scattered
// order.
std::uint64_t scatter_step(std::uint64_t n) {
  std::uint64_t p = 7919;
  while (std::gcd(p, n) != 1) p += 2;
  return p;
}

// update(id, set(tags, ...)): every call really changes the array, swapping each document
// between its own tags and the shifted ones (pass by pass over all N documents), so the
// trigger of the tags index rewrites that document's rows every time.
template <int K>
void patch_array(benchmark::State& state, storage s) {
  auto docs = write_db<K>(s).template collection<Doc<K>>();
  const std::size_t n = doc_count();
  static const auto tag_sets = [n] {
    std::vector<std::array<std::vector<int>, 2>> out(n);
    for (std::size_t k = 0; k != n; ++k) {
      out[k][0] = make_doc<K>(k).tags;
      out[k][1] = shifted(out[k][0]);
    }
    return out;
  }();
  const std::uint64_t step = scatter_step(n);
  auto& calls = reg().counters[std::string("patch_array_") + std::string(table_of(K)) + storage_name(s)];
  constexpr auto tags = field<&Doc<K>::tags>;
  for (auto _ : state) {
    const std::uint64_t k = calls++;
    const std::size_t doc = static_cast<std::size_t>((k * step) % n);
    const std::size_t pass = static_cast<std::size_t>(k / n);
    docs.update(static_cast<std::int64_t>(doc) + 1, sqler::set(tags, tag_sets[doc][(pass + 1) % 2]));
  }
  finish(state, 1, 1);
}

// update(id, inc(i, 1)): a patch that changes no indexed array, so the triggers only compare.
template <int K>
void patch_scalar(benchmark::State& state, storage s) {
  auto docs = write_db<K>(s).template collection<Doc<K>>();
  const std::size_t n = doc_count();
  const std::uint64_t step = scatter_step(n);
  auto& calls = reg().counters[std::string("patch_scalar_") + std::string(table_of(K)) + storage_name(s)];
  constexpr auto i = field<&Doc<K>::i>;
  for (auto _ : state) {
    const std::uint64_t k = calls++;
    docs.update(static_cast<std::int64_t>((k * step) % n) + 1, sqler::inc(i, 1));
  }
  finish(state, 1, 1);
}

// The write twin of the normalised schema: what an application keeping doc_tags itself does
// for one index (tags), in a transaction so that a document and its rows change together.
// doc_tags gets an index on doc_id as well, which deleting a document's rows needs (sqler's
// side table has the same one).
sqlite3* join_write_db(storage s) {
  const std::string key = std::string("join_write_") + storage_name(s);
  auto& slot = reg().raw[key];
  if (!slot) {
    auto db = std::make_unique<raw_db>(reg().path_for(key, s));
    db->exec(join_schema[0]);
    db->exec(join_schema[1]);
    db->exec(join_indexes[0]);
    db->exec("CREATE INDEX doc_tags_doc ON doc_tags (doc_id)");
    raw_stmt doc(db->get(), "INSERT INTO docs (id, data) VALUES (?1, ?2)");
    raw_stmt tag(db->get(), "INSERT INTO doc_tags (tag, doc_id) VALUES (?1, ?2)");
    db->exec("BEGIN IMMEDIATE");
    std::string buf;
    for (std::size_t k = 0; k != doc_count(); ++k) {
      const auto d = make_doc<read_scan>(k);
      const auto id = static_cast<std::int64_t>(k) + 1;
      buf.clear();
      sqler::encode(d, buf);
      sqlite3_bind_int64(doc.get(), 1, id);
      sqlite3_bind_text(doc.get(), 2, buf.data(), static_cast<int>(buf.size()), SQLITE_STATIC);
      raw_step(doc.get());
      sqlite3_reset(doc.get());
      for (int t : std::set<int>(d.tags.begin(), d.tags.end())) {
        sqlite3_bind_int64(tag.get(), 1, t);
        sqlite3_bind_int64(tag.get(), 2, id);
        raw_step(tag.get());
        sqlite3_reset(tag.get());
      }
    }
    db->exec("COMMIT");
    slot = std::move(db);
  }
  return slot->get();
}

// The distinct tags of a document, inserted as its rows of doc_tags.
void insert_tag_rows(sqlite3_stmt* tag, std::int64_t id, std::vector<int> tags) {
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  for (int t : tags) {
    sqlite3_bind_int64(tag, 1, t);
    sqlite3_bind_int64(tag, 2, id);
    raw_step(tag);
    sqlite3_reset(tag);
  }
}

// BEGIN IMMEDIATE, per document: INSERT the encoded document, INSERT its distinct tags; COMMIT.
void insert_batch_join(benchmark::State& state, storage s) {
  sqlite3* db = join_write_db(s);
  static const std::vector<Scan> batch = [] {
    std::vector<Scan> out;
    for (std::size_t k = 0; k != batch_size(); ++k) out.push_back(make_doc<read_scan>(doc_count() + k));
    return out;
  }();
  raw_stmt doc(db, "INSERT INTO docs (data) VALUES (?1)");
  raw_stmt tag(db, "INSERT INTO doc_tags (tag, doc_id) VALUES (?1, ?2)");
  raw_stmt clear_tags(db, "DELETE FROM doc_tags WHERE doc_id > ?1");
  raw_stmt clear_docs(db, "DELETE FROM docs WHERE id > ?1");
  raw_stmt begin(db, "BEGIN IMMEDIATE");
  raw_stmt commit(db, "COMMIT");
  std::string buf;
  std::vector<std::int64_t> ids;
  for (auto _ : state) {
    ids.clear();
    raw_step(begin.get());
    sqlite3_reset(begin.get());
    for (const Scan& d : batch) {
      buf.clear();
      sqler::encode(d, buf);
      sqlite3_bind_text(doc.get(), 1, buf.data(), static_cast<int>(buf.size()), SQLITE_STATIC);
      raw_step(doc.get());
      sqlite3_reset(doc.get());
      const std::int64_t id = sqlite3_last_insert_rowid(db);
      ids.push_back(id);
      insert_tag_rows(tag.get(), id, d.tags);
    }
    raw_step(commit.get());
    sqlite3_reset(commit.get());
    benchmark::DoNotOptimize(ids.data());
    state.PauseTiming();
    for (sqlite3_stmt* st : {clear_tags.get(), clear_docs.get()}) {
      sqlite3_bind_int64(st, 1, ids.front() - 1);
      raw_step(st);
      sqlite3_reset(st);
    }
    state.ResumeTiming();
  }
  finish(state, static_cast<std::int64_t>(batch.size()), static_cast<std::int64_t>(batch.size()));
}

// The same change as sqler's update(id, set(tags, ...)), kept in step by hand: BEGIN IMMEDIATE,
// UPDATE the document with json_set, DELETE its doc_tags rows, INSERT the new ones, COMMIT.
void patch_array_join(benchmark::State& state, storage s) {
  sqlite3* db = join_write_db(s);
  const std::size_t n = doc_count();
  static const auto tag_sets = [n] {
    std::vector<std::array<std::vector<int>, 2>> out(n);
    for (std::size_t k = 0; k != n; ++k) {
      out[k][0] = make_doc<read_scan>(k).tags;
      out[k][1] = shifted(out[k][0]);
    }
    return out;
  }();
  raw_stmt begin(db, "BEGIN IMMEDIATE");
  raw_stmt commit(db, "COMMIT");
  raw_stmt upd(db, "UPDATE docs SET data = json_set(data, '$.tags', json(?1)) WHERE id = ?2");
  raw_stmt del(db, "DELETE FROM doc_tags WHERE doc_id = ?1");
  raw_stmt tag(db, "INSERT INTO doc_tags (tag, doc_id) VALUES (?1, ?2)");
  const std::uint64_t step = scatter_step(n);
  auto& calls = reg().counters[std::string("patch_array_join_") + storage_name(s)];
  std::string buf;
  for (auto _ : state) {
    const std::uint64_t k = calls++;
    const std::size_t doc = static_cast<std::size_t>((k * step) % n);
    const auto id = static_cast<std::int64_t>(doc) + 1;
    const auto& tags = tag_sets[doc][(k / n + 1) % 2];
    raw_step(begin.get());
    sqlite3_reset(begin.get());
    buf.clear();
    sqler::encode(tags, buf);
    sqlite3_bind_text(upd.get(), 1, buf.data(), static_cast<int>(buf.size()), SQLITE_STATIC);
    sqlite3_bind_int64(upd.get(), 2, id);
    raw_step(upd.get());
    sqlite3_reset(upd.get());
    if (sqlite3_changes(db) != 1) throw std::runtime_error("patch_array_join: no such document");
    sqlite3_bind_int64(del.get(), 1, id);
    raw_step(del.get());
    sqlite3_reset(del.get());
    insert_tag_rows(tag.get(), id, tags);
    raw_step(commit.get());
    sqlite3_reset(commit.get());
  }
  finish(state, 1, 1);
}

// ---------------------------------------------------------------- registration

void add(const std::string& name, const char* twin, void (*fn)(benchmark::State&, storage)) {
  for (storage s : {storage::mem, storage::disk}) {
    const std::string full = name + "/" + twin + "/" + storage_name(s);
    benchmark::RegisterBenchmark(full.c_str(), [fn, s](benchmark::State& st) { fn(st, s); })
        ->Unit(benchmark::kMicrosecond);
  }
}

[[maybe_unused]] const bool registered = [] {
  add("BM_mk_contains", "indexed", contains_indexed);
  add("BM_mk_contains", "scan", contains_scan);
  add("BM_mk_contains", "jointable", contains_join);
  add("BM_mk_contains", "sqlersql", contains_sqlersql);
  add("BM_mk_contains", "inform", contains_inform);
  add("BM_mk_any_sku", "indexed", any_indexed);
  add("BM_mk_any_sku", "scan", any_scan);
  add("BM_mk_any_sku", "jointable", any_join);
  add("BM_mk_insert", "idx0", insert_batch<write0>);
  add("BM_mk_insert", "idx1", insert_batch<write1>);
  add("BM_mk_insert", "idx3", insert_batch<write3>);
  add("BM_mk_insert", "jointable", insert_batch_join);
  add("BM_mk_patch_array", "idx0", patch_array<write0>);
  add("BM_mk_patch_array", "idx1", patch_array<write1>);
  add("BM_mk_patch_array", "idx3", patch_array<write3>);
  add("BM_mk_patch_array", "jointable", patch_array_join);
  add("BM_mk_patch_scalar", "idx0", patch_scalar<write0>);
  add("BM_mk_patch_scalar", "idx1", patch_scalar<write1>);
  add("BM_mk_patch_scalar", "idx3", patch_scalar<write3>);
  return true;
}();

}  // namespace
}  // namespace bench::mk
