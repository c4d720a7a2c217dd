// tests/support/sql_text.hpp - checks on a shape's SQL text, usable in static_assert.
#pragma once

#include <cstddef>
#include <string_view>

namespace sqler_test {

// Whether `sql` holds `part`. A plain loop rather than string_view::find: g++ 12 with
// -fsanitize=undefined refuses find() in a constant expression over a shape's static text.
constexpr bool has(std::string_view sql, std::string_view part) {
  for (std::size_t i = 0; i + part.size() <= sql.size(); ++i) {
    std::size_t k = 0;
    while (k < part.size() && sql[i + k] == part[k]) ++k;
    if (k == part.size()) return true;
  }
  return false;
}

}  // namespace sqler_test
