// sqler/detail/sql/postgres.hpp - every SQL text sqler runs on PostgreSQL, in one place.
// Documents are jsonb; paths render as data->'a'->'b' (jsonb) or data->'a'->>'b' (text), so an
// expression index on (data->'a') serves the same filters the DSL writes; values compared with
// documents are bound as their C++ type and turned into jsonb ($1::bigint::text::jsonb).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

#include "sqler/detail/fixed_string.hpp"
#include "sqler/detail/merge.hpp"
#include "sqler/detail/multikey.hpp"
#include "sqler/detail/promoted.hpp"
#include "sqler/detail/reflect.hpp"
#include "sqler/detail/sql/standard.hpp"
#include "sqler/detail/type_traits.hpp"

namespace sqler::detail {

// ---------------------------------------------------------------- paths
// A sqler path ("$.a.b[0].c", "$.tags[#-1]", "$.attrs.\"a.b\"") as PostgreSQL jsonb steps.

struct path_step {
  std::string_view key;  // empty for an index step
  long index = 0;
  bool is_index = false;
};

// Calls f(step) for each step of a sqler path.
template <class F>
constexpr void for_each_step(std::string_view path, F&& f) {
  std::size_t i = 1;  // after '$'
  while (i < path.size()) {
    if (path[i] == '.') {
      ++i;
      if (i < path.size() && path[i] == '"') {
        const std::size_t end = find_char(path, '"', i + 1);
        f(path_step{path.substr(i + 1, end - i - 1), 0, false});
        i = end + 1;
      } else {
        std::size_t end = i;
        while (end < path.size() && path[end] != '.' && path[end] != '[') ++end;
        f(path_step{path.substr(i, end - i), 0, false});
        i = end;
      }
    } else {  // '[' N ']' or '[#-N]'
      std::size_t j = i + 1;
      bool from_end = false;
      if (path[j] == '#') {
        from_end = true;
        j += 2;  // "#-"
      }
      long n = 0;
      while (path[j] != ']') n = n * 10 + (path[j++] - '0');
      f(path_step{{}, from_end ? -n : n, true});
      i = j + 1;
    }
  }
}

constexpr std::size_t decimal_length(long n) {
  std::size_t len = n < 0 ? 2 : 1;
  for (long m = n < 0 ? -n : n; m >= 10; m /= 10) ++len;
  return len;
}

// Appends text to out (when not null) at pos; returns the new position.
constexpr std::size_t put(char* out, std::size_t pos, std::string_view text) {
  for (char c : text) {
    if (out) out[pos] = c;
    ++pos;
  }
  return pos;
}

constexpr std::size_t put_number(char* out, std::size_t pos, long n) {
  char buf[24]{};
  std::size_t len = 0;
  const bool neg = n < 0;
  unsigned long m = neg ? static_cast<unsigned long>(-n) : static_cast<unsigned long>(n);
  do {
    buf[len++] = static_cast<char>('0' + m % 10);
    m /= 10;
  } while (m != 0);
  if (neg) pos = put(out, pos, "-");
  while (len > 0) {
    if (out) out[pos] = buf[len - 1];
    ++pos;
    --len;
  }
  return pos;
}

// A SQL string literal's body: ' doubled.
constexpr std::size_t put_literal(char* out, std::size_t pos, std::string_view text) {
  for (char c : text) {
    pos = put(out, pos, c == '\'' ? std::string_view("''") : std::string_view(&c, 1));
  }
  return pos;
}

// "->'a'->'b'" (Text: the last step "->>"), or "#>'{a,b}'" forms are avoided: PostgreSQL
// matches an expression index by its tree, and every query and index spells steps the same way.
constexpr std::size_t write_steps(std::string_view path, bool text, char* out) {
  std::size_t count = 0, n = 0;
  for_each_step(path, [&](const path_step&) { ++count; });
  std::size_t pos = 0;
  for_each_step(path, [&](const path_step& s) {
    ++n;
    pos = put(out, pos, text && n == count ? std::string_view("->>") : std::string_view("->"));
    if (s.is_index && s.index < 0) {  // ->(-1): "->-1" would lex as one operator
      pos = put(out, pos, "(");
      pos = put_number(out, pos, s.index);
      pos = put(out, pos, ")");
    } else if (s.is_index) {
      pos = put_number(out, pos, s.index);
    } else {
      pos = put(out, pos, "'");
      pos = put_literal(out, pos, s.key);
      pos = put(out, pos, "'");
    }
  });
  return pos;
}

template <auto Path, bool Text>
consteval auto pg_steps() {
  constexpr std::size_t n = write_steps(Path.view(), Text, nullptr);
  fixed_string<n> out;
  write_steps(Path.view(), Text, out.data);
  return out;
}

// '{"a","b","0"}': a path as the text[] jsonb_set and #> take (each element double-quoted).
constexpr std::size_t write_text_array(std::string_view path, char* out) {
  std::size_t pos = put(out, 0, "'{");
  bool first = true;
  for_each_step(path, [&](const path_step& s) {
    if (!first) pos = put(out, pos, ",");
    first = false;
    pos = put(out, pos, "\"");
    if (s.is_index) {
      pos = put_number(out, pos, s.index);
    } else {
      for (char c : s.key) {
        if (c == '"' || c == '\\') pos = put(out, pos, "\\");
        pos = put(out, pos, c == '\'' ? std::string_view("''") : std::string_view(&c, 1));
      }
    }
    pos = put(out, pos, "\"");
  });
  return put(out, pos, "}'");
}

template <auto Path>
consteval auto pg_text_array() {
  constexpr std::size_t n = write_text_array(Path.view(), nullptr);
  fixed_string<n> out;
  write_text_array(Path.view(), out.data);
  return out;
}

inline std::string text_array_of(std::string_view path) {
  std::string out(write_text_array(path, nullptr), '\0');
  write_text_array(path, out.data());
  return out;
}

// ---------------------------------------------------------------- the dialect

struct postgres_dialect : standard_sql<postgres_dialect> {
  using D = postgres_dialect;

  // ================================================================ expressions (the DSL)

  template <auto Name>
  static consteval auto quote_identifier() {
    return concat(fixed_string{"\""}, Name, fixed_string{"\""});
  }

  template <class T>
  static consteval auto table() {
    return quote_identifier<to_fixed<table_name_holder<T>>()>();
  }

  // The document a path starts from: the row's column, or the current element inside any().
  template <std::size_t Depth>
  static consteval auto source() {
    if constexpr (Depth == 0)
      return fixed_string{"data"};
    else
      return concat(fixed_string{"je"}, to_fixed_number<Depth>(), fixed_string{".value"});
  }

  // (data->'a'->'b'): jsonb, compared with jsonb values; the same text an index is built on.
  // A JSON null reads as SQL NULL, as json_extract() reads it on SQLite: a comparison with it is
  // unknown (so neither `rank != 3` nor `!(rank == 3)` matches it), and it sorts with the
  // missing members. Index DDL renders the same text, so indexes still match.
  template <std::size_t Depth, auto Path>
  static consteval auto extract() {
    return concat(fixed_string{"NULLIF("}, extract_raw<Depth, Path>(),
                  fixed_string{", 'null'::jsonb)"});
  }

