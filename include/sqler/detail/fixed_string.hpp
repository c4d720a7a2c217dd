// sqler/detail/fixed_string.hpp - compile-time strings for SQL text.
// Built in consteval code into fixed-size char arrays (constexpr std::string is unusable with
// clang 14 + libstdc++ 12), so a query shape's SQL lives in read-only data, computed once.
#pragma once

#include <cstddef>
#include <string_view>

namespace sqler::detail {

template <std::size_t N>
struct fixed_string {
  char data[N + 1]{};
  static constexpr std::size_t size = N;

  constexpr fixed_string() = default;
  consteval fixed_string(const char (&s)[N + 1]) {  // NOLINT: implicit from literals by design
    for (std::size_t i = 0; i != N; ++i) data[i] = s[i];
  }
  constexpr std::string_view view() const noexcept { return {data, N}; }
  constexpr operator std::string_view() const noexcept { return view(); }
};
template <std::size_t M>
fixed_string(const char (&)[M]) -> fixed_string<M - 1>;

template <std::size_t... Ns>
consteval auto concat(const fixed_string<Ns>&... parts) {
  fixed_string<(Ns + ... + 0)> out;
  std::size_t pos = 0;
  ((([&] {
     for (std::size_t i = 0; i != parts.size; ++i) out.data[pos++] = parts.data[i];
   })()),
   ...);
  return out;
}

// A string_view known at compile time, held by a type with `static constexpr std::string_view
// value`, turned into a fixed_string of exactly its length.
template <class Holder>
consteval auto to_fixed() {
  constexpr std::string_view sv = Holder::value;
  fixed_string<sv.size()> out;
  for (std::size_t i = 0; i != sv.size(); ++i) out.data[i] = sv[i];
  return out;
}

consteval std::size_t decimal_digits(std::size_t n) {
  std::size_t d = 1;
  while (n >= 10) {
    n /= 10;
    ++d;
  }
  return d;
}

template <std::size_t N>
consteval auto to_fixed_number() {
  fixed_string<decimal_digits(N)> out;
  std::size_t n = N;
  for (std::size_t i = decimal_digits(N); i-- > 0;) {
    out.data[i] = static_cast<char>('0' + n % 10);
    n /= 10;
  }
  return out;
}

template <long long N>
consteval auto to_fixed_signed() {
  if constexpr (N < 0)
    return concat(fixed_string{"-"}, to_fixed_number<static_cast<std::size_t>(-(N + 1)) + 1>());
  else
    return to_fixed_number<static_cast<std::size_t>(N)>();
}

// string_view::find / rfind for one character, as plain loops: g++ 12 with
// -fsanitize=undefined refuses the library's versions in a constant expression over a template
// parameter object ("is not a constant expression"), which compile-time path code reads.
constexpr std::size_t find_char(std::string_view s, char c, std::size_t from = 0) noexcept {
  for (std::size_t i = from; i < s.size(); ++i)
    if (s[i] == c) return i;
  return std::string_view::npos;
}
constexpr std::size_t rfind_char(std::string_view s, char c) noexcept {
  for (std::size_t i = s.size(); i-- > 0;)
    if (s[i] == c) return i;
  return std::string_view::npos;
}

// Holds the final text of a rendered fixed_string as a static object, so string_views into it
// stay valid for the whole program.
template <auto Str>
struct static_text {
  static constexpr auto storage = Str;
  static constexpr std::string_view value = storage.view();
};

}  // namespace sqler::detail
