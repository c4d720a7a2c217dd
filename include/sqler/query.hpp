// sqler/query.hpp - lazy queries: find(pred).order_by(...).limit(n).offset(m), then all(),
// iteration, first(), count(), exists(), ids() or remove(). A query's SQL text is a constant of
// its type; its prepared statement is cached per connection in the slot of that type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "sqler/codec.hpp"
#include "sqler/detail/db_state.hpp"
#include "sqler/detail/fixed_string.hpp"
#include "sqler/expr.hpp"
#include "sqler/integrity.hpp"
#include "sqler/patch.hpp"
#include "sqler/render.hpp"
#include "sqler/sqlite.hpp"
#include "sqler/transaction.hpp"

namespace sqler {

// A document together with its row id and version.
template <class T>
struct versioned {
  std::int64_t id = 0;
  std::int64_t version = 0;
  T value{};
};

// One page of a query's results (page numbers start at 1).
template <class T>
struct page {
  std::vector<T> items;
  std::int64_t number = 0;       // this page's number
  std::int64_t per_page = 0;
  std::int64_t total = 0;        // matching documents over all pages
  std::int64_t total_pages = 0;  // 0 when nothing matches
  bool has_next = false;
  bool has_prev = false;
};

// A stored document that did not decode, as query::try_all() reports it.
struct bad_document {
  std::int64_t id = 0;
  decode_error error;  // path() names the member, what() the table and id too
};

// What query::try_all() returns: the documents that decoded, and those that did not.
template <class T>
struct partial_result {
  std::vector<versioned<T>> documents;
  std::vector<bad_document> failed;
};

template <class Q, class K>
class grouped_query;

namespace detail {

template <class... Keys>
struct order_list {
  static constexpr std::size_t size = sizeof...(Keys);
};

template <class T, class D>
consteval auto quoted_table() {
  return D::template quote_identifier<to_fixed<table_name_holder<T>>()>();
}

// What a query returns; each kind is its own cached shape.
struct select_kind {};
struct first_kind {};
struct count_kind {};
struct exists_kind {};
struct ids_kind {};
struct remove_kind {};
struct explain_kind {};
template <class... Ops>
struct patch_kind {};

// UPDATE ... WHERE _id = (the first matching row) RETURNING the row: claims one document.
template <class... Ops>
struct update_one_kind {};

// Aggregate functions: one value over the matching documents, or one per group.
struct sum_fn { static constexpr fixed_string open{"SUM("}; };
struct avg_fn { static constexpr fixed_string open{"AVG("}; };
struct min_fn { static constexpr fixed_string open{"MIN("}; };
struct max_fn { static constexpr fixed_string open{"MAX("}; };
struct count_distinct_fn { static constexpr fixed_string open{"COUNT(DISTINCT "}; };
struct count_rows_fn {};  // COUNT(*) per group

template <class Fn, class F>
struct aggregate_kind {};
template <class Fn, class K, class F>
struct group_kind {};

// What a sum() returns: integers add up exactly as int64 (SQLite reports overflow), the rest
// as double.
template <class F>
using sum_type = std::conditional_t<std::is_floating_point_v<typename F::value_type>, double,
                                    std::int64_t>;

// A group's key: std::optional when the member (or a member on its path) may be missing.
template <class K>
struct group_key {
  using type = typename K::value_type;
};
template <class K>
  requires requires { K::nullable; }
struct group_key<K> {
  using type = std::conditional_t<K::nullable, std::optional<typename K::value_type>,
                                  typename K::value_type>;
};

template <class T, class F>
consteval bool aggregate_operand_ok() {
  if constexpr (!operand<F>)
    return false;
  else
    return std::is_same_v<typename F::root, T> || std::is_same_v<typename F::root, no_root>;
}

// Full-text search through the FTS5 table collection::ensure_fts() keeps in sync.
// The FTS5 table's name, "<table>__fts": collection::ensure_fts() creates it, match() reads it.
template <class T>
consteval auto fts_table_name() {
  return concat(to_fixed<table_name_holder<T>>(), fixed_string{"__fts"});
}

template <class T, class D>
consteval auto fts_table() {
  return D::template quote_identifier<fts_table_name<T>()>();
}

template <class T>
struct fts_match_node {
  static constexpr bool is_predicate = true;
  static constexpr std::size_t params = 1;
  using root = T;
  std::string text;
  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    return concat(fixed_string{"_id IN (SELECT rowid FROM "}, fts_table<T, D>(),
                  fixed_string{" WHERE "}, fts_table<T, D>(), fixed_string{" MATCH "},
                  D::template placeholder<P0>(), fixed_string{")"});
  }
  template <class S>
  void bind(S& s, int base) const { s.bind_text(base, text); }
};

template <class D, class T, class Pred, class Order, bool Limit, bool Offset>
struct sql_builder {
  static constexpr std::size_t limit_param = Pred::params + 1;
  static constexpr std::size_t offset_param = Pred::params + (Limit ? 2 : 1);

