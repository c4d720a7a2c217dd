// sqler/detail/backend/sqlite/schema.hpp - bringing an existing table up to today's layout.
// Tables made by sqler 0.1 reuse the ids of deleted documents (no AUTOINCREMENT) and tables
// made by other tools may lack `_version`: both are fixed in place when a collection opens.
#pragma once

#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sqler/detail/backend/sqlite/connection.hpp"
#include "sqler/detail/backend/sqlite/transaction.hpp"
#include "sqler/detail/catalog.hpp"
#include "sqler/detail/sql/sqlite.hpp"
#include "sqler/detail/text.hpp"
#include "sqler/error.hpp"

namespace sqler::detail::sqlite {


inline std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

// The CREATE TABLE text of `table`, empty when there is no such table.
inline std::string table_sql_of(connection& c, std::string_view table) {
  auto st = c.acquire_oneoff(sqlite_dialect::table_definition);
  st->bind_text(1, table);
  return st->step() ? std::string(st->column_text(0)) : std::string();
}

struct column_info {
  std::string name;
  bool generated = false;
};

inline std::vector<column_info> table_columns(connection& c, std::string_view table) {
  std::vector<column_info> out;
  auto st = c.acquire_oneoff(sqlite_dialect::table_columns);
  st->bind_text(1, table);
  while (st->step()) out.push_back({std::string(st->column_text(0)), st->column_int64(1) != 0});
  return out;
}

// Where " AUTOINCREMENT" goes in a CREATE TABLE whose _id is `INTEGER PRIMARY KEY` (the rowid
// alias): just after KEY. npos when _id is declared any other way.
inline std::size_t autoincrement_insert_point(std::string_view sql) {
  const std::string low = lowercase(sql);
  auto skip_blanks = [&](std::size_t p) {
    while (p < low.size() && std::isspace(static_cast<unsigned char>(low[p]))) ++p;
    return p;
  };
  for (std::size_t at = low.find("_id"); at != std::string::npos; at = low.find("_id", at + 1)) {
    // The column name, bare or quoted, right after '(' or ',' (and blanks).
    std::size_t before = at;
    if (before > 0 && (low[before - 1] == '"' || low[before - 1] == '`' || low[before - 1] == '['))
      --before;
    std::size_t q = before;
    while (q > 0 && std::isspace(static_cast<unsigned char>(low[q - 1]))) --q;
    if (q == 0 || (low[q - 1] != '(' && low[q - 1] != ',')) continue;
    std::size_t p = at + 3;
    if (before != at) ++p;  // the closing quote
    for (std::string_view word : {"integer", "primary", "key"}) {
      p = skip_blanks(p);
      if (low.compare(p, word.size(), word) != 0) return std::string::npos;
      p += word.size();
    }
    return p;
  }
  return std::string::npos;
}

// The AUTOINCREMENT high-water mark of `table` (0 when it has none yet).
inline std::int64_t autoincrement_sequence(connection& c, std::string_view table) {
  if (!table_exists(c, sqlite_dialect::sequence_table)) return 0;
  auto st = c.acquire_oneoff(sqlite_dialect::autoincrement_sequence);
  st->bind_text(1, table);
  return st->step() ? st->column_int64(0) : 0;
}

// Recreates `table` from `definition` (a CREATE TABLE text from its '(' on), keeping every row
// (ids, versions, data and any other stored columns; generated columns are recomputed), its
// indexes, its triggers and its AUTOINCREMENT high-water mark (ids of deleted documents stay
// used). The caller holds a transaction (in_rebuild_transaction).
inline void rebuild_table(connection& c, std::string_view table, std::string_view definition) {
  const std::string temp = str_cat({table, "__sqler_rebuild"});
  const std::string create = sqlite_dialect::create_table_as(temp, definition);

  std::string columns;
  for (const auto& col : table_columns(c, table)) {
    if (col.generated) continue;  // recomputed by the new table
    if (!columns.empty()) columns += ", ";
    columns += quote_name(col.name);
  }
  // Indexes and triggers go with the old table; their text recreates them on the new one.
  std::vector<std::string> dependents;
  {
    auto st = c.acquire_oneoff(sqlite_dialect::table_dependents);
    st->bind_text(1, table);
    while (st->step()) dependents.emplace_back(st->column_text(0));
  }
  const std::int64_t sequence = autoincrement_sequence(c, table);
  // Triggers on the table reference it by name; renaming the copy back must not rewrite them.
  c.exec(sqlite_dialect::legacy_alter_on);
  struct restore_alter {
    connection& c;
    ~restore_alter() {
      try {
        c.exec(sqlite_dialect::legacy_alter_off);
      } catch (...) {
      }
    }
  } restore{c};
  c.exec(create);
  c.exec(sqlite_dialect::copy_rows(table, temp, columns));
  c.exec(sqlite_dialect::drop_table(table));
  c.exec(sqlite_dialect::rename_table(temp, table));
  for (const auto& sql : dependents) c.exec(sql);
  if (sequence > autoincrement_sequence(c, table)) {
    // Dropping the table dropped its sqlite_sequence row; the copy only knows the ids it holds.
    for (std::string_view sql :
         {sqlite_dialect::raise_sequence, sqlite_dialect::insert_sequence}) {
      auto st = c.acquire_oneoff(sql);
      st->bind_text(1, table);
      st->bind(2, sequence);
      st->step();
    }
  }
}

// Rebuilds `table` with `_id INTEGER PRIMARY KEY AUTOINCREMENT`, keeping every row (ids,
// versions, data and any other stored columns), its indexes and triggers; SQLite cannot ALTER a
// table into AUTOINCREMENT (https://sqlite.org/lang_altertable.html, "other kinds of changes").
// Runs in one transaction; the caller has checked that the table needs it.
inline void rebuild_with_autoincrement(connection& c, std::string_view table,
                                       const std::string& old_sql) {
  const std::size_t insert_at = autoincrement_insert_point(old_sql);
  if (insert_at == std::string::npos)
    throw schema_error(
        str_cat({"sqler: table \"", table,
                 "\" declares _id other than as `_id INTEGER PRIMARY KEY`; sqler needs that "
                 "rowid alias to keep ids unique for the table's lifetime. Migrate the table to "
                 "`_id INTEGER PRIMARY KEY AUTOINCREMENT` first"}),
        old_sql);
  const std::size_t open = old_sql.find('(');
  const std::string_view old = old_sql;
  rebuild_table(c, table,
                str_cat({old.substr(open, insert_at - open), " AUTOINCREMENT",
                         old.substr(insert_at)}));
}

// Another table's FOREIGN KEY points at `table`: dropping it during a rebuild would run that
// constraint's actions (ON DELETE CASCADE would delete the children).
inline bool is_fk_target(connection& c, std::string_view table) {
  auto st = c.acquire_oneoff(sqlite_dialect::is_foreign_key_target);
  st->bind_text(1, table);
  return st->step();
}

// Runs `body` (which may rebuild `table`) in one transaction, with foreign keys switched off
// around it when they are on (dropping a table that FOREIGN KEYs point at would run their ON
// DELETE actions), and checks afterwards that no FOREIGN KEY broke. `why` names the upgrade in
// the error raised when it cannot switch them off (inside a caller's transaction).
template <class Body>
void in_rebuild_transaction(connection& c, std::string_view table, std::string_view why,
                            Body&& body) {
  // PRAGMA foreign_keys is a no-op inside a transaction, so it is switched off around it.
  bool fk_was_on = false;
  {
    auto st = c.acquire_oneoff(sqlite_dialect::foreign_keys_state);
    fk_was_on = st->step() && st->column_int64(0) != 0;
  }
  const bool can_switch_fk = c.autocommit() && c.transaction_depth() == 0;
  if (fk_was_on && !can_switch_fk && is_fk_target(c, table))
    throw schema_error(str_cat({"sqler: table \"", table, "\" needs a one-time upgrade (", why,
                                ") and other tables have FOREIGN KEYs into it: open this "
                                "collection once outside a transaction"}));
  if (fk_was_on && can_switch_fk) c.exec(sqlite_dialect::foreign_keys_off);
  struct restore_fk {
    connection& c;
    bool on;
    ~restore_fk() {
      if (!on) return;
      try {
        c.exec(sqlite_dialect::foreign_keys_on);
      } catch (...) {
      }
    }
  } restore{c, fk_was_on && can_switch_fk};

  transaction_scope tx(c);
  body();
  if (fk_was_on && can_switch_fk) {
    auto st = c.acquire_oneoff(sqlite_dialect::foreign_key_check);
    if (st->step())
      throw constraint_error(SQLITE_CONSTRAINT_FOREIGNKEY,
                             str_cat({"sqler: upgrading table \"", table,
                                      "\" would break a FOREIGN KEY; nothing was changed"}));
  }
  tx.commit();
}

// Brings an existing table up to the layout sqler needs, keeping every row: adds `_version` to
// a table made by another tool, and AUTOINCREMENT to one made without it (sqler 0.1), so ids of
// deleted documents are never handed out again. A read-only database is read as it is.
inline void upgrade_table(connection& c, std::string_view table, const std::string& sql) {
  const std::string low = lowercase(sql);
  if (low.find("autoincrement") != std::string::npos && low.find("_version") != std::string::npos)
    return;  // the usual case: nothing to do, decided without another query
  if (c.read_only()) return;

  in_rebuild_transaction(c, table, "AUTOINCREMENT ids", [&] {
    // Re-read under the write lock: another connection may have upgraded it meanwhile.
    std::string current = table_sql_of(c, table);
    bool has_version = false;
    for (const auto& col : table_columns(c, table))
      if (col.name == "_version") has_version = true;
    if (!has_version) {
      c.exec(sqlite_dialect::add_version_column(table));
      current = table_sql_of(c, table);
    }
    if (lowercase(current).find("autoincrement") == std::string::npos)
      rebuild_with_autoincrement(c, table, current);
  });
}

// ---- promoted columns whose kind (VIRTUAL or STORED) an existing table does not have yet

// The kind of column `name` of `table`: -1 when there is none, else pragma_table_xinfo's
// `hidden` (0 an ordinary column, 2 VIRTUAL generated, 3 STORED generated).
inline int column_kind(connection& c, std::string_view table, std::string_view name) {
  auto st = c.acquire_oneoff(sqlite_dialect::column_kind);
  st->bind_text(1, table);
  st->bind_text(2, name);
  return st->step() ? static_cast<int>(st->column_int64(0)) : -1;
}

// A promoted column as the type declares it (`ddl`) and as the other kind (`other_ddl`): the
// exact text sqler writes either way, which is how it finds the column in the table's text.
struct promoted_change {
  std::string_view column, ddl, other_ddl;
};

// Gives `table` the promoted columns in `changes` as declared, in one rebuild: a column of the
// other kind is respelled, a missing one appended (SQLite cannot ALTER TABLE ADD a STORED
// column, nor change a column's kind). Rows, ids, versions, indexes and triggers are kept.
inline void rebuild_promoted(connection& c, std::string_view table,
                             const std::vector<promoted_change>& changes) {
  in_rebuild_transaction(c, table, "STORED promoted columns", [&] {
    std::string sql = table_sql_of(c, table);  // under the write lock: another connection may
    bool changed = false;                      // have rebuilt it meanwhile
    for (const auto& ch : changes) {
      if (sql.find(ch.ddl) != std::string::npos) continue;
      if (const auto at = sql.find(ch.other_ddl); at != std::string::npos) {
        sql.replace(at, ch.other_ddl.size(), ch.ddl);
        changed = true;
      } else if (column_kind(c, table, ch.column) < 0) {
        sql = sqlite_dialect::with_column(sql, ch.ddl);
        changed = true;
      } else {
        throw schema_error(str_cat({"sqler: table \"", table, "\" has a column \"", ch.column,
                                    "\" that sqler did not write as the promoted member's "
                                    "column, so it cannot make it ",
                                    ch.ddl,
                                    ". Drop or rename that column (a migration step), then "
                                    "reopen"}),
                           sql);
      }
    }
    if (changed) rebuild_table(c, table, std::string_view(sql).substr(sql.find('(')));
  });
}

}  // namespace sqler::detail::sqlite
