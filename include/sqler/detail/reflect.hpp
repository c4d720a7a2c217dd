// sqler/detail/reflect.hpp - compile-time reflection of plain aggregates.
// Member count and types come from Boost.PFR; names from boost::pfr::get_name (Boost >= 1.84) or
// from parsing the compiler's own signature text (__PRETTY_FUNCTION__, __FUNCSIG__).
#pragma once

#include "sqler/detail/config.hpp"

// Only the parts of Boost.PFR used here: <boost/pfr.hpp> also brings its I/O, comparison and
// hashing functions (<istream>, <ostream>, <iomanip>, <functional>), which sqler never calls.
#include <boost/pfr/core.hpp>
#include <boost/pfr/tuple_size.hpp>
#include <boost/version.hpp>
#if BOOST_VERSION >= 108400
#include <boost/pfr/core_name.hpp>
#endif

#include <array>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>

#include "sqler/customize.hpp"
#include "sqler/detail/fixed_string.hpp"

#if BOOST_VERSION >= 108400
#define SQLER_DETAIL_PFR_HAS_NAMES 1
#else
#define SQLER_DETAIL_PFR_HAS_NAMES 0
#endif

namespace sqler {
namespace detail {

template <class T>
inline constexpr bool always_false = false;

template <class T>
concept reflectable = std::is_aggregate_v<T> && std::is_class_v<T> && !std::is_union_v<T>;

template <class T>
inline constexpr std::size_t member_count = boost::pfr::tuple_size_v<T>;

template <class T, std::size_t I>
using member_type = boost::pfr::tuple_element_t<I, T>;

// ---------------------------------------------------------------- identifier text
// Compilers print identifiers as raw UTF-8 (g++ 12 and clang 14 do, even for `\u00e9` in the
// source) but a compiler may also print universal-character-names, so both are understood.

constexpr bool is_ascii_ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '$';  // `$` is an identifier character on every supported compiler
}

// Bytes that can belong to an identifier as printed: UTF-8 sequences are accepted whole here
// and validated afterwards, a backslash only as the start of a \u escape.
constexpr bool is_printed_ident_char(char c) {
  return is_ascii_ident_char(c) || c == '\\' || static_cast<unsigned char>(c) >= 0x80;
}

constexpr int hex_digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A \uXXXX or \UXXXXXXXX escape at the start of `s`: its code point and length in `s`, or
// length 0 when malformed or when it names a character no identifier can hold (C++20 lex.charset:
// no controls, no basic characters other than $ @ `, no surrogates).
struct escape_code {
  char32_t code_point = 0;
  std::size_t length = 0;
};

constexpr escape_code read_escape(std::string_view s) {
  if (s.size() < 2 || s[0] != '\\') return {};
  const std::size_t digits = s[1] == 'u' ? 4 : s[1] == 'U' ? 8 : 0;
  if (digits == 0 || s.size() < 2 + digits) return {};
  char32_t cp = 0;
  for (std::size_t i = 0; i != digits; ++i) {
    const int d = hex_digit_value(s[2 + i]);
    if (d < 0) return {};
    cp = cp * 16 + static_cast<char32_t>(d);
  }
  const bool allowed = (cp == 0x24 || cp == 0x40 || cp == 0x60 || cp >= 0xA0) &&
                       !(cp >= 0xD800 && cp <= 0xDFFF) && cp <= 0x10FFFF;
  return allowed ? escape_code{cp, 2 + digits} : escape_code{};
}

constexpr std::size_t utf8_length(char32_t cp) {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

// Length of the well-formed UTF-8 sequence starting `s`, 0 when ill-formed (a byte from a
// non-UTF-8 code page, an overlong form, a surrogate).
constexpr std::size_t utf8_sequence_length(std::string_view s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  if (b0 < 0x80) return 1;
  std::size_t len = 0;
  char32_t cp = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (s.size() < len) return 0;
  for (std::size_t i = 1; i != len; ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (utf8_length(cp) != len || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

enum class name_error {
  none,
  not_found,        // no identifier where the signature should end with one
  unrepresentable,  // the compiler printed '?' for characters its execution charset lacks
  not_utf8,         // bytes that are not UTF-8: the compiler's execution charset is not UTF-8
  bad_escape,       // a \u escape that is malformed or names a non-identifier character
};

constexpr name_error check_identifier_text(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] == '\\') {
      const escape_code e = read_escape(s.substr(i));
      if (e.length == 0) return name_error::bad_escape;
      i += e.length;
    } else {
      const std::size_t n = utf8_sequence_length(s.substr(i));
      if (n == 0) return name_error::not_utf8;
      i += n;
    }
  }
  return name_error::none;
}

// An identifier as sqler stores it: UTF-8, no escapes, not starting with a digit.
constexpr bool is_utf8_identifier(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (const char c : s)
    if (!is_ascii_ident_char(c) && static_cast<unsigned char>(c) < 0x80) return false;
  return check_identifier_text(s) == name_error::none;
}

// Writes `s` with its \u escapes replaced by UTF-8 into `out` (unless null); returns the length.
// Malformed escapes are copied as they are: callers reject them through check_identifier_text.
constexpr std::size_t decode_escapes(std::string_view s, char* out) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size();) {
    const escape_code e = s[i] == '\\' ? read_escape(s.substr(i)) : escape_code{};
    if (e.length == 0) {
      if (out) out[n] = s[i];
      ++n;
      ++i;
      continue;
    }
    const std::size_t len = utf8_length(e.code_point);
    if (out) {
      constexpr unsigned char lead[] = {0, 0, 0xC0, 0xE0, 0xF0};
      char32_t cp = e.code_point;
      for (std::size_t k = len; k-- > 1;) {
        out[n + k] = static_cast<char>(0x80 | (cp & 0x3F));
        cp >>= 6;
      }
      out[n] = static_cast<char>(len == 1 ? cp : (lead[len] | cp));
    }
    n += len;
    i += e.length;
  }
  return n;
}

