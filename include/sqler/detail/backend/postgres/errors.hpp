// sqler/detail/backend/postgres/errors.hpp - PostgreSQL failures as sqler's exception types.
// The SQLSTATE picks the type and the SQLite-numbered code; the server's message and SQL stay.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <string_view>

#include "sqler/error.hpp"

namespace sqler::detail::postgres {

struct result_deleter {
  void operator()(PGresult* r) const noexcept { PQclear(r); }
};
// PGresults are freed on every path, including the throwing ones.
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

// libpq's messages end in a newline (and sometimes a tab-indented hint): one line reads better
// inside "[sql: ...]".
inline std::string one_line(const char* text) {
  std::string s;
  for (const char* p = text != nullptr ? text : ""; *p != '\0'; ++p) {
    const bool blank = *p == '\n' || *p == '\t' || *p == ' ';
    if (!blank)
      s += *p;
    else if (!s.empty() && s.back() != ' ')
      s += ' ';
  }
  if (!s.empty() && s.back() == ' ') s.pop_back();
  return s.empty() ? std::string("unknown libpq failure") : s;
}

// Whether a ';' separates two commands (a trailing one does not): with the missing cursor
// position, what tells the "multiple commands" refusal from other 42601s without parsing SQL.
inline bool several_commands(std::string_view sql) noexcept {
  const auto end = sql.find_last_not_of(" \t\r\n;");
  return end != std::string_view::npos && sql.substr(0, end).find(';') != std::string_view::npos;
}

// SQLSTATE -> exception. The table:
//   23505/23503/23502/23514 -> constraint_error, constraint_unique/_foreign_key/_not_null/_check;
//   other 23xxx (exclusion, restrict) -> constraint_error, constraint
//   40001 serialization failure, 40P01 deadlock -> serialization_error, busy
//   55P03 lock not available, 57014 canceled (lock_timeout, statement_timeout) -> busy_error, busy
//   22xxx data exception -> encode_error, mismatch: a bound or stored value does not fit or parse
//     as its type (22P02 invalid text, 22003 out of range, 22021 bad UTF-8, 2203x bad JSON...);
//     it is SQLite's MISMATCH, the one type sqler has for "this value cannot be stored/used"
//   42601 without a cursor position -> usage_error: the extended protocol refuses text holding
//     several commands ("cannot insert multiple commands into a prepared statement"), the one
//     42601 the server reports without a position (and the text must hold a ';' before its
//     end), so no message matching is needed (lc_messages may translate the text)
//   25006 read-only transaction -> error, readonly
//   everything else (42xxx syntax/undefined object, 25P02, 08xxx, 57P0x, 53xxx, XX...) -> error
// encode_error and usage_error take no SQLSTATE (see error.hpp): for those the code is appended
// to the message instead until their constructors accept one.
[[noreturn]] inline void throw_sqlstate(std::string_view state, std::string msg,
                                        std::string_view sql, bool has_position) {
  const std::string_view cls = state.substr(0, 2);
  std::string st(state);
  if (cls == "23") {
    int code = result_code::constraint;
    if (state == "23505")
      code = result_code::constraint_unique;
    else if (state == "23503")
      code = result_code::constraint_foreign_key;
    else if (state == "23502")
      code = result_code::constraint_not_null;
    else if (state == "23514")
      code = result_code::constraint_check;
    throw constraint_error(code, std::move(msg), sql, std::move(st));
  }
  if (state == "40001" || state == "40P01")
    throw serialization_error(result_code::busy, std::move(msg), sql, std::move(st));
  if (state == "55P03" || state == "57014")
    throw busy_error(result_code::busy, std::move(msg), sql, std::move(st));
  if (cls == "22") throw encode_error(msg + " (SQLSTATE " + st + ")", sql);
  if (state == "42601" && !has_position && several_commands(sql))
    throw usage_error(
        "sqler: this call runs one statement, and the SQL text has more after the "
        "first; run them one by one (or, without parameters, as a script with "
        "database::execute) (" +
            msg + ", SQLSTATE 42601)",
        sql);
  if (state == "25P02")
    msg +=
        " (an earlier statement failed, so PostgreSQL aborted the transaction: roll it back, "
        "or roll a nested transaction back to its savepoint, before running more)";
  throw error(state == "25006" ? result_code::readonly : result_code::error, std::move(msg), sql,
              std::move(st));
}

// A failed command's result. A result without a SQLSTATE comes from libpq itself; when the
// connection is gone as well it is reported as 08006 (connection failure) so callers can tell a
// lost connection from a refused statement by sqlstate() alone.
[[noreturn]] inline void throw_result(const PGresult* r, PGconn* c, std::string_view sql) {
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = r != nullptr ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string msg = "postgres: ";
  if (primary != nullptr)
    msg += primary;
  else
    msg += one_line(r != nullptr && *PQresultErrorMessage(r) != '\0' ? PQresultErrorMessage(r)
                                                                     : PQerrorMessage(c));
  if (state != nullptr && *state != '\0') {
    const bool positioned = PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION) != nullptr;
    throw_sqlstate(state, std::move(msg), sql, positioned);
  }
  const bool lost = c == nullptr || PQstatus(c) != CONNECTION_OK;
  throw error(result_code::error, std::move(msg), sql, lost ? "08006" : "");
}

// libpq refused to send (or to return a result at all): the connection is usually gone.
[[noreturn]] inline void throw_connection(PGconn* c, std::string_view sql) {
  const bool lost = c == nullptr || PQstatus(c) != CONNECTION_OK;
  throw error(result_code::error,
              "postgres: " + one_line(c != nullptr ? PQerrorMessage(c) : nullptr), sql,
              lost ? "08006" : "");
}

}  // namespace sqler::detail::postgres
