// sqler/detail/backend/postgres/transaction.hpp - transactions on one pooled connection.
// BEGIN outermost, savepoints nested; each scope keeps its thread on the same connection.
#pragma once

#include <string>

#include "sqler/detail/sql/postgres.hpp"
#include "sqler/detail/backend/postgres/pool.hpp"
#include "sqler/error.hpp"

namespace sqler::detail::postgres {

// PostgreSQL aborts the whole transaction when any statement in it fails; SQLite undoes only
// that statement and carries on. sqler does not hide the difference with a savepoint around
// every statement (two more round trips each); instead:
// - a failure inside a nested transaction is contained by it: its rollback (explicit, or its
//   destructor while the exception unwinds) is ROLLBACK TO its savepoint, after which the
//   enclosing transaction works again. Wrap a statement that may fail, and whose failure the
//   code handles, in a nested transaction.
// - statements after an unhandled failure fail with 25P02 (the message says what to do), and
//   commit() of an aborted transaction rolls back and throws rather than reporting success
//   (the server would answer COMMIT with ROLLBACK).
// - preparing a shape never aborts a transaction (connection::prepare uses a savepoint).
class transaction_scope {
 public:
  explicit transaction_scope(connection_handle h) : h_(std::move(h)) {
    connection& c = h_.get();
    const int depth = c.transaction_depth();
    if (depth == 0 && c.autocommit()) {
      c.exec(postgres_dialect::begin_write);
      savepoint_ = false;
    } else {
      name_ = "sqler_sp" + std::to_string(depth);
      c.exec(postgres_dialect::savepoint(name_));
      savepoint_ = true;
    }
    ++c.transaction_depth();
  }

  transaction_scope(const transaction_scope&) = delete;
  transaction_scope& operator=(const transaction_scope&) = delete;

  ~transaction_scope() {
    if (active_) {
      try {
        rollback();
      } catch (...) {  // a destructor must not throw; a broken connection is replaced anyway
      }
    }
  }

  void commit() {
    require_active("commit");
    connection& c = h_.get();
    if (c.transaction_status() == PQTRANS_INERROR) {
      rollback();
      throw error(result_code::abort,
                  std::string("sqler: commit() of a ") + (savepoint_ ? "nested " : "") +
                      "transaction in which a statement failed: PostgreSQL aborted it, so it "
                      "was rolled back" +
                      (savepoint_ ? " to its savepoint" : ""),
                  {}, "25P02");
    }
    if (savepoint_) {
      c.exec(postgres_dialect::release(name_));
    } else {
      try {
        c.exec(postgres_dialect::commit);
      } catch (...) {
        // A failed COMMIT (a deferred constraint) ends the transaction on the server, rolled
        // back: this level is over, and a second commit() is a usage_error, never a COMMIT of
        // nothing that reports success.
        if (c.autocommit()) finish();
        throw;
      }
    }
    finish();
  }

  void rollback() {
    require_active("rollback");
    finish();  // even if the server refuses below, this level is over
    connection& c = h_.get();
    if (savepoint_)
      c.exec(postgres_dialect::rollback_to(name_));
    else if (!c.autocommit())
      c.exec(postgres_dialect::rollback);  // a failed COMMIT has ended the transaction already
  }

  bool active() const noexcept { return active_; }

 private:
  void require_active(const char* what) const {
    if (!active_)
      throw usage_error(std::string("sqler: transaction::") + what +
                        "() on a transaction that already ended");
  }
  void finish() noexcept {
    active_ = false;
    --h_.get().transaction_depth();
  }

  connection_handle h_;  // the thread's connection until this level ends
  std::string name_;
  bool savepoint_ = false;
  bool active_ = true;
};

// Reads that must agree with each other (a page and its total) share one snapshot: a
// REPEATABLE READ, READ ONLY transaction, unless the caller already has one open.
class read_snapshot {
 public:
  explicit read_snapshot(connection_handle h) {
    if (h.transaction_depth() != 0 || !h.autocommit()) return;
    h.exec(postgres_dialect::begin_read);
    h_ = std::move(h);
  }
  read_snapshot(const read_snapshot&) = delete;
  read_snapshot& operator=(const read_snapshot&) = delete;
  ~read_snapshot() {
    if (!h_.share() || h_.autocommit()) return;
    try {
      h_.exec(postgres_dialect::commit);  // nothing was written: ending it cannot lose data
    } catch (...) {
    }
  }

 private:
  connection_handle h_;  // empty when an enclosing transaction already gives one snapshot
};

// PostgreSQL needs no writer turn (see connection::begin_write); generic code still names one.
class write_turn {
 public:
  template <class C>
  explicit write_turn(C&) noexcept {}
  write_turn(const write_turn&) = delete;
  write_turn& operator=(const write_turn&) = delete;
  ~write_turn() {}  // user-provided: `write_turn turn(c);` is not an unused variable
  void release() noexcept {}
};

}  // namespace sqler::detail::postgres