// Text computed at compile time with a capacity fixed by its type and a length of its own.
template <std::size_t N>
struct small_text {
  char data[N + 1]{};
  std::size_t size = 0;
  constexpr std::string_view view() const noexcept { return {data, size}; }
};

template <std::size_t N>
constexpr small_text<N> decoded_identifier(std::string_view s) {
  small_text<N> out;
  if (decode_escapes(s, nullptr) <= N) out.size = decode_escapes(s, out.data);
  return out;
}

constexpr std::string_view drop_suffix(std::string_view s, std::string_view suffix) {
  return s.ends_with(suffix) ? s.substr(0, s.size() - suffix.size()) : s;
}

// MSVC and g++ -fno-pretty-templates print `f<ARGS>(void)` / `f<ARGS>()`, where g++ and clang
// otherwise print `f() [with ARGS]` / `f() [ARGS]`: the parameter list is noise at the end.
constexpr std::string_view drop_parameter_list(std::string_view sig) {
  return drop_suffix(drop_suffix(drop_suffix(sig, " noexcept"), "(void)"), "()");
}

// ---------------------------------------------------------------- member names
// The signature of member_signature<T, pointer_wrapper{&fake.member}> ends with the member's
// name, however each compiler spells the object before it:
//   g++     `...(& fake_holder<ns::U>.sqler::detail::fake_storage<ns::U>::value.ns::U::age))}]`
//   clang   `...{&fake_holder.value.age}]`
//   MSVC    `...{&sqler::detail::fake_holder<struct ns::U>->value->age}>(void)`
// so the name is cut from the end (the middle can hold `{anonymous}::`, `main()::`, `<...>`)
// and must follow `.`, `::` or `->`: anything else means the format is not understood.
struct member_name_parse {
  std::string_view text;  // as printed: may hold \u escapes (see decoded_identifier)
  name_error error = name_error::none;
};

