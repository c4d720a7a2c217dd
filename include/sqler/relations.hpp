// sqler/relations.hpp - following sqler::ref<T> between documents.
// Filtering through a ref renders an uncorrelated IN (SELECT _id FROM "Target" WHERE ...), so
// SQLite runs the sub-select once and can use an index on the ref's _id. Hydration loads the
// targets of a whole result page with one query per referenced table, never one per row.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "sqler/codec.hpp"
#include "sqler/detail/db_state.hpp"
#include "sqler/detail/fixed_string.hpp"
#include "sqler/error.hpp"
#include "sqler/expr.hpp"
#include "sqler/query.hpp"
#include "sqler/ref.hpp"
#include "sqler/render.hpp"

namespace sqler {
namespace detail {

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
    // `+_id`, not `_id`: the INTEGER affinity of the bare column would make the IN compare with
    // numeric affinity, which SQLite 3.40 will not serve from an expression index (no affinity)
    // on the ref's _id; without affinity it searches that index once per listed id.
    constexpr auto targets = concat(fixed_string{" IN (SELECT +_id FROM "},
                                    quoted_table<target, D>(), where<D, P0>(), fixed_string{")"});
    if constexpr (ref_member_of<M>::many) {
      constexpr std::size_t alias = Depth + 1;
      return concat(fixed_string{"EXISTS (SELECT 1 FROM "}, D::template each<Depth, path, alias>(),
                    fixed_string{" WHERE "}, D::template extract<alias, fixed_string{"$._id"}>(),
                    targets, fixed_string{")"});
    } else {
      return concat(D::template extract<Depth, concat(path, fixed_string{"._id"})>(), targets);
    }
  }
  // The target's own predicate is rendered against the target table's `data` column.
  template <class D, std::size_t P0>
  static consteval auto where() {
    if constexpr (std::is_same_v<Pred, all_node<target>>)
      return fixed_string{""};
    else
      return concat(fixed_string{" WHERE "}, Pred::template render<D, 0, P0>());
  }
  template <class S>
  void bind(S& s, int base) const { pred.bind(s, base); }
};

}  // namespace detail

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

namespace detail {

template <class X>
struct hydrate_shape {
  static constexpr auto text =
      concat(fixed_string{"SELECT _id, _version, data FROM "}, quoted_table<X, default_dialect>(),
             fixed_string{" WHERE _id IN (SELECT value FROM json_each(?1))"});
  static constexpr std::string_view sql = text.view();
};

template <class X, class Tuple, std::size_t... J>
consteval std::size_t first_index_of(std::index_sequence<J...>) {
  std::size_t found = sizeof...(J);
  ((found = (found == sizeof...(J) && std::is_same_v<std::tuple_element_t<J, Tuple>, X>) ? J
                                                                                          : found),
   ...);
  return found;
}

// hydrate() takes documents or versioned<documents>.
template <class T>
struct document_of {
  using type = T;
  static T& get(T& d) noexcept { return d; }
};
template <class T>
struct document_of<versioned<T>> {
  using type = T;
  static T& get(versioned<T>& d) noexcept { return d.value; }
};

template <class Ref, class F>
void for_each_ref(Ref& member, F&& f) {
  using M = std::remove_cvref_t<Ref>;
  if constexpr (is_ref<M>) {
    if (!member.empty()) f(member);
  } else if constexpr (is_optional<M>) {
    if (member && !member->empty()) f(*member);
  } else {
    for (auto& r : member)
      if (!r.empty()) f(r);
  }
}

}  // namespace detail

