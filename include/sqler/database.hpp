// sqler/database.hpp - sqler::database, a SQLite database: collections, transactions,
// migrations and the raw SQL escape hatch. Copies share one state; every thread gets its own
// connection (WAL lets readers run while one writes), in memory as on disk.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "sqler/backend.hpp"
#include "sqler/collection.hpp"
#include "sqler/detail/access.hpp"
#include "sqler/detail/backend/sqlite/backend.hpp"
#include "sqler/detail/bind.hpp"
#include "sqler/detail/integrity.hpp"
#include "sqler/detail/migrations.hpp"
#include "sqler/detail/text.hpp"
#include "sqler/integrity.hpp"
#include "sqler/migrate.hpp"
#include "sqler/query_event.hpp"
#include "sqler/transaction.hpp"

namespace sqler {

struct database_options {
  int busy_timeout_ms = 5000;  // how long a writer waits for the lock before busy_error
  bool foreign_keys = true;
  bool create = true;  // create the file if missing
  bool read_only = false;
  // Read a file that nothing changes while it is open (SQLite's immutable=1): no locks and no
  // -shm file, so a WAL database in a read-only directory (a mounted image, a package) opens.
  // If another process does write the file, reads may return wrong results: only for files
  // that truly do not change. Implies read_only.
  bool immutable = false;
  // Sync the WAL on every commit (PRAGMA synchronous=FULL) so a commit survives power loss;
  // the default NORMAL is crash-safe and much faster on disk.
  bool durable_commits = false;
};

class database {
 public:
  // Opens (or creates) a database file: WAL journal, busy timeout, foreign keys on.
  static database open(const std::string& path, const database_options& o = {}) {
    const bool read_only = o.read_only || o.immutable;
    int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (o.create && !read_only) flags |= SQLITE_OPEN_CREATE;
    flags |= SQLITE_OPEN_NOMUTEX;  // a connection is only ever used by one thread at a time
    std::string target = path;
    if (o.immutable) {
      flags |= SQLITE_OPEN_URI;
      target = detail::str_cat({"file:", uri_escape(path), "?immutable=1"});
    }
    auto opts = to_conn_options(o, true);
    opts.read_only = read_only;
    auto state = std::make_shared<state_type>(target, flags, opts, false, path);
    state->conn();  // a bad path fails here, not at first use
    return database(std::move(state));
  }

  // A private in-memory database, as thread-safe as a file one: each thread gets its own
  // connection to one shared in-memory database (SQLite's memdb VFS), which lives as long as
  // this database object or a copy of it. It uses a rollback journal (memdb has no WAL), so a
  // writer waits (up to busy_timeout_ms) for readers of other threads to finish their step.
  static database in_memory(const database_options& o = {}) {
    static std::atomic<std::uint64_t> counter{0};
    const std::string name = detail::str_cat(
        {"file:/sqler-memory-", std::to_string(counter.fetch_add(1) + 1), "?vfs=memdb"});
    const int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
    return database(std::make_shared<state_type>(name, flags, to_conn_options(o, false),
                                                 /*anchor=*/true, ":memory:"));
  }

  // The collection of T documents, creating its table if missing.
  template <class T>
  sqler::collection<T> collection() const {
    return detail::access::make_collection<sqler::collection<T>>(state_);
  }

  // Begins a transaction on this thread's connection (a savepoint when one is open already).
  sqler::transaction transaction() const {
    return detail::make_transaction<traits::transaction_scope>(state_->conn());
  }

  // Runs SQL and returns the number of rows the last statement changed. With parameters
  // (bound to ?1, ?2, ...) the text is one statement, and more after it is a usage_error;
  // without parameters it is a script, and every statement in it runs.
  template <class... P>
  std::int64_t execute(std::string_view sql, const P&... params) {
    auto& c = state_->conn();
    if constexpr (sizeof...(P) == 0) {
      c.exec(sql);
    } else {
      auto st = c.acquire_oneoff(sql);
      st->require_single_statement();
      detail::bind_all(*st, params...);
      while (st->step()) {
      }
    }
    return c.changes();
  }

