// sqler/render.hpp - how expression trees are spelled in SQL.
// Everything dialect-specific (JSON path extraction, array expansion, placeholders) lives in a
// dialect policy; expression types only compose these pieces at compile time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "sqler/detail/fixed_string.hpp"

namespace sqler {

// SQLite 3.38+ JSON1. Paths render through json_extract (not ->>): SQLite only matches an
// expression index when the query spells the expression byte-for-byte the same way.
struct sqlite_dialect {
  // The JSON document a path is taken from: the row's column at depth 0, the current
  // json_each element at depth d inside an any().
  template <std::size_t Depth>
  static consteval auto source() {
    if constexpr (Depth == 0)
      return detail::fixed_string{"data"};
    else
      return detail::concat(detail::fixed_string{"je"}, detail::to_fixed_number<Depth>(),
                            detail::fixed_string{".value"});
  }

  template <std::size_t Depth, auto Path>
  static consteval auto extract() {
    return detail::concat(detail::fixed_string{"json_extract("}, source<Depth>(),
                          detail::fixed_string{",'"}, Path, detail::fixed_string{"')"});
  }

  template <std::size_t Depth, auto Path>
  static consteval auto array_length() {
    return detail::concat(detail::fixed_string{"json_array_length("}, source<Depth>(),
                          detail::fixed_string{",'"}, Path, detail::fixed_string{"')"});
  }

  template <std::size_t N>
  static consteval auto placeholder() {
    return detail::concat(detail::fixed_string{"?"}, detail::to_fixed_number<N>());
  }

  // The elements of the array at Path, one row each, named `je<Alias>` with column `value`.
  template <std::size_t Depth, auto Path, std::size_t Alias>
  static consteval auto each() {
    return detail::concat(detail::fixed_string{"json_each("}, source<Depth>(),
                          detail::fixed_string{",'"}, Path, detail::fixed_string{"') AS je"},
                          detail::to_fixed_number<Alias>());
  }

  template <std::size_t Alias>
  static consteval auto element() {
    return detail::concat(detail::fixed_string{"je"}, detail::to_fixed_number<Alias>(),
                          detail::fixed_string{".value"});
  }

  // The elements of a bound JSON array parameter: lists keep one SQL shape whatever their size.
  template <std::size_t N>
  static consteval auto param_elements() {
    return detail::concat(detail::fixed_string{"SELECT value FROM json_each("}, placeholder<N>(),
                          detail::fixed_string{")"});
  }

  template <std::size_t N, std::size_t Alias>
  static consteval auto each_param() {
    return detail::concat(detail::fixed_string{"json_each("}, placeholder<N>(),
                          detail::fixed_string{") AS jv"}, detail::to_fixed_number<Alias>());
  }

  template <std::size_t Alias>
  static consteval auto param_element() {
    return detail::concat(detail::fixed_string{"jv"}, detail::to_fixed_number<Alias>(),
                          detail::fixed_string{".value"});
  }

  // "lo, hi" of an integer (or enum) member's type as SQL literals; NULL, NULL for int64, which
  // any SQLite integer fits.
  template <class M>
  static consteval auto integer_bounds() {
    if constexpr (std::is_enum_v<M>) {
      return integer_bounds<std::underlying_type_t<M>>();
    } else if constexpr (sizeof(M) == 8 && std::is_signed_v<M>) {
      return detail::fixed_string{"NULL, NULL"};
    } else if constexpr (sizeof(M) == 8) {
      return detail::concat(detail::fixed_string{"0, "},
                            detail::to_fixed_signed<std::numeric_limits<std::int64_t>::max()>());
    } else {
      return detail::concat(
          detail::to_fixed_signed<static_cast<long long>(std::numeric_limits<M>::min())>(),
          detail::fixed_string{", "},
          detail::to_fixed_signed<static_cast<long long>(std::numeric_limits<M>::max())>());
    }
  }

  // A value computed in SQL (patch arithmetic) about to be stored in a member of type M: the
  // registered guards fail the statement when M cannot hold it, and write doubles exactly.
  template <class M, auto Path, auto Expr>
  static consteval auto checked_value() {
    if constexpr (std::is_floating_point_v<M>) {
      constexpr auto is_float = [] {
        if constexpr (std::is_same_v<M, float>)
          return detail::fixed_string{"1"};
        else
          return detail::fixed_string{"0"};
      }();
      return detail::concat(detail::fixed_string{"json(sqler_real("}, Expr,
                            detail::fixed_string{", "}, is_float, detail::fixed_string{", '"}, Path,
                            detail::fixed_string{"'))"});
    } else if constexpr (std::is_integral_v<M> || std::is_enum_v<M>) {
      return detail::concat(detail::fixed_string{"sqler_int("}, Expr, detail::fixed_string{", "},
                            integer_bounds<M>(), detail::fixed_string{", '"}, Path,
                            detail::fixed_string{"')"});
    } else {
      return Expr;
    }
  }

  template <auto Name>
  static consteval auto quote_identifier() {
    return detail::concat(detail::fixed_string{"\""}, Name, detail::fixed_string{"\""});
  }
};

using default_dialect = sqlite_dialect;

}  // namespace sqler