  static consteval auto table() { return quoted_table<T, D>(); }

  static consteval auto where() {
    if constexpr (std::is_same_v<Pred, all_node<T>>)
      return fixed_string{""};
    else
      return concat(fixed_string{" WHERE "}, Pred::template render<D, 0, 1>());
  }

  template <class First, class... Rest>
  static consteval auto order_keys(order_list<First, Rest...>*) {
    return concat(fixed_string{" ORDER BY "}, First::template render<D, 0>(),
                  concat(fixed_string{", "}, Rest::template render<D, 0>())...);
  }
  static consteval auto order_keys(order_list<>*) { return fixed_string{""}; }
  static consteval auto order() { return order_keys(static_cast<Order*>(nullptr)); }

  // `first` asks for one row; an explicit limit is kept as the user wrote it.
  template <bool ForceOne>
  static consteval auto limit_offset() {
    constexpr auto limit = [] {
      if constexpr (Limit)
        return concat(fixed_string{" LIMIT "}, D::template placeholder<limit_param>());
      else if constexpr (ForceOne)
        return fixed_string{" LIMIT 1"};
      else if constexpr (Offset)
        return fixed_string{" LIMIT -1"};
      else
        return fixed_string{""};
    }();
    if constexpr (Offset)
      return concat(limit, fixed_string{" OFFSET "}, D::template placeholder<offset_param>());
    else
      return limit;
  }

  static constexpr bool windowed = Limit || Offset;
  // Patch values and aggregate operands are bound after the predicate's values, the limit
  // and the offset.
  static constexpr std::size_t patch_param = Pred::params + (Limit ? 1 : 0) + (Offset ? 1 : 0) + 1;

  // The rows an aggregate reads: the window itself when there is a limit or offset.
  static consteval auto source() {
    constexpr auto from = concat(fixed_string{" FROM "}, table(), where());
    if constexpr (windowed)
      return concat(fixed_string{" FROM (SELECT *"}, from, order(), limit_offset<false>(),
                    fixed_string{")"});
    else
      return from;
  }

  template <class Fn, class F, std::size_t P0>
  static consteval auto call() {
    if constexpr (std::is_same_v<Fn, count_rows_fn>)
      return fixed_string{"COUNT(*)"};
    else if constexpr (std::is_same_v<Fn, sum_fn> && std::is_floating_point_v<sum_type<F>>)
      // Whole-valued doubles are stored as JSON integers (2^62 as 4611686018427387904), and
      // SQLite's integer SUM would report overflow where a double sum has none.
      return concat(fixed_string{"SUM(CAST("}, F::template render<D, 0, P0>(),
                    fixed_string{" AS REAL))"});
    else
      return concat(Fn::open, F::template render<D, 0, P0>(), fixed_string{")"});
  }

  template <class Fn, class F>
  static consteval auto render_kind(aggregate_kind<Fn, F>*) {
    return concat(fixed_string{"SELECT "}, call<Fn, F, patch_param>(), source());
  }

  template <class Fn, class K, class F>
  static consteval auto render_kind(group_kind<Fn, K, F>*) {
    constexpr auto key = K::template render<D, 0, patch_param>();
    return concat(fixed_string{"SELECT "}, key, fixed_string{", "},
                  call<Fn, F, patch_param + K::params>(), source(), fixed_string{" GROUP BY "},
                  key, fixed_string{" ORDER BY "}, key);
  }

  template <class... Ops>
  static consteval auto render_kind(update_one_kind<Ops...>*) {
    return concat(fixed_string{"UPDATE "}, table(), fixed_string{" SET "},
                  render_patch_set<D, patch_param, Ops...>(),
                  fixed_string{" WHERE _id = (SELECT _id FROM "}, table(), where(), order(),
                  limit_offset<true>(), fixed_string{") RETURNING _id, _version, data"});
  }

