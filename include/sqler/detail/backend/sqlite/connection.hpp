// sqler/detail/backend/sqlite/connection.hpp - one SQLite connection and its statement cache.
// A connection owns one prepared statement per query shape (a slot per shape type, looked up by
// index, never by text), hands them out as leases, and takes its thread's turn among the
// database's writers. Query hooks observe each lease when one is installed.
#pragma once

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sqler/detail/backend/sqlite/functions.hpp"
#include "sqler/detail/backend/sqlite/statement.hpp"
#include "sqler/detail/backend/sqlite/writer_queue.hpp"
#include "sqler/detail/sql/sqlite.hpp"
#include "sqler/detail/text.hpp"
#include "sqler/error.hpp"
#include "sqler/query_event.hpp"

// JSON functions built in: 3.38; RETURNING: 3.35; sqlite3_changes64: 3.37.
static_assert(SQLITE_VERSION_NUMBER >= 3038000,
              "sqler: needs SQLite 3.38 or newer (built-in JSON functions, RETURNING, "
              "sqlite3_changes64); these sqlite3.h headers are older");

namespace sqler::detail::sqlite {

inline constexpr int minimum_version = 3038000;


inline std::size_t next_shape_slot() noexcept {
  static std::atomic<std::size_t> counter{0};
  return counter.fetch_add(1, std::memory_order_relaxed);
}

// A small integer per query shape type, handed out once; the cache is a vector indexed by it,
// so a lookup never hashes or compares SQL text.
template <class Shape>
std::size_t shape_slot() noexcept {
  static const std::size_t slot = next_shape_slot();
  return slot;
}

class connection;

// Borrowed use of a cached statement. Resets it on release so the next user starts clean;
// a shape already in use (nested iteration) gets a private statement instead. When query hooks
// are installed, the release also reports the query to them.
class lease {
 public:
  lease() = default;
  lease(statement* s, bool* busy, std::unique_ptr<statement> own) noexcept
      : stmt_(s), busy_(busy), own_(std::move(own)) {}
  lease(lease&& o) noexcept
      : stmt_(std::exchange(o.stmt_, nullptr)), busy_(std::exchange(o.busy_, nullptr)),
        own_(std::move(o.own_)), observer_(std::exchange(o.observer_, nullptr)),
        recorder_(std::move(o.recorder_)), start_(o.start_), flags_(o.flags_) {}
  lease& operator=(lease&& o) noexcept {
    if (this != &o) {
      release();
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
  }

  // Called by connection when hooks are active.
  void observe(connection* c, bool single_row) {
    observer_ = c;
    flags_ = (single_row ? 1u : 0u) | (own_ ? 2u : 0u);
    recorder_ = std::make_unique<value_recorder>();
    stmt_->record_into(recorder_.get());
    start_ = std::chrono::steady_clock::now();
  }

 private:
  inline void report() noexcept;

  statement* stmt_ = nullptr;
  bool* busy_ = nullptr;
  std::unique_ptr<statement> own_;
  connection* observer_ = nullptr;
  std::unique_ptr<value_recorder> recorder_;  // only while observed
  std::chrono::steady_clock::time_point start_{};
  unsigned flags_ = 0;
};

struct connection_options {
  int busy_timeout_ms = 5000;
  bool wal = true;
  bool synchronous_full = false;
  bool foreign_keys = true;
  bool read_only = false;
};

class connection {
 public:
  using dialect = sqlite_dialect;

  connection(const std::string& path, int open_flags, const connection_options& opts) {
    // The library loaded at run time may be older than the headers sqler was compiled with.
    if (sqlite3_libversion_number() < minimum_version)
      throw error(SQLITE_ERROR, str_cat({"sqler: needs SQLite 3.38 or newer at run time; the "
                                         "loaded library is ",
                                         sqlite3_libversion()}));
    const int rc = sqlite3_open_v2(path.c_str(), &db_, open_flags, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = str_cat({"sqlite: cannot open '", path, "': ",
                                 db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc)});
      sqlite3_close_v2(db_);
      db_ = nullptr;
      throw error(rc, std::move(msg));
    }
    sqlite3_extended_result_codes(db_, 1);
    // "name" always means an identifier: a misspelt column must be an error, never a silently
    // compared string literal (SQLite's legacy double-quoted-string fallback).
    sqlite3_db_config(db_, SQLITE_DBCONFIG_DQS_DML, 0, nullptr);
    sqlite3_db_config(db_, SQLITE_DBCONFIG_DQS_DDL, 0, nullptr);
    register_functions(db_, &encoded_);
    sqlite3_busy_timeout(db_, opts.busy_timeout_ms);
    busy_timeout_ms_ = opts.busy_timeout_ms;
    if (opts.wal && !opts.read_only) {
      exec(sqlite_dialect::wal);
      exec(opts.synchronous_full ? sqlite_dialect::synchronous_full
                                 : sqlite_dialect::synchronous_normal);
    }
    if (opts.foreign_keys) exec(sqlite_dialect::foreign_keys);
    if (opts.read_only) check_readable(path);
  }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection() {
    slots_.clear();  // finalize statements before closing
    sqlite3_close_v2(db_);
  }