  // The jsonb at Path as stored: arrays to expand or search (jsonb_array_elements, GIN @>).
  template <std::size_t Depth, auto Path>
  static consteval auto extract_raw() {
    if constexpr (Path.size == 1)  // "$": the element itself
      return concat(fixed_string{"("}, source<Depth>(), fixed_string{")"});
    else
      return concat(fixed_string{"("}, source<Depth>(), pg_steps<Path, false>(),
                    fixed_string{")"});
  }

  // (data->'a'->>'b'): text, for string tests, NULL tests and numbers.
  template <std::size_t Depth, auto Path>
  static consteval auto extract_text() {
    if constexpr (Path.size == 1)
      return concat(fixed_string{"("}, source<Depth>(), fixed_string{" #>> '{}')"});
    else
      return concat(fixed_string{"("}, source<Depth>(), pg_steps<Path, true>(),
                    fixed_string{")"});
  }

  // A path known only at run time (field<&T::attrs>.key(k), .at(i)), bound as $N in sqler's
  // spelling ($.attrs."a b", $.tags[#-1]), which sqler_jsonpath() turns into SQL/JSON
  // ([#-1] is [last]); PostgreSQL walks it in lax mode: a missing key or an index past the end
  // gives NULL, as on SQLite, and so does a stored null, as everywhere.
  template <std::size_t Depth, std::size_t N>
  static consteval auto extract_bound() {
    return concat(fixed_string{"NULLIF(jsonb_path_query_first("}, source<Depth>(),
                  fixed_string{", sqler_jsonpath("}, placeholder<N>(),
                  fixed_string{"::text)), 'null'::jsonb)"});
  }

  template <std::size_t N>
  static consteval auto placeholder() {
    return concat(fixed_string{"$"}, to_fixed_number<N>());
  }

  // ---- literals in place of placeholders (literals.hpp), for a partial index's predicate.
  // Each is the quoted text sqler would send as the parameter, read by the same cast that
  // follows the placeholder ($1::bigint), so it folds to the same constant the query's custom
  // plan holds. A backslash is spelled E'\\', which means one backslash whatever
  // standard_conforming_strings says.
  static constexpr char parameter_mark = '$';
  static std::string null_literal() { return "NULL"; }
  static std::string number_literal(std::string text) { return "'" + text + "'"; }
  static std::string string_literal(std::string_view v) {
    if (v.find('\\') == std::string_view::npos) return quoted_literal(v);
    std::string doubled;
    for (char c : v) {
      if (c == '\\') doubled.push_back('\\');
      doubled.push_back(c);
    }
    return "E" + quoted_literal(doubled);
  }

  // The SQL type a bound C++ value is sent as (bools and enums travel as integers).
  template <class P>
  static consteval auto sql_type() {
    if constexpr (std::is_same_v<P, bool>)
      return fixed_string{"boolean"};
    else if constexpr (std::is_integral_v<P> || std::is_enum_v<P>)
      return fixed_string{"bigint"};
    else if constexpr (std::is_floating_point_v<P>)
      return fixed_string{"float8"};
    else
      return fixed_string{"text"};
  }

  template <class P, std::size_t N>
  static consteval auto typed_placeholder() {
    return concat(placeholder<N>(), fixed_string{"::"}, sql_type<P>());
  }

  // A bound value compared with document content: as jsonb, through immutable functions only
  // (to_jsonb() is STABLE). Given a constant they fold into a jsonb constant when a custom plan
  // is made for the bound value: the same constant a partial index's predicate holds (which may
  // use immutable functions only), so the planner sees that the query implies it. A string
  // becomes a JSON string through jsonb_object(); anything else is read back from its text.
  template <class P, std::size_t N>
  static consteval auto value() {
    if constexpr (sql_type<P>().view() == std::string_view("text"))
      return concat(fixed_string{"(jsonb_object(ARRAY['v', "}, typed_placeholder<P, N>(),
                    fixed_string{"])->'v')"});
    else
      return concat(typed_placeholder<P, N>(), fixed_string{"::text::jsonb"});
  }

  // A promoted member is a typed column: values compared with it are bound as its type, so
  // its btree index serves the comparison.
  template <class F, std::size_t Depth>
  static constexpr bool promoted_operand = [] {
    if constexpr (requires { F::promoted_column; })
      return Depth == 0 && F::promoted_column;
    else
      return false;
  }();

  template <class F, class P, std::size_t Depth, std::size_t N>
  static consteval auto value_for() {
    if constexpr (promoted_operand<F, Depth>)
      return typed_placeholder<P, N>();
    else
      return value<P, N>();
  }

  // like() is SQLite's LIKE: case-insensitive (for ASCII, in the C locale): ILIKE here.
  // Operands as text and as numbers, for string tests and arithmetic.
  // A compile-time path (a field, a ref's id): read as text with ->>.
  template <class F>
  static constexpr bool is_path_field = requires { F::path; };

  template <class F, std::size_t Depth, std::size_t P0>
  static consteval auto text_of() {
    if constexpr (is_path_field<F> && !promoted_operand<F, Depth>)
      return extract_text<Depth, F::path>();
    else if constexpr (requires { F::path_is_bound; })
      return concat(fixed_string{"("}, F::template render<D, Depth, P0>(),
                    fixed_string{" #>> '{}')"});
    else
      return F::template render<D, Depth, P0>();
  }

  template <class X, std::size_t Depth, std::size_t P0>
  static consteval auto number_of() {
    if constexpr (is_path_field<X> && !promoted_operand<X, Depth>)
      return concat(fixed_string{"("}, extract_text<Depth, X::path>(), fixed_string{"::numeric)"});
    else if constexpr (requires { X::path_is_bound; })
      return concat(fixed_string{"("}, text_of<X, Depth, P0>(), fixed_string{"::numeric)"});
    else if constexpr (requires { typename X::bound_value_type; })
      return concat(placeholder<P0>(), fixed_string{"::numeric"});
    else
      return X::template render<D, Depth, P0>();
  }

  // Comparisons against an arithmetic expression (or array size) are made in numbers.
  template <class X>
  static constexpr bool numeric_operand = requires { X::numeric_expression; };

  template <class Op, class L, class R, std::size_t Depth, std::size_t P0>
  static consteval auto compare() {
    if constexpr (std::is_same_v<Op, like_op>)
      // ESCAPE '': as in SQLite, a LIKE without an escape character has none (PostgreSQL's
      // default is a backslash).
      return concat(text_of<L, Depth, P0>(), fixed_string{" ILIKE "},
                    placeholder<P0 + L::params>(), fixed_string{"::text ESCAPE ''"});
    else if constexpr (numeric_operand<L> || numeric_operand<R>)
      return concat(number_of<L, Depth, P0>(), op<Op>(),
                    number_of<R, Depth, P0 + L::params>());
    else if constexpr ((promoted_operand<L, Depth> || requires { L::is_id_column; }) &&
                       requires { typename R::bound_value_type; })
      return concat(L::template render<D, Depth, P0>(), op<Op>(),
                    typed_placeholder<typename R::bound_value_type, P0 + L::params>());
    else
      return concat(L::template render<D, Depth, P0>(), op<Op>(),
                    R::template render<D, Depth, P0 + L::params>());
  }

