// sqler/detail/hydrate.hpp - loading the documents refs point at, for a whole result at once.
// One query per referenced table (WHERE _id IN the JSON array of wanted ids), never one per row;
// refs whose target is missing are marked dangling and reported where they are.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "sqler/codec.hpp"
#include "sqler/detail/dsl/refs.hpp"
#include "sqler/detail/shapes.hpp"
#include "sqler/detail/text.hpp"
#include "sqler/error.hpp"
#include "sqler/integrity.hpp"
#include "sqler/query.hpp"

namespace sqler::detail {

template <class X, class Tuple, std::size_t... J>
consteval std::size_t first_index_of(std::index_sequence<J...>) {
  std::size_t found = sizeof...(J);
  ((found = (found == sizeof...(J) && std::is_same_v<std::tuple_element_t<J, Tuple>, X>) ? J
                                                                                          : found),
   ...);
  return found;
}

// Calls f(ref, index) for each non-empty ref a ref member holds (index: its position in a
// vector member, -1 otherwise).
template <class Ref, class F>
void for_each_ref(Ref& member, F&& f) {
  using M = std::remove_cvref_t<Ref>;
  if constexpr (is_ref<M>) {
    if (!member.empty()) f(member, -1);
  } else if constexpr (is_optional<M>) {
    if (member && !member->empty()) f(*member, -1);
  } else {
    long k = 0;
    for (auto& r : member) {
      if (!r.empty()) f(r, k);
      ++k;
    }
  }
}

// Loads the targets of the refs in members Ms... of every document in `docs`: one query per
// referenced table. Refs whose target is missing are marked dangling() and returned.
template <auto... Ms, class C, class Doc>
std::vector<dangling_reference> hydrate(C& c, std::vector<versioned<Doc>>& docs) {
  using D = typename C::dialect;
  static_assert(sizeof...(Ms) > 0, "sqler: hydrate/with: name at least one ref member");
  static_assert((ref_member_of<Ms>::valid && ...),
                "sqler: with<&T::m...>: every m must be a sqler::ref<X>, "
                "std::optional<sqler::ref<X>> or std::vector<sqler::ref<X>> member");
  static_assert((std::is_same_v<class_of<Ms>, Doc> && ...),
                "sqler: with<&T::m...>: the members must belong to the queried document type");
  std::vector<dangling_reference> dangling;
  constexpr std::size_t n = sizeof...(Ms);
  using targets = std::tuple<typename ref_member_of<Ms>::target...>;
  // Members sharing a target table are loaded together: one query per table.
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (([&] {
       using X = std::tuple_element_t<I, targets>;
       constexpr bool first_of_table =
           first_index_of<X, targets>(std::make_index_sequence<n>{}) == I;
       if constexpr (first_of_table) {
         constexpr auto members = std::make_tuple(Ms...);
         std::vector<std::int64_t> ids;
         auto collect = [&](auto& doc) {
           [&]<std::size_t... J>(std::index_sequence<J...>) {
             (([&] {
                if constexpr (std::is_same_v<std::tuple_element_t<J, targets>, X>)
                  for_each_ref(doc.*std::get<J>(members),
                               [&](auto& r, long) { ids.push_back(r.id()); });
              }()),
              ...);
           }(std::make_index_sequence<n>{});
         };
         for (auto& d : docs) collect(d.value);
         if (ids.empty()) return;
         std::sort(ids.begin(), ids.end());
         ids.erase(std::unique(ids.begin(), ids.end()), ids.end());

         std::vector<std::pair<std::int64_t, std::shared_ptr<const X>>> loaded;
         loaded.reserve(ids.size());
         std::string list;
         encode(ids, list);
         try {
           auto st = c.template acquire<get_many_shape<D, X>>();
           st->bind_text(1, list);
           while (st->step()) {
             auto x = std::make_shared<X>();
             decode_row(*st, 2, *x, table_name<X>);
             loaded.emplace_back(st->column_int64(0), std::move(x));
           }
         } catch (const decode_error&) {
           throw;
         } catch (const error& e) {
           // A table that was never created holds no targets: every ref into it dangles.
           if (!D::is_missing_table(e)) throw;
         }
         std::sort(loaded.begin(), loaded.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });

         auto assign = [&](versioned<Doc>& v) {
           auto& doc = v.value;
           [&]<std::size_t... J>(std::index_sequence<J...>) {
             (([&] {
                if constexpr (std::is_same_v<std::tuple_element_t<J, targets>, X>) {
                  // "$.orders" -> "orders"
                  static constexpr auto path = json_path<std::get<J>(members)>();
                  for_each_ref(doc.*std::get<J>(members), [&](auto& r, long k) {
                    auto it = std::lower_bound(
                        loaded.begin(), loaded.end(), r.id(),
                        [](const auto& e, std::int64_t id) { return e.first < id; });
                    if (it != loaded.end() && it->first == r.id()) {
                      r.set_target(it->second);
                    } else {
                      r.mark_dangling();
                      std::string where(path.view().substr(2));
                      if (k >= 0) where += str_cat({"[", std::to_string(k), "]"});
                      dangling.push_back({std::string(table_name<Doc>), v.id, std::move(where),
                                          std::string(table_name<X>), r.id()});
                    }
                  });
                }
              }()),
              ...);
           }(std::make_index_sequence<n>{});
         };
         for (auto& d : docs) assign(d);
       }
     }()),
     ...);
  }(std::make_index_sequence<n>{});
  return dangling;
}

}  // namespace sqler::detail
