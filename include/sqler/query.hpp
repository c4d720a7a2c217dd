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

#include "sqler/backend.hpp"
#include "sqler/codec.hpp"
#include "sqler/detail/access.hpp"
#include "sqler/detail/bind.hpp"
#include "sqler/detail/dsl/patch_ops.hpp"
#include "sqler/detail/dsl/query_nodes.hpp"
#include "sqler/detail/integrity.hpp"
#include "sqler/detail/sql/query_text.hpp"
#include "sqler/detail/text.hpp"
#include "sqler/error.hpp"
#include "sqler/field.hpp"
#include "sqler/integrity.hpp"
#include "sqler/query_event.hpp"

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

template <class B>
struct backend_traits;

// Decodes the document in `column` of the current row (column 0 holds its _id), naming the table
// and id in any error.
template <class S, class T>
void decode_row(const S& s, int column, T& out, std::string_view table) {
  auto where = [&] {
    return str_cat({" (document _id ", std::to_string(s.column_int64(0)), " in \"", table, "\")"});
  };
  if (s.column_is_null(column)) [[unlikely]]
    throw decode_error("<document>", str_cat({"the data column is NULL, not a JSON object", where()}));
  try {
    decode(s.column_text(column), out);
  } catch (const decode_error& e) {
    throw decode_error(e.path(), str_cat({e.reason(), where()}));
  }
}

}  // namespace detail

// A query shares ownership of its database: it stays usable after the database and
// collection objects it came from are gone. Made by collection::find().
template <class T, class Pred, class Order, bool Limit, bool Offset, class Backend>
class query {
  using traits = detail::backend_traits<Backend>;
  using state = typename traits::state;
  using lease = typename traits::lease;
  using builder = detail::sql_builder<typename traits::dialect, T, Pred, Order, Limit, Offset>;
  template <class Kind>
  using shape = detail::query_shape<builder, Kind>;
  template <class P, class O, bool L, bool F>
  using query_as = query<T, P, O, L, F, Backend>;

 public:
  using value_type = T;

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
    return query_as<Pred, detail::order_list<as_key<Keys>...>, Limit, Offset>(db_, pred_, limit_,
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
    return query_as<Pred, Order, true, Offset>(db_, pred_, n, offset_);
  }

