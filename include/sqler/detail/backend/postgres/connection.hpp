// sqler/detail/backend/postgres/connection.hpp - one PostgreSQL connection, its statement cache.
// Each shape is prepared once per connection (named after its slot) and lent out as a lease.
#pragma once

#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sqler/detail/sql/postgres.hpp"
#include "sqler/detail/backend/postgres/errors.hpp"
#include "sqler/detail/backend/postgres/statement.hpp"
#include "sqler/error.hpp"
#include "sqler/query_event.hpp"


namespace sqler::detail::postgres {

// 12: float8 output is the shortest text that reads back exactly (extra_float_digits = 1 by
// default), which exact doubles rely on.
inline constexpr int minimum_server_version = 120000;

inline std::size_t next_shape_slot() noexcept {
  static std::atomic<std::size_t> counter{0};
  return counter.fetch_add(1, std::memory_order_relaxed);
}

// A small integer per query shape type, handed out once: the cache is a vector indexed by it
// and the server-side statement is named after it, so a lookup never hashes SQL text.
template <class Shape>
std::size_t shape_slot() noexcept {
  static const std::size_t slot = next_shape_slot();
  return slot;
}

// What path() and connection errors show: the conninfo in keyword form, without the password.
inline std::string conninfo_without_password(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (opts == nullptr) {
    PQfreemem(err);
    return "<conninfo that libpq cannot parse>";
  }
  std::string out;
  for (const PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
    const std::string_view key = o->keyword;
    if (o->val == nullptr || key == "password") continue;
    const std::string_view v = o->val;
    if (!out.empty()) out += ' ';
    out += key;
    out += '=';
    const bool quote = v.empty() || v.find_first_of(" '\\") != std::string_view::npos;
    if (quote) out += '\'';
    for (char ch : v) {
      if (ch == '\'' || ch == '\\') out += '\\';
      out += ch;
    }
    if (quote) out += '\'';
  }
  PQconninfoFree(opts);
  return out;
}

class connection;

// Borrowed use of a statement. Releasing it finishes the execution (unread rows are discarded)
// and unbinds it for the next user; a shape already in use further up the stack gets a
// statement object of its own over the same server-side prepared statement. A lease made
// through a pooled handle also owns a share of that connection (share()), so it stays valid
// after the handle is gone.
class lease {
 public:
  lease() = default;
  lease(statement* s, bool* busy, std::unique_ptr<statement> own) noexcept
      : stmt_(s), busy_(busy), own_(std::move(own)) {}
  lease(lease&& o) noexcept
      : owner_(std::move(o.owner_)),
        stmt_(std::exchange(o.stmt_, nullptr)),
        busy_(std::exchange(o.busy_, nullptr)),
        own_(std::move(o.own_)),
        observer_(std::exchange(o.observer_, nullptr)),
        recorder_(std::move(o.recorder_)),
        start_(o.start_),
        flags_(o.flags_) {}
  lease& operator=(lease&& o) noexcept {
    if (this != &o) {
      release();
      owner_ = std::move(o.owner_);
      stmt_ = std::exchange(o.stmt_, nullptr);
      busy_ = std::exchange(o.busy_, nullptr);
      own_ = std::move(o.own_);
      observer_ = std::exchange(o.observer_, nullptr);
      recorder_ = std::move(o.recorder_);
      start_ = o.start_;
      flags_ = o.flags_;
    }
    return *this;
  }
  ~lease() { release(); }

  statement& operator*() const noexcept { return *stmt_; }
  statement* operator->() const noexcept { return stmt_; }
  explicit operator bool() const noexcept { return stmt_ != nullptr; }

  void release() noexcept {
    if (stmt_ == nullptr) return;
    stmt_->finish();  // hooks hear of the command only once its row count is known
    if (observer_ != nullptr) {
      report();
      stmt_->record_into(nullptr);
      recorder_.reset();
      observer_ = nullptr;
    }
    stmt_->reset();
    if (busy_ != nullptr) *busy_ = false;
    stmt_ = nullptr;
    busy_ = nullptr;
    own_.reset();
    owner_.reset();  // last: with it the connection may go back to its pool
  }

