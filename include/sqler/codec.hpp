// sqler/codec.hpp - a document type to JSON text and back, as sqler stores it.
// to_json/from_json for whole values, encode/decode to reuse buffers and objects; decode errors
// name the member that failed (sqler::decode_error::path()).
#pragma once

#include <string>
#include <string_view>

#include "sqler/detail/codec.hpp"

namespace sqler {

// Appends the JSON form of `value` to `out`.
template <class T>
void encode(const T& value, std::string& out) {
  detail::encode_value(out, value);
}

template <class T>
std::string to_json(const T& value) {
  std::string out;
  detail::encode_value(out, value);
  return out;
}

// Decodes `json` into `out`; throws sqler::decode_error naming the member that failed.
template <class T>
void decode(std::string_view json, T& out) {
  detail::json_reader r(json);
  detail::decode_value(r, out, nullptr);
  r.expect_end(nullptr);
}

template <class T>
T from_json(std::string_view json) {
  T out{};
  decode(json, out);
  return out;
}

}  // namespace sqler
