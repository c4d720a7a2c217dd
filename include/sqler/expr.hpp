// sqler/expr.hpp - typed field expressions: sqler::field<&User::age> >= 25 && ...
// Operators build expression *types* whose SQL is fixed at compile time; the values travel
// alongside as members and are bound as parameters. Ill-typed expressions fail to compile with
// a message that starts "sqler:" and says what to write instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "sqler/codec.hpp"
#include "sqler/detail/fixed_string.hpp"
#include "sqler/detail/reflect.hpp"
#include "sqler/promoted.hpp"
#include "sqler/render.hpp"
#include "sqler/sqlite.hpp"

namespace sqler {
namespace detail {

// ---------------------------------------------------------------- type classification

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
    auto p = to_param<M>(v);
    if constexpr (std::is_same_v<decltype(p), bool>)
      out += p ? "1" : "0";  // json_each yields 1/0 for stored true/false too
    else
      encode(p, out);
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
  P value;

  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    return D::template placeholder<P0>();
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

template <auto First, auto... Rest>
consteval bool chain_is_connected() {
  if constexpr (sizeof...(Rest) == 0) {
    return true;
  } else {
    constexpr auto next = [] {
      constexpr auto tuple = std::make_tuple(Rest...);
      return std::get<0>(tuple);
    }();
    return std::is_same_v<class_of<next>, unwrap_optional_t<value_of<First>>> &&
           chain_is_connected<Rest...>();
  }
}

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

template <auto... Ms>
consteval bool chain_has_optional() {
  return (is_optional<value_of<Ms>> || ...);
}

template <auto... Ms>
consteval bool chain_has_optional_before_last() {
  constexpr bool opt[] = {is_optional<value_of<Ms>>...};
  for (std::size_t i = 0; i + 1 < sizeof...(Ms); ++i)
    if (opt[i]) return true;
  return false;
}

template <auto M, auto... Rest, class C>
const auto& follow(const C& obj) noexcept {
  if constexpr (sizeof...(Rest) == 0)
    return obj.*M;
  else
    return follow<Rest...>(obj.*M);
}

template <auto... Ms>
struct last_member {
  static constexpr auto value = std::get<sizeof...(Ms) - 1>(std::make_tuple(Ms...));
};

template <auto... Ms>
inline constexpr bool members_valid = (member_of<Ms>::traits::valid && ...);

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
  template <class D, std::size_t Depth>
  static consteval auto render() {
    if constexpr (Desc)
      return concat(Field::template render<D, Depth, 1>(), fixed_string{" DESC"});
    else
      return concat(Field::template render<D, Depth, 1>(), fixed_string{" ASC"});
  }
};

// The row id as the last sort key, so keyset pagination has a total order.
template <bool Desc>
struct id_order_key {
  template <class D, std::size_t Depth>
  static consteval auto render() {
    if constexpr (Desc)
      return fixed_string{"_id DESC"};
    else
      return fixed_string{"_id ASC"};
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

struct doc_id_t {
  constexpr auto asc() const noexcept { return id_order_key<false>{}; }
  constexpr auto desc() const noexcept { return id_order_key<true>{}; }
};

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
    return concat(L::template render<D, Depth, P0>(), Op::text,
                  R::template render<D, Depth, P0 + L::params>());
  }
  template <class S>
  void bind(S& s, int base) const {
    lhs.bind(s, base);
    rhs.bind(s, base + static_cast<int>(L::params));
  }
};

struct eq_op { static constexpr fixed_string text{" = "}; };
struct ne_op { static constexpr fixed_string text{" <> "}; };
struct lt_op { static constexpr fixed_string text{" < "}; };
struct le_op { static constexpr fixed_string text{" <= "}; };
struct gt_op { static constexpr fixed_string text{" > "}; };
struct ge_op { static constexpr fixed_string text{" >= "}; };
struct like_op { static constexpr fixed_string text{" LIKE "}; };

template <class Op, class A, class B>
struct logical_node {
  SQLER_DETAIL_PREDICATE_TRAITS;
  static constexpr std::size_t params = A::params + B::params;
  using root = typename A::root;
  A a;
  B b;

  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    return concat(fixed_string{"("}, A::template render<D, Depth, P0>(), Op::text,
                  B::template render<D, Depth, P0 + A::params>(), fixed_string{")"});
  }
  template <class S>
  void bind(S& s, int base) const {
    a.bind(s, base);
    b.bind(s, base + static_cast<int>(A::params));
  }
};