  template <class... Ops>
  static consteval auto render_kind(patch_kind<Ops...>*) {
    constexpr auto head = concat(fixed_string{"UPDATE "}, table(), fixed_string{" SET "},
                                 render_patch_set<D, patch_param, Ops...>());
    if constexpr (windowed)
      return concat(head, fixed_string{" WHERE _id IN (SELECT _id FROM "}, table(), where(),
                    order(), limit_offset<false>(), fixed_string{")"});
    else
      return concat(head, where());
  }

  template <class Kind>
  static consteval auto render() {
    constexpr auto from = concat(fixed_string{" FROM "}, table(), where());
    if constexpr (std::is_same_v<Kind, select_kind>)
      return concat(fixed_string{"SELECT _id, _version, data"}, from, order(), limit_offset<false>());
    else if constexpr (std::is_same_v<Kind, first_kind>)
      return concat(fixed_string{"SELECT _id, _version, data"}, from, order(), limit_offset<true>());
    else if constexpr (std::is_same_v<Kind, explain_kind>)
      return concat(fixed_string{"EXPLAIN QUERY PLAN "}, render<select_kind>());
    else if constexpr (std::is_same_v<Kind, ids_kind>)
      return concat(fixed_string{"SELECT _id"}, from, order(), limit_offset<false>());
    else if constexpr (std::is_same_v<Kind, count_kind>) {
      if constexpr (windowed)
        return concat(fixed_string{"SELECT COUNT(*) FROM (SELECT 1"}, from, order(),
                      limit_offset<false>(), fixed_string{")"});
      else
        return concat(fixed_string{"SELECT COUNT(*)"}, from);
    } else if constexpr (std::is_same_v<Kind, exists_kind>)
      return concat(fixed_string{"SELECT EXISTS (SELECT 1"}, from, order(), limit_offset<false>(),
                    fixed_string{")"});
    else if constexpr (std::is_same_v<Kind, remove_kind>) {
      if constexpr (windowed)
        return concat(fixed_string{"DELETE FROM "}, table(), fixed_string{" WHERE _id IN (SELECT _id"},
                      from, order(), limit_offset<false>(), fixed_string{")"});
      else
        return concat(fixed_string{"DELETE"}, from);
    } else {
      return render_kind(static_cast<Kind*>(nullptr));
    }
  }
};

template <class K>
struct order_key_traits {
  static constexpr bool is_field_key = false;
};
template <class F, bool Desc>
  requires requires { F::path; &F::get; }
struct order_key_traits<order_key<F, Desc>> {
  static constexpr bool is_field_key = true;
  static constexpr bool desc = Desc;
  using field = F;
};

// Rows strictly after a given one in (k1, ..., kn, _id) order: one row-value comparison,
// which SQLite can answer from an index on the keys.
template <class T, bool Desc, class... Fs>
struct keyset_node {
  static constexpr bool is_predicate = true;
  static constexpr std::size_t params = sizeof...(Fs) + 1;
  using root = T;
  std::tuple<decltype(to_param<typename Fs::value_type>(
      std::declval<const typename Fs::member_type&>()))...>
      keys;
  std::int64_t id;

  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    return render_impl<D, Depth, P0>(std::index_sequence_for<Fs...>{});
  }
  template <class D, std::size_t Depth, std::size_t P0, std::size_t... I>
  static consteval auto render_impl(std::index_sequence<I...>) {
    constexpr auto op = [] {
      if constexpr (Desc)
        return fixed_string{") < ("};
      else
        return fixed_string{") > ("};
    }();
    return concat(fixed_string{"("},
                  concat(Fs::template render<D, Depth, P0>(), fixed_string{", "})...,
                  fixed_string{"_id"}, op,
                  concat(D::template placeholder<P0 + I>(), fixed_string{", "})...,
                  D::template placeholder<P0 + sizeof...(Fs)>(), fixed_string{")"});
  }
  template <class S>
  void bind(S& s, int base) const {
    std::apply([&](const auto&... k) { (bind_value(s, base++, k), ...); }, keys);
    bind_value(s, base, id);
  }
};

