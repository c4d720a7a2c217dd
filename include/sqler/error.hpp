// sqler/error.hpp - the exceptions sqler throws.
// Every one derives from sqler::error (itself a std::runtime_error) and carries SQLite's result
// code and the SQL text involved, so a failure report names both the cause and the statement.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sqler {

class error : public std::runtime_error {
 public:
  error(int code, std::string message, std::string_view sql = {})
      : std::runtime_error(format(message, sql)), code_(code), message_(std::move(message)),
        sql_(sql) {}

  // SQLite's (extended) result code; SQLITE_ERROR for failures sqler detects itself.
  int code() const noexcept { return code_; }
  int primary_code() const noexcept { return code_ & 0xff; }
  // The message without the SQL appended.
  const std::string& message() const noexcept { return message_; }
  // The SQL text that failed; empty where no statement was involved.
  const std::string& sql() const noexcept { return sql_; }

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
};

// A UNIQUE, NOT NULL, CHECK or FOREIGN KEY constraint refused a write.
class constraint_error : public error {
  using error::error;
};

// The database stayed locked by another connection for longer than the busy timeout.
class busy_error : public error {
  using error::error;
};

// The API was used in a way it cannot honour (a raw query<...>() that writes, several
// statements where one is run, an out-of-range enum value); nothing was changed.
class usage_error : public error {
 public:
  explicit usage_error(std::string message, std::string_view sql = {})
      : error(SQLITE_MISUSE, std::move(message), sql) {}
};

// The database does not have the layout this program expects: a table owned by another C++
// type, a table sqler cannot upgrade, a migration history that differs from the code's.
class schema_error : public error {
 public:
  explicit schema_error(std::string message, std::string_view sql = {})
      : error(SQLITE_ERROR, std::move(message), sql) {}
};

// A document id that does not exist.
class not_found : public error {
 public:
  not_found(std::string_view table, std::int64_t id)
      : error(SQLITE_NOTFOUND,
              "sqler: no document with _id " + std::to_string(id) + " in \"" + std::string(table) +
                  '"'),
        id_(id) {}
  std::int64_t id() const noexcept { return id_; }

 private:
  std::int64_t id_;
};

// An update carried a version that is no longer current: someone else wrote first.
class stale_version : public error {
 public:
  stale_version(std::string_view table, std::int64_t id, std::int64_t expected)
      : error(SQLITE_ABORT, "sqler: stale version " + std::to_string(expected) + " of _id " +
                                std::to_string(id) + " in \"" + std::string(table) + '"'),
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
      : error(SQLITE_MISMATCH, std::move(message), sql) {}
};

// A stored document did not match the struct: not JSON, a member of the wrong type or out of
// range, or a required member missing. path() names the member ("address.city", "tags[3]").
class decode_error : public error {
 public:
  decode_error(std::string path, std::string reason)
      : error(SQLITE_MISMATCH, "sqler: cannot decode member '" + path + "': " + reason),
        path_(std::move(path)), reason_(std::move(reason)) {}
  const std::string& path() const noexcept { return path_; }
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string path_;
  std::string reason_;
};

}  // namespace sqler
