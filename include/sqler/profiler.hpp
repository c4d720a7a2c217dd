// sqler/profiler.hpp - counts queries per shape while in scope, and warns on N+1 loops and,
// when asked, on repeated full scans.
// An N+1 is the same single-row shape (get by id, first()) run more than a threshold number
// of times inside one profiler scope: the pattern hydration (query::with) replaces.
// A repeated full scan is a filtering shape run more than a threshold number of times whose
// plan reads a whole table larger than a row threshold: the pattern an index replaces.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sqler/detail/scan_probe.hpp"
#include "sqler/error.hpp"
#include "sqler/query_event.hpp"

namespace sqler {

struct n_plus_one_warning {
  std::string sql;         // the repeated single-row statement
  std::uint64_t count = 0; // executions when the warning fired
};

// A filtering statement, run repeatedly, that reads every row of a large table.
struct full_scan_warning {
  std::string sql;          // the repeated statement
  std::string table;        // the table it reads in full
  std::int64_t rows = 0;    // that table's rows when checked
  std::uint64_t count = 0;  // executions when the check ran
  // What would serve the filter: the members it compares and the index ensure_index on them
  // creates, e.g. "ensure_index on the member(s) at $.age: CREATE INDEX IF NOT EXISTS
  // \"sqler_ix_User__age\" ON \"User\" (json_extract(data,'$.age'))"; empty when the
  // statement's filter names no member (a full scan no index on a member serves).
  std::string suggestion;
};

struct full_scan_options {
  std::uint64_t repeats = 10;    // a filtering shape run more than this many times is checked
  std::int64_t min_rows = 1000;  // warn for tables with more rows than this
  // Called once per shape and table; default: a line on stderr.
  std::function<void(const full_scan_warning&)> on_warning;
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
      : state_(std::make_unique<state<Database>>(db, threshold, std::move(on_warning))) {}
  profiler(const profiler&) = delete;
  profiler& operator=(const profiler&) = delete;
  ~profiler() = default;  // the state removes its query hook first

  std::uint64_t total_queries() const { return state_->total_queries(); }
  std::vector<n_plus_one_warning> warnings() const { return state_->warnings(); }
  // Also checks, once per shape, the plan of every filtering shape run more than
  // `options.repeats` times in this scope (on the thread that runs it, with EXPLAIN QUERY
  // PLAN), and warns when it reads in full a table of more than `options.min_rows` rows (each
  // table counted once). Call it before the queries to watch; a usage_error on a database
  // whose backend cannot check plans.
  void warn_on_full_scans(full_scan_options options = {}) {
    state_->warn_on_full_scans(std::move(options));
  }
  std::vector<full_scan_warning> full_scan_warnings() const {
    return state_->full_scan_warnings();
  }

  // Per-shape counters, most executed first.
  std::vector<shape_stats> shapes() const { return state_->shapes(); }

 private:
  // What the public functions ask of the profiler's state. Its one implementation, a template
  // made by the constructor, is compiled only where a profiler is constructed: its maps, sorts
  // and handlers cost nothing in the translation units that merely include sqler.
  struct state_base {
    virtual ~state_base() = default;
    virtual std::uint64_t total_queries() const = 0;
    virtual std::vector<n_plus_one_warning> warnings() const = 0;
    virtual void warn_on_full_scans(full_scan_options options) = 0;
    virtual std::vector<full_scan_warning> full_scan_warnings() const = 0;
    virtual std::vector<shape_stats> shapes() const = 0;
  };

  template <class Database>
  class state final : public state_base {
   public:
    state(Database& db, std::uint64_t threshold, warning_handler on_warning)
        : threshold_(threshold), on_warning_(std::move(on_warning)) {
      if (!on_warning_)
        on_warning_ = [](const n_plus_one_warning& w) {
          std::fprintf(stderr,
                       "sqler: possible N+1: %llu single-row queries of one shape in a profiler "
                       "scope; load them in one query (query::with<...>) instead: %s\n",
                       static_cast<unsigned long long>(w.count), w.sql.c_str());
        };
      scan_supported_ = detail::scan_probe<Database>::supported;
      full_scans_ = [&db](std::string_view sql) {
        return detail::scan_probe<Database>::full_scans(db, sql);
      };
      table_rows_ = [&db](std::string_view table) {
        return detail::scan_probe<Database>::rows(db, table);
      };
      const std::uint64_t id = db.on_query([this](const query_event& ev) { record(ev); });
      remove_hook_ = [&db, id] { db.remove_query_hook(id); };
    }
    ~state() override { remove_hook_(); }

