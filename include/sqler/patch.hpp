// sqler/patch.hpp - atomic in-place updates: set, inc, push.
// coll.patch(id, sqler::set(f, v), sqler::inc(g, 1), sqler::push(tags, 7)) runs one UPDATE
// with one json_set over all the paths; no read-modify-write round trip, so concurrent
// patches never lose each other's changes. Every op reads the document as it was before the
// UPDATE: two ops on the same path do not see each other.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include "sqler/codec.hpp"
#include "sqler/detail/fixed_string.hpp"
#include "sqler/expr.hpp"
#include "sqler/sqlite.hpp"

namespace sqler {
namespace detail {

template <class T>
concept patch_op = requires { requires std::remove_cvref_t<T>::is_patch_op; };

// set: path, json(?N); push: path[#], json(?N) (appends). The value is bound as JSON text so
// strings, numbers, bools, null and whole objects land with their JSON type.
template <class F, bool Append>
struct json_value_op {
  static constexpr bool is_patch_op = true;
  static constexpr std::size_t params = 1;
  using root = typename F::root;
  std::string json;
  template <class D, std::size_t P0>
  static consteval auto render() {
    constexpr auto path_end = [] {
      if constexpr (Append)
        return fixed_string{"[#]', json("};
      else
        return fixed_string{"', json("};
    }();
    return concat(fixed_string{"'"}, F::path, path_end, D::template placeholder<P0>(),
                  fixed_string{")"});
  }
  template <class S>
  void bind(S& s, int base) const { s.bind_text(base, json); }
};

// inc: path, IFNULL(json_extract(data, path), 0) + ?N - a missing member counts as 0.
template <class F, class N>
struct inc_op {
  static constexpr bool is_patch_op = true;
  static constexpr std::size_t params = 1;
  using root = typename F::root;
  N by;
  template <class D, std::size_t P0>
  static consteval auto render() {
    constexpr auto sum = concat(fixed_string{"IFNULL("}, D::template extract<0, F::path>(),
                                fixed_string{", 0) + "}, D::template placeholder<P0>());
    return concat(fixed_string{"'"}, F::path, fixed_string{"', "},
                  D::template checked_value<typename F::value_type, F::path, sum>());
  }
  template <class S>
  void bind(S& s, int base) const { bind_value(s, base, by); }
};

// set(f, expression): path, <expression over the document as it was before the UPDATE>.
template <class F, class E>
struct set_expr_op {
  static constexpr bool is_patch_op = true;
  static constexpr std::size_t params = E::params;
  using root = typename F::root;
  E expr;
  template <class D, std::size_t P0>
  static consteval auto render() {
    return concat(fixed_string{"'"}, F::path, fixed_string{"', "},
                  D::template checked_value<typename F::value_type, F::path,
                                            E::template render<D, 0, P0>()>());
  }
  template <class S>
  void bind(S& s, int base) const { expr.bind(s, base); }
};

// "data = json_set(data, <op1>, <op2>, ...), _version = _version + 1", parameters from P0.
template <class D, std::size_t P0, class First, class... Rest>
consteval auto render_patch_ops() {
  if constexpr (sizeof...(Rest) == 0)
    return First::template render<D, P0>();
  else
    return concat(First::template render<D, P0>(), fixed_string{", "},
                  render_patch_ops<D, P0 + First::params, Rest...>());
}

template <class D, std::size_t P0, class... Ops>
consteval auto render_patch_set() {
  return concat(fixed_string{"data = json_set(data, "}, render_patch_ops<D, P0, Ops...>(),
                fixed_string{"), _version = _version + 1"});
}

template <class S, class... Ops>
void bind_patch_ops(S& s, int base, const Ops&... ops) {
  ((ops.bind(s, base), base += static_cast<int>(Ops::params)), ...);
}

template <class T, class... Ops>
consteval void check_patch_ops() {
  static_assert(sizeof...(Ops) > 0, "sqler: patch() needs at least one of set/inc/push");
  static_assert((patch_op<Ops> && ...),
                "sqler: patch() takes sqler::set(field, v), sqler::inc(field, n) or "
                "sqler::push(array_field, v)");
  static_assert((std::is_same_v<typename Ops::root, T> && ...),
                "sqler: patch(): every field must belong to the patched document type");
}

template <class F, class E>
auto set_expression(const E& e) {
  using M = typename F::value_type;
  using R = typename E::value_type;
  constexpr value_kind km = kind_of<M>();
  static_assert(km == value_kind::number || km == value_kind::string ||
                    km == value_kind::enumeration,
                "sqler: set(field, expression): only number, string and enum members can be set "
                "from an expression");
  static_assert(comparable<M, R>(),
                "sqler: set(field, expression): the expression's type does not match the "
                "member's type");
  static_assert(!(std::is_integral_v<M> && std::is_floating_point_v<R>),
                "sqler: set(field, expression): the expression yields a floating-point value "
                "but the member is an integer");
  static_assert(same_root<F, E>(),
                "sqler: set(field, expression): the expression must use fields of the same "
                "document type");
  return set_expr_op<F, E>{e};
}

// The value converted to the member's type, refusing an integer that would not fit rather than
// storing a truncated one.
template <class M, class V>
M convert_for_member(const V& value) {
  using U = unwrap_optional_t<M>;
  if constexpr (std::is_integral_v<U> && !std::is_same_v<U, bool> && std::is_integral_v<V> &&
                !std::is_same_v<V, bool>) {
    if (!std::in_range<U>(value))
      throw encode_error("sqler: set/push: the value " + std::to_string(value) +
                         " is out of range for the member's integer type");
  }
  return M(value);
}

template <class F, class V>
auto set_value(const V& value) {
  using M = typename F::member_type;
  static_assert(std::is_constructible_v<M, const V&>,
                "sqler: set(field, value): the value cannot be stored in the field's member type");
  std::string json;
  encode(static_cast<const M&>(convert_for_member<M>(value)), json);
  return json_value_op<F, false>{std::move(json)};
}

}  // namespace detail

// Sets the member at the field's path to `value`, or to an expression over the document's
// fields: set(score, score * 2 + 5), set(best, other_field).
template <class F, class V>
auto set(const F&, const V& value) {
  static_assert(detail::operand<F> && requires { F::path; },
                "sqler: set(field, value): the first argument must be a sqler::field");
  if constexpr (detail::operand<V>)
    return detail::set_expression<F>(value);
  else
    return detail::set_value<F>(value);
}

// Adds `by` to a numeric member (a missing member counts as 0).
template <class F, class N>
auto inc(const F&, N by) {
  static_assert(detail::operand<F> && requires { F::path; },
                "sqler: inc(field, n): the first argument must be a sqler::field");
  static_assert(detail::kind_of<typename F::value_type>() == detail::value_kind::number,
                "sqler: inc() needs a numeric member");
  static_assert(std::is_arithmetic_v<N> && !std::is_same_v<N, bool>,
                "sqler: inc(field, n): n must be a number");
  if constexpr (std::is_integral_v<typename F::value_type>) {
    static_assert(std::is_integral_v<N>,
                  "sqler: inc(): an integer member must be incremented by an integer");
    if constexpr (std::is_unsigned_v<N> && sizeof(N) >= sizeof(std::int64_t)) {
      if (by > static_cast<N>(INT64_MAX))
        throw encode_error("sqler: inc(): the step " + std::to_string(by) +
                           " is out of range for SQLite's 64-bit integers");
    }
    return detail::inc_op<F, std::int64_t>{static_cast<std::int64_t>(by)};
  } else {
    // SQLite would bind a NaN as NULL and store null, which no double member can read back.
    if (!std::isfinite(static_cast<double>(by)))
      throw encode_error("sqler: inc(): the step is out of range: NaN and infinity cannot be "
                         "stored in JSON");
    return detail::inc_op<F, double>{static_cast<double>(by)};
  }
}

// Appends `value` to an array member.
template <class F, class V>
auto push(const F&, const V& value) {
  static_assert(detail::operand<F> && requires { F::path; },
                "sqler: push(field, value): the first argument must be a sqler::field");
  using M = typename F::value_type;
  static_assert(detail::is_vector<M>, "sqler: push() needs a std::vector member");
  if constexpr (detail::is_vector<M>) {
    using E = typename M::value_type;
    static_assert(std::is_constructible_v<E, const V&>,
                  "sqler: push(field, value): the value cannot be stored as an element");
    std::string json;
    encode(static_cast<const E&>(detail::convert_for_member<E>(value)), json);
    return detail::json_value_op<F, true>{std::move(json)};
  }
}

}  // namespace sqler
