// sqler/detail/sql/sqlite.hpp - every SQL text sqler runs on SQLite, in one place.
// The DSL, collections, integrity, migrations and the connection layer ask this dialect for
// their text; compile-time pieces are fixed_strings, run-time ones (table names known only when
// a statement is built) std::strings. SQLite 3.38+ with JSON1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "sqler/detail/fixed_string.hpp"
#include "sqler/detail/promoted.hpp"
#include "sqler/detail/reflect.hpp"
#include "sqler/detail/sql/standard.hpp"
#include "sqler/detail/text.hpp"
#include "sqler/detail/type_traits.hpp"

namespace sqler::detail {

struct sqlite_dialect : standard_sql<sqlite_dialect> {
  // ================================================================ expressions (the DSL)
  // Paths render through json_extract (not ->>): SQLite matches an expression index only when
  // the query spells the expression byte for byte as the index does, and it uses an index on
  // json_extract(data,'$.a') for ranges and ORDER BY, but not one on data->>'a'.

  template <auto Name>
  static consteval auto quote_identifier() {
    return concat(fixed_string{"\""}, Name, fixed_string{"\""});
  }

  template <class T>
  static consteval auto table() {
    return quote_identifier<to_fixed<table_name_holder<T>>()>();
  }

  // The JSON document a path is taken from: the row's column at depth 0, the current
  // json_each element at depth d inside an any().
  template <std::size_t Depth>
  static consteval auto source() {
    if constexpr (Depth == 0)
      return fixed_string{"data"};
    else
      return concat(fixed_string{"je"}, to_fixed_number<Depth>(), fixed_string{".value"});
  }

  // A JSON path as an SQL string literal: '$.a.b', with a ' doubled ($.attrs."o''clock").
  template <auto Path>
  static consteval auto path_literal() {
    constexpr std::size_t quotes = [] {
      std::size_t n = 0;
      for (std::size_t i = 0; i != Path.size; ++i) n += Path.data[i] == '\'' ? 1 : 0;
      return n;
    }();
    fixed_string<Path.size + quotes + 2> out;
    std::size_t j = 0;
    out.data[j++] = '\'';
    for (std::size_t i = 0; i != Path.size; ++i) {
      if (Path.data[i] == '\'') out.data[j++] = '\'';
      out.data[j++] = Path.data[i];
    }
    out.data[j] = '\'';
    return out;
  }

  template <std::size_t Depth, auto Path>
  static consteval auto extract() {
    return concat(fixed_string{"json_extract("}, source<Depth>(), fixed_string{","},
                  path_literal<Path>(), fixed_string{")"});
  }

  // A path known only at run time (a run-time map key or index), bound as ?N. SQLite matches
  // an expression index on a literal path only, so this one is never served by an index.
  template <std::size_t Depth, std::size_t N>
  static consteval auto extract_bound() {
    return concat(fixed_string{"json_extract("}, source<Depth>(), fixed_string{","},
                  placeholder<N>(), fixed_string{")"});
  }

  template <std::size_t Depth, auto Path>
  static consteval auto array_length() {
    return concat(fixed_string{"json_array_length("}, source<Depth>(), fixed_string{","},
                  path_literal<Path>(), fixed_string{")"});
  }

  template <std::size_t N>
  static consteval auto placeholder() {
    return concat(fixed_string{"?"}, to_fixed_number<N>());
  }

  // ---- literals in place of placeholders (literals.hpp), for a partial index's predicate:
  // SQLite matches a query's ?N against the index's literal by the value bound to it.
  static constexpr char parameter_mark = '?';
  static std::string null_literal() { return "NULL"; }
  static std::string number_literal(std::string text) { return text; }
  static std::string string_literal(std::string_view v) { return quoted_literal(v); }

  // A bound value of C++ type P compared with document content: SQLite compares json_extract's
  // SQL value with the parameter directly (numbers as INTEGER/REAL, bools as 0/1).
  template <class P, std::size_t N>
  static consteval auto value() {
    return placeholder<N>();
  }

  // The elements of the array at Path, one row each, named `je<Alias>` with column `value`.
  template <std::size_t Depth, auto Path, std::size_t Alias>
  static consteval auto each() {
    return concat(fixed_string{"json_each("}, source<Depth>(), fixed_string{","},
                  path_literal<Path>(), fixed_string{") AS je"}, to_fixed_number<Alias>());
  }

  template <std::size_t Alias>
  static consteval auto element() {
    return concat(fixed_string{"je"}, to_fixed_number<Alias>(), fixed_string{".value"});
  }

  // The elements of a bound JSON array parameter: lists keep one SQL shape whatever their size.
  template <std::size_t N>
  static consteval auto param_elements() {
    return concat(fixed_string{"SELECT value FROM json_each("}, placeholder<N>(),
                  fixed_string{")"});
  }

  template <std::size_t N, std::size_t Alias>
  static consteval auto each_param() {
    return concat(fixed_string{"json_each("}, placeholder<N>(), fixed_string{") AS jv"},
                  to_fixed_number<Alias>());
  }

  template <std::size_t Alias>
  static consteval auto param_element() {
    return concat(fixed_string{"jv"}, to_fixed_number<Alias>(), fixed_string{".value"});
  }

  template <class F, std::size_t Depth, std::size_t P0>
  static consteval auto ends_with() {
    constexpr auto f = F::template render<sqlite_dialect, Depth, P0>();
    constexpr auto p = placeholder<P0>();
    return concat(fixed_string{"substr("}, f, fixed_string{", length("}, f,
                  fixed_string{") - length("}, p, fixed_string{") + 1) = "}, p);
  }

  // ASCII case folding (SQLite's NOCASE).
  template <class F, std::size_t Depth, std::size_t P0>
  static consteval auto equals_ignoring_case() {
    return concat(F::template render<sqlite_dialect, Depth, P0>(), fixed_string{" = "},
                  placeholder<P0>(), fixed_string{" COLLATE NOCASE"});
  }