// Splits order keys (f1, ..., fn, doc_id) for after(): the fields and the shared direction.
template <class... Keys>
struct keyset_traits {
  static constexpr std::size_t n = sizeof...(Keys);
  template <std::size_t I>
  using key = order_key_traits<std::tuple_element_t<I, std::tuple<Keys...>>>;
  template <std::size_t I>
  using field_at = typename key<I>::field;
  using last = std::tuple_element_t<n - 1, std::tuple<Keys...>>;
  static constexpr bool ends_with_id = n > 0 && is_id_order_key<last>;
  template <std::size_t... I>
  static consteval bool check_fields(std::index_sequence<I...>) {
    return (key<I>::is_field_key && ...);
  }
  static constexpr bool fields_only = check_fields(std::make_index_sequence<n - 1>{});
  template <std::size_t... I>
  static consteval bool check_direction(std::index_sequence<I...>) {
    return ((key<I>::desc == id_order_desc<last>) && ...);
  }
  template <std::size_t N>  // a template, so clang evaluates it only once the class is complete
  static consteval bool compute_direction() {
    if constexpr (fields_only)  // non-field keys have no direction to compare
      return check_direction(std::make_index_sequence<N - 1>{});
    else
      return false;
  }
  static constexpr bool one_direction = compute_direction<n>();

  template <class T, std::size_t... I>
  static auto node_type(std::index_sequence<I...>)
      -> keyset_node<T, id_order_desc<last>, field_at<I>...>;
  template <class T>
  using node = decltype(node_type<T>(std::make_index_sequence<n - 1>{}));

  template <class T>
  static node<T> make(const T& doc, std::int64_t id) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return node<T>{{to_param<typename field_at<I>::value_type>(field_at<I>::get(doc))...}, id};
    }(std::make_index_sequence<n - 1>{});
  }
};

// No order_by at all: after() reports that, rather than failing inside the traits.
template <>
struct keyset_traits<> {
  static constexpr bool ends_with_id = false;
  static constexpr bool fields_only = false;
  static constexpr bool one_direction = false;
};

template <class Builder, class Kind>
struct query_shape {
  static constexpr auto text = Builder::template render<Kind>();
  static constexpr std::string_view sql = text.view();
  static constexpr bool single_row = std::is_same_v<Kind, first_kind>;
};

template <class T>
void decode_row(const statement& s, int column, T& out, std::string_view table) {
  auto where = [&] {
    return " (document _id " + std::to_string(s.column_int64(0)) + " in \"" +
           std::string(table) + "\")";
  };
  if (s.column_is_null(column)) [[unlikely]]
    throw decode_error("<document>", "the data column is NULL, not a JSON object" + where());
  try {
    decode(s.column_text(column), out);
  } catch (const decode_error& e) {
    throw decode_error(e.path(), e.reason() + where());
  }
}

}  // namespace detail

template <class T, class Pred, class Order = detail::order_list<>, bool Limit = false,
          bool Offset = false>
class query {
  using builder = detail::sql_builder<default_dialect, T, Pred, Order, Limit, Offset>;
  template <class Kind>
  using shape = detail::query_shape<builder, Kind>;

 public:
  using value_type = T;

  // A query shares ownership of its database: it stays usable after the database and
  // collection objects it came from are gone.
  query(std::shared_ptr<detail::db_state> db, Pred pred, std::int64_t limit = 0,
        std::int64_t offset = 0)
      : db_(std::move(db)), pred_(std::move(pred)), limit_(limit), offset_(offset) {}

  // The SELECT this query runs; the same text for every query of this shape.
  static constexpr std::string_view sql() noexcept { return shape<detail::select_kind>::sql; }
  // The text of another operation on the same shape (count, exists, ids, remove, first).
  template <class Kind>
  static constexpr std::string_view sql_of() noexcept {
    return shape<Kind>::sql;
  }

  // Sort keys, most significant first: order_by(age.desc(), name.asc()). A bare field sorts
  // ascending. Replaces any earlier order_by.
  template <class... Keys>
  auto order_by(const Keys&...) const {
    static_assert(sizeof...(Keys) > 0, "sqler: order_by() needs at least one key");
    return query<T, Pred, detail::order_list<as_key<Keys>...>, Limit, Offset>(db_, pred_, limit_,
                                                                              offset_);
  }

