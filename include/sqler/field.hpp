// sqler/field.hpp - typed field expressions: sqler::field<&User::age> >= 25 && ...
// Operators build expression *types* whose SQL is fixed at compile time; the values travel
// alongside as members and are bound as parameters. Ill-typed expressions fail to compile with
// a message that starts "sqler:" and says what to write instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "sqler/detail/dsl/nodes.hpp"
#include "sqler/detail/dsl/paths.hpp"
#include "sqler/detail/promoted.hpp"
#include "sqler/detail/text.hpp"
#include "sqler/detail/type_traits.hpp"

namespace sqler {

// ---------------------------------------------------------------- fields

template <class Root, class Member>
struct runtime_field;

// A member, or a path of nested members, of a document type. Use the variable template:
// `sqler::field<&User::age>`, `sqler::field<&User::address, &Address::city>`. A path goes on
// into array elements and map entries with at<I>(), last(), key<"k">() and member<&E::m>()
// (each returns a field of its own, with the element's or entry's type):
// `field<&Order::items>.at<0>().member<&Item::sku>()` is the path $.items[0].sku.
template <auto... Ms>
struct field_t {
  static_assert(sizeof...(Ms) > 0, "sqler: field<>: name at least one member, e.g. field<&User::age>");
  static_assert(detail::path_arguments_valid<Ms...>,
                "sqler: field<...>: every argument must be a pointer to a data member, e.g. "
                "&User::age");
  static_assert(!detail::path_arguments_valid<Ms...> ||
                    detail::path_chain<detail::class_of<std::get<0>(std::make_tuple(Ms...))>,
                                       Ms...>::valid,
                "sqler: field<&A::b, &B::c>: each member pointer must belong to the type of the "
                "member before it (B must be the type of A::b)");

 private:
  static constexpr auto first_member = std::get<0>(std::make_tuple(Ms...));
  using chain = detail::path_chain<detail::class_of<first_member>, Ms...>;

 public:
  static constexpr bool is_operand = true;
  static constexpr std::size_t params = 0;
  // The document type the path starts from.
  using root = detail::class_of<first_member>;
  // The declared type at the end of the path (a member, an array element, a map's value), and
  // that type without std::optional.
  using member_type = typename chain::type;
  using value_type = detail::unwrap_optional_t<member_type>;
  // Whether the value may be absent: a std::optional on the path, an array element or a map
  // entry (an index past the end, a missing key: json_extract gives NULL, which matches
  // nothing).
  static constexpr bool nullable = chain::nullable;
  static constexpr auto path = detail::concat(detail::fixed_string{"$"}, chain::segments());

  // A promoted member (sqler::promoted<T>) is its own column in the document's table.
  static constexpr bool promoted_column =
      sizeof...(Ms) == 1 && detail::is_promoted<root, first_member>;

  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    if constexpr (Depth == 0 && promoted_column)
      return D::template quote_identifier<
          detail::promoted_column_name<root, first_member>()>();
    else
      return D::template extract<Depth, path>();
  }
  template <class S>
  void bind(S&, int) const noexcept {}

  static constexpr std::string_view json_path() noexcept { return path.view(); }

  // The member this field designates inside a document (used by keyset pagination).
  static const member_type& get(const root& doc) noexcept {
    static_assert(chain::members_only,
                  "sqler: after(): a path through an array element or a map entry cannot be a "
                  "keyset pagination key (the document may not have it)");
    static_assert(!chain::optional_before_last,
                  "sqler: this field passes through a std::optional member and cannot be read "
                  "from a document directly");
    if constexpr (chain::members_only && !chain::optional_before_last)
      return detail::follow<Ms...>(doc);
    else
      std::terminate();
  }

  // ---- paths into elements and map entries (compile-time steps: literal paths, indexable)

