// sqler/detail/sql/query_text.hpp - the text of every operation on a query shape.
// SELECT/COUNT/EXISTS/DELETE/UPDATE/aggregates over one predicate, order and window, composed
// at compile time from standard SQL and the dialect's pieces (paths, placeholders, the spelling
// of "no limit", EXPLAIN, row locks), so one shape type has one text per dialect.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

#include "sqler/detail/dsl/nodes.hpp"
#include "sqler/detail/dsl/query_nodes.hpp"
#include "sqler/detail/fixed_string.hpp"
#include "sqler/detail/sql/multikey_join.hpp"

namespace sqler::detail {


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

// Is the sort key K the row's _id: doc_id.asc()/.desc(), or doc_id given bare to order_by()?
template <class K>
struct id_sort_key {
  static constexpr bool is_id = is_id_order_key<K>;
  static constexpr bool desc = id_order_desc<K>;
};
template <class F, bool Desc>
  requires requires { F::is_id_column; }
struct id_sort_key<order_key<F, Desc>> {
  static constexpr bool is_id = F::is_id_column;
  static constexpr bool desc = Desc;
};

template <class D, class T, class Pred, class Order, bool Limit, bool Offset>
struct sql_builder {
  static constexpr std::size_t limit_param = Pred::params + 1;
  static constexpr std::size_t offset_param = Pred::params + (Limit ? 2 : 1);

  static consteval auto table() { return D::template table<T>(); }

  static consteval auto where() {
    if constexpr (std::is_same_v<Pred, all_node<T>>)
      return fixed_string{""};
    else
      return concat(fixed_string{" WHERE "}, Pred::template render<D, 0, 1>());
  }

  // ---- reads joined to a multikey index (multikey_join.hpp)
  // SELECT, first, ids, count, exists and aggregates read the rows of
  // `(SELECT _id AS <id> FROM <side> WHERE value = ?k) JOIN T ON T._id = <id>` when the dialect
  // joins and a top-level conjunct is a multikey equality; writes keep `_id IN (...)` (DELETE
  // and UPDATE take one table).
  using split = conjunct_split<T, Pred>;
  static constexpr bool joined = D::multikey_joins && split::found;

  // The FROM and WHERE clauses of a read.
  static consteval auto read_from() {
    if constexpr (joined) {
      using driver = join_driver<T, typename split::driver>;
      constexpr auto join = concat(
          fixed_string{" FROM "},
          D::template multikey_join<T, driver::field::path, driver::query::member,
                                    typename driver::query::param_type, split::offset + 1>());
      if constexpr (split::has_rest)
        return concat(join, fixed_string{" WHERE "}, split::template rest<D, 1>());
      else
        return join;
    } else {
      return concat(fixed_string{" FROM "}, table(), where());
    }
  }

  // A key on _id sorts by the side table's id when joined (the same value): the side table
  // yields one value's ids in order, so ORDER BY <id> needs no sort and a LIMIT stops early,
  // where ORDER BY _id would sort every match (SQLite does not carry the order across the ON).
  template <class K, bool Joined>
  static consteval auto order_key_text() {
    if constexpr (Joined && id_sort_key<K>::is_id && id_sort_key<K>::desc)
      return concat(D::multikey_join_id(), fixed_string{" DESC"});
    else if constexpr (Joined && id_sort_key<K>::is_id)
      return concat(D::multikey_join_id(), fixed_string{" ASC"});
    else
      return K::template render<D, 0>();
  }
  template <bool Joined, class First, class... Rest>
  static consteval auto order_keys(order_list<First, Rest...>*) {
    return concat(fixed_string{" ORDER BY "}, order_key_text<First, Joined>(),
                  concat(fixed_string{", "}, order_key_text<Rest, Joined>())...);
  }
  template <bool Joined>
  static consteval auto order_keys(order_list<>*) {
    return fixed_string{""};
  }
  static consteval auto order() { return order_keys<false>(static_cast<Order*>(nullptr)); }
  static consteval auto read_order() { return order_keys<joined>(static_cast<Order*>(nullptr)); }

