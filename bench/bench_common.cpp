// bench/bench_common.cpp - data generation, hand-written connection setup, the cache of
// loaded databases and twin registration for the sqler benchmarks.
#include "bench_common.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace bench {

// ---------------------------------------------------------------- sizes

namespace {
std::size_t scaled(std::size_t n, double scale) {
  return std::max<std::size_t>(20, static_cast<std::size_t>(std::llround(static_cast<double>(n) * scale)));
}
}  // namespace

const sizes& config() {
  static const sizes s = [] {
    sizes out;
    if (const char* env = std::getenv("SQLER_BENCH_SCALE"); env != nullptr && *env != '\0') {
      out.scale = std::strtod(env, nullptr);
      if (!(out.scale > 0.0) || out.scale > 1.0) out.scale = 1.0;
    }
    out.bulk_small = scaled(out.bulk_small, out.scale);
    out.bulk_large = scaled(out.bulk_large, out.scale);
    out.docs = scaled(out.docs, out.scale);
    out.array_docs = scaled(out.array_docs, out.scale);
    if (const char* env = std::getenv("SQLER_BENCH_DOCS"); env != nullptr && *env != '\0') {
      const auto n = std::strtoull(env, nullptr, 10);
      if (n < 20) throw std::runtime_error("SQLER_BENCH_DOCS must be at least 20");
      out.bulk_small = out.docs = out.array_docs = static_cast<std::size_t>(n);
    }
    // The same window as the full run: the middle twentieth of i, capped at `limit` rows.
    out.range_lo = static_cast<int>(out.docs / 2);
    out.range_hi = out.range_lo + static_cast<int>(std::max<std::size_t>(1, out.docs / 20));
    out.users = scaled(out.users, std::min(1.0, out.scale * 10));  // small already: shrink less
    out.addresses = scaled(out.addresses, std::min(1.0, out.scale * 10));
    if (out.scale < 1.0) out.counter_increments = 2;
    return out;
  }();
  return s;
}

// ---------------------------------------------------------------- data

namespace {
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

std::vector<Doc> make_docs(std::size_t n) {
  rng r{42};
  std::vector<int> order(n);
  for (std::size_t k = 0; k != n; ++k) order[k] = static_cast<int>(k);
  for (std::size_t k = n; k > 1; --k) std::swap(order[k - 1], order[r.below(k)]);
  std::vector<Doc> docs(n);
  for (std::size_t k = 0; k != n; ++k) {
    Doc& d = docs[k];
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
  return docs;
}

const std::vector<Doc>& docs_of_size(std::size_t n) {
  static std::map<std::size_t, std::vector<Doc>> cache;
  auto& v = cache[n];
  if (v.empty()) v = make_docs(n);
  return v;
}

std::vector<Shipment> make_shipments(std::size_t n) {
  rng r{7};
  std::vector<Shipment> out(n);
  for (std::size_t k = 0; k != n; ++k) {
    out[k].i = static_cast<int>(k);
    out[k].events.resize(4);
    for (auto& e : out[k].events) {
      e.val = static_cast<int>(r.below(9));  // 0..8: never matches val > 8
      e.kind = word(r, 5);
    }
    if (k % 40 == 0) out[k].events[r.below(4)].val = 9 + static_cast<int>(r.below(5));
  }
  return out;
}

std::vector<Address> make_addresses(std::size_t n) {
  rng r{11};
  std::vector<Address> out(n);
  for (auto& a : out) a = Address{word(r, 16), word(r, 8)};
  return out;
}

std::vector<User> make_users(std::size_t n, std::size_t addresses) {
  rng r{13};
  std::vector<User> out(n);
  for (std::size_t k = 0; k != n; ++k)
    out[k] = User{word(r, 10), 18 + static_cast<int>(r.below(60)),
                  sqler::ref<Address>(static_cast<std::int64_t>(k % addresses) + 1)};
  return out;
}

std::vector<std::int64_t> probe_ids(std::size_t n, std::size_t count) {
  rng r{99};
  std::vector<std::int64_t> ids(count);
  for (auto& id : ids) id = 1 + static_cast<std::int64_t>(r.below(n));
  return ids;
}

const char* storage_name(storage s) { return s == storage::mem ? "mem" : "disk"; }

// ---------------------------------------------------------------- hand-written connections

raw_db::raw_db(const std::string& path) {
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    throw std::runtime_error("cannot open " + path + ": " + msg);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, 5000);
  if (path != ":memory:") {
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
  }
  exec("PRAGMA foreign_keys=ON");
}

raw_db::~raw_db() { sqlite3_close_v2(db_); }

void raw_db::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "?";
    sqlite3_free(err);
    throw std::runtime_error(std::string("sqlite: ") + msg + " in " + sql);
  }
}

