// sqler/collection.hpp - sqler::collection<T>: one table of T documents.
// CRUD by _id, find(...) queries, indexes and full-text search. Every fixed operation is a
// cached statement shape, so repeated calls only bind values and step. The same template serves
// every backend; a collection shares ownership of its database.
#pragma once

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_set>
#include <type_traits>
#include <utility>
#include <vector>

#include "sqler/backend.hpp"
#include "sqler/codec.hpp"
#include "sqler/detail/access.hpp"
#include "sqler/detail/catalog.hpp"
#include "sqler/detail/dsl/patch_ops.hpp"
#include "sqler/detail/integrity.hpp"
#include "sqler/detail/merge.hpp"
#include "sqler/detail/multikey.hpp"
#include "sqler/detail/partial_index.hpp"
#include "sqler/detail/ref_graph.hpp"
#include "sqler/detail/reflect.hpp"
#include "sqler/detail/shapes.hpp"
#include "sqler/detail/text.hpp"
#include "sqler/error.hpp"
#include "sqler/field.hpp"
#include "sqler/index_where.hpp"
#include "sqler/integrity.hpp"
#include "sqler/query.hpp"

namespace sqler {

namespace detail {
// std::ranges::sized_range for a type the caller iterates (so a range): std::ranges::size comes
// with <iterator>, whereas <ranges> (views, adaptors) costs every translation unit ~50 ms.
template <class R>
concept sized = requires(R& r) { std::ranges::size(r); };
}  // namespace detail

// What upsert_many did with one document: inserted it under `id`, or replaced the document that
// had that id (inserted == false).
struct upsert_result {
  std::int64_t id = 0;
  bool inserted = false;
  bool operator==(const upsert_result&) const = default;
};

template <class T, class Backend>
class collection {
  static_assert(detail::reflectable<T>,
                "sqler: collection<T>: T must be an aggregate struct (no constructors, base "
                "classes, or private members) and must not be local to a function");

  using traits = detail::backend_traits<Backend>;
  using D = typename traits::dialect;
  using state = typename traits::state;
  using connection = typename traits::connection;
  using scope = typename traits::transaction_scope;
  using write_turn = typename traits::write_turn;
  using encoded_scope = typename traits::template encoded_scope<T>;

 public:
  using value_type = T;
  using backend = Backend;

  static constexpr std::string_view name() noexcept { return table_name<T>; }

  // ---- writes

  std::int64_t insert(const T& doc) {
    auto&& c = db_->conn();
    write_turn turn(c);
    auto st = c.template acquire<detail::insert_shape<D, T>>();
    std::string& buf = encoded(c, doc);
    st->bind_text(1, buf);
    return inserted_id(c, *st, step_encoded(c, *st, buf), "insert()",
                       detail::insert_shape<D, T>::sql);
  }

  // All or nothing: one transaction; ids in input order. The documents go 128 to a statement
  // (the rest 16, then 1 at a time), all three statements cached: one multi-row INSERT costs
  // about half as much per row as a statement per row (SQLite, measured 1.1 vs 2.0 us without
  // the encoding; SQLite's AUTOINCREMENT bookkeeping runs once per statement).
  template <class Range>
  std::vector<std::int64_t> insert_many(const Range& docs) {
    static constexpr std::size_t big = 128, mid = 16;
    auto&& c = db_->conn();
    std::vector<std::int64_t> ids;
    if constexpr (detail::sized<const Range>) ids.reserve(std::ranges::size(docs));
    std::string buf;                // the documents not written yet, encoded back to back
    std::vector<std::size_t> ends;  // where each of them ends in buf
    ends.reserve(big);
    scope tx(c);
    for (const T& doc : docs) {
      encode(doc, buf);
      ends.push_back(buf.size());
      if (ends.size() == big) {
        insert_rows<big>(c, buf, ends, 0, ids);
        buf.clear();
        ends.clear();
      }
    }
    std::size_t done = 0;
    for (; ends.size() - done >= mid; done += mid) insert_rows<mid>(c, buf, ends, done, ids);
    for (; done < ends.size(); ++done) insert_rows<1>(c, buf, ends, done, ids);
    tx.commit();
    return ids;
  }

