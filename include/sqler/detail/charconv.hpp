// sqler/detail/charconv.hpp - exact double/float <-> decimal text for the JSON reader and writer.
// std::from_chars/std::to_chars where the standard library has them for floating point, else an
// exact fallback over the C library, so stored numbers read back bit-for-bit on every library.
#pragma once

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <locale.h>
#include <memory>
#include <new>
#include <system_error>
#include <type_traits>
#include <utility>

#include "sqler/detail/float_bits.hpp"

#if __has_include(<xlocale.h>)
#include <xlocale.h>  // strtod_l and newlocale on macOS and the BSDs
#endif

namespace sqler::detail {

// libc++ 14 has no floating-point std::from_chars: the call resolves to its deleted
// from_chars(const char*, const char*, bool) overload, so only a requires-expression can tell
// (an #if on the library version would miss vendors that backport it). The concepts take T so
// that an unusable call is a substitution failure rather than a hard error.
template <class T>
concept std_parses_floating = requires(const char* p, T& v) { std::from_chars(p, p, v); };
template <class T>
concept std_formats_floating = requires(char* p, T v) { std::to_chars(p, p, v); };

// Defining SQLER_CHARCONV_FALLBACK forces the fallback: Apple's libc++ declares to_chars for
// floating point but marks it unavailable below macOS 13.3, which no concept can see.
#ifdef SQLER_CHARCONV_FALLBACK
inline constexpr bool charconv_forced_fallback = true;
#else
inline constexpr bool charconv_forced_fallback = false;
#endif

// ---------------------------------------------------------------- fallback: C library under "C"

// The fallback relies on the C library's strtod/strtof being correctly rounded (round half to
// even, every digit of the input honoured): true of glibc, musl, macOS/FreeBSD (gdtoa) and the
// UCRT, and what from_chars itself guarantees. It also assumes the default FE_TONEAREST mode.
// The "C" locale is made once and never freed: the process's locale (a ',' decimal point, say)
// must not change how stored JSON reads.
#if defined(_WIN32)
using c_locale_t = _locale_t;
inline c_locale_t c_locale() {
  static const c_locale_t loc = _create_locale(LC_ALL, "C");
  if (!loc) throw std::bad_alloc();
  return loc;
}
inline double c_strto(const char* s, char** end, double*) { return _strtod_l(s, end, c_locale()); }
inline float c_strto(const char* s, char** end, float*) { return _strtof_l(s, end, c_locale()); }
#else
using c_locale_t = locale_t;
inline c_locale_t c_locale() {
  static const c_locale_t loc = newlocale(LC_ALL_MASK, "C", c_locale_t{});
  if (!loc) throw std::bad_alloc();  // newlocale only fails for "C" when out of memory
  return loc;
}
inline double c_strto(const char* s, char** end, double*) { return strtod_l(s, end, c_locale()); }
inline float c_strto(const char* s, char** end, float*) { return strtof_l(s, end, c_locale()); }
#endif

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// from_chars's general format: '-'? (digits ('.' digits?)? | '.' digits) exponent?, where an
// exponent counts only if digits follow it. It also takes "inf"/"nan", which no JSON number
// contains, so this reports those as invalid_argument instead. Range matches libstdc++ 12+:
// overflow and underflow to zero from a nonzero mantissa are result_out_of_range with `out`
// untouched; an underflow that lands on a subnormal is a value, not an error.
template <class T>
std::from_chars_result parse_floating_fallback(const char* first, const char* last, T& out) {
  static_assert(std::is_same_v<T, double> || std::is_same_v<T, float>);
  const char* p = first;
  if (p != last && *p == '-') ++p;
  std::size_t digits = 0;
  bool nonzero = false;
  for (; p != last && is_digit(*p); ++p, ++digits) nonzero |= *p != '0';
  if (p != last && *p == '.') {
    ++p;
    for (; p != last && is_digit(*p); ++p, ++digits) nonzero |= *p != '0';
  }
  if (digits == 0) return {first, std::errc::invalid_argument};
  if (p != last && (*p == 'e' || *p == 'E')) {
    const char* q = p + 1;
    if (q != last && (*q == '+' || *q == '-')) ++q;
    if (q != last && is_digit(*q)) {
      while (q != last && is_digit(*q)) ++q;
      p = q;
    }
  }

  // strtod wants a NUL-terminated string; JSON numbers may carry hundreds of digits, all of
  // which can decide the rounding, so long ones go to the heap rather than being cut.
  const auto n = static_cast<std::size_t>(p - first);
  char small[128];
  std::unique_ptr<char[]> large;
  char* text = small;
  if (n >= sizeof small) {
    large.reset(new char[n + 1]);
    text = large.get();
  }
  std::memcpy(text, first, n);
  text[n] = '\0';

  const int saved_errno = errno;  // from_chars leaves errno alone; strtod sets ERANGE
  char* end = nullptr;
  const T value = c_strto(text, &end, static_cast<T*>(nullptr));
  errno = saved_errno;
  // ERANGE is no guide: glibc also raises it for inexact subnormals, which are values here.
  if (is_infinite(value) || (value == 0 && nonzero)) return {p, std::errc::result_out_of_range};
  out = value;
  return {p, std::errc{}};
}

// The shortest text that reads back as v, nearest to v among those, laid out as plain
// std::to_chars does (fixed or scientific, whichever is shorter, fixed on a tie), so the stored
// text is identical whichever branch wrote it. printf's %.*e gives correctly rounded digits; a
// normal value with a round-tripping string of at most digits10 digits gets exactly that string
// from %.(digits10-1)e (a half-ulp is below half the digits10 grid spacing), so the search
// starts there and goes up to max_digits10, which always round-trips. Subnormals have fewer
// significant bits and start the search at one digit.
template <class T>
std::to_chars_result format_floating_fallback(char* first, char* last, T v) {
  static_assert(std::is_same_v<T, double> || std::is_same_v<T, float>);
  using limits = std::numeric_limits<T>;
  const bool negative = sign_bit(v);
  char digits[limits::max_digits10 + 1];
  int count = 0;
  int exp10 = 0;
  char text[64];  // a candidate in C-locale syntax: [-]d[.ddd]e[-]x
  for (int precision = (v == 0 || magnitude(v) >= limits::min()) ? limits::digits10 : 1;
       precision <= limits::max_digits10; ++precision) {
    char printed[64];
    std::snprintf(printed, sizeof printed, "%.*e", precision - 1, static_cast<double>(v));
    // Digits only: the locale may spell the decimal point differently, never the digits.
    const char* s = printed;
    count = 0;
    for (; *s != 'e'; ++s)
      if (is_digit(*s)) digits[count++] = *s;
    ++s;
    const bool exp_negative = *s == '-';
    exp10 = 0;
    for (++s; is_digit(*s); ++s) exp10 = exp10 * 10 + (*s - '0');
    if (exp_negative) exp10 = -exp10;
    while (count > 1 && digits[count - 1] == '0') --count;
    if (precision == limits::max_digits10) break;

    char* t = text;
    if (negative) *t++ = '-';
    *t++ = digits[0];
    if (count > 1) {
      *t++ = '.';
      t = std::copy(digits + 1, digits + count, t);
    }
    t += std::snprintf(t, static_cast<std::size_t>(text + sizeof text - t), "e%d", exp10);
    T back{};
    if (parse_floating_fallback(text, t, back).ec == std::errc{} && back == v) break;
  }

  const int exp_digits = (exp10 <= -100 || exp10 >= 100) ? 3 : 2;
  const int scientific_length = count + (count > 1 ? 1 : 0) + 2 + exp_digits;
  const int fixed_length = exp10 >= count - 1 ? exp10 + 1 : exp10 >= 0 ? count + 1 : count + 1 - exp10;
  char* t = text;
  if (negative) *t++ = '-';
  if (fixed_length <= scientific_length && exp10 >= count - 1) {
    // An integer: to_chars prints its exact value (%.0f), not the shortest digits padded with
    // zeros. No locale touches %.0f: no decimal point, no grouping without the ' flag.
    t += std::snprintf(t, static_cast<std::size_t>(text + sizeof text - t), "%.0f",
                       magnitude(static_cast<double>(v)));
  } else if (fixed_length <= scientific_length && exp10 >= 0) {
    t = std::copy(digits, digits + exp10 + 1, t);
    *t++ = '.';
    t = std::copy(digits + exp10 + 1, digits + count, t);
  } else if (fixed_length <= scientific_length) {
    *t++ = '0';
    *t++ = '.';
    for (int i = -1; i > exp10; --i) *t++ = '0';
    t = std::copy(digits, digits + count, t);
  } else {
    *t++ = digits[0];
    if (count > 1) {
      *t++ = '.';
      t = std::copy(digits + 1, digits + count, t);
    }
    t += std::snprintf(t, static_cast<std::size_t>(text + sizeof text - t), "e%c%0*d",
                       exp10 < 0 ? '-' : '+', exp_digits, exp10 < 0 ? -exp10 : exp10);
  }
  const auto n = t - text;
  if (last - first < n) return {last, std::errc::value_too_large};
  return {std::copy(text, t, first), std::errc{}};
}

// ---------------------------------------------------------------- the entry points

template <class T>
std::from_chars_result parse_floating_as(const char* first, const char* last, T& out) {
  if constexpr (std_parses_floating<T> && !charconv_forced_fallback)
    return std::from_chars(first, last, out);
  else
    return parse_floating_fallback(first, last, out);
}

template <class T>
std::to_chars_result format_floating_as(char* first, char* last, T v) {
  if constexpr (std_formats_floating<T> && !charconv_forced_fallback)
    return std::to_chars(first, last, v);
  else
    return format_floating_fallback(first, last, v);
}

// std::from_chars(first, last, out) for a JSON number, on every standard library.
inline std::from_chars_result parse_floating(const char* first, const char* last, double& out) {
  return parse_floating_as(first, last, out);
}
inline std::from_chars_result parse_floating(const char* first, const char* last, float& out) {
  return parse_floating_as(first, last, out);
}

// std::to_chars(first, last, v): the shortest text that reads back as v. Callers refuse
// inf/nan, which JSON cannot spell.
inline std::to_chars_result format_floating(char* first, char* last, double v) {
  return format_floating_as(first, last, v);
}
inline std::to_chars_result format_floating(char* first, char* last, float v) {
  return format_floating_as(first, last, v);
}

}  // namespace sqler::detail