  // A whole-valued double is stored as a JSON integer (5.0 as 5), which SQLite would divide or
  // sum as an integer: floating-point arithmetic starts from REAL.
  template <auto E>
  static consteval auto as_real() {
    return concat(fixed_string{"CAST("}, E, fixed_string{" AS REAL)"});
  }

  // _id IN (the rows of T's full-text index matching ?P0).
  template <class T, std::size_t P0>
  static consteval auto fts_match() {
    return concat(fixed_string{"_id IN (SELECT rowid FROM "}, fts_table<T>(),
                  fixed_string{" WHERE "}, fts_table<T>(), fixed_string{" MATCH "},
                  placeholder<P0>(), fixed_string{")"});
  }

  // `<ref id> IN (SELECT +_id FROM "X" WHERE ...)`. `+_id`, not `_id`: the INTEGER affinity of
  // the bare column would make the IN compare with numeric affinity, which SQLite 3.40 will not
  // serve from an expression index (no affinity) on the ref's _id.
  template <class X, auto Where>
  static consteval auto ids_of() {
    return concat(fixed_string{" IN (SELECT +_id FROM "}, table<X>(), Where, fixed_string{")"});
  }

  // ================================================================ multikey indexes
  // One side table per declared array path: (value, _id), one row per element, its primary key
  // the covering index a contains() searches; triggers on the document table keep it exact
  // whatever writes the documents (raw SQL included).

  template <class T, auto ArrayPath, auto MemberPath>
  static consteval auto multikey_table_name() {
    if constexpr (MemberPath.size == 0)
      return concat(to_fixed<table_name_holder<T>>(), fixed_string{"__mk__"},
                    path_tail<ArrayPath>());
    else
      return concat(to_fixed<table_name_holder<T>>(), fixed_string{"__mk__"},
                    path_tail<ArrayPath>(), fixed_string{"."}, path_tail<MemberPath>());
  }

  template <class T, auto ArrayPath, auto MemberPath, element_test Test, class P, std::size_t P0>
  static consteval auto multikey_any() {
    constexpr auto side = quote_identifier<multikey_table_name<T, ArrayPath, MemberPath>()>();
    if constexpr (Test == element_test::equals)
      return concat(fixed_string{"_id IN (SELECT _id FROM "}, side, fixed_string{" WHERE value = "},
                    placeholder<P0>(), fixed_string{")"});
    else
      return concat(fixed_string{"_id IN (SELECT _id FROM "}, side,
                    fixed_string{" WHERE value IN ("}, param_elements<P0>(), fixed_string{"))"});
  }

  // Reads join instead (query_text.hpp, multikey_join.hpp): `_id IN (SELECT ...)` has SQLite
  // copy the matching ids into an ephemeral index before looking the documents up; the join
  // looks each one up as the side table yields it (7-8% faster for 200 of 10k documents, the
  // speed of a hand-written join table). Inner JOIN, not CROSS JOIN: the planner still drives
  // from a more selective index on another conjunct, as it could with the IN form.
  static constexpr bool multikey_joins = true;

  // The side table's ids, under a name no document column can have (a promoted column is a
  // C++ member name, of this type or of another sharing the table), so that `_id`, `data` and
  // every other column the query names still resolve to the document table alone.
  static consteval auto multikey_join_id() { return fixed_string{"\"sqler:mk\""}; }

  // `(SELECT _id AS "sqler:mk" FROM "<side>" WHERE value = ?P0) JOIN "T" ON "T"._id =
  // "sqler:mk"`: one row per matching document, as the side table holds (value, _id) once
  // (its primary key; the triggers insert with OR IGNORE, so [2, 2] is one row). SQLite
  // flattens the subquery into a join: SEARCH "<side>" USING PRIMARY KEY (value=?), then
  // SEARCH T USING INTEGER PRIMARY KEY (rowid=?). The subquery has no alias, so a plan never
  // shows it as a table scanned in full (scanned_table() below).
  template <class T, auto ArrayPath, auto MemberPath, class P, std::size_t P0>
  static consteval auto multikey_join() {
    constexpr auto side = quote_identifier<multikey_table_name<T, ArrayPath, MemberPath>()>();
    return concat(fixed_string{"(SELECT _id AS "}, multikey_join_id(), fixed_string{" FROM "},
                  side, fixed_string{" WHERE value = "}, placeholder<P0>(),
                  fixed_string{") JOIN "}, table<T>(), fixed_string{" ON "}, table<T>(),
                  fixed_string{"._id = "}, multikey_join_id());
  }

  // Every listed value occurs: the documents with as many distinct matching elements as the
  // list has distinct values (an empty list holds for every document).
  template <class T, auto ArrayPath, std::size_t P0>
  static consteval auto multikey_all() {
    constexpr auto side = quote_identifier<multikey_table_name<T, ArrayPath, fixed_string{""}>()>();
    constexpr auto p = placeholder<P0>();
    return concat(fixed_string{"(NOT EXISTS (SELECT 1 FROM json_each("}, p,
                  fixed_string{")) OR _id IN (SELECT _id FROM "}, side,
                  fixed_string{" WHERE value IN (SELECT value FROM json_each("}, p,
                  fixed_string{")) GROUP BY _id HAVING COUNT(DISTINCT value) = (SELECT "
                               "COUNT(DISTINCT value) FROM json_each("},
                  p, fixed_string{"))))"});
  }

  struct multikey_statements {
    std::string create_table, create_id_index, fill, drop_table;
    std::string triggers[3];  // after insert, update of data, delete
    std::string drop_triggers[3];
  };

