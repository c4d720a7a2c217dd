// sqler/detail/codec.hpp - struct <-> JSON text, the implementation.
// Aggregates become objects keyed by member name (from reflection); encoding appends straight
// into a reusable buffer and decoding pulls from the text directly into the destination, with
// no DOM in between. Members a document lacks take their default member initializers.
#pragma once

#include <array>
#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "sqler/customize.hpp"
#include "sqler/detail/charconv.hpp"
#include "sqler/detail/json_io.hpp"
#include "sqler/detail/reflect.hpp"
#include "sqler/detail/text.hpp"
#include "sqler/detail/type_traits.hpp"
#include "sqler/error.hpp"
#include "sqler/ref.hpp"

namespace sqler::detail {


// A type with its own JSON conversion (sqler::json_conversion<T>, customize.hpp).
template <class T>
concept json_convertible = requires(const T& t, T& v, std::string& out, std::string_view in) {
  json_conversion<T>::to_json(t, out);
  json_conversion<T>::from_json(in, v);
};

// Instantiated only for a type the codec cannot store; the type appears in the compiler's
// "required from" note right under the message.
template <class T>
struct unsupported_member_type {
  static_assert(always_false<T>,
                "sqler: unsupported member type. Supported: arithmetic, bool, std::string, "
                "std::optional, std::vector, std::array, std::map<std::string,T>, enums, nested "
                "aggregates, sqler::ref<T>, or a type with a sqler::json_conversion<T> "
                "(sqler/boost_json.hpp provides one for Boost.JSON tag_invoke types)");
  static constexpr bool value = false;
};

// The same for a member of a struct: the struct, the member's name and its type are this
// template's arguments, which the compiler prints with the message
// (unsupported_member<User, fixed_string<4>{"tags"}, std::list<int>>).
template <class Struct, auto Name, class M>
struct unsupported_member {
  static_assert(always_false<M>,
                "sqler: unsupported member type (the member's name and type are the template "
                "arguments of sqler::detail::unsupported_member shown with this error). "
                "Supported: arithmetic, bool, std::string, std::optional, std::vector, "
                "std::array, std::map<std::string,T>, enums, nested aggregates, sqler::ref<T>, "
                "or a type with a sqler::json_conversion<T> (sqler/boost_json.hpp provides one "
                "for types with Boost.JSON tag_invoke overloads)");
  static constexpr bool value = false;
};

// Whether the codec can store T; a nested aggregate counts as storable here because its own
// members are checked where it is encoded, so the error names the innermost member.
template <class T>
consteval bool is_storable() {
  if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T> ||
                std::is_convertible_v<const T&, std::string_view> || is_ref<T>)
    return true;
  else if constexpr (is_optional<T> || is_vector<T> || is_std_array<T>)
    return is_storable<typename T::value_type>();
  else if constexpr (is_string_map<T>)
    return is_storable<typename T::mapped_type>();
  else
    return json_convertible<T> || reflectable<T>;
}

template <class T>
struct members_storable {
  static constexpr bool value = []<std::size_t... I>(std::index_sequence<I...>) {
    return (is_storable<member_type<T, I>>() && ...);
  }(std::make_index_sequence<member_count<T>>{});
};

// Instantiates unsupported_member for each bad member of T. Encode and decode both call it,
// but a class template is instantiated once, so each bad member is reported once.
template <class T>
void report_unsupported_members() {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (([] {
       using M = member_type<T, I>;
       if constexpr (!is_storable<M>())
         (void)sizeof(unsupported_member<T, to_fixed<member_name_holder<T, I>>(), M>);
     }()),
     ...);
  }(std::make_index_sequence<member_count<T>>{});
}

template <class T>
concept storable_aggregate = reflectable<T> && !json_convertible<T>;

// How deep encode() nests objects and arrays for a T, at most (a struct is one level, each
// array or map one more; scalars none); unbounded for a type whose text comes from a user's
// json_conversion (sqler does not write it) and for a recursive type (its depth is the data's).
// The branches follow encode_value's.
inline constexpr int unbounded_depth = std::numeric_limits<int>::max();

