// sqler/query_event.hpp - what a query hook sees: the SQL, parameter count, rows, duration.
// Hooks live in a registry shared by all connections of a database; with none installed the
// only cost on a query is one relaxed atomic load.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string_view>
#include <utility>
#include <vector>

namespace sqler {

struct query_event {
  // SQLite's copy of the statement text (the same characters as the shape's sql()), not the
  // shape's static string: compare the text, not data(); copy it to keep it past the call.
  std::string_view sql;
  int parameters = 0;    // bound parameter count
  std::int64_t rows = 0; // rows returned (SELECT) or changed (writes)
  std::chrono::nanoseconds duration{0};  // from acquiring the statement to releasing it
  bool single_row = false;  // the shape fetches one row by key (get by id, first())
  bool cached = true;       // a cached per-shape statement rather than a one-off
};

using query_hook = std::function<void(const query_event&)>;

namespace detail {

class hook_registry {
 public:
  bool active() const noexcept { return active_.load(std::memory_order_relaxed); }

  std::uint64_t add(query_hook h) {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    hooks_.emplace_back(++next_id_, std::move(h));
    active_.store(true, std::memory_order_relaxed);
    return next_id_;
  }

  void remove(std::uint64_t id) {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    std::erase_if(hooks_, [&](const auto& e) { return e.first == id; });
    active_.store(!hooks_.empty(), std::memory_order_relaxed);
  }

  // Hooks may run queries themselves (recursive lock), but must not add or remove hooks.
  void fire(const query_event& ev) {
    std::lock_guard<std::recursive_mutex> lock(mu_);
    for (auto& [id, h] : hooks_) h(ev);
  }

 private:
  std::atomic<bool> active_{false};
  std::recursive_mutex mu_;
  std::vector<std::pair<std::uint64_t, query_hook>> hooks_;
  std::uint64_t next_id_ = 0;
};

}  // namespace detail
}  // namespace sqler
