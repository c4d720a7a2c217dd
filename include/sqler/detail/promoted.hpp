// sqler/detail/promoted.hpp - which members of a document type are promoted to columns.
// sqler::promoted<T> (customize.hpp) lists them; the DSL renders a promoted member as its column
// and the dialect adds the generated column to the table.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>

#include "sqler/customize.hpp"
#include "sqler/detail/fixed_string.hpp"
#include "sqler/detail/reflect.hpp"
#include "sqler/detail/type_traits.hpp"

namespace sqler::detail {

template <auto... Ms>
consteval std::size_t promoted_count_of(const columns<Ms...>*) {
  return sizeof...(Ms);
}

template <auto M, auto... Ms>
consteval bool promoted_has(const columns<Ms...>*) {
  using P = std::remove_cv_t<decltype(M)>;
  return ([] {
    if constexpr (std::is_same_v<std::remove_cv_t<decltype(Ms)>, P>)
      return Ms == M;
    else
      return false;
  }() || ...);
}

template <class T>
inline constexpr std::size_t promoted_count =
    promoted_count_of(static_cast<const promoted<T>*>(nullptr));

// Is the top-level member M of T promoted?
template <class T, auto M>
inline constexpr bool is_promoted = promoted_has<M>(static_cast<const promoted<T>*>(nullptr));

template <class T, auto M>
consteval auto promoted_column_name() {
  return to_fixed<member_name_holder<T, member_index_of(M)>>();
}

template <class T, auto M>
consteval bool promoted_member_ok() {
  using C = std::remove_cvref_t<decltype(std::declval<T&>().*M)>;
  using U = unwrap_optional_t<C>;
  return std::is_arithmetic_v<U> || std::is_enum_v<U> || std::is_same_v<U, std::string>;
}

// Promotion rules every dialect enforces before spelling the column.
template <class T, auto M>
consteval bool check_promoted() {
  constexpr std::string_view name = member_name_holder<T, member_index_of(M)>::value;
  static_assert(name != "_id" && name != "_version" && name != "data",
                "sqler: promoted<T>: a promoted member cannot be named _id, _version or data "
                "(those are the table's own columns)");
  static_assert(promoted_member_ok<T, M>(),
                "sqler: promoted<T>: only scalar members (numbers, bool, enums, std::string, or "
                "std::optional of those) can be promoted to a column");
  return true;
}

}  // namespace sqler::detail