  // The element at index I: $.tags[I]. Past the end of the array it is missing (NULL): it
  // matches nothing, and no error.
  template <std::size_t I>
  constexpr auto at() const noexcept {
    static_assert(is_array, "sqler: at<I>() and last() need a std::vector or std::array member");
    if constexpr (is_array) {
      static_assert(I < detail::fixed_extent<value_type>,
                    "sqler: at<I>(): the index is past the end of the std::array");
      if constexpr (I < detail::fixed_extent<value_type>)
        return field_t<Ms..., detail::index_step<I>{}>{};
    }
  }
  // The last element: $.tags[#-1] (missing in an empty array).
  constexpr auto last() const noexcept {
    static_assert(is_array, "sqler: at<I>() and last() need a std::vector or std::array member");
    if constexpr (is_array) return field_t<Ms..., detail::last_step{}>{};
  }
  // The entry with key K of a std::map<std::string, V> member: $.attrs.color, or
  // $.attrs."a.b" for a key that is not a plain identifier. A key holding a double quote, a
  // backslash or a control character is a compile error (a JSON path cannot spell it).
  template <detail::fixed_string K>
  constexpr auto key() const noexcept {
    static_assert(is_map, "sqler: key<...>() needs a std::map<std::string, V> member");
    static_assert(detail::spell_key(K.view()) != detail::key_spelling::refused,
                  "sqler: key<...>(): a map key holding a double quote, a backslash or a control "
                  "character cannot be written in a JSON path");
    if constexpr (is_map && detail::spell_key(K.view()) != detail::key_spelling::refused)
      return field_t<Ms..., detail::key_step<K>{}>{};
  }
  // A member of the element or entry this path ends at: .at<0>().member<&Item::sku>().
  template <auto M>
  constexpr auto member() const noexcept {
    static_assert(detail::member_of<M>::traits::valid,
                  "sqler: member<&C::m>(): the argument must be a pointer to a data member");
    static_assert(!detail::member_of<M>::traits::valid ||
                      std::is_same_v<detail::class_of<M>, value_type>,
                  "sqler: member<&C::m>(): C must be the type of the element or member before it");
    if constexpr (detail::member_of<M>::traits::valid &&
                  std::is_same_v<detail::class_of<M>, value_type>)
      return field_t<Ms..., M>{};
  }

  // ---- run-time steps: the path is built at run time and bound as a parameter
  // (json_extract(data, ?N)). Same quoting, and a key that cannot be spelled throws
  // sqler::usage_error. Such a path filters like any field but cannot use an expression
  // index, be a sort key or be the target of set/inc/push: use key<"...">() / at<I>() there.

  auto key(std::string_view k) const {
    static_assert(is_map, "sqler: key<...>() needs a std::map<std::string, V> member");
    if constexpr (is_map) {
      runtime_field<root, typename value_type::mapped_type> out{std::string(path.view())};
      detail::append_key(out.path_text, k);
      return out;
    }
  }
  auto at(std::size_t index) const {
    static_assert(is_array, "sqler: at<I>() and last() need a std::vector or std::array member");
    if constexpr (is_array) {
      runtime_field<root, element_type> out{std::string(path.view())};
      detail::append_index(out.path_text, index);
      return out;
    }
  }

  constexpr auto asc() const noexcept { return detail::order_key<field_t, false>{}; }
  constexpr auto desc() const noexcept { return detail::order_key<field_t, true>{}; }

  template <class V>
  auto in(std::initializer_list<V> values) const {
    return in_range(values);
  }
  // in({}) - an empty list, which matches no document.
  auto in(std::initializer_list<value_type> values) const { return in_range(values); }
  template <class Range>
  auto in_range(const Range& values) const {
    using V = std::remove_cvref_t<decltype(*std::begin(values))>;
    static_assert(detail::comparable<value_type, V>(),
                  "sqler: in(): the list's element type does not match the field's type");
    return detail::in_node<field_t>{detail::to_json_array<value_type>(values)};
  }

  template <class A, class B>
  auto between(const A& low, const B& high) const {
    static_assert(detail::comparable<value_type, A>() && detail::comparable<value_type, B>(),
                  "sqler: between(): both bounds must match the field's type");
    using P = decltype(detail::to_param<value_type>(low));
    return detail::between_node<field_t, P>{detail::to_param<value_type>(low),
                                            detail::to_param<value_type>(high)};
  }