// Enclosing: the structs around T (a type can only hold itself through a struct).
template <class T, class... Enclosing>
consteval int encoded_depth() {
  constexpr auto deeper = [](int inner) { return inner == unbounded_depth ? inner : inner + 1; };
  if constexpr ((std::is_same_v<T, Enclosing> || ...)) {
    return unbounded_depth;  // T holds itself
  } else if constexpr (std::is_same_v<T, bool> || json_integer<T> || std::is_floating_point_v<T> ||
                       std::is_enum_v<T> || std::is_convertible_v<const T&, std::string_view>) {
    return 0;
  } else if constexpr (is_optional<T>) {
    return encoded_depth<typename T::value_type, Enclosing...>();
  } else if constexpr (is_ref<T>) {
    return 1;
  } else if constexpr (is_vector<T> || is_std_array<T>) {
    return deeper(encoded_depth<typename T::value_type, Enclosing...>());
  } else if constexpr (is_string_map<T>) {
    return deeper(encoded_depth<typename T::mapped_type, Enclosing...>());
  } else if constexpr (json_convertible<T> || !reflectable<T>) {
    return unbounded_depth;
  } else {
    return deeper([]<std::size_t... I>(std::index_sequence<I...>) {
      int depth = 0;
      for (int d : {0, encoded_depth<member_type<T, I>, T, Enclosing...>()...})
        if (d > depth) depth = d;
      return depth;
    }(std::make_index_sequence<member_count<T>>{}));
  }
}

// Whether every document encode() writes for a T is one readable_json() accepts, whatever the
// values: sqler writes all of its text (no json_conversion), escapes every string, refuses NaN
// and infinities, and its nesting is bounded by json_reader::max_depth. Such a document needs
// no validity scan where it is written (the SQLite backend's json_valid skips the documents it
// is told were just encoded; json_valid_test checks the property on random documents).
template <class T>
inline constexpr bool always_readable = encoded_depth<T>() <= json_reader::max_depth;

// ---------------------------------------------------------------- encoding

template <class T>
void encode_value(std::string& out, const T& v);

template <class T>
void encode_members_impl(std::string& out, const T& v);

template <class T>
void encode_members(std::string& out, const T& v) {
  if constexpr (members_storable<T>::value)
    encode_members_impl(out, v);
  else
    report_unsupported_members<T>();
}

// What precedes member I's value: `{"name":` for the first, `,"name":` for the others, one
// constant text so that encoding appends it at once. Member names are checked identifiers:
// nothing to escape.
template <class T, std::size_t I>
struct member_key_text {
  static constexpr std::string_view name = member_name<T, I>;
  static constexpr auto chars = [] {
    std::array<char, name.size() + 4> a{};
    a[0] = I == 0 ? '{' : ',';
    a[1] = '"';
    for (std::size_t k = 0; k < name.size(); ++k) a[2 + k] = name[k];
    a[name.size() + 2] = '"';
    a[name.size() + 3] = ':';
    return a;
  }();
  static constexpr std::string_view text{chars.data(), chars.size()};
};

template <class T>
void encode_members_impl(std::string& out, const T& v) {
  if constexpr (member_count<T> == 0) {
    out += "{}";
  } else {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      ((out.append(member_key_text<T, I>::text), encode_value(out, boost::pfr::get<I>(v))), ...);
    }(std::make_index_sequence<member_count<T>>{});
    out.push_back('}');
  }
}

template <class T>
void encode_value(std::string& out, const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    out += v ? "true" : "false";
  } else if constexpr (json_integer<T>) {
    write_number(out, v);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!(v == v) || v - v != 0)  // NaN or infinity
      throw encode_error("sqler: cannot encode a NaN or infinite number: JSON has no form for it");
    write_number(out, v);
  } else if constexpr (std::is_enum_v<T>) {
    write_number(out, static_cast<std::underlying_type_t<T>>(v));
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    write_escaped(out, std::string_view(v));
  } else if constexpr (is_optional<T>) {
    if (v)
      encode_value(out, *v);
    else
      out += "null";
  } else if constexpr (is_ref<T>) {
    if (v.empty()) {
      out += "null";
    } else {
      static constexpr std::string_view table = table_name<typename T::element_type>;
      out += "{\"_table\":";
      write_escaped(out, table);
      out += ",\"_id\":";
      write_number(out, v.id());
      out.push_back('}');
    }
  } else if constexpr (is_vector<T> || is_std_array<T>) {
    out.push_back('[');
    bool first = true;
    for (const auto& e : v) {
      if (!first) out.push_back(',');
      first = false;
      encode_value(out, static_cast<const typename T::value_type&>(e));
    }
    out.push_back(']');
  } else if constexpr (is_string_map<T>) {
    out.push_back('{');
    bool first = true;
    for (const auto& [k, e] : v) {
      if (!first) out.push_back(',');
      first = false;
      write_escaped(out, k);
      out.push_back(':');
      encode_value(out, e);
    }
    out.push_back('}');
  } else if constexpr (json_convertible<T>) {
    json_conversion<T>::to_json(v, out);
  } else if constexpr (reflectable<T>) {
    encode_members(out, v);
  } else {
    static_assert(unsupported_member_type<T>::value);
  }
}

