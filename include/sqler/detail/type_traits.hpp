// sqler/detail/type_traits.hpp - what kind of value a member type holds.
// The codec, the DSL and the SQL dialects all ask the same questions (is it optional, an array,
// a string map, a number?); this is the one place that answers them.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "sqler/detail/reflect.hpp"
#include "sqler/ref.hpp"

namespace sqler::detail {

template <class T>
inline constexpr bool is_optional = false;
template <class T>
inline constexpr bool is_optional<std::optional<T>> = true;

// T without std::optional around it.
template <class T>
struct unwrap_optional {
  using type = T;
};
template <class T>
struct unwrap_optional<std::optional<T>> {
  using type = T;
};
template <class T>
using unwrap_optional_t = typename unwrap_optional<T>::type;

template <class T>
inline constexpr bool is_vector = false;
template <class T, class A>
inline constexpr bool is_vector<std::vector<T, A>> = true;

template <class T>
inline constexpr bool is_std_array = false;
template <class T, std::size_t N>
inline constexpr bool is_std_array<std::array<T, N>> = true;

template <class T>
inline constexpr bool is_string_map = false;
template <class V, class C, class A>
inline constexpr bool is_string_map<std::map<std::string, V, C, A>> = true;
template <class V, class H, class E, class A>
inline constexpr bool is_string_map<std::unordered_map<std::string, V, H, E, A>> = true;

template <class T>
concept json_integer = std::is_integral_v<T> && !std::is_same_v<T, bool>;

// The JSON kind a C++ value type maps to, for type-checking DSL expressions.
enum class value_kind { number, boolean, string, enumeration, array, object, other };

template <class T>
consteval value_kind kind_of() {
  using U = std::remove_cvref_t<unwrap_optional_t<std::remove_cvref_t<T>>>;
  if constexpr (std::is_same_v<U, bool>)
    return value_kind::boolean;
  else if constexpr (std::is_arithmetic_v<U>)
    return value_kind::number;
  else if constexpr (std::is_enum_v<U>)
    return value_kind::enumeration;
  else if constexpr (std::is_convertible_v<const U&, std::string_view> ||
                     std::is_same_v<std::decay_t<U>, char*> ||
                     std::is_same_v<std::decay_t<U>, const char*>)
    return value_kind::string;
  else if constexpr (is_vector<U> || is_std_array<U>)
    return value_kind::array;
  else if constexpr (is_string_map<U> || reflectable<U>)
    return value_kind::object;
  else
    return value_kind::other;
}

}  // namespace sqler::detail