constexpr member_name_parse parse_member_name(std::string_view sig) {
  sig = drop_parameter_list(sig);
  std::size_t end = sig.size();
  while (end > 0 && (sig[end - 1] == ']' || sig[end - 1] == '}' || sig[end - 1] == ')' ||
                     sig[end - 1] == '>' || sig[end - 1] == ' '))
    --end;
  std::size_t begin = end;
  while (begin > 0 && is_printed_ident_char(sig[begin - 1])) --begin;
  const std::string_view name = sig.substr(begin, end - begin);
  const std::string_view before = sig.substr(0, begin);
  if (before.ends_with('?')) return {name, name_error::unrepresentable};
  if (name.empty() || (name[0] >= '0' && name[0] <= '9') ||
      !(before.ends_with('.') || before.ends_with("::") || before.ends_with("->")))
    return {name, name_error::not_found};
  return {name, check_identifier_text(name)};
}

// ---------------------------------------------------------------- type names
// The type argument of type_signature<T>():
//   g++     `constexpr auto sqler::detail::type_signature() [with T = ns::User]`
//   clang   `auto sqler::detail::type_signature() [T = ns::User]`
//   MSVC    `auto __cdecl sqler::detail::type_signature<struct ns::User>(void)`
// MSVC's class-key prefix (`struct `, `class `, `union `, `enum `) is dropped. Empty when the
// format is not understood.
constexpr std::string_view parse_type_name(std::string_view sig) {
  std::string_view t;
  if (sig.ends_with(']')) {
    std::size_t b = sig.find("[with T = ");
    if (b != std::string_view::npos) {
      b += 10;
    } else if ((b = sig.find("[T = ")) != std::string_view::npos) {
      b += 5;
    } else {
      return {};
    }
    std::size_t e = b;
    for (int depth = 0; e < sig.size(); ++e) {  // g++ lists more parameters after a ';'
      const char c = sig[e];
      if (c == '<' || c == '(' || c == '[' || c == '{') {
        ++depth;
      } else if (c == '>' || c == ')' || c == ']' || c == '}') {
        if (depth == 0) break;
        --depth;
      } else if (c == ';' && depth == 0) {
        break;
      }
    }
    t = sig.substr(b, e - b);
  } else {
    sig = drop_parameter_list(sig);
    const std::size_t b = sig.find('<');  // the function returns `auto`: no '<' before its name
    if (b == std::string_view::npos || !sig.ends_with('>')) return {};
    t = sig.substr(b + 1, sig.size() - b - 2);
  }
  for (const std::string_view key : {std::string_view{"struct "}, std::string_view{"class "},
                                     std::string_view{"union "}, std::string_view{"enum "}}) {
    if (t.starts_with(key)) {
      t.remove_prefix(key.size());
      break;
    }
  }
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);  // g++ -fno-pretty-templates: `X<Y> >`
  return t;
}

// One spelling of a type's name for every compiler, for text that outlives a build (the type
// that owns a table): no class-keys, the anonymous namespace always `(anonymous namespace)`
// (g++ prints `{anonymous}`, MSVC `` `anonymous namespace' `` or `` `anonymous-namespace' ``),
// spaces only between two identifier characters, \u escapes as UTF-8. Writes into `out` unless
// null; returns the length.
constexpr std::size_t canonicalize_type_name(std::string_view in, char* out) {
  constexpr std::string_view anonymous = "(anonymous namespace)";
  std::size_t n = 0;
  char last = 0;
  const auto put = [&](std::string_view s) {
    for (const char c : s) {
      if (out) out[n] = c;
      ++n;
      last = c;
    }
  };
  for (std::size_t i = 0; i < in.size();) {
    const std::string_view rest = in.substr(i);
    if (rest.starts_with("{anonymous}")) {
      put(anonymous);
      i += 11;
      continue;
    }
    if (rest.starts_with("`anonymous namespace'") || rest.starts_with("`anonymous-namespace'")) {
      put(anonymous);
      i += 21;
      continue;
    }
    if (i == 0 || !is_ascii_ident_char(in[i - 1])) {
      bool keyword = false;
      for (const std::string_view key : {std::string_view{"struct "}, std::string_view{"class "},
                                         std::string_view{"union "}, std::string_view{"enum "}}) {
        if (rest.starts_with(key)) {
          i += key.size();
          keyword = true;
          break;
        }
      }
      if (keyword) continue;
    }
    if (in[i] == ' ') {
      std::size_t next = i;
      while (next < in.size() && in[next] == ' ') ++next;
      if (next < in.size() && is_printed_ident_char(last) && is_printed_ident_char(in[next]) &&
          in[next] != '\\')
        put(" ");
      i = next;
      continue;
    }
    const escape_code e = in[i] == '\\' ? read_escape(rest) : escape_code{};
    if (e.length != 0) {
      char buffer[4]{};
      put(std::string_view{buffer, decode_escapes(rest.substr(0, e.length), buffer)});
      i += e.length;
      continue;
    }
    put(rest.substr(0, 1));
    ++i;
  }
  return n;
}