  sqlite3* handle() const noexcept { return db_; }
  bool read_only() const noexcept { return sqlite3_db_readonly(db_, "main") == 1; }

  // A read-only connection to a WAL database still needs its -shm file, which SQLite cannot
  // create in a read-only directory: say so at open(), with the ways out, rather than fail
  // with "unable to open database file" at the first query.
  void check_readable(const std::string& path) {
    try {
      exec(sqlite_dialect::probe_read);
    } catch (const error& e) {
      if (e.primary_code() != SQLITE_READONLY && e.primary_code() != SQLITE_CANTOPEN) throw;
      throw error(e.code(), str_cat({"sqler: cannot read '", path, "' read-only: ", e.message(),
                                     ". A WAL database needs its -shm file, which cannot be "
                                     "created in a read-only directory. Either make the "
                                     "directory writable, or open with "
                                     "database_options::immutable = true if no process changes "
                                     "the file while it is open"}));
    }
  }

  // Runs one or more statements without parameters.
  void exec(std::string_view sql) {
    std::string text(sql);
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      sqlite3_free(err);
      throw_sqlite(rc, db_, sql);
    }
  }

  std::int64_t changes() const noexcept { return sqlite3_changes64(db_); }
  std::int64_t last_insert_rowid() const noexcept { return sqlite3_last_insert_rowid(db_); }
  bool autocommit() const noexcept { return sqlite3_get_autocommit(db_) != 0; }

  // The cached statement of a shape (a type with `static constexpr std::string_view sql`).
  template <class Shape>
  lease acquire() {
    constexpr bool single = requires { requires Shape::single_row; };
    lease l = acquire_slot(shape_slot<Shape>(), Shape::sql);  // one object, returned by NRVO
    if (observed()) [[unlikely]]
      l.observe(this, single);
    return l;
  }

  // A one-off statement (not cached) that still reports to query hooks.
  lease acquire_oneoff(std::string_view sql) {
    lease l = private_lease(sql);
    if (observed()) l.observe(this, false);
    return l;
  }

  void set_hooks(hook_registry* h) noexcept { hooks_ = h; }
  hook_registry* hooks() const noexcept { return hooks_; }