  // Replaces the whole document (members the struct does not declare are kept); throws
  // sqler::not_found when there is no such _id. Bumps _version.
  void replace(std::int64_t id, const T& doc) {
    auto&& c = db_->conn();
    write_turn turn(c);
    auto st = c.template acquire<detail::replace_shape<D, T>>();
    const std::string& buf = encoded(c, doc);
    st->bind_text(1, buf);
    st->bind(2, id);
    traits::bind_merge_schema(*st, 3, detail::merge_schema_of<T>::value);
    step_encoded(c, *st, buf);
    if (c.changes() == 0) {
      st.release();
      throw_unchanged(id, "replace()", detail::replace_shape<D, T>::sql);
    }
  }

  // Optimistic replace: succeeds only if the stored version is still doc.version, then bumps
  // it by one (and doc.version with it). Throws sqler::stale_version otherwise, changing
  // nothing; sqler::not_found if the document is gone. It does not queue behind the other
  // writers: a version read before waiting in line would be stale by its turn, so an
  // optimistic write goes straight to the database and fails fast instead.
  void replace(versioned<T>& doc) {
    auto&& c = db_->conn();
    auto st = c.template acquire<detail::replace_versioned_shape<D, T>>();
    const std::string& buf = encoded(c, doc.value);
    st->bind_text(1, buf);
    st->bind(2, doc.id);
    st->bind(3, doc.version);
    traits::bind_merge_schema(*st, 4, detail::merge_schema_of<T>::value);
    step_encoded(c, *st, buf);
    if (c.changes() == 0) {
      st.release();
      const auto stored = get_versioned(doc.id);
      if (!stored) throw not_found(name(), doc.id);
      if (stored->version == doc.version)
        throw_skipped("replace()", 0, 1, detail::replace_versioned_shape<D, T>::sql);
      throw stale_version(name(), doc.id, doc.version);
    }
    ++doc.version;
  }

  // Inserts with this _id, or replaces the document that has it (keeping undeclared members).
  void upsert(std::int64_t id, const T& doc) {
    auto&& c = db_->conn();
    write_turn turn(c);
    auto st = c.template acquire<detail::upsert_shape<D, T>>();
    const std::string& buf = encoded(c, doc);
    st->bind(1, id);
    st->bind_text(2, buf);
    traits::bind_merge_schema(*st, 3, detail::merge_schema_of<T>::value);
    step_encoded(c, *st, buf);
    if (c.changes() == 0) throw_skipped("upsert()", 0, 1, detail::upsert_shape<D, T>::sql);
  }

  // Inserts or replaces many documents by id, all or nothing: one transaction, one statement
  // per 256 documents (then per 16, then one by one for the rest). Elements are (id, doc) pairs
  // (anything with .first/.second, e.g. a std::map<std::int64_t, T>) or versioned<T> (its
  // version is not checked: this is an upsert). Replacements keep undeclared members, as
  // upsert() does. Returns {id, inserted} per element, in input order. An id given twice is a
  // sqler::usage_error and nothing is written.
  template <class Range>
  std::vector<upsert_result> upsert_many(Range&& entries) {
    // 256 rows per statement measured fastest (64: +7%, 1024: +15%); the 16- and 1-row
    // statements write the rest, all three cached.
    static constexpr std::size_t big = 256, mid = 16;
    auto&& c = db_->conn();
    std::vector<upsert_result> out;
    if constexpr (detail::sized<Range>) out.reserve(std::ranges::size(entries));
    std::string buf;                // the documents not written yet, encoded back to back
    std::vector<std::size_t> ends;  // where each of them ends in buf
    ends.reserve(big);
    // An id given twice is refused before anything is written (PostgreSQL refuses a statement
    // that would touch one row twice; SQLite would report both).
    std::unordered_set<std::int64_t> seen;
    if constexpr (detail::sized<Range>) seen.reserve(std::ranges::size(entries));
    scope tx(c);
    for (auto&& e : entries) {  // each element is encoded while it is alive
      const auto [id, doc] = upsert_entry(e);
      if (!seen.insert(id).second)
        throw usage_error(detail::str_cat({"sqler: upsert_many(): id ", std::to_string(id),
                                           " is given more than once; nothing was written"}));
      out.push_back({id, false});
      encode(*doc, buf);
      ends.push_back(buf.size());
      if (ends.size() == big) {
        upsert_rows<big>(c, buf, ends, 0, out.data() + (out.size() - big));
        buf.clear();
        ends.clear();
      }
    }
    std::size_t done = 0;
    upsert_result* rest = out.data() + (out.size() - ends.size());
    for (; ends.size() - done >= mid; done += mid) upsert_rows<mid>(c, buf, ends, done, rest + done);
    for (; done < ends.size(); ++done) upsert_rows<1>(c, buf, ends, done, rest + done);
    tx.commit();
    return out;
  }