template <std::size_t N>
constexpr small_text<N> canonical_type_text(std::string_view printed) {
  small_text<N> out;
  if (canonicalize_type_name(printed, nullptr) <= N)
    out.size = canonicalize_type_name(printed, out.data);
  return out;
}

// Whether a canonical name means the same type to every compiler: identifiers joined by `::`,
// `(anonymous namespace)` counting as one. Template arguments are spelled differently by each
// compiler (`std::__cxx11::basic_string<char>` vs `std::basic_string<char>`), and local types,
// lambdas and cv-qualified types have no portable spelling at all.
// (Index loops, not string_view::find: g++ 12 with -fsanitize=undefined cannot evaluate
// find's null-pointer test on a static constexpr buffer at compile time.)
constexpr bool is_portable_type_name(std::string_view s) {
  std::size_t start = 0;
  for (std::size_t i = 0;; ++i) {
    const bool end = i == s.size();
    if (!end && !(s[i] == ':' && i + 1 < s.size() && s[i + 1] == ':')) continue;
    const std::string_view part = s.substr(start, i - start);
    if (part != "(anonymous namespace)" && !is_utf8_identifier(part)) return false;
    if (end) return true;
    start = i + 2;
    ++i;
  }
}

// ---------------------------------------------------------------- compile-time reflection

// An object of T that is never constructed: only its members' addresses are taken, in
// constant expressions. A defined union (rather than an undefined extern variable) keeps this
// working for types in anonymous namespaces, which clang refuses to leave undefined; it is not
// constexpr because T need not be a literal type (e.g. members holding a std::shared_ptr).
template <class T>
union fake_storage {
  char unused;
  T value;
  constexpr fake_storage() : unused() {}
  ~fake_storage() {}
};

template <class T>
inline const fake_storage<T> fake_holder{};

template <class T>
inline constexpr const T& fake_object = fake_holder<T>.value;

// The signature readers return `auto`: with a named return type g++ appends its expansion
// (`; std::string_view = std::basic_string_view<char>`) to the signature.
template <class T>
constexpr auto type_signature() {
#if SQLER_COMPILER_MSVC
  return std::string_view{__FUNCSIG__};
#else
  return std::string_view{__PRETTY_FUNCTION__};
#endif
}

// __FUNCSIG__ is a narrow string literal, so on MSVC non-ASCII names are UTF-8 only under
// /utf-8 (or /execution-charset:utf-8); MSVC before 19.31 does not say, so it is taken as not.
// g++ prints identifiers as UTF-8 whatever -fexec-charset says, and clang knows only UTF-8.
#if SQLER_COMPILER_MSVC
#if defined(_MSVC_EXECUTION_CHARACTER_SET)
inline constexpr bool signature_text_is_utf8 = _MSVC_EXECUTION_CHARACTER_SET == 65001;
#else
inline constexpr bool signature_text_is_utf8 = false;
#endif
#else
inline constexpr bool signature_text_is_utf8 = true;
#endif