// A ref that pointed at a document that does not exist (or a table that does not exist).
struct dangling_ref {
  std::string_view member;  // the member's JSON path, e.g. "$.address"
  std::string_view table;   // the table it points into
  std::int64_t id = 0;      // the missing _id
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

// Loads the targets of the refs in members Ms... of every document in `docs`: one query per
// referenced table. Refs whose target is missing are marked dangling() and returned.
template <auto... Ms, class T>
std::vector<dangling_ref> hydrate(detail::db_state& db, std::vector<T>& docs) {
  using Doc = typename detail::document_of<T>::type;
  static_assert(sizeof...(Ms) > 0, "sqler: hydrate/with: name at least one ref member");
  static_assert((detail::ref_member_of<Ms>::valid && ...),
                "sqler: with<&T::m...>: every m must be a sqler::ref<X>, "
                "std::optional<sqler::ref<X>> or std::vector<sqler::ref<X>> member");
  static_assert((std::is_same_v<detail::class_of<Ms>, Doc> && ...),
                "sqler: with<&T::m...>: the members must belong to the queried document type");
  std::vector<dangling_ref> dangling;
  constexpr std::size_t n = sizeof...(Ms);
  using targets = std::tuple<typename detail::ref_member_of<Ms>::target...>;
  // Members sharing a target table are loaded together: one query per table.
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (([&] {
       using X = std::tuple_element_t<I, targets>;
       constexpr bool first_of_table =
           detail::first_index_of<X, targets>(std::make_index_sequence<n>{}) == I;
       if constexpr (first_of_table) {
         constexpr auto members = std::make_tuple(Ms...);
         std::vector<std::int64_t> ids;
         auto collect = [&](auto& doc) {
           [&]<std::size_t... J>(std::index_sequence<J...>) {
             (([&] {
                if constexpr (std::is_same_v<std::tuple_element_t<J, targets>, X>)
                  detail::for_each_ref(doc.*std::get<J>(members),
                                       [&](auto& r) { ids.push_back(r.id()); });
              }()),
              ...);
           }(std::make_index_sequence<n>{});
         };
         for (auto& d : docs) collect(detail::document_of<T>::get(d));
         if (ids.empty()) return;
         std::sort(ids.begin(), ids.end());
         ids.erase(std::unique(ids.begin(), ids.end()), ids.end());

         std::vector<std::pair<std::int64_t, std::shared_ptr<const X>>> loaded;
         loaded.reserve(ids.size());
         std::string list;
         encode(ids, list);
         try {
           auto st = db.conn().template acquire<detail::hydrate_shape<X>>();
           st->bind_text(1, list);
           while (st->step()) {
             auto x = std::make_shared<X>();
             detail::decode_row(*st, 2, *x, table_name<X>);
             loaded.emplace_back(st->column_int64(0), std::move(x));
           }
         } catch (const decode_error&) {
           throw;
         } catch (const error& e) {
           // A table that was never created holds no targets: every ref into it dangles.
           if (e.message().find("no such table") == std::string::npos) throw;
         }
         std::sort(loaded.begin(), loaded.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });

         auto assign = [&](auto& doc) {
           [&]<std::size_t... J>(std::index_sequence<J...>) {
             (([&] {
                if constexpr (std::is_same_v<std::tuple_element_t<J, targets>, X>) {
                  static constexpr auto path = detail::json_path<std::get<J>(members)>();
                  detail::for_each_ref(doc.*std::get<J>(members), [&](auto& r) {
                    auto it = std::lower_bound(
                        loaded.begin(), loaded.end(), r.id(),
                        [](const auto& e, std::int64_t id) { return e.first < id; });
                    if (it != loaded.end() && it->first == r.id()) {
                      r.set_target(it->second);
                    } else {
                      r.mark_dangling();
                      dangling.push_back({path.view(), table_name<X>, r.id()});
                    }
                  });
                }
              }()),
              ...);
           }(std::make_index_sequence<n>{});
         };
         for (auto& d : docs) assign(detail::document_of<T>::get(d));
       }
     }()),
     ...);
  }(std::make_index_sequence<n>{});
  return dangling;
}

// A query whose results come with the refs in Ms... loaded (see query::with).
template <class Q, auto... Ms>
class hydrating_query {
 public:
  using value_type = typename Q::value_type;

  explicit hydrating_query(Q q) : q_(std::move(q)) {}

  // The page of documents, refs loaded: 1 query for the page + 1 per referenced table.
  std::vector<value_type> all() {
    auto docs = q_.all();
    dangling_ = hydrate<Ms...>(*q_.database_state(), docs);
    return docs;
  }

  std::optional<value_type> first() {
    auto one = q_.first();
    if (!one) return one;
    std::vector<value_type> docs;
    docs.push_back(std::move(*one));
    dangling_ = hydrate<Ms...>(*q_.database_state(), docs);
    return std::move(docs.front());
  }

  // The same, with each document's _id and _version.
  std::vector<versioned<value_type>> all_versioned() {
    auto docs = q_.all_versioned();
    dangling_ = hydrate<Ms...>(*q_.database_state(), docs);
    return docs;
  }

  // Refs of the last all()/first() whose target was missing.
  const std::vector<dangling_ref>& dangling() const noexcept { return dangling_; }

 private:
  Q q_;
  std::vector<dangling_ref> dangling_;
};

template <class T, class Pred, class Order, bool Limit, bool Offset>
template <auto... Ms>
auto query<T, Pred, Order, Limit, Offset>::with() const {
  return hydrating_query<query, Ms...>(*this);
}

}  // namespace sqler