// ---------------------------------------------------------------- decoding

template <class T>
void decode_value(json_reader& r, T& out, const path_node* path);

template <class Int>
Int parse_integer(json_reader& r, const path_node* path) {
  const std::string_view text = r.read_number(path, "an integer");
  Int value{};
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  const bool negative_into_unsigned = std::is_unsigned_v<Int> && text.front() == '-';
  if (ec == std::errc::result_out_of_range || negative_into_unsigned)
    fail_at(path, str_cat({text, " is out of range for the member's integer type"}));
  if (ec != std::errc{} || ptr != text.data() + text.size())
    fail_at(path, str_cat({"expected an integer, got ", text}));
  return value;
}

template <class Float>
Float read_floating(json_reader& r, const path_node* path) {
  const std::string_view text = r.read_number(path, "a number");
  Float value{};
  // parse_floating: std::from_chars where the library has it for floating point (not libc++
  // 14), else an exact fallback (charconv.hpp).
  const auto [ptr, ec] = parse_floating(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range)
    fail_at(path, str_cat({text, " is out of range for the member's floating-point type"}));
  if (ec != std::errc{} || ptr != text.data() + text.size())
    fail_at(path, str_cat({"malformed number ", text}));
  return value;
}

template <class T>
void decode_members_impl(json_reader& r, T& out, const path_node* path);

// A value-initialised T: where members missing from a document take their defaults from.
template <class T>
const T& default_instance() {
  static const T instance{};
  return instance;
}

template <class T>
void decode_members(json_reader& r, T& out, const path_node* path) {
  if constexpr (members_storable<T>::value)
    decode_members_impl(r, out, path);
  else
    report_unsupported_members<T>();
}

template <class T>
void decode_members_impl(json_reader& r, T& out, const path_node* path) {
  constexpr std::size_t n = member_count<T>;
  constexpr auto names = member_names<T>();
  if (r.peek() != '{') r.fail_type(path, "an object");
  r.consume('{');
  bool seen[n + 1] = {};
  std::string scratch;
  std::size_t hint = 0;  // documents sqler wrote list members in declaration order
  if (!r.consume('}')) {
    do {
      const std::string_view key = r.read_key(scratch, path);
      r.expect(':', path);
      std::size_t idx = n;
      if (hint < n && names[hint] == key) {
        idx = hint;
      } else {
        for (std::size_t i = 0; i != n; ++i)
          if (names[i] == key) {
            idx = i;
            break;
          }
      }
      if (idx == n) {
        r.skip_value(path);  // members the struct doesn't have are ignored
        continue;
      }
      hint = idx + 1;
      seen[idx] = true;
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        (void)((idx == I && ([&] {
                  const path_node child{path, names[I], 0};
                  decode_value(r, boost::pfr::get<I>(out), &child);
                  return true;
                }())) ||
               ...);
      }(std::make_index_sequence<n>{});
    } while (r.consume(','));
    r.expect('}', path);
  }
  // Members the document lacks take their default member initializer (documents written
  // before the member existed stay readable), or fail for a strict type. Assigning them, rather
  // than leaving them alone, matters when one object receives row after row (streaming).
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (([&] {
       if (seen[I]) return;
       using M = member_type<T, I>;
       if constexpr (strict<T>::value && !is_optional<M>) {
         const path_node child{path, names[I], 0};
         fail_at(&child, "required member is missing (the type is strict)");
       } else {
         boost::pfr::get<I>(out) = boost::pfr::get<I>(default_instance<T>());
       }
     }()),
     ...);
  }(std::make_index_sequence<n>{});
}