  // Runs one read-only statement (a SELECT) and returns its rows as tuples of the given column
  // types. A statement that writes, or text holding more than one statement, is a usage_error
  // and nothing runs: use execute() to write.
  template <class... Cols, class... P>
  std::vector<std::tuple<Cols...>> query(std::string_view sql, const P&... params) {
    static_assert(sizeof...(Cols) > 0, "sqler: database::query<Cols...>: name the column types");
    auto st = state_->conn().acquire_oneoff(sql);
    st->require_single_statement();
    if (sqlite3_stmt_readonly(st->handle()) == 0)
      throw usage_error("sqler: database::query() runs read-only statements; this one writes "
                        "(use execute())",
                        sql);
    detail::bind_all(*st, params...);
    std::vector<std::tuple<Cols...>> rows;
    while (st->step()) {
      rows.push_back([&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::tuple<Cols...>(detail::read_column<Cols>(*st, static_cast<int>(I))...);
      }(std::index_sequence_for<Cols...>{}));
    }
    return rows;
  }

  // Applies the migration steps not applied yet, in version order, each once and in its own
  // transaction (see sqler/migrate.hpp); returns how many ran. A step that throws is rolled
  // back and its error propagates; the steps before it stay applied.
  std::int64_t migrate(const std::vector<migration>& steps) {
    return detail::run_migrations<traits>(state_->conn(), steps);
  }

  // The highest migration version applied (0 before any).
  std::int64_t schema_version() const { return detail::schema_version(state_->conn()); }

  // Calls `hook` after every prepared statement sqler runs on any connection of this database
  // (not the parameterless DDL/transaction control that goes through sqlite3_exec), with
  // its SQL, bound values, rows and duration. Returns an id for remove_query_hook. Install
  // hooks before sharing the database across threads; with none installed they cost nothing.
  std::uint64_t on_query(query_hook hook) { return state_->hooks().add(std::move(hook)); }
  void remove_query_hook(std::uint64_t id) { state_->hooks().remove(id); }

  // Every ref, in every collection of this database, whose target document (or table) does
  // not exist: where it is (collection, _id, path such as "friends[1]") and what it names.
  std::vector<dangling_reference> validate_references() const {
    return detail::validate_references(state_->conn());
  }

  // Statement-cache counters of this thread's connection.
  cache_stats stats() const { return state_->conn().stats(); }

  // This thread's sqlite3 handle, for anything sqler doesn't wrap.
  sqlite3* native_handle() const { return state_->conn().handle(); }

  const std::string& path() const noexcept { return state_->path(); }

  // Open SQLite connections of this database (one per thread that used it).
  std::size_t connection_count() const { return state_->connection_count(); }

 private:
  using traits = detail::backend_traits<sqlite_backend>;
  using state_type = traits::state;

  explicit database(std::shared_ptr<state_type> s) : state_(std::move(s)) {}

  // A file name inside a file: URI: the characters a URI gives meaning to are %-escaped.
  static std::string uri_escape(std::string_view path) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (char ch : path) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == '%' || c == '?' || c == '#' || c < 0x20) {
        out += '%';
        out += hex[c >> 4];
        out += hex[c & 0xF];
      } else {
        out += ch;
      }
    }
    return out;
  }

  static detail::sqlite::connection_options to_conn_options(const database_options& o, bool wal) {
    detail::sqlite::connection_options c;
    c.busy_timeout_ms = o.busy_timeout_ms;
    c.foreign_keys = o.foreign_keys;
    c.read_only = o.read_only;
    c.wal = wal;
    c.synchronous_full = o.durable_commits;
    return c;
  }

  std::shared_ptr<state_type> state_;
};

}  // namespace sqler