constexpr bool is_ascii(std::string_view s) {
  for (const char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

#if !SQLER_DETAIL_PFR_HAS_NAMES
// clang 14 rejects a raw pointer-to-subobject as a template argument unless wrapped.
template <class P>
struct pointer_wrapper {
  P p;
};

// T is there for MSVC, which otherwise reuses one signature for members at the same offset of
// different structs (Boost.PFR core_name20_static.hpp; nameof issue #37).
template <class T, auto Wrapped>
constexpr auto member_signature() {
#if SQLER_COMPILER_MSVC
  return std::string_view{__FUNCSIG__};
#else
  return std::string_view{__PRETTY_FUNCTION__};
#endif
}

template <class T, std::size_t I>
struct parsed_member_name {
  static constexpr member_name_parse parsed = parse_member_name(
      member_signature<T, pointer_wrapper<const member_type<T, I>*>{std::addressof(
                              std::get<I>(boost::pfr::structure_tie(fake_object<T>)))}>());
  static_assert(parsed.error != name_error::not_found,
                "sqler: cannot find a member's name in the compiler's function signature "
                "(unrecognised __PRETTY_FUNCTION__/__FUNCSIG__ format)");
  static_assert(parsed.error != name_error::unrepresentable,
                "sqler: the compiler printed a member name with characters its execution "
                "character set lacks (MSVC: compile with /utf-8)");
  static_assert(parsed.error != name_error::not_utf8,
                "sqler: a member name is not UTF-8 in the compiler's function signature "
                "(MSVC: compile with /utf-8)");
  static_assert(parsed.error != name_error::bad_escape,
                "sqler: a member name holds a \\u escape sqler cannot decode to UTF-8");
  static constexpr auto storage =
      decoded_identifier<decode_escapes(parsed.text, nullptr)>(parsed.text);
  static constexpr std::string_view value = storage.view();
};

// A struct whose names are known, to check the parser against this compiler once.
struct name_probe {
  int sqler_first;
  long sqler_second;
};

template <class>
inline constexpr bool member_name_parser_works =
    parsed_member_name<name_probe, 0>::value == "sqler_first" &&
    parsed_member_name<name_probe, 1>::value == "sqler_second";
#endif

template <class T, std::size_t I>
consteval std::string_view member_name_impl() {
#if SQLER_DETAIL_PFR_HAS_NAMES
  return boost::pfr::get_name<I, T>();
#else
  return parsed_member_name<T, I>::value;
#endif
}

// All of T's member names, checked together: a parsing mistake must never map two members to
// one JSON key (the second would silently overwrite the first on decode) or to no key at all.
template <class T>
struct checked_member_names {
  static constexpr auto names = []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<std::string_view, sizeof...(I)>{member_name_impl<T, I>()...};
  }(std::make_index_sequence<member_count<T>>{});

  static constexpr bool all_non_empty = [] {
    for (const std::string_view n : names)
      if (n.empty()) return false;
    return true;
  }();
  static constexpr bool all_identifiers = [] {
    for (const std::string_view n : names)
      if (!n.empty() && !is_utf8_identifier(n)) return false;
    return true;
  }();
  static constexpr bool all_ascii = [] {
    for (const std::string_view n : names)
      if (!is_ascii(n)) return false;
    return true;
  }();
  static constexpr bool all_distinct = [] {
    for (std::size_t i = 0; i < names.size(); ++i)
      for (std::size_t j = i + 1; j < names.size(); ++j)
        if (names[i] == names[j]) return false;
    return true;
  }();
#if !SQLER_DETAIL_PFR_HAS_NAMES
  static_assert(member_name_parser_works<T>,
                "sqler: member-name parsing gives wrong names on this compiler "
                "(unrecognised __PRETTY_FUNCTION__/__FUNCSIG__ format)");
#endif
  static_assert(all_non_empty, "sqler: a member of this struct reflects to an empty name");
  static_assert(all_identifiers,
                "sqler: a member of this struct reflects to a name that is not a UTF-8 "
                "identifier (MSVC: compile with /utf-8)");
  static_assert(signature_text_is_utf8 || all_ascii,
                "sqler: a non-ASCII member name needs a UTF-8 execution character set "
                "(MSVC: compile with /utf-8)");
  static_assert(all_distinct,
                "sqler: two members of this struct reflect to the same name, so their JSON keys "
                "would collide");
};

template <class T, std::size_t I>
struct member_name_holder {
  static constexpr std::string_view value = checked_member_names<T>::names[I];
};

template <class T, std::size_t I>
inline constexpr std::string_view member_name = member_name_holder<T, I>::value;

template <class T>
consteval auto member_names() {
  return checked_member_names<T>::names;
}

// Index of the member a pointer-to-member designates. Member pointers carry no index, so the
// member's address inside the fake object is compared with each reflected member's address.
template <class T, class M>
consteval std::size_t member_index_of(M T::*mp) {
  const void* target = std::addressof(fake_object<T>.*mp);
  std::size_t found = member_count<T>;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((found = (found == member_count<T> &&
                       static_cast<const void*>(std::addressof(
                           std::get<I>(boost::pfr::structure_tie(fake_object<T>)))) == target
                   ? I
                   : found)),
     ...);
  }(std::make_index_sequence<member_count<T>>{});
  return found;
}

