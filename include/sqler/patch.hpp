// sqler/patch.hpp - atomic in-place updates: set, inc, push.
// coll.update(id, sqler::set(f, v), sqler::inc(g, 1), sqler::push(tags, 7)) runs one UPDATE;
// no read-modify-write round trip, so concurrent updates never lose each other's changes. Every
// op reads the document as it was before the UPDATE: two ops on the same path do not see each
// other.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>

#include "sqler/codec.hpp"
#include "sqler/detail/dsl/patch_ops.hpp"
#include "sqler/detail/float_bits.hpp"
#include "sqler/detail/text.hpp"
#include "sqler/error.hpp"
#include "sqler/field.hpp"

namespace sqler {

// Sets the member at the field's path to `value`, or to an expression over the document's
// fields: set(score, score * 2 + 5), set(best, other_field).
template <class F, class V>
auto set(const F&, const V& value) {
  static_assert(detail::operand<F> && requires { F::path; },
                "sqler: set(field, value): the first argument must be a sqler::field");
  if constexpr (detail::operand<V>)
    return detail::set_expression<F>(value);
  else
    return detail::set_value<F>(value);
}

// Adds `by` to a numeric member (a missing member counts as 0).
template <class F, class N>
auto inc(const F&, N by) {
  static_assert(detail::operand<F> && requires { F::path; },
                "sqler: inc(field, n): the first argument must be a sqler::field");
  static_assert(detail::kind_of<typename F::value_type>() == detail::value_kind::number,
                "sqler: inc() needs a numeric member");
  static_assert(std::is_arithmetic_v<N> && !std::is_same_v<N, bool>,
                "sqler: inc(field, n): n must be a number");
  if constexpr (std::is_integral_v<typename F::value_type>) {
    static_assert(std::is_integral_v<N>,
                  "sqler: inc(): an integer member must be incremented by an integer");
    if constexpr (std::is_unsigned_v<N> && sizeof(N) >= sizeof(std::int64_t)) {
      if (by > static_cast<N>(INT64_MAX))
        throw encode_error(detail::str_cat({"sqler: inc(): the step ", std::to_string(by),
                                            " is out of range for SQLite's 64-bit integers"}));
    }
    return detail::inc_op<F, std::int64_t>{static_cast<std::int64_t>(by)};
  } else {
    // SQLite would bind a NaN as NULL and store null, which no double member can read back.
    if (!detail::is_finite(static_cast<double>(by)))
      throw encode_error("sqler: inc(): the step is out of range: NaN and infinity cannot be "
                         "stored in JSON");
    return detail::inc_op<F, double>{static_cast<double>(by)};
  }
}

// Appends `value` to an array member.
template <class F, class V>
auto push(const F&, const V& value) {
  static_assert(detail::operand<F> && requires { F::path; },
                "sqler: push(field, value): the first argument must be a sqler::field");
  using M = typename F::value_type;
  static_assert(detail::is_vector<M>, "sqler: push() needs a std::vector member");
  if constexpr (detail::is_vector<M>) {
    using E = typename M::value_type;
    static_assert(std::is_constructible_v<E, const V&>,
                  "sqler: push(field, value): the value cannot be stored as an element");
    std::string json;
    encode(static_cast<const E&>(detail::convert_for_member<E>(value)), json);
    return detail::json_value_op<F, true>{std::move(json)};
  }
}

}  // namespace sqler
