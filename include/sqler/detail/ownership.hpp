// sqler/detail/ownership.hpp - which C++ type a table belongs to.
// billing::Tag and blog::Tag both default to the table "Tag"; each would read the other's
// documents. The first type to open a table is recorded as its owner in `sqler_tables`, and a
// different type opening it is refused unless it says it shares the table.
#pragma once

#include <string>
#include <string_view>

#include "sqler/error.hpp"
#include "sqler/sqlite.hpp"

namespace sqler::detail {

inline constexpr std::string_view tables_table_sql =
    "CREATE TABLE IF NOT EXISTS sqler_tables (table_name TEXT PRIMARY KEY, cpp_type TEXT NOT "
    "NULL) WITHOUT ROWID";

// The recorded owner of `table`, empty when none (or when sqler_tables does not exist: a
// read-only database made before it did).
inline std::string table_owner(connection& c, std::string_view table) {
  try {
    auto st = c.acquire_oneoff("SELECT cpp_type FROM sqler_tables WHERE table_name = ?1");
    st->bind_text(1, table);
    return st->step() ? std::string(st->column_text(0)) : std::string();
  } catch (const error&) {
    return {};
  }
}

inline void set_table_owner(connection& c, std::string_view table, std::string_view type) {
  auto st = c.acquire_oneoff(
      "INSERT INTO sqler_tables (table_name, cpp_type) VALUES (?1, ?2) ON CONFLICT (table_name) "
      "DO UPDATE SET cpp_type = excluded.cpp_type");
  st->bind_text(1, table);
  st->bind_text(2, type);
  st->step();
}

// Records `type` as the owner of `table`, or checks that it is. `shared`: the type declared
// that it shares its table (sqler::shares_table), so another owner is fine.
inline void claim_table(connection& c, std::string_view table, std::string_view type,
                        bool shared) {
  const std::string owner = table_owner(c, table);
  if (owner == type) return;
  if (!owner.empty()) {
    if (shared) return;
    throw schema_error(
        "sqler: table \"" + std::string(table) + "\" holds documents of type " + owner +
        ", not " + std::string(type) +
        ": two types would read each other's documents. Give one of them its own table "
        "(`static constexpr std::string_view sqler_table = \"...\";` or "
        "sqler::table_name_of<T>), or, if they really share it, declare `static constexpr "
        "bool sqler_shared_table = true;` (sqler::shares_table<T>). After renaming the type or "
        "its namespace, record the new owner with a migration step: m.adopt_table<T>()");
  }
  if (sqlite3_db_readonly(c.handle(), "main") == 1) return;  // nothing can be recorded
  set_table_owner(c, table, type);
}

}  // namespace sqler::detail