  template <class F, class P, std::size_t Depth, std::size_t P0>
  static consteval auto between() {
    return concat(F::template render<D, Depth, P0>(), fixed_string{" BETWEEN "},
                  value_for<F, P, Depth, P0>(), fixed_string{" AND "},
                  value_for<F, P, Depth, P0 + 1>());
  }

  // A promoted column's value as jsonb, to be found in a bound JSON list.
  template <class F, std::size_t Depth, std::size_t P0>
  static consteval auto in_list() {
    if constexpr (requires { F::is_id_column; }) {  // _id: a bigint, among the list's numbers
      return concat(F::template render<D, Depth, P0>(),
                    fixed_string{" IN (SELECT jsonb_array_elements_text("}, placeholder<P0>(),
                    fixed_string{"::jsonb)::bigint)"});
    } else {
      constexpr auto operand = [] {
        if constexpr (promoted_operand<F, Depth>)
          return concat(fixed_string{"to_jsonb("}, F::template render<D, Depth, P0>(),
                        fixed_string{")"});
        else
          return F::template render<D, Depth, P0>();
      }();
      return concat(operand, fixed_string{" IN ("}, param_elements<P0>(), fixed_string{")"});
    }
  }

  template <class F, bool IsNull, std::size_t Depth, std::size_t P0>
  static consteval auto null_test() {
    if constexpr (IsNull)
      return concat(text_of<F, Depth, P0>(), fixed_string{" IS NULL"});
    else
      return concat(text_of<F, Depth, P0>(), fixed_string{" IS NOT NULL"});
  }

  template <class F, std::size_t Depth, std::size_t P0>
  static consteval auto like_escape() {
    return concat(text_of<F, Depth, P0>(), fixed_string{" ILIKE "}, placeholder<P0>(),
                  fixed_string{"::text ESCAPE "}, placeholder<P0 + 1>(), fixed_string{"::text"});
  }

  // The elements of a bound JSON array parameter, as jsonb.
  template <std::size_t N>
  static consteval auto param_elements() {
    return concat(fixed_string{"SELECT jsonb_array_elements("}, placeholder<N>(),
                  fixed_string{"::jsonb)"});
  }

  template <std::size_t Depth, auto Path, std::size_t Alias>
  static consteval auto each() {
    return concat(fixed_string{"jsonb_array_elements(CASE WHEN jsonb_typeof("},
                  extract_raw<Depth, Path>(), fixed_string{") = 'array' THEN "},
                  extract_raw<Depth, Path>(), fixed_string{" END) AS je"}, to_fixed_number<Alias>(),
                  fixed_string{"(value)"});
  }

  template <std::size_t Alias>
  static consteval auto element() {
    return concat(fixed_string{"je"}, to_fixed_number<Alias>(), fixed_string{".value"});
  }

  template <std::size_t N, std::size_t Alias>
  static consteval auto each_param() {
    return concat(fixed_string{"jsonb_array_elements("}, placeholder<N>(),
                  fixed_string{"::jsonb) AS jv"}, to_fixed_number<Alias>(), fixed_string{"(value)"});
  }

  template <std::size_t Alias>
  static consteval auto param_element() {
    return concat(fixed_string{"jv"}, to_fixed_number<Alias>(), fixed_string{".value"});
  }

  template <class P, std::size_t Alias, std::size_t P0>
  static consteval auto element_equals() {
    return concat(element<Alias>(), fixed_string{" = "}, value<P, P0>());
  }

  template <std::size_t Depth, auto Path>
  static consteval auto array_length() {
    return concat(fixed_string{"(CASE WHEN jsonb_typeof("}, extract_raw<Depth, Path>(),
                  fixed_string{") = 'array' THEN jsonb_array_length("}, extract_raw<Depth, Path>(),
                  fixed_string{") END)"});
  }

  // starts_with() is exact whatever the collation (a range [p, p + max) is not, outside C).
  template <class F, std::size_t Depth, std::size_t P0>
  static consteval auto starts_with() {
    return concat(fixed_string{"starts_with("}, text_of<F, Depth, P0>(), fixed_string{", "},
                  placeholder<P0>(), fixed_string{"::text)"});
  }

  template <class F, std::size_t Depth, std::size_t P0>
  static consteval auto ends_with() {
    constexpr auto f = text_of<F, Depth, P0>();
    return concat(fixed_string{"right("}, f, fixed_string{", length("}, placeholder<P0>(),
                  fixed_string{"::text)) = "}, placeholder<P0>(), fixed_string{"::text"});
  }

  // ASCII case folding in the C locale sqler's tests run in (lower() follows the collation).
  template <class F, std::size_t Depth, std::size_t P0>
  static consteval auto equals_ignoring_case() {
    return concat(fixed_string{"lower("}, text_of<F, Depth, P0>(), fixed_string{") = lower("},
                  placeholder<P0>(), fixed_string{"::text)"});
  }

  template <auto E>
  static consteval auto as_real() {
    return concat(fixed_string{"("}, E, fixed_string{")::float8"});
  }

  template <class Op, class L, class R, bool RealDivision, std::size_t Depth, std::size_t P0>
  static consteval auto arithmetic() {
    constexpr auto l = number_of<L, Depth, P0>();
    constexpr auto r = number_of<R, Depth, P0 + L::params>();
    if constexpr (std::is_same_v<Op, div_op> && !RealDivision)  // integers divide like C++
      return concat(fixed_string{"div("}, l, fixed_string{", "}, r, fixed_string{")"});
    else if constexpr (RealDivision)
      return concat(fixed_string{"("}, l, fixed_string{"::float8"}, op<Op>(), r,
                    fixed_string{"::float8)"});
    else
      return concat(fixed_string{"("}, l, op<Op>(), r, fixed_string{")"});
  }

  template <class T, std::size_t P0>
  static consteval auto fts_match() {
    return concat(fts_vector<T>(), fixed_string{" @@ websearch_to_tsquery('simple', "},
                  placeholder<P0>(), fixed_string{"::text)"});
  }

  // A ref member's target id as a number, IN a sub-select of the target table.
  template <auto Path, bool Many, class X, class Pred, std::size_t Depth, std::size_t P0>
  static consteval auto through_ref() {
    constexpr auto where = [] {
      if constexpr (requires { Pred::always_true; })
        return fixed_string{""};
      else
        return concat(fixed_string{" WHERE "}, Pred::template render<D, 0, P0>());
    }();
    constexpr auto targets =
        concat(fixed_string{" IN (SELECT _id FROM "}, table<X>(), where, fixed_string{")"});
    if constexpr (Many) {
      constexpr std::size_t alias = Depth + 1;
      return concat(fixed_string{"EXISTS (SELECT 1 FROM "}, each<Depth, Path, alias>(),
                    fixed_string{" WHERE ("}, element<alias>(),
                    fixed_string{"->>'_id')::bigint"}, targets, fixed_string{")"});
    } else {
      // jsonb against jsonb: the same (data->'r'->'_id') text ref_id<> filters and indexes use.
      return concat(extract<Depth, concat(Path, fixed_string{"._id"})>(),
                    fixed_string{" IN (SELECT to_jsonb(_id) FROM "}, table<X>(), where,
                    fixed_string{")"});
    }
  }

  // ---- multikey indexes: a GIN index (jsonb_path_ops) on the array, searched by containment

