// sqler/collection.hpp - sqler::collection<T>: one table of T documents.
// CRUD by _id, find(...) queries and expression indexes. Every fixed operation is a cached
// statement shape, so repeated calls only bind values and step.
#pragma once

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sqler/codec.hpp"
#include "sqler/detail/db_state.hpp"
#include "sqler/detail/fixed_string.hpp"
#include "sqler/detail/ownership.hpp"
#include "sqler/detail/reflect.hpp"
#include "sqler/error.hpp"
#include "sqler/expr.hpp"
#include "sqler/integrity.hpp"
#include "sqler/promoted.hpp"
#include "sqler/query.hpp"
#include "sqler/render.hpp"
#include "sqler/transaction.hpp"

namespace sqler {
namespace detail {

template <class T>
consteval auto table_sql() {
  return quoted_table<T, default_dialect>();
}

#define SQLER_DETAIL_SHAPE(NAME, ...)                                           \
  template <class T>                                                            \
  struct NAME {                                                                 \
    static constexpr auto text = concat(__VA_ARGS__);                           \
    static constexpr std::string_view sql = text.view();                        \
  };

SQLER_DETAIL_SHAPE(create_table_shape, fixed_string{"CREATE TABLE IF NOT EXISTS "}, table_sql<T>(),
                   fixed_string{" (_id INTEGER PRIMARY KEY AUTOINCREMENT, _version INTEGER NOT NULL DEFAULT 1, "
                                "data TEXT NOT NULL CHECK (json_valid(data))"},
                   promoted_ddl<T>(), fixed_string{")"})
SQLER_DETAIL_SHAPE(insert_shape, fixed_string{"INSERT INTO "}, table_sql<T>(),
                   fixed_string{" (data) VALUES (?1)"})
SQLER_DETAIL_SHAPE(get_shape, fixed_string{"SELECT _id, _version, data FROM "}, table_sql<T>(),
                   fixed_string{" WHERE _id = ?1"})
// Saves keep the members the struct does not declare: sqler_merge(stored, new, ?schema).
SQLER_DETAIL_SHAPE(update_shape, fixed_string{"UPDATE "}, table_sql<T>(),
                   fixed_string{" SET data = sqler_merge(data, ?1, ?3), _version = _version + 1 "
                                "WHERE _id = ?2"})
SQLER_DETAIL_SHAPE(update_versioned_shape, fixed_string{"UPDATE "}, table_sql<T>(),
                   fixed_string{" SET data = sqler_merge(data, ?1, ?4), _version = _version + 1 "
                                "WHERE _id = ?2 AND _version = ?3"})
SQLER_DETAIL_SHAPE(upsert_shape, fixed_string{"INSERT INTO "}, table_sql<T>(),
                   fixed_string{" (_id, data) VALUES (?1, ?2) ON CONFLICT (_id) DO UPDATE SET "
                                "data = sqler_merge(data, excluded.data, ?3), _version = "
                                "_version + 1"})
SQLER_DETAIL_SHAPE(remove_shape, fixed_string{"DELETE FROM "}, table_sql<T>(),
                   fixed_string{" WHERE _id = ?1"})
SQLER_DETAIL_SHAPE(size_shape, fixed_string{"SELECT COUNT(*) FROM "}, table_sql<T>())
SQLER_DETAIL_SHAPE(exists_id_shape, fixed_string{"SELECT 1 FROM "}, table_sql<T>(),
                   fixed_string{" WHERE _id = ?1"})
#undef SQLER_DETAIL_SHAPE

template <class T, class... Ops>
struct patch_by_id_shape {
  static constexpr std::size_t id_param = (Ops::params + ...) + 1;
  static constexpr auto text =
      concat(fixed_string{"UPDATE "}, table_sql<T>(), fixed_string{" SET "},
             render_patch_set<default_dialect, 1, Ops...>(), fixed_string{" WHERE _id = "},
             default_dialect::placeholder<id_param>());
  static constexpr std::string_view sql = text.view();
};

// Shapes that fetch one row by key: what an N+1 loop repeats.
template <class T>
struct get_by_id_shape : get_shape<T> {
  static constexpr bool single_row = true;
};

// Index DDL: the indexed expressions are rendered by the same code as query predicates, so
// they are byte-identical and SQLite's planner matches them.
template <class F>
consteval auto index_name_part() {
  constexpr auto path = F::path;  // "$.a.b" -> "a.b"
  fixed_string<path.size - 2> out;
  for (std::size_t i = 0; i + 2 < path.size + 0; ++i) out.data[i] = path.data[i + 2];
  return out;
}

template <class T, bool Unique, class... Fs>
struct index_shape {
  static constexpr auto render() {  // constexpr: clang 14 rejects consteval here
    constexpr auto kind = [] {
      if constexpr (Unique)
        return fixed_string{"CREATE UNIQUE INDEX IF NOT EXISTS \"sqler_ux_"};
      else
        return fixed_string{"CREATE INDEX IF NOT EXISTS \"sqler_ix_"};
    }();
    return concat(kind, to_fixed<table_name_holder<T>>(),
                  concat(fixed_string{"__"}, index_name_part<Fs>())..., fixed_string{"\" ON "},
                  table_sql<T>(), fixed_string{" ("}, index_columns<Fs...>(), fixed_string{")"});
  }
  template <class First, class... Rest>
  static constexpr auto index_columns() {
    return concat(First::template render<default_dialect, 0, 1>(),
                  concat(fixed_string{", "}, Rest::template render<default_dialect, 0, 1>())...);
  }
  static constexpr auto text = render();
  static constexpr std::string_view sql = text.view();
};

template <class T>
const void* type_tag() noexcept {
  static const char tag = 0;
  return &tag;
}

// Records T as visited; false when it already was (reference graphs may have cycles).
template <class T>
bool first_visit(std::vector<const void*>& seen) {
  if (std::find(seen.begin(), seen.end(), type_tag<T>()) != seen.end()) return false;
  seen.push_back(type_tag<T>());
  return true;
}

// Calls f.template operator()<X>() for every sqler::ref<X> a value of type M can hold (in
// members, optionals, arrays, maps, nested structs), without following the refs.
template <class M, class F>
void for_each_ref_target(F& f, std::vector<const void*>& seen) {
  if constexpr (is_ref<M>) {
    f.template operator()<typename M::element_type>();
  } else if constexpr (is_optional<M> || is_vector<M> || is_std_array<M>) {
    for_each_ref_target<typename M::value_type>(f, seen);
  } else if constexpr (is_string_map<M>) {
    for_each_ref_target<typename M::mapped_type>(f, seen);
  } else if constexpr (reflectable<M> && !json_convertible<M>) {
    if (!first_visit<M>(seen)) return;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (for_each_ref_target<member_type<M, I>>(f, seen), ...);
    }(std::make_index_sequence<member_count<M>>{});
  }
}

// Records in sqler_refs which tables documents of X can refer to (for delete policies).
template <class X>
void register_document_refs(connection& c) {
  std::vector<std::string_view> targets;
  std::vector<const void*> seen;
  auto add = [&]<class Y>() {
    constexpr std::string_view t = table_name<Y>;
    if (std::find(targets.begin(), targets.end(), t) == targets.end()) targets.push_back(t);
  };
  for_each_ref_target<X>(add, seen);
  register_refs(c, table_name<X>, targets);
}

// Tables created before a member was promoted get its generated column now. Also run for
// tables reached only through refs: a through<> filter names the target's column unqualified,
// and if the target table lacked it SQLite would resolve it against the outer table instead.
template <class T>
void add_promoted_columns(connection& c) {
  [&]<auto... Ms>(const columns<Ms...>*) {
    (([&] {
       // Static: bind_text binds without copying, so the name must outlive the step.
       static constexpr auto column = promoted_column_name<T, Ms>();
       auto st = c.acquire_oneoff("SELECT 1 FROM pragma_table_xinfo(?1) WHERE name = ?2");
       st->bind_text(1, table_name<T>);
       st->bind_text(2, column.view());
       if (st->step()) return;
       st.release();
       static constexpr auto ddl = promoted_column_ddl<T, Ms>();
       c.exec(std::string("ALTER TABLE ") + quote_name(table_name<T>) + " ADD COLUMN " +
              std::string(ddl.view()));
     }()),
     ...);
  }(static_cast<const promoted<T>*>(nullptr));
}

// Creates (and registers) the table of every document type T can reference, transitively, so
// filters through refs, hydration and delete policies always find a table. `done` holds the
// document types already handled (reference graphs may have cycles).
template <class X>
void prepare_table(connection& c) {
  claim_table(c, table_name<X>, canonical_type_name_holder<X>::value, shares_table<X>::value);
  const std::string existing = table_sql_of(c, table_name<X>);
  if (existing.empty())
    c.exec(create_table_shape<X>::sql);
  else
    upgrade_table(c, table_name<X>, existing);
  if constexpr (promoted_count<X> > 0) add_promoted_columns<X>(c);
  register_document_refs<X>(c);
}

template <class T>
void create_ref_tables(connection& c, std::vector<const void*>& done) {
  std::vector<const void*> seen;
  auto visit = [&]<class X>() {
    if (!first_visit<X>(done)) return;
    prepare_table<X>(c);
    create_ref_tables<X>(c, done);
  };
  for_each_ref_target<T>(visit, seen);
}

}  // namespace detail