  // `array_path` "$.tags"; `member_path` "$.sku" for a member of object elements, else "".
  static multikey_statements multikey(std::string_view table, std::string_view side_name,
                                      std::string_view array_path, std::string_view member_path) {
    const std::string side = quote_name(side_name), t = quote_name(table);
    const std::string ap(array_path), mp(member_path);
    // The element values of one document's array (src: its data), skipping objects, arrays
    // and nulls, which contains() never matches.
    // `from` lists what comes before json_each in the FROM clause (the table, for a refill).
    auto values = [&](const std::string& src, const std::string& id, const std::string& from) {
      // Scalars only. `atom IS NOT NULL` rather than `type NOT IN (three)`: SQLite builds a
      // temporary index for a three-value list, inside the trigger on every write.
      if (mp.empty())
        return str_cat({"SELECT value, ", id, " FROM ", from, "json_each(", src, ", '", ap,
                        "') WHERE atom IS NOT NULL"});
      return str_cat({"SELECT json_extract(value, '", mp, "'), ", id, " FROM ", from,
                      "json_each(", src, ", '", ap, "') WHERE json_type(value, '", mp,
                      "') NOT IN ('object', 'array') AND json_extract(value, '", mp,
                      "') IS NOT NULL"});
    };
    const std::string insert_new = str_cat(
        {"INSERT OR IGNORE INTO ", side, " (value, _id) ", values("new.data", "new._id", ""), "; "});
    const std::string delete_old = str_cat({"DELETE FROM ", side, " WHERE _id = old._id; "});
    multikey_statements s;
    s.create_table = str_cat({"CREATE TABLE ", side,
                              " (value NOT NULL, _id INTEGER NOT NULL, PRIMARY KEY (value, _id)) "
                              "WITHOUT ROWID"});
    s.create_id_index = str_cat({"CREATE INDEX ", quote_name(str_cat({side_name, "__id"})), " ON ",
                                 side, " (_id)"});
    s.fill = str_cat({"INSERT OR IGNORE INTO ", side, " (value, _id) ",
                      values("d.data", "d._id", str_cat({t, " AS d, "}))});
    s.drop_table = str_cat({"DROP TABLE IF EXISTS ", side});
    const char* suffixes[3] = {"_ai", "_au", "_ad"};
    const std::string bodies[3] = {
        str_cat({" AFTER INSERT ON ", t, " BEGIN ", insert_new, "END"}),
        str_cat({" AFTER UPDATE OF data ON ", t, " WHEN json_extract(old.data, '", ap,
                 "') IS NOT json_extract(new.data, '", ap, "') BEGIN ", delete_old, insert_new,
                 "END"}),
        str_cat({" AFTER DELETE ON ", t, " BEGIN ", delete_old, "END"})};
    for (int i = 0; i < 3; ++i) {
      const std::string name = quote_name(str_cat({side_name, suffixes[i]}));
      s.triggers[i] = str_cat({"CREATE TRIGGER ", name, bodies[i]});
      s.drop_triggers[i] = str_cat({"DROP TRIGGER IF EXISTS ", name});
    }
    return s;
  }

  // ================================================================ patches
  // One UPDATE: data = json_set(data, path1, value1, path2, value2, ...). Values computed in
  // SQL go through the guards sqler registers (sqlite_functions.hpp).

  // A value computed in SQL about to be stored in a member of type M: sqler_int / sqler_real
  // fail the statement when M cannot hold it, and write doubles in their shortest exact form.
  template <class M, auto Path, auto Expr>
  static consteval auto checked_value() {
    if constexpr (std::is_floating_point_v<M>) {
      constexpr auto is_float = [] {
        if constexpr (std::is_same_v<M, float>)
          return fixed_string{"1"};
        else
          return fixed_string{"0"};
      }();
      return concat(fixed_string{"json(sqler_real("}, Expr, fixed_string{", "}, is_float,
                    fixed_string{", "}, path_literal<Path>(), fixed_string{"))"});
    } else if constexpr (std::is_integral_v<M> || std::is_enum_v<M>) {
      return concat(fixed_string{"sqler_int("}, Expr, fixed_string{", "}, integer_bounds<M>(),
                    fixed_string{", "}, path_literal<Path>(), fixed_string{")"});
    } else {
      return Expr;
    }
  }

  // set: path, json(?N); push: path[#], json(?N) (appends).
  template <auto Path, bool Append, std::size_t P0>
  static consteval auto patch_set_json() {
    constexpr auto path = [] {
      if constexpr (Append)
        return concat(Path, fixed_string{"[#]"});
      else
        return Path;
    }();
    return concat(path_literal<path>(), fixed_string{", json("}, placeholder<P0>(),
                  fixed_string{")"});
  }

  // inc: path, IFNULL(json_extract(data, path), 0) + ?N - a missing member counts as 0.
  template <class M, auto Path, std::size_t P0>
  static consteval auto patch_inc() {
    constexpr auto sum = concat(fixed_string{"IFNULL("}, extract<0, Path>(),
                                fixed_string{", 0) + "}, placeholder<P0>());
    return concat(path_literal<Path>(), fixed_string{", "}, checked_value<M, Path, sum>());
  }

  template <class M, auto Path, auto Expr>
  static consteval auto patch_set_expression() {
    return concat(path_literal<Path>(), fixed_string{", "}, checked_value<M, Path, Expr>());
  }

  template <std::size_t P0, class First, class... Rest>
  static consteval auto patch_list() {
    if constexpr (sizeof...(Rest) == 0)
      return First::template render<sqlite_dialect, P0>();
    else
      return concat(First::template render<sqlite_dialect, P0>(), fixed_string{", "},
                    patch_list<P0 + First::params, Rest...>());
  }