  // Called by connection when hooks are active.
  void observe(connection* c, bool single_row) {
    observer_ = c;
    flags_ = (single_row ? 1u : 0u) | (own_ && own_->name().empty() ? 2u : 0u);
    recorder_ = std::make_unique<value_recorder>();
    stmt_->record_into(recorder_.get());
    start_ = std::chrono::steady_clock::now();
  }

  void share(std::shared_ptr<connection> c) noexcept { owner_ = std::move(c); }

 private:
  inline void report() noexcept;

  std::shared_ptr<connection> owner_;  // declared first: whatever else goes, goes before it
  statement* stmt_ = nullptr;
  bool* busy_ = nullptr;
  std::unique_ptr<statement> own_;
  connection* observer_ = nullptr;
  std::unique_ptr<value_recorder> recorder_;  // only while observed
  std::chrono::steady_clock::time_point start_{};
  unsigned flags_ = 0;
};

struct connection_options {
  bool read_only = false;  // sets default_transaction_read_only for the session
};

class connection {
 public:
  using dialect = postgres_dialect;

  // `conninfo`: a libpq connection string or URI. The session always speaks UTF-8, whatever
  // the server's or the environment's client_encoding: sqler's text is UTF-8.
  explicit connection(const std::string& conninfo, const connection_options& opts = {})
      : read_only_(opts.read_only) {
    const char* keys[] = {"dbname", "client_encoding", "fallback_application_name", nullptr};
    const char* values[] = {conninfo.c_str(), "UTF8", "sqler", nullptr};
    pg_.reset(PQconnectdbParams(keys, values, 1));  // later keys override the conninfo's
    if (!pg_) throw std::bad_alloc();
    if (PQstatus(pg_.get()) != CONNECTION_OK)
      throw error(result_code::cantopen,
                  "postgres: cannot connect to '" + conninfo_without_password(conninfo) +
                      "': " + one_line(PQerrorMessage(pg_.get())),
                  {}, "08001");
    if (PQserverVersion(pg_.get()) < minimum_server_version)
      throw error(result_code::cantopen,
                  "sqler: needs PostgreSQL 12 or newer; the server's version number is " +
                      std::to_string(PQserverVersion(pg_.get())),
                  {}, "08001");
    session_.pg = pg_.get();
    // libpq prints notices to stderr by default (every CREATE ... IF NOT EXISTS that finds
    // the object); the one that matters, a FATAL sent before the server closes an idle
    // connection, marks the connection for replacement instead.
    PQsetNoticeReceiver(pg_.get(), &on_notice, &session_);
    if (read_only_) exec(postgres_dialect::read_only_session);
  }
  connection(const connection&) = delete;  // statements and leases point into it
  connection& operator=(const connection&) = delete;
  ~connection() { slots_.clear(); }  // statements finish before the PGconn closes

  PGconn* handle() const noexcept { return pg_.get(); }
  bool read_only() const noexcept { return read_only_; }

  // Runs one or more statements without parameters (the simple query protocol). Every result is
  // checked; the first error is thrown. Unlike SQLite's exec, a script outside a transaction
  // block runs as one implicit transaction: when a statement fails, the ones before it are
  // rolled back too.
  void exec(std::string_view sql) {
    session_.make_idle();
    const std::string text(sql);
    if (PQsendQuery(pg_.get(), text.c_str()) == 0) throw_connection(pg_.get(), sql);
    result_ptr failure;
    while (PGresult* raw = PQgetResult(pg_.get())) {
      result_ptr r(raw);
      switch (PQresultStatus(raw)) {
        case PGRES_COMMAND_OK:
        case PGRES_TUPLES_OK:
          note_command(session_, raw);
          break;
        case PGRES_EMPTY_QUERY:
          break;
        case PGRES_COPY_IN:  // refused by end_copy; the server's error follows
        case PGRES_COPY_OUT:
        case PGRES_COPY_BOTH:
          end_copy(pg_.get(), raw);
          break;
        default:
          if (!failure) failure = std::move(r);
      }
    }
    session_.settled();
    if (failure) throw_result(failure.get(), pg_.get(), sql);
  }