struct and_op { static constexpr fixed_string text{" AND "}; };
struct or_op { static constexpr fixed_string text{" OR "}; };

template <class F>
struct like_escape_node {
  static constexpr bool is_predicate = true;
  static constexpr std::size_t params = 2;
  using root = typename F::root;
  std::string pattern;
  std::string escape;

  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    return concat(F::template render<D, Depth, P0>(), fixed_string{" LIKE "},
                  D::template placeholder<P0>(), fixed_string{" ESCAPE "},
                  D::template placeholder<P0 + 1>());
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
    return concat(fixed_string{"NOT ("}, A::template render<D, Depth, P0>(), fixed_string{")"});
  }
  template <class S>
  void bind(S& s, int base) const { a.bind(s, base); }
};

// Matches every document (find() without a predicate).
template <class T>
struct all_node {
  SQLER_DETAIL_PREDICATE_TRAITS;
  static constexpr std::size_t params = 0;
  using root = T;
  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    return fixed_string{"1"};
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
    if constexpr (IsNull)
      return concat(F::template render<D, Depth, P0>(), fixed_string{" IS NULL"});
    else
      return concat(F::template render<D, Depth, P0>(), fixed_string{" IS NOT NULL"});
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
    return concat(F::template render<D, Depth, P0>(), fixed_string{" IN ("},
                  D::template param_elements<P0>(), fixed_string{")"});
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
    return concat(F::template render<D, Depth, P0>(), fixed_string{" BETWEEN "},
                  D::template placeholder<P0>(), fixed_string{" AND "},
                  D::template placeholder<P0 + 1>());
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
    return concat(fixed_string{"EXISTS (SELECT 1 FROM "}, D::template each<Depth, F::path, Depth + 1>(),
                  fixed_string{" WHERE "}, Where::template render_element<D, Depth + 1, P0>(),
                  fixed_string{")"});
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
    return concat(D::template element<Alias>(), fixed_string{" = "}, D::template placeholder<P0>());
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
    return concat(D::template element<Alias>(), fixed_string{" IN ("},
                  D::template param_elements<P0>(), fixed_string{")"});
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
    constexpr std::size_t alias = Depth + 1;
    return concat(fixed_string{"NOT EXISTS (SELECT 1 FROM "}, D::template each_param<P0, alias>(),
                  fixed_string{" WHERE "}, D::template param_element<alias>(),
                  fixed_string{" NOT IN (SELECT "}, D::template element<alias>(),
                  fixed_string{" FROM "}, D::template each<Depth, F::path, alias>(),
                  fixed_string{"))"});
  }
  template <class S>
  void bind(S& s, int base) const { s.bind_text(base, list); }
};

// String tests on a string member. starts_with is the range [prefix, prefix + "\xFF"): text
// compares bytewise and 0xFF never occurs in UTF-8, so exactly the strings with that prefix
// fall inside, and the range can be answered from an index on the member.
enum class string_test { prefix, suffix, nocase };

template <class F, string_test Test>
struct string_node {
  SQLER_DETAIL_PREDICATE_TRAITS;
  static constexpr std::size_t params = Test == string_test::prefix ? 2 : 1;
  using root = typename F::root;
  std::string text;

  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    constexpr auto f = F::template render<D, Depth, P0>();
    constexpr auto p = D::template placeholder<P0>();
    if constexpr (Test == string_test::prefix)
      return concat(fixed_string{"("}, f, fixed_string{" >= "}, p, fixed_string{" AND "}, f,
                    fixed_string{" < "}, D::template placeholder<P0 + 1>(), fixed_string{")"});
    else if constexpr (Test == string_test::suffix)
      return concat(fixed_string{"substr("}, f, fixed_string{", length("}, f,
                    fixed_string{") - length("}, p, fixed_string{") + 1) = "}, p);
    else
      return concat(f, fixed_string{" = "}, p, fixed_string{" COLLATE NOCASE"});
  }
  std::string upper;  // prefix + "\xFF", the range's end (prefix test only)

  template <class S>
  void bind(S& s, int base) const {
    s.bind_text(base, text);
    if constexpr (Test == string_test::prefix) s.bind_text(base + 1, upper);
  }
};