  template <class S>
  auto like(const S& pattern) const {
    static_assert(std::is_same_v<value_type, std::string>,
                  "sqler: like() needs a std::string member (or std::optional<std::string>)");
    static_assert(detail::kind_of<S>() == detail::value_kind::string,
                  "sqler: like(): the pattern must be a string");
    return detail::compare_node<detail::like_op, field_t, detail::bound<std::string>>{
        *this, {std::string(std::string_view(pattern))}};
  }

  // LIKE with an escape character: like("%" + sqler::escape_like(user_text) + "%", '\\')
  // matches user_text literally, '%' and '_' included.
  template <class S>
  auto like(const S& pattern, char escape) const {
    static_assert(std::is_same_v<value_type, std::string>,
                  "sqler: like() needs a std::string member (or std::optional<std::string>)");
    static_assert(detail::kind_of<S>() == detail::value_kind::string,
                  "sqler: like(): the pattern must be a string");
    return detail::like_escape_node<field_t>{std::string(std::string_view(pattern)),
                                             std::string(1, escape)};
  }

  // Case-sensitive prefix and suffix tests, and equality ignoring ASCII case.
  auto starts_with(std::string_view prefix) const { return text_test<detail::string_test::prefix>(prefix); }
  auto ends_with(std::string_view suffix) const { return text_test<detail::string_test::suffix>(suffix); }
  auto iequals(std::string_view text) const { return text_test<detail::string_test::nocase>(text); }

  constexpr auto is_null() const noexcept {
    static_assert(nullable,
                  "sqler: is_null() needs a std::optional member; this member always has a value");
    return detail::null_node<field_t, true>{};
  }
  constexpr auto is_not_null() const noexcept {
    static_assert(nullable, "sqler: is_not_null() needs a std::optional member; this member "
                            "always has a value");
    return detail::null_node<field_t, false>{};
  }

  // ---- arrays (std::vector / std::array members)

  template <class V>
  auto contains(const V& value) const {
    static_assert(is_array, "sqler: contains() needs a std::vector or std::array member");
    if constexpr (is_array) {
      static_assert(detail::comparable<element_type, V>(),
                    "sqler: contains(): the value's type does not match the array's element type");
      using P = decltype(detail::to_param<element_type>(value));
      using W = detail::element_equals<P>;
      return detail::array_exists_node<field_t, W>{W{detail::to_param<element_type>(value)}};
    }
  }

  template <class V>
  auto contains_any(std::initializer_list<V> values) const {
    return contains_any_of(values);
  }
  template <class Range>
  auto contains_any_of(const Range& values) const {
    static_assert(is_array, "sqler: contains_any() needs a std::vector or std::array member");
    if constexpr (is_array) {
      using V = std::remove_cvref_t<decltype(*std::begin(values))>;
      static_assert(detail::comparable<element_type, V>(),
                    "sqler: contains_any(): the values' type does not match the array's element "
                    "type");
      using W = detail::element_in_list;
      return detail::array_exists_node<field_t, W>{W{detail::to_json_array<element_type>(values)}};
    }
  }

  template <class V>
  auto contains_all(std::initializer_list<V> values) const {
    return contains_all_of(values);
  }
  template <class Range>
  auto contains_all_of(const Range& values) const {
    static_assert(is_array, "sqler: contains_all() needs a std::vector or std::array member");
    if constexpr (is_array) {
      using V = std::remove_cvref_t<decltype(*std::begin(values))>;
      static_assert(detail::comparable<element_type, V>(),
                    "sqler: contains_all(): the values' type does not match the array's element "
                    "type");
      return detail::contains_all_node<field_t>{detail::to_json_array<element_type>(values)};
    }
  }

  constexpr auto size() const noexcept {
    static_assert(is_array, "sqler: size() needs a std::vector or std::array member");
    return detail::size_operand<field_t>{};
  }

