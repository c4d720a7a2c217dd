// sqler/promoted.hpp - promoted members: scalar members that also live in a real, typed column.
//
//   template <> struct sqler::promoted<User> : sqler::columns<&User::email, &User::age> {};
//
// Each promoted member becomes a VIRTUAL generated column over the JSON document
// ("email" TEXT GENERATED ALWAYS AS (json_extract(data,'$.email')) VIRTUAL). The document stays
// the single source of truth, so loading round-trips without any extra work; filters, order_by,
// aggregates and ensure_index on the member use the column, and an index on it is a plain
// column index. Tables created before a member was promoted get the column added on open.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "sqler/codec.hpp"
#include "sqler/detail/fixed_string.hpp"
#include "sqler/detail/reflect.hpp"

namespace sqler {

// The list of promoted members of a document type (top-level members only).
template <auto... Ms>
struct columns {};

// Specialise to promote members of T: struct sqler::promoted<T> : sqler::columns<&T::m...> {}.
template <class T>
struct promoted : columns<> {};

namespace detail {

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

// The column's declared type: its affinity makes comparisons and index lookups behave like
// the member's C++ type.
template <class M>
consteval auto column_type() {
  using U = unwrap_optional_t<M>;
  if constexpr (std::is_same_v<U, bool> || std::is_integral_v<U> || std::is_enum_v<U>)
    return fixed_string{"INTEGER"};
  else if constexpr (std::is_floating_point_v<U>)
    return fixed_string{"REAL"};
  else
    return fixed_string{"TEXT"};
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

// ", "email" TEXT GENERATED ALWAYS AS (json_extract(data,'$.email')) VIRTUAL" for one member.
template <class T, auto M>
consteval auto promoted_column_ddl() {
  constexpr std::string_view name = member_name_holder<T, member_index_of(M)>::value;
  static_assert(name != "_id" && name != "_version" && name != "data",
                "sqler: promoted<T>: a promoted member cannot be named _id, _version or data "
                "(those are the table's own columns)");
  static_assert(promoted_member_ok<T, M>(),
                "sqler: promoted<T>: only scalar members (numbers, bool, enums, std::string, or "
                "std::optional of those) can be promoted to a column");
  using C = std::remove_cvref_t<decltype(std::declval<T&>().*M)>;
  return concat(fixed_string{"\""}, promoted_column_name<T, M>(), fixed_string{"\" "},
                column_type<C>(), fixed_string{" GENERATED ALWAYS AS (json_extract(data,'$."},
                promoted_column_name<T, M>(), fixed_string{"')) VIRTUAL"});
}

template <class T, auto... Ms>
consteval auto promoted_columns_ddl(const columns<Ms...>*) {
  return concat(fixed_string{""}, concat(fixed_string{", "}, promoted_column_ddl<T, Ms>())...);
}

// Everything the CREATE TABLE of T adds after its own three columns.
template <class T>
consteval auto promoted_ddl() {
  return promoted_columns_ddl<T>(static_cast<const promoted<T>*>(nullptr));
}

}  // namespace detail
}  // namespace sqler