// The type's spelling as this compiler prints it, e.g. "ns::User" or "ns::Box<int>".
template <class T>
consteval std::string_view full_type_name() {
  constexpr std::string_view name = parse_type_name(type_signature<T>());
  static_assert(!name.empty(),
                "sqler: cannot find a type's name in the compiler's function signature "
                "(unrecognised __PRETTY_FUNCTION__/__FUNCSIG__ format)");
  return name;
}

// The last component of the qualified name, found outside template arguments, so
// "ns::Outer<int>::Inner" -> "Inner" and "ns::Box<a::B>" -> "Box<a::B>".
template <class T>
consteval std::string_view unqualified_type_name() {
  const std::string_view s = full_type_name<T>();
  std::size_t start = 0;
  int depth = 0;
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] == '<' || s[i] == '(') ++depth;
    if (s[i] == '>' || s[i] == ')') --depth;
    if (depth == 0 && s[i] == ':' && s[i + 1] == ':') start = i + 2;
  }
  return s.substr(start);
}

template <class T>
struct canonical_type_name_holder {
  static constexpr std::string_view printed = full_type_name<std::remove_cvref_t<T>>();
  static constexpr auto storage =
      canonical_type_text<canonicalize_type_name(printed, nullptr)>(printed);
  static constexpr std::string_view value = storage.view();
};

// Whether canonical_type_name<T>() exists: T (cv-ref ignored) is a named class or enum at
// namespace or class scope, not a template specialization, local type or lambda.
template <class T>
inline constexpr bool has_canonical_type_name =
    is_portable_type_name(canonical_type_name_holder<T>::value);

// T's name spelled the same by g++, clang and MSVC, e.g. "app::(anonymous namespace)::User", for
// storing in a database. Two limits the text cannot show: clang leaves out an inline namespace
// that g++ and MSVC print (`app::v1::User` is `app::User` to clang), and clang 14 prints a local
// class without its function, so neither kind of type should own a table.
template <class T>
consteval std::string_view canonical_type_name() {
  static_assert(has_canonical_type_name<T>,
                "sqler: this type has no compiler-independent name (template specializations, "
                "local classes and lambdas are spelled differently by each compiler)");
  return canonical_type_name_holder<T>::value;
}

template <class T>
concept has_member_table_name = requires {
  { T::sqler_table } -> std::convertible_to<std::string_view>;
};

template <class T>
concept has_trait_table_name = requires {
  { table_name_of<T>::value } -> std::convertible_to<std::string_view>;
};

template <class T>
consteval std::string_view table_name_impl() {
  if constexpr (has_trait_table_name<T>)
    return table_name_of<T>::value;
  else if constexpr (has_member_table_name<T>)
    return T::sqler_table;
  else {
    // Box<int> and Box<double> would both default to "Box", and compilers spell template
    // arguments differently: make the user choose.
    static_assert(unqualified_type_name<T>().find('<') == std::string_view::npos,
                  "sqler: a class template specialization has no default table name; give it "
                  "one with a `static constexpr std::string_view sqler_table = \"...\";` member "
                  "or a sqler::table_name_of<T> specialization");
    return unqualified_type_name<T>();
  }
}

template <class T>
struct table_name_holder {
  static constexpr std::string_view value = table_name_impl<T>();
  static_assert(!value.empty(), "sqler: table name must not be empty");
  static_assert(value.find('"') == std::string_view::npos,
                "sqler: table name must not contain a double quote");
};

}  // namespace detail

// The table a document type is stored in (compile-time constant).
template <class T>
inline constexpr std::string_view table_name = detail::table_name_holder<T>::value;

}  // namespace sqler
