// sqler/detail/sql/multikey_join.hpp - the multikey equality a read can be joined on.
// A predicate whose top-level AND holds `contains(v)` or `any(elem == v)` on a declared
// multikey array matches exactly the documents whose ids the side table lists for v, each once
// (the side table's primary key is (value, _id)). A dialect that says so (multikey_joins) reads
// such a query as a join driven by the side table instead of `_id IN (SELECT ...)`, which
// SQLite first copies into an ephemeral index; the split below finds that conjunct and renders
// the rest of the predicate with its parameters numbered as before.
#pragma once

#include <cstddef>
#include <type_traits>

#include "sqler/detail/dsl/nodes.hpp"
#include "sqler/detail/dsl/ops.hpp"
#include "sqler/detail/fixed_string.hpp"
#include "sqler/detail/multikey.hpp"

namespace sqler::detail {

// Is C, as a top-level conjunct of a predicate over T, an equality on a multikey index? The
// test is the one array_any() (standard.hpp) makes at depth 0 to render the IN form, narrowed
// to one value (a list would join a document once per listed value it holds).
template <class T, class C>
struct join_driver {
  static constexpr bool value = false;
};
template <class T, class F, class Where>
struct join_driver<T, array_exists_node<F, Where>> {
  using query = element_query<Where>;
  using field = F;
  static constexpr bool value = std::is_same_v<typename F::root, T> &&
                                query::test == element_test::equals &&
                                has_multikey<typename F::root, F::path, query::member>;
};

// The predicate Pred split into its first joinable conjunct (`driver`, whose parameter is
// number `offset` + 1 of Pred's) and the rest, rendered by rest<D, P0>() with Pred's
// numbering; has_rest is false when the driver is the whole predicate.
template <class T, class Pred>
struct conjunct_split {
  static constexpr bool found = join_driver<T, Pred>::value;
  using driver = std::conditional_t<found, Pred, void>;
  static constexpr std::size_t offset = 0;
  static constexpr bool has_rest = false;
  template <class D, std::size_t P0>
  static consteval auto rest() {
    return fixed_string{""};
  }
};

template <class T, class A, class B>
struct conjunct_split<T, logical_node<and_op, A, B>> {
  using left = conjunct_split<T, A>;
  using right = conjunct_split<T, B>;
  static constexpr bool found = left::found || right::found;
  using driver = std::conditional_t<left::found, typename left::driver, typename right::driver>;
  static constexpr std::size_t offset = left::found ? left::offset : A::params + right::offset;
  static constexpr bool has_rest = true;  // the other side of this AND

  // As logical() renders the AND, less the driver; a side that was only the driver goes.
  template <class D, std::size_t P0>
  static consteval auto rest() {
    if constexpr (left::found) {
      constexpr auto b = B::template render<D, 0, P0 + A::params>();
      if constexpr (left::has_rest)
        return concat(fixed_string{"("}, left::template rest<D, P0>(), D::template op<and_op>(),
                      b, fixed_string{")"});
      else
        return b;
    } else {
      constexpr auto a = A::template render<D, 0, P0>();
      if constexpr (right::has_rest)
        return concat(fixed_string{"("}, a, D::template op<and_op>(),
                      right::template rest<D, P0 + A::params>(), fixed_string{")"});
      else
        return a;
    }
  }
};

}  // namespace sqler::detail