raw_stmt::raw_stmt(sqlite3* db, std::string_view sql) {
  if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt_, nullptr) != SQLITE_OK)
    throw std::runtime_error(std::string("sqlite: ") + sqlite3_errmsg(db) + " in " +
                             std::string(sql));
}

std::unique_ptr<SQLite::Database> open_sqlitecpp(const std::string& path) {
  auto db = std::make_unique<SQLite::Database>(
      path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX, 5000);
  sqlite3_extended_result_codes(db->getHandle(), 1);
  if (path != ":memory:") {
    db->exec("PRAGMA journal_mode=WAL");
    db->exec("PRAGMA synchronous=NORMAL");
  }
  db->exec("PRAGMA foreign_keys=ON");
  return db;
}

// ---------------------------------------------------------------- loaded databases

namespace {

// The DDL sqler runs for these types, spelled out by hand for the overhead and SQLiteCpp twins.
constexpr std::string_view doc_table_sql =
    "CREATE TABLE IF NOT EXISTS \"Doc\" (_id INTEGER PRIMARY KEY AUTOINCREMENT, _version INTEGER NOT NULL "
    "DEFAULT 1, data TEXT NOT NULL CHECK (json_valid(data)))";
constexpr std::string_view shipment_table_sql =
    "CREATE TABLE IF NOT EXISTS \"Shipment\" (_id INTEGER PRIMARY KEY AUTOINCREMENT, _version INTEGER NOT NULL "
    "DEFAULT 1, data TEXT NOT NULL CHECK (json_valid(data)))";
constexpr std::string_view address_table_sql =
    "CREATE TABLE IF NOT EXISTS \"Address\" (_id INTEGER PRIMARY KEY AUTOINCREMENT, _version INTEGER NOT NULL "
    "DEFAULT 1, data TEXT NOT NULL CHECK (json_valid(data)))";
constexpr std::string_view user_table_sql =
    "CREATE TABLE IF NOT EXISTS \"User\" (_id INTEGER PRIMARY KEY AUTOINCREMENT, _version INTEGER NOT NULL "
    "DEFAULT 1, data TEXT NOT NULL CHECK (json_valid(data)))";
constexpr std::string_view counter_table_sql =
    "CREATE TABLE IF NOT EXISTS \"Counter\" (_id INTEGER PRIMARY KEY AUTOINCREMENT, _version INTEGER NOT NULL "
    "DEFAULT 1, data TEXT NOT NULL CHECK (json_valid(data)))";
static_assert(address_table_sql == sqler::detail::create_table_shape<sqler::detail::sqlite_dialect, Address>::sql);
static_assert(user_table_sql == sqler::detail::create_table_shape<sqler::detail::sqlite_dialect, User>::sql);
static_assert(counter_table_sql == sqler::detail::create_table_shape<sqler::detail::sqlite_dialect, Counter>::sql);
constexpr std::string_view doc_index_sql =
    "CREATE INDEX IF NOT EXISTS \"sqler_ix_Doc__i\" ON \"Doc\" (json_extract(data,'$.i'))";
static_assert(doc_table_sql == sqler::detail::create_table_shape<sqler::detail::sqlite_dialect, Doc>::sql);
static_assert(shipment_table_sql == sqler::detail::create_table_shape<sqler::detail::sqlite_dialect, Shipment>::sql);
static_assert(doc_index_sql == sqler::collection<Doc>::index_sql(sqler::field<&Doc::i>));

template <class T>
void load(sqlite3* db, std::string_view table, const std::vector<T>& items) {
  std::string sql = "INSERT INTO \"" + std::string(table) + "\" (data) VALUES (?1)";
  raw_stmt st(db, sql);
  sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  std::string buf;
  for (const T& item : items) {
    buf.clear();
    sqler::encode(item, buf);
    sqlite3_bind_text(st.get(), 1, buf.data(), static_cast<int>(buf.size()), SQLITE_STATIC);
    raw_step(st.get());
    sqlite3_reset(st.get());
  }
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
}

// Fills a database whose tables exist already (created by each twin its own way).
void populate(sqlite3* db, dataset d) {
  switch (d) {
    case dataset::empty_docs: break;
    case dataset::docs:
    case dataset::docs_indexed:
    case dataset::docs_update: load(db, "Doc", docs_data()); break;
    case dataset::array_docs: load(db, "Doc", array_docs_data()); break;
    case dataset::shipments: {
      static const auto ships = make_shipments(config().array_docs);
      load(db, "Shipment", ships);
      break;
    }
    case dataset::users: {
      load(db, "Address", make_addresses(config().addresses));
      load(db, "User", make_users(config().users, config().addresses));
      break;
    }
    case dataset::counter: load(db, "Counter", std::vector<Counter>{Counter{0}}); break;
  }
}

const char* dataset_name(dataset d) {
  switch (d) {
    case dataset::empty_docs: return "empty";
    case dataset::docs: return "docs";
    case dataset::docs_indexed: return "docs_indexed";
    case dataset::docs_update: return "docs_update";
    case dataset::array_docs: return "array_docs";
    case dataset::shipments: return "shipments";
    case dataset::users: return "users";
    case dataset::counter: return "counter";
  }
  return "?";
}

struct registry {
  std::map<std::string, std::unique_ptr<sqler_env>> sqler;
  std::map<std::string, std::unique_ptr<raw_env>> raw;
  std::map<std::string, std::unique_ptr<cpp_env>> cpp;
  std::vector<std::string> files;

