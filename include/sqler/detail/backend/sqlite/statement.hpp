// sqler/detail/backend/sqlite/statement.hpp - a prepared SQLite statement, RAII.
// Binds values without copying them, steps, reads columns, and turns every failure into the
// sqler::error type that fits (constraint, busy, encode) with SQLite's message and the SQL.
#pragma once

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "sqler/error.hpp"
#include "sqler/query_event.hpp"

namespace sqler::detail::sqlite {

[[noreturn]] inline void throw_sqlite(int rc, sqlite3* db, std::string_view sql) {
  const int extended = db != nullptr ? sqlite3_extended_errcode(db) : rc;
  const int code = (extended & 0xff) == (rc & 0xff) ? extended : rc;
  std::string msg = "sqlite: ";
  msg += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (code & 0xff) {
    case SQLITE_CONSTRAINT: throw constraint_error(code, std::move(msg), sql);
    case SQLITE_BUSY:
    case SQLITE_LOCKED: throw busy_error(code, std::move(msg), sql);
    case SQLITE_MISMATCH: throw encode_error(std::move(msg), sql);  // sqler's write guards
    default: throw error(code, std::move(msg), sql);
  }
}

class statement {
 public:
  statement() = default;
  statement(sqlite3* db, std::string_view sql, unsigned prep_flags = 0) : db_(db) {
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), prep_flags,
                                      &stmt_, &tail);
    if (rc != SQLITE_OK) throw_sqlite(rc, db, sql);
    if (stmt_ == nullptr) throw usage_error("sqler: empty SQL statement", sql);
    tail_ = sql.substr(static_cast<std::size_t>(tail - sql.data()));
  }
  statement(statement&& o) noexcept
      : db_(std::exchange(o.db_, nullptr)), stmt_(std::exchange(o.stmt_, nullptr)),
        rows_(std::exchange(o.rows_, 0)), tail_(std::exchange(o.tail_, {})),
        recorder_(std::exchange(o.recorder_, nullptr)) {}
  statement& operator=(statement&& o) noexcept {
    if (this != &o) {
      sqlite3_finalize(stmt_);
      db_ = std::exchange(o.db_, nullptr);
      stmt_ = std::exchange(o.stmt_, nullptr);
      rows_ = std::exchange(o.rows_, 0);
      tail_ = std::exchange(o.tail_, {});
      recorder_ = std::exchange(o.recorder_, nullptr);
    }
    return *this;
  }
  ~statement() { sqlite3_finalize(stmt_); }

  sqlite3_stmt* handle() const noexcept { return stmt_; }

  // Refuses SQL text holding more than this one statement: the rest would silently not run.
  // Blanks, semicolons and comments after it are fine.
  void require_single_statement() const {
    if (tail_.empty()) return;
    sqlite3_stmt* next = nullptr;
    const int rc = sqlite3_prepare_v2(db_, tail_.data(), static_cast<int>(tail_.size()), &next,
                                      nullptr);
    sqlite3_finalize(next);
    if (rc != SQLITE_OK || next != nullptr)
      throw usage_error("sqler: this call runs one statement, and the SQL text has more after "
                        "the first; run them one by one (or, without parameters, as a script "
                        "with database::execute)",
                        sql());
  }
  std::string_view sql() const noexcept { return sqlite3_sql(stmt_); }
  int parameter_count() const noexcept { return sqlite3_bind_parameter_count(stmt_); }

  // Each bind is also recorded while a query hook is installed (record_into); otherwise that
  // costs one predictable branch.
  void bind(int i, std::int64_t v) {
    if (recorder_ != nullptr) [[unlikely]] recorder_->bind(i, v);
    check(sqlite3_bind_int64(stmt_, i, v));
  }
  void bind(int i, double v) {
    if (recorder_ != nullptr) [[unlikely]] recorder_->bind(i, v);
    check(sqlite3_bind_double(stmt_, i, v));
  }
  void bind_null(int i) {
    if (recorder_ != nullptr) [[unlikely]] recorder_->bind_null(i);
    check(sqlite3_bind_null(stmt_, i));
  }
  // A pointer only sqler's own SQL functions can read (sqlite3_bind_pointer), under `type`.
  void bind_pointer(int i, const void* p, const char* type) {
    if (recorder_ != nullptr) [[unlikely]] recorder_->bind_pointer(i, p, type);
    check(sqlite3_bind_pointer(stmt_, i, const_cast<void*>(p), type, nullptr));
  }
  // The text must stay alive until the statement is reset (callers bind, step, reset).
  void bind_text(int i, std::string_view v) {
    if (recorder_ != nullptr) [[unlikely]] recorder_->bind_text(i, v);
    check(sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8));
  }
  void record_into(value_recorder* r) noexcept { recorder_ = r; }

  // SQLite always hands rows over one at a time (the PostgreSQL statement needs to be told).
  void stream_rows() noexcept {}

  // Steps once: true when a row is available, false when done.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
      ++rows_;
      return true;
    }
    if (rc == SQLITE_DONE) return false;
    sqlite3_reset(stmt_);
    throw_sqlite(rc, db_, sql());
  }
  void reset() noexcept {
    sqlite3_reset(stmt_);
    rows_ = 0;
  }
  // Rows stepped since the last reset.
  std::int64_t rows() const noexcept { return rows_; }

  std::int64_t column_int64(int c) const noexcept { return sqlite3_column_int64(stmt_, c); }
  double column_double(int c) const noexcept { return sqlite3_column_double(stmt_, c); }
  bool column_is_null(int c) const noexcept {
    return sqlite3_column_type(stmt_, c) == SQLITE_NULL;
  }
  std::string_view column_text(int c) const noexcept {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, c));
    return p == nullptr ? std::string_view{}
                        : std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c)));
  }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) throw_sqlite(rc, db_, sql());
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::int64_t rows_ = 0;
  std::string_view tail_;  // the text after the statement; valid only during construction's caller
  value_recorder* recorder_ = nullptr;
};

}  // namespace sqler::detail::sqlite
