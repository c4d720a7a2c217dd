// sqler/error.hpp - the exceptions sqler throws, the same for every backend.
// Every one derives from sqler::error (a std::runtime_error) and carries a result code and the
// SQL text involved, so a failure report names both the cause and the statement.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "sqler/detail/text.hpp"

namespace sqler {

// Result codes: SQLite's numbers (https://sqlite.org/rescode.html), which sqler uses for every
// backend, so `e.primary_code() == SQLITE_CONSTRAINT` means the same on PostgreSQL (where
// error::sqlstate() also gives the server's own code).
namespace result_code {
inline constexpr int error = 1;
inline constexpr int abort = 4;
inline constexpr int busy = 5;
inline constexpr int readonly = 8;
inline constexpr int not_found = 12;
inline constexpr int cantopen = 14;
inline constexpr int constraint = 19;
inline constexpr int mismatch = 20;
inline constexpr int misuse = 21;
inline constexpr int range = 25;
inline constexpr int constraint_check = 275;
inline constexpr int constraint_foreign_key = 787;
inline constexpr int constraint_not_null = 1299;
inline constexpr int constraint_unique = 2067;
}  // namespace result_code

class error : public std::runtime_error {
 public:
  error(int code, std::string message, std::string_view sql = {}, std::string sqlstate = {})
      : std::runtime_error(format(message, sql)), code_(code), message_(std::move(message)),
        sql_(sql), sqlstate_(std::move(sqlstate)) {}

  // The (extended) result code in SQLite's numbering; SQLITE_ERROR for failures sqler detects
  // itself.
  int code() const noexcept { return code_; }
  int primary_code() const noexcept { return code_ & 0xff; }
  // The message without the SQL appended.
  const std::string& message() const noexcept { return message_; }
  // The SQL text that failed; empty where no statement was involved.
  const std::string& sql() const noexcept { return sql_; }
  // PostgreSQL's SQLSTATE ("23505"); empty on SQLite.
  const std::string& sqlstate() const noexcept { return sqlstate_; }

 private:
  static std::string format(const std::string& message, std::string_view sql) {
    if (sql.empty()) return message;
    std::string out = message;
    out += " [sql: ";
    out += sql;
    out += ']';
    return out;
  }

  int code_;
  std::string message_;
  std::string sql_;
  std::string sqlstate_;
};

// A UNIQUE, NOT NULL, CHECK or FOREIGN KEY constraint refused a write.
class constraint_error : public error {
  using error::error;
};

// A failure that retrying the same work may cure.
class retryable_error : public error {
  using error::error;
};

// The database stayed locked by another connection for longer than the busy timeout.
class busy_error : public retryable_error {
  using retryable_error::retryable_error;
};

// PostgreSQL aborted the transaction to keep it serializable: a serialization failure (40001)
// or a deadlock (40P01). Run the whole transaction again.
class serialization_error : public retryable_error {
  using retryable_error::retryable_error;
};

// The API was used in a way it cannot honour (a raw query<...>() that writes, several
// statements where one is run, an out-of-range enum value); nothing was changed.
class usage_error : public error {
 public:
  explicit usage_error(std::string message, std::string_view sql = {})
      : error(result_code::misuse, std::move(message), sql) {}
};

// The database does not have the layout this program expects: a table owned by another C++
// type, a table sqler cannot upgrade, a migration history that differs from the code's.
class schema_error : public error {
 public:
  explicit schema_error(std::string message, std::string_view sql = {})
      : error(result_code::error, std::move(message), sql) {}
};

// A document id that does not exist.
class not_found : public error {
 public:
  not_found(std::string_view table, std::int64_t id)
      : error(result_code::not_found,
              detail::str_cat({"sqler: no document with _id ", std::to_string(id), " in \"", table,
                               "\""})),
        id_(id) {}
  std::int64_t id() const noexcept { return id_; }

 private:
  std::int64_t id_;
};

// An update carried a version that is no longer current: someone else wrote first.
class stale_version : public error {
 public:
  stale_version(std::string_view table, std::int64_t id, std::int64_t expected)
      : error(result_code::abort,
              detail::str_cat({"sqler: stale version ", std::to_string(expected), " of _id ",
                               std::to_string(id), " in \"", table, "\""})),
        id_(id), expected_(expected) {}
  std::int64_t id() const noexcept { return id_; }
  std::int64_t expected_version() const noexcept { return expected_; }

 private:
  std::int64_t id_;
  std::int64_t expected_;
};

// A value could not be written as JSON (e.g. a NaN or infinite double, which JSON cannot hold).
// Also thrown, changing nothing, when a write would store a value the member's C++ type cannot
// read back (a patch overflowing an int, a non-finite double): the message says "out of range".
class encode_error : public error {
 public:
  explicit encode_error(std::string message, std::string_view sql = {})
      : error(result_code::mismatch, std::move(message), sql) {}
};

// A stored document did not match the struct: not JSON, a member of the wrong type or out of
// range, or a required member missing. path() names the member ("address.city", "tags[3]").
class decode_error : public error {
 public:
  decode_error(std::string path, std::string reason)
      : error(result_code::mismatch,
              detail::str_cat({"sqler: cannot decode member '", path, "': ", reason})),
        path_(std::move(path)), reason_(std::move(reason)) {}
  const std::string& path() const noexcept { return path_; }
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string path_;
  std::string reason_;
};

}  // namespace sqler