  std::string path_for(const std::string& key, storage s) {
    if (s == storage::mem) return ":memory:";
    auto p = (std::filesystem::temp_directory_path() /
              ("sqler_bench_" + std::to_string(::getpid()) + "_" + key + ".db"))
                 .string();
    std::filesystem::remove(p);
    files.push_back(p);
    return p;
  }

  void clear() {
    sqler.clear();
    raw.clear();
    cpp.clear();
    for (const auto& f : files)
      for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(f + suffix);
    files.clear();
  }
  ~registry() { clear(); }
};

registry& reg() {
  static registry r;
  return r;
}

std::string key_of(const char* twin, dataset d, storage s) {
  return std::string(twin) + "_" + dataset_name(d) + "_" + storage_name(s);
}

void create_tables(const std::function<void(std::string_view)>& exec, dataset d) {
  if (d == dataset::shipments) {
    exec(shipment_table_sql);
  } else if (d == dataset::users) {
    exec(address_table_sql);
    exec(user_table_sql);
  } else if (d == dataset::counter) {
    exec(counter_table_sql);
  } else {
    exec(doc_table_sql);
  }
  if (d == dataset::docs_indexed) exec(doc_index_sql);
}

}  // namespace

namespace {

// The settings that change what a statement costs, as SQLite reports them.
std::string connection_settings(sqlite3* db) {
  std::string out;
  for (const char* pragma : {"journal_mode", "synchronous", "foreign_keys", "busy_timeout"}) {
    raw_stmt q(db, std::string("PRAGMA ") + pragma);
    out += pragma;
    out += '=';
    if (raw_step(q.get())) out += raw_text(q.get(), 0);
    out += ' ';
  }
  return out;
}

// The hand-written twins must open connections exactly as sqler does; sqler's defaults may
// change, so compare with a fresh sqler connection rather than trusting a copy of them.
void check_settings(sqlite3* db, storage s) {
  static std::map<storage, std::string> expected;
  auto& want = expected[s];
  if (want.empty()) {
    if (s == storage::mem) {
      want = connection_settings(sqler::database::in_memory().native_handle());
    } else {
      const auto path = (std::filesystem::temp_directory_path() /
                         ("sqler_bench_" + std::to_string(::getpid()) + "_settings.db"))
                            .string();
      want = connection_settings(sqler::database::open(path).native_handle());
      for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    }
  }
  const auto got = connection_settings(db);
  if (got != want)
    throw std::runtime_error("hand-written connection differs from sqler's: " + got + "vs " + want);
}

}  // namespace