  // "data = json_set(data, <op1>, <op2>, ...), _version = _version + 1", parameters from P0.
  template <std::size_t P0, class... Ops>
  static consteval auto patch_assignments() {
    return concat(fixed_string{"data = json_set(data, "}, patch_list<P0, Ops...>(),
                  fixed_string{"), _version = _version + 1"});
  }

  // ================================================================ queries (query_text.hpp)

  // LIMIT to write when only an OFFSET is wanted.
  static consteval auto no_limit() { return fixed_string{" LIMIT -1"}; }
  static consteval auto explain() { return fixed_string{"EXPLAIN QUERY PLAN "}; }
  static constexpr int explain_column = 3;  // EXPLAIN QUERY PLAN: id, parent, notused, detail
  // What update_one()'s sub-select adds to claim its row: nothing, SQLite locks the database.
  static consteval auto claim_lock() { return fixed_string{""}; }

  // ================================================================ a collection's statements

  // The generated column of a promoted member: a typed VIRTUAL column over the document.
  template <class M>
  static consteval auto column_type() {
    using U = unwrap_optional_t<M>;
    if constexpr (std::is_same_v<U, bool> || std::is_integral_v<U> || std::is_enum_v<U>)
      return fixed_string{"INTEGER"};
    else if constexpr (std::is_floating_point_v<U>)
      return fixed_string{"REAL"};
    else
      return fixed_string{"TEXT"};
  }

  // "\"email\" TEXT GENERATED ALWAYS AS (json_extract(data,'$.email')) VIRTUAL", or STORED
  // for a member of sqler::stored<...>. promoted_column_as spells either kind (a table upgrade
  // looks for the other one in an existing table's text).
  template <class T, auto M, bool Stored>
  static consteval auto promoted_column_as() {
    static_assert(check_promoted<T, M>());
    using C = std::remove_cvref_t<decltype(std::declval<T&>().*M)>;
    constexpr auto kind = [] {
      if constexpr (Stored)
        return fixed_string{"')) STORED"};
      else
        return fixed_string{"')) VIRTUAL"};
    }();
    return concat(fixed_string{"\""}, promoted_column_name<T, M>(), fixed_string{"\" "},
                  column_type<C>(), fixed_string{" GENERATED ALWAYS AS (json_extract(data,'$."},
                  promoted_column_name<T, M>(), kind);
  }

  template <class T, auto M>
  static consteval auto promoted_column() {
    return promoted_column_as<T, M, is_stored<T, M>>();
  }

  template <class T, auto... Ms>
  static consteval auto promoted_columns(const columns<Ms...>*) {
    return concat(fixed_string{""}, concat(fixed_string{", "}, promoted_column<T, Ms>())...);
  }
  template <class T, auto... Ms>
  static consteval auto promoted_columns(const stored<Ms...>*) {
    return concat(fixed_string{""}, concat(fixed_string{", "}, promoted_column<T, Ms>())...);
  }

  template <class T>
  static consteval auto create_table() {
    return concat(fixed_string{"CREATE TABLE IF NOT EXISTS "}, table<T>(),
                  fixed_string{" (_id INTEGER PRIMARY KEY AUTOINCREMENT, _version INTEGER NOT "
                               "NULL DEFAULT 1, data TEXT NOT NULL CHECK (json_valid(data))"},
                  promoted_columns<T>(static_cast<const virtual_list<T>*>(nullptr)),
                  promoted_columns<T>(static_cast<const stored_list<T>*>(nullptr)),
                  fixed_string{")"});
  }

  template <class T>
  static consteval auto insert() {
    return concat(fixed_string{"INSERT INTO "}, table<T>(), fixed_string{" (data) VALUES (?1)"});
  }

  template <class T>
  static consteval auto get() {
    return concat(fixed_string{"SELECT _id, _version, data FROM "}, table<T>(),
                  fixed_string{" WHERE _id = ?1"});
  }

  // Saves keep the members the struct does not declare: sqler_merge(stored, new, ?schema).
  template <class T>
  static consteval auto replace() {
    return concat(fixed_string{"UPDATE "}, table<T>(),
                  fixed_string{" SET data = sqler_merge(data, ?1, ?3), _version = _version + 1 "
                               "WHERE _id = ?2"});
  }

  template <class T>
  static consteval auto replace_versioned() {
    return concat(fixed_string{"UPDATE "}, table<T>(),
                  fixed_string{" SET data = sqler_merge(data, ?1, ?4), _version = _version + 1 "
                               "WHERE _id = ?2 AND _version = ?3"});
  }

  template <class T>
  static consteval auto upsert() {
    return concat(fixed_string{"INSERT INTO "}, table<T>(),
                  fixed_string{" (_id, data) VALUES (?1, ?2) ON CONFLICT (_id) DO UPDATE SET "
                               "data = sqler_merge(data, excluded.data, ?3), _version = "
                               "_version + 1"});
  }

  // Rows rows of Cols parameters numbered in order, "(?1, ?2), (?3, ?4), ..." for Cols = 2,
  // as one text built by a loop (not a fold: 256 rows would be 256 nested concats).
  template <std::size_t Rows, std::size_t Cols>
  static consteval std::size_t value_rows_size() {
    std::size_t n = 0;
    for (std::size_t r = 0; r < Rows; ++r) {  // "(" ... ")" plus ", " between rows
      n += (r == 0 ? 0 : 2) + 2;
      for (std::size_t k = 0; k < Cols; ++k)
        n += (k == 0 ? 0 : 2) + 1 + decimal_digits(r * Cols + k + 1);
    }
    return n;
  }

