// sqler/integrity.hpp - what refers to a document, and what to do about it on delete.
//
// Every collection records in `sqler_refs` which tables its documents can reference (known at
// compile time from its sqler::ref<X> members, however deeply nested). Removing documents
// (collection::remove(id), query::remove()) looks for referrers only in the tables registered
// as referring to their table, with json_tree, so refs inside arrays and sub-objects are found
// too; documents removed together never block each other. The policies:
//   restrict  (default) throw sqler::referential_error naming the referrers; nothing changes
//   set_null  rewrite every referring ref to null (array slots stay, as null)
//   cascade   delete the referrers too, recursively; terminates on cycles
// Each runs in one transaction: on any error, nothing changes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sqler/codec.hpp"
#include "sqler/error.hpp"
#include "sqler/detail/table_upgrade.hpp"
#include "sqler/sqlite.hpp"

namespace sqler {

enum class on_referenced { restrict, cascade, set_null };

namespace detail {
// An enum holds any value of its underlying type: one that names no policy is refused rather
// than treated as "no check".
inline void check_policy(on_referenced p) {
  if (p != on_referenced::restrict && p != on_referenced::cascade && p != on_referenced::set_null)
    throw usage_error("sqler: remove(): " + std::to_string(static_cast<int>(p)) +
                      " is not a sqler::on_referenced policy");
}
}  // namespace detail

// A document holding a ref: its collection, _id and the ref's path in it ("friends[1]").
struct referrer {
  std::string collection;
  std::int64_t id = 0;
  std::string path;
  friend bool operator==(const referrer&, const referrer&) = default;
};

// A ref whose target does not exist, as found by database::validate_references().
struct dangling_reference {
  std::string collection;  // where the ref is stored
  std::int64_t id = 0;     // the _id of the document holding it
  std::string path;        // e.g. "address", "friends[1]", "orders[0].product"
  std::string target_collection;
  std::int64_t target_id = 0;
  friend bool operator==(const dangling_reference&, const dangling_reference&) = default;
};

// remove(id) with on_referenced::restrict found documents still referring to the target.
class referential_error : public constraint_error {
 public:
  referential_error(std::string_view table, std::int64_t id, std::vector<referrer> referrers,
                    std::string_view hint = "; remove them first or pass "
                                            "sqler::on_referenced::cascade or ::set_null")
      : constraint_error(SQLITE_CONSTRAINT_FOREIGNKEY, describe(table, id, referrers, hint)),
        referrers_(std::move(referrers)) {}
  const std::vector<referrer>& referrers() const noexcept { return referrers_; }

