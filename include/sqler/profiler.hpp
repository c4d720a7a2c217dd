// sqler/profiler.hpp - counts queries per shape while in scope, and warns on N+1 loops.
// An N+1 is the same single-row shape (get by id, first()) run more than a threshold number
// of times inside one profiler scope: the pattern hydration (query::with) replaces.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "sqler/query_event.hpp"

namespace sqler {

struct n_plus_one_warning {
  std::string sql;         // the repeated single-row statement
  std::uint64_t count = 0; // executions when the warning fired
};

class profiler {
 public:
  struct shape_stats {
    std::string sql;
    std::uint64_t count = 0;
    std::int64_t rows = 0;
    std::chrono::nanoseconds total{0};
    bool single_row = false;
  };

  using warning_handler = std::function<void(const n_plus_one_warning&)>;

  // Warns (once per shape) when a single-row shape runs more than `threshold` times. `db` is
  // any sqler database (SQLite or PostgreSQL); the profiler observes it while in scope.
  template <class Database>
  explicit profiler(Database& db, std::uint64_t threshold = 10, warning_handler on_warning = {})
      : threshold_(threshold), on_warning_(std::move(on_warning)) {
    if (!on_warning_)
      on_warning_ = [](const n_plus_one_warning& w) {
        std::fprintf(stderr,
                     "sqler: possible N+1: %llu single-row queries of one shape in a profiler "
                     "scope; load them in one query (query::with<...>) instead: %s\n",
                     static_cast<unsigned long long>(w.count), w.sql.c_str());
      };
    const std::uint64_t id = db.on_query([this](const query_event& ev) { record(ev); });
    remove_hook_ = [&db, id] { db.remove_query_hook(id); };
  }
  profiler(const profiler&) = delete;
  profiler& operator=(const profiler&) = delete;
  ~profiler() { remove_hook_(); }

  std::uint64_t total_queries() const {
    std::lock_guard<std::mutex> lock(mu_);
    return total_;
  }
  std::vector<n_plus_one_warning> warnings() const {
    std::lock_guard<std::mutex> lock(mu_);
    return warnings_;
  }
  // Per-shape counters, most executed first.
  std::vector<shape_stats> shapes() const {
    std::vector<shape_stats> out;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [sql, s] : shapes_) out.push_back(s);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.count > b.count; });
    return out;
  }

 private:
  void record(const query_event& ev) {
    n_plus_one_warning fire;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++total_;
      auto& s = shapes_[std::string(ev.sql)];
      if (s.count == 0) {
        s.sql = std::string(ev.sql);
        s.single_row = ev.single_row;
      }
      ++s.count;
      s.rows += ev.rows;
      s.total += ev.duration;
      if (!ev.single_row || s.count != threshold_ + 1) return;
      fire = {s.sql, s.count};
      warnings_.push_back(fire);
    }
    on_warning_(fire);
  }

  std::uint64_t threshold_;
  warning_handler on_warning_;
  std::function<void()> remove_hook_;
  mutable std::mutex mu_;
  std::uint64_t total_ = 0;
  std::map<std::string, shape_stats> shapes_;
  std::vector<n_plus_one_warning> warnings_;
};

}  // namespace sqler
