// sqler/detail/sql/standard.hpp - the SQL both dialects spell the same way.
// The DSL's nodes ask their dialect D to render them; D inherits these standard spellings
// (comparisons, AND/OR/NOT, IN, BETWEEN, EXISTS over array elements, ORDER BY keys) and
// replaces what its database spells differently. Every piece calls back into D for paths,
// placeholders and values, so a dialect that overrides those changes them everywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

#include "sqler/detail/dsl/ops.hpp"
#include "sqler/detail/fixed_string.hpp"
#include "sqler/detail/multikey.hpp"
#include "sqler/detail/reflect.hpp"
#include "sqler/detail/sql/literals.hpp"
#include "sqler/detail/text.hpp"

namespace sqler::detail {

// "name" with any " doubled: how a table or column name is spelled in SQL text.
inline std::string quote_name(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

template <class D>
struct standard_sql {
  template <class Op>
  static consteval auto op() {
    if constexpr (std::is_same_v<Op, eq_op>) return fixed_string{" = "};
    else if constexpr (std::is_same_v<Op, ne_op>) return fixed_string{" <> "};
    else if constexpr (std::is_same_v<Op, lt_op>) return fixed_string{" < "};
    else if constexpr (std::is_same_v<Op, le_op>) return fixed_string{" <= "};
    else if constexpr (std::is_same_v<Op, gt_op>) return fixed_string{" > "};
    else if constexpr (std::is_same_v<Op, ge_op>) return fixed_string{" >= "};
    else if constexpr (std::is_same_v<Op, like_op>) return fixed_string{" LIKE "};
    else if constexpr (std::is_same_v<Op, and_op>) return fixed_string{" AND "};
    else if constexpr (std::is_same_v<Op, or_op>) return fixed_string{" OR "};
    else if constexpr (std::is_same_v<Op, add_op>) return fixed_string{" + "};
    else if constexpr (std::is_same_v<Op, sub_op>) return fixed_string{" - "};
    else if constexpr (std::is_same_v<Op, mul_op>) return fixed_string{" * "};
    else return fixed_string{" / "};
  }

  // A bound value compared with the field F (keyset pagination keys).
  template <class F, class P, std::size_t Depth, std::size_t N>
  static consteval auto value_for() {
    return D::template value<P, N>();
  }

  // ---- aggregates
  // Fn(value) over the matching rows; Real: a floating-point sum, added up as doubles
  // (whole-valued doubles are stored as JSON integers, 2^62 as 4611686018427387904, and an
  // integer SUM would report overflow where a double sum has none).
  template <class Fn, class F, std::size_t P0, bool Real>
  static consteval auto aggregate() {
    if constexpr (Real)
      return concat(Fn::open, D::template as_real<F::template render<D, 0, P0>()>(),
                    fixed_string{")"});
    else
      return concat(Fn::open, F::template render<D, 0, P0>(), fixed_string{")"});
  }

  // A group's key, selected, grouped by and ordered by.
  template <class K, std::size_t P0>
  static consteval auto group_key() {
    return K::template render<D, 0, P0>();
  }

  // How groups are ordered: by their key, the missing key's group first.
  template <auto Key>
  static consteval auto group_order() {
    return Key;
  }

  // ---- predicates

  template <class Op, class L, class R, std::size_t Depth, std::size_t P0>
  static consteval auto compare() {
    return concat(L::template render<D, Depth, P0>(), D::template op<Op>(),
                  R::template render<D, Depth, P0 + L::params>());
  }

  template <class Op, class A, class B, std::size_t Depth, std::size_t P0>
  static consteval auto logical() {
    return concat(fixed_string{"("}, A::template render<D, Depth, P0>(), D::template op<Op>(),
                  B::template render<D, Depth, P0 + A::params>(), fixed_string{")"});
  }

  template <class A, std::size_t Depth, std::size_t P0>
  static consteval auto negate() {
    return concat(fixed_string{"NOT ("}, A::template render<D, Depth, P0>(), fixed_string{")"});
  }

  static consteval auto always() { return fixed_string{"1"}; }

  template <class F, bool IsNull, std::size_t Depth, std::size_t P0>
  static consteval auto null_test() {
    if constexpr (IsNull)
      return concat(F::template render<D, Depth, P0>(), fixed_string{" IS NULL"});
    else
      return concat(F::template render<D, Depth, P0>(), fixed_string{" IS NOT NULL"});
  }

  template <class F, std::size_t Depth, std::size_t P0>
  static consteval auto like_escape() {
    return concat(F::template render<D, Depth, P0>(), fixed_string{" LIKE "},
                  D::template placeholder<P0>(), fixed_string{" ESCAPE "},
                  D::template placeholder<P0 + 1>());
  }

  // f IN (the elements of the JSON array bound as ?P0)
  template <class F, std::size_t Depth, std::size_t P0>
  static consteval auto in_list() {
    return concat(F::template render<D, Depth, P0>(), fixed_string{" IN ("},
                  D::template param_elements<P0>(), fixed_string{")"});
  }

  template <class F, class P, std::size_t Depth, std::size_t P0>
  static consteval auto between() {
    return concat(F::template render<D, Depth, P0>(), fixed_string{" BETWEEN "},
                  D::template value<P, P0>(), fixed_string{" AND "},
                  D::template value<P, P0 + 1>());
  }

  // [prefix, prefix || x'F490'): text compares bytewise, and valid UTF-8 never holds F4
  // followed by a byte above 8F (U+10FFFF is F4 8F BF BF), so exactly the strings with that
  // prefix fall inside, and an index on the member answers the range.
  template <class F, std::size_t Depth, std::size_t P0>
  static consteval auto starts_with() {
    constexpr auto f = F::template render<D, Depth, P0>();
    return concat(fixed_string{"("}, f, fixed_string{" >= "}, D::template placeholder<P0>(),
                  fixed_string{" AND "}, f, fixed_string{" < "},
                  D::template placeholder<P0>(), fixed_string{" || x'F490')"});
  }

  // Some element of the array at F satisfies Where (rendered against the element): through
  // the array's multikey index when its type declares one that answers Where, else by
  // expanding every document's array.
  template <class F, class Where, std::size_t Depth, std::size_t P0>
  static consteval auto array_any() {
    using q = element_query<Where>;
    if constexpr (Depth == 0 && q::test != element_test::none &&
                  has_multikey<typename F::root, F::path, q::member>)
      return D::template multikey_any<typename F::root, F::path, q::member, q::test,
                                       typename q::param_type, P0>();
    else
      return concat(fixed_string{"EXISTS (SELECT 1 FROM "},
                    D::template each<Depth, F::path, Depth + 1>(), fixed_string{" WHERE "},
                    Where::template render_element<D, Depth + 1, P0>(), fixed_string{")"});
  }

  // Whether reads join a multikey equality's index to the documents instead of testing
  // `_id IN (...)` (multikey_join.hpp); a dialect that does defines multikey_join() and
  // multikey_join_id().
  static constexpr bool multikey_joins = false;

  template <class P, std::size_t Alias, std::size_t P0>
  static consteval auto element_equals() {
    return concat(D::template element<Alias>(), fixed_string{" = "},
                  D::template placeholder<P0>());
  }

  template <std::size_t Alias, std::size_t P0>
  static consteval auto element_in() {
    return concat(D::template element<Alias>(), fixed_string{" IN ("},
                  D::template param_elements<P0>(), fixed_string{")"});
  }

  // Every element of the JSON array bound as ?P0 occurs in the array at F.
  template <class F, std::size_t Depth, std::size_t P0>
  static consteval auto contains_all() {
    if constexpr (Depth == 0 && has_multikey<typename F::root, F::path, fixed_string{""}>)
      return D::template multikey_all<typename F::root, F::path, P0>();
    else
      return contains_all_by_scan<F, Depth, P0>();
  }
  template <class F, std::size_t Depth, std::size_t P0>
  static consteval auto contains_all_by_scan() {
    constexpr std::size_t alias = Depth + 1;
    return concat(fixed_string{"NOT EXISTS (SELECT 1 FROM "}, D::template each_param<P0, alias>(),
                  fixed_string{" WHERE "}, D::template param_element<alias>(),
                  fixed_string{" NOT IN (SELECT "}, D::template element<alias>(),
                  fixed_string{" FROM "}, D::template each<Depth, F::path, alias>(),
                  fixed_string{"))"});
  }

  // A ref member at Path (Many: an array of refs) pointing at a document of X for which Pred
  // holds: its _id IN (an uncorrelated sub-select on X's table, run once).
  template <auto Path, bool Many, class X, class Pred, std::size_t Depth, std::size_t P0>
  static consteval auto through_ref() {
    constexpr auto where = [] {
      if constexpr (requires { Pred::always_true; })
        return fixed_string{""};
      else
        return concat(fixed_string{" WHERE "}, Pred::template render<D, 0, P0>());
    }();
    constexpr auto targets = D::template ids_of<X, where>();
    if constexpr (Many) {
      constexpr std::size_t alias = Depth + 1;
      return concat(fixed_string{"EXISTS (SELECT 1 FROM "}, D::template each<Depth, Path, alias>(),
                    fixed_string{" WHERE "}, D::template extract<alias, fixed_string{"$._id"}>(),
                    targets, fixed_string{")"});
    } else {
      return concat(D::template extract<Depth, concat(Path, fixed_string{"._id"})>(), targets);
    }
  }

  // ---- operands

  // (l op r); a floating-point division starts from a REAL (see D::as_real).
  template <class Op, class L, class R, bool RealDivision, std::size_t Depth, std::size_t P0>
  static consteval auto arithmetic() {
    constexpr auto l = [] {
      if constexpr (RealDivision)
        return D::template as_real<L::template render<D, Depth, P0>()>();
      else
        return L::template render<D, Depth, P0>();
    }();
    return concat(fixed_string{"("}, l, D::template op<Op>(),
                  R::template render<D, Depth, P0 + L::params>(), fixed_string{")"});
  }

  static consteval auto id_column() { return fixed_string{"_id"}; }

  // ---- ordering

  template <class Field, bool Desc, std::size_t Depth>
  static consteval auto order_key() {
    if constexpr (Desc)
      return concat(Field::template render<D, Depth, 1>(), fixed_string{" DESC"});
    else
      return concat(Field::template render<D, Depth, 1>(), fixed_string{" ASC"});
  }

  template <bool Desc>
  static consteval auto order_by_id() {
    if constexpr (Desc)
      return concat(D::id_column(), fixed_string{" DESC"});
    else
      return concat(D::id_column(), fixed_string{" ASC"});
  }

  // ---- names and bounds both dialects spell the same way

  template <auto Path>
  static consteval auto path_tail() {  // "$.a.b" -> "a.b"
    fixed_string<Path.size - 2> out;
    for (std::size_t i = 0; i + 2 < Path.size + 0; ++i) out.data[i] = Path.data[i + 2];
    return out;
  }

  // "lo, hi" of an integer (or enum) member's type as SQL literals; NULL, NULL for int64, which
  // any SQLite integer fits.
  template <class M>
  static consteval auto integer_bounds() {
    if constexpr (std::is_enum_v<M>) {
      return integer_bounds<std::underlying_type_t<M>>();
    } else if constexpr (sizeof(M) == 8 && std::is_signed_v<M>) {
      return fixed_string{"NULL, NULL"};
    } else if constexpr (sizeof(M) == 8) {
      return concat(fixed_string{"0, "},
                    to_fixed_signed<std::numeric_limits<std::int64_t>::max()>());
    } else {
      return concat(to_fixed_signed<static_cast<long long>(std::numeric_limits<M>::min())>(),
                    fixed_string{", "},
                    to_fixed_signed<static_cast<long long>(std::numeric_limits<M>::max())>());
    }
  }

  // "$.a.b" -> "a.b"; a '"' (around a map key: $.attrs."a b") doubled, as the index name
  // is a quoted identifier.
  template <class F>
  static consteval auto index_name_part() {
    static_assert(!requires { F::path_is_bound; },
                  "sqler: ensure_index(): a path with a run-time key or index (key(k), at(i)) "
                  "cannot be indexed; use key<\"...\">() or at<I>()");
    if constexpr (!requires { F::path_is_bound; }) {
      constexpr auto path = F::path;
      constexpr std::size_t quotes = [] {
        std::size_t n = 0;
        for (std::size_t i = 2; i < F::path.size; ++i) n += F::path.data[i] == '"' ? 1 : 0;
        return n;
      }();
      fixed_string<path.size - 2 + quotes> out;
      std::size_t j = 0;
      for (std::size_t i = 2; i < path.size; ++i) {
        if (path.data[i] == '"') out.data[j++] = '"';
        out.data[j++] = path.data[i];
      }
      return out;
    } else {
      return fixed_string{""};
    }
  }

  // "sqler_ix_<table>__a.b__c" (sqler_ux_ for a unique index), quoted.
  template <class T, bool Unique, class... Fs>
  static constexpr auto index_name() {  // constexpr: clang 14 rejects consteval here
    constexpr auto kind = [] {
      if constexpr (Unique)
        return fixed_string{"\"sqler_ux_"};
      else
        return fixed_string{"\"sqler_ix_"};
    }();
    return concat(kind, to_fixed<table_name_holder<T>>(),
                  concat(fixed_string{"__"}, index_name_part<Fs>())..., fixed_string{"\""});
  }

  // ---- statements on one document by id
  template <class T>
  static consteval auto remove() {
    return concat(fixed_string{"DELETE FROM "}, D::template table<T>(), fixed_string{" WHERE _id = "},
                  D::template placeholder<1>());
  }

  template <class T>
  static consteval auto size() {
    return concat(fixed_string{"SELECT COUNT(*) FROM "}, D::template table<T>());
  }

  template <class T>
  static consteval auto exists_id() {
    return concat(fixed_string{"SELECT 1 FROM "}, D::template table<T>(), fixed_string{" WHERE _id = "},
                  D::template placeholder<1>());
  }

  template <class T, class... Ops>
  static consteval auto update_by_id() {
    constexpr std::size_t id_param = (Ops::params + ...) + 1;
    return concat(fixed_string{"UPDATE "}, D::template table<T>(), fixed_string{" SET "},
                  D::template patch_assignments<1, Ops...>(), fixed_string{" WHERE _id = "},
                  D::template placeholder<id_param>());
  }

  // ---- partial indexes (collection::ensure_index(where(pred), fields...))

  // ` ON "T" (<the fields' expressions>)`, as create_index writes it.
  template <class T, class... Fs>
  static consteval auto index_target() {
    return concat(fixed_string{" ON "}, D::template table<T>(), fixed_string{" ("},
                  D::template index_columns<Fs...>(), fixed_string{")"});
  }

  // The quoted name of a partial index: index_name's "sqler_ix_<table>__<fields>" and
  // "__w<hash of the predicate>", so indexes on the same fields under different predicates
  // coexist and the same predicate names the same index again. Cut to PostgreSQL's 63 bytes
  // (before the hash, which must survive), on both databases so both name it alike.
  static std::string partial_index_name(std::string_view quoted_name, std::string_view where) {
    constexpr std::size_t max_name = 63, suffix = 3 + 16;
    std::string head(quoted_name.substr(1, quoted_name.size() - 2));  // inner "" stay doubled
    const std::string hash = text_hash(concat_for_hash(head, where));
    std::size_t keep = head.size();
    if (keep + suffix > max_name) {
      keep = max_name - suffix;
      // Not inside a UTF-8 sequence, nor between the two quotes of a doubled ".
      while (keep > 0 && (static_cast<unsigned char>(head[keep]) & 0xC0) == 0x80) --keep;
      std::size_t quotes = 0;
      while (quotes < keep && head[keep - 1 - quotes] == '"') ++quotes;
      keep -= quotes % 2;
    }
    return str_cat({"\"", std::string_view(head).substr(0, keep), "__w", hash, "\""});
  }

  static std::string create_partial_index(bool unique, std::string_view name,
                                          std::string_view target, std::string_view where) {
    return str_cat({unique ? "CREATE UNIQUE INDEX IF NOT EXISTS " : "CREATE INDEX IF NOT EXISTS ",
                    name, target, " WHERE ", where});
  }

  static std::string drop_index_named(std::string_view name) {
    return str_cat({"DROP INDEX IF EXISTS ", name});
  }

 private:
  static std::string concat_for_hash(std::string_view name, std::string_view where) {
    std::string text(name);
    text.push_back('\0');  // no name/predicate split can give another pair the same text
    text.append(where);
    return text;
  }

 public:
};

}  // namespace sqler::detail
