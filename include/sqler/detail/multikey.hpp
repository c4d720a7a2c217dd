// sqler/detail/multikey.hpp - which array paths of a document type have a multikey index.
// sqler::multikey<T> (customize.hpp) lists them; the DSL asks here, at compile time, whether a
// contains()/any() on an array can search the index, and the backend creates the side tables.
#pragma once

#include <cstddef>
#include <string_view>
#include <type_traits>

#include "sqler/customize.hpp"
#include "sqler/detail/dsl/nodes.hpp"
#include "sqler/detail/fixed_string.hpp"
#include "sqler/detail/type_traits.hpp"

namespace sqler::detail {

// "" for the elements themselves, "$.sku" for a member of each object element.
template <auto... Member>
consteval auto element_member_path() {
  if constexpr (sizeof...(Member) == 0)
    return fixed_string{""};
  else
    return json_path<Member...>();
}

template <class E>
struct element_index;

// elements<&T::tags> (scalar elements) or elements<&T::items, &Item::sku> (a member of each
// object element).
template <auto Array, auto... Member>
struct element_index<elements<Array, Member...>> {
  static_assert(sizeof...(Member) <= 1,
                "sqler: elements<&T::array, &Element::member>: at most one member of the element");
  using root = class_of<Array>;
  using array_type = unwrap_optional_t<value_of<Array>>;
  static_assert(is_vector<array_type> || is_std_array<array_type>,
                "sqler: multikey<T>: elements<&T::m...> needs an array member (std::vector or "
                "std::array); index other members with ensure_index()");
  using element_type = typename array_type::value_type;
  static constexpr auto array_path = json_path<Array>();

  static_assert(((std::is_same_v<class_of<Member>, element_type>) && ...),
                "sqler: elements<&T::array, &Element::member>: the member must belong to the "
                "array's element type");
  static constexpr auto member = element_member_path<Member...>();
};

template <auto A, auto B>
consteval bool same_text() {
  return A.view() == B.view();
}

template <auto ArrayPath, auto MemberPath, class... Es>
consteval bool listed(const multikey_list<Es...>*) {
  return ((same_text<element_index<Es>::array_path, ArrayPath>() &&
           same_text<element_index<Es>::member, MemberPath>()) ||
          ...);
}

// Is the array at ArrayPath of T (its elements' MemberPath, "" for the elements themselves)
// declared in sqler::multikey<T>?
template <class T, auto ArrayPath, auto MemberPath>
inline constexpr bool has_multikey =
    listed<ArrayPath, MemberPath>(static_cast<const multikey<T>*>(nullptr));

template <class... Es>
consteval std::size_t multikey_count_of(const multikey_list<Es...>*) {
  return sizeof...(Es);
}

template <class T>
inline constexpr std::size_t multikey_count =
    multikey_count_of(static_cast<const multikey<T>*>(nullptr));

// ---- naming a multikey index in ensure_index()/drop_index()

template <class F>
inline constexpr bool is_array_field = requires {
  F::path;
  requires kind_of<typename F::member_type>() == value_kind::array;
};

// The elements<...> an argument of ensure_index() names: field<&T::tags> or elements<...>{}.
template <class F>
struct elements_of_arg {
  using type = void;
};
template <auto A, auto... M>
struct elements_of_arg<elements<A, M...>> {
  using type = elements<A, M...>;
};
template <template <auto...> class Field, auto M>
  requires is_array_field<Field<M>> && requires { Field<M>::promoted_column; }
struct elements_of_arg<Field<M>> {
  using type = elements<M>;
};
template <class F>
using elements_of = typename elements_of_arg<F>::type;

template <class T, class E>
consteval bool declared_multikey() {
  return has_multikey<T, element_index<E>::array_path, element_index<E>::member>;
}

// Does the single argument F of ensure_index() name a multikey index of T? It must then be
// declared in sqler::multikey<T>, which the static_assert says.
template <class T, class F>
consteval bool names_elements_check() {
  if constexpr (std::is_void_v<elements_of<F>>) {
    return false;
  } else {
    static_assert(declared_multikey<T, elements_of<F>>(),
                  "sqler: ensure_index()/drop_index() on an array member: declare it in "
                  "sqler::multikey<T> (template <> struct sqler::multikey<T> : "
                  "sqler::multikey_list<sqler::elements<&T::m>> {};)");
    return true;
  }
}
template <class T, class F>
inline constexpr bool names_elements = names_elements_check<T, F>();

// What an array predicate asks of one element, when a multikey index can answer it: equal to
// one bound value, or in a bound list. Anything else is answered by scanning.
enum class element_test { none, equals, in_list };

// `param_type`: the C++ type of the one bound value (equals), which a dialect may need to
// turn it into an element (PostgreSQL: $1::bigint::text::jsonb).
template <class Where>
struct element_query {
  static constexpr element_test test = element_test::none;
  static constexpr auto member = fixed_string{""};
  using param_type = void;
};
template <class P>
struct element_query<element_equals<P>> {
  static constexpr element_test test = element_test::equals;
  static constexpr auto member = fixed_string{""};
  using param_type = P;
};
template <>
struct element_query<element_in_list> {
  static constexpr element_test test = element_test::in_list;
  static constexpr auto member = fixed_string{""};
  using param_type = void;
};
// any(field<&Item::sku> == v) and any(field<&Item::sku>.in(...)) on a plain member of the element.
template <class F, class P>
  requires requires { F::path; F::promoted_column; }
struct element_query<element_matches<compare_node<eq_op, F, bound<P>>>> {
  static constexpr element_test test = element_test::equals;
  static constexpr auto member = F::path;
  using param_type = P;
};
template <class F>
  requires requires { F::path; F::promoted_column; }
struct element_query<element_matches<in_node<F>>> {
  static constexpr element_test test = element_test::in_list;
  static constexpr auto member = F::path;
  using param_type = void;
};

}  // namespace sqler::detail
