// sqler/detail/bind.hpp - C++ values as statement parameters and result columns.
// The same rules for every backend: integers (bools, enums) bind as 64-bit integers, floating
// point as doubles, strings as text without a copy, std::optional and nullptr as NULL.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "sqler/detail/reflect.hpp"
#include "sqler/detail/text.hpp"
#include "sqler/detail/type_traits.hpp"
#include "sqler/error.hpp"

namespace sqler::detail {

// ---------------------------------------------------------------- binding C++ values

template <class S, class V>
void bind_value(S& s, int i, const V& v) {
  if constexpr (std::is_same_v<V, std::nullptr_t> || std::is_same_v<V, std::nullopt_t>) {
    s.bind_null(i);
  } else if constexpr (std::is_integral_v<V> || std::is_enum_v<V>) {
    // bools bind as 0/1 integers: that is what json_extract returns for false/true.
    if constexpr (std::is_unsigned_v<V> && sizeof(V) >= sizeof(std::int64_t)) {
      if (v > static_cast<V>(INT64_MAX))
        throw error(result_code::range,
                    str_cat({"sqler: unsigned value ", std::to_string(v),
                             " does not fit a 64-bit signed integer parameter"}));
    }
    s.bind(i, static_cast<std::int64_t>(v));
  } else if constexpr (std::is_floating_point_v<V>) {
    s.bind(i, static_cast<double>(v));
  } else if constexpr (std::is_convertible_v<const V&, std::string_view>) {
    s.bind_text(i, std::string_view(v));
  } else if constexpr (is_optional<V>) {
    if (v)
      bind_value(s, i, *v);
    else
      s.bind_null(i);
  } else {
    static_assert(sizeof(V) == 0,
                  "sqler: cannot bind this type as an SQL parameter (use an integer, floating "
                  "point, bool, enum, string, std::optional of those, or nullptr)");
  }
}

template <class S, class... P>
void bind_all(S& s, const P&... params) {
  int i = 0;
  (bind_value(s, ++i, params), ...);
}

// Reads one column into a C++ value (raw queries, aggregates).
template <class T, class S>
T read_column(const S& s, int c) {
  if constexpr (is_optional<T>) {
    if (s.column_is_null(c)) return std::nullopt;
    return read_column<typename T::value_type>(s, c);
  } else if constexpr (std::is_same_v<T, bool>) {
    return s.column_int64(c) != 0;
  } else if constexpr (std::is_integral_v<T> || std::is_enum_v<T>) {
    return static_cast<T>(s.column_int64(c));
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(s.column_double(c));
  } else if constexpr (std::is_same_v<T, std::string>) {
    return std::string(s.column_text(c));
  } else {
    static_assert(sizeof(T) == 0,
                  "sqler: query<...> columns must be integers, floating point, bool, "
                  "std::string or std::optional of those");
  }
}

}  // namespace sqler::detail
