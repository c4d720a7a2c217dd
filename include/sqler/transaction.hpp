// sqler/transaction.hpp - RAII transactions: commit() or roll back on scope exit.
// The outermost level is BEGIN IMMEDIATE (take the write lock up front, so writers queue on
// busy_timeout instead of failing at upgrade); nested levels are savepoints.
#pragma once

#include <string>

#include "sqler/detail/fixed_string.hpp"
#include "sqler/sqlite.hpp"

namespace sqler {

class transaction {
 public:
  explicit transaction(detail::connection& c) : conn_(&c) {
    const int depth = c.transaction_depth();
    if (depth == 0 && c.autocommit()) {
      turn_ = c.begin_write();  // the outermost level holds this thread's turn to the end
      try {
        c.exec("BEGIN IMMEDIATE");
      } catch (...) {
        if (turn_) c.end_write();
        throw;
      }
      savepoint_ = false;
    } else {
      name_ = "sqler_sp" + std::to_string(depth);
      c.exec("SAVEPOINT " + name_);
      savepoint_ = true;
    }
    ++c.transaction_depth();
  }

  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;

  ~transaction() {
    if (active_) {
      try {
        rollback();
      } catch (...) {  // a destructor must not throw; the connection reports the state anyway
      }
    }
  }

  // Makes the changes permanent (or folds them into the enclosing transaction).
  void commit() {
    require_active("commit");
    conn_->exec(savepoint_ ? "RELEASE " + name_ : std::string("COMMIT"));
    finish();
    end_turn();
  }

  // Undoes every change made since the transaction began.
  void rollback() {
    require_active("rollback");
    finish();  // even if SQLite refuses below, this level is over
    struct give_back {  // the turn is returned even if ROLLBACK itself fails
      transaction* t;
      ~give_back() { t->end_turn(); }
    } guard{this};
    if (savepoint_) {
      conn_->exec("ROLLBACK TO " + name_ + "; RELEASE " + name_);
    } else if (!conn_->autocommit()) {
      conn_->exec("ROLLBACK");  // SQLite may already have rolled back (e.g. after SQLITE_FULL)
    }
  }

  bool active() const noexcept { return active_; }

 private:
  void require_active(const char* what) const {
    if (!active_)
      throw error(SQLITE_MISUSE, std::string("sqler: transaction::") + what +
                                     "() on a transaction that already ended");
  }
  void finish() noexcept {
    active_ = false;
    --conn_->transaction_depth();
  }
  void end_turn() noexcept {
    if (turn_) conn_->end_write();
    turn_ = false;
  }

  detail::connection* conn_;
  std::string name_;
  bool savepoint_ = false;
  bool active_ = true;
  bool turn_ = false;  // holds the database's writer turn (outermost level only)
};

namespace detail {

// Reads that must agree with each other (a page and its total) share one snapshot: a deferred
// read transaction, unless the caller already has a transaction open.
class read_snapshot {
 public:
  explicit read_snapshot(connection& c)
      : conn_(c.autocommit() && c.transaction_depth() == 0 ? &c : nullptr) {
    if (conn_ != nullptr) conn_->exec("BEGIN");
  }
  read_snapshot(const read_snapshot&) = delete;
  read_snapshot& operator=(const read_snapshot&) = delete;
  ~read_snapshot() {
    if (conn_ == nullptr || conn_->autocommit()) return;
    try {
      conn_->exec("COMMIT");  // nothing was written: ending a read transaction cannot lose data
    } catch (...) {
    }
  }

 private:
  connection* conn_;
};

}  // namespace detail
}  // namespace sqler
