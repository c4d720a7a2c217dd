// sqler/render.hpp - how expression trees are spelled in SQL.
// Everything dialect-specific (JSON path extraction, array expansion, placeholders) lives in a
// dialect policy; expression types only compose these pieces at compile time.
#pragma once

#include <cstddef>

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

  template <auto Name>
  static consteval auto quote_identifier() {
    return detail::concat(detail::fixed_string{"\""}, Name, detail::fixed_string{"\""});
  }
};

using default_dialect = sqlite_dialect;

}  // namespace sqler