  // Rows changed by the last INSERT/UPDATE/DELETE/MERGE that completed on this connection. A
  // statement still streaming is read to its end first (its rows buffered), so an UPDATE ...
  // RETURNING counts as soon as the caller has stepped its rows, as on SQLite.
  std::int64_t changes() {
    session_.make_idle();
    return session_.changes;
  }
  // changes() as of now, reading nothing (hooks report with it).
  std::int64_t last_changes() const noexcept { return session_.changes; }
  std::int64_t last_insert_rowid() const {
    throw usage_error(
        "sqler: PostgreSQL has no last insert rowid: an insert returns its id "
        "with RETURNING, as column 0 of the row its step() yields");
  }
  PGTransactionStatusType transaction_status() const noexcept {
    return session_.transaction_status();
  }
  bool autocommit() const noexcept { return transaction_status() == PQTRANS_IDLE; }
  int& transaction_depth() noexcept { return tx_depth_; }

  // No writer queue: PostgreSQL's row locks order concurrent writers, and they do not retry by
  // sleeping as SQLite's busy handler does.
  bool begin_write() noexcept { return false; }
  void end_write() noexcept {}

  // Scratch buffer for encoding documents: reused so steady-state writes do not allocate.
  std::string& encode_buffer() noexcept { return encode_buffer_; }
  const cache_stats& stats() const noexcept { return stats_; }

  void set_hooks(hook_registry* h) noexcept { hooks_ = h; }
  hook_registry* hooks() const noexcept { return hooks_; }

  // The cached statement of a shape (a type with `static constexpr std::string_view sql`).
  template <class Shape>
  lease acquire() {
    constexpr bool single = requires { requires Shape::single_row; };
    lease l = acquire_slot(shape_slot<Shape>(), Shape::sql);  // one object, returned by NRVO
    if (observed()) [[unlikely]]
      l.observe(this, single);
    return l;
  }

  // A one-off statement: the unnamed statement, parsed by the server on every run (counted as a
  // prepare), still reported to query hooks.
  lease acquire_oneoff(std::string_view sql) {
    auto own = std::make_unique<statement>(session_, std::string(), sql);
    ++stats_.prepares;
    statement* raw = own.get();
    lease l(raw, nullptr, std::move(own));
    if (observed()) l.observe(this, false);
    return l;
  }

  lease acquire_slot(std::size_t slot, std::string_view sql) {
    // Hot path, small enough to inline: the shape is prepared on this connection and idle.
    if (slot < slots_.size()) [[likely]] {
      cached* c = slots_[slot].get();
      if (c != nullptr && c->prepared && !c->busy) [[likely]] {
        ++stats_.hits;
        c->busy = true;
        return lease(&c->stmt, &c->busy, nullptr);
      }
    }
    return acquire_slot_slow(slot, sql);
  }

  // First use of a shape on this connection, or the shape is busy further up the stack.
  [[gnu::noinline]] lease acquire_slot_slow(std::size_t slot, std::string_view sql) {
    if (slot >= slots_.size()) slots_.resize(slot + 1);
    if (!slots_[slot])
      slots_[slot] = std::make_unique<cached>(session_, "sqler_" + std::to_string(slot), sql);
    cached& c = *slots_[slot];  // heap-held: leases keep pointers across slots_ growth
    if (!c.prepared) {
      prepare(c.stmt);
      c.prepared = true;
      ++stats_.prepares;
      c.busy = true;
      return lease(&c.stmt, &c.busy, nullptr);
    }
    // Busy further up the stack (nested iteration): the server-side statement can run again
    // once the outer execution's rows are buffered; only the client-side state is separate.
    ++stats_.hits;
    auto own = std::make_unique<statement>(session_, c.stmt.name(), sql, c.stmt.parameter_count());
    statement* raw = own.get();
    return lease(raw, nullptr, std::move(own));
  }

  // The pool hands this connection to the next borrower only if it is open, idle and outside
  // any transaction; anything else is closed (the server rolls back what was left open).
  // The server closed it, or a failure left its protocol state unknown.
  bool lost() const noexcept { return PQstatus(pg_.get()) != CONNECTION_OK || session_.doomed; }

  bool reusable() const noexcept {
    return PQstatus(pg_.get()) == CONNECTION_OK && !session_.doomed &&
           session_.streaming == nullptr && tx_depth_ == 0 &&
           PQtransactionStatus(pg_.get()) == PQTRANS_IDLE;
  }

