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

// The two lists of sqler::promoted<T>: its sqler::columns<...> base (VIRTUAL columns) and its
// sqler::stored<...> base (STORED columns), each empty when not given. Converting a pointer to
// a base is a better match than converting it to void*, so the list given wins.
template <auto... Ms>
columns<Ms...> virtual_list_of(const columns<Ms...>*);
columns<> virtual_list_of(const void*);
template <auto... Ms>
stored<Ms...> stored_list_of(const stored<Ms...>*);
stored<> stored_list_of(const void*);

template <class T>
using virtual_list = decltype(virtual_list_of(static_cast<const promoted<T>*>(nullptr)));
template <class T>
using stored_list = decltype(stored_list_of(static_cast<const promoted<T>*>(nullptr)));

template <template <auto...> class List, auto... Ms>
consteval std::size_t list_size(const List<Ms...>*) {
  return sizeof...(Ms);
}

template <auto M, template <auto...> class List, auto... Ms>
consteval bool list_has(const List<Ms...>*) {
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
    list_size(static_cast<const virtual_list<T>*>(nullptr)) +
    list_size(static_cast<const stored_list<T>*>(nullptr));

// Is the top-level member M of T a STORED promoted column?
template <class T, auto M>
inline constexpr bool is_stored = list_has<M>(static_cast<const stored_list<T>*>(nullptr));

// Is the top-level member M of T promoted (VIRTUAL or STORED)?
template <class T, auto M>
inline constexpr bool is_promoted =
    list_has<M>(static_cast<const virtual_list<T>*>(nullptr)) || is_stored<T, M>;

// Calls f.template operator()<M, Stored>() for every promoted member M of T, VIRTUAL first.
template <class T, class F>
constexpr void for_each_promoted(F&& f) {
  [&]<auto... Ms>(const columns<Ms...>*) {
    (f.template operator()<Ms, false>(), ...);
  }(static_cast<const virtual_list<T>*>(nullptr));
  [&]<auto... Ms>(const stored<Ms...>*) {
    (f.template operator()<Ms, true>(), ...);
  }(static_cast<const stored_list<T>*>(nullptr));
}

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
  static_assert(!(is_stored<T, M> &&
                  list_has<M>(static_cast<const virtual_list<T>*>(nullptr))),
                "sqler: promoted<T>: a member is listed both in columns<...> (VIRTUAL) and in "
                "stored<...> (STORED); name it in one of them");
  return true;
}

}  // namespace sqler::detail
