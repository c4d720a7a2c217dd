// sqler/detail/json_io.hpp - the low-level JSON reader and writer under the codec.
// The writer appends straight into a caller's buffer; the reader is a pull parser over the
// stored text that decodes into the destination without building a DOM, and parses numbers
// exactly (charconv.hpp), so doubles round-trip bit for bit.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <array>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "sqler/detail/charconv.hpp"
#include "sqler/detail/text.hpp"
#include "sqler/error.hpp"

namespace sqler::detail {

// ---------------------------------------------------------------- writing

inline void write_escaped(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('"');
  const char* run = s.data();
  const char* const end = s.data() + s.size();
  for (const char* p = run; p != end; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(run, p);
    run = p + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default: {
        const char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
        out.append(u, 6);
      }
    }
  }
  out.append(run, end);
  out.push_back('"');
}

template <class N>
void write_number(std::string& out, N value) {
  char buf[32];
  // The shortest text that reads back as the same value.
  if constexpr (std::is_floating_point_v<N>) {
    auto [ptr, ec] = format_floating(buf, buf + sizeof buf, value);
    out.append(buf, ptr);
  } else {
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, value);
    out.append(buf, ptr);
  }
}

// ---------------------------------------------------------------- reading

// A member path for error messages, built as a linked list on the stack while decoding and
// only turned into text when something fails.
struct path_node {
  const path_node* parent = nullptr;
  std::string_view key;  // null (not merely empty: "" is a valid map key) for array elements
  std::size_t index = 0;
};

inline void append_path(std::string& out, const path_node* p) {
  if (p == nullptr) return;
  append_path(out, p->parent);
  if (p->key.data() != nullptr) {
    if (!out.empty()) out.push_back('.');
    out.append(p->key);
  } else {
    out.push_back('[');
    out += std::to_string(p->index);
    out.push_back(']');
  }
}

[[noreturn]] inline void fail_at(const path_node* p, std::string reason) {
  std::string path;
  append_path(path, p);
  if (path.empty()) path = "<document>";
  throw decode_error(std::move(path), std::move(reason));
}

class json_reader {
 public:
  static constexpr int max_depth = 512;

