// sqler/field.hpp - typed field expressions: sqler::field<&User::age> >= 25 && ...
// Operators build expression *types* whose SQL is fixed at compile time; the values travel
// alongside as members and are bound as parameters. Ill-typed expressions fail to compile with
// a message that starts "sqler:" and says what to write instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "sqler/detail/dsl/nodes.hpp"
#include "sqler/detail/promoted.hpp"
#include "sqler/detail/type_traits.hpp"

namespace sqler {

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

// The row's _id, of any document type: a predicate (doc_id == 5, doc_id > n,
// doc_id.in({1, 2, 3})) that combines with others, and a sort key
// (order_by(age.asc(), sqler::doc_id.asc())).
struct doc_id_t {
  static constexpr bool is_operand = true;
  static constexpr std::size_t params = 0;
  using root = detail::no_root;
  using member_type = std::int64_t;
  using value_type = std::int64_t;

  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    return D::id_column();
  }
  template <class S>
  void bind(S&, int) const noexcept {}

  constexpr auto asc() const noexcept { return detail::id_order_key<false>{}; }
  constexpr auto desc() const noexcept { return detail::id_order_key<true>{}; }

  template <class Range>
  auto in_range(const Range& ids) const {
    return detail::in_node<doc_id_t>{detail::to_json_array<std::int64_t>(ids)};
  }
  // in({}) matches no document.
  auto in(std::initializer_list<std::int64_t> ids) const {
    return detail::in_node<doc_id_t>{detail::to_json_array<std::int64_t>(ids)};
  }
};
inline constexpr doc_id_t doc_id{};

// ---------------------------------------------------------------- operators

template <detail::operand L, class R>
constexpr auto operator==(const L& l, const R& r) {
  return detail::make_compare<detail::eq_op>(l, r);
}
template <detail::operand L, class R>
constexpr auto operator!=(const L& l, const R& r) {
  return detail::make_compare<detail::ne_op>(l, r);
}
template <detail::operand L, class R>
constexpr auto operator<(const L& l, const R& r) {
  return detail::make_compare<detail::lt_op>(l, r);
}
template <detail::operand L, class R>
constexpr auto operator<=(const L& l, const R& r) {
  return detail::make_compare<detail::le_op>(l, r);
}
template <detail::operand L, class R>
constexpr auto operator>(const L& l, const R& r) {
  return detail::make_compare<detail::gt_op>(l, r);
}
template <detail::operand L, class R>
constexpr auto operator>=(const L& l, const R& r) {
  return detail::make_compare<detail::ge_op>(l, r);
}

template <class L, class R>
  requires(detail::operand<L> || detail::operand<R>)
auto operator+(const L& l, const R& r) {
  return detail::make_arith<detail::add_op>(l, r);
}
template <class L, class R>
  requires(detail::operand<L> || detail::operand<R>)
auto operator-(const L& l, const R& r) {
  return detail::make_arith<detail::sub_op>(l, r);
}
template <class L, class R>
  requires(detail::operand<L> || detail::operand<R>)
auto operator*(const L& l, const R& r) {
  return detail::make_arith<detail::mul_op>(l, r);
}
template <class L, class R>
  requires(detail::operand<L> || detail::operand<R>)
auto operator/(const L& l, const R& r) {
  return detail::make_arith<detail::div_op>(l, r);
}

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
