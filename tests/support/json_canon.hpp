// tests/support/json_canon.hpp - JSON text in one canonical form, to compare documents whose
// members may come in any order: objects' keys sorted, no blanks, strings re-escaped the way
// sqler writes them. Uses sqler's own reader, so it needs no JSON library.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sqler/detail/json_io.hpp"

namespace sqler_test {

inline void canonical_value(sqler::detail::json_reader& r, std::string& out) {
  const char c = r.peek();
  if (c == '{') {
    r.consume('{');
    std::vector<std::pair<std::string, std::string>> members;
    if (!r.consume('}')) {
      std::string scratch;
      do {
        std::string key(r.read_key(scratch, nullptr));
        r.expect(':', nullptr);
        std::string value;
        canonical_value(r, value);
        members.emplace_back(std::move(key), std::move(value));
      } while (r.consume(','));
      r.expect('}', nullptr);
    }
    std::sort(members.begin(), members.end());
    out += '{';
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (i != 0) out += ',';
      sqler::detail::write_escaped(out, members[i].first);
      out += ':';
      out += members[i].second;
    }
    out += '}';
  } else if (c == '[') {
    r.consume('[');
    out += '[';
    if (!r.consume(']')) {
      bool first = true;
      do {
        if (!first) out += ',';
        first = false;
        canonical_value(r, out);
      } while (r.consume(','));
      r.expect(']', nullptr);
    }
    out += ']';
  } else if (c == '"') {
    std::string s;
    r.read_string(s, nullptr);
    sqler::detail::write_escaped(out, s);
  } else {
    out += r.value_text(nullptr);  // numbers, true, false, null: as written
  }
}

inline std::string canonical_json(std::string_view text) {
  sqler::detail::json_reader r(text);
  std::string out;
  canonical_value(r, out);
  r.expect_end(nullptr);
  return out;
}

}  // namespace sqler_test
