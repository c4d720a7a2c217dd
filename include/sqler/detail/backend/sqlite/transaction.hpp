// sqler/detail/backend/sqlite/transaction.hpp - transactions on one SQLite connection.
// The outermost level is BEGIN IMMEDIATE and holds the thread's writer turn to the end, so
// writers queue for the lock up front instead of failing at upgrade; nested levels are
// savepoints. read_snapshot makes several reads agree (a page and its total).
#pragma once

#include <string>

#include "sqler/detail/backend/sqlite/connection.hpp"
#include "sqler/detail/sql/sqlite.hpp"
#include "sqler/detail/text.hpp"
#include "sqler/error.hpp"

namespace sqler::detail::sqlite {

class transaction_scope {
 public:
  explicit transaction_scope(connection& c) : conn_(&c) {
    const int depth = c.transaction_depth();
    if (depth == 0 && c.autocommit()) {
      turn_ = c.begin_write();
      try {
        c.exec(sqlite_dialect::begin_write);
      } catch (...) {
        if (turn_) c.end_write();
        throw;
      }
      savepoint_ = false;
    } else {
      name_ = str_cat({"sqler_sp", std::to_string(depth)});
      c.exec(sqlite_dialect::savepoint(name_));
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
      } catch (...) {  // a destructor must not throw; the connection reports the state anyway
      }
    }
  }

  void commit() {
    require_active("commit");
    conn_->exec(savepoint_ ? sqlite_dialect::release(name_)
                           : std::string(sqlite_dialect::commit));
    finish();
    end_turn();
  }

  void rollback() {
    require_active("rollback");
    finish();  // even if SQLite refuses below, this level is over
    struct give_back {  // the turn is returned even if ROLLBACK itself fails
      transaction_scope* t;
      ~give_back() { t->end_turn(); }
    } guard{this};
    if (savepoint_) {
      conn_->exec(sqlite_dialect::rollback_to(name_));
    } else if (!conn_->autocommit()) {
      conn_->exec(sqlite_dialect::rollback);  // SQLite may already have rolled back (SQLITE_FULL)
    }
  }

  bool active() const noexcept { return active_; }

 private:
  void require_active(const char* what) const {
    if (!active_)
      throw usage_error(str_cat({"sqler: transaction::", what,
                                 "() on a transaction that already ended"}));
  }
  void finish() noexcept {
    active_ = false;
    --conn_->transaction_depth();
  }
  void end_turn() noexcept {
    if (turn_) conn_->end_write();
    turn_ = false;
  }

  connection* conn_;
  std::string name_;
  bool savepoint_ = false;
  bool active_ = true;
  bool turn_ = false;  // holds the database's writer turn (outermost level only)
};

// Reads that must agree with each other (a page and its total) share one snapshot: a deferred
// read transaction, unless the caller already has a transaction open.
class read_snapshot {
 public:
  explicit read_snapshot(connection& c)
      : conn_(c.autocommit() && c.transaction_depth() == 0 ? &c : nullptr) {
    if (conn_ != nullptr) conn_->exec(sqlite_dialect::begin_read);
  }
  read_snapshot(const read_snapshot&) = delete;
  read_snapshot& operator=(const read_snapshot&) = delete;
  ~read_snapshot() {
    if (conn_ == nullptr || conn_->autocommit()) return;
    try {
      conn_->exec(sqlite_dialect::commit);  // nothing was written: ending a read cannot lose data
    } catch (...) {
    }
  }

 private:
  connection* conn_;
};

}  // namespace sqler::detail::sqlite