template <class T>
class collection {
  static_assert(detail::reflectable<T>,
                "sqler: collection<T>: T must be an aggregate struct (no constructors, base "
                "classes, or private members) and must not be local to a function");

 public:
  using value_type = T;

  explicit collection(std::shared_ptr<detail::db_state> db) : db_(std::move(db)) {
    auto& c = db_->conn();
    ensure_meta_tables(c);
    detail::prepare_table<T>(c);
    std::vector<const void*> done{detail::type_tag<T>()};
    detail::create_ref_tables<T>(c, done);
  }

  static constexpr std::string_view name() noexcept { return table_name<T>; }

  // ---- writes

  std::int64_t insert(const T& doc) {
    auto& c = db_->conn();
    detail::write_turn turn(c);
    auto st = c.template acquire<detail::insert_shape<T>>();
    std::string& buf = encoded(c, doc);
    st->bind_text(1, buf);
    st->step();
    return c.last_insert_rowid();
  }

  // All or nothing: one transaction, one statement, ids in input order.
  template <class Range>
  std::vector<std::int64_t> insert_many(const Range& docs) {
    auto& c = db_->conn();
    std::vector<std::int64_t> ids;
    if constexpr (std::ranges::sized_range<const Range>) ids.reserve(std::ranges::size(docs));
    transaction tx(c);
    auto st = c.template acquire<detail::insert_shape<T>>();
    for (const T& doc : docs) {
      std::string& buf = encoded(c, doc);
      st->bind_text(1, buf);
      st->step();
      st->reset();
      ids.push_back(c.last_insert_rowid());
    }
    st.release();
    tx.commit();
    return ids;
  }