  auto offset(std::int64_t n) const {
    check_window("offset", n);
    return query_as<Pred, Order, Limit, true>(db_, pred_, limit_, n);
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

  // The first match with its _id and _version (a claim-like read needs the version).
  std::optional<versioned<T>> first_versioned() const {
    std::optional<versioned<T>> out;
    auto st = run<detail::first_kind>();
    if (st->step()) {
      auto& v = out.emplace();
      v.id = st->column_int64(0);
      v.version = st->column_int64(1);
      detail::decode_row(*st, 2, v.value, table_name<T>);
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
    auto&& c = db_->conn();
    if (!detail::referring_tables(c, table_name<T>).empty()) {
      typename traits::transaction_scope tx(c);
      const std::int64_t n = detail::remove_with_policy(c, table_name<T>, ids(), policy);
      tx.commit();
      return n;
    }
    typename traits::write_turn turn(c);
    auto st = run<detail::remove_kind>(c);
    st->step();
    return c.changes();
  }

  // Applies set/inc/push to every matching document in one UPDATE and bumps their _version;
  // returns how many changed. Values may be expressions over the document:
  // find(p).update(sqler::set(score, score * 2 + 5), sqler::inc(visits, 1)).
  template <class... Ops>
  std::int64_t update(const Ops&... ops) const {
    detail::check_patch_ops<T, Ops...>();
    auto&& c = db_->conn();
    typename traits::write_turn turn(c);
    auto st = run<detail::patch_kind<Ops...>>(c);
    detail::bind_patch_ops(*st, static_cast<int>(builder::patch_param), ops...);
    st->step();
    return c.changes();
  }

  // Claims one document: updates the first match in this query's order and returns it as it
  // is after the update, or nullopt when nothing matches. One statement, so two threads (or
  // processes) claiming at once never get the same document: the job-queue pattern
  // jobs.find(state == "new").order_by(id.asc()).update_one(sqler::set(state, "taken")).
  template <class... Ops>
  std::optional<versioned<T>> update_one(const Ops&... ops) const {
    detail::check_patch_ops<T, Ops...>();
    auto&& c = db_->conn();
    typename traits::write_turn turn(c);
    auto st = run<detail::update_one_kind<Ops...>>(c);
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

  // optional<int64_t> for integer operands (exact), optional<double> for the rest.
  template <class F>
  auto sum(const F& f) const {
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
      throw error(result_code::range, detail::str_cat({"sqler: page(): pages are numbered from 1, got ",
                                                       std::to_string(number)}));
    if (per_page < 1)
      throw error(result_code::range, detail::str_cat({"sqler: page(): per_page must be at least 1, got ",
                                                       std::to_string(per_page)}));
    if (number - 1 > INT64_MAX / per_page)
      throw error(result_code::range, detail::str_cat({"sqler: page(): page ", std::to_string(number),
                                                       " is out of range"}));
    sqler::page<T> p;
    p.number = number;
    p.per_page = per_page;
    typename traits::read_snapshot snapshot(db_->conn());
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
      return query_as<M, Order, Limit, Offset>(db_, std::move(node), limit_, offset_);
    } else {
      using P = detail::logical_node<detail::and_op, Pred, M>;
      return query_as<P, Order, Limit, Offset>(db_, P{pred_, std::move(node)}, limit_, offset_);
    }
  }

  // The SELECT this query would run and the values it would bind, without running it.
  statement_text debug() const {
    detail::value_recorder r;
    bind(r);
    return {std::string(sql()), std::move(r.values())};
  }

  // The plan of the SELECT (SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN), a line per step.
  std::string explain() const {
    auto&& c = db_->conn();
    auto st = c.acquire_oneoff(shape<detail::explain_kind>::sql);
    bind(*st);
    std::string out;
    while (st->step()) {
      if (!out.empty()) out.push_back('\n');
      out += st->column_text(traits::dialect::explain_column);
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
    iterator(std::shared_ptr<state> db, Pred pred, std::int64_t limit, std::int64_t offset)
        : db_(std::move(db)), pred_(std::move(pred)) {
      auto&& c = db_->conn();
      st_ = c.template acquire<shape<detail::select_kind>>();
      st_->stream_rows();  // one row in memory at a time, however many match
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

    std::shared_ptr<state> db_;  // declared first: the statement goes before it
    Pred pred_;                  // its text values are bound without copies
    lease st_;
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
        return query_as<K, Order, Limit, Offset>(db_, std::move(keyset), limit_, offset_);
      } else {
        using P = detail::logical_node<detail::and_op, Pred, K>;
        return query_as<P, Order, Limit, Offset>(db_, P{pred_, std::move(keyset)}, limit_,
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
  lease run_with(const Extra&... extra) const {
    auto&& c = db_->conn();
    auto st = run<Kind>(c);
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
      throw error(result_code::range, detail::str_cat({"sqler: ", what, "() must not be negative, got ",
                                                       std::to_string(n)}));
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

  template <class Kind, class C>
  lease run(C& c) const {
    lease st = c.template acquire<shape<Kind>>();
    bind(*st);
    return st;
  }
  template <class Kind>
  lease run() const {
    auto&& c = db_->conn();
    return run<Kind>(c);
  }

  friend struct detail::access;
  template <class, class, class, bool, bool, class>
  friend class query;

  query(std::shared_ptr<state> db, Pred pred, std::int64_t limit = 0, std::int64_t offset = 0)
      : db_(std::move(db)), pred_(std::move(pred)), limit_(limit), offset_(offset) {}

  std::shared_ptr<state> db_;
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
  auto sum(const F& f) const {
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