  // `first` asks for one row; an explicit limit is kept as the user wrote it.
  template <bool ForceOne>
  static consteval auto limit_offset() {
    constexpr auto limit = [] {
      if constexpr (Limit)
        return concat(fixed_string{" LIMIT "}, D::template placeholder<limit_param>());
      else if constexpr (ForceOne)
        return fixed_string{" LIMIT 1"};
      else if constexpr (Offset)
        return D::no_limit();
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
  // Joined, the window keeps the document's columns only (T.*), as unjoined.
  // (A function, not a lambda: clang 14 refuses a consteval call inside a lambda here.)
  static consteval auto window_columns() {
    if constexpr (joined)
      return concat(fixed_string{" FROM (SELECT "}, table(), fixed_string{".*"});
    else
      return fixed_string{" FROM (SELECT *"};
  }
  static consteval auto source() {
    if constexpr (windowed)
      return concat(window_columns(), read_from(), read_order(), limit_offset<false>(),
                    fixed_string{") AS w"});
    else
      return read_from();
  }

  template <class Fn, class F, std::size_t P0>
  static consteval auto call() {
    if constexpr (std::is_same_v<Fn, count_rows_fn>)
      return fixed_string{"COUNT(*)"};
    else
      return D::template aggregate<Fn, F, P0,
                                   std::is_same_v<Fn, sum_fn> &&
                                       std::is_floating_point_v<sum_type<F>>>();
  }

  template <class Fn, class F>
  static consteval auto render_kind(aggregate_kind<Fn, F>*) {
    return concat(fixed_string{"SELECT "}, call<Fn, F, patch_param>(), source());
  }

  template <class Fn, class K, class F>
  static consteval auto render_kind(group_kind<Fn, K, F>*) {
    constexpr auto key = D::template group_key<K, patch_param>();
    return concat(fixed_string{"SELECT "}, key, fixed_string{", "},
                  call<Fn, F, patch_param + K::params>(), source(), fixed_string{" GROUP BY "},
                  key, fixed_string{" ORDER BY "}, D::template group_order<key>());
  }

  template <class... Ops>
  static consteval auto render_kind(update_one_kind<Ops...>*) {
    return concat(fixed_string{"UPDATE "}, table(), fixed_string{" SET "},
                  D::template patch_assignments<patch_param, Ops...>(),
                  fixed_string{" WHERE _id = (SELECT _id FROM "}, table(), where(), order(),
                  limit_offset<true>(), D::claim_lock(),
                  fixed_string{") RETURNING _id, _version, data"});
  }

  template <class... Ops>
  static consteval auto render_kind(patch_kind<Ops...>*) {
    constexpr auto head = concat(fixed_string{"UPDATE "}, table(), fixed_string{" SET "},
                                 D::template patch_assignments<patch_param, Ops...>());
    if constexpr (windowed)
      return concat(head, fixed_string{" WHERE _id IN (SELECT _id FROM "}, table(), where(),
                    order(), limit_offset<false>(), fixed_string{")"});
    else
      return concat(head, where());
  }

  template <class Kind>
  static consteval auto render() {
    // Reads: joined to a multikey index when they can be (see read_from()).
    constexpr auto read = read_from();
    constexpr auto read_sorted = concat(read, read_order());
    // Writes: always one table.
    constexpr auto from = concat(fixed_string{" FROM "}, table(), where());
    if constexpr (std::is_same_v<Kind, select_kind>)
      return concat(fixed_string{"SELECT _id, _version, data"}, read_sorted, limit_offset<false>());
    else if constexpr (std::is_same_v<Kind, first_kind>)
      return concat(fixed_string{"SELECT _id, _version, data"}, read_sorted, limit_offset<true>());
    else if constexpr (std::is_same_v<Kind, explain_kind>)
      return concat(D::explain(), render<select_kind>());
    else if constexpr (std::is_same_v<Kind, ids_kind>)
      return concat(fixed_string{"SELECT _id"}, read_sorted, limit_offset<false>());
    else if constexpr (std::is_same_v<Kind, count_kind>) {
      if constexpr (windowed)
        return concat(fixed_string{"SELECT COUNT(*) FROM (SELECT 1"}, read_sorted,
                      limit_offset<false>(), fixed_string{") AS w"});
      else
        return concat(fixed_string{"SELECT COUNT(*)"}, read);
    } else if constexpr (std::is_same_v<Kind, exists_kind>)
      return concat(fixed_string{"SELECT EXISTS (SELECT 1"}, read_sorted, limit_offset<false>(),
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

template <class Builder, class Kind>
struct query_shape {
  static constexpr auto text = Builder::template render<Kind>();
  static constexpr std::string_view sql = text.view();
  static constexpr bool single_row = std::is_same_v<Kind, first_kind>;
};

}  // namespace sqler::detail