  lease acquire_slot(std::size_t slot, std::string_view sql) {
    // Hot path, small enough to inline: the shape's statement is cached and idle.
    if (slot < slots_.size()) [[likely]] {
      cached* c = slots_[slot].get();
      if (c != nullptr && !c->busy && c->stmt.handle() != nullptr &&
          reprepares(c->stmt) == c->reprepares) [[likely]] {
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
    if (!slots_[slot]) slots_[slot] = std::make_unique<cached>();
    cached& c = *slots_[slot];  // heap-held: leases keep pointers across slots_ growth
    // A statement SQLite re-prepared by itself (after a schema change, or for a new value of a
    // parameter its plan depends on) is prepared afresh: SQLite 3.40 keeps the old statement's
    // record of which parameters the plan depends on across the re-prepare. Re-prepared after
    // CREATE INDEX ... WHERE x = 'a' with 'a' bound, a statement would keep the partial index
    // for any later value of x and miss rows (tests/unit/partial_index_test.cpp).
    if (!c.busy && c.stmt.handle() != nullptr && reprepares(c.stmt) != c.reprepares)
      c.stmt = statement();
    if (c.stmt.handle() == nullptr) {
      c.stmt = statement(db_, sql, SQLITE_PREPARE_PERSISTENT);
      c.reprepares = 0;
      ++stats_.prepares;
      c.busy = true;
      return lease(&c.stmt, &c.busy, nullptr);
    }
    // In use further up the stack: a private statement, finalized when the lease ends.
    return private_lease(sql);
  }

  const cache_stats& stats() const noexcept { return stats_; }

  // Scratch buffer for encoding documents: reused so steady-state writes do not allocate.
  std::string& encode_buffer() noexcept { return encode_buffer_; }

  // The documents sqler encoded for the statement being stepped (functions.hpp), set by
  // backend_traits::encoded_scope.
  encoded_documents& encoded() noexcept { return encoded_; }

  int& transaction_depth() noexcept { return tx_depth_; }

  // The queue this connection's writes wait in (null for a single-connection database).
  void set_writer_queue(writer_queue* q) noexcept { writers_ = q; }

  // Brings an existing table up to today's layout (schema.hpp's upgrade_table), through a
  // pointer set where connections are opened (state.hpp): the upgrade and rebuild code is
  // then compiled only in translation units that open databases, not in every one that opens
  // a collection.
  using table_upgrade = void (*)(connection&, std::string_view table, const std::string& sql);
  void set_table_upgrade(table_upgrade f) noexcept { upgrade_ = f; }
  void upgrade_table(std::string_view table, const std::string& sql) { upgrade_(*this, table, sql); }

  // Takes this thread's turn to write, unless a transaction of this connection already holds
  // it. Returns whether it took the turn (and so must give it back with end_write()).
  bool begin_write() {
    if (writers_ == nullptr || tx_depth_ != 0 || !autocommit()) return false;
    const auto budget = std::chrono::milliseconds(busy_timeout_ms_);
    const auto start = std::chrono::steady_clock::now();
    if (!writers_->acquire(budget))
      throw busy_error(SQLITE_BUSY,
                       "sqler: waited busy_timeout_ms for this database's other writers");
    // busy_timeout_ms is the total a write may wait: what the queue used is taken from what
    // SQLite's busy handler may still wait for the lock (another process may hold it).
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    if (waited.count() > 0) {
      sqlite3_busy_timeout(db_, static_cast<int>(std::max<std::int64_t>(
                                     1, busy_timeout_ms_ - waited.count())));
      shortened_timeout_ = true;
    }
    return true;
  }
  void end_write() noexcept {
    if (shortened_timeout_) {
      sqlite3_busy_timeout(db_, busy_timeout_ms_);
      shortened_timeout_ = false;
    }
    writers_->release();
  }

 private:
  struct cached {
    statement stmt;
    bool busy = false;
    int reprepares = 0;  // SQLite's count for stmt when it was prepared (acquire_slot_slow)
  };

  static int reprepares(const statement& st) noexcept {
    return sqlite3_stmt_status(st.handle(), SQLITE_STMTSTATUS_REPREPARE, 0);
  }

  sqlite3* db_ = nullptr;
  std::vector<std::unique_ptr<cached>> slots_;
  cache_stats stats_;
  std::string encode_buffer_;
  encoded_documents encoded_;  // its address is the user data of json_valid and sqler_merge
  int tx_depth_ = 0;
  bool observed() const noexcept { return hooks_ != nullptr && hooks_->active(); }

  // A statement of the lease's own, not cached; finalized when the lease ends.
  lease private_lease(std::string_view sql) {
    auto own = std::make_unique<statement>(db_, sql);
    ++stats_.prepares;
    statement* raw = own.get();
    return lease(raw, nullptr, std::move(own));
  }

  hook_registry* hooks_ = nullptr;
  writer_queue* writers_ = nullptr;
  table_upgrade upgrade_ = nullptr;
  int busy_timeout_ms_ = 0;
  bool shortened_timeout_ = false;
};

// One autocommit write (or a whole transaction) in this thread's turn.
class write_turn {
 public:
  explicit write_turn(connection& c) : conn_(c.begin_write() ? &c : nullptr) {}
  write_turn(const write_turn&) = delete;
  write_turn& operator=(const write_turn&) = delete;
  ~write_turn() { release(); }
  void release() noexcept {
    if (conn_ != nullptr) conn_->end_write();
    conn_ = nullptr;
  }

 private:
  connection* conn_;
};

inline void lease::report() noexcept {
  query_event ev;
  ev.sql = stmt_->sql();
  ev.parameters = stmt_->parameter_count();
  const bool is_write = sqlite3_stmt_readonly(stmt_->handle()) == 0;
  ev.rows = is_write ? observer_->changes() : stmt_->rows();
  ev.duration = std::chrono::steady_clock::now() - start_;
  ev.single_row = (flags_ & 1u) != 0;
  ev.cached = (flags_ & 2u) == 0;
  if (recorder_) ev.values = recorder_->values();
  try {
    observer_->hooks()->fire(ev);
  } catch (...) {  // a hook that throws must not break the query that triggered it
  }
}

}  // namespace sqler::detail::sqlite
