// sqler/detail/access.hpp - how sqler's own layers reach what users cannot.
// Collections and queries are made only by a database (or a collection), and share ownership of
// its state; their constructors are private to keep detail types out of public signatures.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

namespace sqler::detail {

struct access {
  template <class C, class State>
  static C make_collection(std::shared_ptr<State> state) {
    return C(std::move(state));
  }

  template <class Q, class State, class Pred>
  static Q make_query(std::shared_ptr<State> state, Pred pred, std::int64_t limit = 0,
                      std::int64_t offset = 0) {
    return Q(std::move(state), std::move(pred), limit, offset);
  }

  // The shared database state of a collection or query.
  template <class Obj>
  static const auto& state(const Obj& o) noexcept {
    return o.db_;
  }
};

}  // namespace sqler::detail