#undef SQLER_DETAIL_PREDICATE_TRAITS

// Arithmetic over numeric operands: (f * 2 + 5), usable in comparisons and in set(). Integer
// operands give an integer (SQLite divides integers like C++ does); anything else a double.
struct div_op;
template <class Op, class L, class R>
struct arith_node {
  static constexpr bool is_operand = true;
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
    // A whole-valued double member is stored as a JSON integer (5.0 as 5), and SQLite would
    // divide it by an integer as an integer: a floating-point division starts from REAL.
    if constexpr (std::is_same_v<Op, div_op> && std::is_floating_point_v<value_type>)
      return concat(fixed_string{"(CAST("}, L::template render<D, Depth, P0>(),
                    fixed_string{" AS REAL)"}, Op::text,
                    R::template render<D, Depth, P0 + L::params>(), fixed_string{")"});
    else
      return concat(fixed_string{"("}, L::template render<D, Depth, P0>(), Op::text,
                    R::template render<D, Depth, P0 + L::params>(), fixed_string{")"});
  }
  template <class S>
  void bind(S& s, int base) const {
    lhs.bind(s, base);
    rhs.bind(s, base + static_cast<int>(L::params));
  }
};

struct add_op { static constexpr fixed_string text{" + "}; };
struct sub_op { static constexpr fixed_string text{" - "}; };
struct mul_op { static constexpr fixed_string text{" * "}; };
struct div_op { static constexpr fixed_string text{" / "}; };

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

}  // namespace detail

// ---------------------------------------------------------------- fields

// A member, or a path of nested members, of a document type. Use the variable template:
// `sqler::field<&User::age>`, `sqler::field<&User::address, &Address::city>`.
template <auto... Ms>
struct field_t {
  static_assert(sizeof...(Ms) > 0, "sqler: field<>: name at least one member, e.g. field<&User::age>");
  static_assert(detail::members_valid<Ms...>,
                "sqler: field<...>: every argument must be a pointer to a data member, e.g. "
                "&User::age");
  static_assert(!detail::members_valid<Ms...> || detail::chain_is_connected<Ms...>(),
                "sqler: field<&A::b, &B::c>: each member pointer must belong to the type of the "
                "member before it (B must be the type of A::b)");

  static constexpr bool is_operand = true;
  static constexpr std::size_t params = 0;
  // The document type the path starts from.
  using root = detail::class_of<std::get<0>(std::make_tuple(Ms...))>;
  // The declared type of the last member, and that type without std::optional.
  using member_type = detail::value_of<detail::last_member<Ms...>::value>;
  using value_type = detail::unwrap_optional_t<member_type>;
  static constexpr bool nullable = detail::chain_has_optional<Ms...>();
  static constexpr auto path = detail::json_path<Ms...>();