  // Whether an idle connection still works, without a round trip: a server that terminated the
  // backend (pg_terminate_backend, shutdown, restart) sent a FATAL notice and closed the socket,
  // which one non-blocking read finds.
  // When the pool last got it back (the pool probes only connections idle for a while).
  std::chrono::steady_clock::time_point returned_at() const noexcept { return returned_at_; }
  void set_returned_at(std::chrono::steady_clock::time_point t) noexcept { returned_at_ = t; }

  bool alive() noexcept {
    if (PQstatus(pg_.get()) != CONNECTION_OK || session_.doomed) return false;
    if (PQconsumeInput(pg_.get()) == 0) return false;
    while (PGnotify* n = PQnotifies(pg_.get())) PQfreemem(n);
    return PQstatus(pg_.get()) == CONNECTION_OK && !session_.doomed;
  }

 private:
  struct cached {
    cached(session& s, std::string name, std::string_view sql) : stmt(s, std::move(name), sql) {}
    statement stmt;
    bool prepared = false;
    bool busy = false;
  };
  struct finisher {
    void operator()(PGconn* c) const noexcept { PQfinish(c); }
  };

  static void on_notice(void* arg, const PGresult* r) {
    const char* severity = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (severity != nullptr &&
        (std::string_view(severity) == "FATAL" || std::string_view(severity) == "PANIC"))
      static_cast<session*>(arg)->doomed = true;
  }

  // Inside a transaction a failed prepare (a table that does not exist yet) would abort the
  // transaction, while SQLite's never does and generic code relies on that (hydrate.hpp reads a
  // missing table as empty). So the first prepare of a shape inside a transaction runs under a
  // savepoint: two more round trips, once per shape per connection.
  void prepare(statement& st) {
    static constexpr std::string_view guard = "sqler_prepare";
    session_.make_idle();
    const bool guarded = session_.transaction_status() == PQTRANS_INTRANS;
    if (guarded) exec(postgres_dialect::savepoint(guard));
    try {
      result_ptr r(PQprepare(pg_.get(), st.name().c_str(), st.sql_cstr(), 0, nullptr));
      if (!r) throw_connection(pg_.get(), st.sql());
      if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) throw_result(r.get(), pg_.get(), st.sql());
      // The parameter count lets unbound parameters go as NULL, as on SQLite.
      result_ptr d(PQdescribePrepared(pg_.get(), st.name().c_str()));
      if (!d) throw_connection(pg_.get(), st.sql());
      if (PQresultStatus(d.get()) != PGRES_COMMAND_OK) throw_result(d.get(), pg_.get(), st.sql());
      st.set_parameter_count(PQnparams(d.get()));
    } catch (...) {
      if (guarded) {
        try {
          exec(postgres_dialect::rollback_to(guard));
        } catch (...) {  // the prepare's own error is the one to report
        }
      }
      session_.settled();
      throw;
    }
    session_.settled();
    if (guarded) exec(postgres_dialect::release(guard));
  }

  bool observed() const noexcept { return hooks_ != nullptr && hooks_->active(); }

  std::unique_ptr<PGconn, finisher> pg_;  // declared first: closed after everything else
  session session_;
  std::vector<std::unique_ptr<cached>> slots_;
  cache_stats stats_;
  std::string encode_buffer_;
  hook_registry* hooks_ = nullptr;
  int tx_depth_ = 0;
  bool read_only_ = false;
  std::chrono::steady_clock::time_point returned_at_{};
};

inline void lease::report() noexcept {
  query_event ev;
  ev.sql = stmt_->sql();
  ev.parameters = stmt_->parameter_count();
  ev.rows = stmt_->wrote() ? observer_->last_changes() : stmt_->rows();
  ev.duration = std::chrono::steady_clock::now() - start_;
  ev.single_row = (flags_ & 1u) != 0;
  ev.cached = (flags_ & 2u) == 0;
  if (recorder_) ev.values = recorder_->values();
  try {
    observer_->hooks()->fire(ev);
  } catch (...) {  // a hook that throws must not break the query that triggered it
  }
}

}  // namespace sqler::detail::postgres
