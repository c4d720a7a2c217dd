// sqler/detail/text.hpp - run-time strings (SQL text with table names, error messages) built in
// one call.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

namespace sqler::detail {

// The pieces joined into one string, allocated once: str_cat({"DROP TABLE ", name}).
// A chain of std::string operator+ makes a temporary per step, and being inline code in a
// header, every step is compiled (at -O2 inlined, with its cleanup paths) in each translation
// unit that uses sqler: the one out-of-line call keeps that code, and so the compile, small.
[[gnu::noinline]] inline std::string str_cat(std::initializer_list<std::string_view> pieces) {
  std::size_t size = 0;
  for (std::string_view p : pieces) size += p.size();
  std::string out;
  out.reserve(size);
  for (std::string_view p : pieces) out.append(p);
  return out;
}

}  // namespace sqler::detail