  // Replaces the document; throws sqler::not_found when there is no such _id.
  void update(std::int64_t id, const T& doc) {
    auto& c = db_->conn();
    detail::write_turn turn(c);
    auto st = c.template acquire<detail::update_shape<T>>();
    st->bind_text(1, encoded(c, doc));
    st->bind(2, id);
    bind_schema(*st, 3);
    st->step();
    if (c.changes() == 0) throw not_found(name(), id);
  }

  // Optimistic update: succeeds only if the stored version is still doc.version, then bumps
  // it by one (and doc.version with it). Throws sqler::stale_version otherwise, changing
  // nothing; sqler::not_found if the document is gone. It does not queue behind the other
  // writers: a version read before waiting in line would be stale by its turn, so an
  // optimistic write goes straight to SQLite and fails fast instead.
  void update(versioned<T>& doc) {
    auto& c = db_->conn();
    auto st = c.template acquire<detail::update_versioned_shape<T>>();
    st->bind_text(1, encoded(c, doc.value));
    st->bind(2, doc.id);
    st->bind(3, doc.version);
    bind_schema(*st, 4);
    st->step();
    if (c.changes() == 0) {
      st.release();
      if (!contains(doc.id)) throw not_found(name(), doc.id);
      throw stale_version(name(), doc.id, doc.version);
    }
    ++doc.version;
  }

  // Inserts with this _id, or replaces the document that has it.
  void upsert(std::int64_t id, const T& doc) {
    auto& c = db_->conn();
    detail::write_turn turn(c);
    auto st = c.template acquire<detail::upsert_shape<T>>();
    st->bind(1, id);
    st->bind_text(2, encoded(c, doc));
    bind_schema(*st, 3);
    st->step();
  }

