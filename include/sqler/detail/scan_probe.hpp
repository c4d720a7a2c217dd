// sqler/detail/scan_probe.hpp - what sqler::profiler's full-scan check asks of a database.
// A backend specialises scan_probe for its database type (SQLite: backend/sqlite/backend.hpp);
// a database without one has no full-scan check (profiler::warn_on_full_scans says so).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sqler::detail {

// A table a statement reads in full, and what would serve the statement's filter instead.
struct plan_scan {
  std::string table;
  std::vector<std::string> paths;  // the members the filter compares ("$.age"), if known
  std::string index_sql;           // the index ensure_index on them creates, if known
};

template <class Database>
struct scan_probe {
  static constexpr bool supported = false;

  // The tables `sql` reads in full, checked on this thread's connection of `db`.
  template <class Db>
  static std::vector<plan_scan> full_scans(Db&, std::string_view) {
    return {};
  }

  // The rows of `table`.
  template <class Db>
  static std::int64_t rows(Db&, std::string_view) {
    return 0;
  }
};

}  // namespace sqler::detail
