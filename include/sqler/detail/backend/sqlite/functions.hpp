// sqler/detail/backend/sqlite/functions.hpp - SQL functions sqler registers on each SQLite connection.
// They guard writes that SQL alone would let through wrongly: a save that would drop members the
// struct does not declare, and patch arithmetic whose result the member's type cannot hold;
// and json_valid, which every document table's CHECK calls, is replaced by a faster scan.
#pragma once

#include <sqlite3.h>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "sqler/detail/charconv.hpp"
#include "sqler/detail/float_bits.hpp"
#include "sqler/detail/json_io.hpp"
#include "sqler/detail/merge.hpp"
#include "sqler/detail/text.hpp"

namespace sqler::detail::sqlite {

// The pointer type name sqlite3_bind_pointer and sqlite3_value_pointer agree on.
inline constexpr const char* merge_schema_pointer = "sqler_merge_schema";

// The documents sqler encoded for the statement its connection is running, back to back in
// one buffer. A text equal to one of them is what sqler's encoder wrote, and so needs no
// validity scan when the encoder's output is always readable (codec.hpp's always_readable).
// SQLite copies a bound text on its way into a multi-row VALUES, so the test is on the bytes,
// not the address: a statement's rows reach json_valid (and sqler_merge) in order, so the
// document last matched and the one after it are compared (a memcmp), and any other text is
// scanned as usual. Set only around sqler's own steps, on the connection's thread
// (backend_traits::encoded_scope).
class encoded_documents {
 public:
  // Documents first .. first + count - 1 of buf, where ends[i] is the offset at which
  // document i ends (document i begins where i - 1 ends, document 0 at offset 0).
  void set(std::string_view buf, const std::size_t* ends, std::size_t first,
           std::size_t count) noexcept {
    base_ = buf.data();
    begin_ = first == 0 ? 0 : ends[first - 1];
    ends_ = ends + first;
    count_ = count;
    next_ = 0;
  }
  void clear() noexcept { count_ = 0; }

  // The document v's text equals, in sqler's buffer, or an empty view (a document is never
  // empty). Reads v's bytes as they are (sqlite3_value_text would first copy a text bound
  // without a terminator to add one).
  std::string_view find(sqlite3_value* v) noexcept {
    if (count_ == 0 || sqlite3_value_type(v) != SQLITE_TEXT) return {};
    const auto* text = static_cast<const char*>(sqlite3_value_blob(v));
    const auto size = static_cast<std::size_t>(sqlite3_value_bytes(v));
    for (std::size_t k = next_ == 0 ? 0 : next_ - 1; k < count_ && k <= next_; ++k) {
      const std::size_t begins = k == 0 ? begin_ : ends_[k - 1];
      const char* doc = base_ + begins;
      if (ends_[k] - begins == size && (text == doc || std::memcmp(text, doc, size) == 0)) {
        next_ = k + 1;
        return {doc, size};
      }
    }
    return {};
  }

 private:
  const char* base_ = nullptr;
  std::size_t begin_ = 0;
  const std::size_t* ends_ = nullptr;
  std::size_t count_ = 0;
  std::size_t next_ = 0;  // the document after the one last matched
};

inline encoded_documents& encoded_of(sqlite3_context* ctx) noexcept {
  return *static_cast<encoded_documents*>(sqlite3_user_data(ctx));
}

inline std::string_view value_text(sqlite3_value* v) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
  return p == nullptr ? std::string_view{}
                      : std::string_view(p, static_cast<std::size_t>(sqlite3_value_bytes(v)));
}

// sqler_merge(stored, fresh, schema): the document a save stores (see merge.hpp).
inline void sqlite_merge(sqlite3_context* ctx, int, sqlite3_value** argv) {
  // The fresh document unchanged: when it is one sqler just encoded, passed on from sqler's
  // buffer without a copy (the buffer outlives the statement's step).
  const std::string_view encoded = encoded_of(ctx).find(argv[1]);
  const auto fresh = [&] {
    if (!encoded.empty())
      sqlite3_result_text64(ctx, encoded.data(), encoded.size(), SQLITE_STATIC, SQLITE_UTF8);
    else
      sqlite3_result_value(ctx, argv[1]);
  };
  const auto* schema =
      static_cast<const merge_schema*>(sqlite3_value_pointer(argv[2], merge_schema_pointer));
  if (schema == nullptr || sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
    fresh();
    return;
  }
  try {
    auto merged = merged_document(value_text(argv[0]),
                                  !encoded.empty() ? encoded : value_text(argv[1]), *schema);
    if (!merged) {
      fresh();  // nothing undeclared to keep: the fast path
      return;
    }
    sqlite3_result_text64(ctx, merged->data(), merged->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  } catch (const std::bad_alloc&) {
    sqlite3_result_error_nomem(ctx);
  }
}

// Fails the statement (and so undoes all of it) with a message naming the member.
inline void refuse(sqlite3_context* ctx, sqlite3_value* path, const std::string& why) {
  const std::string msg =
      str_cat({"sqler: out of range: member '", std::string(value_text(path)).substr(2), "' ", why});
  sqlite3_result_error(ctx, msg.c_str(), static_cast<int>(msg.size()));
  sqlite3_result_error_code(ctx, SQLITE_MISMATCH);
}

inline std::string describe(sqlite3_value* v) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_NULL: return "null";
    case SQLITE_INTEGER: return std::to_string(sqlite3_value_int64(v));
    case SQLITE_FLOAT: {
      char buf[32];
      auto r = format_floating(buf, buf + sizeof buf, sqlite3_value_double(v));
      return std::string(buf, r.ptr);
    }
    default: return str_cat({"'", value_text(v), "'"});
  }
}