 private:
  static std::string describe(std::string_view table, std::int64_t id,
                              const std::vector<referrer>& rs, std::string_view hint) {
    std::string msg = "sqler: cannot remove _id " + std::to_string(id) + " from \"" +
                      std::string(table) + "\": still referenced by";
    std::size_t shown = 0;
    for (const auto& r : rs) {
      if (shown++ == 8) {
        msg += " and " + std::to_string(rs.size() - 8) + " more";
        break;
      }
      msg += (shown == 1 ? " " : ", ") + r.collection + " _id " + std::to_string(r.id) + " (" +
             r.path + ")";
    }
    msg += hint;
    return msg;
  }
  std::vector<referrer> referrers_;
};

namespace detail {

inline constexpr std::string_view refs_table_sql =
    "CREATE TABLE IF NOT EXISTS sqler_refs (from_table TEXT NOT NULL, to_table TEXT NOT NULL, "
    "PRIMARY KEY (from_table, to_table)) WITHOUT ROWID";

// "$.friends[1]" -> "friends[1]". SQLite quotes every key that is not purely alphanumeric
// ("$.\"home_address\""), so the quotes come off keys made only of identifier characters,
// which are all C++ member names; other keys (map keys such as "a.b") keep theirs. Either
// spelling is still a valid JSON path after "$." for set_null.
inline std::string member_path(std::string_view full_key) {
  if (full_key.starts_with("$.")) full_key.remove_prefix(2);
  else if (full_key.starts_with("$")) full_key.remove_prefix(1);
  auto ident = [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_';
  };
  std::string out;
  out.reserve(full_key.size());
  for (std::size_t i = 0; i < full_key.size();) {
    if (full_key[i] != '"') {
      out.push_back(full_key[i++]);
      continue;
    }
    std::size_t end = i + 1;  // the closing quote; a key's own quotes are backslash-escaped
    while (end < full_key.size() && full_key[end] != '"') end += full_key[end] == '\\' ? 2 : 1;
    end = std::min(end, full_key.size() - 1);
    const std::string_view key = full_key.substr(i + 1, end - i - 1);
    if (!key.empty() && std::all_of(key.begin(), key.end(), ident)) out += key;
    else out += full_key.substr(i, end - i + 1);
    i = end + 1;
  }
  return out;
}


// Records that documents of `from` may hold refs into the `to` tables; writes only what is new,
// so opening a collection of a read-only database that is already registered writes nothing.
inline void register_refs(connection& c, std::string_view from,
                          const std::vector<std::string_view>& to) {
  // A read-only database made before sqler_refs existed has nowhere to record anything.
  if (to.empty() || !table_exists(c, "sqler_refs")) return;
  for (std::string_view t : to) {
    auto st = c.acquire_oneoff(
        "SELECT 1 FROM sqler_refs WHERE from_table = ?1 AND to_table = ?2");
    st->bind_text(1, from);
    st->bind_text(2, t);
    if (st->step()) continue;
    st.release();
    auto ins = c.acquire_oneoff(
        "INSERT OR IGNORE INTO sqler_refs (from_table, to_table) VALUES (?1, ?2)");
    ins->bind_text(1, from);
    ins->bind_text(2, t);
    ins->step();
  }
}

struct refs_to_shape {
  static constexpr std::string_view sql =
      "SELECT from_table FROM sqler_refs WHERE to_table = ?1 ORDER BY from_table";
};

// The tables registered as able to hold refs into `target` (sqler_refs must exist).
inline std::vector<std::string> referring_tables(connection& c, std::string_view target) {
  std::vector<std::string> out;
  auto st = c.acquire<refs_to_shape>();
  st->bind_text(1, target);
  while (st->step()) out.emplace_back(st->column_text(0));
  return out;
}

// A ref found into `target_id` of the table that was searched.
struct ref_hit {
  referrer from;
  std::int64_t target_id = 0;
};

// Every ref into one of `ids` of table `target`: one scan per table registered as referring
// to `target`. The instr() test on the text sqler writes for such a ref (with the id when
// there is only one) skips the documents that cannot hold one before json_tree walks the rest.
inline std::vector<ref_hit> find_referrers(connection& c, std::string_view target,
                                           const std::vector<std::int64_t>& ids) {
  std::vector<ref_hit> out;
  if (ids.empty()) return out;
  std::string needle = "{\"_table\":";
  encode(std::string(target), needle);
  needle += ",\"_id\":";
  if (ids.size() == 1) needle += std::to_string(ids.front()) + "}";
  std::string list;
  encode(ids, list);
  for (const std::string& table : referring_tables(c, target)) {
    if (!table_exists(c, table)) continue;
    auto st = c.acquire_oneoff(
        "SELECT t._id, j.fullkey, json_extract(j.value, '$._id') FROM " + quote_name(table) +
        " AS t, json_tree(t.data) AS j WHERE instr(t.data, ?1) > 0 AND j.type = 'object' AND "
        "json_extract(j.value, '$._table') = ?2 AND json_extract(j.value, '$._id') IN "
        "(SELECT value FROM json_each(?3)) ORDER BY t._id, j.id");
    st->bind_text(1, needle);
    st->bind_text(2, target);
    st->bind_text(3, list);
    while (st->step())
      out.push_back({{table, st->column_int64(0), member_path(st->column_text(1))},
                     st->column_int64(2)});
  }
  return out;
}

using doc_key = std::pair<std::string, std::int64_t>;

inline std::map<std::string, std::vector<std::int64_t>> by_table(const std::set<doc_key>& docs) {
  std::map<std::string, std::vector<std::int64_t>> out;
  for (const auto& [table, id] : docs) out[table].push_back(id);
  return out;
}

// The refs into `docs` held by documents outside `docs`: removing documents together is not
// blocked by refs among themselves (or by a document referring to itself). `blocked` is set
// to the first document that has such a ref.
inline std::vector<referrer> outside_referrers(connection& c, const std::set<doc_key>& docs,
                                               doc_key* blocked = nullptr) {
  std::vector<referrer> out;
  for (const auto& [table, ids] : by_table(docs))
    for (auto& hit : find_referrers(c, table, ids))
      if (docs.count({hit.from.collection, hit.from.id}) == 0) {
        if (blocked != nullptr && out.empty()) *blocked = {table, hit.target_id};
        out.push_back(std::move(hit.from));
      }
  return out;
}

inline void delete_rows(connection& c, const std::set<doc_key>& docs) {
  for (const auto& [table, ids] : by_table(docs)) {
    std::string list;
    encode(ids, list);
    auto st = c.acquire_oneoff("DELETE FROM " + quote_name(table) +
                               " WHERE _id IN (SELECT value FROM json_each(?1))");
    st->bind_text(1, list);
    st->step();
  }
}

// Nulls each listed ref: one UPDATE per referring document, bumping its _version once.
inline void null_refs(connection& c, const std::vector<referrer>& refs) {
  std::map<doc_key, std::vector<std::string>> by_doc;
  for (const auto& r : refs) by_doc[{r.collection, r.id}].push_back("$." + r.path);
  for (const auto& [doc, paths] : by_doc) {
    std::string sql = "UPDATE " + quote_name(doc.first) + " SET data = json_set(data";
    for (std::size_t i = 0; i < paths.size(); ++i)
      sql += ", ?" + std::to_string(i + 2) + ", json('null')";
    sql += "), _version = _version + 1 WHERE _id = ?1";
    auto st = c.acquire_oneoff(sql);
    st->bind(1, doc.second);
    for (std::size_t i = 0; i < paths.size(); ++i)
      st->bind_text(static_cast<int>(i + 2), paths[i]);
    st->step();
  }
}

// Removes the existing documents `ids` of `table` under `policy`; the caller holds a
// transaction. Returns how many documents of `table` were removed.
inline std::int64_t remove_with_policy(connection& c, std::string_view table,
                                       const std::vector<std::int64_t>& ids, on_referenced policy) {
  std::set<doc_key> doomed;
  for (std::int64_t id : ids) doomed.insert({std::string(table), id});
  if (doomed.empty()) return 0;
  const auto removed = static_cast<std::int64_t>(doomed.size());
  doc_key blocked;
  switch (policy) {
    case on_referenced::restrict: {
      auto refs = outside_referrers(c, doomed, &blocked);
      if (!refs.empty()) throw referential_error(blocked.first, blocked.second, std::move(refs));
      break;
    }
    case on_referenced::set_null: {
      auto refs = outside_referrers(c, doomed);
      if (refs.empty()) break;
      null_refs(c, refs);
      // json_set silently skips a path it cannot address (SQLite 3.40: a map key holding a
      // double quote); such a ref would be left dangling, so check and undo instead.
      refs = outside_referrers(c, doomed, &blocked);
      if (!refs.empty())
        throw referential_error(blocked.first, blocked.second, std::move(refs),
                                "; set_null could not rewrite these refs (SQLite cannot address "
                                "their JSON path); nothing was changed");
      break;
    }
    case on_referenced::cascade: {
      // Breadth-first, one scan per referring table per level; `doomed` doubles as the
      // visited set, so a cycle (A -> B -> A) stops where it closes.
      std::set<doc_key> frontier = doomed;
      while (!frontier.empty()) {
        std::set<doc_key> next;
        for (const auto& [t, tids] : by_table(frontier))
          for (auto& hit : find_referrers(c, t, tids))
            if (doomed.insert({hit.from.collection, hit.from.id}).second)
              next.insert({hit.from.collection, hit.from.id});
        frontier = std::move(next);
      }
      break;
    }
  }
  delete_rows(c, doomed);
  return removed;
}

// Every table with the shape of a sqler collection.
inline std::vector<std::string> document_tables(connection& c) {
  std::vector<std::string> out;
  auto st = c.acquire_oneoff(
      "SELECT m.name FROM sqlite_master AS m WHERE m.type = 'table' AND (SELECT COUNT(*) FROM "
      "pragma_table_info(m.name) AS p WHERE p.name IN ('_id', '_version', 'data')) = 3 "
      "ORDER BY m.name");
  while (st->step()) out.emplace_back(st->column_text(0));
  return out;
}

inline std::vector<dangling_reference> validate_references(connection& c) {
  std::vector<dangling_reference> refs;  // every ref, then filtered to the dangling ones
  const auto tables = document_tables(c);
  for (const auto& table : tables) {
    auto st = c.acquire_oneoff(
        "SELECT t._id, j.fullkey, json_extract(j.value, '$._table'), "
        "json_extract(j.value, '$._id') FROM " + quote_name(table) +
        " AS t, json_tree(t.data) AS j WHERE instr(t.data, '\"_table\"') > 0 AND "
        "j.type = 'object' AND json_type(j.value, '$._table') = 'text' AND "
        "json_type(j.value, '$._id') = 'integer' ORDER BY t._id, j.id");
    while (st->step())
      refs.push_back({table, st->column_int64(0), member_path(st->column_text(1)),
                      std::string(st->column_text(2)), st->column_int64(3)});
  }
  // One lookup per target table for all the ids referring into it.
  std::map<std::string, std::set<std::int64_t>> present;
  std::map<std::string, std::vector<std::int64_t>> wanted;
  for (const auto& r : refs) wanted[r.target_collection].push_back(r.target_id);
  for (auto& [target, ids] : wanted) {
    auto& found = present[target];
    if (std::find(tables.begin(), tables.end(), target) == tables.end()) continue;
    std::string list;
    encode(ids, list);
    auto st = c.acquire_oneoff("SELECT _id FROM " + quote_name(target) +
                               " WHERE _id IN (SELECT value FROM json_each(?1))");
    st->bind_text(1, list);
    while (st->step()) found.insert(st->column_int64(0));
  }
  std::erase_if(refs, [&](const dangling_reference& r) {
    return present[r.target_collection].count(r.target_id) != 0;
  });
  return refs;
}

}  // namespace detail
}  // namespace sqler