  explicit json_reader(std::string_view text) noexcept
      : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()) {}

  // The first non-blank character, or '\0' at the end of input (an embedded NUL is also '\0':
  // at_end() tells them apart).
  char peek() {
    skip_ws();
    return p_ == end_ ? '\0' : *p_;
  }

  bool consume(char c) {
    if (peek() != c) return false;
    ++p_;
    return true;
  }

  void expect(char c, const path_node* path) {
    if (!consume(c)) fail_syntax(path, str_cat({"expected '", std::string_view(&c, 1), "'"}));
  }

  // Names the JSON kind of the next value, for "expected X, got Y" messages.
  const char* kind() {
    const char c = peek();
    const std::string_view rest(p_, static_cast<std::size_t>(end_ - p_));
    switch (c) {
      case '"': return "a string";
      case '{': return "an object";
      case '[': return "an array";
      // By the whole literal: "nope" is not JSON, and calling it null would mislead.
      case 't': return rest.starts_with("true") ? "a boolean" : "invalid JSON";
      case 'f': return rest.starts_with("false") ? "a boolean" : "invalid JSON";
      case 'n': return rest.starts_with("null") ? "null" : "invalid JSON";
      case '\0': return p_ == end_ ? "end of input" : "invalid JSON (a NUL byte)";
      default: return is_number_start(*p_) ? "a number" : "invalid JSON";
    }
  }

  [[noreturn]] void fail_type(const path_node* path, const char* expected) {
    fail_at(path, str_cat({"expected ", expected, ", got ", kind()}));
  }

  [[noreturn]] void fail_syntax(const path_node* path, const std::string& what) {
    fail_at(path, str_cat({"invalid JSON at offset ", std::to_string(p_ - begin_), ": ", what}));
  }

  bool read_bool(const path_node* path) {
    if (match_literal("true")) return true;
    if (match_literal("false")) return false;
    fail_type(path, "a boolean");
  }

  bool try_null() { return match_literal("null"); }

  // The text of a JSON number, validated against the JSON grammar.
  std::string_view read_number(const path_node* path, const char* expected) {
    if (!is_number_start(peek())) fail_type(path, expected);
    const char* start = p_;
    if (*p_ == '-') ++p_;
    if (p_ == end_ || !is_digit(*p_)) fail_syntax(path, "malformed number");
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ != end_ && is_digit(*p_)) ++p_;
    }
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      if (p_ == end_ || !is_digit(*p_)) fail_syntax(path, "malformed number");
      while (p_ != end_ && is_digit(*p_)) ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || !is_digit(*p_)) fail_syntax(path, "malformed number");
      while (p_ != end_ && is_digit(*p_)) ++p_;
    }
    return {start, static_cast<std::size_t>(p_ - start)};
  }

  // Reads a string into `out` (replacing its contents).
  void read_string(std::string& out, const path_node* path) {
    out.clear();
    scan_string(out, path);
  }

  // Checks a string the way read_string reads it, keeping nothing.
  void skip_string(const path_node* path) {
    discard none;
    scan_string(none, path);
  }

  // Reads an object key. Returns a view into the input when the key has no escapes (the usual
  // case), else into `scratch`.
  std::string_view read_key(std::string& scratch, const path_node* path) {
    if (peek() != '"') fail_syntax(path, "expected a string key");
    const char* start = p_ + 1;
    for (const char* q = start; q != end_; ++q) {
      if (*q == '"') {
        p_ = q + 1;
        return {start, static_cast<std::size_t>(q - start)};
      }
      if (*q == '\\' || static_cast<unsigned char>(*q) < 0x20) break;
    }
    read_string(scratch, path);
    return scratch;
  }

  // Skips one value of any kind, iteratively so hostile nesting cannot overflow the stack.
  // On the write path (json_valid, sqler_merge) for every document, so the common tokens are
  // read here directly; anything unusual goes through the general functions and their errors.
  void skip_value(const path_node* path) {
    bool in_object[max_depth];  // container kind per nesting level
    int depth = 0;
    for (;;) {
      skip_ws();
      const char c = p_ == end_ ? '\0' : *p_;
      if (c == '{' || c == '[') {
        ++p_;
        if (depth == max_depth) fail_syntax(path, "nesting too deep");
        skip_ws();
        if (p_ != end_ && *p_ == (c == '{' ? '}' : ']')) {
          ++p_;
        } else {
          in_object[depth++] = (c == '{');
          if (c == '{') skip_member_key(path);
          continue;  // the first element or member value
        }
      } else if (c == '"') {
        skip_string(path);
      } else if (c == 't' || c == 'f') {
        read_bool(path);
      } else if (c == 'n') {
        if (!try_null()) fail_syntax(path, "invalid literal");
      } else {
        read_number(path, "a value");
      }
      for (;;) {  // after a value: a separator or the end of the enclosing containers
        if (depth == 0) return;
        skip_ws();
        const char next = p_ == end_ ? '\0' : *p_;
        if (next == ',') {
          ++p_;
          if (in_object[depth - 1]) skip_member_key(path);
          break;
        }
        if (next == (in_object[depth - 1] ? '}' : ']')) {
          ++p_;
          --depth;
          continue;
        }
        fail_syntax(path, in_object[depth - 1] ? "expected ',' or '}'" : "expected ',' or ']'");
      }
    }
  }

  // Skips one value and returns its exact text (for types decoded through Boost.JSON).
  std::string_view value_text(const path_node* path) {
    skip_ws();
    const char* start = p_;
    skip_value(path);
    return {start, static_cast<std::size_t>(p_ - start)};
  }

  bool at_end() {
    skip_ws();
    return p_ == end_;
  }

  // The whole text must be one value: anything after it but blanks, NUL bytes included, is an
  // error rather than silently ignored.
  void expect_end(const path_node* path) {
    if (!at_end()) fail_syntax(path, "unexpected characters after the document");
  }

 private:
  // A sink for scan_string that keeps nothing.
  struct discard {
    void push_back(char) noexcept {}
    void append(const char*, const char*) noexcept {}
  };

  // The string at the input (after blanks), its escapes decoded into `out`.
  template <class Out>
  void scan_string(Out& out, const path_node* path) {
    if (peek() != '"') fail_type(path, "a string");
    ++p_;
    const char* run = p_;
    for (;;) {
      while (p_ != end_ && !string_stop(*p_)) ++p_;  // the plain bytes, the usual case
      if (p_ == end_) fail_syntax(path, "unterminated string");
      const char c = *p_;
      if (c == '"') {
        out.append(run, p_);
        ++p_;
        return;
      }
      if (c != '\\') fail_syntax(path, "control character in string");
      out.append(run, p_);
      ++p_;
      read_escape(out, path);
      run = p_;
    }
  }

  // '"', '\\' and the control characters end a run of plain string bytes.
  static bool string_stop(char c) noexcept {
    static constexpr auto table = [] {
      std::array<bool, 256> t{};
      for (int i = 0; i < 0x20; ++i) t[static_cast<std::size_t>(i)] = true;
      t['"'] = t['\\'] = true;
      return t;
    }();
    return table[static_cast<unsigned char>(c)];
  }

  void skip_member_key(const path_node* path) {
    if (peek() != '"') fail_syntax(path, "expected a string key");
    skip_string(path);
    expect(':', path);
  }

  static bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
  static bool is_number_start(char c) noexcept { return c == '-' || is_digit(c); }

  void skip_ws() noexcept {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\t' || *p_ == '\r')) ++p_;
  }

  bool match_literal(std::string_view lit) {
    skip_ws();
    if (static_cast<std::size_t>(end_ - p_) < lit.size() ||
        std::string_view(p_, lit.size()) != lit)
      return false;
    p_ += lit.size();
    return true;
  }

  unsigned read_hex4(const path_node* path) {
    if (end_ - p_ < 4) fail_syntax(path, "truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i, ++p_) {
      const char c = *p_;
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= static_cast<unsigned>(c - 'A' + 10);
      else
        fail_syntax(path, "bad hex digit in \\u escape");
    }
    return v;
  }

  template <class Out>
  static void append_utf8(Out& out, unsigned cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  template <class Out>
  void read_escape(Out& out, const path_node* path) {
    if (p_ == end_) fail_syntax(path, "unterminated escape");
    const char c = *p_++;
    switch (c) {
      case '"': out.push_back('"'); return;
      case '\\': out.push_back('\\'); return;
      case '/': out.push_back('/'); return;
      case 'b': out.push_back('\b'); return;
      case 'f': out.push_back('\f'); return;
      case 'n': out.push_back('\n'); return;
      case 'r': out.push_back('\r'); return;
      case 't': out.push_back('\t'); return;
      case 'u': {
        unsigned cp = read_hex4(path);
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u')
            fail_syntax(path, "unpaired surrogate in \\u escape");
          p_ += 2;
          const unsigned lo = read_hex4(path);
          if (lo < 0xDC00 || lo > 0xDFFF) fail_syntax(path, "unpaired surrogate in \\u escape");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          fail_syntax(path, "unpaired surrogate in \\u escape");
        }
        append_utf8(out, cp);
        return;
      }
      default: fail_syntax(path, "invalid escape");
    }
  }

  const char* begin_;
  const char* p_;
  const char* end_;
};

// Is `text` one JSON value that sqler can read back: RFC 8259 (as SQLite's json_valid checks
// it) and, stricter than SQLite, no unpaired \uD800-\uDFFF escape, no nesting deeper than
// json_reader::max_depth and nothing after the value, not even a NUL byte. SQLite's own parser
// stops at a NUL and accepts 2000 levels; sqler's reader refuses both.
inline bool readable_json(std::string_view text) noexcept {
  try {
    json_reader r(text);
    r.skip_value(nullptr);
    return r.at_end();
  } catch (...) {  // decode_error: not readable; bad_alloc cannot happen (nothing is kept)
    return false;
  }
}

}  // namespace sqler::detail