  // Some element of an array of structs satisfies `pred`, written with fields of the element
  // type: field<&Order::items>.any(field<&Item::qty> > 8).
  template <class Pred>
  auto any(const Pred& pred) const {
    static_assert(is_array, "sqler: any() needs a std::vector or std::array member");
    static_assert(detail::predicate<Pred>,
                  "sqler: any() takes a predicate built from fields of the element type");
    if constexpr (is_array && detail::predicate<Pred>) {
      static_assert(std::is_same_v<typename Pred::root, element_type>,
                    "sqler: any(): the predicate must use fields of the array's element type");
      using W = detail::element_matches<Pred>;
      return detail::array_exists_node<field_t, W>{W{pred}};
    }
  }

 private:
  template <detail::string_test Test>
  auto text_test(std::string_view text) const {
    static_assert(std::is_same_v<value_type, std::string>,
                  "sqler: starts_with/ends_with/iequals need a std::string member (or "
                  "std::optional<std::string>)");
    return detail::string_node<field_t, Test>{std::string(text)};
  }

  static constexpr bool is_array = detail::kind_of<member_type>() == detail::value_kind::array;
  static constexpr bool is_map = detail::is_string_map<value_type>;
  using element_type = typename detail::element_of<value_type>::type;
};

template <auto... Ms>
inline constexpr field_t<Ms...> field{};

// A path that passes a run-time map key or array index: field<&T::attrs>.key(k),
// field<&T::tags>.at(i). Its text is built at run time (same quoting as key<...>()) and bound:
// json_extract(data, ?N). It filters like a field (comparisons, in, between, like, is_null,
// starts_with, ...) and can be aggregated, but it cannot be a sort key, be indexed (SQLite
// matches an expression index only on a literal path: use key<"...">() / at<I>() for that),
// or be the target of set/inc/push.
template <class Root, class Member>
struct runtime_field {
  static constexpr bool is_operand = true;
  static constexpr bool path_is_bound = true;
  static constexpr std::size_t params = 1;
  using root = Root;
  using member_type = Member;
  using value_type = detail::unwrap_optional_t<Member>;
  static constexpr bool nullable = true;