  // A promoted member (sqler::promoted<T>) is its own column in the document's table.
  static constexpr bool promoted_column =
      sizeof...(Ms) == 1 && detail::is_promoted<root, std::get<0>(std::make_tuple(Ms...))>;

  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    if constexpr (Depth == 0 && promoted_column)
      return D::template quote_identifier<
          detail::promoted_column_name<root, std::get<0>(std::make_tuple(Ms...))>()>();
    else
      return D::template extract<Depth, path>();
  }
  template <class S>
  void bind(S&, int) const noexcept {}

  static constexpr std::string_view json_path() noexcept { return path.view(); }

  // The member this field designates inside a document (used by keyset pagination).
  static const member_type& get(const root& doc) noexcept {
    static_assert(!detail::chain_has_optional_before_last<Ms...>(),
                  "sqler: this field passes through a std::optional member and cannot be read "
                  "from a document directly");
    return detail::follow<Ms...>(doc);
  }

  constexpr auto asc() const noexcept { return detail::order_key<field_t, false>{}; }
  constexpr auto desc() const noexcept { return detail::order_key<field_t, true>{}; }

  template <class V>
  auto in(std::initializer_list<V> values) const {
    return in_range(values);
  }
  // in({}) - an empty list, which matches no document.
  auto in(std::initializer_list<value_type> values) const { return in_range(values); }
  template <class Range>
  auto in_range(const Range& values) const {
    using V = std::remove_cvref_t<decltype(*std::begin(values))>;
    static_assert(detail::comparable<value_type, V>(),
                  "sqler: in(): the list's element type does not match the field's type");
    return detail::in_node<field_t>{detail::to_json_array<value_type>(values)};
  }

  template <class A, class B>
  auto between(const A& low, const B& high) const {
    static_assert(detail::comparable<value_type, A>() && detail::comparable<value_type, B>(),
                  "sqler: between(): both bounds must match the field's type");
    using P = decltype(detail::to_param<value_type>(low));
    return detail::between_node<field_t, P>{detail::to_param<value_type>(low),
                                            detail::to_param<value_type>(high)};
  }

  template <class S>
  auto like(const S& pattern) const {
    static_assert(std::is_same_v<value_type, std::string>,
                  "sqler: like() needs a std::string member (or std::optional<std::string>)");
    static_assert(detail::kind_of<S>() == detail::value_kind::string,
                  "sqler: like(): the pattern must be a string");
    return detail::compare_node<detail::like_op, field_t, detail::bound<std::string>>{
        *this, {std::string(std::string_view(pattern))}};
  }

  // LIKE with an escape character: like("%" + sqler::escape_like(user_text) + "%", '\\')
  // matches user_text literally, '%' and '_' included.
  template <class S>
  auto like(const S& pattern, char escape) const {
    static_assert(std::is_same_v<value_type, std::string>,
                  "sqler: like() needs a std::string member (or std::optional<std::string>)");
    static_assert(detail::kind_of<S>() == detail::value_kind::string,
                  "sqler: like(): the pattern must be a string");
    return detail::like_escape_node<field_t>{std::string(std::string_view(pattern)),
                                             std::string(1, escape)};
  }

  // Case-sensitive prefix and suffix tests, and equality ignoring ASCII case.
  auto starts_with(std::string_view prefix) const { return text_test<detail::string_test::prefix>(prefix); }
  auto ends_with(std::string_view suffix) const { return text_test<detail::string_test::suffix>(suffix); }
  auto iequals(std::string_view text) const { return text_test<detail::string_test::nocase>(text); }

  constexpr auto is_null() const noexcept {
    static_assert(nullable,
                  "sqler: is_null() needs a std::optional member; this member always has a value");
    return detail::null_node<field_t, true>{};
  }
  constexpr auto is_not_null() const noexcept {
    static_assert(nullable, "sqler: is_not_null() needs a std::optional member; this member "
                            "always has a value");
    return detail::null_node<field_t, false>{};
  }

  // ---- arrays (std::vector / std::array members)

  template <class V>
  auto contains(const V& value) const {
    static_assert(is_array, "sqler: contains() needs a std::vector or std::array member");
    if constexpr (is_array) {
      static_assert(detail::comparable<element_type, V>(),
                    "sqler: contains(): the value's type does not match the array's element type");
      using P = decltype(detail::to_param<element_type>(value));
      using W = detail::element_equals<P>;
      return detail::array_exists_node<field_t, W>{W{detail::to_param<element_type>(value)}};
    }
  }

  template <class V>
  auto contains_any(std::initializer_list<V> values) const {
    return contains_any_of(values);
  }
  template <class Range>
  auto contains_any_of(const Range& values) const {
    static_assert(is_array, "sqler: contains_any() needs a std::vector or std::array member");
    if constexpr (is_array) {
      using V = std::remove_cvref_t<decltype(*std::begin(values))>;
      static_assert(detail::comparable<element_type, V>(),
                    "sqler: contains_any(): the values' type does not match the array's element "
                    "type");
      using W = detail::element_in_list;
      return detail::array_exists_node<field_t, W>{W{detail::to_json_array<element_type>(values)}};
    }
  }

  template <class V>
  auto contains_all(std::initializer_list<V> values) const {
    return contains_all_of(values);
  }
  template <class Range>
  auto contains_all_of(const Range& values) const {
    static_assert(is_array, "sqler: contains_all() needs a std::vector or std::array member");
    if constexpr (is_array) {
      using V = std::remove_cvref_t<decltype(*std::begin(values))>;
      static_assert(detail::comparable<element_type, V>(),
                    "sqler: contains_all(): the values' type does not match the array's element "
                    "type");
      return detail::contains_all_node<field_t>{detail::to_json_array<element_type>(values)};
    }
  }

  constexpr auto size() const noexcept {
    static_assert(is_array, "sqler: size() needs a std::vector or std::array member");
    return detail::size_operand<field_t>{};
  }

  // Some element of an array of structs satisfies `pred`, written with fields of the element
  // type: field<&Order::items>.any(field<&Item::qty> > 8).
  template <class Pred>
  auto any(const Pred& pred) const {
    static_assert(is_array, "sqler: any() needs a std::vector or std::array member");
    static_assert(detail::predicate<Pred>,
                  "sqler: any() takes a predicate built from fields of the element type");
    if constexpr (is_array && detail::predicate<Pred>) {
      static_assert(std::is_same_v<typename Pred::root, element_type>,
                    "sqler: any(): the predicate must use fields of the array's element type");
      using W = detail::element_matches<Pred>;
      return detail::array_exists_node<field_t, W>{W{pred}};
    }
  }

 private:
  template <detail::string_test Test>
  auto text_test(std::string_view text) const {
    static_assert(std::is_same_v<value_type, std::string>,
                  "sqler: starts_with/ends_with/iequals need a std::string member (or "
                  "std::optional<std::string>)");
    if constexpr (Test == detail::string_test::prefix)
      return detail::string_node<field_t, Test>{std::string(text), std::string(text) + '\xFF'};
    else
      return detail::string_node<field_t, Test>{std::string(text), {}};
  }

  static constexpr bool is_array = detail::kind_of<member_type>() == detail::value_kind::array;
  using element_type = typename detail::element_of<value_type>::type;
};