  template <std::size_t Rows, std::size_t Cols>
  static consteval auto value_rows() {
    fixed_string<value_rows_size<Rows, Cols>()> out;
    std::size_t pos = 0;
    auto put = [&](const char* text) {
      while (*text != '\0') out.data[pos++] = *text++;
    };
    auto number = [&](std::size_t v) {
      std::size_t digits = 1;
      for (std::size_t rest = v; rest >= 10; rest /= 10) ++digits;
      for (std::size_t i = digits; i-- > 0; v /= 10)
        out.data[pos + i] = static_cast<char>('0' + v % 10);
      pos += digits;
    };
    for (std::size_t r = 0; r < Rows; ++r) {
      put(r == 0 ? "(" : ", (");
      for (std::size_t k = 0; k < Cols; ++k) {
        put(k == 0 ? "?" : ", ?");
        number(r * Cols + k + 1);
      }
      put(")");
    }
    return out;
  }

  // insert_many: Rows documents (?1 ... ?Rows) in one statement; the new ids come back as rows,
  // in no promised order.
  template <class T, std::size_t Rows>
  static consteval auto insert_many() {
    return concat(fixed_string{"INSERT INTO "}, table<T>(), fixed_string{" (data) VALUES "},
                  value_rows<Rows, 1>(), fixed_string{" RETURNING _id"});
  }

  // Inserts each (_id ?2k+1, data ?2k+2) or replaces the document with that _id (undeclared
  // members kept, as upsert()); every row comes back with its new _version, 1 for an insert.
  template <class T, std::size_t Rows>
  static consteval auto upsert_many() {
    return concat(fixed_string{"INSERT INTO "}, table<T>(), fixed_string{" (_id, data) VALUES "},
                  value_rows<Rows, 2>(),
                  fixed_string{" ON CONFLICT (_id) DO UPDATE SET data = sqler_merge(data, "
                               "excluded.data, "},
                  placeholder<2 * Rows + 1>(),
                  fixed_string{"), _version = _version + 1 RETURNING _id, _version"});
  }

  // The documents of X with the ids in the JSON array ?1 (hydration).
  template <class X>
  static consteval auto get_many() {
    return concat(fixed_string{"SELECT _id, _version, data FROM "}, table<X>(),
                  fixed_string{" WHERE _id IN (SELECT value FROM json_each(?1))"});
  }

  // Index DDL: the indexed expressions are rendered by the same code as query predicates, so
  // they are byte-identical and SQLite's planner matches them.
  template <class First, class... Rest>
  static consteval auto index_columns() {
    return concat(First::template render<sqlite_dialect, 0, 1>(),
                  concat(fixed_string{", "}, Rest::template render<sqlite_dialect, 0, 1>())...);
  }

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

  // The FTS5 table's name, "<table>__fts": ensure_fts() creates it, match() reads it.
  template <class T>
  static consteval auto fts_table_name() {
    return concat(to_fixed<table_name_holder<T>>(), fixed_string{"__fts"});
  }

  template <class T>
  static consteval auto fts_table() {
    return quote_identifier<fts_table_name<T>()>();
  }

  // ---- run time: a promoted member added to a table that predates its promotion

  static std::string add_column(std::string_view table, std::string_view column_ddl) {
    return str_cat({"ALTER TABLE ", quote_name(table), " ADD COLUMN ", column_ddl});
  }

  // ---- run time: a promoted column whose kind changed, or a STORED one a table lacks
  // (backend/sqlite/schema.hpp rebuilds the table from its own CREATE TABLE text, edited)

  // pragma_table_xinfo's `hidden`: 0 an ordinary column, 2 VIRTUAL generated, 3 STORED.
  static constexpr std::string_view column_kind =
      "SELECT hidden FROM pragma_table_xinfo(?1) WHERE name = ?2";
  static constexpr int virtual_generated = 2;
  static constexpr int stored_generated = 3;

  // `create_sql` (a table's CREATE TABLE text) with one more column at the end of its list.
  static std::string with_column(std::string_view create_sql, std::string_view column_ddl) {
    const std::size_t close = create_sql.rfind(')');
    return str_cat({create_sql.substr(0, close), ", ", column_ddl, create_sql.substr(close)});
  }

  // A rebuilt AUTOINCREMENT table keeps its high-water mark (?1 the table, ?2 the mark): the
  // DROP of the old table dropped its row in sqlite_sequence.
  static constexpr std::string_view sequence_table = "sqlite_sequence";  // made with the first
  static constexpr std::string_view autoincrement_sequence =           // AUTOINCREMENT table
      "SELECT seq FROM sqlite_sequence WHERE name = ?1";
  static constexpr std::string_view raise_sequence =
      "UPDATE sqlite_sequence SET seq = MAX(seq, ?2) WHERE name = ?1";
  static constexpr std::string_view insert_sequence =
      "INSERT INTO sqlite_sequence (name, seq) SELECT ?1, ?2 WHERE NOT EXISTS (SELECT 1 FROM "
      "sqlite_sequence WHERE name = ?1)";

  // ---- run time: full-text search over string members (collection::ensure_fts)

  struct fts_statements {
    std::string create, fill, drop_table, existing = "SELECT sql FROM sqlite_master WHERE name = ?1";
    std::string triggers[3];       // after insert, delete, update
    std::string drop_triggers[3];
  };