  template <class T, auto ArrayPath, auto MemberPath>
  static consteval auto multikey_index_name() {
    return concat(fixed_string{"\"sqler_mk_"}, to_fixed<table_name_holder<T>>(),
                  fixed_string{"__"}, path_tail<ArrayPath>(), fixed_string{"\""});
  }

  template <auto MemberPath, class Value>
  static consteval auto element_pattern() {
    if constexpr (MemberPath.size == 0)
      return Value{}();
    else
      return concat(fixed_string{"jsonb_build_object('"},
                    path_tail<MemberPath>(), fixed_string{"', "}, Value{}(),
                    fixed_string{")"});
  }

  // Containment, which the array's GIN index answers: the element (or an object holding the
  // member) as a one-element array. A list of alternatives is an array of such probes
  // (@> ANY), which a bitmap index scan takes too.
  template <class T, auto ArrayPath, auto MemberPath, element_test Test, class P, std::size_t P0>
  static consteval auto multikey_any() {
    constexpr auto array = extract_raw<0, ArrayPath>();
    if constexpr (Test == element_test::equals) {
      struct v {
        consteval auto operator()() const { return value<P, P0>(); }
      };
      return concat(array, fixed_string{" @> jsonb_build_array("},
                    element_pattern<MemberPath, v>(), fixed_string{")"});
    } else {
      struct v {
        consteval auto operator()() const { return fixed_string{"mk.value"}; }
      };
      return concat(array, fixed_string{" @> ANY (ARRAY(SELECT jsonb_build_array("},
                    element_pattern<MemberPath, v>(),
                    fixed_string{") FROM jsonb_array_elements("}, placeholder<P0>(),
                    fixed_string{"::jsonb) AS mk(value)))"});
    }
  }

  template <class T, auto ArrayPath, std::size_t P0>
  static consteval auto multikey_all() {
    return concat(extract_raw<0, ArrayPath>(), fixed_string{" @> "}, placeholder<P0>(),
                  fixed_string{"::jsonb"});
  }

  // ================================================================ patches
  // One UPDATE: data = jsonb_set(jsonb_set(data, path1, value1), path2, value2) ...; every
  // value reads `data`, the document as it was before the statement.

  // A compile-time text as the body of a SQL string literal (' doubled).
  template <auto Text>
  static consteval auto literal_body() {
    constexpr std::size_t n = put_literal(nullptr, 0, Text.view());
    fixed_string<n> out;
    put_literal(out.data, 0, Text.view());
    return out;
  }

  // jsonb_set's create_missing for Path, so that it writes where SQLite's json_set does: a
  // missing key is created; an array element only at exactly the array's length (appended),
  // never through [#-N] nor further past the end (PostgreSQL would prepend or append).
  template <auto Path>
  static consteval auto create_missing() {
    constexpr auto last = [] {
      path_step l{};
      for_each_step(Path.view(), [&](const path_step& s) { l = s; });
      return l;
    }();
    if constexpr (!last.is_index) {
      return fixed_string{"true"};
    } else if constexpr (last.index < 0) {
      return fixed_string{"false"};
    } else {
      constexpr std::size_t cut = rfind_char(Path.view(), '[');
      constexpr auto parent = [] {
        fixed_string<cut> p;
        for (std::size_t i = 0; i < cut; ++i) p.data[i] = Path.data[i];
        return p;
      }();
      constexpr auto arr = concat(fixed_string{"(data #> "}, pg_text_array<parent>(),
                                  fixed_string{")"});
      return concat(fixed_string{"CASE WHEN jsonb_typeof("}, arr,
                    fixed_string{") = 'array' THEN jsonb_array_length("}, arr,
                    fixed_string{") = "}, to_fixed_number<static_cast<std::size_t>(last.index)>(),
                    fixed_string{" ELSE false END"});
    }
  }

  template <class M, auto Path, auto Expr>
  static consteval auto checked_value() {
    if constexpr (std::is_floating_point_v<M>) {
      constexpr auto is_float = [] {
        if constexpr (std::is_same_v<M, float>)
          return fixed_string{"true"};
        else
          return fixed_string{"false"};
      }();
      return concat(fixed_string{"sqler_real("}, Expr, fixed_string{", "}, is_float,
                    fixed_string{", '"}, literal_body<Path>(), fixed_string{"')"});
    } else if constexpr (std::is_integral_v<M> || std::is_enum_v<M>) {
      return concat(fixed_string{"sqler_int("}, Expr, fixed_string{", "},
                    integer_bounds<M>(), fixed_string{", '"}, literal_body<Path>(),
                    fixed_string{"')"});
    } else {
      return concat(fixed_string{"to_jsonb("}, Expr, fixed_string{")"});
    }
  }

  // Each op renders "path, value" for one jsonb_set.
  template <auto Path, bool Append, std::size_t P0>
  static consteval auto patch_set_json() {
    if constexpr (Append)
      return concat(fixed_string{"insert:"}, pg_text_array<concat(Path, fixed_string{"[#-1]"})>(),
                    fixed_string{", "}, placeholder<P0>(), fixed_string{"::jsonb"});
    else
      return concat(pg_text_array<Path>(), fixed_string{", "}, placeholder<P0>(),
                    fixed_string{"::jsonb, "}, create_missing<Path>());
  }

  template <class M, auto Path, std::size_t P0>
  static consteval auto patch_inc() {
    constexpr auto sum =
        concat(fixed_string{"COALESCE(("}, extract_text<0, Path>(), fixed_string{")::numeric, 0) + "},
               placeholder<P0>(), fixed_string{"::"}, sql_type<M>());
    return concat(pg_text_array<Path>(), fixed_string{", "}, checked_value<M, Path, sum>(),
                  fixed_string{", "}, create_missing<Path>());
  }

  template <class M, auto Path, auto Expr>
  static consteval auto patch_set_expression() {
    return concat(pg_text_array<Path>(), fixed_string{", "}, checked_value<M, Path, Expr>(),
                  fixed_string{", "}, create_missing<Path>());
  }

  template <auto Inner, class Op, std::size_t P0>
  static consteval auto wrap_op() {
    constexpr auto args = Op::template render<D, P0>();
    if constexpr (args.view().starts_with("insert:")) {
      fixed_string<args.size - 7> rest;
      for (std::size_t i = 0; i < rest.size; ++i) rest.data[i] = args.data[i + 7];
      return concat(fixed_string{"jsonb_insert("}, Inner, fixed_string{", "}, rest,
                    fixed_string{", true)"});
    } else {
      return concat(fixed_string{"jsonb_set("}, Inner, fixed_string{", "}, args,
                    fixed_string{")"});
    }
  }

  template <auto Inner, std::size_t P0, class First, class... Rest>
  static consteval auto patch_chain() {
    constexpr auto wrapped = wrap_op<Inner, First, P0>();
    if constexpr (sizeof...(Rest) == 0)
      return wrapped;
    else
      return patch_chain<wrapped, P0 + First::params, Rest...>();
  }

  template <std::size_t P0, class... Ops>
  static consteval auto patch_assignments() {
    return concat(fixed_string{"data = "}, patch_chain<fixed_string{"data"}, P0, Ops...>(),
                  fixed_string{", _version = _version + 1"});
  }

  // ================================================================ queries

