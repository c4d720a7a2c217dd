// sqler/query.hpp - lazy queries: find(pred).order_by(...).limit(n).offset(m), then all(),
// iteration, first(), count(), exists(), ids() or remove(). A query's SQL text is a constant of
// its type; its prepared statement is cached per connection in the slot of that type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "sqler/codec.hpp"
#include "sqler/detail/db_state.hpp"
#include "sqler/detail/fixed_string.hpp"
#include "sqler/expr.hpp"
#include "sqler/patch.hpp"
#include "sqler/render.hpp"
#include "sqler/sqlite.hpp"

namespace sqler {

// A document together with its row id and version.
template <class T>
struct versioned {
  std::int64_t id = 0;
  std::int64_t version = 0;
  T value{};
};

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

template <class Kind>
inline constexpr bool is_patch_kind = false;
template <class... Ops>
inline constexpr bool is_patch_kind<patch_kind<Ops...>> = true;

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
  // Patch values are bound after the predicate's values, the limit and the offset.
  static constexpr std::size_t patch_param = Pred::params + (Limit ? 1 : 0) + (Offset ? 1 : 0) + 1;

  template <class... Ops>
  static consteval auto render_patch(patch_kind<Ops...>*) {
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
    else if constexpr (is_patch_kind<Kind>)
      return render_patch(static_cast<Kind*>(nullptr));
    else if constexpr (std::is_same_v<Kind, remove_kind>) {
      if constexpr (windowed)
        return concat(fixed_string{"DELETE FROM "}, table(), fixed_string{" WHERE _id IN (SELECT _id"},
                      from, order(), limit_offset<false>(), fixed_string{")"});
      else
        return concat(fixed_string{"DELETE"}, from);
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
  void bind(statement& s, int base) const {
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
  try {
    decode(s.column_text(column), out);
  } catch (const decode_error& e) {
    throw decode_error(e.path(), e.reason() + " (document _id " +
                                     std::to_string(s.column_int64(0)) + " in \"" +
                                     std::string(table) + "\")");
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

  query(detail::db_state* db, Pred pred, std::int64_t limit = 0, std::int64_t offset = 0)
      : db_(db), pred_(std::move(pred)), limit_(limit), offset_(offset) {}

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

  // Deletes every matching document; returns how many.
  std::int64_t remove() const {
    detail::write_turn turn(db_->conn());
    auto st = run<detail::remove_kind>();
    st->step();
    return db_->conn().changes();
  }

  // Applies set/inc/push to every matching document in one UPDATE; returns how many changed.
  template <class... Ops>
  std::int64_t patch(const Ops&... ops) const {
    detail::check_patch_ops<T, Ops...>();
    detail::write_turn turn(db_->conn());
    auto st = run<detail::patch_kind<Ops...>>();
    detail::bind_patch_ops(*st, static_cast<int>(builder::patch_param), ops...);
    st->step();
    return db_->conn().changes();
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
    explicit iterator(detail::lease st) : st_(std::move(st)) { advance(); }
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

    detail::lease st_;
    mutable T value_{};
    std::int64_t id_ = 0;
    std::int64_t version_ = 0;
    bool done_ = false;
  };

  // Streams the rows; the query must outlive the iteration (its values stay bound to it).
  iterator begin() const { return iterator(run<detail::select_kind>()); }
  std::default_sentinel_t end() const noexcept { return {}; }

  // Loads the refs in members Ms... of the results, one query per referenced table
  // (defined in sqler/relations.hpp): users.find(...).with<&User::address>().all().
  template <auto... Ms>
  auto with() const;

  // ---- for the library's own layers (hydration)
  const Pred& predicate() const noexcept { return pred_; }
  detail::db_state* database_state() const noexcept { return db_; }

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

  static void check_window(const char* what, std::int64_t n) {
    if (n < 0)
      throw error(SQLITE_RANGE, std::string("sqler: ") + what + "() must not be negative, got " +
                                    std::to_string(n));
  }

  void bind(detail::statement& st) const {
    pred_.bind(st, 1);
    if constexpr (Limit) st.bind(static_cast<int>(builder::limit_param), limit_);
    if constexpr (Offset) st.bind(static_cast<int>(builder::offset_param), offset_);
  }

  template <class Kind>
  detail::lease run() const {
    detail::lease st = db_->conn().template acquire<shape<Kind>>();
    bind(*st);
    return st;
  }

  template <class, class, class, bool, bool>
  friend class query;

  detail::db_state* db_;
  Pred pred_;
  std::int64_t limit_;
  std::int64_t offset_;
};

}  // namespace sqler