const std::vector<Doc>& docs_data() { return docs_of_size(config().docs); }

const std::vector<Doc>& docs_data_variant() {
  static const std::vector<Doc> v = [] {
    std::vector<Doc> out = docs_data();
    for (Doc& d : out)
      if (!d.name.empty() && d.name[0] >= 'a' && d.name[0] <= 'z')
        d.name[0] = static_cast<char>(d.name[0] - 'a' + 'A');
    return out;
  }();
  return v;
}

const std::vector<Doc>& array_docs_data() { return docs_of_size(config().array_docs); }

sqler_env& sqler_fixture(dataset d, storage s) {
  const auto key = key_of("sqler", d, s);
  auto& slot = reg().sqler[key];
  if (!slot) {
    const auto path = reg().path_for(key, s);
    auto db = s == storage::mem ? sqler::database::in_memory() : sqler::database::open(path);
    // sqler creates its own tables (and index) through its public API.
    if (d == dataset::shipments) {
      db.collection<Shipment>();
    } else if (d == dataset::users) {
      db.collection<Address>();
      db.collection<User>();
    } else if (d == dataset::counter) {
      db.collection<Counter>();
    } else {
      auto docs = db.collection<Doc>();
      if (d == dataset::docs_indexed) docs.ensure_index(sqler::field<&Doc::i>);
    }
    populate(db.native_handle(), d);
    slot = std::make_unique<sqler_env>(sqler_env{std::move(db)});
  }
  return *slot;
}

raw_env& overhead_fixture(dataset d, storage s) {
  const auto key = key_of("overhead", d, s);
  auto& slot = reg().raw[key];
  if (!slot) {
    auto db = std::make_unique<raw_db>(reg().path_for(key, s));
    check_settings(db->get(), s);
    create_tables([&](std::string_view sql) { db->exec(std::string(sql).c_str()); }, d);
    populate(db->get(), d);
    slot = std::make_unique<raw_env>(raw_env{std::move(db)});
  }
  return *slot;
}

raw_env& handwritten_fixture(dataset d, storage s, const std::function<void(raw_db&)>& build) {
  const auto key = key_of("handwritten", d, s);
  auto& slot = reg().raw[key];
  if (!slot) {
    auto db = std::make_unique<raw_db>(reg().path_for(key, s));
    check_settings(db->get(), s);
    build(*db);
    slot = std::make_unique<raw_env>(raw_env{std::move(db)});
  }
  return *slot;
}

cpp_env& cpp_fixture(dataset d, storage s) {
  const auto key = key_of("sqlitecpp", d, s);
  auto& slot = reg().cpp[key];
  if (!slot) {
    auto db = open_sqlitecpp(reg().path_for(key, s));
    check_settings(db->getHandle(), s);
    create_tables([&](std::string_view sql) { db->exec(std::string(sql)); }, d);
    populate(db->getHandle(), d);
    slot = std::make_unique<cpp_env>(cpp_env{std::move(db)});
  }
  return *slot;
}

void release_fixtures() { reg().clear(); }

// ---------------------------------------------------------------- registration

void register_case(const std::string& name, twins t, bool process_cpu, storages where) {
  for (storage s : {storage::mem, storage::disk}) {
    if (where == storages::disk_only && s == storage::mem) continue;
    const std::pair<const char*, bench_fn*> impls[] = {{"sqler", &t.sqler},
                                                       {"handwritten", &t.handwritten},
                                                       {"overhead", &t.overhead},
                                                       {"sqlitecpp", &t.sqlitecpp}};
    for (const auto& [twin, fn] : impls) {
      if (!*fn) continue;
      const std::string full = name + "/" + twin + "/" + storage_name(s);
      auto* b = benchmark::RegisterBenchmark(
          full.c_str(), [f = *fn, s](benchmark::State& state) { f(state, s); });
      if (process_cpu) b->MeasureProcessCPUTime();
      b->Unit(benchmark::kMicrosecond);
    }
  }
}

}  // namespace bench