template <auto... Ms>
inline constexpr field_t<Ms...> field{};

// Escapes LIKE's wildcards ('%', '_') and the escape character itself in user text, for
// field.like(pattern, escape).
inline std::string escape_like(std::string_view text, char escape = '\\') {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '%' || c == '_' || c == escape) out.push_back(escape);
    out.push_back(c);
  }
  return out;
}

// The row's _id as a sort key: order_by(age.asc(), sqler::doc_id.asc()).
inline constexpr detail::doc_id_t doc_id{};

// ---------------------------------------------------------------- operators

#define SQLER_DETAIL_COMPARISON(OP, NODE)                            \
  template <detail::operand L, class R>                              \
  constexpr auto operator OP(const L& l, const R& r) {               \
    return detail::make_compare<detail::NODE>(l, r);                 \
  }

SQLER_DETAIL_COMPARISON(==, eq_op)
SQLER_DETAIL_COMPARISON(!=, ne_op)
SQLER_DETAIL_COMPARISON(<, lt_op)
SQLER_DETAIL_COMPARISON(<=, le_op)
SQLER_DETAIL_COMPARISON(>, gt_op)
SQLER_DETAIL_COMPARISON(>=, ge_op)
#undef SQLER_DETAIL_COMPARISON

#define SQLER_DETAIL_ARITHMETIC(OP, NODE)                                        \
  template <class L, class R>                                                    \
    requires(detail::operand<L> || detail::operand<R>)                           \
  auto operator OP(const L& l, const R& r) {                                     \
    return detail::make_arith<detail::NODE>(l, r);                               \
  }

SQLER_DETAIL_ARITHMETIC(+, add_op)
SQLER_DETAIL_ARITHMETIC(-, sub_op)
SQLER_DETAIL_ARITHMETIC(*, mul_op)
SQLER_DETAIL_ARITHMETIC(/, div_op)
#undef SQLER_DETAIL_ARITHMETIC

template <detail::predicate A, detail::predicate B>
constexpr auto operator&&(const A& a, const B& b) {
  static_assert(detail::same_root<A, B>(),
                "sqler: &&: both sides must be about the same document type");
  return detail::logical_node<detail::and_op, A, B>{a, b};
}

template <detail::predicate A, detail::predicate B>
constexpr auto operator||(const A& a, const B& b) {
  static_assert(detail::same_root<A, B>(),
                "sqler: ||: both sides must be about the same document type");
  return detail::logical_node<detail::or_op, A, B>{a, b};
}

template <detail::predicate A>
constexpr auto operator!(const A& a) {
  return detail::not_node<A>{a};
}

}  // namespace sqler
