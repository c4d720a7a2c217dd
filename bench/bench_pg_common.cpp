// bench/bench_pg_common.cpp - data, sizes and the environments of sqler_bench_pg.
#include "bench_pg_common.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <utility>

namespace pgbench {

// ---------------------------------------------------------------- sizes and data

namespace {
std::size_t scaled(std::size_t n, double scale) {
  return std::max<std::size_t>(20, static_cast<std::size_t>(std::llround(static_cast<double>(n) * scale)));
}

// splitmix64: the same sequence on every platform and standard library.
struct rng {
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
}  // namespace

const sizes& config() {
  static const sizes s = [] {
    sizes out;
    if (const char* env = std::getenv("SQLER_BENCH_SCALE"); env != nullptr && *env != '\0') {
      out.scale = std::strtod(env, nullptr);
      if (!(out.scale > 0.0) || out.scale > 1.0) out.scale = 1.0;
    }
    out.docs = scaled(out.docs, out.scale);
    out.bulk = scaled(out.bulk, out.scale);
    // The same windows as the full run, in proportion: the middle of i.
    const auto n = static_cast<int>(out.docs);
    out.range_lo = n / 2;
    out.range_rows = std::max(1, std::min(100, n / 200));
    out.count_rows = std::max(1, std::min(1000, n / 20));
    return out;
  }();
  return s;
}

// The generator of the SQLite benchmark (bench_common.cpp, make_docs), so both describe the
// same documents.
const std::vector<Doc>& docs_data() {
  static const std::vector<Doc> docs = [] {
    const std::size_t n = config().docs;
    rng r{42};
    std::vector<int> order(n);
    for (std::size_t k = 0; k != n; ++k) order[k] = static_cast<int>(k);
    for (std::size_t k = n; k > 1; --k) std::swap(order[k - 1], order[r.below(k)]);
    std::vector<Doc> out(n);
    for (std::size_t k = 0; k != n; ++k) {
      Doc& d = out[k];
      d.i = order[k];
      d.name = word(r, 12);
      d.tags.resize(8);
      for (auto& t : d.tags) t = static_cast<int>(r.below(1000));
      const auto id = static_cast<std::int64_t>(k);
      d.child = Child{id, word(r, 6), static_cast<double>(r.below(10000)) / 100.0,
                      Mid{id * 2, word(r, 6), static_cast<double>(r.below(10000)) / 100.0,
                          Leaf{id * 3, word(r, 6), static_cast<double>(r.below(10000)) / 100.0,
                               r.below(2) == 1}}};
    }
    return out;
  }();
  return docs;
}

std::vector<std::int64_t> probe_ids(std::size_t n, std::size_t count) {
  rng r{99};
  std::vector<std::int64_t> ids(count);
  for (auto& id : ids) id = 1 + static_cast<std::int64_t>(r.below(n));
  return ids;
}

const expected& expect() {
  static const expected e = [] {
    const auto& c = config();
    expected out;
    for (const Doc& d : docs_data()) {
      out.all_sum += d.i;
      if (d.i >= c.range_lo && d.i < c.range_lo + c.range_rows) ++out.filter_rows;
      if (d.i >= c.range_lo && d.i < c.range_lo + c.count_rows) {
        ++out.count;
        out.sum += d.i;
      }
      if (std::find(d.tags.begin(), d.tags.end(), c.tag) != d.tags.end()) ++out.contains_rows;
    }
    return out;
  }();
  return e;
}

// ---------------------------------------------------------------- environments

namespace {

const char* server() { return std::getenv("SQLER_PG"); }

// SQL on a connection of its own (schema creation and removal), outside sqler's pool.
std::string admin(const std::string& sql, bool want_value = false) {
  PGconn* c = PQconnectdb(server());
  std::string message, value;
  if (PQstatus(c) != CONNECTION_OK) {
    message = PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, ("SET client_min_messages = warning; " + sql).c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
      message = PQresultErrorMessage(r);
    else if (want_value && PQntuples(r) > 0)
      value = PQgetvalue(r, 0, 0);
    PQclear(r);
  }
  PQfinish(c);
  if (!message.empty()) throw std::runtime_error("sqler_bench_pg: " + sql + ": " + message);
  return value;
}

struct environments {
  std::unique_ptr<sqler::postgres::database> pg;
  std::unique_ptr<sqler::database> sqlite;
  std::string sqlite_path;
  PGconn* libpq = nullptr;
  bool schema_made = false;
};

environments& envs() {
  static environments e;
  return e;
}

// Makes the tables and indexes of every case through sqler and loads them (untimed), the same
// on both backends.
template <class Database>
void load(Database& db) {
  auto docs = db.template collection<Doc>();
  docs.ensure_index(sqler::field<&Doc::i>);
  docs.insert_many(docs_data());
  std::vector<UDoc> u;
  u.reserve(docs_data().size());
  for (const Doc& d : docs_data()) u.push_back(as<UDoc>(d));
  db.template collection<UDoc>().insert_many(u);
  db.template collection<IDoc>();
  db.template collection<BDoc>();
}

}  // namespace

bool server_configured() {
  const char* s = server();
  return s != nullptr && *s != '\0';
}

const std::string& schema_name() {
  static const std::string s = "sqler_bench_" + std::to_string(::getpid());
  return s;
}

const std::string& conninfo() {
  static const std::string c = [] {
    std::string base = server();
    const bool uri = base.starts_with("postgresql://") || base.starts_with("postgres://");
    if (uri)
      return base + (base.find('?') == std::string::npos ? "?" : "&") +
             "options=-csearch_path%3D" + schema_name();
    return base + " options='-csearch_path=" + schema_name() + "'";
  }();
  return c;
}

sqler::postgres::database& pg_db() {
  auto& e = envs();
  if (!e.pg) {
    admin("DROP SCHEMA IF EXISTS " + schema_name() + " CASCADE; CREATE SCHEMA " + schema_name());
    e.schema_made = true;
    auto db = sqler::postgres::database::connect(conninfo());
    load(db);
    // VACUUM as autovacuum would soon: it also empties the GIN index's pending list (fastupdate),
    // which holds every tag just loaded and makes the planner price the index above a
    // sequential scan.
    db.execute("VACUUM ANALYZE");
    // The read cases are about the indexes: make sure the server uses them (on tiny scaled data
    // a sequential scan is the right plan).
    const auto& c = config();
    auto docs = db.collection<Doc>();
    if (c.docs >= 5000) {
      const auto plan_range = docs.find(sqler::field<&Doc::i> >= c.range_lo &&
                                        sqler::field<&Doc::i> < c.range_lo + c.range_rows)
                                  .order_by(sqler::field<&Doc::i>)
                                  .explain();
      check(plan_range.find("sqler_ix_Doc__i") != std::string::npos,
            "the range filter does not use the index on i:\n" + plan_range);
      const auto plan_tags = docs.find(sqler::field<&Doc::tags>.contains(c.tag)).explain();
      check(plan_tags.find("sqler_mk_Doc__tags") != std::string::npos,
            "contains() does not use the multikey (GIN) index:\n" + plan_tags);
    }
    // The twins start on fresh connections alike: not on the one whose server process did the
    // loading and the VACUUM.
    e.pg = std::make_unique<sqler::postgres::database>(sqler::postgres::database::connect(conninfo()));
  }
  return *e.pg;
}

sqler::database& sqlite_db() {
  auto& e = envs();
  if (!e.sqlite) {
    e.sqlite_path = (std::filesystem::temp_directory_path() /
                     ("sqler_bench_pg_" + std::to_string(::getpid()) + ".db"))
                        .string();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(e.sqlite_path + suffix);
    auto db = sqler::database::open(e.sqlite_path);
    load(db);
    db.execute("ANALYZE");
    e.sqlite = std::make_unique<sqler::database>(std::move(db));
  }
  return *e.sqlite;
}

PGconn* libpq_conn() {
  auto& e = envs();
  if (e.libpq == nullptr) {
    pg_db();  // the schema, its tables and sqler's functions exist
    // As sqler's connection does: UTF-8 whatever the server's default.
    const char* keys[] = {"dbname", "client_encoding", nullptr};
    const char* values[] = {conninfo().c_str(), "UTF8", nullptr};
    PGconn* c = PQconnectdbParams(keys, values, 1);
    if (PQstatus(c) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(c);
      PQfinish(c);
      throw std::runtime_error("sqler_bench_pg: libpq twin cannot connect: " + msg);
    }
    e.libpq = c;
  }
  return e.libpq;
}

std::string server_version() { return admin("SELECT version()", true); }

std::string server_settings() {
  return admin(
      "SELECT 'fsync=' || current_setting('fsync') || ' synchronous_commit=' || "
      "current_setting('synchronous_commit') || ' shared_buffers=' || "
      "current_setting('shared_buffers') || ' jit=' || current_setting('jit')",
      true);
}

void release_environments() {
  auto& e = envs();
  if (e.libpq != nullptr) PQfinish(e.libpq);
  e.libpq = nullptr;
  e.pg.reset();
  e.sqlite.reset();
  if (!e.sqlite_path.empty())
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(e.sqlite_path + suffix);
  if (e.schema_made) {
    try {
      admin("DROP SCHEMA IF EXISTS " + schema_name() + " CASCADE");
    } catch (const std::exception&) {
    }
    e.schema_made = false;
  }
}

}  // namespace pgbench
