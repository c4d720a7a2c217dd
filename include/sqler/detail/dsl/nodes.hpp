// sqler/detail/dsl/nodes.hpp - the expression types the DSL builds.
// Each node is a type whose SQL text is rendered at compile time through a dialect D (the only
// place that knows a database's spelling of paths, placeholders and array expansion); the
// values travel alongside as members and are bound as parameters through any statement type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "sqler/codec.hpp"
#include "sqler/detail/bind.hpp"
#include "sqler/detail/fixed_string.hpp"
#include "sqler/detail/dsl/ops.hpp"
#include "sqler/detail/reflect.hpp"
#include "sqler/detail/type_traits.hpp"

namespace sqler::detail {


// Can a member of type M be compared with a C++ value of type V?
template <class M, class V>
consteval bool comparable() {
  constexpr value_kind km = kind_of<M>(), kv = kind_of<V>();
  if constexpr (km != kv || km == value_kind::array || km == value_kind::object ||
                km == value_kind::other)
    return false;
  else if constexpr (km == value_kind::enumeration)
    return std::is_same_v<std::remove_cvref_t<unwrap_optional_t<M>>, std::remove_cvref_t<V>>;
  else
    return true;
}

// How a value compared with a member of type M is stored until it is bound.
template <class M, class V>
auto to_param(const V& v) {
  constexpr value_kind k = kind_of<M>();
  if constexpr (k == value_kind::string)
    return std::string(std::string_view(v));
  else if constexpr (k == value_kind::boolean)
    return static_cast<bool>(v);
  else if constexpr (k == value_kind::enumeration)
    return static_cast<std::int64_t>(v);
  else if constexpr (std::is_integral_v<V>)
    return v;  // bound as INTEGER (unsigned 64-bit values are range-checked at bind time)
  else
    return static_cast<double>(v);
}

// A list of values bound as one JSON array, so the SQL shape doesn't depend on its length.
template <class M, class Range>
std::string to_json_array(const Range& values) {
  std::string out;
  out.push_back('[');
  bool first = true;
  for (const auto& v : values) {
    if (!first) out.push_back(',');
    first = false;
    encode(to_param<M>(v), out);  // true/false: SQLite's json_each yields 1/0, as for stored ones
  }
  out.push_back(']');
  return out;
}

// ---------------------------------------------------------------- node concepts

template <class T>
concept operand = requires {
  requires std::remove_cvref_t<T>::is_operand;
};

template <class T>
concept predicate = requires {
  requires std::remove_cvref_t<T>::is_predicate;
};

struct no_root {};  // bound values belong to no document type

template <class A, class B>
consteval bool same_root() {
  return std::is_same_v<typename A::root, typename B::root> ||
         std::is_same_v<typename A::root, no_root> || std::is_same_v<typename B::root, no_root>;
}

template <class A, class B>
using common_root = std::conditional_t<std::is_same_v<typename A::root, no_root>,
                                       typename B::root, typename A::root>;

// ---------------------------------------------------------------- leaves

// A value carried by the expression and bound as ?N.
template <class P>
struct bound {
  static constexpr bool is_operand = true;
  static constexpr std::size_t params = 1;
  using root = no_root;
  using bound_value_type = P;
  P value;

  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    return D::template value<P, P0>();
  }
  template <class S>
  void bind(S& s, int base) const { bind_value(s, base, value); }
};

template <class M>
struct member_pointer_traits {
  static constexpr bool valid = false;
  using class_type = void;
  using value_type = void;
};
template <class C, class V>
struct member_pointer_traits<V C::*> {
  static constexpr bool valid = !std::is_function_v<V>;
  using class_type = C;
  using value_type = V;
};

// Through a class template, not an alias of decltype(M): g++ 12 otherwise sees the const of a
// constexpr variable passed as M and the traits stop matching.
template <auto M>
struct member_of {
  using traits = member_pointer_traits<std::remove_cv_t<decltype(M)>>;
  using class_type = typename traits::class_type;
  using value_type = typename traits::value_type;
};
template <auto M>
using class_of = typename member_of<M>::class_type;
template <auto M>
using value_of = typename member_of<M>::value_type;