  static consteval auto no_limit() { return fixed_string{" LIMIT ALL"}; }
  static consteval auto explain() { return fixed_string{"EXPLAIN "}; }
  static constexpr int explain_column = 0;  // one "QUERY PLAN" column, a row per line
  // update_one()'s sub-select locks the row it claims and skips those others hold: concurrent
  // claimers each get a different document.
  static consteval auto claim_lock() { return fixed_string{" FOR UPDATE SKIP LOCKED"}; }

  // SQLite puts NULL (a missing member) first when ascending: so does sqler on PostgreSQL.
  template <class Field, bool Desc, std::size_t Depth>
  static consteval auto order_key() {
    if constexpr (Desc)
      return concat(Field::template render<D, Depth, 1>(), fixed_string{" DESC NULLS LAST"});
    else
      return concat(Field::template render<D, Depth, 1>(), fixed_string{" ASC NULLS FIRST"});
  }

  // Aggregates read numbers as numeric, strings as text, bools as 0/1.
  template <class F, std::size_t Depth, std::size_t P0>
  static consteval auto scalar_of() {
    using V = typename F::value_type;
    if constexpr (std::is_same_v<V, bool>)
      return concat(fixed_string{"("}, text_of<F, Depth, P0>(), fixed_string{")::boolean::int"});
    else if constexpr (std::is_arithmetic_v<V> || std::is_enum_v<V>)
      return number_of<F, Depth, P0>();
    else
      return text_of<F, Depth, P0>();
  }

  template <class Fn, class F, std::size_t P0, bool Real>
  static consteval auto aggregate() {
    if constexpr (Real)
      return concat(Fn::open, scalar_of<F, 0, P0>(), fixed_string{"::float8)"});
    else
      return concat(Fn::open, scalar_of<F, 0, P0>(), fixed_string{")"});
  }

  // SQLite puts the NULL group (a missing member) first: so does sqler on PostgreSQL.
  template <auto Key>
  static consteval auto group_order() {
    return concat(Key, fixed_string{" NULLS FIRST"});
  }

  template <class K, std::size_t P0>
  static consteval auto group_key() {
    return scalar_of<K, 0, P0>();
  }

  // ================================================================ a collection's statements

  template <class M>
  static consteval auto column_type() {
    using U = unwrap_optional_t<M>;
    if constexpr (std::is_same_v<U, bool>)
      return fixed_string{"boolean"};
    else if constexpr (std::is_integral_v<U> || std::is_enum_v<U>)
      return fixed_string{"bigint"};
    else if constexpr (std::is_floating_point_v<U>)
      return fixed_string{"float8"};
    else
      return fixed_string{"text"};
  }

  // A promoted member: a STORED generated column (PostgreSQL 15 has no VIRTUAL ones).
  template <class T, auto M>
  static consteval auto promoted_column() {
    static_assert(check_promoted<T, M>());
    using C = std::remove_cvref_t<decltype(std::declval<T&>().*M)>;
    constexpr auto path = concat(fixed_string{"$."}, promoted_column_name<T, M>());
    return concat(fixed_string{"\""}, promoted_column_name<T, M>(), fixed_string{"\" "},
                  column_type<C>(), fixed_string{" GENERATED ALWAYS AS (("},
                  extract_text<0, path>(), fixed_string{")::"}, column_type<C>(),
                  fixed_string{") STORED"});
  }

  // columns<...> and stored<...> alike: PostgreSQL 15 has STORED generated columns only.
  template <class T, template <auto...> class List, auto... Ms>
  static consteval auto promoted_list(const List<Ms...>*) {
    return concat(fixed_string{""}, concat(fixed_string{", "}, promoted_column<T, Ms>())...);
  }
  template <class T>
  static consteval auto promoted_columns() {
    return concat(promoted_list<T>(static_cast<const virtual_list<T>*>(nullptr)),
                  promoted_list<T>(static_cast<const stored_list<T>*>(nullptr)));
  }

  // _id never reused: an identity column only counts up.
  template <class T>
  static consteval auto create_table() {
    return concat(fixed_string{"CREATE TABLE IF NOT EXISTS "}, table<T>(),
                  fixed_string{" (_id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
                               "_version bigint NOT NULL DEFAULT 1, data jsonb NOT NULL"},
                  promoted_columns<T>(),
                  fixed_string{")"});
  }

  template <class T>
  static consteval auto insert() {
    return concat(fixed_string{"INSERT INTO "}, table<T>(),
                  fixed_string{" (data) VALUES ($1::jsonb) RETURNING _id"});
  }

  template <class T>
  static consteval auto get() {
    return concat(fixed_string{"SELECT _id, _version, data FROM "}, table<T>(),
                  fixed_string{" WHERE _id = $1"});
  }

  template <class T>
  static consteval auto replace() {
    return concat(fixed_string{"UPDATE "}, table<T>(),
                  fixed_string{" SET data = sqler_merge(data, $1::jsonb, $3::jsonb), _version = "
                               "_version + 1 WHERE _id = $2"});
  }

  template <class T>
  static consteval auto replace_versioned() {
    return concat(fixed_string{"UPDATE "}, table<T>(),
                  fixed_string{" SET data = sqler_merge(data, $1::jsonb, $4::jsonb), _version = "
                               "_version + 1 WHERE _id = $2 AND _version = $3"});
  }

  // An explicit id moves the identity past it (sqler_claim_id), so later inserts never reuse it.
  template <class T>
  static consteval auto upsert() {
    return concat(fixed_string{"INSERT INTO "}, table<T>(),
                  fixed_string{" AS t (_id, data) VALUES (sqler_claim_id('"}, table<T>(),
                  fixed_string{"', $1), $2::jsonb) ON CONFLICT (_id) DO UPDATE SET data = "
                               "sqler_merge(t.data, excluded.data, $3::jsonb), _version = "
                               "t._version + 1"});
  }

  // insert_many: Rows documents in one statement, "($1::jsonb), ($2::jsonb), ..."; the new ids
  // come back as rows, in no promised order.
  static constexpr std::size_t write_insert_rows(char* out, std::size_t rows) {
    std::size_t pos = 0;
    for (std::size_t r = 0; r < rows; ++r) {
      pos = put(out, pos, r == 0 ? "($" : ", ($");
      pos = put_number(out, pos, static_cast<long>(r + 1));
      pos = put(out, pos, "::jsonb)");
    }
    return pos;
  }

  template <class T, std::size_t Rows>
  static consteval auto insert_many() {
    constexpr auto rows = [] {
      fixed_string<write_insert_rows(nullptr, Rows)> out;
      write_insert_rows(out.data, Rows);
      return out;
    }();
    return concat(fixed_string{"INSERT INTO "}, table<T>(), fixed_string{" (data) VALUES "}, rows,
                  fixed_string{" RETURNING _id"});
  }

  // upsert_many: Rows documents in one statement, "(sqler_claim_id('T', $1::bigint),
  // $2::jsonb), ..." written by a loop (256 rows would be 256 nested concats).
  static constexpr std::size_t write_upsert_rows(char* out, std::string_view table,
                                                 std::size_t rows) {
    std::size_t pos = 0;
    for (std::size_t r = 0; r < rows; ++r) {
      pos = put(out, pos, r == 0 ? "(sqler_claim_id('" : ", (sqler_claim_id('");
      pos = put_literal(out, pos, table);
      pos = put(out, pos, "', $");
      pos = put_number(out, pos, static_cast<long>(2 * r + 1));
      pos = put(out, pos, "::bigint), $");
      pos = put_number(out, pos, static_cast<long>(2 * r + 2));
      pos = put(out, pos, "::jsonb)");
    }
    return pos;
  }

