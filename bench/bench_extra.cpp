// bench/bench_extra.cpp - cases on the newer APIs: patch (sqler::inc) of one field, hydration
// of refs (query::with) against the per-row loop it replaces, and 8 threads incrementing one
// versioned counter with optimistic retries.
#include <algorithm>
#include <atomic>
#include <barrier>
#include <thread>

#include "bench_common.hpp"
#include "bench_handwritten.hpp"

namespace bench {
namespace {

using sqler::field;

// ---------------------------------------------------------------- patch one field by id
// The document's nested child.id goes up by one: a single UPDATE with json_set, no read.

constexpr auto f_child_id = field<&Doc::child, &Child::id>;
using inc_child_id = decltype(sqler::inc(f_child_id, 1));
constexpr std::string_view patch_sql =
    "UPDATE \"Doc\" SET data = json_set(data, '$.child.id', IFNULL(json_extract(data,'$.child.id'), "
    "0) + ?1), _version = _version + 1 WHERE _id = ?2";
// sqler's own patch wraps the sum in sqler_int(..., lo, hi, path), which refuses a result the
// member's type cannot hold; this twin is the unguarded UPDATE, so the ratio is that guard's cost.

void patch_sqler(benchmark::State& state, storage s) {
  auto docs = sqler_fixture(dataset::docs_update, s).db.collection<Doc>();
  const auto ids = probe_ids(config().docs);
  std::size_t k = 0;
  for (auto _ : state) docs.update(ids[k++ & 4095], sqler::inc(f_child_id, 1));
  finish(state, 1, 1);
}

void patch_overhead(benchmark::State& state, storage s) {
  auto& env = overhead_fixture(dataset::docs_update, s);
  raw_stmt q(env.db->get(), patch_sql);
  const auto ids = probe_ids(config().docs);
  std::size_t k = 0;
  for (auto _ : state) {
    sqlite3_bind_int64(q.get(), 1, 1);
    sqlite3_bind_int64(q.get(), 2, ids[k++ & 4095]);
    raw_step(q.get());
    sqlite3_reset(q.get());
    if (sqlite3_changes64(env.db->get()) == 0) throw std::runtime_error("patch: no such document");
  }
  finish(state, 1, 1);
}

void patch_cpp(benchmark::State& state, storage s) {
  SQLite::Statement q(*cpp_fixture(dataset::docs_update, s).db, std::string(patch_sql));
  const auto ids = probe_ids(config().docs);
  std::size_t k = 0;
  for (auto _ : state) {
    q.bind(1, 1);
    q.bind(2, ids[k++ & 4095]);
    const int changed = q.exec();
    q.reset();
    if (changed == 0) throw std::runtime_error("patch: no such document");
  }
  finish(state, 1, 1);
}

// ---------------------------------------------------------------- hydration
// All users, each with its address loaded. Batched: one query for the users, one for all their
// addresses (ids bound as one JSON array), assigned by id. The overhead and SQLiteCpp twins spell out
// that same algorithm; BM_hydrate_loop is the per-row alternative (one get per user).

constexpr std::string_view users_sql = "SELECT _id, _version, data FROM \"User\"";
constexpr std::string_view addresses_sql =
    "SELECT _id, _version, data FROM \"Address\" WHERE _id IN (SELECT value FROM json_each(?1))";
constexpr std::string_view address_by_id_sql =
    "SELECT _id, _version, data FROM \"Address\" WHERE _id = ?1";
using all_users_query = decltype(std::declval<sqler::collection<User>&>().find());
static_assert(users_sql == all_users_query::sql());
static_assert(addresses_sql == sqler::detail::get_many_shape<sqler::detail::sqlite_dialect, Address>::sql);
static_assert(address_by_id_sql == sqler::detail::get_shape<sqler::detail::sqlite_dialect, Address>::sql);

std::int64_t count_loaded(const std::vector<User>& users) {
  return static_cast<std::int64_t>(
      std::count_if(users.begin(), users.end(), [](const User& u) { return u.address.loaded(); }));
}

// What sqler::hydrate does, written out: distinct ids, one IN query, lookup by id.
template <class Fetch>
void hydrate_by_hand(std::vector<User>& users, Fetch&& fetch_addresses) {
  std::vector<std::int64_t> ids;
  ids.reserve(users.size());
  for (const User& u : users)
    if (!u.address.empty()) ids.push_back(u.address.id());
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::string list;
  sqler::encode(ids, list);
  std::vector<std::pair<std::int64_t, std::shared_ptr<const Address>>> loaded;
  loaded.reserve(ids.size());
  fetch_addresses(list, loaded);
  std::sort(loaded.begin(), loaded.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (User& u : users) {
    if (u.address.empty()) continue;
    const auto id = u.address.id();
    auto it = std::lower_bound(loaded.begin(), loaded.end(), id,
                               [](const auto& e, std::int64_t v) { return e.first < v; });
    if (it != loaded.end() && it->first == id)
      u.address.set_target(it->second);
    else
      u.address.mark_dangling();
  }
}

void hydrate_sqler(benchmark::State& state, storage s) {
  auto users = sqler_fixture(dataset::users, s).db.collection<User>();
  std::int64_t rows = 0;
  for (auto _ : state) {
    auto out = users.find().with<&User::address>().all();
    rows = count_loaded(out);
    benchmark::DoNotOptimize(out.data());
  }
  finish(state, rows, rows);
}

void hydrate_overhead(benchmark::State& state, storage s) {
  sqlite3* db = overhead_fixture(dataset::users, s).db->get();
  raw_stmt uq(db, users_sql);
  raw_stmt aq(db, addresses_sql);
  std::int64_t rows = 0;
  for (auto _ : state) {
    std::vector<User> out;
    while (raw_step(uq.get())) sqler::decode(raw_text(uq.get(), 2), out.emplace_back());
    sqlite3_reset(uq.get());
    hydrate_by_hand(out, [&](const std::string& list, auto& loaded) {
      sqlite3_bind_text(aq.get(), 1, list.data(), static_cast<int>(list.size()), SQLITE_STATIC);
      while (raw_step(aq.get())) {
        auto a = std::make_shared<Address>();
        sqler::decode(raw_text(aq.get(), 2), *a);
        loaded.emplace_back(sqlite3_column_int64(aq.get(), 0), std::move(a));
      }
      sqlite3_reset(aq.get());
    });
    rows = count_loaded(out);
    benchmark::DoNotOptimize(out.data());
  }
  finish(state, rows, rows);
}

void hydrate_cpp(benchmark::State& state, storage s) {
  SQLite::Database& db = *cpp_fixture(dataset::users, s).db;
  SQLite::Statement uq(db, std::string(users_sql));
  SQLite::Statement aq(db, std::string(addresses_sql));
  std::int64_t rows = 0;
  for (auto _ : state) {
    std::vector<User> out;
    while (uq.executeStep()) sqler::decode(cpp_text(uq, 2), out.emplace_back());
    uq.reset();
    hydrate_by_hand(out, [&](const std::string& list, auto& loaded) {
      aq.bindNoCopy(1, list);
      while (aq.executeStep()) {
        auto a = std::make_shared<Address>();
        sqler::decode(cpp_text(aq, 2), *a);
        loaded.emplace_back(aq.getColumn(0).getInt64(), std::move(a));
      }
      aq.reset();
    });
    rows = count_loaded(out);
    benchmark::DoNotOptimize(out.data());
  }
  finish(state, rows, rows);
}

// The N+1 loop: the users, then one get by id per user.
void loop_sqler(benchmark::State& state, storage s) {
  auto& env = sqler_fixture(dataset::users, s);
  auto users = env.db.collection<User>();
  auto addresses = env.db.collection<Address>();
  std::int64_t rows = 0;
  for (auto _ : state) {
    auto out = users.find().all();
    for (User& u : out) {
      if (u.address.empty()) continue;
      if (auto a = addresses.get(u.address.id()))
        u.address.set_target(std::make_shared<const Address>(std::move(*a)));
      else
        u.address.mark_dangling();
    }
    rows = count_loaded(out);
    benchmark::DoNotOptimize(out.data());
  }
  finish(state, rows, rows);
}

void loop_overhead(benchmark::State& state, storage s) {
  sqlite3* db = overhead_fixture(dataset::users, s).db->get();
  raw_stmt uq(db, users_sql);
  raw_stmt aq(db, address_by_id_sql);
  std::int64_t rows = 0;
  for (auto _ : state) {
    std::vector<User> out;
    while (raw_step(uq.get())) sqler::decode(raw_text(uq.get(), 2), out.emplace_back());
    sqlite3_reset(uq.get());
    for (User& u : out) {
      if (u.address.empty()) continue;
      sqlite3_bind_int64(aq.get(), 1, u.address.id());
      std::optional<Address> a;
      if (raw_step(aq.get())) {
        a.emplace();
        sqler::decode(raw_text(aq.get(), 2), *a);
      }
      sqlite3_reset(aq.get());
      if (a)
        u.address.set_target(std::make_shared<const Address>(std::move(*a)));
      else
        u.address.mark_dangling();
    }
    rows = count_loaded(out);
    benchmark::DoNotOptimize(out.data());
  }
  finish(state, rows, rows);
}

void loop_cpp(benchmark::State& state, storage s) {
  SQLite::Database& db = *cpp_fixture(dataset::users, s).db;
  SQLite::Statement uq(db, std::string(users_sql));
  SQLite::Statement aq(db, std::string(address_by_id_sql));
  std::int64_t rows = 0;
  for (auto _ : state) {
    std::vector<User> out;
    while (uq.executeStep()) sqler::decode(cpp_text(uq, 2), out.emplace_back());
    uq.reset();
    for (User& u : out) {
      if (u.address.empty()) continue;
      aq.bind(1, u.address.id());
      std::optional<Address> a;
      if (aq.executeStep()) {
        a.emplace();
        sqler::decode(cpp_text(aq, 2), *a);
      }
      aq.reset();
      if (a)
        u.address.set_target(std::make_shared<const Address>(std::move(*a)));
      else
        u.address.mark_dangling();
    }
    rows = count_loaded(out);
    benchmark::DoNotOptimize(out.data());
  }
  finish(state, rows, rows);
}

// ---------------------------------------------------------------- versioned counter, 8 threads
// Each thread, on its own connection, repeats: read the counter with its version, add one,
// write it back only if the version is unchanged, else retry. One iteration = every thread
// doing `counter_increments` successful increments. Disk only: an in-memory sqler database is
// a single connection for one thread at a time.

constexpr std::string_view counter_get_sql = "SELECT _id, _version, data FROM \"Counter\" WHERE _id = ?1";
constexpr std::string_view counter_update_sql =
    "UPDATE \"Counter\" SET data = ?1, _version = _version + 1 WHERE _id = ?2 AND _version = ?3";
static_assert(counter_get_sql == sqler::detail::get_shape<sqler::detail::sqlite_dialect, Counter>::sql);
// sqler's versioned update also keeps undeclared members (sqler_merge); the twin replaces.

// Runs `work(thread_index)` on every worker once per benchmark iteration. Workers live for the
// whole run, so per-thread setup (`init`, e.g. opening a connection) is not timed.
template <class Init, class Work>
void run_workers(benchmark::State& state, int threads, Init&& init, Work&& work) {
  std::barrier sync(threads + 1);
  std::atomic<bool> stop{false};
  std::vector<std::thread> pool;
  for (int t = 0; t != threads; ++t)
    pool.emplace_back([&, t] {
      auto ctx = init(t);
      sync.arrive_and_wait();  // ready
      for (;;) {
        sync.arrive_and_wait();  // go
        if (stop.load()) return;
        work(ctx);
        sync.arrive_and_wait();  // done
      }
    });
  sync.arrive_and_wait();
  for (auto _ : state) {
    sync.arrive_and_wait();
    sync.arrive_and_wait();
  }
  stop.store(true);
  sync.arrive_and_wait();
  for (auto& th : pool) th.join();
}

std::int64_t counter_value(sqlite3* db) {
  raw_stmt q(db, counter_get_sql);
  sqlite3_bind_int64(q.get(), 1, 1);
  raw_step(q.get());
  Counter c{};
  sqler::decode(raw_text(q.get(), 2), c);
  return c.n;
}

// Lost races (stale versions) per iteration: contention differs with each twin's speed.
std::atomic<std::int64_t> retries{0};

void check_counter(benchmark::State& state, std::int64_t before, std::int64_t after) {
  const auto expected = static_cast<std::int64_t>(state.iterations()) * config().counter_threads *
                        config().counter_increments;
  if (after - before != expected) state.SkipWithError("versioned counter lost increments");
  const auto per_call = static_cast<std::int64_t>(config().counter_threads) * config().counter_increments;
  finish(state, per_call, per_call);
  state.counters["retries"] = static_cast<double>(retries.exchange(0)) /
                              static_cast<double>(std::max<benchmark::IterationCount>(1, state.iterations()));
}

void counter_sqler(benchmark::State& state, storage s) {
  auto& env = sqler_fixture(dataset::counter, s);
  const auto before = counter_value(env.db.native_handle());
  retries = 0;
  run_workers(
      state, config().counter_threads,
      [&](int) {
        auto counters = env.db.collection<Counter>();  // this thread's connection
        counters.get_versioned(1);
        return counters;
      },
      [&](sqler::collection<Counter>& counters) {
        for (int k = 0; k != config().counter_increments; ++k) {
          for (;;) {
            auto c = counters.get_versioned(1);
            ++c->value.n;
            try {
              counters.replace(*c);
              break;
            } catch (const sqler::stale_version&) {
              retries.fetch_add(1, std::memory_order_relaxed);
            }
          }
        }
      });
  check_counter(state, before, counter_value(env.db.native_handle()));
}

struct raw_worker {
  std::unique_ptr<raw_db> db;
  std::unique_ptr<raw_stmt> get, put;
  std::string buf;
};

void counter_overhead(benchmark::State& state, storage s) {
  auto& env = overhead_fixture(dataset::counter, s);
  const auto before = counter_value(env.db->get());
  retries = 0;
  const std::string path = sqlite3_db_filename(env.db->get(), "main");
  run_workers(
      state, config().counter_threads,
      [&](int) {
        raw_worker w;
        w.db = std::make_unique<raw_db>(path);
        w.get = std::make_unique<raw_stmt>(w.db->get(), counter_get_sql);
        w.put = std::make_unique<raw_stmt>(w.db->get(), counter_update_sql);
        return w;
      },
      [&](raw_worker& w) {
        sqlite3_stmt* get = w.get->get();
        sqlite3_stmt* put = w.put->get();
        for (int k = 0; k != config().counter_increments; ++k) {
          for (;;) {
            sqlite3_bind_int64(get, 1, 1);
            if (!raw_step(get)) throw std::runtime_error("counter: missing");
            std::int64_t version = sqlite3_column_int64(get, 1);
            Counter c{};
            sqler::decode(raw_text(get, 2), c);
            sqlite3_reset(get);
            ++c.n;
            w.buf.clear();
            sqler::encode(c, w.buf);
            sqlite3_bind_text(put, 1, w.buf.data(), static_cast<int>(w.buf.size()), SQLITE_STATIC);
            sqlite3_bind_int64(put, 2, 1);
            sqlite3_bind_int64(put, 3, version);
            raw_step(put);
            sqlite3_reset(put);
            if (sqlite3_changes64(w.db->get()) != 0) break;
            retries.fetch_add(1, std::memory_order_relaxed);
          }
        }
      });
  check_counter(state, before, counter_value(env.db->get()));
}

struct cpp_worker {
  std::unique_ptr<SQLite::Database> db;
  std::unique_ptr<SQLite::Statement> get, put;
  std::string buf;
};

void counter_cpp(benchmark::State& state, storage s) {
  auto& env = cpp_fixture(dataset::counter, s);
  const auto before = counter_value(env.db->getHandle());
  retries = 0;
  const std::string path = env.db->getFilename();
  run_workers(
      state, config().counter_threads,
      [&](int) {
        cpp_worker w;
        w.db = open_sqlitecpp(path);
        w.get = std::make_unique<SQLite::Statement>(*w.db, std::string(counter_get_sql));
        w.put = std::make_unique<SQLite::Statement>(*w.db, std::string(counter_update_sql));
        return w;
      },
      [&](cpp_worker& w) {
        for (int k = 0; k != config().counter_increments; ++k) {
          for (;;) {
            w.get->bind(1, 1);
            if (!w.get->executeStep()) throw std::runtime_error("counter: missing");
            const std::int64_t version = w.get->getColumn(1).getInt64();
            Counter c{};
            sqler::decode(cpp_text(*w.get, 2), c);
            w.get->reset();
            ++c.n;
            w.buf.clear();
            sqler::encode(c, w.buf);
            w.put->bindNoCopy(1, w.buf);
            w.put->bind(2, 1);
            w.put->bind(3, version);
            const int changed = w.put->exec();
            w.put->reset();
            if (changed != 0) break;
            retries.fetch_add(1, std::memory_order_relaxed);
          }
        }
      });
  check_counter(state, before, counter_value(env.db->getHandle()));
}

[[maybe_unused]] const bool registered = [] {
  // The hand-written patch is load-modify-save: a user without sqler has no patch operation.
  register_case("BM_patch_inc", {patch_sqler, patch_overhead, patch_cpp, handwritten::patch_inc});
  register_case("BM_hydrate_refs",
                {hydrate_sqler, hydrate_overhead, hydrate_cpp, handwritten::hydrate_refs});
  register_case("BM_hydrate_loop", {loop_sqler, loop_overhead, loop_cpp, handwritten::hydrate_loop});
  // No hand-written twin: a plain table has no version column (see bench_handwritten.hpp).
  register_case("BM_versioned_counter_8t", {counter_sqler, counter_overhead, counter_cpp, {}}, true,
                storages::disk_only);
  return true;
}();

}  // namespace
}  // namespace bench
