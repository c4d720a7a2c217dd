// sqler/migrate.hpp - evolving stored documents with ordered, numbered migration steps.
// db.migrate({{1, "add retries", [](sqler::migration_context& m) { ... }}, ...}) runs each step
// not yet applied once, in its own transaction, recording it in `sqler_migrations`.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sqler/codec.hpp"
#include "sqler/detail/ownership.hpp"
#include "sqler/detail/reflect.hpp"
#include "sqler/detail/table_upgrade.hpp"
#include "sqler/error.hpp"
#include "sqler/sqlite.hpp"
#include "sqler/transaction.hpp"

namespace sqler {

namespace detail {

inline constexpr std::string_view migrations_table_sql =
    "CREATE TABLE IF NOT EXISTS sqler_migrations (version INTEGER PRIMARY KEY, name TEXT NOT "
    "NULL, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))";

// "address.zip" -> "$.address.zip", quoting a key that is not a plain identifier
// ("$.\"a b\""). Keys holding '.', '"' or brackets cannot be named this way.
inline std::string migration_path(std::string_view dotted) {
  if (dotted.empty()) throw usage_error("sqler: migration: an empty member path");
  std::string out = "$";
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = dotted.find('.', start);
    const std::string_view key = dotted.substr(start, dot - start);
    if (key.empty() || key.find_first_of("\"[]\\") != std::string_view::npos)
      throw usage_error("sqler: migration: member path '" + std::string(dotted) +
                        "' has an empty part or a character (\" [ ] \\) it cannot name");
    bool plain = true;
    for (char c : key)
      plain = plain && (is_ascii_ident_char(c) || static_cast<unsigned char>(c) >= 0x80);
    out += '.';
    if (plain) {
      out += key;
    } else {
      out += '"';
      out += key;
      out += '"';
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

}  // namespace detail

// What a migration step can do, inside the step's transaction. Member paths are dotted member
// names ("address.zip"): the member may no longer exist in any struct. Each document a helper
// changes gets its _version bumped, so an optimistic writer holding an older copy fails with
// stale_version instead of writing the old shape back. A collection whose table does not exist
// yet has no documents to change: the helpers then do nothing and return 0.
class migration_context {
 public:
  explicit migration_context(detail::connection& c) : c_(c) {}

  // Moves the member at `from` to `to` in every document that has it (null included).
  std::int64_t rename_member(std::string_view table, std::string_view from, std::string_view to) {
    const std::string f = detail::migration_path(from), t = detail::migration_path(to);
    if (!detail::table_exists(c_, table)) return 0;
    auto st = c_.acquire_oneoff(
        "UPDATE " + detail::quote_name(table) +
        " SET data = json_set(json_remove(data, ?1), ?2, json(data -> ?1)), _version = "
        "_version + 1 WHERE json_type(data, ?1) IS NOT NULL");
    st->bind_text(1, f);
    st->bind_text(2, t);
    st->step();
    return c_.changes();
  }
  template <class T>
  std::int64_t rename_member(std::string_view from, std::string_view to) {
    return rename_member(table_name<T>, from, to);
  }

  // Gives documents that lack the member (not those holding null) `value`, encoded as sqler
  // encodes it: set_default<Job>("retries", 3).
  template <class V>
  std::int64_t set_default(std::string_view table, std::string_view path, const V& value) {
    const std::string p = detail::migration_path(path), json = to_json(value);
    if (!detail::table_exists(c_, table)) return 0;
    auto st = c_.acquire_oneoff("UPDATE " + detail::quote_name(table) +
                                " SET data = json_set(data, ?1, json(?2)), _version = _version "
                                "+ 1 WHERE json_type(data, ?1) IS NULL");
    st->bind_text(1, p);
    st->bind_text(2, json);
    st->step();
    return c_.changes();
  }
  template <class T, class V>
  std::int64_t set_default(std::string_view path, const V& value) {
    return set_default(table_name<T>, path, value);
  }

  // Removes the member from every document that has it.
  std::int64_t remove_member(std::string_view table, std::string_view path) {
    const std::string p = detail::migration_path(path);
    if (!detail::table_exists(c_, table)) return 0;
    auto st = c_.acquire_oneoff("UPDATE " + detail::quote_name(table) +
                                " SET data = json_remove(data, ?1), _version = _version + 1 "
                                "WHERE json_type(data, ?1) IS NOT NULL");
    st->bind_text(1, p);
    st->step();
    return c_.changes();
  }
  template <class T>
  std::int64_t remove_member(std::string_view path) {
    return remove_member(table_name<T>, path);
  }

  // Records T as the owner of its table, e.g. after moving the type to another namespace
  // (sqler refuses to open a table that another type owns).
  template <class T>
  void adopt_table() {
    detail::set_table_owner(c_, table_name<T>, detail::canonical_type_name_holder<T>::value);
  }

  // Any SQL: with parameters one statement, without them a script.
  template <class... P>
  std::int64_t execute(std::string_view sql, const P&... params) {
    if constexpr (sizeof...(P) == 0) {
      c_.exec(sql);
    } else {
      auto st = c_.acquire_oneoff(sql);
      st->require_single_statement();
      detail::bind_all(*st, params...);
      while (st->step()) {
      }
    }
    return c_.changes();
  }

 private:
  detail::connection& c_;
};

// One step: a version number (steps run in increasing order, each once), a name recorded with
// it, and what it does.
struct migration {
  std::int64_t version = 0;
  std::string name;
  std::function<void(migration_context&)> run;
};

namespace detail {

// Applies the steps of `steps` newer than the recorded version, each in its own transaction;
// a step that throws is rolled back, leaves the version where it was, and its error
// propagates. Returns how many steps ran.
inline std::int64_t run_migrations(connection& c, const std::vector<migration>& steps) {
  for (std::size_t i = 1; i < steps.size(); ++i)
    if (steps[i].version <= steps[i - 1].version)
      throw usage_error("sqler: migrate(): step versions must increase (" +
                        std::to_string(steps[i - 1].version) + " is followed by " +
                        std::to_string(steps[i].version) + ")");
  c.exec(migrations_table_sql);
  std::int64_t ran = 0;
  for (const auto& step : steps) {
    if (step.version < 1) throw usage_error("sqler: migrate(): versions start at 1");
    transaction tx(c);
    // Read inside the transaction: two processes migrating at once apply each step once.
    {
      auto st = c.acquire_oneoff("SELECT name FROM sqler_migrations WHERE version = ?1");
      st->bind(1, step.version);
      if (st->step()) {
        if (st->column_text(0) != step.name)
          throw schema_error("sqler: migrate(): version " + std::to_string(step.version) +
                             " was applied as \"" + std::string(st->column_text(0)) +
                             "\", but the code now calls it \"" + step.name +
                             "\": a step that has run must not change");
        continue;  // tx rolls back: nothing was written
      }
    }
    migration_context m(c);
    if (step.run) step.run(m);
    auto rec = c.acquire_oneoff("INSERT INTO sqler_migrations (version, name) VALUES (?1, ?2)");
    rec->bind(1, step.version);
    rec->bind_text(2, step.name);
    rec->step();
    rec.release();
    tx.commit();
    ++ran;
  }
  return ran;
}

inline std::int64_t schema_version(connection& c) {
  if (!table_exists(c, "sqler_migrations")) return 0;
  auto st = c.acquire_oneoff("SELECT IFNULL(MAX(version), 0) FROM sqler_migrations");
  st->step();
  return st->column_int64(0);
}

}  // namespace detail
}  // namespace sqler
