// sqler/detail/dsl/refs.hpp - filtering through sqler::ref<T> members.
// A filter on the referenced document renders an uncorrelated IN (sub-select on the target
// table), which the database runs once and can answer from an index on the ref's _id.
#pragma once

#include <cstddef>
#include <optional>
#include <type_traits>
#include <vector>

#include "sqler/detail/dsl/nodes.hpp"
#include "sqler/detail/fixed_string.hpp"
#include "sqler/ref.hpp"

namespace sqler::detail {

// What a ref-holding member points at: ref<X>, std::optional<ref<X>> or std::vector<ref<X>>.
template <class M>
struct ref_member {
  static constexpr bool valid = false;
  static constexpr bool many = false;
  using target = void;
};
template <class X>
struct ref_member<ref<X>> {
  static constexpr bool valid = true;
  static constexpr bool many = false;
  using target = X;
};
template <class X>
struct ref_member<std::optional<ref<X>>> : ref_member<ref<X>> {};
template <class X, class A>
struct ref_member<std::vector<ref<X>, A>> {
  static constexpr bool valid = true;
  static constexpr bool many = true;
  using target = X;
};

template <auto M>
using ref_member_of = ref_member<std::remove_cv_t<value_of<M>>>;

template <auto M, class Pred>
struct through_node {
  static constexpr bool is_predicate = true;
  static constexpr std::size_t params = Pred::params;
  using root = class_of<M>;
  using target = typename ref_member_of<M>::target;
  static constexpr auto path = json_path<M>();
  Pred pred;

  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    return D::template through_ref<path, ref_member_of<M>::many, target, Pred, Depth, P0>();
  }
  template <class S>
  void bind(S& s, int base) const {
    pred.bind(s, base);
  }
};

}  // namespace sqler::detail