  // `paths` are the members' JSON paths ("$.title").
  static fts_statements fts(std::string_view table, std::string_view fts_name,
                            const std::string_view* paths, std::size_t n) {
    std::string columns, values_new, values_data;
    for (std::size_t i = 0; i < n; ++i) {
      const char* sep = i == 0 ? "" : ", ";
      columns += sep;
      columns += quote_name(paths[i].substr(2));
      values_new += str_cat({sep, "json_extract(new.data,'", paths[i], "')"});
      values_data += str_cat({sep, "json_extract(data,'", paths[i], "')"});
    }
    const std::string fts = quote_name(fts_name), t = quote_name(table);
    const std::string insert_new = str_cat(
        {"INSERT INTO ", fts, " (rowid, ", columns, ") VALUES (new._id, ", values_new, "); "});
    const std::string delete_old = str_cat({"DELETE FROM ", fts, " WHERE rowid = old._id; "});
    fts_statements s;
    s.create = str_cat({"CREATE VIRTUAL TABLE ", fts, " USING fts5(", columns, ")"});
    s.fill = str_cat(
        {"INSERT INTO ", fts, " (rowid, ", columns, ") SELECT _id, ", values_data, " FROM ", t});
    s.drop_table = str_cat({"DROP TABLE IF EXISTS ", fts});
    const char* suffixes[3] = {"_ai", "_ad", "_au"};
    const std::string bodies[3] = {
        str_cat({" AFTER INSERT ON ", t, " BEGIN ", insert_new, "END"}),
        str_cat({" AFTER DELETE ON ", t, " BEGIN ", delete_old, "END"}),
        str_cat({" AFTER UPDATE ON ", t, " BEGIN ", delete_old, insert_new, "END"})};
    for (int i = 0; i < 3; ++i) {
      const std::string name = quote_name(str_cat({fts_name, suffixes[i]}));
      s.triggers[i] = str_cat({"CREATE TRIGGER ", name, bodies[i]});
      s.drop_triggers[i] = str_cat({"DROP TRIGGER IF EXISTS ", name});
    }
    return s;
  }

  // ================================================================ the profiler's full-scan check
  // (backend/sqlite/backend.hpp, scan_probe): which tables a statement reads in full, and the
  // expression index that would serve its filter.

  static std::string explain_plan(std::string_view sql) {
    return str_cat({explain().view(), sql});
  }
  static constexpr int plan_detail_column = 3;  // EXPLAIN QUERY PLAN: id, parent, notused, detail

  static std::string count_rows(std::string_view table) {
    return str_cat({"SELECT COUNT(*) FROM ", quote_name(table)});
  }

  // A statement that filters: a full scan of it is the table read to find a few rows (a
  // statement without WHERE reads every row by design).
  static bool filters(std::string_view sql) { return sql.find(" WHERE ") != std::string_view::npos; }

  // The table a plan step reads in full ("SCAN Order"), or "" for a step that does not: a
  // SEARCH, a scan of an index ("SCAN t USING COVERING INDEX ix"), of a virtual table
  // (json_each, FTS), of a subquery or a constant row.
  static std::string scanned_table(std::string_view detail) {
    for (std::string_view prefix : {"SCAN TABLE ", "SCAN "}) {  // before 3.36: "SCAN TABLE x"
      if (!detail.starts_with(prefix)) continue;
      const std::string_view rest = detail.substr(prefix.size());
      if (rest.find(" USING ") != std::string_view::npos ||
          rest.find(" VIRTUAL TABLE") != std::string_view::npos || rest.starts_with("(") ||
          rest == "CONSTANT ROW")
        return {};
      return std::string(rest);
    }
    return {};
  }

  // What the filter of `sql` compares, as index expressions in order of appearance: each
  // json_extract(data,'$.path') of the document, and each of `columns` (the table's generated,
  // i.e. promoted, columns) named in the WHERE clause. Paired with the member path
  // ("$.age") they stand for.
  struct filter_term {
    std::string path, expression;
  };
  static std::vector<filter_term> filter_terms(std::string_view sql,
                                               const std::vector<std::string>& columns) {
    std::vector<filter_term> out;
    std::size_t where = sql.find(" WHERE ");
    if (where == std::string_view::npos) return out;
    std::string_view clause = sql.substr(where + 7);
    for (std::string_view end : {" ORDER BY ", " GROUP BY ", " LIMIT ", " RETURNING "})
      clause = clause.substr(0, clause.find(end));
    auto add = [&](std::string path, std::string expression) {
      for (const auto& t : out)
        if (t.path == path) return;
      out.push_back({std::move(path), std::move(expression)});
    };
    constexpr std::string_view open = "json_extract(data,'";
    for (std::size_t i = 0; i < clause.size(); ++i) {
      if (clause.substr(i).starts_with(open)) {
        const std::size_t from = i + open.size(), to = clause.find("')", from);
        if (to == std::string_view::npos) break;
        const std::string path(clause.substr(from, to - from));
        add(path, str_cat({"json_extract(data,'", path, "')"}));
        i = to + 1;
      } else if (clause[i] == '"') {
        const std::size_t to = clause.find('"', i + 1);
        if (to == std::string_view::npos) break;
        const std::string_view name = clause.substr(i + 1, to - i - 1);
        for (const auto& col : columns)
          if (col == name) add(str_cat({"$.", col}), quote_name(col));
        i = to;
      }
    }
    return out;
  }

  // The index ensure_index(<the members at those paths>) creates, spelled as it spells it.
  static std::string suggested_index(std::string_view table, const std::vector<filter_term>& terms) {
    std::string name = str_cat({"sqler_ix_", table}), exprs;
    for (const auto& t : terms) {
      name += "__";
      name += std::string_view(t.path).substr(2);
      exprs += exprs.empty() ? "" : ", ";
      exprs += t.expression;
    }
    return str_cat({"CREATE INDEX IF NOT EXISTS ", quote_name(name), " ON ", quote_name(table),
                    " (", exprs, ")"});
  }

  // ================================================================ sqler's own tables

  static constexpr std::string_view create_refs_table =
      "CREATE TABLE IF NOT EXISTS sqler_refs (from_table TEXT NOT NULL, to_table TEXT NOT NULL, "
      "PRIMARY KEY (from_table, to_table)) WITHOUT ROWID";
  static constexpr std::string_view has_ref_registration =
      "SELECT 1 FROM sqler_refs WHERE from_table = ?1 AND to_table = ?2";
  static constexpr std::string_view register_ref =
      "INSERT OR IGNORE INTO sqler_refs (from_table, to_table) VALUES (?1, ?2)";
  static constexpr std::string_view refs_into =
      "SELECT from_table FROM sqler_refs WHERE to_table = ?1 ORDER BY from_table";

