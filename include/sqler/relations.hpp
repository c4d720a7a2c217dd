// sqler/relations.hpp - following sqler::ref<T> between documents.
// through<&T::m>(pred) filters on the referenced document, ref_id<&T::m> compares the stored
// id, and query.with<&T::m...>() loads the referenced documents for a whole result with one
// query per referenced table, never one per row.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "sqler/detail/access.hpp"
#include "sqler/detail/dsl/refs.hpp"
#include "sqler/detail/hydrate.hpp"
#include "sqler/field.hpp"
#include "sqler/integrity.hpp"
#include "sqler/query.hpp"
#include "sqler/ref.hpp"

namespace sqler {

// The _id stored in a ref member, as a comparable, indexable operand. In namespace sqler, not
// detail: its only template argument is a member pointer, which adds no namespace to
// argument-dependent lookup, so from detail `ref_id<&T::m> == 3` would not find sqler's operators.
template <auto M>
struct ref_id_t {
  static_assert(detail::ref_member_of<M>::valid && !detail::ref_member_of<M>::many,
                "sqler: ref_id<&T::m>: m must be a sqler::ref<X> or std::optional<sqler::ref<X>>");
  static constexpr bool is_operand = true;
  static constexpr std::size_t params = 0;
  using root = detail::class_of<M>;
  using member_type = std::int64_t;
  using value_type = std::int64_t;
  static constexpr auto path = detail::concat(detail::json_path<M>(), detail::fixed_string{"._id"});

  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    return D::template extract<Depth, path>();
  }
  template <class S>
  void bind(S&, int) const noexcept {}
  constexpr auto asc() const noexcept { return detail::order_key<ref_id_t, false>{}; }
  constexpr auto desc() const noexcept { return detail::order_key<ref_id_t, true>{}; }
  constexpr auto is_null() const noexcept { return detail::null_node<ref_id_t, true>{}; }
  constexpr auto is_not_null() const noexcept { return detail::null_node<ref_id_t, false>{}; }
};

// Filter through a ref member: users.find(through<&User::address>(field<&Address::city> ==
// "Kyoto")). Works for ref<X>, std::optional<ref<X>> and std::vector<ref<X>> (any element).
template <auto M, class Pred>
auto through(const Pred& pred) {
  using rm = detail::ref_member_of<M>;
  static_assert(rm::valid, "sqler: through<&T::m>: m must be a sqler::ref<X>, "
                           "std::optional<sqler::ref<X>> or std::vector<sqler::ref<X>>");
  static_assert(detail::predicate<Pred>,
                "sqler: through<&T::m>(pred): pred must be a predicate over X's fields");
  if constexpr (rm::valid && detail::predicate<Pred>) {
    static_assert(std::is_same_v<typename Pred::root, typename rm::target>,
                  "sqler: through<&T::m>(pred): pred must use fields of the referenced type");
    return detail::through_node<M, Pred>{pred};
  }
}

template <auto M>
inline constexpr ref_id_t<M> ref_id{};

// A query whose results come with the refs in Ms... loaded (see query::with): one query for the
// page, plus one per referenced table.
template <class Q, auto... Ms>
class hydrating_query {
 public:
  using value_type = typename Q::value_type;

  explicit hydrating_query(Q q) : q_(std::move(q)) {}

  std::vector<value_type> all() {
    auto docs = all_versioned();
    std::vector<value_type> out;
    out.reserve(docs.size());
    for (auto& d : docs) out.push_back(std::move(d.value));
    return out;
  }

  std::optional<value_type> first() {
    auto docs = q_.limit(1).all_versioned();
    load(docs);
    if (docs.empty()) return std::nullopt;
    return std::move(docs.front().value);
  }

  // The same, with each document's _id and _version.
  std::vector<versioned<value_type>> all_versioned() {
    auto docs = q_.all_versioned();
    load(docs);
    return docs;
  }

  // Refs of the last all()/first() whose target was missing: where each is and what it named.
  const std::vector<dangling_reference>& dangling() const noexcept { return dangling_; }

 private:
  void load(std::vector<versioned<value_type>>& docs) {
    auto&& c = detail::access::state(q_)->conn();
    dangling_ = detail::hydrate<Ms...>(c, docs);
  }

  Q q_;
  std::vector<dangling_reference> dangling_;
};

template <class T, class Pred, class Order, bool Limit, bool Offset, class Backend>
template <auto... Ms>
auto query<T, Pred, Order, Limit, Offset, Backend>::with() const {
  return hydrating_query<query, Ms...>(*this);
}

}  // namespace sqler
