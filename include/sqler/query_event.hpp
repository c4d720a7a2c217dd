// sqler/query_event.hpp - what a query hook sees: the SQL, its bound values, rows, duration.
// Hooks live in a registry shared by all connections of a database; with none installed the
// only cost on a query is one relaxed atomic load.
#pragma once

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "sqler/detail/charconv.hpp"
#include "sqler/detail/text.hpp"

namespace sqler {

// A value bound to one of a statement's parameters (?1 is the first), as query hooks and
// query::debug() show it. Strings are copied only when a hook or debug() asks for them.
using bound_value = std::variant<std::nullptr_t, std::int64_t, double, std::string>;

// A statement's SQL and the values it binds: what query::debug() returns.
struct statement_text {
  std::string sql;
  std::vector<bound_value> values;

  // "<sql> -- ?1 = 'x', ?2 = 3": one line for a log.
  std::string to_string() const {
    std::string out = sql;
    for (std::size_t i = 0; i < values.size(); ++i) {
      out += i == 0 ? " -- ?" : ", ?";
      out += std::to_string(i + 1);
      out += " = ";
      std::visit(
          [&](const auto& v) {
            using V = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<V, std::nullptr_t>) {
              out += "NULL";
            } else if constexpr (std::is_same_v<V, std::string>) {
              out += '\'';
              for (char c : v) {
                if (c == '\'') out += '\'';
                out += c;
              }
              out += '\'';
            } else {
              char buf[32];
              if constexpr (std::is_floating_point_v<V>) {
                auto r = detail::format_floating(buf, buf + sizeof buf, v);
                out.append(buf, r.ptr);
              } else {
                auto r = std::to_chars(buf, buf + sizeof buf, v);
                out.append(buf, r.ptr);
              }
            }
          },
          values[i]);
    }
    return out;
  }
};

// Statement-cache counters of one connection (database::stats()).
struct cache_stats {
  std::uint64_t prepares = 0;  // statements compiled (cache misses and one-off statements)
  std::uint64_t hits = 0;      // cached statements reused
};

struct query_event {
  // SQLite's copy of the statement text (the same characters as the shape's sql()), not the
  // shape's static string: compare the text, not data(); copy it to keep it past the call.
  std::string_view sql;
  int parameters = 0;    // bound parameter count
  std::int64_t rows = 0; // rows returned (SELECT) or changed (writes)
  std::chrono::nanoseconds duration{0};  // from acquiring the statement to releasing it
  bool single_row = false;  // the shape fetches one row by key (get by id, first())
  bool cached = true;       // a cached per-shape statement rather than a one-off
  // The values bound to ?1, ?2, ... (recorded only while a hook is installed).
  std::span<const bound_value> values;
};

using query_hook = std::function<void(const query_event&)>;

namespace detail {

// Receives a statement's binds in place of (or beside) the database: the same calls a
// statement takes, kept as bound_values.
class value_recorder {
 public:
  void bind(int i, std::int64_t v) { at(i) = v; }
  void bind(int i, double v) { at(i) = v; }
  void bind_null(int i) { at(i) = nullptr; }
  void bind_text(int i, std::string_view v) { at(i) = std::string(v); }
  void bind_pointer(int i, const void*, const char* type) {
    at(i) = detail::str_cat({"<", type, ">"});  // sqler's own internal argument
  }
  std::vector<bound_value>& values() noexcept { return values_; }
  void clear() noexcept { values_.clear(); }

 private:
  bound_value& at(int i) {
    const auto n = static_cast<std::size_t>(i);
    if (values_.size() < n) values_.resize(n);
    return values_[n - 1];
  }
  std::vector<bound_value> values_;
};

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
