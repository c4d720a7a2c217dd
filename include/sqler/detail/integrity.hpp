// sqler/detail/integrity.hpp - finding the documents that refer to others, and deleting under
// a policy (restrict, set_null, cascade), for any backend: the connection's dialect spells the
// searches (json_tree on SQLite). The caller holds a transaction; on any error nothing changes.
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
#include "sqler/detail/catalog.hpp"
#include "sqler/detail/text.hpp"
#include "sqler/error.hpp"
#include "sqler/integrity.hpp"

namespace sqler::detail {

// An enum holds any value of its underlying type: one that names no policy is refused rather
// than treated as "no check".
inline void check_policy(on_referenced p) {
  if (p != on_referenced::restrict && p != on_referenced::cascade && p != on_referenced::set_null)
    throw usage_error(str_cat({"sqler: remove(): ", std::to_string(static_cast<int>(p)),
                               " is not a sqler::on_referenced policy"}));
}

// A ref found into `target_id` of the table that was searched.
struct ref_hit {
  referrer from;
  std::int64_t target_id = 0;
};

// Every ref into one of `ids` of table `target`: one scan per table registered as referring
// to `target`. The instr() test on the text sqler writes for such a ref (with the id when
// there is only one) skips the documents that cannot hold one before json_tree walks the rest.
template <class C>
std::vector<ref_hit> find_referrers(C& c, std::string_view target,
                                    const std::vector<std::int64_t>& ids) {
  using D = typename C::dialect;
  std::vector<ref_hit> out;
  if (ids.empty()) return out;
  std::string needle = "{\"_table\":";
  encode(std::string(target), needle);
  needle += ",\"_id\":";
  if (ids.size() == 1) {
    needle += std::to_string(ids.front());
    needle += '}';
  }
  std::string list;
  encode(ids, list);
  for (const std::string& table : referring_tables(c, target)) {
    if (!table_exists(c, table)) continue;
    auto st = c.acquire_oneoff(D::find_refs(table));
    st->bind_text(1, needle);
    st->bind_text(2, target);
    st->bind_text(3, list);
    while (st->step())
      out.push_back({{table, st->column_int64(0), D::member_path(st->column_text(1))},
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
template <class C>
std::vector<referrer> outside_referrers(C& c, const std::set<doc_key>& docs,
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

template <class C>
void delete_rows(C& c, const std::set<doc_key>& docs) {
  for (const auto& [table, ids] : by_table(docs)) {
    std::string list;
    encode(ids, list);
    auto st = c.acquire_oneoff(C::dialect::delete_ids(table));
    st->bind_text(1, list);
    st->step();
  }
}

// Nulls each listed ref: one UPDATE per referring document, bumping its _version once.
template <class C>
void null_refs(C& c, const std::vector<referrer>& refs) {
  using D = typename C::dialect;
  std::map<doc_key, std::vector<std::string>> by_doc;
  for (const auto& r : refs) by_doc[{r.collection, r.id}].push_back(D::json_path(r.path));
  for (const auto& [doc, paths] : by_doc) {
    auto st = c.acquire_oneoff(D::null_paths(doc.first, paths.size()));
    st->bind(1, doc.second);
    for (std::size_t i = 0; i < paths.size(); ++i)
      st->bind_text(static_cast<int>(i + 2), paths[i]);
    st->step();
  }
}

// Removes the existing documents `ids` of `table` under `policy`; the caller holds a
// transaction. Returns how many documents of `table` were removed.
template <class C>
std::int64_t remove_with_policy(C& c, std::string_view table, const std::vector<std::int64_t>& ids,
                                on_referenced policy) {
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
                                "; set_null could not rewrite these refs (the database cannot "
                                "address their JSON path); nothing was changed");
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
template <class C>
std::vector<std::string> document_tables(C& c) {
  std::vector<std::string> out;
  auto st = c.acquire_oneoff(C::dialect::document_tables);
  while (st->step()) out.emplace_back(st->column_text(0));
  return out;
}

template <class C>
std::vector<dangling_reference> validate_references(C& c) {
  using D = typename C::dialect;
  std::vector<dangling_reference> refs;  // every ref, then filtered to the dangling ones
  const auto tables = document_tables(c);
  for (const auto& table : tables) {
    auto st = c.acquire_oneoff(D::all_refs(table));
    while (st->step())
      refs.push_back({table, st->column_int64(0), D::member_path(st->column_text(1)),
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
    auto st = c.acquire_oneoff(D::existing_ids(target));
    st->bind_text(1, list);
    while (st->step()) found.insert(st->column_int64(0));
  }
  std::erase_if(refs, [&](const dangling_reference& r) {
    return present[r.target_collection].count(r.target_id) != 0;
  });
  return refs;
}

}  // namespace sqler::detail