  // Keyset pagination: the rows that come after `last` (a row of the previous page) in this
  // query's order. Needs order_by on fields, all in one direction, ending with sqler::doc_id:
  // q = users.find(p).order_by(age.asc(), sqler::doc_id.asc()).limit(20); next page:
  // q.after(page.back()) with page from q.all_versioned().
  auto after(const versioned<T>& last) const { return after(last.value, last.id); }

  auto after(const T& last, std::int64_t last_id) const {
    return after_impl(last, last_id, static_cast<Order*>(nullptr));
  }

  auto limit(std::int64_t n) const {
    check_window("limit", n);
    return query<T, Pred, Order, true, Offset>(db_, pred_, n, offset_);
  }

  auto offset(std::int64_t n) const {
    check_window("offset", n);
    return query<T, Pred, Order, Limit, true>(db_, pred_, limit_, n);
  }

  // ---- running it

  std::vector<T> all() const {
    std::vector<T> out;
    auto st = run<detail::select_kind>();
    while (st->step()) detail::decode_row(*st, 2, out.emplace_back(), table_name<T>);
    return out;
  }

  std::vector<versioned<T>> all_versioned() const {
    std::vector<versioned<T>> out;
    auto st = run<detail::select_kind>();
    while (st->step()) {
      auto& v = out.emplace_back();
      v.id = st->column_int64(0);
      v.version = st->column_int64(1);
      detail::decode_row(*st, 2, v.value, table_name<T>);
    }
    return out;
  }

  // Like all_versioned(), but a document that does not decode (written by raw SQL or an older
  // program) is reported in `failed` instead of failing the whole read, so an operator can list
  // and repair the bad ones: for (auto& b : r.failed) log(b.id, b.error.what()).
  partial_result<T> try_all() const {
    partial_result<T> out;
    auto st = run<detail::select_kind>();
    while (st->step()) {
      versioned<T> v;
      v.id = st->column_int64(0);
      v.version = st->column_int64(1);
      try {
        detail::decode_row(*st, 2, v.value, table_name<T>);
        out.documents.push_back(std::move(v));
      } catch (const decode_error& e) {
        out.failed.push_back({v.id, e});
      }
    }
    return out;
  }

  std::optional<T> first() const {
    std::optional<T> out;  // one named return value, so it is built in the caller (NRVO)
    auto st = run<detail::first_kind>();
    if (st->step()) detail::decode_row(*st, 2, out.emplace(), table_name<T>);
    return out;
  }

  std::int64_t count() const {
    auto st = run<detail::count_kind>();
    st->step();
    return st->column_int64(0);
  }

  bool exists() const {
    auto st = run<detail::exists_kind>();
    st->step();
    return st->column_int64(0) != 0;
  }

  std::vector<std::int64_t> ids() const {
    std::vector<std::int64_t> out;
    auto st = run<detail::ids_kind>();
    while (st->step()) out.push_back(st->column_int64(0));
    return out;
  }

  // Deletes every matching document; returns how many. Documents that other documents still
  // refer to are handled as collection::remove(id, policy) does, for the whole set at once
  // (refs among the removed documents themselves never block): restrict (the default) throws
  // sqler::referential_error and removes nothing, set_null nulls the refs, cascade removes the
  // referrers too. When nothing can refer to T this is one DELETE.
  std::int64_t remove(on_referenced policy = on_referenced::restrict) const {
    detail::check_policy(policy);
    auto& c = db_->conn();
    if (!detail::referring_tables(c, table_name<T>).empty()) {
      transaction tx(c);
      const std::int64_t n = detail::remove_with_policy(c, table_name<T>, ids(), policy);
      tx.commit();
      return n;
    }
    detail::write_turn turn(c);
    auto st = run<detail::remove_kind>();
    st->step();
    return c.changes();
  }

  // Applies set/inc/push to every matching document in one UPDATE and bumps their _version;
  // returns how many changed. Values may be expressions over the document:
  // find(p).update(sqler::set(score, score * 2 + 5), sqler::inc(visits, 1)).
  template <class... Ops>
  std::int64_t update(const Ops&... ops) const {
    detail::check_patch_ops<T, Ops...>();
    detail::write_turn turn(db_->conn());
    auto st = run<detail::patch_kind<Ops...>>();
    detail::bind_patch_ops(*st, static_cast<int>(builder::patch_param), ops...);
    st->step();
    return db_->conn().changes();
  }

  // The same as update().
  template <class... Ops>
  std::int64_t patch(const Ops&... ops) const {
    return update(ops...);
  }