  // Atomic in-place update: update(id, sqler::set(f, v), sqler::inc(g, 1), sqler::push(a, x)).
  // One UPDATE, bumps _version; throws sqler::not_found when there is no such _id.
  template <class... Ops>
  void update(std::int64_t id, const Ops&... ops) {
    detail::check_patch_ops<T, Ops...>();
    using shape = detail::update_by_id_shape<D, T, Ops...>;
    auto&& c = db_->conn();
    write_turn turn(c);
    auto st = c.template acquire<shape>();
    detail::bind_patch_ops(*st, 1, ops...);
    st->bind(static_cast<int>(shape::id_param), id);
    st->step();
    if (c.changes() == 0) {
      st.release();
      throw_unchanged(id, "update()", shape::sql);
    }
  }

  // Removes a document; true when there was one. If other documents still refer to it,
  // `policy` decides: restrict (the default) throws sqler::referential_error naming them,
  // set_null nulls their refs, cascade removes them too (recursively). One transaction:
  // on any error nothing changes.
  bool remove(std::int64_t id, on_referenced policy = on_referenced::restrict) {
    detail::check_policy(policy);
    auto&& c = db_->conn();
    if (!detail::referring_tables(c, name()).empty()) {
      scope tx(c);
      const bool removed =
          contains(id) && detail::remove_with_policy(c, name(), {id}, policy) != 0;
      tx.commit();
      return removed;
    }
    write_turn turn(c);
    auto st = c.template acquire<detail::remove_shape<D, T>>();
    st->bind(1, id);
    st->step();
    return c.changes() > 0;
  }

  // ---- reads

  std::optional<T> get(std::int64_t id) const {
    std::optional<T> out;  // one named return value, so it is built in the caller (NRVO)
    auto&& c = db_->conn();
    auto st = fetch(c, id);
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
    auto&& c = db_->conn();
    auto st = fetch(c, id);
    if (st->step()) {
      auto& v = out.emplace();
      v.id = id;
      v.version = st->column_int64(1);
      detail::decode_row(*st, 2, v.value, name());
    }
    return out;
  }

  bool contains(std::int64_t id) const {
    auto&& c = db_->conn();
    auto st = c.template acquire<detail::exists_id_shape<D, T>>();
    st->bind(1, id);
    return st->step();
  }

  std::int64_t size() const {
    auto&& c = db_->conn();
    auto st = c.template acquire<detail::size_shape<D, T>>();
    st->step();
    return st->column_int64(0);
  }

  // ---- queries

  auto find() const {
    return detail::access::make_query<query<T, detail::all_node<T>, detail::order_list<>, false,
                                            false, Backend>>(db_, detail::all_node<T>{});
  }

  template <class Pred>
  auto find(const Pred& pred) const {
    static_assert(detail::predicate<Pred>,
                  "sqler: find() takes a predicate such as field<&T::m> == value");
    if constexpr (detail::predicate<Pred>) {
      static_assert(std::is_same_v<typename Pred::root, T> ||
                        std::is_same_v<typename Pred::root, detail::no_root>,
                    "sqler: find(): the predicate uses fields of a different document type "
                    "than this collection's");
      return detail::access::make_query<
          query<T, Pred, detail::order_list<>, false, false, Backend>>(db_, pred);
    }
  }

  // Every document, streamed row by row.
  auto all() const { return find(); }

  // ---- indexes

  // An index on the fields' expressions (a promoted member's column). An array member, alone,
  // is indexed one entry per element: a multikey index, which the type declares in
  // sqler::multikey<T> (its queries use it) and which opening the collection already creates;
  // ensure_index(tags) or ensure_index(sqler::elements<&T::items, &Item::sku>{}) then only makes
  // sure it exists (after a drop_index).
  template <class... Fs>
  void ensure_index(const Fs&...) {
    auto&& c = db_->conn();
    if constexpr (sizeof...(Fs) == 1 && (detail::names_elements<T, Fs> && ...)) {
      using F = std::tuple_element_t<0, std::tuple<Fs...>>;
      traits::template ensure_multikey<T, detail::element_index<detail::elements_of<F>>>(c);
    } else {
      check_index_fields<Fs...>();
      c.exec(detail::index_shape<D, T, false, Fs...>::sql);
    }
  }

  template <class... Fs>
  void ensure_unique_index(const Fs&...) {
    check_index_fields<Fs...>();
    db_->conn().exec(detail::index_shape<D, T, true, Fs...>::sql);
  }