  // Atomic in-place update: patch(id, sqler::set(f, v), sqler::inc(g, 1), sqler::push(a, x)).
  // One UPDATE, bumps _version; throws sqler::not_found when there is no such _id.
  template <class... Ops>
  void patch(std::int64_t id, const Ops&... ops) {
    detail::check_patch_ops<T, Ops...>();
    auto& c = db_->conn();
    detail::write_turn turn(c);
    auto st = c.template acquire<detail::patch_by_id_shape<T, Ops...>>();
    detail::bind_patch_ops(*st, 1, ops...);
    st->bind(static_cast<int>(detail::patch_by_id_shape<T, Ops...>::id_param), id);
    st->step();
    if (c.changes() == 0) throw not_found(name(), id);
  }

  // Removes a document; true when there was one. If other documents still refer to it,
  // `policy` decides: restrict (the default) throws sqler::referential_error naming them,
  // set_null nulls their refs, cascade removes them too (recursively). One transaction:
  // on any error nothing changes.
  bool remove(std::int64_t id, on_referenced policy = on_referenced::restrict) {
    detail::check_policy(policy);
    auto& c = db_->conn();
    if (!detail::referring_tables(c, name()).empty()) {
      transaction tx(c);
      const bool removed = contains(id) && detail::remove_with_policy(c, name(), {id}, policy) != 0;
      tx.commit();
      return removed;
    }
    detail::write_turn turn(c);
    auto st = c.template acquire<detail::remove_shape<T>>();
    st->bind(1, id);
    st->step();
    return c.changes() > 0;
  }

  // ---- reads

  std::optional<T> get(std::int64_t id) const {
    std::optional<T> out;  // one named return value, so it is built in the caller (NRVO)
    auto st = fetch(id);
    if (st->step()) detail::decode_row(*st, 2, out.emplace(), name());
    return out;
  }

  T get_or_throw(std::int64_t id) const {
    auto doc = get(id);
    if (!doc) throw not_found(name(), id);
    return std::move(*doc);
  }

  std::optional<versioned<T>> get_versioned(std::int64_t id) const {
    std::optional<versioned<T>> out;  // one named return value (NRVO), as in get()
    auto st = fetch(id);
    if (st->step()) {
      auto& v = out.emplace();
      v.id = id;
      v.version = st->column_int64(1);
      detail::decode_row(*st, 2, v.value, name());
    }
    return out;
  }

  bool contains(std::int64_t id) const {
    auto st = db_->conn().template acquire<detail::exists_id_shape<T>>();
    st->bind(1, id);
    return st->step();
  }

  std::int64_t size() const {
    auto st = db_->conn().template acquire<detail::size_shape<T>>();
    st->step();
    return st->column_int64(0);
  }

  // ---- queries

  auto find() const { return query<T, detail::all_node<T>>(db_, {}); }

  template <class Pred>
  auto find(const Pred& pred) const {
    static_assert(detail::predicate<Pred>,
                  "sqler: find() takes a predicate such as field<&T::m> == value");
    if constexpr (detail::predicate<Pred>) {
      static_assert(std::is_same_v<typename Pred::root, T>,
                    "sqler: find(): the predicate uses fields of a different document type "
                    "than this collection's");
      return query<T, Pred>(db_, pred);
    }
  }

  // Every document, streamed row by row.
  auto all() const { return find(); }

  // ---- indexes

  template <class... Fs>
  void ensure_index(const Fs&...) {
    check_index_fields<Fs...>();
    db_->conn().exec(detail::index_shape<T, false, Fs...>::sql);
  }

  template <class... Fs>
  void ensure_unique_index(const Fs&...) {
    check_index_fields<Fs...>();
    db_->conn().exec(detail::index_shape<T, true, Fs...>::sql);
  }

  template <class... Fs>
  static constexpr std::string_view index_sql(const Fs&...) noexcept {
    return detail::index_shape<T, false, Fs...>::sql;
  }

  // ---- full-text search

