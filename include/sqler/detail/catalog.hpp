// sqler/detail/catalog.hpp - sqler's own tables, for any backend.
// sqler_tables records which C++ type owns each table (billing::Tag and blog::Tag both default
// to "Tag" and would read each other's documents); sqler_refs which tables may hold refs into
// which (delete policies search only those). C is a backend connection; its dialect spells the
// SQL.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sqler/detail/text.hpp"
#include "sqler/error.hpp"

namespace sqler::detail {

template <class C>
bool table_exists(C& c, std::string_view table) {
  auto st = c.acquire_oneoff(C::dialect::table_exists);
  st->bind_text(1, table);
  return st->step();
}

// Creates sqler's tables; a read-only database that lacks them simply has nothing recorded.
template <class C>
void ensure_catalog(C& c) {
  if (c.read_only()) return;
  c.exec(C::dialect::create_refs_table);
  c.exec(C::dialect::create_tables_table);
}

// The recorded owner of `table`, empty when none (or when there is no sqler_tables: a
// read-only database made before it existed).
template <class C>
std::string table_owner(C& c, std::string_view table) {
  if (!table_exists(c, "sqler_tables")) return {};
  auto st = c.acquire_oneoff(C::dialect::table_owner);
  st->bind_text(1, table);
  return st->step() ? std::string(st->column_text(0)) : std::string();
}

template <class C>
void set_table_owner(C& c, std::string_view table, std::string_view type) {
  auto st = c.acquire_oneoff(C::dialect::set_table_owner);
  st->bind_text(1, table);
  st->bind_text(2, type);
  st->step();
}

// Records `type` as the owner of `table`, or checks that it is. `shared`: the type declared
// that it shares its table (sqler::shares_table), so another owner is fine.
template <class C>
void claim_table(C& c, std::string_view table, std::string_view type, bool shared) {
  const std::string owner = table_owner(c, table);
  if (owner == type) return;
  if (!owner.empty()) {
    if (shared) return;
    throw schema_error(
        str_cat({"sqler: table \"", table, "\" holds documents of type ", owner, ", not ", type,
        ": two types would read each other's documents. Give one of them its own table "
        "(`static constexpr std::string_view sqler_table = \"...\";` or "
        "sqler::table_name_of<T>), or, if they really share it, declare `static constexpr "
        "bool sqler_shared_table = true;` (sqler::shares_table<T>). After renaming the type or "
        "its namespace, record the new owner with a migration step: m.adopt_table<T>()"}));
  }
  if (c.read_only()) return;  // nothing can be recorded
  set_table_owner(c, table, type);
}

// Records that documents of `from` may hold refs into the `to` tables; writes only what is new,
// so opening a collection of a read-only database that is already registered writes nothing.
template <class C>
void register_refs(C& c, std::string_view from, const std::vector<std::string_view>& to) {
  // A read-only database made before sqler_refs existed has nowhere to record anything.
  if (to.empty() || !table_exists(c, "sqler_refs")) return;
  for (std::string_view t : to) {
    auto st = c.acquire_oneoff(C::dialect::has_ref_registration);
    st->bind_text(1, from);
    st->bind_text(2, t);
    if (st->step()) continue;
    st.release();
    auto ins = c.acquire_oneoff(C::dialect::register_ref);
    ins->bind_text(1, from);
    ins->bind_text(2, t);
    ins->step();
  }
}

template <class C>
struct refs_into_shape {
  static constexpr std::string_view sql = C::dialect::refs_into;
};

// The tables registered as able to hold refs into `target` (sqler_refs must exist).
template <class C>
std::vector<std::string> referring_tables(C& c, std::string_view target) {
  std::vector<std::string> out;
  auto st = c.template acquire<refs_into_shape<C>>();
  st->bind_text(1, target);
  while (st->step()) out.emplace_back(st->column_text(0));
  return out;
}

}  // namespace sqler::detail