  // Drops the index ensure_index(fs...) (or ensure_unique_index) made; nothing when there is
  // none. A multikey index comes back when the collection is next opened while its type still
  // declares it: remove the declaration to drop it for good.
  template <class... Fs>
  void drop_index(const Fs&...) {
    auto&& c = db_->conn();
    if constexpr (sizeof...(Fs) == 1 && (detail::names_elements<T, Fs> && ...)) {
      using F = std::tuple_element_t<0, std::tuple<Fs...>>;
      traits::template drop_multikey<T, detail::element_index<detail::elements_of<F>>>(c);
    } else {
      check_index_fields<Fs...>();
      c.exec(detail::drop_index_shape<D, T, false, Fs...>::sql);
      c.exec(detail::drop_index_shape<D, T, true, Fs...>::sql);
    }
  }

  template <class... Fs>
  static constexpr std::string_view index_sql(const Fs&...) noexcept {
    return detail::index_shape<D, T, false, Fs...>::sql;
  }

  // A partial index: only the documents `where` holds for are indexed.
  //   CREATE INDEX IF NOT EXISTS "sqler_ix_<table>__<fields>__w<hash>" ON <table> (<fields>)
  //   WHERE <the predicate, as find() writes it, its values as literals>
  // A query whose filter includes the same condition (with the same values) can use it; the
  // hash of the predicate in the name lets indexes on the same fields under different
  // predicates coexist. The predicate's values must be expressible as SQL literals: a string
  // with a NUL or a NaN is a sqler::usage_error.
  template <class Pred, class... Fs>
  void ensure_index(const index_where<Pred>& where, const Fs&...) {
    check_partial_index<Pred, Fs...>();
    db_->conn().exec(detail::partial_index<D, T, false, Pred, Fs...>(where.pred).create_sql());
  }

  template <class Pred, class... Fs>
  void ensure_unique_index(const index_where<Pred>& where, const Fs&...) {
    check_partial_index<Pred, Fs...>();
    db_->conn().exec(detail::partial_index<D, T, true, Pred, Fs...>(where.pred).create_sql());
  }

  // Drops the partial index ensure_index(where, fs...) (or ensure_unique_index) made, and no
  // other: one under another predicate, or the full index on the same fields, stays.
  template <class Pred, class... Fs>
  void drop_index(const index_where<Pred>& where, const Fs&...) {
    check_partial_index<Pred, Fs...>();
    auto&& c = db_->conn();
    c.exec(detail::partial_index<D, T, false, Pred, Fs...>(where.pred).drop_sql());
    c.exec(detail::partial_index<D, T, true, Pred, Fs...>(where.pred).drop_sql());
  }

  // The CREATE INDEX ensure_index(where, fs...) runs (built at run time: it holds the values).
  template <class Pred, class... Fs>
  static std::string index_sql(const index_where<Pred>& where, const Fs&...) {
    check_partial_index<Pred, Fs...>();
    return detail::partial_index<D, T, false, Pred, Fs...>(where.pred).create_sql();
  }

  // ---- full-text search

  // Keeps a full-text index over string members, filled from the existing documents and kept
  // in sync by triggers on insert, update and delete; query it with find(...).match("words").
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
    static constexpr auto fts_name = D::template fts_table_name<T>();
    static constexpr std::string_view paths[] = {Fs::path.view()...};
    const auto sql = D::fts(name(), fts_name.view(), paths, sizeof...(Fs));

    auto&& c = db_->conn();
    scope tx(c);
    std::string existing;
    {
      auto st = c.acquire_oneoff(sql.existing);
      st->bind_text(1, fts_name.view());
      if (st->step()) existing = st->column_text(0);
    }
    if (existing == sql.create) {
      tx.commit();
      return;
    }
    for (const auto& drop : sql.drop_triggers) c.exec(drop);
    c.exec(sql.drop_table);
    c.exec(sql.create);
    c.exec(sql.fill);
    for (const auto& trigger : sql.triggers) c.exec(trigger);
    tx.commit();
  }

 private:
  friend struct detail::access;

  // Opening a collection creates its table (and those its refs point into, transitively) or
  // brings them up to today's layout, and records which type owns each.
  explicit collection(std::shared_ptr<state> db) : db_(std::move(db)) {
    auto&& c = db_->conn();
    detail::ensure_catalog(c);
    traits::template prepare_table<T>(c);
    std::vector<const void*> done{detail::type_tag<T>()};
    prepare_ref_tables<T>(c, done);
  }

