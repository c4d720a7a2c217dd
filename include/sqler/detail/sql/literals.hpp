// sqler/detail/sql/literals.hpp - a rendered predicate with its parameters written in as SQL
// literals, for the one place a value cannot be bound: the WHERE of a partial index.
// The predicate text is still rendered at compile time by the dialect, placeholders and all, so
// it is the same text a query writes and the planner can match the two; only the values are put
// in at run time, in one pass that skips quoted strings and identifiers (a JSON path '$.a?b',
// a column "x$1" stay as they are). D supplies its placeholder mark ('?' or '$') and the
// spelling of each literal.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "sqler/detail/charconv.hpp"
#include "sqler/detail/float_bits.hpp"
#include "sqler/detail/text.hpp"
#include "sqler/error.hpp"
#include "sqler/query_event.hpp"

namespace sqler::detail {

// Whether a rendered predicate holds a sub-select (IN (SELECT ...), EXISTS (...)) outside its
// quoted parts: an index predicate cannot (neither database allows one there).
consteval bool has_subquery(std::string_view sql) {
  constexpr std::string_view select = "SELECT ";
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {
      std::size_t j = i + 1;
      while (j < sql.size() && sql[j] != c) ++j;
      i = j;  // a doubled quote is two quoted parts back to back: the same skip works
      continue;
    }
    if (sql.substr(i, select.size()) == select) return true;
  }
  return false;
}

inline std::string integer_literal(std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// The shortest text that reads back as v (the codec's own formatting), so the index holds
// exactly the double the program compared with.
inline std::string double_literal(double v) {
  if (!is_finite(v))
    throw usage_error(
        "sqler: ensure_index(where(...)): a NaN or infinite double cannot be written into an "
        "index predicate (JSON has no such number)");
  char buf[32];
  const auto r = format_floating(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// 'text' with each ' doubled. A NUL cannot be written in SQL text: refused.
inline std::string quoted_literal(std::string_view v) {
  if (v.find('\0') != std::string_view::npos)
    throw usage_error(
        "sqler: ensure_index(where(...)): a string holding a NUL character cannot be written "
        "into an index predicate");
  std::string out;
  out.reserve(v.size() + 2);
  out.push_back('\'');
  for (char c : v) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

// `sql` with each placeholder (D::parameter_mark followed by its number N, outside quotes)
// replaced by D's literal for values[N-1].
template <class D>
std::string with_literals(std::string_view sql, const std::vector<bound_value>& values) {
  std::string out;
  out.reserve(sql.size() + 16 * values.size());
  for (std::size_t i = 0; i < sql.size();) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {  // copied through to its closing quote, untouched
      std::size_t j = i + 1;
      while (j < sql.size() && sql[j] != c) ++j;
      j = j < sql.size() ? j + 1 : j;
      out.append(sql.substr(i, j - i));
      i = j;
      continue;
    }
    if (c == D::parameter_mark && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
      std::size_t n = 0, j = i + 1;
      for (; j < sql.size() && sql[j] >= '0' && sql[j] <= '9'; ++j) n = n * 10 + (sql[j] - '0');
      if (n == 0 || n > values.size())
        throw usage_error(str_cat({"sqler: ensure_index(where(...)): the predicate's parameter ",
                                   sql.substr(i, j - i), " has no value"}),
                          sql);
      std::string literal = std::visit(
          [](const auto& v) -> std::string {
            using V = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<V, std::nullptr_t>)
              return D::null_literal();
            else if constexpr (std::is_same_v<V, std::int64_t>)
              return D::number_literal(integer_literal(v));
            else if constexpr (std::is_same_v<V, double>)
              return D::number_literal(double_literal(v));
            else
              return D::string_literal(v);
          },
          values[n - 1]);
      // "x - ?1" with -5 must not read "x --5": a comment to the end of the text.
      if (!out.empty() && out.back() == '-' && literal.starts_with('-')) out.push_back(' ');
      out += literal;
      i = j;
      continue;
    }
    out.push_back(c);
    ++i;
  }
  return out;
}

// 64-bit FNV-1a as 16 hex digits: tells apart the names of partial indexes on the same fields.
inline std::string text_hash(std::string_view text) {
  std::uint64_t h = 14695981039346656037ull;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  std::string out(16, '0');
  for (std::size_t i = 16; i-- > 0; h >>= 4) out[i] = "0123456789abcdef"[h & 15];
  return out;
}

}  // namespace sqler::detail