  // Keeps an FTS5 index over string members, filled from the existing documents and kept in
  // sync by triggers on insert, update and delete; query it with find(...).match("words").
  // Calling it again with other fields rebuilds the index.
  template <class... Fs>
  void ensure_fts(const Fs&...) {
    static_assert(sizeof...(Fs) > 0, "sqler: ensure_fts() needs at least one string field");
    static_assert((std::is_same_v<typename Fs::root, T> && ...),
                  "sqler: ensure_fts(): every field must belong to this collection's type");
    static_assert((std::is_same_v<typename Fs::value_type, std::string> && ...),
                  "sqler: ensure_fts(): full-text search indexes std::string members");
    static_assert(((Fs::path.view().find('\'') == std::string_view::npos) && ...),
                  "sqler: ensure_fts(): a member name with a single quote cannot be indexed");
    static constexpr auto fts_name = detail::fts_table_name<T>();
    const std::string fts(fts_name.view());
    std::string columns, values_new, values_data, values_old;
    auto add = [&](std::string_view path) {
      const char* sep = columns.empty() ? "" : ", ";
      columns += sep + detail::quote_name(path.substr(2));
      values_new += sep + ("json_extract(new.data,'" + std::string(path) + "')");
      values_data += sep + ("json_extract(data,'" + std::string(path) + "')");
    };
    (add(Fs::path.view()), ...);
    const std::string create =
        "CREATE VIRTUAL TABLE " + detail::quote_name(fts) + " USING fts5(" + columns + ")";
    const std::string q_fts = detail::quote_name(fts), q_table = detail::quote_name(name());
    const std::string insert_new = "INSERT INTO " + q_fts + " (rowid, " + columns +
                                   ") VALUES (new._id, " + values_new + "); ";
    const std::string delete_old = "DELETE FROM " + q_fts + " WHERE rowid = old._id; ";

    auto& c = db_->conn();
    transaction tx(c);
    std::string existing;
    {
      auto st = c.acquire_oneoff("SELECT sql FROM sqlite_master WHERE name = ?1");
      st->bind_text(1, fts);
      if (st->step()) existing = st->column_text(0);
    }
    if (existing == create) {
      tx.commit();
      return;
    }
    for (const char* suffix : {"_ai", "_ad", "_au"})
      c.exec("DROP TRIGGER IF EXISTS " + detail::quote_name(fts + suffix));
    c.exec("DROP TABLE IF EXISTS " + q_fts);
    c.exec(create);
    c.exec("INSERT INTO " + q_fts + " (rowid, " + columns + ") SELECT _id, " + values_data +
           " FROM " + q_table);
    c.exec("CREATE TRIGGER " + detail::quote_name(fts + "_ai") + " AFTER INSERT ON " + q_table +
           " BEGIN " + insert_new + "END");
    c.exec("CREATE TRIGGER " + detail::quote_name(fts + "_ad") + " AFTER DELETE ON " + q_table +
           " BEGIN " + delete_old + "END");
    c.exec("CREATE TRIGGER " + detail::quote_name(fts + "_au") + " AFTER UPDATE ON " + q_table +
           " BEGIN " + delete_old + insert_new + "END");
    tx.commit();
  }

  detail::db_state& state() const noexcept { return *db_; }

 private:
  template <class... Fs>
  static constexpr void check_index_fields() {
    static_assert(sizeof...(Fs) > 0, "sqler: ensure_index() needs at least one field");
    static_assert((std::is_same_v<typename Fs::root, T> && ...),
                  "sqler: ensure_index(): every field must belong to this collection's type");
  }

  // sqler's own tables: sqler_refs lists which tables may refer to which, sqler_tables which
  // type owns each table. A read-only database that lacks them simply has nothing recorded.
  static void ensure_meta_tables(detail::connection& c) {
    try {
      c.exec(detail::refs_table_sql);
      c.exec(detail::tables_table_sql);
    } catch (const error& e) {
      if (e.primary_code() != SQLITE_READONLY) throw;
    }
  }

  static std::string& encoded(detail::connection& c, const T& doc) {
    std::string& buf = c.encode_buffer();
    buf.clear();
    encode(doc, buf);
    return buf;
  }

  // What sqler_merge needs to tell declared members from the rest.
  static void bind_schema(detail::statement& st, int i) {
    st.bind_pointer(i, &detail::merge_schema_of<T>::value, detail::merge_schema_pointer);
  }

  detail::lease fetch(std::int64_t id) const {
    auto st = db_->conn().template acquire<detail::get_by_id_shape<T>>();
    st->bind(1, id);
    return st;
  }

  std::shared_ptr<detail::db_state> db_;
};

}  // namespace sqler
