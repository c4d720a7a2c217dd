// sqler/boost_json.hpp - store a type through its Boost.JSON conversions (opt-in adapter).
// Next to the type's tag_invoke overloads, say so once (and link sqler::boost_json):
//   template <> struct sqler::json_conversion<Rgb> : sqler::boost_json_conversion<Rgb> {};
// sqler then encodes it with value_from + serialize and decodes it with parse + value_to. The
// opt-in is per type, in the type's own header, so every translation unit stores it the same
// way; the core library does not depend on Boost.JSON.
#pragma once

#include <boost/json.hpp>

#include <concepts>
#include <string>
#include <string_view>
#include <utility>

#include "sqler/customize.hpp"
#include "sqler/error.hpp"

namespace sqler {

// A type with Boost.JSON tag_invoke overloads for both directions.
template <class T>
concept boost_json_convertible = requires(boost::json::value& jv, const T& t) {
  tag_invoke(boost::json::value_from_tag{}, jv, t);
  { tag_invoke(boost::json::value_to_tag<T>{}, std::as_const(jv)) } -> std::same_as<T>;
};

template <class T>
struct boost_json_conversion {
  static_assert(boost_json_convertible<T>,
                "sqler: boost_json_conversion<T>: T needs Boost.JSON tag_invoke overloads for "
                "value_from_tag and value_to_tag<T>");
  static void to_json(const T& value, std::string& out) {
    out += boost::json::serialize(boost::json::value_from(value));
  }
  // Parse errors and exceptions from value_to become sqler::decode_error naming the member.
  static void from_json(std::string_view json, T& value) {
    boost::system::error_code ec;
    boost::json::value jv = boost::json::parse(boost::json::string_view(json.data(), json.size()), ec);
    if (ec) throw decode_error("<value>", "invalid JSON: " + ec.message());
    value = boost::json::value_to<T>(jv);
  }
};

}  // namespace sqler
