// sqler/index_where.hpp - sqler::where(pred): the condition of a partial index.
// coll.ensure_index(sqler::where(field<&Task::status> == "open"), field<&Task::priority>)
// indexes only the documents the predicate holds for: a smaller index, which serves the queries
// whose predicate includes the same condition.
#pragma once

#include <type_traits>

#include "sqler/field.hpp"

namespace sqler {

// A predicate kept for an index definition (ensure_index, ensure_unique_index, drop_index,
// index_sql), which writes its values into the index's SQL as literals.
template <class Pred>
struct index_where {
  Pred pred;
};

template <class Pred>
constexpr auto where(const Pred& pred) {
  static_assert(detail::predicate<Pred>,
                "sqler: where() takes a predicate such as field<&T::m> == value");
  return index_where<Pred>{pred};
}

}  // namespace sqler
