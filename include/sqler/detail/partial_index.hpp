// sqler/detail/partial_index.hpp - the statements of a partial index (ensure_index(where(...))).
// The predicate is rendered at compile time by the dialect, as a query renders it; its values
// are written in as literals at run time (sql/literals.hpp), since an index definition binds
// no parameters. The name carries a hash of that final predicate.
#pragma once

#include <string>

#include "sqler/detail/sql/literals.hpp"
#include "sqler/query_event.hpp"

namespace sqler::detail {

template <class D, class T, bool Unique, class Pred, class... Fs>
struct partial_index {
  static constexpr auto where_text = Pred::template render<D, 0, 1>();
  static_assert(!has_subquery(where_text.view()),
                "sqler: ensure_index(where(...)): this predicate is written with a sub-select "
                "(in(), any(), contains(), a ref's fields, a multikey index), which an index "
                "predicate cannot hold; use comparisons, &&, ||, !, is_null(), between(), like()");
  static constexpr auto name = D::template index_name<T, Unique, Fs...>();
  static constexpr auto target = D::template index_target<T, Fs...>();

  std::string index_name;  // quoted
  std::string where;       // with its values as literals

  explicit partial_index(const Pred& pred) {
    value_recorder values;
    pred.bind(values, 1);
    where = with_literals<D>(where_text.view(), values.values());
    index_name = D::partial_index_name(name.view(), where);
  }

  std::string create_sql() const {
    return D::create_partial_index(Unique, index_name, target.view(), where);
  }
  std::string drop_sql() const { return D::drop_index_named(index_name); }
};

}  // namespace sqler::detail
