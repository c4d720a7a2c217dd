// sqler/detail/dsl/paths.hpp - paths that go past a member: into an array's elements
// (tags[0], tags[#-1]), through an element (items[0].sku) and into a map's entries
// (attrs.color, attrs."a.b").
// A compile-time step is one more template argument of field_t (field_t<&T::tags,
// index_step<0>{}>), so its path is a literal that an expression index can match, and every
// predicate, sort key and patch of a field works on it. A run-time key or index makes a
// sqler::runtime_field (field.hpp) instead: its path text is built at run time and bound as a
// parameter.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

#include "sqler/detail/dsl/nodes.hpp"
#include "sqler/detail/fixed_string.hpp"
#include "sqler/detail/type_traits.hpp"
#include "sqler/error.hpp"

namespace sqler::detail {

// ---------------------------------------------------------------- steps

template <std::size_t I>
struct index_step {};  // [I]
struct last_step {};   // [#-1]
template <fixed_string K>
struct key_step {};  // .K or ."K"

// ---------------------------------------------------------------- map keys in a JSON path
// SQLite 3.40 reads a key after '.' up to the next '.' or '['; a key in double quotes up to
// the next '"', with no escapes, and compares it with the key's text as the JSON document
// spells it. So:
// - a key of identifier characters (ASCII letters, digits, '_', any UTF-8 byte >= 0x80; not
//   starting with a digit, not empty) is written bare:  $.attrs.color
// - any other key is written in double quotes:          $.attrs."a.b", $.attrs."", $.attrs."x[1]"
// - a key holding '"', '\' or a control character cannot be written: the JSON text escapes
//   those characters ("a\"b"), and a quoted path key stops at the first '"' and is compared
//   with the escaped text, not the key (SQLite 3.40: json_extract(data, '$."a\"b"') is NULL,
//   json_set(data, '$."a\"b"', 1) changes nothing). Such a key is a compile error (key<...>())
//   or a usage_error (key(k)), never a path that reads something else.
// A "'" needs nothing here: the dialect doubles it when the path becomes an SQL literal, and a
// run-time path is a bound parameter.
enum class key_spelling { bare, quoted, refused };

constexpr key_spelling spell_key(std::string_view key) noexcept {
  bool bare = !key.empty();
  for (std::size_t i = 0; i < key.size(); ++i) {
    const auto c = static_cast<unsigned char>(key[i]);
    if (c < 0x20 || c == '"' || c == '\\') return key_spelling::refused;
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
    const bool digit = c >= '0' && c <= '9';
    bare = bare && (letter || (digit && i > 0));
  }
  return bare ? key_spelling::bare : key_spelling::quoted;
}

template <fixed_string K>
consteval auto key_segment() {
  constexpr key_spelling spelling = spell_key(K.view());
  static_assert(spelling != key_spelling::refused,
                "sqler: key<...>(): a map key holding a double quote, a backslash or a control "
                "character cannot be written in a JSON path");
  if constexpr (spelling == key_spelling::bare)
    return concat(fixed_string{"."}, K);
  else
    return concat(fixed_string{".\""}, K, fixed_string{"\""});
}

// The same at run time: appends .key or ."key" to `path`.
inline void append_key(std::string& path, std::string_view key) {
  switch (spell_key(key)) {
    case key_spelling::refused:
      throw usage_error("sqler: key(k): a map key holding a double quote, a backslash or a "
                        "control character cannot be written in a JSON path");
    case key_spelling::bare:
      path += '.';
      path += key;
      return;
    case key_spelling::quoted:
      path += ".\"";
      path += key;
      path += '"';
      return;
  }
}

inline void append_index(std::string& path, std::size_t index) {
  path += '[';
  path += std::to_string(index);
  path += ']';
}

// ---------------------------------------------------------------- types along a path

template <class T>
inline constexpr std::size_t fixed_extent = std::numeric_limits<std::size_t>::max();
template <class T, std::size_t N>
inline constexpr std::size_t fixed_extent<std::array<T, N>> = N;

template <class T>
struct mapped_of {
  using type = void;
};
template <class T>
  requires is_string_map<T>
struct mapped_of<T> {
  using type = typename T::mapped_type;
};

template <class Cur>
struct element_step {
  using here = unwrap_optional_t<Cur>;
  static constexpr bool is_member = false;
  static constexpr bool is_array = is_vector<here> || is_std_array<here>;
  using type = typename element_of<here>::type;
};

// What one step leads to from a value of type Cur: its type, whether it applies there
// (valid), and its path segment.
template <class Cur, auto Step, class S = std::remove_cv_t<decltype(Step)>>
struct step_traits {  // a pointer to a data member
  static constexpr bool is_member = true;
  static constexpr bool valid =
      member_of<Step>::traits::valid && std::is_same_v<class_of<Step>, unwrap_optional_t<Cur>>;
  using type = value_of<Step>;
  static consteval auto segment() {
    if constexpr (member_of<Step>::traits::valid)
      return member_path_segment<Step>();
    else
      return fixed_string{""};
  }
};
template <class Cur, auto Step, std::size_t I>
struct step_traits<Cur, Step, index_step<I>> : element_step<Cur> {
  static constexpr bool valid =
      element_step<Cur>::is_array && I < fixed_extent<typename element_step<Cur>::here>;
  static consteval auto segment() {
    return concat(fixed_string{"["}, to_fixed_number<I>(), fixed_string{"]"});
  }
};
template <class Cur, auto Step>
struct step_traits<Cur, Step, last_step> : element_step<Cur> {
  static constexpr bool valid = element_step<Cur>::is_array;
  static consteval auto segment() { return fixed_string{"[#-1]"}; }
};
template <class Cur, auto Step, fixed_string K>
struct step_traits<Cur, Step, key_step<K>> {
  static constexpr bool is_member = false;
  static constexpr bool valid =
      is_string_map<unwrap_optional_t<Cur>> && spell_key(K.view()) != key_spelling::refused;
  using type = typename mapped_of<unwrap_optional_t<Cur>>::type;
  static consteval auto segment() { return key_segment<K>(); }
};

template <class Cur, auto... Steps>
struct path_chain {
  using type = Cur;
  static constexpr bool valid = true;
  static constexpr bool nullable = false;
  static constexpr bool members_only = true;
  static constexpr bool optional_before_last = false;
  static consteval auto segments() { return fixed_string{""}; }
};
template <class Cur, auto Step, auto... Rest>
struct path_chain<Cur, Step, Rest...> {
  using here = step_traits<Cur, Step>;
  using next = path_chain<typename here::type, Rest...>;
  using type = typename next::type;
  static constexpr bool valid = here::valid && next::valid;
  // An element or a map entry may be missing; so may a std::optional member.
  static constexpr bool nullable =
      !here::is_member || is_optional<typename here::type> || next::nullable;
  static constexpr bool members_only = here::is_member && next::members_only;
  static constexpr bool optional_before_last =
      sizeof...(Rest) > 0 && (is_optional<typename here::type> || next::optional_before_last);
  static consteval auto segments() { return concat(here::segment(), next::segments()); }
};

template <class S>
inline constexpr bool is_path_step = false;
template <std::size_t I>
inline constexpr bool is_path_step<index_step<I>> = true;
template <>
inline constexpr bool is_path_step<last_step> = true;
template <fixed_string K>
inline constexpr bool is_path_step<key_step<K>> = true;

// field_t's arguments: a member pointer first, then member pointers or steps.
template <auto First, auto... Rest>
inline constexpr bool path_arguments_valid =
    member_of<First>::traits::valid &&
    ((member_of<Rest>::traits::valid || is_path_step<std::remove_cv_t<decltype(Rest)>>) && ...);

// ---------------------------------------------------------------- run-time paths

// F as seen by a node that numbers its own values from P0 while F's path is bound just before
// them: F renders one position back (see with_bound_path).
template <class F>
struct path_one_back {
  static constexpr bool is_operand = true;
  static constexpr bool path_is_bound = true;  // renders F's bound path (a dialect may need to know)
  static constexpr std::size_t params = 0;
  using root = typename F::root;
  using value_type = typename F::value_type;
  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    static_assert(P0 >= 2);
    return F::template render<D, Depth, P0 - 1>();
  }
  template <class S>
  void bind(S&, int) const noexcept {}
};

// A node over path_one_back<F> preceded by F's bound path: the path is ?P0, the node's own
// values ?P0+1 on. The dialect's renderers need no change for a field that carries a value.
template <class Node>
struct with_bound_path {
  static constexpr bool is_predicate = true;
  static constexpr std::size_t params = 1 + Node::params;
  using root = typename Node::root;
  std::string path;
  Node node;

  template <class D, std::size_t Depth, std::size_t P0>
  static consteval auto render() {
    return Node::template render<D, Depth, P0 + 1>();
  }
  template <class S>
  void bind(S& s, int base) const {
    s.bind_text(base, path);
    node.bind(s, base + 1);
  }
};

}  // namespace sqler::detail