  template <class X>
  static void prepare_ref_tables(connection& c, std::vector<const void*>& done) {
    std::vector<const void*> seen;
    auto visit = [&]<class Y>() {
      if (!detail::first_visit<Y>(done)) return;
      traits::template prepare_table<Y>(c);
      prepare_ref_tables<Y>(c, done);
    };
    detail::for_each_ref_target<X>(visit, seen);
  }

  template <class... Fs>
  static constexpr void check_index_fields() {
    static_assert(sizeof...(Fs) > 0, "sqler: ensure_index() needs at least one field");
    static_assert((detail::operand<Fs> && ...),
                  "sqler: ensure_index() takes fields (or sqler::elements<...>{} alone)");
    if constexpr ((detail::operand<Fs> && ...)) {
      static_assert((std::is_same_v<typename Fs::root, T> && ...),
                    "sqler: ensure_index(): every field must belong to this collection's type");
      static_assert(!(detail::is_array_field<Fs> || ...),
                    "sqler: ensure_index(): an array member is indexed one entry per element: "
                    "declare it in sqler::multikey<T> (sqler::elements<&T::m>) and pass it alone");
    }
  }

  template <class Pred, class... Fs>
  static constexpr void check_partial_index() {
    static_assert(std::is_same_v<typename Pred::root, T> ||
                      std::is_same_v<typename Pred::root, detail::no_root>,
                  "sqler: ensure_index(where(...)): the predicate uses fields of a different "
                  "document type than this collection's");
    static_assert(sizeof...(Fs) > 0,
                  "sqler: ensure_index(where(...), fields...): name the fields to index after "
                  "the predicate");
    if constexpr (sizeof...(Fs) > 0) check_index_fields<Fs...>();
  }

  // ---- upsert_many

  // Document i of documents encoded back to back into buf, ends[i] being where it ends
  // (insert_many, upsert_many).
  static std::string_view encoded_piece(std::string_view buf, const std::vector<std::size_t>& ends,
                                        std::size_t i) {
    const std::size_t begin = i == 0 ? 0 : ends[i - 1];
    return buf.substr(begin, ends[i] - begin);
  }

  template <std::size_t Rows>
  struct insert_rows_shape {
    static constexpr auto text = D::template insert_many<T, Rows>();
    static constexpr std::string_view sql = text.view();
  };

  // The id of the one document the insert statement st was bound with. A trigger can skip a
  // row without an error (SQLite's RAISE(IGNORE), a PostgreSQL BEFORE trigger returning NULL):
  // the call then fails (throw_skipped) rather than hand back another document's id (SQLite's
  // last rowid); insert_rows and upsert_rows fail the same way when rows are missing.
  // stepped: what st's step() returned.
  template <class Statement>
  static std::int64_t inserted_id(connection& c, Statement& st, bool stepped,
                                  std::string_view call, std::string_view sql) {
    // A dialect that returns the new id as a row (RETURNING) gives it here; SQLite does not.
    if (stepped) return st.column_int64(0);
    if (c.changes() == 0) throw_skipped(call, 0, 1, sql);
    return c.last_insert_rowid();
  }

  // A write by id that changed no row (its statement released): a trigger skipped it when the
  // document is there, otherwise there is no such document.
  [[noreturn]] void throw_unchanged(std::int64_t id, std::string_view call,
                                    std::string_view sql) const {
    if (contains(id)) throw_skipped(call, 0, 1, sql);
    throw not_found(name(), id);
  }

  [[noreturn]] static void throw_skipped(std::string_view call, std::size_t inserted,
                                         std::size_t rows, std::string_view sql) {
    throw error(result_code::abort,
                rows == 1 ? detail::str_cat({"sqler: ", call, " on \"", name(),
                                             "\": a trigger skipped it; nothing was written"})
                          : detail::str_cat({"sqler: ", call, " on \"", name(),
                                             "\": a trigger skipped ",
                                             std::to_string(rows - inserted), " of the ",
                                             std::to_string(rows),
                                             " documents of one statement; nothing was written"}),
                sql);
  }