  std::string path_text;  // "$.attrs.\"a b\"" etc., bound as ?P0

  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    return D::template extract_bound<Depth, P0>();
  }
  template <class S>
  void bind(S& s, int base) const {
    s.bind_text(base, path_text);
  }

  std::string_view json_path() const noexcept { return path_text; }

  // ---- further steps (all at run time now)

  template <std::size_t I>
  auto at() const {
    static_assert(is_array, "sqler: at<I>() and last() need a std::vector or std::array member");
    if constexpr (is_array) {
      static_assert(I < detail::fixed_extent<value_type>,
                    "sqler: at<I>(): the index is past the end of the std::array");
      return at(I);
    }
  }
  auto at(std::size_t index) const {
    static_assert(is_array, "sqler: at<I>() and last() need a std::vector or std::array member");
    if constexpr (is_array) {
      runtime_field<Root, typename detail::element_of<value_type>::type> out{path_text};
      detail::append_index(out.path_text, index);
      return out;
    }
  }
  auto last() const {
    static_assert(is_array, "sqler: at<I>() and last() need a std::vector or std::array member");
    if constexpr (is_array)
      return runtime_field<Root, typename detail::element_of<value_type>::type>{path_text +
                                                                               "[#-1]"};
  }
  template <detail::fixed_string K>
  auto key() const {
    static_assert(detail::spell_key(K.view()) != detail::key_spelling::refused,
                  "sqler: key<...>(): a map key holding a double quote, a backslash or a control "
                  "character cannot be written in a JSON path");
    return key(K.view());
  }
  auto key(std::string_view k) const {
    static_assert(detail::is_string_map<value_type>,
                  "sqler: key<...>() needs a std::map<std::string, V> member");
    if constexpr (detail::is_string_map<value_type>) {
      runtime_field<Root, typename value_type::mapped_type> out{path_text};
      detail::append_key(out.path_text, k);
      return out;
    }
  }
  template <auto M>
  auto member() const {
    static_assert(detail::member_of<M>::traits::valid,
                  "sqler: member<&C::m>(): the argument must be a pointer to a data member");
    static_assert(!detail::member_of<M>::traits::valid ||
                      std::is_same_v<detail::class_of<M>, value_type>,
                  "sqler: member<&C::m>(): C must be the type of the element or member before it");
    if constexpr (detail::member_of<M>::traits::valid &&
                  std::is_same_v<detail::class_of<M>, value_type>) {
      constexpr auto segment = detail::member_path_segment<M>();
      return runtime_field<Root, detail::value_of<M>>{detail::str_cat({path_text, segment.view()})};
    }
  }

  // ---- predicates

  template <class V>
  auto in(std::initializer_list<V> values) const {
    return in_range(values);
  }
  auto in(std::initializer_list<value_type> values) const { return in_range(values); }
  template <class Range>
  auto in_range(const Range& values) const {
    using V = std::remove_cvref_t<decltype(*std::begin(values))>;
    static_assert(detail::comparable<value_type, V>(),
                  "sqler: in(): the list's element type does not match the field's type");
    return detail::with_bound_path<detail::in_node<back>>{
        path_text, {detail::to_json_array<value_type>(values)}};
  }

  template <class A, class B>
  auto between(const A& low, const B& high) const {
    static_assert(detail::comparable<value_type, A>() && detail::comparable<value_type, B>(),
                  "sqler: between(): both bounds must match the field's type");
    using P = decltype(detail::to_param<value_type>(low));
    return detail::with_bound_path<detail::between_node<back, P>>{
        path_text, {detail::to_param<value_type>(low), detail::to_param<value_type>(high)}};
  }

  template <class S>
  auto like(const S& pattern) const {
    static_assert(std::is_same_v<value_type, std::string>,
                  "sqler: like() needs a std::string member (or std::optional<std::string>)");
    static_assert(detail::kind_of<S>() == detail::value_kind::string,
                  "sqler: like(): the pattern must be a string");
    return detail::compare_node<detail::like_op, runtime_field, detail::bound<std::string>>{
        *this, {std::string(std::string_view(pattern))}};
  }
  template <class S>
  auto like(const S& pattern, char escape) const {
    static_assert(std::is_same_v<value_type, std::string>,
                  "sqler: like() needs a std::string member (or std::optional<std::string>)");
    static_assert(detail::kind_of<S>() == detail::value_kind::string,
                  "sqler: like(): the pattern must be a string");
    return detail::with_bound_path<detail::like_escape_node<back>>{
        path_text, {std::string(std::string_view(pattern)), std::string(1, escape)}};
  }

  auto starts_with(std::string_view prefix) const {
    return text_test<detail::string_test::prefix>(prefix);
  }
  auto ends_with(std::string_view suffix) const {
    return text_test<detail::string_test::suffix>(suffix);
  }
  auto iequals(std::string_view text) const {
    return text_test<detail::string_test::nocase>(text);
  }

  auto is_null() const {
    return detail::with_bound_path<detail::null_node<back, true>>{path_text, {}};
  }
  auto is_not_null() const {
    return detail::with_bound_path<detail::null_node<back, false>>{path_text, {}};
  }

  // Not a sort key: ORDER BY would need the path bound after the query's own values.
  template <class Self = runtime_field>
  void asc() const {
    static_assert(!Self::path_is_bound,
                  "sqler: order_by(): a path with a run-time key or index (key(k), at(i)) cannot "
                  "be a sort key; use key<\"...\">() or at<I>()");
  }
  template <class Self = runtime_field>
  void desc() const {
    asc<Self>();
  }

 private:
  using back = detail::path_one_back<runtime_field>;
  static constexpr bool is_array = detail::kind_of<value_type>() == detail::value_kind::array;

  template <detail::string_test Test>
  auto text_test(std::string_view text) const {
    static_assert(std::is_same_v<value_type, std::string>,
                  "sqler: starts_with/ends_with/iequals need a std::string member (or "
                  "std::optional<std::string>)");
    return detail::with_bound_path<detail::string_node<back, Test>>{path_text,
                                                                    {std::string(text)}};
  }
};

