// sqler/detail/reflect.hpp - compile-time reflection of plain aggregates.
// Member count and types come from Boost.PFR; member names from boost::pfr::get_name (Boost >=
// 1.84) or, before that, from __PRETTY_FUNCTION__ of a pointer to a member of a fake object.
#pragma once

#include <boost/pfr.hpp>
#include <boost/version.hpp>

#include <array>
#include <cstddef>
#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>

#include "sqler/detail/fixed_string.hpp"

#if BOOST_VERSION >= 108400
#define SQLER_DETAIL_PFR_HAS_NAMES 1
#else
#define SQLER_DETAIL_PFR_HAS_NAMES 0
#endif

namespace sqler {

// Customisation point for the table a document type is stored in. Either give the struct a
// `static constexpr std::string_view sqler_table = "...";` member or specialise this trait.
template <class T>
struct table_name_of;

namespace detail {

template <class T>
inline constexpr bool always_false = false;

template <class T>
concept reflectable = std::is_aggregate_v<T> && std::is_class_v<T> && !std::is_union_v<T>;

template <class T>
inline constexpr std::size_t member_count = boost::pfr::tuple_size_v<T>;

template <class T, std::size_t I>
using member_type = boost::pfr::tuple_element_t<I, T>;

// Cuts "Name" out of a compiler's function signature text: the unqualified identifier that
// ends just before the last run of closing punctuation. g++ prints `(& fake<U>.U::age)]`,
// clang `{&fake.age}]`; both end with the member's name.
constexpr bool is_ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

constexpr std::string_view last_identifier(std::string_view s) {
  std::size_t end = s.size();
  while (end > 0 && !is_ident_char(s[end - 1])) --end;
  std::size_t begin = end;
  while (begin > 0 && is_ident_char(s[begin - 1])) --begin;
  return s.substr(begin, end - begin);
}

// An object of T that is never constructed: only its members' addresses are taken, in
// constant expressions. A defined union (rather than an undefined extern variable) keeps this
// working for types in anonymous namespaces, which clang refuses to leave undefined; it is not
// constexpr because T need not be a literal type (e.g. members holding a std::shared_ptr).
template <class T>
union fake_storage {
  char unused;
  T value;
  constexpr fake_storage() : unused() {}
  ~fake_storage() {}
};

template <class T>
inline const fake_storage<T> fake_holder{};

template <class T>
inline constexpr const T& fake_object = fake_holder<T>.value;

#if !SQLER_DETAIL_PFR_HAS_NAMES
// clang 14 rejects a raw pointer-to-subobject as a template argument unless wrapped.
template <class P>
struct pointer_wrapper {
  P p;
};

template <auto Wrapped>
constexpr auto pretty_name_of_pointer() {  // must return auto: g++ otherwise drops the text
  return std::string_view{__PRETTY_FUNCTION__};
}

template <class T, std::size_t I>
inline constexpr std::string_view fallback_member_name = last_identifier(
    pretty_name_of_pointer<pointer_wrapper<const member_type<T, I>*>{
        std::addressof(std::get<I>(boost::pfr::structure_tie(fake_object<T>)))}>());
#endif

template <class T, std::size_t I>
consteval std::string_view member_name_impl() {
#if SQLER_DETAIL_PFR_HAS_NAMES
  return boost::pfr::get_name<I, T>();
#else
  return fallback_member_name<T, I>;
#endif
}

template <class T, std::size_t I>
struct member_name_holder {
  static constexpr std::string_view value = member_name_impl<T, I>();
};

template <class T, std::size_t I>
inline constexpr std::string_view member_name = member_name_holder<T, I>::value;

template <class T>
consteval auto member_names() {
  return []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<std::string_view, sizeof...(I)>{member_name<T, I>...};
  }(std::make_index_sequence<member_count<T>>{});
}

// Index of the member a pointer-to-member designates. Member pointers carry no index, so the
// member's address inside the fake object is compared with each reflected member's address.
template <class T, class M>
consteval std::size_t member_index_of(M T::*mp) {
  const void* target = std::addressof(fake_object<T>.*mp);
  std::size_t found = member_count<T>;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((found = (found == member_count<T> &&
                       static_cast<const void*>(std::addressof(
                           std::get<I>(boost::pfr::structure_tie(fake_object<T>)))) == target
                   ? I
                   : found)),
     ...);
  }(std::make_index_sequence<member_count<T>>{});
  return found;
}

template <class T>
consteval std::string_view type_name_text() {
  return std::string_view{__PRETTY_FUNCTION__};
}

// The type's spelling as the compiler prints it: "[with T = ns::User; ...]" (g++) or
// "[T = ns::User]" (clang) -> "ns::User".
template <class T>
consteval std::string_view full_type_name() {
  std::string_view s = type_name_text<T>();
  const std::size_t b = s.find("T = ") + 4;
  std::size_t e = b;
  for (int depth = 0; e < s.size(); ++e) {  // ';' or ']' outside template arguments ends it
    if (s[e] == '<' || s[e] == '(') ++depth;
    if (s[e] == '>' || s[e] == ')') --depth;
    if (depth == 0 && (s[e] == ';' || s[e] == ']')) break;
  }
  return s.substr(b, e - b);
}

// The last component of the qualified name, found outside template arguments, so
// "ns::Outer<int>::Inner" -> "Inner" and "ns::Box<a::B>" -> "Box<a::B>".
template <class T>
consteval std::string_view unqualified_type_name() {
  const std::string_view s = full_type_name<T>();
  std::size_t start = 0;
  int depth = 0;
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] == '<' || s[i] == '(') ++depth;
    if (s[i] == '>' || s[i] == ')') --depth;
    if (depth == 0 && s[i] == ':' && s[i + 1] == ':') start = i + 2;
  }
  return s.substr(start);
}

template <class T>
concept has_member_table_name = requires {
  { T::sqler_table } -> std::convertible_to<std::string_view>;
};

template <class T>
concept has_trait_table_name = requires {
  { table_name_of<T>::value } -> std::convertible_to<std::string_view>;
};

template <class T>
consteval std::string_view table_name_impl() {
  if constexpr (has_trait_table_name<T>)
    return table_name_of<T>::value;
  else if constexpr (has_member_table_name<T>)
    return T::sqler_table;
  else {
    // Box<int> and Box<double> would both default to "Box", and compilers spell template
    // arguments differently: make the user choose.
    static_assert(unqualified_type_name<T>().find('<') == std::string_view::npos,
                  "sqler: a class template specialization has no default table name; give it "
                  "one with a `static constexpr std::string_view sqler_table = \"...\";` member "
                  "or a sqler::table_name_of<T> specialization");
    return unqualified_type_name<T>();
  }
}

template <class T>
struct table_name_holder {
  static constexpr std::string_view value = table_name_impl<T>();
  static_assert(!value.empty(), "sqler: table name must not be empty");
  static_assert(value.find('"') == std::string_view::npos,
                "sqler: table name must not contain a double quote");
};

}  // namespace detail

// The table a document type is stored in (compile-time constant).
template <class T>
inline constexpr std::string_view table_name = detail::table_name_holder<T>::value;

}  // namespace sqler
