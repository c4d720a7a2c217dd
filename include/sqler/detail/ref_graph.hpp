// sqler/detail/ref_graph.hpp - the document types a type can refer to, found at compile time.
// Used to create and register the tables refs point into (so filters through refs, hydration
// and delete policies always find a table) and to record which tables may refer to which.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

#include "sqler/detail/codec.hpp"
#include "sqler/detail/reflect.hpp"
#include "sqler/detail/type_traits.hpp"

namespace sqler::detail {

template <class T>
const void* type_tag() noexcept {
  static const char tag = 0;
  return &tag;
}

// Records T as visited; false when it already was (reference graphs may have cycles).
template <class T>
bool first_visit(std::vector<const void*>& seen) {
  if (std::find(seen.begin(), seen.end(), type_tag<T>()) != seen.end()) return false;
  seen.push_back(type_tag<T>());
  return true;
}

// Calls f.template operator()<X>() for every sqler::ref<X> a value of type M can hold (in
// members, optionals, arrays, maps, nested structs), without following the refs.
template <class M, class F>
void for_each_ref_target(F& f, std::vector<const void*>& seen) {
  if constexpr (is_ref<M>) {
    f.template operator()<typename M::element_type>();
  } else if constexpr (is_optional<M> || is_vector<M> || is_std_array<M>) {
    for_each_ref_target<typename M::value_type>(f, seen);
  } else if constexpr (is_string_map<M>) {
    for_each_ref_target<typename M::mapped_type>(f, seen);
  } else if constexpr (reflectable<M> && !json_convertible<M>) {
    if (!first_visit<M>(seen)) return;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (for_each_ref_target<member_type<M, I>>(f, seen), ...);
    }(std::make_index_sequence<member_count<M>>{});
  }
}

// The tables documents of X can refer to.
template <class X>
std::vector<std::string_view> ref_target_tables() {
  std::vector<std::string_view> targets;
  std::vector<const void*> seen;
  auto add = [&]<class Y>() {
    constexpr std::string_view t = table_name<Y>;
    if (std::find(targets.begin(), targets.end(), t) == targets.end()) targets.push_back(t);
  };
  for_each_ref_target<X>(add, seen);
  return targets;
}

}  // namespace sqler::detail