  // Inserts documents first .. first + Rows - 1 of buf (as cut by ends), appending their ids.
  template <std::size_t Rows>
  static void insert_rows(connection& c, std::string_view buf,
                          const std::vector<std::size_t>& ends, std::size_t first,
                          std::vector<std::int64_t>& ids) {
    auto piece = [&](std::size_t r) { return encoded_piece(buf, ends, first + r); };
    encoded_scope known(c, buf, ends.data(), first, Rows);
    if constexpr (Rows == 1) {
      auto st = c.template acquire<detail::insert_shape<D, T>>();
      st->bind_text(1, piece(0));
      ids.push_back(
          inserted_id(c, *st, st->step(), "insert_many()", detail::insert_shape<D, T>::sql));
    } else {
      auto st = c.template acquire<insert_rows_shape<Rows>>();
      for (std::size_t r = 0; r < Rows; ++r) st->bind_text(static_cast<int>(r + 1), piece(r));
      const std::size_t at = ids.size();
      while (st->step()) ids.push_back(st->column_int64(0));
      // A trigger that skipped a row leaves ids that no longer match the documents: the whole
      // call fails (the transaction is rolled back).
      if (ids.size() - at != Rows)
        throw_skipped("insert_many()", ids.size() - at, Rows, insert_rows_shape<Rows>::sql);
      // Ids are handed out in the order of the VALUES rows; RETURNING promises no order.
      std::sort(ids.begin() + static_cast<std::ptrdiff_t>(at), ids.end());
    }
  }

  template <std::size_t Rows>
  struct upsert_rows_shape {
    static constexpr auto text = D::template upsert_many<T, Rows>();
    static constexpr std::string_view sql = text.view();
  };

  // (id, document) of one upsert_many element.
  template <class E>
  static std::pair<std::int64_t, const T*> upsert_entry(const E& e) {
    if constexpr (std::is_same_v<E, versioned<T>>) {
      return {e.id, &e.value};
    } else {
      constexpr bool pair_like = requires { e.first; e.second; };
      static_assert(pair_like,
                    "sqler: upsert_many(range): the elements must be (id, document) pairs, such "
                    "as std::pair<std::int64_t, T>, or sqler::versioned<T>");
      if constexpr (pair_like) {
        static_assert(std::is_convertible_v<decltype(e.first), std::int64_t> &&
                          std::is_same_v<std::remove_cvref_t<decltype(e.second)>, T>,
                      "sqler: upsert_many(range): each element's .first must be the id "
                      "(std::int64_t) and .second a document of this collection's type");
        return {static_cast<std::int64_t>(e.first), &e.second};
      }
    }
  }

  // Writes documents [first, first + Rows) of buf; records for each whether it was inserted.
  // RETURNING's row order is not guaranteed, so each row is matched by id (usually in place).
  template <std::size_t Rows>
  static void upsert_rows(connection& c, const std::string& buf,
                          const std::vector<std::size_t>& ends, std::size_t first,
                          upsert_result* results) {
    auto st = c.template acquire<upsert_rows_shape<Rows>>();
    for (std::size_t r = 0; r < Rows; ++r) {
      st->bind(static_cast<int>(2 * r + 1), results[r].id);
      st->bind_text(static_cast<int>(2 * r + 2), encoded_piece(buf, ends, first + r));
    }
    traits::bind_merge_schema(*st, static_cast<int>(2 * Rows + 1),
                              detail::merge_schema_of<T>::value);
    encoded_scope known(c, buf, ends.data(), first, Rows);
    std::size_t k = 0;
    for (; st->step(); ++k) {
      const std::int64_t id = st->column_int64(0);
      const bool inserted = st->column_int64(1) == 1;  // a replaced document is at 2 or more
      if (k < Rows && results[k].id == id) {
        results[k].inserted = inserted;
        continue;
      }
      for (std::size_t r = 0; r < Rows; ++r)
        if (results[r].id == id) results[r].inserted = inserted;
    }
    // A row a trigger skipped would be reported as replaced: the whole call fails instead.
    if (k != Rows) throw_skipped("upsert_many()", k, Rows, upsert_rows_shape<Rows>::sql);
  }


  // Steps st, to which the document just encoded into buf is bound, letting the connection
  // know the document as sqler's own (encoded_scope); returns what step() returned.
  template <class Statement>
  static bool step_encoded(connection& c, Statement& st, const std::string& buf) {
    const std::size_t end = buf.size();
    encoded_scope known(c, buf, &end, 0, 1);
    return st.step();
  }

  static std::string& encoded(connection& c, const T& doc) {
    std::string& buf = c.encode_buffer();
    buf.clear();
    encode(doc, buf);
    return buf;
  }

  static auto fetch(connection& c, std::int64_t id) {
    auto st = c.template acquire<detail::get_by_id_shape<D, T>>();
    st->bind(1, id);
    return st;
  }

  std::shared_ptr<state> db_;
};

}  // namespace sqler
