// sqler/database.hpp - sqler::database: opening a database, collections, transactions and the
// raw SQL escape hatch. Copies share one state; a file database gives every thread its own
// connection (WAL lets them read while one writes), an in-memory one has a single connection.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "sqler/collection.hpp"
#include "sqler/detail/db_state.hpp"
#include "sqler/integrity.hpp"
#include "sqler/sqlite.hpp"
#include "sqler/transaction.hpp"

namespace sqler {

struct database_options {
  int busy_timeout_ms = 5000;  // how long a writer waits for the lock before busy_error
  bool foreign_keys = true;
  bool create = true;  // create the file if missing
  bool read_only = false;
  // Sync the WAL on every commit (PRAGMA synchronous=FULL) so a commit survives power loss;
  // the default NORMAL is crash-safe and much faster on disk.
  bool durable_commits = false;
};

class database {
 public:
  // Opens (or creates) a database file: WAL journal, busy timeout, foreign keys on.
  static database open(const std::string& path, const database_options& o = {}) {
    int flags = o.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (o.create && !o.read_only) flags |= SQLITE_OPEN_CREATE;
    flags |= SQLITE_OPEN_NOMUTEX;  // a connection is only ever used by one thread at a time
    return database(std::make_shared<detail::db_state>(path, flags, to_conn_options(o, true),
                                                       false));
  }

  // A private in-memory database: one connection, to be used by one thread at a time.
  static database in_memory(const database_options& o = {}) {
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    return database(std::make_shared<detail::db_state>(":memory:", flags,
                                                       to_conn_options(o, false), true));
  }

  // The collection of T documents, creating its table if missing.
  template <class T>
  sqler::collection<T> collection() const {
    return sqler::collection<T>(state_);
  }

  // Begins a transaction on this thread's connection (a savepoint when one is open already).
  sqler::transaction transaction() const { return sqler::transaction(state_->conn()); }

  // Runs SQL with bound parameters (?1, ?2, ...); returns the number of rows changed. Without
  // parameters the text may hold several statements.
  template <class... P>
  std::int64_t execute(std::string_view sql, const P&... params) {
    auto& c = state_->conn();
    if constexpr (sizeof...(P) == 0) {
      c.exec(sql);
    } else {
      auto st = c.acquire_oneoff(sql);
      detail::bind_all(*st, params...);
      while (st->step()) {
      }
    }
    return c.changes();
  }

  // Runs a SELECT and returns its rows as tuples of the given column types.
  template <class... Cols, class... P>
  std::vector<std::tuple<Cols...>> query(std::string_view sql, const P&... params) {
    static_assert(sizeof...(Cols) > 0, "sqler: database::query<Cols...>: name the column types");
    auto st = state_->conn().acquire_oneoff(sql);
    detail::bind_all(*st, params...);
    std::vector<std::tuple<Cols...>> rows;
    while (st->step()) {
      rows.push_back([&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::tuple<Cols...>(detail::read_column<Cols>(*st, static_cast<int>(I))...);
      }(std::index_sequence_for<Cols...>{}));
    }
    return rows;
  }

  // Calls `hook` after every prepared statement sqler runs on any connection of this database
  // (not the parameterless DDL/transaction control that goes through sqlite3_exec), with
  // its SQL, parameter count, rows and duration. Returns an id for remove_query_hook. Install
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

  detail::db_state& state() const noexcept { return *state_; }

 private:
  explicit database(std::shared_ptr<detail::db_state> s) : state_(std::move(s)) {}

  static detail::connection_options to_conn_options(const database_options& o, bool wal) {
    detail::connection_options c;
    c.busy_timeout_ms = o.busy_timeout_ms;
    c.foreign_keys = o.foreign_keys;
    c.read_only = o.read_only;
    c.wal = wal;
    c.synchronous_full = o.durable_commits;
    return c;
  }

  std::shared_ptr<detail::db_state> state_;
};

}  // namespace sqler