  template <class T, std::size_t Rows>
  static consteval auto upsert_many() {
    constexpr auto name = table<T>();
    constexpr auto rows = [&] {
      fixed_string<write_upsert_rows(nullptr, name.view(), Rows)> out;
      write_upsert_rows(out.data, name.view(), Rows);
      return out;
    }();
    return concat(fixed_string{"INSERT INTO "}, name, fixed_string{" AS t (_id, data) VALUES "},
                  rows,
                  fixed_string{" ON CONFLICT (_id) DO UPDATE SET data = sqler_merge(t.data, "
                               "excluded.data, "},
                  placeholder<2 * Rows + 1>(),
                  fixed_string{"::jsonb), _version = t._version + 1 RETURNING _id, _version"});
  }

  template <class X>
  static consteval auto get_many() {
    return concat(fixed_string{"SELECT _id, _version, data FROM "}, table<X>(),
                  fixed_string{" WHERE _id IN (SELECT value::bigint FROM "
                               "jsonb_array_elements_text($1::jsonb))"});
  }

  template <class First, class... Rest>
  static consteval auto index_columns() {
    return concat(First::template render<D, 0, 1>(), fixed_string{" NULLS FIRST"},
                  concat(fixed_string{", "}, Rest::template render<D, 0, 1>(),
                         fixed_string{" NULLS FIRST"})...);
  }

  // Btree on the same (data->'a') text the filters write, NULLS FIRST as sqler sorts them.
  template <class T, bool Unique, class... Fs>
  static constexpr auto create_index() {
    constexpr auto kind = [] {
      if constexpr (Unique)
        return fixed_string{"CREATE UNIQUE INDEX IF NOT EXISTS "};
      else
        return fixed_string{"CREATE INDEX IF NOT EXISTS "};
    }();
    return concat(kind, index_name<T, Unique, Fs...>(), fixed_string{" ON "}, table<T>(),
                  fixed_string{" ("}, index_columns<Fs...>(), fixed_string{")"});
  }

  template <class T, bool Unique, class... Fs>
  static constexpr auto drop_index() {
    return concat(fixed_string{"DROP INDEX IF EXISTS "}, index_name<T, Unique, Fs...>());
  }

  static std::string create_multikey(std::string_view table, std::string_view index,
                                     std::string_view array_path) {
    return "CREATE INDEX IF NOT EXISTS " + std::string(index) + " ON " + quote_name(table) +
           " USING GIN ((" + path_expression(array_path) + ") jsonb_path_ops)";
  }
  static std::string drop_multikey(std::string_view index) {
    return "DROP INDEX IF EXISTS " + std::string(index);
  }

  // ---- full-text search: a GIN index on a tsvector of the members (the 'simple' config)

  template <class T>
  static consteval auto fts_table_name() {
    return concat(to_fixed<table_name_holder<T>>(), fixed_string{"__fts"});
  }
  // The expression both the index and match() write: a function of the document named like
  // the index ("Post__fts": functions and relations are separate namespaces), which
  // ensure_fts() defines over its members. PostgreSQL inlines it on both sides.
  template <class T>
  static consteval auto fts_vector() {
    return concat(quote_identifier<fts_table_name<T>()>(), fixed_string{"(data)"});
  }

  struct fts_statements {
    std::string create, fill, drop_table;
    // The CREATE text of the function in this schema ($1: its name) when its index exists too:
    // equal to `create` exactly when nothing needs rebuilding.
    std::string existing =
        "SELECT 'CREATE OR REPLACE FUNCTION \"' || replace(p.proname, '\"', '\"\"') || "
        "'\"(d jsonb) RETURNS tsvector LANGUAGE sql IMMUTABLE AS $sqler$' || p.prosrc || "
        "'$sqler$' FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace WHERE "
        "n.nspname = current_schema() AND p.proname = $1 AND EXISTS (SELECT 1 FROM pg_class AS "
        "c WHERE c.relnamespace = n.oid AND c.relname = $1 AND c.relkind = 'i')";
    std::string triggers[3];
    std::string drop_triggers[3];
  };

  // The document's text for full-text search is a function of data (IMMUTABLE, so an index
  // can be built on it); changing the field set replaces the function and rebuilds the index.
  static fts_statements fts(std::string_view table, std::string_view fts_name,
                            const std::string_view* paths, std::size_t n) {
    std::string body = "SELECT to_tsvector('simple', ";
    for (std::size_t i = 0; i < n; ++i) {
      if (i != 0) body += " || ' ' || ";
      body += "coalesce(d" + path_text_steps(paths[i]) + ", '')";
    }
    body += ")";
    const std::string fn(fts_name);
    fts_statements s;
    s.create = "CREATE OR REPLACE FUNCTION " + quote_name(fn) +
               "(d jsonb) RETURNS tsvector LANGUAGE sql IMMUTABLE AS $sqler$" + body +
               "$sqler$";
    s.drop_table = "DROP INDEX IF EXISTS " + quote_name(std::string(fts_name));
    s.fill = "CREATE INDEX " + quote_name(std::string(fts_name)) + " ON " + quote_name(table) +
             " USING GIN (" + quote_name(fn) + "(data))";
    return s;
  }

  // ================================================================ sqler's own tables

  static constexpr std::string_view create_refs_table =
      "CREATE TABLE IF NOT EXISTS sqler_refs (from_table text NOT NULL, to_table text NOT NULL, "
      "PRIMARY KEY (from_table, to_table))";
  static constexpr std::string_view has_ref_registration =
      "SELECT 1 FROM sqler_refs WHERE from_table = $1 AND to_table = $2";
  static constexpr std::string_view register_ref =
      "INSERT INTO sqler_refs (from_table, to_table) VALUES ($1, $2) ON CONFLICT DO NOTHING";
  static constexpr std::string_view refs_into =
      "SELECT from_table FROM sqler_refs WHERE to_table = $1 ORDER BY from_table";

  static constexpr std::string_view create_tables_table =
      "CREATE TABLE IF NOT EXISTS sqler_tables (table_name text PRIMARY KEY, cpp_type text NOT "
      "NULL)";
  static constexpr std::string_view table_owner =
      "SELECT cpp_type FROM sqler_tables WHERE table_name = $1";
  static constexpr std::string_view set_table_owner =
      "INSERT INTO sqler_tables (table_name, cpp_type) VALUES ($1, $2) ON CONFLICT (table_name) "
      "DO UPDATE SET cpp_type = excluded.cpp_type";

  static constexpr std::string_view create_migrations_table =
      "CREATE TABLE IF NOT EXISTS sqler_migrations (version bigint PRIMARY KEY, name text NOT "
      "NULL, applied_at timestamptz NOT NULL DEFAULT now())";
  static constexpr std::string_view migration_name =
      "SELECT name FROM sqler_migrations WHERE version = $1";
  static constexpr std::string_view record_migration =
      "INSERT INTO sqler_migrations (version, name) VALUES ($1, $2)";
  static constexpr std::string_view schema_version =
      "SELECT COALESCE(MAX(version), 0) FROM sqler_migrations";

