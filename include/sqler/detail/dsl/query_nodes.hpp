// sqler/detail/dsl/query_nodes.hpp - predicates a query adds by itself: full-text match and
// the keyset condition of after(), which compares a row-value with the last row of a page.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "sqler/detail/bind.hpp"
#include "sqler/detail/dsl/nodes.hpp"
#include "sqler/detail/fixed_string.hpp"

namespace sqler::detail {

template <class... Keys>
struct order_list {
  static constexpr std::size_t size = sizeof...(Keys);
};

// Full-text search through the index collection::ensure_fts() keeps in sync.
template <class T>
struct fts_match_node {
  static constexpr bool is_predicate = true;
  static constexpr std::size_t params = 1;
  using root = T;
  std::string text;
  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    return D::template fts_match<T, P0>();
  }
  template <class S>
  void bind(S& s, int base) const { s.bind_text(base, text); }
};

template <class K>
struct order_key_traits {
  static constexpr bool is_field_key = false;
};
template <class F, bool Desc>
  requires requires { F::path; &F::get; }
struct order_key_traits<order_key<F, Desc>> {
  static constexpr bool is_field_key = true;
  static constexpr bool desc = Desc;
  using field = F;
};

// Rows strictly after a given one in (k1, ..., kn, _id) order: one row-value comparison,
// which SQLite can answer from an index on the keys.
template <class T, bool Desc, class... Fs>
struct keyset_node {
  static constexpr bool is_predicate = true;
  static constexpr std::size_t params = sizeof...(Fs) + 1;
  using root = T;
  std::tuple<decltype(to_param<typename Fs::value_type>(
      std::declval<const typename Fs::member_type&>()))...>
      keys;
  std::int64_t id;

  template <std::size_t I>
  using key_type = std::tuple_element_t<I, decltype(keys)>;

  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    return render_impl<D, Depth, P0>(std::index_sequence_for<Fs...>{});
  }
  template <class D, std::size_t Depth, std::size_t P0, std::size_t... I>
  static consteval auto render_impl(std::index_sequence<I...>) {
    constexpr auto op = [] {
      if constexpr (Desc)
        return fixed_string{") < ("};
      else
        return fixed_string{") > ("};
    }();
    return concat(fixed_string{"("},
                  concat(Fs::template render<D, Depth, P0>(), fixed_string{", "})...,
                  fixed_string{"_id"}, op,
                  concat(D::template value_for<Fs, key_type<I>, Depth, P0 + I>(),
                         fixed_string{", "})...,
                  D::template placeholder<P0 + sizeof...(Fs)>(), fixed_string{")"});
  }
  template <class S>
  void bind(S& s, int base) const {
    std::apply([&](const auto&... k) { (bind_value(s, base++, k), ...); }, keys);
    bind_value(s, base, id);
  }
};

// Splits order keys (f1, ..., fn, doc_id) for after(): the fields and the shared direction.
template <class... Keys>
struct keyset_traits {
  static constexpr std::size_t n = sizeof...(Keys);
  template <std::size_t I>
  using key = order_key_traits<std::tuple_element_t<I, std::tuple<Keys...>>>;
  template <std::size_t I>
  using field_at = typename key<I>::field;
  using last = std::tuple_element_t<n - 1, std::tuple<Keys...>>;
  static constexpr bool ends_with_id = n > 0 && is_id_order_key<last>;
  template <std::size_t... I>
  static consteval bool check_fields(std::index_sequence<I...>) {
    return (key<I>::is_field_key && ...);
  }
  static constexpr bool fields_only = check_fields(std::make_index_sequence<n - 1>{});
  template <std::size_t... I>
  static consteval bool check_direction(std::index_sequence<I...>) {
    return ((key<I>::desc == id_order_desc<last>) && ...);
  }
  template <std::size_t N>  // a template, so clang evaluates it only once the class is complete
  static consteval bool compute_direction() {
    if constexpr (fields_only)  // non-field keys have no direction to compare
      return check_direction(std::make_index_sequence<N - 1>{});
    else
      return false;
  }
  static constexpr bool one_direction = compute_direction<n>();

  template <class T, std::size_t... I>
  static auto node_type(std::index_sequence<I...>)
      -> keyset_node<T, id_order_desc<last>, field_at<I>...>;
  template <class T>
  using node = decltype(node_type<T>(std::make_index_sequence<n - 1>{}));

  template <class T>
  static node<T> make(const T& doc, std::int64_t id) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return node<T>{{to_param<typename field_at<I>::value_type>(field_at<I>::get(doc))...}, id};
    }(std::make_index_sequence<n - 1>{});
  }
};

// No order_by at all: after() reports that, rather than failing inside the traits.
template <>
struct keyset_traits<> {
  static constexpr bool ends_with_id = false;
  static constexpr bool fields_only = false;
  static constexpr bool one_direction = false;
};

}  // namespace sqler::detail