// sqler_int(x, lo, hi, path): x when it is an integer within [lo, hi] (NULL bounds: any int64).
// SQLite turns an overflowing integer sum into a REAL and a uint64 above INT64_MAX is read as
// one, so a REAL here means the exact value is already lost.
inline void sqlite_checked_int(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) != SQLITE_INTEGER) {
    refuse(ctx, argv[3], str_cat({"would become ", describe(argv[0]), ", not an exact integer"}));
    return;
  }
  const std::int64_t x = sqlite3_value_int64(argv[0]);
  const bool low_ok = sqlite3_value_type(argv[1]) == SQLITE_NULL || x >= sqlite3_value_int64(argv[1]);
  const bool high_ok =
      sqlite3_value_type(argv[2]) == SQLITE_NULL || x <= sqlite3_value_int64(argv[2]);
  if (!low_ok || !high_ok) {
    refuse(ctx, argv[3], str_cat({"would become ", std::to_string(x), ", outside [",
                                  describe(argv[1]), ", ", describe(argv[2]), "] of its type"}));
    return;
  }
  sqlite3_result_int64(ctx, x);
}

// sqler_real(x, is_float, path): x as JSON number text in its shortest exact form (SQLite's own
// rendering keeps 15 digits, so 0.1 + 0.2 would be stored as 0.3), when finite and, for a
// float member, within float's range.
inline void sqlite_checked_real(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const int type = sqlite3_value_type(argv[0]);
  if (type != SQLITE_INTEGER && type != SQLITE_FLOAT) {
    refuse(ctx, argv[2], str_cat({"would become ", describe(argv[0]), ", not a number"}));
    return;
  }
  char buf[32];
  std::to_chars_result r;
  if (type == SQLITE_INTEGER) {
    r = std::to_chars(buf, buf + sizeof buf, sqlite3_value_int64(argv[0]));
  } else {
    const double x = sqlite3_value_double(argv[0]);
    const bool is_float = sqlite3_value_int(argv[1]) != 0;
    if (!is_finite(x) ||
        (is_float && magnitude(x) > static_cast<double>(std::numeric_limits<float>::max()))) {
      refuse(ctx, argv[2],
             str_cat({"would become ", describe(argv[0]), ", which its type cannot hold"}));
      return;
    }
    r = is_float ? format_floating(buf, buf + sizeof buf, static_cast<float>(x))
                 : format_floating(buf, buf + sizeof buf, x);
  }
  sqlite3_result_text(ctx, buf, static_cast<int>(r.ptr - buf), SQLITE_TRANSIENT);
}

// json_valid(X) on sqler's connections: the CHECK (json_valid(data)) of every document table
// calls it on each write, and SQLite 3.40's own json_valid builds a parse tree (about 0.9 us for
// a 230-byte document, as much as the rest of an insert). This one only scans, and accepts
// what SQLite's does minus what sqler could not read back (readable_json), so the check is
// the same or stricter; other programs opening the file keep SQLite's own. A document sqler
// has just encoded for this statement, of a type whose every encoding is readable, is not
// scanned again (encoded_documents): 0.3-0.4 us of a 1.3 us insert. NULL gives 0, as SQLite
// 3.40's does.
inline void sqlite_json_valid(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite3_result_int(ctx, 0);
    return;
  }
  if (!encoded_of(ctx).find(argv[0]).empty()) {
    sqlite3_result_int(ctx, 1);
    return;
  }
  sqlite3_result_int(ctx, readable_json(value_text(argv[0])) ? 1 : 0);
}

// docs: the connection's, which sqler's writes set (it outlives the connection's functions).
inline void register_functions(sqlite3* db, encoded_documents* docs) {
  // Used in the table's CHECK constraint, so it must be allowed in the schema.
  sqlite3_create_function_v2(db, "json_valid", 1,
                             SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, docs,
                             sqlite_json_valid, nullptr, nullptr, nullptr);
  constexpr int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY;
  sqlite3_create_function_v2(db, "sqler_merge", 3, flags, docs, sqlite_merge, nullptr, nullptr,
                             nullptr);
  sqlite3_create_function_v2(db, "sqler_int", 4, flags, nullptr, sqlite_checked_int, nullptr,
                             nullptr, nullptr);
  sqlite3_create_function_v2(db, "sqler_real", 3, flags, nullptr, sqlite_checked_real, nullptr,
                             nullptr, nullptr);
}

}  // namespace sqler::detail::sqlite
