// sqler/postgres.hpp - everything for PostgreSQL: include this one header (target
// sqler::postgres, which links libpq). sqler::postgres::database hands out the same
// sqler::collection and query templates as the SQLite sqler::database, over a connection pool:
// code written against one runs on the other.
#pragma once

#include <libpq-fe.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "sqler/backend.hpp"
#include "sqler/codec.hpp"
#include "sqler/collection.hpp"
#include "sqler/customize.hpp"
#include "sqler/detail/access.hpp"
#include "sqler/detail/backend/postgres/backend.hpp"
#include "sqler/detail/bind.hpp"
#include "sqler/detail/integrity.hpp"
#include "sqler/detail/migrations.hpp"
#include "sqler/error.hpp"
#include "sqler/field.hpp"
#include "sqler/integrity.hpp"
#include "sqler/migrate.hpp"
#include "sqler/patch.hpp"
#include "sqler/profiler.hpp"
#include "sqler/query.hpp"
#include "sqler/query_event.hpp"
#include "sqler/ref.hpp"
#include "sqler/relations.hpp"
#include "sqler/transaction.hpp"
#include "sqler/version.hpp"

namespace sqler::postgres {

// The collection of T documents in a PostgreSQL database.
template <class T>
using collection = sqler::collection<T, postgres_backend>;

struct database_options {
  // Connections open at most. A thread holds one while anything it made (a transaction, a
  // query being iterated) still uses it; otherwise it borrows one per operation.
  std::size_t pool_size = 4;
  // How long a thread waits for a free connection before busy_error.
  int acquire_timeout_ms = 5000;
  // Every connection's transactions are read-only (default_transaction_read_only); writes
  // throw, and sqler creates no tables or functions.
  bool read_only = false;
  // A connection idle in the pool for at least this long is checked (one system call) before it
  // is lent, so one the server closed meanwhile is replaced unseen. Within the window the check
  // is skipped: an operation on a connection dropped just before fails with sqler::error (the
  // pool then replaces it). 0 checks every time.
  int probe_idle_ms = 500;
};

class database {
 public:
  // Connects with a libpq connection string or URI ("host=/run/postgresql dbname=app",
  // "postgresql://user@host/app"). One connection opens now, so a bad conninfo or an unreachable
  // server fails here; sqler's SQL functions are installed in the connection's schema (the
  // first of search_path) if they are not there yet.
  static database connect(const std::string& conninfo, const database_options& o = {}) {
    detail::postgres::pool_options p;
    p.conninfo = conninfo;
    p.size = o.pool_size;
    p.acquire_timeout_ms = o.acquire_timeout_ms;
    p.read_only = o.read_only;
    p.probe_idle_ms = o.probe_idle_ms;
    auto state = std::make_shared<state_type>(std::move(p));
    auto c = state->conn();
    traits::install_functions(c);
    return database(std::move(state));
  }

  // The collection of T documents, creating its table if missing.
  template <class T>
  sqler::collection<T, postgres_backend> collection() const {
    return detail::access::make_collection<sqler::collection<T, postgres_backend>>(state_);
  }

  // Begins a transaction (a savepoint when one is open already on this thread). The thread keeps
  // one connection of the pool until the outermost transaction ends.
  sqler::transaction transaction() const {
    return detail::make_transaction<traits::transaction_scope>(state_->conn());
  }

  // Runs SQL and returns the number of rows the last statement changed. With parameters (bound
  // to $1, $2, ...) the text is one statement; without, it may be a script (run as one implicit
  // transaction outside a transaction block: a failing statement undoes the ones before it).
  template <class... P>
  std::int64_t execute(std::string_view sql, const P&... params) {
    auto c = state_->conn();
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

  // Runs one read-only statement and returns its rows as tuples of the given column types. It
  // runs in a read-only transaction (a read-only savepoint inside yours), so a statement that
  // writes is a usage_error and changes nothing.
  template <class... Cols, class... P>
  std::vector<std::tuple<Cols...>> query(std::string_view sql, const P&... params) {
    static_assert(sizeof...(Cols) > 0, "sqler: database::query<Cols...>: name the column types");
    auto c = state_->conn();
    read_only_scope guard(c);
    std::vector<std::tuple<Cols...>> rows;
    try {
      auto st = c.acquire_oneoff(sql);
      detail::bind_all(*st, params...);
      while (st->step()) {
        rows.push_back([&]<std::size_t... I>(std::index_sequence<I...>) {
          return std::tuple<Cols...>(detail::read_column<Cols>(*st, static_cast<int>(I))...);
        }(std::index_sequence_for<Cols...>{}));
      }
    } catch (const error& e) {
      if (e.sqlstate() == "25006")  // read_only_sql_transaction
        throw usage_error("sqler: database::query() runs read-only statements; this one writes "
                          "(use execute())",
                          sql);
      throw;
    }
    guard.end();
    return rows;
  }

  // Applies the migration steps not applied yet, in version order, each once and in its own
  // transaction (see sqler/migrate.hpp); returns how many ran.
  std::int64_t migrate(const std::vector<migration>& steps) {
    auto c = state_->conn();
    return detail::run_migrations<traits>(c, steps);
  }

  // The highest migration version applied (0 before any).
  std::int64_t schema_version() const {
    auto c = state_->conn();
    return detail::schema_version(c);
  }

  // Calls `hook` after every statement sqler prepares and runs on any connection of the pool.
  // Install hooks before sharing the database across threads.
  std::uint64_t on_query(query_hook hook) { return state_->hooks().add(std::move(hook)); }
  void remove_query_hook(std::uint64_t id) { state_->hooks().remove(id); }

  // Every ref whose target document (or table) does not exist.
  std::vector<dangling_reference> validate_references() const {
    auto c = state_->conn();
    return detail::validate_references(c);
  }

  // Statement-cache counters of the connection this thread holds or borrows.
  cache_stats stats() const { return state_->conn().stats(); }

  // The connection string, without its password.
  const std::string& path() const noexcept { return state_->path(); }

  // Connections of the pool open now (borrowed or idle).
  std::size_t connection_count() const { return state_->connection_count(); }

 private:
  using traits = detail::backend_traits<postgres_backend>;
  using state_type = traits::state;
  using handle = traits::connection;

  explicit database(std::shared_ptr<state_type> s) : state_(std::move(s)) {}

  // A read-only transaction for query(): BEGIN READ ONLY outside a transaction; inside one, a
  // savepoint that turns transaction_read_only on and is rolled back to afterwards (which undoes
  // the setting and nothing else: the statement could not write).
  class read_only_scope {
   public:
    explicit read_only_scope(handle& c) : c_(c), nested_(!c.autocommit()) {
      if (nested_) {
        c_.exec(D::savepoint(name));
        c_.exec(D::read_only_savepoint);
      } else {
        c_.exec(D::begin_read_only);
      }
    }
    read_only_scope(const read_only_scope&) = delete;
    read_only_scope& operator=(const read_only_scope&) = delete;
    void end() {
      active_ = false;
      finish();
    }
    ~read_only_scope() {
      if (!active_) return;
      try {
        finish();
      } catch (...) {  // the error that unwinds is the one the caller needs
      }
    }

   private:
    using D = detail::postgres_dialect;
    static constexpr std::string_view name = "sqler_read_only";
    void finish() {
      if (nested_)
        c_.exec(D::rollback_to(name));
      else
        c_.exec(D::rollback);  // nothing to keep: the statement read
    }
    handle& c_;
    bool nested_;
    bool active_ = true;
  };

  std::shared_ptr<state_type> state_;
};

}  // namespace sqler::postgres