template <auto M>
consteval auto member_path_segment() {
  using C = class_of<M>;
  constexpr std::size_t index = member_index_of(M);
  static_assert(index < member_count<C>,
                "sqler: field<...>: the member pointer does not name a reflected member");
  return concat(fixed_string{"."}, to_fixed<member_name_holder<C, index>>());
}

template <auto... Ms>
consteval auto json_path() {
  return concat(fixed_string{"$"}, member_path_segment<Ms>()...);
}

template <auto M, auto... Rest, class C>
const auto& follow(const C& obj) noexcept {
  if constexpr (sizeof...(Rest) == 0)
    return obj.*M;
  else
    return follow<Rest...>(obj.*M);
}

template <class T>
struct element_of {
  using type = void;
};
template <class T>
  requires(is_vector<T> || is_std_array<T>)
struct element_of<T> {
  using type = typename T::value_type;
};

template <class Field, bool Desc>
struct order_key {
  // A key's text is rendered from ?1 with nothing bound for it: a run-time path cannot sort.
  static_assert(!requires { Field::path_is_bound; },
                "sqler: order_by(): a path with a run-time key or index (key(k), at(i)) cannot "
                "be a sort key; use key<\"...\">() or at<I>()");
  template <class D, std::size_t Depth>
  static consteval auto render() {
    return D::template order_key<Field, Desc, Depth>();
  }
};

// The row id as the last sort key, so keyset pagination has a total order.
template <bool Desc>
struct id_order_key {
  template <class D, std::size_t Depth>
  static consteval auto render() {
    return D::template order_by_id<Desc>();
  }
};

template <class K>
inline constexpr bool is_id_order_key = false;
template <bool Desc>
inline constexpr bool is_id_order_key<id_order_key<Desc>> = true;
template <class K>
inline constexpr bool id_order_desc = false;
template <bool Desc>
inline constexpr bool id_order_desc<id_order_key<Desc>> = Desc;


// ---------------------------------------------------------------- predicate nodes

#define SQLER_DETAIL_PREDICATE_TRAITS \
  static constexpr bool is_predicate = true

template <class Op, class L, class R>
struct compare_node {
  SQLER_DETAIL_PREDICATE_TRAITS;
  static constexpr std::size_t params = L::params + R::params;
  using root = common_root<L, R>;
  L lhs;
  R rhs;

  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    return D::template compare<Op, L, R, Depth, P0>();
  }
  template <class S>
  void bind(S& s, int base) const {
    lhs.bind(s, base);
    rhs.bind(s, base + static_cast<int>(L::params));
  }
};


template <class Op, class A, class B>
struct logical_node {
  SQLER_DETAIL_PREDICATE_TRAITS;
  static constexpr std::size_t params = A::params + B::params;
  using root = common_root<A, B>;
  A a;
  B b;

  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    return D::template logical<Op, A, B, Depth, P0>();
  }
  template <class S>
  void bind(S& s, int base) const {
    a.bind(s, base);
    b.bind(s, base + static_cast<int>(A::params));
  }
};


template <class F>
struct like_escape_node {
  static constexpr bool is_predicate = true;
  static constexpr std::size_t params = 2;
  using root = typename F::root;
  std::string pattern;
  std::string escape;

  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    return D::template like_escape<F, Depth, P0>();
  }
  template <class S>
  void bind(S& s, int base) const {
    s.bind_text(base, pattern);
    s.bind_text(base + 1, escape);
  }
};

template <class A>
struct not_node {
  SQLER_DETAIL_PREDICATE_TRAITS;
  static constexpr std::size_t params = A::params;
  using root = typename A::root;
  A a;

  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    return D::template negate<A, Depth, P0>();
  }
  template <class S>
  void bind(S& s, int base) const { a.bind(s, base); }
};