template <class T>
void decode_value(json_reader& r, T& out, const path_node* path) {
  if constexpr (std::is_same_v<T, bool>) {
    out = r.read_bool(path);
  } else if constexpr (json_integer<T>) {
    out = parse_integer<T>(r, path);
  } else if constexpr (std::is_floating_point_v<T>) {
    out = read_floating<T>(r, path);
  } else if constexpr (std::is_enum_v<T>) {
    out = static_cast<T>(parse_integer<std::underlying_type_t<T>>(r, path));
  } else if constexpr (std::is_same_v<T, std::string>) {
    r.read_string(out, path);
  } else if constexpr (is_optional<T>) {
    if (r.try_null()) {
      out.reset();
    } else {
      if (!out) out.emplace();
      decode_value(r, *out, path);
    }
  } else if constexpr (is_ref<T>) {
    out.reset();
    if (r.try_null()) return;
    if (r.peek() != '{') r.fail_type(path, "a reference object {\"_table\":...,\"_id\":...}");
    r.consume('{');
    std::string scratch, table;
    std::optional<std::int64_t> id;
    bool has_table = false;
    if (!r.consume('}')) {
      do {
        const std::string_view key = r.read_key(scratch, path);
        r.expect(':', path);
        if (key == "_id") {
          id = parse_integer<std::int64_t>(r, path);
        } else if (key == "_table") {
          r.read_string(table, path);
          has_table = true;
        } else {
          r.skip_value(path);
        }
      } while (r.consume(','));
      r.expect('}', path);
    }
    if (!id) fail_at(path, "reference has no _id");
    constexpr std::string_view expected = table_name<typename T::element_type>;
    if (has_table && table != expected)
      fail_at(path,
              str_cat({"reference points into table \"", table, "\", expected \"", expected, "\""}));
    out = T(*id);
  } else if constexpr (is_vector<T>) {
    if (r.peek() != '[') r.fail_type(path, "an array");
    r.consume('[');
    out.clear();
    if (r.consume(']')) return;
    std::size_t i = 0;
    do {
      const path_node child{path, {}, i++};
      if constexpr (std::is_same_v<typename T::value_type, bool>) {
        out.push_back(r.read_bool(&child));
      } else {
        decode_value(r, out.emplace_back(), &child);
      }
    } while (r.consume(','));
    r.expect(']', path);
  } else if constexpr (is_std_array<T>) {
    if (r.peek() != '[') r.fail_type(path, "an array");
    r.consume('[');
    std::size_t i = 0;
    if (!r.consume(']')) {
      do {
        const path_node child{path, {}, i};
        if (i == out.size())
          fail_at(path, str_cat({"array has more than ", std::to_string(out.size()), " elements"}));
        decode_value(r, out[i++], &child);
      } while (r.consume(','));
      r.expect(']', path);
    }
    if (i != out.size())
      fail_at(path, str_cat({"expected ", std::to_string(out.size()), " elements, got ",
                             std::to_string(i)}));
  } else if constexpr (is_string_map<T>) {
    if (r.peek() != '{') r.fail_type(path, "an object");
    r.consume('{');
    out.clear();
    if (r.consume('}')) return;
    std::string scratch;
    do {
      const std::string_view key = r.read_key(scratch, path);
      r.expect(':', path);
      const path_node child{path, key, 0};
      decode_value(r, out[std::string(key)], &child);
    } while (r.consume(','));
    r.expect('}', path);
  } else if constexpr (json_convertible<T>) {
    const std::string_view text = r.value_text(path);
    try {
      json_conversion<T>::from_json(text, out);
    } catch (const decode_error& e) {
      fail_at(path, e.reason());  // the member's path, not the conversion's own
    } catch (const std::exception& e) {
      fail_at(path, str_cat({"the type's json_conversion::from_json threw: ", e.what()}));
    }
  } else if constexpr (reflectable<T>) {
    decode_members(r, out, path);
  } else {
    static_assert(unsupported_member_type<T>::value);
  }
}

}  // namespace sqler::detail