  // ================================================================ schema inspection

  static constexpr std::string_view table_exists =
      "SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = "
      "$1";
  static constexpr std::string_view has_column =
      "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND "
      "table_name = $1 AND column_name = $2";
  static std::string add_column(std::string_view table, std::string_view column_ddl) {
    return "ALTER TABLE " + quote_name(table) + " ADD COLUMN IF NOT EXISTS " +
           std::string(column_ddl);
  }
  static constexpr std::string_view document_tables =
      "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() "
      "AND column_name IN ('_id', '_version', 'data') GROUP BY table_name HAVING COUNT(*) = 3 "
      "ORDER BY table_name";

  // ================================================================ references (integrity.hpp)

  // Walks every object of the documents of `table`, with its path in sqler's spelling
  // ("friends[1]", "profile.home"), yielding the refs among them.
  // Keys spelled as SQLite's member paths spell them: plain when every character is an
  // identifier character (or not ASCII), else quoted with " and \ escaped ("labels."x y"").
  // Rows come in document order (jsonb's key order: shorter keys first), by ordinals.
  static std::string walk_refs(std::string_view table, std::string_view where_doc,
                               std::string_view where_ref, std::string_view select) {
    return "WITH RECURSIVE walk (id, path, ord, value) AS (SELECT t._id, ''::text, "
           "ARRAY[]::bigint[], t.data FROM " +
           quote_name(table) + " AS t WHERE " + std::string(where_doc) +
           " UNION ALL SELECT w.id, CASE WHEN jsonb_typeof(w.value) = 'object' THEN "
           "(CASE WHEN w.path = '' THEN '' ELSE w.path || '.' END) || (CASE WHEN e.key ~ "
           "'^[A-Za-z0-9_$\\u0080-\\U0010FFFF]+$' THEN e.key ELSE '\"' || "
           "replace(replace(e.key, '\\', '\\\\'), '\"', '\\\"') || '\"' END) ELSE w.path || '[' "
           "|| (e.idx - 1) || ']' END, w.ord || e.idx, e.value FROM walk AS w CROSS JOIN "
           "LATERAL (SELECT o.key, o.idx, o.value FROM jsonb_each(CASE WHEN jsonb_typeof(w.value) "
           "= 'object' THEN w.value END) WITH ORDINALITY AS o (key, value, idx) UNION ALL SELECT "
           "NULL, a.idx, a.value FROM jsonb_array_elements(CASE WHEN jsonb_typeof(w.value) = "
           "'array' THEN w.value END) WITH ORDINALITY AS a (value, idx)) AS e) SELECT " +
           std::string(select) +
           " FROM walk WHERE jsonb_typeof(value) = 'object' AND jsonb_typeof(value->'_table') = "
           "'string' AND jsonb_typeof(value->'_id') = 'number' AND " +
           std::string(where_ref) + " ORDER BY id, ord";
  }

  // Every ref into the ids in $3 (a JSON array) of table $2 held by documents of `table`: (_id,
  // path, target id). $1 (the text sqler writes for such a ref) is not needed here.
  static std::string find_refs(std::string_view table) {
    return walk_refs(table, "$1::text IS NOT NULL AND t.data @? '$.**._table'",
                     "value->>'_table' = $2 AND (value->>'_id')::bigint IN (SELECT "
                     "value::bigint FROM jsonb_array_elements_text($3::jsonb))",
                     "id, path, (value->>'_id')::bigint");
  }

  static std::string all_refs(std::string_view table) {
    return walk_refs(table, "t.data @? '$.**._table'", "true",
                     "id, path, value->>'_table', (value->>'_id')::bigint");
  }

  static std::string existing_ids(std::string_view table) {
    return "SELECT _id FROM " + quote_name(table) +
           " WHERE _id IN (SELECT value::bigint FROM jsonb_array_elements_text($1::jsonb))";
  }

  static std::string delete_ids(std::string_view table) {
    return "DELETE FROM " + quote_name(table) +
           " WHERE _id IN (SELECT value::bigint FROM jsonb_array_elements_text($1::jsonb))";
  }

  // Sets the refs at `paths` of document $1 to null (paths bound as $2, $3, ... text[]).
  static std::string null_paths(std::string_view table, std::size_t paths) {
    std::string value = "data";
    for (std::size_t i = 0; i < paths; ++i)
      value = "jsonb_set(" + value + ", $" + std::to_string(i + 2) + "::text[], 'null', false)";
    return "UPDATE " + quote_name(table) + " SET data = " + value +
           ", _version = _version + 1 WHERE _id = $1";
  }

  // walk_refs already writes sqler's spelling.
  static std::string member_path(std::string_view path) { return std::string(path); }

  // A member path (friends[1], labels."x y", labels."say \"hi\"") as the text[] value
  // jsonb_set takes, bound: {"friends","1"}, {"labels","x y"}, {"labels","say \"hi\""}.
  static std::string json_path(std::string_view p) {
    std::string out = "{";
    auto element = [&](std::string_view key) {
      if (out.size() > 1) out += ',';
      out += '"';
      for (char c : key) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
    };
    for (std::size_t i = 0; i < p.size();) {
      if (p[i] == '.') {
        ++i;
      } else if (p[i] == '[') {
        const std::size_t end = std::min(p.find(']', i), p.size());
        element(p.substr(i + 1, end - i - 1));
        i = end + 1;
      } else if (p[i] == '"') {
        std::string key;
        for (++i; i < p.size() && p[i] != '"'; ++i) {
          if (p[i] == '\\' && i + 1 < p.size()) ++i;
          key += p[i];
        }
        element(key);
        ++i;  // the closing quote
      } else {
        const std::size_t end = std::min(p.find_first_of(".[", i), p.size());
        element(p.substr(i, end - i));
        i = end;
      }
    }
    return out + "}";
  }

  template <class E>
  static bool is_missing_table(const E& e) {
    return e.sqlstate() == "42P01";
  }

  // ================================================================ migrations (migrate.hpp)