// Matches every document (find() without a predicate).
template <class T>
struct all_node {
  SQLER_DETAIL_PREDICATE_TRAITS;
  static constexpr bool always_true = true;
  static constexpr std::size_t params = 0;
  using root = T;
  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    return D::always();
  }
  template <class S>
  void bind(S&, int) const noexcept {}
};

template <class F, bool IsNull>
struct null_node {
  SQLER_DETAIL_PREDICATE_TRAITS;
  static constexpr std::size_t params = 0;
  using root = typename F::root;
  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    return D::template null_test<F, IsNull, Depth, P0>();
  }
  template <class S>
  void bind(S&, int) const noexcept {}
};

template <class F>
struct in_node {
  SQLER_DETAIL_PREDICATE_TRAITS;
  static constexpr std::size_t params = 1;
  using root = typename F::root;
  std::string list;  // JSON array

  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    return D::template in_list<F, Depth, P0>();
  }
  template <class S>
  void bind(S& s, int base) const { s.bind_text(base, list); }
};

template <class F, class P>
struct between_node {
  SQLER_DETAIL_PREDICATE_TRAITS;
  static constexpr std::size_t params = 2;
  using root = typename F::root;
  P low, high;

  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    return D::template between<F, P, Depth, P0>();
  }
  template <class S>
  void bind(S& s, int base) const {
    bind_value(s, base, low);
    bind_value(s, base + 1, high);
  }
};

// EXISTS over the elements of an array member; Where renders the condition on one element.
template <class F, class Where>
struct array_exists_node {
  SQLER_DETAIL_PREDICATE_TRAITS;
  static constexpr std::size_t params = Where::params;
  using root = typename F::root;
  Where where;

  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    return D::template array_any<F, Where, Depth, P0>();
  }
  template <class S>
  void bind(S& s, int base) const { where.bind(s, base); }
};

// element = ?N
template <class P>
struct element_equals {
  static constexpr std::size_t params = 1;
  P value;
  template <class D, std::size_t Alias, std::size_t P0>
  static consteval auto render_element() {
    return D::template element_equals<P, Alias, P0>();
  }
  template <class S>
  void bind(S& s, int base) const { bind_value(s, base, value); }
};

// element IN (the elements of the JSON array bound as ?N)
struct element_in_list {
  static constexpr std::size_t params = 1;
  std::string list;
  template <class D, std::size_t Alias, std::size_t P0>
  static consteval auto render_element() {
    return D::template element_in<Alias, P0>();
  }
  template <class S>
  void bind(S& s, int base) const { s.bind_text(base, list); }
};

// any(pred): pred is rendered against the element as its document.
template <class Pred>
struct element_matches {
  static constexpr std::size_t params = Pred::params;
  Pred pred;
  template <class D, std::size_t Alias, std::size_t P0>
  static consteval auto render_element() {
    return Pred::template render<D, Alias, P0>();
  }
  template <class S>
  void bind(S& s, int base) const { pred.bind(s, base); }
};

// Every element of the bound list occurs in the array.
template <class F>
struct contains_all_node {
  SQLER_DETAIL_PREDICATE_TRAITS;
  static constexpr std::size_t params = 1;
  using root = typename F::root;
  std::string list;

  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    return D::template contains_all<F, Depth, P0>();
  }
  template <class S>
  void bind(S& s, int base) const { s.bind_text(base, list); }
};

// String tests on a string member.
enum class string_test { prefix, suffix, nocase };

template <class F, string_test Test>
struct string_node {
  SQLER_DETAIL_PREDICATE_TRAITS;
  static constexpr std::size_t params = 1;
  using root = typename F::root;
  std::string text;

  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    if constexpr (Test == string_test::prefix)
      return D::template starts_with<F, Depth, P0>();
    else if constexpr (Test == string_test::suffix)
      return D::template ends_with<F, Depth, P0>();
    else
      return D::template equals_ignoring_case<F, Depth, P0>();
  }
  template <class S>
  void bind(S& s, int base) const { s.bind_text(base, text); }
};

#undef SQLER_DETAIL_PREDICATE_TRAITS

