// detail::parse_floating/format_floating: bit-exact round trips of random doubles and floats,
// correct rounding at exact halfway points, from_chars's range and grammar rules, and the
// C-library fallback checked against the standard library wherever the standard library has one.
#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <clocale>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include "sqler/detail/charconv.hpp"
#include "sqler/detail/float_bits.hpp"

namespace {

namespace sd = sqler::detail;

template <class T>
using bits_t = std::conditional_t<sizeof(T) == 8, std::uint64_t, std::uint32_t>;

template <class T>
bits_t<T> bits(T v) {
  bits_t<T> b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

template <class T>
T from_bits(bits_t<T> b) {
  T v;
  std::memcpy(&v, &b, sizeof v);
  return v;
}

constexpr std::uint64_t seed = 20240611;
constexpr int random_count = 100'000;

// Uniform over bit patterns, so every binade and both signs are equally likely; the subnormal
// variant keeps the exponent field zero, which plain bit patterns hit only once in 2^11 (or 2^8).
template <class T>
std::vector<T> random_finite(std::size_t n, std::uint64_t s, bool subnormal_only = false) {
  std::mt19937_64 rng(s);
  std::vector<T> out;
  constexpr int mantissa_bits = std::numeric_limits<T>::digits - 1;
  while (out.size() < n) {
    auto b = static_cast<bits_t<T>>(rng());
    if (subnormal_only) b &= ~(((bits_t<T>{1} << (sizeof(T) * 8 - 1 - mantissa_bits)) - 1) << mantissa_bits);
    const T v = from_bits<T>(b);
    if (std::isfinite(v)) out.push_back(v);
  }
  return out;
}

template <class T>
struct parsed {
  T value;
  std::errc ec;
  std::ptrdiff_t used;
};

// 42 marks "untouched": from_chars leaves the destination alone on every error.
template <class T>
parsed<T> parse(std::string_view s) {
  T v = T(42);
  const auto r = sd::parse_floating(s.data(), s.data() + s.size(), v);
  return {v, r.ec, r.ptr - s.data()};
}
template <class T>
parsed<T> parse_fallback(std::string_view s) {
  T v = T(42);
  const auto r = sd::parse_floating_fallback(s.data(), s.data() + s.size(), v);
  return {v, r.ec, r.ptr - s.data()};
}
template <class T>
parsed<T> parse_std(std::string_view s) {
  T v = T(42);
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return {v, r.ec, r.ptr - s.data()};
}

template <class T>
std::string format(T v) {
  char buf[64];
  const auto r = sd::format_floating(buf, buf + sizeof buf, v);
  EXPECT_EQ(r.ec, std::errc{});
  return {buf, r.ptr};
}
template <class T>
std::string format_fallback(T v) {
  char buf[64];
  const auto r = sd::format_floating_fallback(buf, buf + sizeof buf, v);
  EXPECT_EQ(r.ec, std::errc{});
  return {buf, r.ptr};
}

template <class T>
void expect_same(const parsed<T>& got, const parsed<T>& want, std::string_view text) {
  EXPECT_EQ(bits(got.value), bits(want.value)) << text;
  EXPECT_EQ(got.ec, want.ec) << text;
  EXPECT_EQ(got.used, want.used) << text;
}

// Every value through the entry points and through the fallback, both ways, bit for bit; the
// fallback's text must also be the standard library's text where there is one.
template <class T>
void round_trip_all(const std::vector<T>& values) {
  int failures = 0;
  for (const T v : values) {
    const std::string text = format(v);
    const std::string fb_text = format_fallback(v);
    const parsed<T> back = parse<T>(text);
    const parsed<T> fb_back = parse_fallback<T>(fb_text);
    bool ok = back.ec == std::errc{} && bits(back.value) == bits(v) &&
              fb_back.ec == std::errc{} && bits(fb_back.value) == bits(v) && text == fb_text;
    if constexpr (sd::std_parses_floating<T>) {
      const parsed<T> via_std = parse_std<T>(fb_text);
      ok = ok && via_std.ec == std::errc{} && bits(via_std.value) == bits(v);
    }
    if (!ok && ++failures <= 10)
      ADD_FAILURE() << "value bits " << std::hex << bits(v) << ": to_chars \"" << text
                    << "\", fallback \"" << fb_text << "\"";
  }
  EXPECT_EQ(failures, 0);
}

TEST(Charconv, RandomDoublesRoundTripBitExactly) {
  round_trip_all(random_finite<double>(random_count, seed));
  round_trip_all(random_finite<double>(10'000, seed + 1, true));
}

TEST(Charconv, RandomFloatsRoundTripBitExactly) {
  round_trip_all(random_finite<float>(random_count, seed + 2));
  round_trip_all(random_finite<float>(10'000, seed + 3, true));
}

// Short decimals exercise to_chars's fixed layouts ("0.001", "123.45", "16777216") that random
// bit patterns, nearly all of them tiny or huge, almost never reach.
template <class T>
void round_trip_short_decimals(std::uint64_t s) {
  std::mt19937_64 rng(s);
  std::vector<T> values;
  for (int i = 0; i < 20'000; ++i) {
    const std::string text = std::to_string(rng() % 100'000'000) + "e" +
                             std::to_string(static_cast<int>(rng() % 40) - 20);
    const parsed<T> p = parse<T>(text);
    ASSERT_EQ(p.ec, std::errc{}) << text;
    values.push_back(p.value);
  }
  round_trip_all(values);
}

TEST(Charconv, ShortDecimalsRoundTripAndMatchToChars) {
  round_trip_short_decimals<double>(seed + 4);
  round_trip_short_decimals<float>(seed + 5);
}

// Random decimal text of every length (up to 800 digits) and exponent, parsed by the fallback
// and by std::from_chars: value, error and end pointer must agree.
template <class T>
void fallback_matches_from_chars(std::uint64_t s, int min_exp, int max_exp) {
  if constexpr (!sd::std_parses_floating<T>) {
    GTEST_SKIP() << "no floating-point std::from_chars to compare with";
  } else {
    std::mt19937_64 rng(s);
    const auto digits = [&](std::size_t n) {
      std::string d;
      for (std::size_t i = 0; i < n; ++i) d.push_back(static_cast<char>('0' + rng() % 10));
      return d;
    };
    for (int i = 0; i < random_count; ++i) {
      std::string text = rng() % 2 ? "-" : "";
      const bool long_mantissa = rng() % 100 == 0;
      text += digits(1 + rng() % (long_mantissa ? 400 : 20));
      if (rng() % 2) text += "." + digits(1 + rng() % (long_mantissa ? 400 : 20));
      if (rng() % 4) {
        text += rng() % 2 ? "e" : "E";
        text += rng() % 3 == 0 ? "-" : rng() % 2 ? "+" : "";
        text += std::to_string(min_exp + static_cast<int>(rng() % static_cast<std::uint64_t>(max_exp - min_exp)));
      }
      expect_same(parse_fallback<T>(text), parse_std<T>(text), text);
      if (::testing::Test::HasFailure()) return;
    }
  }
}

TEST(Charconv, FallbackMatchesFromCharsOnRandomDecimalText) {
  fallback_matches_from_chars<double>(seed + 6, 0, 360);
  fallback_matches_from_chars<float>(seed + 7, 0, 55);
}

// Exact halfway points between neighbours, printed in full (up to ~770 digits): exactly
// halfway rounds to the even neighbour, a digit more rounds away, a truncation rounds back.
// A long double or double holds the midpoint of two doubles or floats exactly.
template <class T, class Wide>
void halfway_points(std::uint64_t s) {
  char buf[1300];
  int checked = 0;
  for (const T lo : random_finite<T>(5'000, s)) {
    const T a = std::fabs(lo);
    const T b = std::nextafter(a, std::numeric_limits<T>::infinity());
    if (!std::isfinite(b)) continue;
    const Wide mid = (static_cast<Wide>(a) + static_cast<Wide>(b)) / 2;
    if constexpr (std::is_same_v<Wide, long double>)
      std::snprintf(buf, sizeof buf, "%.1100Le", mid);
    else
      std::snprintf(buf, sizeof buf, "%.1100e", mid);
    std::string text = buf;
    const auto e = text.find('e');
    std::string mantissa = text.substr(0, e);
    const std::string exponent = text.substr(e);
    while (mantissa.back() == '0') mantissa.pop_back();
    const std::string sign = std::signbit(lo) ? "-" : "";
    const T even = (bits(a) & 1) == 0 ? a : b;
    const T s_a = std::signbit(lo) ? -a : a, s_b = std::signbit(lo) ? -b : b;
    const T s_even = std::signbit(lo) ? -even : even;

    const std::string exact = sign + mantissa + exponent;
    const std::string above = sign + mantissa + "0001" + exponent;
    for (const auto& [input, want] : {std::pair{exact, s_even}, std::pair{above, s_b}}) {
      const parsed<T> p = parse<T>(input), f = parse_fallback<T>(input);
      const bool underflow = want == 0;  // the half of the smallest subnormal rounds to zero
      ASSERT_EQ(p.ec, underflow ? std::errc::result_out_of_range : std::errc{}) << input;
      ASSERT_EQ(f.ec, p.ec) << input;
      if (!underflow) {
        ASSERT_EQ(bits(p.value), bits(want)) << input;
        ASSERT_EQ(bits(f.value), bits(want)) << input;
      }
    }
    if (mantissa.size() > 30) {
      const std::string below = sign + mantissa.substr(0, 30) + exponent;
      const parsed<T> p = parse<T>(below), f = parse_fallback<T>(below);
      if (s_a != 0) {
        ASSERT_EQ(bits(p.value), bits(s_a)) << below;
        ASSERT_EQ(bits(f.value), bits(s_a)) << below;
      } else {
        ASSERT_EQ(p.ec, std::errc::result_out_of_range) << below;
        ASSERT_EQ(f.ec, std::errc::result_out_of_range) << below;
      }
    }
    ++checked;
  }
  EXPECT_GT(checked, 4'900);
}

TEST(Charconv, HalfwayPointsRoundToEven) {
  if constexpr (std::numeric_limits<long double>::digits >= 64)
    halfway_points<double, long double>(seed + 8);
  else
    GTEST_SKIP() << "long double cannot hold the midpoint of two doubles";
}

TEST(Charconv, FloatHalfwayPointsRoundToEven) {
  halfway_points<float, double>(seed + 9);
  halfway_points<float, double>(seed + 10);  // random_finite<float> rarely yields subnormals
}

// ---------------------------------------------------------------- fixed cases

const std::string half_min_subnormal_digits =  // 2^-1075 = this e-324, exactly half of 4.9e-324
    "2.4703282292062327208828439643411068618252990130716238221279284125033775363510437593264991818081"
    "7996189898282347722858865463328355177969898199387398005390939063150356595155702263922908583924"
    "4910518443593180284993653615250031937045767824921936562366986365848075700158576926990370631192"
    "8279558551332927834338409351978015531246597263579574622766465272827220056374006485499977096599"
    "4704540208281662262378573934507363390079677619305775067401763246736009689513405355374585166611"
    "3422376667860416215968046191446729184030053005753084904876539171138659164623952491262365388187"
    "9636239373280423891018672348497668235089863388587925628302755995657524455507255189313690836254"
    "779186948667994968324049705821028513185451396213837722826145437693412532098591327667236328125";
const std::string half_min_subnormal = half_min_subnormal_digits + "e-324";
const std::string half_past_max =  // 2^1024 - 2^970, halfway from DBL_MAX to 2^1024
    "17976931348623158079372897140530341507993413271003782693617377898044496829276475094664901797758"
    "72070963302864166928879109465555478519404026306574886715058206819089020007083836762738548458177"
    "11531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508"
    "093042880177904174497792";

struct double_case {
  std::string text;
  std::uint64_t bits;
};

TEST(Charconv, HardDoubles) {
  const std::string halfway_above_one = "1.00000000000000011102230246251565404236316680908203125";
  const std::vector<double_case> cases = {
      {"2.2250738585072011e-308", 0x000fffffffffffff},  // largest subnormal (the strtod hang)
      {"2.2250738585072012e-308", 0x0010000000000000},  // DBL_MIN
      {"4.9e-324", 0x1},
      {"5e-324", 0x1},
      {"3e-324", 0x1},
      {half_min_subnormal_digits + "1e-324", 0x1},  // beyond the midpoint: must not round to zero
      {"1.7976931348623157e308", 0x7fefffffffffffff},
      {"1.7976931348623158e308", 0x7fefffffffffffff},
      {"1e23", 0x44b52d02c7e14af6},
      {"9007199254740993", 0x4340000000000000},  // 2^53 + 1: halfway, to even
      {"9007199254740995", 0x4340000000000002},  // 2^53 + 3: halfway, to even (up)
      {"0.1", 0x3fb999999999999a},
      {halfway_above_one, 0x3ff0000000000000},              // 1 + 2^-53 exactly: to even
      {halfway_above_one + "1", 0x3ff0000000000001},        // a hair above: up
      {halfway_above_one + std::string(750, '0'), 0x3ff0000000000000},
      {halfway_above_one + std::string(750, '0') + "1", 0x3ff0000000000001},  // 800+ digits
      {"1" + std::string(799, '0') + "e-799", 0x3ff0000000000000},
      {"0." + std::string(799, '0') + "1e800", 0x3ff0000000000000},
      {"-0.0", 0x8000000000000000},
      {"-0", 0x8000000000000000},
      {"0e999999999999999999", 0x0},
      {"-1e-1", 0xbfb999999999999a},
  };
  for (const auto& c : cases) {
    const parsed<double> want{from_bits<double>(c.bits), std::errc{},
                              static_cast<std::ptrdiff_t>(c.text.size())};
    expect_same(parse<double>(c.text), want, c.text);
    expect_same(parse_fallback<double>(c.text), want, c.text);
    if constexpr (sd::std_parses_floating<double>) expect_same(parse_std<double>(c.text), want, c.text);
  }
}

TEST(Charconv, HardFloats) {
  const std::vector<std::pair<std::string, std::uint32_t>> cases = {
      {"3.4028235e38", 0x7f7fffff},  // FLT_MAX
      {"340282356779733661637539395458142568447", 0x7f7fffff},  // just under halfway to 2^128
      {"1e-45", 0x1},
      {"7.0064923216240854e-46", 0x1},  // just above half the smallest subnormal
      {"1.17549435e-38", 0x00800000},   // FLT_MIN
      {"16777217", 0x4b800000},         // 2^24 + 1: halfway, to even
      {"16777219", 0x4b800002},         // 2^24 + 3: halfway, to even (up)
      {"0.1", 0x3dcccccd},
      {"1.00000005960464477539062500000000000000000000000000001", 0x3f800001},
      {"1.000000059604644775390625", 0x3f800000},  // 1 + 2^-24 exactly: to even
      {"-0", 0x80000000},
  };
  for (const auto& [text, b] : cases) {
    const parsed<float> want{from_bits<float>(b), std::errc{}, static_cast<std::ptrdiff_t>(text.size())};
    expect_same(parse<float>(text), want, text);
    expect_same(parse_fallback<float>(text), want, text);
    if constexpr (sd::std_parses_floating<float>) expect_same(parse_std<float>(text), want, text);
  }
}

// Out of range is result_out_of_range with the destination untouched, underflow to zero
// included (libstdc++'s behaviour, which the fallback copies); a subnormal result is a value.
TEST(Charconv, RangeErrors) {
  const std::vector<std::string> out_of_range = {
      "1e400", "-1e400", "1e-400", "-1e-400", "2e-324", "1e99999999999999999999",
      "1e-99999999999999999999", half_past_max, "1.7976931348623159e308", half_min_subnormal,
      std::string(800, '9')};
  for (const auto& text : out_of_range) {
    const parsed<double> want{42, std::errc::result_out_of_range, static_cast<std::ptrdiff_t>(text.size())};
    expect_same(parse<double>(text), want, text);
    expect_same(parse_fallback<double>(text), want, text);
    if constexpr (sd::std_parses_floating<double>) expect_same(parse_std<double>(text), want, text);
  }
  const std::vector<std::string> float_out_of_range = {"1e39", "-1e39", "3.4028236e38", "1e-46",
                                                       "7.0064923216240853e-46", "1e-400"};
  for (const auto& text : float_out_of_range) {
    const parsed<float> want{42, std::errc::result_out_of_range, static_cast<std::ptrdiff_t>(text.size())};
    expect_same(parse<float>(text), want, text);
    expect_same(parse_fallback<float>(text), want, text);
    if constexpr (sd::std_parses_floating<float>) expect_same(parse_std<float>(text), want, text);
  }
}

// from_chars's grammar beyond JSON's: where parsing stops and what counts as no number.
TEST(Charconv, EndPointerAndInvalidInput) {
  const std::vector<parsed<double>> want = {
      {1, {}, 1}, {1, {}, 1}, {1, {}, 2}, {100000, {}, 4}, {0.5, {}, 2}, {42, std::errc::invalid_argument, 0},
      {42, std::errc::invalid_argument, 0}, {42, std::errc::invalid_argument, 0}, {0, {}, 1},
      {1500, {}, 6}, {12, {}, 5}, {100000, {}, 3}, {42, std::errc::invalid_argument, 0},
      {42, std::errc::invalid_argument, 0}, {-0.5, {}, 3}};
  const std::vector<std::string> inputs = {"1e", "1e+", "1.", "1.e5", ".5", "-", "-.", "x", "0x10",
                                           "1.5e+3x", "00012", "1E5", "+1", "", "-.5"};
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    expect_same(parse<double>(inputs[i]), want[i], inputs[i]);
    expect_same(parse_fallback<double>(inputs[i]), want[i], inputs[i]);
  }
  // No JSON number spells inf or nan, so the fallback does not read them (from_chars does).
  EXPECT_EQ(parse_fallback<double>("inf").ec, std::errc::invalid_argument);
  EXPECT_EQ(parse_fallback<double>("nan").ec, std::errc::invalid_argument);
}

TEST(Charconv, FormatsLikeToChars) {
  const std::vector<std::pair<double, std::string>> doubles = {
      {0.1, "0.1"}, {1e23, "1e+23"}, {5e-324, "5e-324"}, {-0.0, "-0"}, {0.0, "0"},
      {1e5, "1e+05"}, {123456, "123456"}, {1e21, "1e+21"}, {1e-7, "1e-07"}, {0.001, "0.001"},
      {1e-4, "1e-04"}, {12300000, "12300000"}, {1234567890123456774144.0, "1234567890123456774144"},
      {1.7976931348623157e308, "1.7976931348623157e+308"}, {2.2250738585072014e-308, "2.2250738585072014e-308"},
      {-123.456, "-123.456"}, {9007199254740993.0, "9007199254740992"}};
  for (const auto& [v, text] : doubles) {
    EXPECT_EQ(format(v), text);
    EXPECT_EQ(format_fallback(v), text);
  }
  // An integer in fixed form is printed exactly: 123456792, not the shortest digits 12345679 padded.
  const std::vector<std::pair<float, std::string>> floats = {
      {0.1f, "0.1"}, {16777216.0f, "16777216"}, {3.4028235e38f, "3.4028235e+38"}, {1e-45f, "1e-45"},
      {123456792.0f, "123456792"}, {-1.5f, "-1.5"}};
  for (const auto& [v, text] : floats) {
    EXPECT_EQ(format(v), text);
    EXPECT_EQ(format_fallback(v), text);
  }
}

TEST(Charconv, FormatReportsASmallBuffer) {
  char buf[8];
  for (const auto r : {sd::format_floating(buf, buf + sizeof buf, 0.1234567891),
                       sd::format_floating_fallback(buf, buf + sizeof buf, 0.1234567891)}) {
    EXPECT_EQ(r.ec, std::errc::value_too_large);
    EXPECT_EQ(r.ptr, buf + sizeof buf);
  }
  const auto fits = sd::format_floating_fallback(buf, buf + 3, 0.5);
  EXPECT_EQ(fits.ec, std::errc{});
  EXPECT_EQ(std::string(buf, fits.ptr), "0.5");
}

// A program that switched to a decimal-comma locale must still read and write JSON's '.'.
// (Skipped where no such locale is installed; LOCPATH can point glibc at one made by localedef.)
TEST(Charconv, FallbackIgnoresTheProcessLocale) {
  const std::string saved = std::setlocale(LC_ALL, nullptr);
  bool comma = false;
  for (const char* name : {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", "de_DE"})
    if (std::setlocale(LC_ALL, name) && std::localeconv()->decimal_point == std::string(",")) {
      comma = true;
      break;
    }
  if (!comma) {
    std::setlocale(LC_ALL, saved.c_str());
    GTEST_SKIP() << "no decimal-comma locale installed";
  }
  EXPECT_EQ(format_fallback(0.5), "0.5");
  EXPECT_EQ(format_fallback(-1.25e-300), "-1.25e-300");
  EXPECT_EQ(parse_fallback<double>("0.5").value, 0.5);
  EXPECT_EQ(parse_fallback<double>("0,5").used, 1);
  round_trip_all(random_finite<double>(10'000, seed + 11));
  round_trip_all(random_finite<float>(10'000, seed + 12));
  std::setlocale(LC_ALL, saved.c_str());
}

// detail::is_finite, is_infinite, sign_bit and magnitude (float_bits.hpp, in place of <cmath>)
// agree with <cmath> on zeros, subnormals, the largest values, infinities, NaNs of both signs
// and random bit patterns (NaN payloads included).
template <class T>
void float_bits_match_cmath(std::uint64_t s) {
  using lim = std::numeric_limits<T>;
  std::vector<T> values = {T(0),           -T(0),          T(1),          -T(1),
                           lim::min(),     -lim::min(),    lim::denorm_min(), -lim::denorm_min(),
                           lim::max(),     -lim::max(),    lim::infinity(), -lim::infinity(),
                           lim::quiet_NaN(), -lim::quiet_NaN(), lim::signaling_NaN()};
  std::mt19937_64 rng(s);
  for (int i = 0; i < 100'000; ++i) values.push_back(from_bits<T>(static_cast<bits_t<T>>(rng())));
  int failures = 0;
  for (const T v : values) {
    const bool ok = sd::is_finite(v) == std::isfinite(v) && sd::is_infinite(v) == std::isinf(v) &&
                    sd::sign_bit(v) == std::signbit(v) &&
                    bits(sd::magnitude(v)) == bits(std::fabs(v));
    if (!ok && ++failures <= 10) ADD_FAILURE() << "value bits " << std::hex << bits(v);
  }
  EXPECT_EQ(failures, 0);
  static_assert(sd::is_finite(T(1)) && !sd::is_finite(lim::infinity()) &&
                sd::is_infinite(-lim::infinity()) && sd::sign_bit(-T(0)) &&
                sd::magnitude(-T(2)) == T(2));
}

TEST(Charconv, FloatBitsMatchCmath) {
  float_bits_match_cmath<double>(seed + 13);
  float_bits_match_cmath<float>(seed + 14);
}

TEST(Charconv, DetectsTheLibrary) {
#if defined(_LIBCPP_VERSION) && _LIBCPP_VERSION < 15000
  EXPECT_FALSE(sd::std_parses_floating<double>);  // libc++ 14 has none
#elif defined(__GLIBCXX__)
  EXPECT_TRUE(sd::std_parses_floating<double>);
  EXPECT_TRUE(sd::std_parses_floating<float>);
#endif
  EXPECT_TRUE(sd::std_parses_floating<int>);
}

}  // namespace
