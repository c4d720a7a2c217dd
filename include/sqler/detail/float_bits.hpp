// sqler/detail/float_bits.hpp - the IEEE 754 tests sqler makes on floats and doubles, read off
// their bits. <cmath> would give them too, but with C++17's special functions it costs every
// translation unit ~0.08 s to parse (g++ 12 and clang 14), for four functions sqler uses.
#pragma once

#include <bit>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace sqler::detail {

template <class F>
struct float_layout {
  static_assert(std::is_same_v<F, float> || std::is_same_v<F, double>);
  static_assert(std::numeric_limits<F>::is_iec559, "sqler: needs IEEE 754 floating point");
  using bits = std::conditional_t<std::is_same_v<F, float>, std::uint32_t, std::uint64_t>;
  static_assert(sizeof(bits) == sizeof(F));
  static constexpr bits sign = bits{1} << (sizeof(F) * 8 - 1);
  static constexpr bits significand = (bits{1} << (std::numeric_limits<F>::digits - 1)) - 1;
  static constexpr bits exponent = ~sign & ~significand;  // all ones: infinity or NaN
};

// std::isfinite: neither infinite nor NaN.
template <class F>
constexpr bool is_finite(F v) noexcept {
  using L = float_layout<F>;
  return (std::bit_cast<typename L::bits>(v) & L::exponent) != L::exponent;
}

// std::isinf: +/- infinity.
template <class F>
constexpr bool is_infinite(F v) noexcept {
  using L = float_layout<F>;
  return (std::bit_cast<typename L::bits>(v) & ~L::sign) == L::exponent;
}

// std::signbit: set for negative numbers, -0.0 and NaNs with the sign bit.
template <class F>
constexpr bool sign_bit(F v) noexcept {
  using L = float_layout<F>;
  return (std::bit_cast<typename L::bits>(v) & L::sign) != 0;
}

// std::fabs: v without its sign bit.
template <class F>
constexpr F magnitude(F v) noexcept {
  using L = float_layout<F>;
  return std::bit_cast<F>(static_cast<typename L::bits>(std::bit_cast<typename L::bits>(v) & ~L::sign));
}

}  // namespace sqler::detail