// Arithmetic over numeric operands: (f * 2 + 5), usable in comparisons and in set(). Integer
// operands give an integer (SQLite divides integers like C++ does); anything else a double.
template <class Op, class L, class R>
struct arith_node {
  static constexpr bool is_operand = true;
  static constexpr bool numeric_expression = true;  // compared as a number, not as JSON
  static constexpr std::size_t params = L::params + R::params;
  using root = common_root<L, R>;
  using value_type =
      std::conditional_t<std::is_integral_v<typename L::value_type> &&
                             std::is_integral_v<typename R::value_type>,
                         std::int64_t, double>;
  L lhs;
  R rhs;

  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    constexpr bool real_division =
        std::is_same_v<Op, div_op> && std::is_floating_point_v<value_type>;
    return D::template arithmetic<Op, L, R, real_division, Depth, P0>();
  }
  template <class S>
  void bind(S& s, int base) const {
    lhs.bind(s, base);
    rhs.bind(s, base + static_cast<int>(L::params));
  }
};


// A bound number inside arithmetic: it needs a value_type to type the result.
template <class N>
struct bound_number : bound<N> {
  using value_type = N;
};

template <class X>
consteval bool arith_operand_ok() {
  if constexpr (operand<X>)
    return kind_of<typename X::value_type>() == value_kind::number;
  else
    return std::is_arithmetic_v<X> && !std::is_same_v<X, bool>;
}

template <class X>
auto as_arith_operand(const X& x) {
  if constexpr (operand<X>)
    return x;
  else if constexpr (std::is_integral_v<X>)
    return bound_number<std::int64_t>{{static_cast<std::int64_t>(x)}};
  else
    return bound_number<double>{{static_cast<double>(x)}};
}

template <class Op, class L, class R>
auto make_arith(const L& l, const R& r) {
  static_assert(arith_operand_ok<L>() && arith_operand_ok<R>(),
                "sqler: + - * / need numeric fields or numbers on both sides");
  if constexpr (arith_operand_ok<L>() && arith_operand_ok<R>()) {
    using A = decltype(as_arith_operand(l));
    using B = decltype(as_arith_operand(r));
    static_assert(same_root<A, B>(),
                  "sqler: arithmetic: both fields must belong to the same document type");
    return arith_node<Op, A, B>{as_arith_operand(l), as_arith_operand(r)};
  }
}

// json_array_length of an array member: compares like a number.
template <class F>
struct size_operand {
  static constexpr bool is_operand = true;
  static constexpr bool numeric_expression = true;
  static constexpr std::size_t params = 0;
  using root = typename F::root;
  using value_type = std::int64_t;
  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    return D::template array_length<Depth, F::path>();
  }
  template <class S>
  void bind(S&, int) const noexcept {}
  constexpr auto asc() const noexcept { return order_key<size_operand, false>{}; }
  constexpr auto desc() const noexcept { return order_key<size_operand, true>{}; }
};

template <class Op, class L, class R>
constexpr auto make_compare(const L& l, const R& r) {
  if constexpr (operand<R>) {
    static_assert(comparable<typename L::value_type, typename R::value_type>(),
                  "sqler: these two fields hold values of different kinds and cannot be "
                  "compared (number with number, string with string, bool with bool, the same "
                  "enum with itself)");
    static_assert(same_root<L, R>(),
                  "sqler: both fields of a comparison must belong to the same document type");
    return compare_node<Op, L, R>{l, r};
  } else {
    static_assert(comparable<typename L::value_type, R>(),
                  "sqler: the value's type does not match the field's type (a number field "
                  "takes an arithmetic value, a string field a string, a bool field a bool, an "
                  "enum field the same enum)");
    if constexpr (comparable<typename L::value_type, R>()) {  // only the first error fires
      using P = decltype(to_param<typename L::value_type>(r));
      return compare_node<Op, L, bound<P>>{l, bound<P>{to_param<typename L::value_type>(r)}};
    }
  }
}

}  // namespace sqler::detail