  // A dotted member path as the text[] value jsonb functions take: {"address","zip"}.
  static std::string member_json_path(std::string_view dotted) {
    std::string sq = "$";
    std::size_t start = 0;
    while (true) {
      const std::size_t dot = dotted.find('.', start);
      sq += ".\"" + std::string(dotted.substr(start, dot - start)) + "\"";
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    const std::string arr = text_array_of(sq);
    return arr.substr(1, arr.size() - 2);
  }

  static std::string rename_member(std::string_view table) {
    return "UPDATE " + quote_name(table) +
           " SET data = jsonb_set(data #- $1::text[], $2::text[], data #> $1::text[], true), "
           "_version = _version + 1 WHERE data #> $1::text[] IS NOT NULL";
  }
  static std::string set_default(std::string_view table) {
    return "UPDATE " + quote_name(table) +
           " SET data = jsonb_set(data, $1::text[], $2::jsonb, true), _version = _version + 1 "
           "WHERE data #> $1::text[] IS NULL";
  }
  static std::string remove_member(std::string_view table) {
    return "UPDATE " + quote_name(table) +
           " SET data = data #- $1::text[], _version = _version + 1 WHERE data #> $1::text[] IS "
           "NOT NULL";
  }

  // ================================================================ transactions, sessions

  static constexpr std::string_view begin_write = "BEGIN";
  // A page and its total must agree: one snapshot for both, and nothing written in it.
  static constexpr std::string_view begin_read = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
  // database::query(): its statement runs where it cannot write.
  static constexpr std::string_view begin_read_only = "BEGIN READ ONLY";
  static constexpr std::string_view read_only_savepoint = "SET LOCAL transaction_read_only = on";
  static constexpr std::string_view commit = "COMMIT";
  static constexpr std::string_view rollback = "ROLLBACK";
  static constexpr std::string_view read_only_session = "SET default_transaction_read_only = on";
  // Command tags of the commands whose row count is changes(): "INSERT 0 5", "UPDATE 5", ...
  static constexpr std::string_view row_changing_tags[] = {"INSERT ", "UPDATE ", "DELETE ",
                                                           "MERGE "};
  // Savepoint names are sqler's own (sqler_sp<depth>, sqler_prepare): never user text.
  static std::string savepoint(std::string_view name) { return "SAVEPOINT " + std::string(name); }
  static std::string release(std::string_view name) {
    return "RELEASE SAVEPOINT " + std::string(name);
  }
  // PostgreSQL keeps a savepoint after ROLLBACK TO; releasing it too leaves the stack as it was.
  static std::string rollback_to(std::string_view name) {
    const std::string n(name);
    return "ROLLBACK TO SAVEPOINT " + n + "; RELEASE SAVEPOINT " + n;
  }

  // The functions sqler's statements call, created once per schema (under an advisory lock,
  // so two processes connecting at once do not collide): the guards patches use, the merge
  // that keeps members a struct does not declare, and the identity bump of explicit ids.
  static constexpr std::string_view functions_present =
      "SELECT count(*) FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = p.pronamespace WHERE "
      "n.nspname = current_schema() AND p.proname IN ('sqler_merge', 'sqler_int', 'sqler_real', "
      "'sqler_claim_id', 'sqler_jsonpath', 'sqler_functions_v2')";
  static constexpr std::string_view install_functions = R"sql(
SELECT pg_advisory_xact_lock(7302841962);
CREATE OR REPLACE FUNCTION sqler_functions_v2() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 1';
CREATE OR REPLACE FUNCTION sqler_merge(old jsonb, fresh jsonb, schema jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $sqler$
DECLARE
  result jsonb := fresh;
  k text;
  v jsonb;
BEGIN
  IF old IS NULL OR jsonb_typeof(old) <> 'object' OR jsonb_typeof(fresh) <> 'object' THEN
    RETURN fresh;
  END IF;
  FOR k, v IN SELECT * FROM jsonb_each(old) LOOP
    IF NOT schema ? k THEN
      result := result || jsonb_build_object(k, v);
    ELSIF jsonb_typeof(schema -> k) = 'object' AND jsonb_typeof(v) = 'object'
          AND jsonb_typeof(fresh -> k) = 'object' THEN
      result := result || jsonb_build_object(k, sqler_merge(v, fresh -> k, schema -> k));
    END IF;
  END LOOP;
  RETURN result;
END
$sqler$;
CREATE OR REPLACE FUNCTION sqler_int(x numeric, lo numeric, hi numeric, path text)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $sqler$
BEGIN
  IF x IS NULL OR x <> trunc(x) OR (lo IS NOT NULL AND x < lo) OR (hi IS NOT NULL AND x > hi)
     OR x < -9223372036854775808 OR x > 9223372036854775807 THEN
    RAISE EXCEPTION 'sqler: out of range: member ''%'' would become %, outside [%, %] of its type',
      substr(path, 3), coalesce(x::text, 'null'), coalesce(lo::text, 'NULL'),
      coalesce(hi::text, 'NULL') USING ERRCODE = '22003';
  END IF;
  RETURN to_jsonb(x);
END
$sqler$;
CREATE OR REPLACE FUNCTION sqler_real(x float8, is_float boolean, path text)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $sqler$
BEGIN
  IF x IS NULL OR x = 'Infinity'::float8 OR x = '-Infinity'::float8 OR x = 'NaN'::float8
     OR (is_float AND abs(x) > 3.4028234663852886e38) THEN
    RAISE EXCEPTION 'sqler: out of range: member ''%'' would become %, which its type cannot hold',
      substr(path, 3), coalesce(x::text, 'null') USING ERRCODE = '22003';
  END IF;
  IF is_float THEN
    RETURN to_jsonb(x::float4::text::numeric);
  END IF;
  RETURN to_jsonb(x::text::numeric);
END
$sqler$;
CREATE OR REPLACE FUNCTION sqler_jsonpath(p text) RETURNS jsonpath
LANGUAGE plpgsql IMMUTABLE STRICT AS $sqler$
DECLARE
  out text := '';
  i int := 1;
  quoted boolean := false;
  n text;
BEGIN
  -- sqler's [#-N] (N-th from the end) is SQL/JSON's [last-(N-1)]; keys are quoted and hold no
  -- '"' (sqler refuses those), so a '"' always opens or closes one.
  WHILE i <= length(p) LOOP
    IF substr(p, i, 1) = '"' THEN
      quoted := NOT quoted;
    ELSIF NOT quoted AND substr(p, i, 3) = '[#-' THEN
      n := substring(p from i + 3 for strpos(substr(p, i + 3), ']') - 1);
      out := out || '[last-' || (n::bigint - 1) || ']';
      i := i + 4 + length(n);
      CONTINUE;
    END IF;
    out := out || substr(p, i, 1);
    i := i + 1;
  END LOOP;
  RETURN out::jsonpath;
END
$sqler$;
CREATE OR REPLACE FUNCTION sqler_claim_id(tbl text, id bigint) RETURNS bigint
LANGUAGE plpgsql AS $sqler$
DECLARE
  seq text := pg_get_serial_sequence(tbl, '_id');
  last bigint;
BEGIN
  EXECUTE 'SELECT last_value FROM ' || seq INTO last;
  IF id > last THEN
    PERFORM setval(seq, id);
  END IF;
  RETURN id;
END
$sqler$;
)sql";

  // ================================================================ connections
  static constexpr std::string_view probe_read = "SELECT 1";

  // ---- run-time paths

  // (data->'a'->'b') for a path known only at run time (a multikey index's array).
  static std::string path_expression(std::string_view path) {
    std::string out(write_steps(path, false, nullptr), '\0');
    write_steps(path, false, out.data());
    return "data" + out;
  }
  static std::string path_text_steps(std::string_view path) {
    std::string out(write_steps(path, true, nullptr), '\0');
    write_steps(path, true, out.data());
    return out;
  }

  // The schema sqler_merge reads, as jsonb text: {"member": true, "nested": {...}}.
  static void write_merge_schema(std::string& out, const merge_schema& s) {
    out += '{';
    bool first = true;
    for (const auto& m : s.members) {
      if (!first) out += ',';
      first = false;
      write_escaped(out, m.key);
      out += ':';
      if (m.nested != nullptr)
        write_merge_schema(out, *m.nested);
      else
        out += "true";
    }
    out += '}';
  }
};

}  // namespace sqler::detail