  static constexpr std::string_view create_tables_table =
      "CREATE TABLE IF NOT EXISTS sqler_tables (table_name TEXT PRIMARY KEY, cpp_type TEXT NOT "
      "NULL) WITHOUT ROWID";
  static constexpr std::string_view table_owner =
      "SELECT cpp_type FROM sqler_tables WHERE table_name = ?1";
  static constexpr std::string_view set_table_owner =
      "INSERT INTO sqler_tables (table_name, cpp_type) VALUES (?1, ?2) ON CONFLICT (table_name) "
      "DO UPDATE SET cpp_type = excluded.cpp_type";

  static constexpr std::string_view create_migrations_table =
      "CREATE TABLE IF NOT EXISTS sqler_migrations (version INTEGER PRIMARY KEY, name TEXT NOT "
      "NULL, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))";
  static constexpr std::string_view migration_name =
      "SELECT name FROM sqler_migrations WHERE version = ?1";
  static constexpr std::string_view record_migration =
      "INSERT INTO sqler_migrations (version, name) VALUES (?1, ?2)";
  static constexpr std::string_view schema_version =
      "SELECT IFNULL(MAX(version), 0) FROM sqler_migrations";

  // ================================================================ schema inspection

  static constexpr std::string_view table_exists =
      "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1";
  static constexpr std::string_view table_definition =
      "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1";
  static constexpr std::string_view table_columns =
      "SELECT name, hidden >= 2 FROM pragma_table_xinfo(?1) ORDER BY cid";  // name, generated
  static constexpr std::string_view table_dependents =
      "SELECT sql FROM sqlite_master WHERE tbl_name = ?1 AND type IN ('index', 'trigger') AND "
      "sql IS NOT NULL ORDER BY type, name";
  static constexpr std::string_view is_foreign_key_target =
      "SELECT 1 FROM sqlite_master AS m, pragma_foreign_key_list(m.name) AS f WHERE m.type = "
      "'table' AND f.\"table\" = ?1 COLLATE NOCASE LIMIT 1";
  // Every table with the shape of a sqler collection.
  static constexpr std::string_view document_tables =
      "SELECT m.name FROM sqlite_master AS m WHERE m.type = 'table' AND (SELECT COUNT(*) FROM "
      "pragma_table_info(m.name) AS p WHERE p.name IN ('_id', '_version', 'data')) = 3 "
      "ORDER BY m.name";

  // ---- table upgrades (backend/sqlite/schema.hpp)

  static constexpr std::string_view foreign_keys_state = "PRAGMA foreign_keys";
  static constexpr std::string_view foreign_keys_on = "PRAGMA foreign_keys = ON";
  static constexpr std::string_view foreign_keys_off = "PRAGMA foreign_keys = OFF";
  static constexpr std::string_view foreign_key_check = "PRAGMA foreign_key_check";
  // Renaming a rebuilt copy back must not rewrite the triggers that name the table.
  static constexpr std::string_view legacy_alter_on = "PRAGMA legacy_alter_table = ON";
  static constexpr std::string_view legacy_alter_off = "PRAGMA legacy_alter_table = OFF";

  static std::string add_version_column(std::string_view table) {
    return str_cat(
        {"ALTER TABLE ", quote_name(table), " ADD COLUMN _version INTEGER NOT NULL DEFAULT 1"});
  }
  // `definition` is the old CREATE TABLE text from its '(' on, with AUTOINCREMENT added.
  static std::string create_table_as(std::string_view table, std::string_view definition) {
    return str_cat({"CREATE TABLE ", quote_name(table), " ", definition});
  }
  static std::string copy_rows(std::string_view from, std::string_view to,
                               std::string_view columns) {
    return str_cat({"INSERT INTO ", quote_name(to), " (", columns, ") SELECT ", columns, " FROM ",
                    quote_name(from), " ORDER BY _id"});
  }
  static std::string drop_table(std::string_view table) {
    return str_cat({"DROP TABLE ", quote_name(table)});
  }
  static std::string rename_table(std::string_view from, std::string_view to) {
    return str_cat({"ALTER TABLE ", quote_name(from), " RENAME TO ", quote_name(to)});
  }

  // ================================================================ references (integrity.hpp)

  // Every ref into the ids in ?3 (a JSON array) of table ?2, held by documents of `table` whose
  // text contains ?1 (the text sqler writes for such a ref): (_id, path, target id).
  static std::string find_refs(std::string_view table) {
    return str_cat({"SELECT t._id, j.fullkey, json_extract(j.value, '$._id') FROM ",
                    quote_name(table),
                    " AS t, json_tree(t.data) AS j WHERE instr(t.data, ?1) > 0 AND j.type = "
                    "'object' AND json_extract(j.value, '$._table') = ?2 AND "
                    "json_extract(j.value, '$._id') IN (SELECT value FROM json_each(?3)) ORDER "
                    "BY t._id, j.id"});
  }

  // Every ref held by documents of `table`: (_id, path, target table, target id).
  static std::string all_refs(std::string_view table) {
    return str_cat({"SELECT t._id, j.fullkey, json_extract(j.value, '$._table'), "
                    "json_extract(j.value, '$._id') FROM ",
                    quote_name(table),
                    " AS t, json_tree(t.data) AS j WHERE instr(t.data, '\"_table\"') > 0 AND "
                    "j.type = 'object' AND json_type(j.value, '$._table') = 'text' AND "
                    "json_type(j.value, '$._id') = 'integer' ORDER BY t._id, j.id"});
  }

  // The ids, among those in the JSON array ?1, that exist in `table`.
  static std::string existing_ids(std::string_view table) {
    return str_cat(
        {"SELECT _id FROM ", quote_name(table), " WHERE _id IN (SELECT value FROM json_each(?1))"});
  }