  // Claims one document: updates the first match in this query's order and returns it as it
  // is after the update, or nullopt when nothing matches. One statement, so two threads (or
  // processes) claiming at once never get the same document: the job-queue pattern
  // jobs.find(state == "new").order_by(id.asc()).update_one(sqler::set(state, "taken")).
  template <class... Ops>
  std::optional<versioned<T>> update_one(const Ops&... ops) const {
    detail::check_patch_ops<T, Ops...>();
    detail::write_turn turn(db_->conn());
    auto st = run<detail::update_one_kind<Ops...>>();
    detail::bind_patch_ops(*st, static_cast<int>(builder::patch_param), ops...);
    std::optional<versioned<T>> out;
    if (st->step()) {
      auto& v = out.emplace();
      v.id = st->column_int64(0);
      v.version = st->column_int64(1);
      detail::decode_row(*st, 2, v.value, table_name<T>);
      while (st->step()) {  // finish the statement so its write is complete before release
      }
    }
    return out;
  }

  // ---- aggregates: typed results, nullopt over an empty set

  template <class F>
  std::optional<detail::sum_type<F>> sum(const F& f) const {
    check_aggregate<F, true>();
    return aggregate<detail::sum_fn, detail::sum_type<F>>(f);
  }

  template <class F>
  std::optional<double> avg(const F& f) const {
    check_aggregate<F, true>();
    return aggregate<detail::avg_fn, double>(f);
  }

  template <class F>
  std::optional<typename F::value_type> min(const F& f) const {
    check_aggregate<F, false>();
    return aggregate<detail::min_fn, typename F::value_type>(f);
  }

  template <class F>
  std::optional<typename F::value_type> max(const F& f) const {
    check_aggregate<F, false>();
    return aggregate<detail::max_fn, typename F::value_type>(f);
  }

  // The number of distinct non-null values of f among the matching documents.
  template <class F>
  std::int64_t count_distinct(const F& f) const {
    check_aggregate<F, false>();
    return aggregate<detail::count_distinct_fn, std::int64_t>(f).value_or(0);
  }

  // Groups the matching documents by a field: group_by(city).count() gives (city, count)
  // pairs in key order; .sum(f), .avg(f), .min(f), .max(f) aggregate per group.
  template <class K>
  grouped_query<query, K> group_by(const K& key) const {
    check_aggregate<K, false>();
    return grouped_query<query, K>(*this, key);
  }

  // ---- pages and full-text search

  // Page `number` (from 1) of `per_page` documents, with the total count taken from the same
  // snapshot.
  sqler::page<T> page(std::int64_t number, std::int64_t per_page) const {
    static_assert(!Limit && !Offset,
                  "sqler: page(): the query already has limit()/offset(); page() sets both");
    if (number < 1)
      throw error(SQLITE_RANGE,
                  "sqler: page(): pages are numbered from 1, got " + std::to_string(number));
    if (per_page < 1)
      throw error(SQLITE_RANGE,
                  "sqler: page(): per_page must be at least 1, got " + std::to_string(per_page));
    if (number - 1 > INT64_MAX / per_page)
      throw error(SQLITE_RANGE, "sqler: page(): page " + std::to_string(number) +
                                    " is out of range");
    sqler::page<T> p;
    p.number = number;
    p.per_page = per_page;
    detail::read_snapshot snapshot(db_->conn());
    p.total = count();
    p.total_pages = p.total / per_page + (p.total % per_page != 0 ? 1 : 0);
    if (number <= p.total_pages) p.items = offset((number - 1) * per_page).limit(per_page).all();
    p.has_prev = number > 1;
    p.has_next = number < p.total_pages;
    return p;
  }

  // Keeps the documents whose full-text index (collection::ensure_fts) matches an FTS5
  // query: "kyoto", "temple OR shrine", "tea*", "\"green tea\"".
  auto match(std::string_view fts_query) const {
    using M = detail::fts_match_node<T>;
    M node{std::string(fts_query)};
    if constexpr (std::is_same_v<Pred, detail::all_node<T>>) {
      return query<T, M, Order, Limit, Offset>(db_, std::move(node), limit_, offset_);
    } else {
      using P = detail::logical_node<detail::and_op, Pred, M>;
      return query<T, P, Order, Limit, Offset>(db_, P{pred_, std::move(node)}, limit_, offset_);
    }
  }