    std::uint64_t total_queries() const override {
      std::lock_guard<std::mutex> lock(mu_);
      return total_;
    }
    std::vector<n_plus_one_warning> warnings() const override {
      std::lock_guard<std::mutex> lock(mu_);
      return warnings_;
    }
    void warn_on_full_scans(full_scan_options options) override {
      if (!scan_supported_)
        throw usage_error("sqler: profiler::warn_on_full_scans(): this database cannot check "
                          "query plans");
      if (!options.on_warning)
        options.on_warning = [](const full_scan_warning& w) {
          std::fprintf(stderr,
                       "sqler: full scan: a statement run %llu times in a profiler scope reads "
                       "all %lld rows of \"%s\" each time: %s\n%s%s%s",
                       static_cast<unsigned long long>(w.count), static_cast<long long>(w.rows),
                       w.table.c_str(), w.sql.c_str(), w.suggestion.empty() ? "" : "  fix: ",
                       w.suggestion.c_str(), w.suggestion.empty() ? "" : "\n");
        };
      std::lock_guard<std::mutex> lock(mu_);
      scan_options_ = std::move(options);
      scan_enabled_ = true;
    }
    std::vector<full_scan_warning> full_scan_warnings() const override {
      std::lock_guard<std::mutex> lock(mu_);
      return scan_warnings_;
    }
    std::vector<shape_stats> shapes() const override {
      std::vector<shape_stats> out;
      {
        std::lock_guard<std::mutex> lock(mu_);
        for (const auto& [sql, s] : shapes_) out.push_back(s);
      }
      std::sort(out.begin(), out.end(),
                [](const auto& a, const auto& b) { return a.count > b.count; });
      return out;
    }

   private:
    void record(const query_event& ev) {
      n_plus_one_warning fire;
      bool n_plus_one = false;
      std::string check;  // a shape whose plan is to be checked now
      std::uint64_t count = 0;
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
        if (ev.single_row && s.count == threshold_ + 1) {
          fire = {s.sql, s.count};
          warnings_.push_back(fire);
          n_plus_one = true;
        }
        if (scan_enabled_ && !ev.single_row && s.count == scan_options_.repeats + 1) {
          check = s.sql;
          count = s.count;
        }
      }
      if (n_plus_one) on_warning_(fire);
      if (!check.empty()) check_full_scans(check, count);
    }

    // Runs on the thread (and so the connection) that ran the statement, outside the lock.
    void check_full_scans(const std::string& sql, std::uint64_t count) {
      std::vector<detail::plan_scan> scans;
      try {
        scans = full_scans_(sql);
      } catch (const std::exception&) {
        return;  // a plan the check cannot read is no warning
      }
      for (auto& scan : scans) {
        std::int64_t rows = 0;
        bool known = false;
        std::int64_t min_rows = 0;
        std::function<void(const full_scan_warning&)> handler;
        {
          std::lock_guard<std::mutex> lock(mu_);
          min_rows = scan_options_.min_rows;
          handler = scan_options_.on_warning;
          if (auto it = table_rows_seen_.find(scan.table); it != table_rows_seen_.end()) {
            rows = it->second;
            known = true;
          }
        }
        if (!known) {
          try {
            rows = table_rows_(scan.table);
          } catch (const std::exception&) {
            continue;
          }
          std::lock_guard<std::mutex> lock(mu_);
          table_rows_seen_.emplace(scan.table, rows);
        }
        if (rows <= min_rows) continue;
        full_scan_warning w{sql, scan.table, rows, count, {}};
        if (!scan.index_sql.empty()) {
          w.suggestion = "ensure_index on the member(s) at ";
          for (std::size_t i = 0; i < scan.paths.size(); ++i)
            w.suggestion += (i == 0 ? "" : ", ") + scan.paths[i];
          w.suggestion += ": " + scan.index_sql;
        }
        {
          std::lock_guard<std::mutex> lock(mu_);
          scan_warnings_.push_back(w);
        }
        handler(w);
      }
    }

    std::uint64_t threshold_;
    warning_handler on_warning_;
    std::function<void()> remove_hook_;
    mutable std::mutex mu_;
    std::uint64_t total_ = 0;
    std::map<std::string, shape_stats> shapes_;
    std::vector<n_plus_one_warning> warnings_;
    // The full-scan check (warn_on_full_scans).
    bool scan_supported_ = false;
    bool scan_enabled_ = false;
    full_scan_options scan_options_;
    std::function<std::vector<detail::plan_scan>(std::string_view)> full_scans_;
    std::function<std::int64_t(std::string_view)> table_rows_;
    std::map<std::string, std::int64_t, std::less<>> table_rows_seen_;
    std::vector<full_scan_warning> scan_warnings_;
  };

  std::unique_ptr<state_base> state_;
};

}  // namespace sqler
