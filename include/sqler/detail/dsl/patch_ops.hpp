// sqler/detail/dsl/patch_ops.hpp - the in-place update operations set, inc and push.
// One UPDATE applies them all with one JSON-set call over the document as it was before the
// statement; values computed in SQL are checked against the member's type by the dialect.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include "sqler/codec.hpp"
#include "sqler/detail/bind.hpp"
#include "sqler/detail/dsl/nodes.hpp"
#include "sqler/detail/fixed_string.hpp"
#include "sqler/detail/text.hpp"

namespace sqler::detail {


template <class T>
concept patch_op = requires { requires std::remove_cvref_t<T>::is_patch_op; };

// set(f, value) and push(f, value): the value is bound as JSON text (encoded by the codec), so
// strings, numbers, bools, null and whole objects land with their JSON type.
template <class F, bool Append>
struct json_value_op {
  static constexpr bool is_patch_op = true;
  static constexpr std::size_t params = 1;
  using root = typename F::root;
  std::string json;
  template <class D, std::size_t P0>
  static consteval auto render() {
    return D::template patch_set_json<F::path, Append, P0>();
  }
  template <class S>
  void bind(S& s, int base) const { s.bind_text(base, json); }
};

// inc(f, n): a missing member counts as 0; the sum is checked against the member's type.
template <class F, class N>
struct inc_op {
  static constexpr bool is_patch_op = true;
  static constexpr std::size_t params = 1;
  using root = typename F::root;
  N by;
  template <class D, std::size_t P0>
  static consteval auto render() {
    return D::template patch_inc<typename F::value_type, F::path, P0>();
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
    return D::template patch_set_expression<typename F::value_type, F::path,
                                            E::template render<D, 0, P0>()>();
  }
  template <class S>
  void bind(S& s, int base) const { expr.bind(s, base); }
};

template <class S, class... Ops>
void bind_patch_ops(S& s, int base, const Ops&... ops) {
  ((ops.bind(s, base), base += static_cast<int>(Ops::params)), ...);
}

template <class T, class... Ops>
consteval void check_patch_ops() {
  static_assert(sizeof...(Ops) > 0, "sqler: update() needs at least one of set/inc/push");
  static_assert((patch_op<Ops> && ...),
                "sqler: update(ops...) takes sqler::set(field, v), sqler::inc(field, n) or "
                "sqler::push(array_field, v); to store a whole document use replace(id, doc)");
  if constexpr ((patch_op<Ops> && ...))
    static_assert((std::is_same_v<typename Ops::root, T> && ...),
                  "sqler: update(): every field must belong to the updated document type");
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
      throw encode_error(str_cat({"sqler: set/push: the value ", std::to_string(value),
                                  " is out of range for the member's integer type"}));
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

}  // namespace sqler::detail