// Escapes LIKE's wildcards ('%', '_') and the escape character itself in user text, for
// field.like(pattern, escape).
inline std::string escape_like(std::string_view text, char escape = '\\') {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '%' || c == '_' || c == escape) out.push_back(escape);
    out.push_back(c);
  }
  return out;
}

// The row's _id, of any document type: a predicate (doc_id == 5, doc_id > n,
// doc_id.in({1, 2, 3})) that combines with others, and a sort key
// (order_by(age.asc(), sqler::doc_id.asc())).
struct doc_id_t {
  static constexpr bool is_operand = true;
  static constexpr bool is_id_column = true;  // the bigint _id column, not a document path
  static constexpr std::size_t params = 0;
  using root = detail::no_root;
  using member_type = std::int64_t;
  using value_type = std::int64_t;

  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    return D::id_column();
  }
  template <class S>
  void bind(S&, int) const noexcept {}

  constexpr auto asc() const noexcept { return detail::id_order_key<false>{}; }
  constexpr auto desc() const noexcept { return detail::id_order_key<true>{}; }

  template <class Range>
  auto in_range(const Range& ids) const {
    return detail::in_node<doc_id_t>{detail::to_json_array<std::int64_t>(ids)};
  }
  // in({}) matches no document.
  auto in(std::initializer_list<std::int64_t> ids) const {
    return detail::in_node<doc_id_t>{detail::to_json_array<std::int64_t>(ids)};
  }
};
inline constexpr doc_id_t doc_id{};

// ---------------------------------------------------------------- operators

template <detail::operand L, class R>
constexpr auto operator==(const L& l, const R& r) {
  return detail::make_compare<detail::eq_op>(l, r);
}
template <detail::operand L, class R>
constexpr auto operator!=(const L& l, const R& r) {
  return detail::make_compare<detail::ne_op>(l, r);
}
template <detail::operand L, class R>
constexpr auto operator<(const L& l, const R& r) {
  return detail::make_compare<detail::lt_op>(l, r);
}
template <detail::operand L, class R>
constexpr auto operator<=(const L& l, const R& r) {
  return detail::make_compare<detail::le_op>(l, r);
}
template <detail::operand L, class R>
constexpr auto operator>(const L& l, const R& r) {
  return detail::make_compare<detail::gt_op>(l, r);
}
template <detail::operand L, class R>
constexpr auto operator>=(const L& l, const R& r) {
  return detail::make_compare<detail::ge_op>(l, r);
}

template <class L, class R>
  requires(detail::operand<L> || detail::operand<R>)
auto operator+(const L& l, const R& r) {
  return detail::make_arith<detail::add_op>(l, r);
}
template <class L, class R>
  requires(detail::operand<L> || detail::operand<R>)
auto operator-(const L& l, const R& r) {
  return detail::make_arith<detail::sub_op>(l, r);
}
template <class L, class R>
  requires(detail::operand<L> || detail::operand<R>)
auto operator*(const L& l, const R& r) {
  return detail::make_arith<detail::mul_op>(l, r);
}
template <class L, class R>
  requires(detail::operand<L> || detail::operand<R>)
auto operator/(const L& l, const R& r) {
  return detail::make_arith<detail::div_op>(l, r);
}

template <detail::predicate A, detail::predicate B>
constexpr auto operator&&(const A& a, const B& b) {
  static_assert(detail::same_root<A, B>(),
                "sqler: &&: both sides must be about the same document type");
  return detail::logical_node<detail::and_op, A, B>{a, b};
}

template <detail::predicate A, detail::predicate B>
constexpr auto operator||(const A& a, const B& b) {
  static_assert(detail::same_root<A, B>(),
                "sqler: ||: both sides must be about the same document type");
  return detail::logical_node<detail::or_op, A, B>{a, b};
}

template <detail::predicate A>
constexpr auto operator!(const A& a) {
  return detail::not_node<A>{a};
}

}  // namespace sqler