  static std::string delete_ids(std::string_view table) {
    return str_cat(
        {"DELETE FROM ", quote_name(table), " WHERE _id IN (SELECT value FROM json_each(?1))"});
  }

  // Sets the refs at `paths` of document ?1 to null, bumping its _version once; the paths are
  // bound as ?2, ?3, ...
  static std::string null_paths(std::string_view table, std::size_t paths) {
    std::string sql = str_cat({"UPDATE ", quote_name(table), " SET data = json_set(data"});
    for (std::size_t i = 0; i < paths; ++i)
      sql += str_cat({", ?", std::to_string(i + 2), ", json('null')"});
    sql += "), _version = _version + 1 WHERE _id = ?1";
    return sql;
  }

  // json_tree's fullkey ("$.friends[1]", "$.\"home_address\"") as a member path
  // ("friends[1]"): SQLite quotes every key that is not purely ASCII alphanumeric, so the quotes
  // come off keys made only of identifier characters (every C++ member name, UTF-8 included);
  // other keys (map keys such as "a.b") keep theirs. Either spelling is still a valid JSON path
  // after "$." for json_path() below.
  static std::string member_path(std::string_view full_key) {
    if (full_key.starts_with("$."))
      full_key.remove_prefix(2);
    else if (full_key.starts_with("$"))
      full_key.remove_prefix(1);
    auto ident = [](char ch) {
      return is_ascii_ident_char(ch) || static_cast<unsigned char>(ch) >= 0x80;
    };
    std::string out;
    out.reserve(full_key.size());
    for (std::size_t i = 0; i < full_key.size();) {
      if (full_key[i] != '"') {
        out.push_back(full_key[i++]);
        continue;
      }
      std::size_t end = i + 1;  // the closing quote; a key's own quotes are backslash-escaped
      while (end < full_key.size() && full_key[end] != '"') end += full_key[end] == '\\' ? 2 : 1;
      end = end < full_key.size() ? end : full_key.size() - 1;
      const std::string_view key = full_key.substr(i + 1, end - i - 1);
      bool plain = !key.empty();
      for (char ch : key) plain = plain && ident(ch);
      if (plain)
        out += key;
      else
        out += full_key.substr(i, end - i + 1);
      i = end + 1;
    }
    return out;
  }

  // A member path ("friends[1]") as the JSON path set_null writes to.
  static std::string json_path(std::string_view member_path) {
    return str_cat({"$.", member_path});
  }

  // A table that does not exist (hydrating refs into a dropped table: they all dangle).
  template <class E>
  static bool is_missing_table(const E& e) {
    return e.message().find("no such table") != std::string::npos;
  }

  // ================================================================ migrations (migrate.hpp)

  // A dotted member path ("address.zip", checked by migration_context) as a JSON path
  // ("$.address.zip"), quoting a key that is not plain identifier characters.
  static std::string member_json_path(std::string_view dotted) {
    std::string out = "$";
    std::size_t start = 0;
    while (true) {
      const std::size_t dot = dotted.find('.', start);
      const std::string_view key = dotted.substr(start, dot - start);
      bool plain = true;
      for (char c : key)
        plain = plain && (is_ascii_ident_char(c) || static_cast<unsigned char>(c) >= 0x80);
      out += plain ? str_cat({".", key}) : str_cat({".\"", key, "\""});
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    return out;
  }

  // Moves the member at path ?1 to path ?2 in every document that has it (null included).
  static std::string rename_member(std::string_view table) {
    return str_cat({"UPDATE ", quote_name(table),
                    " SET data = json_set(json_remove(data, ?1), ?2, json(data -> ?1)), _version "
                    "= _version + 1 WHERE json_type(data, ?1) IS NOT NULL"});
  }
  // Sets path ?1 to the JSON value ?2 in documents that lack it.
  static std::string set_default(std::string_view table) {
    return str_cat({"UPDATE ", quote_name(table),
                    " SET data = json_set(data, ?1, json(?2)), _version = _version + 1 WHERE "
                    "json_type(data, ?1) IS NULL"});
  }
  static std::string remove_member(std::string_view table) {
    return str_cat({"UPDATE ", quote_name(table),
                    " SET data = json_remove(data, ?1), _version = _version + 1 WHERE "
                    "json_type(data, ?1) IS NOT NULL"});
  }

  // ================================================================ transactions

  // The outermost level takes the write lock up front (writers queue on busy_timeout instead
  // of failing at upgrade); nested levels are savepoints.
  static constexpr std::string_view begin_write = "BEGIN IMMEDIATE";
  static constexpr std::string_view begin_read = "BEGIN";
  static constexpr std::string_view commit = "COMMIT";
  static constexpr std::string_view rollback = "ROLLBACK";
  static std::string savepoint(std::string_view name) { return str_cat({"SAVEPOINT ", name}); }
  static std::string release(std::string_view name) { return str_cat({"RELEASE ", name}); }
  static std::string rollback_to(std::string_view name) {
    return str_cat({"ROLLBACK TO ", name, "; RELEASE ", name});
  }

  // ================================================================ connections

  static constexpr std::string_view wal = "PRAGMA journal_mode=WAL";
  // NORMAL is WAL's recommended level: no corruption on a crash; only a power loss may undo
  // the last commits. FULL syncs the log on every commit (milliseconds each).
  static constexpr std::string_view synchronous_normal = "PRAGMA synchronous=NORMAL";
  static constexpr std::string_view synchronous_full = "PRAGMA synchronous=FULL";
  static constexpr std::string_view foreign_keys = "PRAGMA foreign_keys=ON";
  static constexpr std::string_view probe_read = "SELECT count(*) FROM sqlite_master";
};

}  // namespace sqler::detail