  // The SELECT this query would run and the values it would bind, without running it.
  statement_text debug() const {
    detail::value_recorder r;
    bind(r);
    return {std::string(sql()), std::move(r.values())};
  }

  // SQLite's EXPLAIN QUERY PLAN for the SELECT, one line per plan step.
  std::string explain() const {
    auto st = db_->conn().acquire_oneoff(shape<detail::explain_kind>::sql);
    bind(*st);
    std::string out;
    while (st->step()) {
      if (!out.empty()) out.push_back('\n');
      out += st->column_text(3);
    }
    return out;
  }

  // ---- streaming: one row decoded at a time, into the same T

  class iterator {
   public:
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using iterator_concept = std::input_iterator_tag;

    iterator() = default;
    // The iterator owns what its statement uses (the database, the bound values), so it stays
    // valid after the query it came from is gone.
    iterator(std::shared_ptr<detail::db_state> db, Pred pred, std::int64_t limit,
             std::int64_t offset)
        : db_(std::move(db)), pred_(std::move(pred)) {
      st_ = db_->conn().template acquire<shape<detail::select_kind>>();
      bind_values(*st_, pred_, limit, offset);
      advance();
    }
    iterator(iterator&&) noexcept = default;
    iterator& operator=(iterator&&) noexcept = default;

    T& operator*() const noexcept { return value_; }
    T* operator->() const noexcept { return &value_; }
    std::int64_t id() const noexcept { return id_; }
    std::int64_t version() const noexcept { return version_; }

    iterator& operator++() {
      advance();
      return *this;
    }
    void operator++(int) { advance(); }
    friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept {
      return it.done_;
    }

   private:
    void advance() {
      if (st_ && st_->step()) {
        id_ = st_->column_int64(0);
        version_ = st_->column_int64(1);
        detail::decode_row(*st_, 2, value_, table_name<T>);
      } else {
        done_ = true;
        st_.release();  // hand the statement back as soon as the rows run out
      }
    }

    std::shared_ptr<detail::db_state> db_;  // declared first: the statement goes before it
    Pred pred_;                              // its text values are bound without copies
    detail::lease st_;
    mutable T value_{};
    std::int64_t id_ = 0;
    std::int64_t version_ = 0;
    bool done_ = false;
  };

  // Streams the rows.
  iterator begin() const { return iterator(db_, pred_, limit_, offset_); }
  std::default_sentinel_t end() const noexcept { return {}; }

  // Loads the refs in members Ms... of the results, one query per referenced table
  // (defined in sqler/relations.hpp): users.find(...).with<&User::address>().all().
  template <auto... Ms>
  auto with() const;

  // ---- for the library's own layers (hydration)
  const Pred& predicate() const noexcept { return pred_; }
  detail::db_state* database_state() const noexcept { return db_.get(); }

 private:
  template <class K>
  using as_key = std::conditional_t<detail::operand<K>, detail::order_key<K, false>, K>;

  template <class... Keys>
  auto after_impl(const T& last, std::int64_t last_id, detail::order_list<Keys...>*) const {
    using traits = detail::keyset_traits<Keys...>;
    static_assert(traits::ends_with_id,
                  "sqler: after(): end order_by() with sqler::doc_id.asc() (or .desc()) so that "
                  "pages have a total order, e.g. order_by(age.asc(), sqler::doc_id.asc())");
    static_assert(traits::fields_only,
                  "sqler: after(): every order_by key before doc_id must be a plain field");
    static_assert(traits::one_direction,
                  "sqler: after(): all order_by keys must sort in the same direction");
    if constexpr (traits::ends_with_id && traits::fields_only && traits::one_direction) {
      using K = typename traits::template node<T>;
      K keyset = traits::template make<T>(last, last_id);
      if constexpr (std::is_same_v<Pred, detail::all_node<T>>) {
        return query<T, K, Order, Limit, Offset>(db_, std::move(keyset), limit_, offset_);
      } else {
        using P = detail::logical_node<detail::and_op, Pred, K>;
        return query<T, P, Order, Limit, Offset>(db_, P{pred_, std::move(keyset)}, limit_,
                                                 offset_);
      }
    }
  }

  template <class F, bool Numeric>
  static constexpr void check_aggregate() {
    static_assert(detail::aggregate_operand_ok<T, F>(),
                  "sqler: aggregates and group_by take a field (or an expression over fields) "
                  "of the queried document type");
    if constexpr (detail::aggregate_operand_ok<T, F>()) {
      constexpr auto k = detail::kind_of<typename F::value_type>();
      if constexpr (Numeric)
        static_assert(k == detail::value_kind::number,
                      "sqler: sum() and avg() need a numeric field");
      else
        static_assert(k == detail::value_kind::number || k == detail::value_kind::string ||
                          k == detail::value_kind::boolean || k == detail::value_kind::enumeration,
                      "sqler: min/max/count_distinct/group_by need a scalar field (number, "
                      "string, bool or enum), not an array or object");
    }
  }

  // Runs a shape whose extra operands (aggregated fields, group keys) bind after the window.
  template <class Kind, class... Extra>
  detail::lease run_with(const Extra&... extra) const {
    auto st = run<Kind>();
    int base = static_cast<int>(builder::patch_param);
    ((extra.bind(*st, base), base += static_cast<int>(Extra::params)), ...);
    return st;
  }

  template <class Fn, class R, class F>
  std::optional<R> aggregate(const F& f) const {
    std::optional<R> out;
    auto st = run_with<detail::aggregate_kind<Fn, F>>(f);
    if (st->step() && !st->column_is_null(0)) out = detail::read_column<R>(*st, 0);
    return out;
  }

  template <class Q, class K>
  friend class grouped_query;

  static void check_window(const char* what, std::int64_t n) {
    if (n < 0)
      throw error(SQLITE_RANGE, std::string("sqler: ") + what + "() must not be negative, got " +
                                    std::to_string(n));
  }

  template <class S>
  void bind(S& st) const {
    bind_values(st, pred_, limit_, offset_);
  }

  template <class S>
  static void bind_values(S& st, const Pred& pred, std::int64_t limit,
                          std::int64_t offset) {
    pred.bind(st, 1);
    if constexpr (Limit) st.bind(static_cast<int>(builder::limit_param), limit);
    if constexpr (Offset) st.bind(static_cast<int>(builder::offset_param), offset);
  }

  template <class Kind>
  detail::lease run() const {
    detail::lease st = db_->conn().template acquire<shape<Kind>>();
    bind(*st);
    return st;
  }

  template <class, class, class, bool, bool>
  friend class query;

  std::shared_ptr<detail::db_state> db_;
  Pred pred_;
  std::int64_t limit_;
  std::int64_t offset_;
};

// query.group_by(key): one row per distinct key, in key order.
template <class Q, class K>
class grouped_query {
 public:
  using key_type = typename detail::group_key<K>::type;

  grouped_query(Q q, K key) : q_(std::move(q)), key_(std::move(key)) {}

  std::vector<std::pair<key_type, std::int64_t>> count() const {
    return rows<detail::count_rows_fn, std::int64_t>(detail::all_node<typename Q::value_type>{});
  }
  // Per-group sum; a group whose values are all missing sums to 0.
  template <class F>
  std::vector<std::pair<key_type, detail::sum_type<F>>> sum(const F& f) const {
    Q::template check_aggregate<F, true>();
    return rows<detail::sum_fn, detail::sum_type<F>>(f);
  }
  template <class F>
  std::vector<std::pair<key_type, double>> avg(const F& f) const {
    Q::template check_aggregate<F, true>();
    return rows<detail::avg_fn, double>(f);
  }
  template <class F>
  std::vector<std::pair<key_type, typename F::value_type>> min(const F& f) const {
    Q::template check_aggregate<F, false>();
    return rows<detail::min_fn, typename F::value_type>(f);
  }
  template <class F>
  std::vector<std::pair<key_type, typename F::value_type>> max(const F& f) const {
    Q::template check_aggregate<F, false>();
    return rows<detail::max_fn, typename F::value_type>(f);
  }

 private:
  template <class Fn, class R, class F>
  std::vector<std::pair<key_type, R>> rows(const F& f) const {
    std::vector<std::pair<key_type, R>> out;
    auto st = q_.template run_with<detail::group_kind<Fn, K, F>>(key_, f);
    while (st->step())
      out.emplace_back(detail::read_column<key_type>(*st, 0), detail::read_column<R>(*st, 1));
    return out;
  }

  Q q_;
  K key_;
};

}  // namespace sqler
