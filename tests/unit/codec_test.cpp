// The JSON codec from a user's side: exact text for known documents, round-trips of every
// supported member type, and decode errors that name the member that failed.
#include <gtest/gtest.h>


#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sqler/sqler.hpp"

namespace {

// ---------------------------------------------------------------- document types

struct Address {
  std::string street;
  std::string city;
  int zip = 0;
  bool operator==(const Address&) const = default;
};

struct User {
  std::string name;
  int age = 0;
  Address address;
  std::vector<std::string> tags;
  std::optional<double> score;
  bool active = false;
  bool operator==(const User&) const = default;
};

struct Ints {
  std::int8_t i8 = 0;
  std::uint8_t u8 = 0;
  std::int16_t i16 = 0;
  std::uint16_t u16 = 0;
  std::int32_t i32 = 0;
  std::uint32_t u32 = 0;
  std::int64_t i64 = 0;
  std::uint64_t u64 = 0;
  bool operator==(const Ints&) const = default;
};

struct Floats {
  float f = 0;
  double d = 0;
};

struct Flags {
  bool yes = false;
  bool no = true;
  bool operator==(const Flags&) const = default;
};

struct Text {
  std::string s;
  bool operator==(const Text&) const = default;
};

struct Maybe {
  std::optional<int> n;
  std::optional<std::string> s;
  std::optional<Address> a;
  bool operator==(const Maybe&) const = default;
};

struct Lists {
  std::vector<int> empty;
  std::vector<std::vector<int>> nested;
  std::vector<bool> bits;
  std::vector<Address> addresses;
  std::array<int, 3> triple{};
  // std::array<std::string, N> as a member crashes g++ 12 inside Boost.PFR 1.81 (ICE in
  // check_noexcept_r), so this uses optionals; a top-level array of strings is tested below.
  std::array<std::optional<int>, 2> pair;
  bool operator==(const Lists&) const = default;
};

struct Maps {
  std::map<std::string, int> ordered;
  std::unordered_map<std::string, std::vector<double>> hashed;
  std::map<std::string, Address> by_name;
  bool operator==(const Maps&) const = default;
};

struct L5 {
  std::string leaf;
  int depth = 5;
  bool operator==(const L5&) const = default;
};
struct L4 {
  L5 next;
  std::vector<L5> more;
  bool operator==(const L4&) const = default;
};
struct L3 {
  L4 next;
  std::optional<L4> maybe;
  bool operator==(const L3&) const = default;
};
struct L2 {
  L3 next;
  std::map<std::string, L3> keyed;
  bool operator==(const L2&) const = default;
};
struct L1 {
  L2 next;
  int top = 0;
  bool operator==(const L1&) const = default;
};

enum class Color : std::uint8_t { red = 1, green = 2, blue = 200 };
enum Plain { plain_a = -5, plain_b = 7 };

struct Paint {
  Color color = Color::red;
  Plain plain = plain_a;
  std::vector<Color> palette;
  bool operator==(const Paint&) const = default;
};

struct Owner {
  std::string name;
  bool operator==(const Owner&) const = default;
};

struct Pet {
  std::string name;
  sqler::ref<Owner> owner;
  sqler::ref<Address> home;
};

struct Small {
  std::uint8_t u8 = 0;
  std::int8_t i8 = 0;
  std::int32_t i32 = 0;
  unsigned u = 0;
  bool operator==(const Small&) const = default;
};

struct Number {
  int n = 0;
};

struct Real {
  double d = 0;
};

struct NanHolder {
  std::vector<double> values;
};

struct OptFloat {
  std::optional<float> f;
};

struct OtherInts {
  char c = 0;
  signed char sc = 0;
  unsigned char uc = 0;
  short s = 0;
  long l = 0;
  unsigned long ul = 0;
  long long ll = 0;
  unsigned long long ull = 0;
  bool operator==(const OtherInts&) const = default;
};

struct Renamed {
  static constexpr std::string_view sqler_table = "renamed_things";
  int x = 0;
};

struct Link {
  sqler::ref<Renamed> target;
};

template <class T>
T round_trip(const T& v) {
  return sqler::from_json<T>(sqler::to_json(v));
}

// Runs `f`, expecting a decode_error; returns it so the test can check path and message.
template <class F>
sqler::decode_error decode_failure(F&& f) {
  try {
    f();
  } catch (const sqler::decode_error& e) {
    return e;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected sqler::decode_error, got another exception: " << e.what();
    return sqler::decode_error("", "");
  }
  ADD_FAILURE() << "expected sqler::decode_error, nothing was thrown";
  return sqler::decode_error("", "");
}

// ---------------------------------------------------------------- exact text

TEST(CodecText, UserDocument) {
  const User u{"Ann", 34, {"1 Main St", "Kyoto", 6000}, {"a", "b"}, 1.5, true};
  EXPECT_EQ(sqler::to_json(u),
            R"({"name":"Ann","age":34,"address":{"street":"1 Main St","city":"Kyoto","zip":6000},)"
            R"("tags":["a","b"],"score":1.5,"active":true})");
}

TEST(CodecText, NullOptionalAndEmptyContainers) {
  const User u{"", 0, {}, {}, std::nullopt, false};
  EXPECT_EQ(sqler::to_json(u),
            R"({"name":"","age":0,"address":{"street":"","city":"","zip":0},"tags":[],)"
            R"("score":null,"active":false})");
}

TEST(CodecText, IntegersAndEnums) {
  EXPECT_EQ(sqler::to_json(Ints{-128, 255, -32768, 65535, -2147483647 - 1, 4294967295u,
                                std::numeric_limits<std::int64_t>::min(),
                                std::numeric_limits<std::uint64_t>::max()}),
            R"({"i8":-128,"u8":255,"i16":-32768,"u16":65535,"i32":-2147483648,)"
            R"("u32":4294967295,"i64":-9223372036854775808,"u64":18446744073709551615})");
  EXPECT_EQ(sqler::to_json(Paint{Color::blue, plain_b, {Color::red, Color::green}}),
            R"({"color":200,"plain":7,"palette":[1,2]})");
}

TEST(CodecText, ListsAndMaps) {
  Lists l;
  l.nested = {{1, 2}, {}, {3}};
  l.bits = {true, false, true};
  l.addresses = {{"s", "c", 1}};
  l.triple = {7, 8, 9};
  l.pair = {5, std::nullopt};
  EXPECT_EQ(sqler::to_json(l),
            R"({"empty":[],"nested":[[1,2],[],[3]],"bits":[true,false,true],)"
            R"("addresses":[{"street":"s","city":"c","zip":1}],"triple":[7,8,9],)"
            R"("pair":[5,null]})");
  Maps m;
  m.ordered = {{"b", 2}, {"a", 1}};
  m.by_name = {{"home", {"s", "c", 1}}};
  EXPECT_EQ(sqler::to_json(m),
            R"({"ordered":{"a":1,"b":2},"hashed":{},"by_name":{"home":{"street":"s","city":"c","zip":1}}})");
}

TEST(CodecText, Escapes) {
  EXPECT_EQ(sqler::to_json(std::string("q\"b\\n\nr\rt\tb\bf\f")),
            R"("q\"b\\n\nr\rt\tb\bf\f")");
  EXPECT_EQ(sqler::to_json(std::string("\x01\x1f\x7f", 3)), "\"\\u0001\\u001f\x7f\"");
  EXPECT_EQ(sqler::to_json(std::string("a\0b", 3)), R"("a\u0000b")");
  // Non-ASCII text is written as UTF-8, not escaped.
  EXPECT_EQ(sqler::to_json(std::string("日本 😀")), "\"日本 😀\"");
}

TEST(CodecText, Refs) {
  Pet p{"Rex", 3, {}};
  EXPECT_EQ(sqler::to_json(p), R"({"name":"Rex","owner":{"_table":"Owner","_id":3},"home":null})");
}

TEST(CodecText, EncodeAppendsToBuffer) {
  std::string out = "prefix:";
  sqler::encode(Number{5}, out);
  EXPECT_EQ(out, R"(prefix:{"n":5})");
  sqler::encode(Number{6}, out);
  EXPECT_EQ(out, R"(prefix:{"n":5}{"n":6})");
}

// ---------------------------------------------------------------- round trips

TEST(CodecRoundTrip, IntegerLimits) {
  const Ints lo{std::numeric_limits<std::int8_t>::min(), 0, std::numeric_limits<std::int16_t>::min(),
                0, std::numeric_limits<std::int32_t>::min(), 0,
                std::numeric_limits<std::int64_t>::min(), 0};
  const Ints hi{std::numeric_limits<std::int8_t>::max(), std::numeric_limits<std::uint8_t>::max(),
                std::numeric_limits<std::int16_t>::max(), std::numeric_limits<std::uint16_t>::max(),
                std::numeric_limits<std::int32_t>::max(), std::numeric_limits<std::uint32_t>::max(),
                std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::uint64_t>::max()};
  EXPECT_EQ(round_trip(lo), lo);
  EXPECT_EQ(round_trip(hi), hi);
  EXPECT_EQ(sqler::from_json<std::uint64_t>("18446744073709551615"),
            std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(sqler::from_json<std::int64_t>("-9223372036854775808"),
            std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(sqler::from_json<short>("-0"), 0);
  EXPECT_EQ(sqler::from_json<long long>(" 42 "), 42);  // surrounding blanks are fine
}

TEST(CodecRoundTrip, EveryIntegerSpelling) {
  const OtherInts lo{std::numeric_limits<char>::min(), -128, 0, -32768,
                     std::numeric_limits<long>::min(), 0, std::numeric_limits<long long>::min(), 0};
  const OtherInts hi{std::numeric_limits<char>::max(), 127, 255, 32767,
                     std::numeric_limits<long>::max(), std::numeric_limits<unsigned long>::max(),
                     std::numeric_limits<long long>::max(),
                     std::numeric_limits<unsigned long long>::max()};
  EXPECT_EQ(round_trip(lo), lo);
  EXPECT_EQ(round_trip(hi), hi);
  // A char member is a small integer, not a one-letter string.
  EXPECT_EQ(sqler::to_json(OtherInts{'A', 0, 0, 0, 0, 0, 0, 0}),
            R"({"c":65,"sc":0,"uc":0,"s":0,"l":0,"ul":0,"ll":0,"ull":0})");
}

TEST(CodecRoundTrip, RandomIntegers) {
  std::mt19937_64 rng(12345);
  for (int i = 0; i < 10000; ++i) {
    const std::uint64_t bits = rng();
    const Ints v{static_cast<std::int8_t>(bits), static_cast<std::uint8_t>(bits >> 8),
                 static_cast<std::int16_t>(bits >> 3), static_cast<std::uint16_t>(bits >> 17),
                 static_cast<std::int32_t>(bits), static_cast<std::uint32_t>(bits >> 29),
                 static_cast<std::int64_t>(bits), bits};
    ASSERT_EQ(round_trip(v), v) << sqler::to_json(v);
  }
}

TEST(CodecRoundTrip, DoublesAreBitExact) {
  // Every finite bit pattern, including subnormals and negative zero, must come back
  // identical: the shortest text that round-trips is written, and parsed exactly.
  std::mt19937_64 rng(20240601);
  int checked = 0;
  for (int i = 0; i < 100000; ++i) {
    const double d = std::bit_cast<double>(rng());
    if (!std::isfinite(d)) continue;
    const std::string text = sqler::to_json(Real{d});
    const double back = sqler::from_json<Real>(text).d;
    ASSERT_EQ(std::bit_cast<std::uint64_t>(back), std::bit_cast<std::uint64_t>(d)) << text;
    ++checked;
  }
  EXPECT_GT(checked, 99000);
  // Values that are hard for naive parsers.
  for (const double d : {0.1, 1.0 / 3, 5e-324, 2.2250738585072009e-308, 2.2250738585072014e-308,
                         1.7976931348623157e308, -0.0, 9007199254740993.0, 0.30000000000000004,
                         123456789012345678.0, 1e23, 8.41e21}) {
    const double back = round_trip(Real{d}).d;
    EXPECT_EQ(std::bit_cast<std::uint64_t>(back), std::bit_cast<std::uint64_t>(d))
        << sqler::to_json(Real{d});
  }
}

TEST(CodecRoundTrip, DoublesParsedFromForeignText) {
  // Text other writers produce: exponents, plenty of digits, integers into doubles.
  EXPECT_EQ(sqler::from_json<double>("1E2"), 100.0);
  EXPECT_EQ(sqler::from_json<double>("-2.5e-3"), -0.0025);
  EXPECT_EQ(sqler::from_json<double>("3"), 3.0);
  EXPECT_EQ(sqler::from_json<double>("0.1000000000000000055511151231257827"), 0.1);
  EXPECT_EQ(sqler::from_json<double>("18446744073709551616"), 18446744073709551616.0);
}

TEST(CodecRoundTrip, FloatsAreBitExact) {
  std::mt19937 rng(77);
  int checked = 0;
  for (int i = 0; i < 100000; ++i) {
    const float f = std::bit_cast<float>(static_cast<std::uint32_t>(rng()));
    if (!std::isfinite(f)) continue;
    const Floats back = round_trip(Floats{f, static_cast<double>(f)});
    ASSERT_EQ(std::bit_cast<std::uint32_t>(back.f), std::bit_cast<std::uint32_t>(f))
        << sqler::to_json(Floats{f, 0});
    ASSERT_EQ(back.d, static_cast<double>(f));
    ++checked;
  }
  EXPECT_GT(checked, 99000);
  EXPECT_EQ(sqler::to_json(Floats{0.1f, 0.1}), R"({"f":0.1,"d":0.1})");
}

TEST(CodecRoundTrip, Bools) {
  EXPECT_EQ(round_trip(Flags{true, false}), (Flags{true, false}));
  EXPECT_EQ(round_trip(Flags{false, true}), (Flags{false, true}));
  EXPECT_EQ(sqler::to_json(Flags{true, false}), R"({"yes":true,"no":false})");
}

TEST(CodecRoundTrip, UnicodeStrings) {
  for (const std::string s : {"", "plain", "日本語のテキスト", "한국어", "emoji 😀🎉👍🏽", "mixé ünïcødé",
                              "𝄞 musical", "\u00e9\u0301 combining"}) {
    EXPECT_EQ(round_trip(Text{s}).s, s);
  }
}

TEST(CodecRoundTrip, EscapesOnInput) {
  EXPECT_EQ(sqler::from_json<std::string>(R"("\u65e5\u672c")"), "日本");
  EXPECT_EQ(sqler::from_json<std::string>(R"("\ud83d\ude00")"), "😀");  // surrogate pair
  EXPECT_EQ(sqler::from_json<std::string>(R"("\uD834\uDD1E")"), "𝄞");  // upper-case hex
  EXPECT_EQ(sqler::from_json<std::string>(R"("\u00e9")"), "é");
  EXPECT_EQ(sqler::from_json<std::string>(R"("\u0000")"), std::string(1, '\0'));
  EXPECT_EQ(sqler::from_json<std::string>(R"("\"\\\/\b\f\n\r\t")"), "\"\\/\b\f\n\r\t");
  EXPECT_EQ(sqler::from_json<Text>(R"({"s":"a\u0041\n"})").s, "aA\n");
}

TEST(CodecRoundTrip, EveryControlCharacterAndEscape) {
  std::string all;
  for (int c = 0; c < 0x80; ++c) all.push_back(static_cast<char>(c));
  all += "\"\\/";
  const std::string json = sqler::to_json(Text{all});
  // Raw control characters never reach the text.
  for (const char c : json) EXPECT_GE(static_cast<unsigned char>(c), 0x20u);
  EXPECT_EQ(sqler::from_json<Text>(json).s, all);
  // SQLite agrees that it is JSON and sees the same string (less the NUL: SQLite's own
  // json_extract stops a string at \u0000).
  auto db = sqler::database::in_memory();
  const std::string no_nul = all.substr(1);
  auto rows = db.query<int, std::string>("SELECT json_valid(?1), json_extract(?1, '$.s')",
                                         sqler::to_json(Text{no_nul}));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(std::get<0>(rows[0]), 1);
  EXPECT_EQ(std::get<1>(rows[0]), no_nul);
}

TEST(CodecRoundTrip, Optionals) {
  const Maybe full{7, "x", Address{"s", "c", 1}};
  const Maybe none{};
  EXPECT_EQ(round_trip(full), full);
  EXPECT_EQ(round_trip(none), none);
  EXPECT_EQ(sqler::to_json(none), R"({"n":null,"s":null,"a":null})");
  // Missing members and explicit nulls both mean "no value".
  EXPECT_EQ(sqler::from_json<Maybe>("{}"), none);
  EXPECT_EQ(sqler::from_json<Maybe>(R"({"n":null})"), none);
  const auto partial = sqler::from_json<Maybe>(R"({"s":"here"})");
  EXPECT_FALSE(partial.n.has_value());
  EXPECT_EQ(partial.s, "here");
  // Decoding into an object that already holds values clears the absent ones.
  Maybe target = full;
  sqler::decode(R"({"n":1})", target);
  EXPECT_EQ(target.n, 1);
  EXPECT_FALSE(target.s.has_value());
  EXPECT_FALSE(target.a.has_value());
}

TEST(CodecRoundTrip, Containers) {
  Lists l;
  l.nested = {{1, 2, 3}, {}, {-4}};
  l.bits = {true, false, false, true, true};
  l.addresses = {{"a", "b", 1}, {"c", "d", 2}};
  l.triple = {-1, 0, 1};
  l.pair = {std::nullopt, -3};
  EXPECT_EQ(round_trip(l), l);
  const std::array<std::string, 2> words{"", "ü"};
  EXPECT_EQ(round_trip(words), words);
  EXPECT_EQ(round_trip(Lists{}), Lists{});
  EXPECT_EQ(round_trip(std::vector<std::vector<int>>{{}, {1}, {2, 3}}),
            (std::vector<std::vector<int>>{{}, {1}, {2, 3}}));
  EXPECT_EQ(round_trip(std::vector<bool>{}), std::vector<bool>{});
  // Decoding into a non-empty vector replaces its contents.
  std::vector<int> v{9, 9, 9, 9};
  sqler::decode("[1,2]", v);
  EXPECT_EQ(v, (std::vector<int>{1, 2}));
}

TEST(CodecRoundTrip, Maps) {
  Maps m;
  m.ordered = {{"one", 1}, {"two", 2}, {"日本", 3}, {"with \"quote\"", 4}, {"", 5}};
  m.hashed = {{"a", {1.5, -2.25}}, {"b", {}}, {"c", {1e300}}};
  m.by_name = {{"home", {"s", "c", 1}}, {"work", {"t", "d", 2}}};
  EXPECT_EQ(round_trip(m), m);
  EXPECT_EQ(round_trip(Maps{}), Maps{});
}

TEST(CodecRoundTrip, FiveLevelsOfNesting) {
  L1 doc;
  doc.top = 1;
  doc.next.next.next.next.leaf = "deep";
  doc.next.next.next.more = {{"x", 1}, {"y", 2}};
  doc.next.next.maybe = L4{{"m", 3}, {}};
  doc.next.keyed["k"].next.next.leaf = "keyed";
  const std::string json = sqler::to_json(doc);
  EXPECT_NE(json.find(R"({"next":{"next":{"next":{"next":{"leaf":"deep","depth":5})"),
            std::string::npos)
      << json;
  EXPECT_EQ(sqler::from_json<L1>(json), doc);
}

TEST(CodecRoundTrip, Enums) {
  const Paint p{Color::blue, plain_a, {Color::green, Color::red, Color::blue}};
  EXPECT_EQ(round_trip(p), p);
  EXPECT_EQ(sqler::from_json<Paint>(R"({"color":2,"plain":7,"palette":[]})"),
            (Paint{Color::green, plain_b, {}}));
}

TEST(CodecRoundTrip, Refs) {
  const Pet p{"Rex", 3, {}};
  const auto back = round_trip(p);
  EXPECT_EQ(back.name, "Rex");
  ASSERT_FALSE(back.owner.empty());
  EXPECT_EQ(back.owner.id(), 3);
  EXPECT_TRUE(back.home.empty());
  EXPECT_FALSE(back.owner.loaded());

  // A ref in someone else's table spelling is refused; extra keys are ignored.
  const auto ok = sqler::from_json<Pet>(
      R"({"name":"a","owner":{"_id":9,"_table":"Owner","extra":[1]},"home":{"_table":"Address","_id":1}})");
  EXPECT_EQ(ok.owner.id(), 9);
  EXPECT_EQ(ok.home.id(), 1);
  const auto e = decode_failure([] {
    (void)sqler::from_json<Pet>(R"({"name":"a","owner":{"_table":"X","_id":3},"home":null})");
  });
  EXPECT_EQ(e.path(), "owner");
  EXPECT_NE(std::string(e.what()).find("\"X\""), std::string::npos) << e.what();
  const auto no_id = decode_failure(
      [] { (void)sqler::from_json<Pet>(R"({"name":"a","owner":{"_table":"Owner"},"home":null})"); });
  EXPECT_EQ(no_id.path(), "owner");
}

TEST(CodecRoundTrip, RefUsesTheTargetsCustomTableName) {
  EXPECT_EQ(sqler::to_json(Link{5}), R"({"target":{"_table":"renamed_things","_id":5}})");
  EXPECT_EQ(round_trip(Link{5}).target.id(), 5);
  const auto e = decode_failure(
      [] { (void)sqler::from_json<Link>(R"({"target":{"_table":"Renamed","_id":5}})"); });
  EXPECT_EQ(e.path(), "target");
}

TEST(CodecRoundTrip, MemberOrderIsIrrelevantOnInput) {
  const auto u = sqler::from_json<User>(
      R"( { "active" : true , "tags":[ "t" ],"score":2,"address":{"zip":1,"city":"c","street":"s"},)"
      "\n\t\"age\":3,\"name\":\"n\"}\n");
  EXPECT_EQ(u, (User{"n", 3, {"s", "c", 1}, {"t"}, 2.0, true}));
  // Keys written with escapes still match member names.
  EXPECT_EQ(sqler::from_json<Number>(R"({"\u006e":4})").n, 4);
}

// ---------------------------------------------------------------- decode errors

TEST(CodecErrors, NotJson) {
  for (const char* bad : {"", "hello", "{", "{\"name\"", "{\"name\":}", "[1,2]", "null", "{'a':1}",
                          "{\"n\":1,}", "{\"n\":01}", "{\"n\":+1}", "{\"n\":1.}"}) {
    const auto e = decode_failure([&] { (void)sqler::from_json<Number>(bad); });
    EXPECT_FALSE(std::string(e.what()).empty()) << bad;
  }
}

TEST(CodecErrors, TrailingGarbage) {
  decode_failure([] { (void)sqler::from_json<Number>(R"({"n":1} x)"); });
  decode_failure([] { (void)sqler::from_json<Number>(R"({"n":1}{"n":2})"); });
  decode_failure([] { (void)sqler::from_json<int>("12 13"); });
  EXPECT_EQ(sqler::from_json<Number>("{\"n\":1}  \n").n, 1);
}

TEST(CodecErrors, WrongTypeNamesTheMember) {
  auto e = decode_failure([] {
    (void)sqler::from_json<User>(
        R"({"name":"a","age":1,"address":{"street":"s","city":5,"zip":1},"tags":[],"score":null,"active":true})");
  });
  EXPECT_EQ(e.path(), "address.city");
  EXPECT_NE(std::string(e.what()).find("address.city"), std::string::npos) << e.what();
  EXPECT_NE(e.reason().find("string"), std::string::npos) << e.reason();

  e = decode_failure([] {
    (void)sqler::from_json<User>(
        R"({"name":"a","age":1,"address":{"street":"s","city":"c","zip":1},"tags":["x","y",3],"score":null,"active":true})");
  });
  EXPECT_EQ(e.path(), "tags[2]");

  e = decode_failure([] {
    (void)sqler::from_json<User>(
        R"({"name":"a","age":"old","address":{"street":"s","city":"c","zip":1},"tags":[],"score":null,"active":true})");
  });
  EXPECT_EQ(e.path(), "age");

  e = decode_failure([] {
    (void)sqler::from_json<User>(
        R"({"name":"a","age":1,"address":{"street":"s","city":"c","zip":1},"tags":[],"score":null,"active":1})");
  });
  EXPECT_EQ(e.path(), "active");

  e = decode_failure([] { (void)sqler::from_json<Maps>(R"({"ordered":{"k":"v"},"hashed":{},"by_name":{}})"); });
  EXPECT_EQ(e.path(), "ordered.k");

  e = decode_failure([] {
    (void)sqler::from_json<Lists>(
        R"({"empty":[],"nested":[[1],[2,"x"]],"bits":[],"addresses":[],"triple":[1,2,3],"pair":[null,null]})");
  });
  EXPECT_EQ(e.path(), "nested[1][1]");

  e = decode_failure([] {
    (void)sqler::from_json<L1>(
        R"({"next":{"next":{"next":{"next":{"leaf":7,"depth":5},"more":[]}},"keyed":{}},"top":1})");
  });
  EXPECT_EQ(e.path(), "next.next.next.next.leaf");

  e = decode_failure([] { (void)sqler::from_json<User>("[]"); });
  EXPECT_EQ(e.path(), "<document>");

  // "" is a legal map key; its path must not read like an array index.
  e = decode_failure(
      [] { (void)sqler::from_json<Maps>(R"({"ordered":{"":"v"},"hashed":{},"by_name":{}})"); });
  EXPECT_EQ(e.path(), "ordered.");
  e = decode_failure([] {
    (void)sqler::from_json<Maps>(R"({"ordered":{},"hashed":{"k":[1,"x"]},"by_name":{}})");
  });
  EXPECT_EQ(e.path(), "hashed.k[1]");
}

struct StrictAddress {
  static constexpr bool sqler_strict = true;
  std::string street;
  std::string city;
  std::optional<int> zip;
};
struct StrictHolder {
  static constexpr bool sqler_strict = true;
  StrictAddress address;
};

TEST(CodecErrors, MissingMemberOfAStrictType) {
  auto e = decode_failure([] { (void)sqler::from_json<StrictAddress>(R"({"street":"s"})"); });
  EXPECT_EQ(e.path(), "city");
  EXPECT_NE(e.reason().find("missing"), std::string::npos) << e.reason();
  e = decode_failure([] { (void)sqler::from_json<StrictHolder>(R"({"address":{"city":"c"}})"); });
  EXPECT_EQ(e.path(), "address.street");
  // A missing optional is still just empty.
  EXPECT_FALSE(sqler::from_json<StrictAddress>(R"({"street":"s","city":"c"})").zip);
}

TEST(CodecErrors, MissingMemberOfANonStrictTypeTakesItsDefault) {
  const auto a = sqler::from_json<Address>(R"({"street":"s","zip":1})");
  EXPECT_EQ(a.city, Address{}.city);
  const auto l = sqler::from_json<L5>(R"({"leaf":"x"})");
  EXPECT_EQ(l.depth, 5);
}

// The message a user sees names the number and says it does not fit, not just "bad input".
void expect_integer_out_of_range(const sqler::decode_error& e, const std::string& path,
                                 const std::string& number) {
  EXPECT_EQ(e.path(), path) << e.what();
  EXPECT_NE(e.reason().find(number + " is out of range for the member's integer type"),
            std::string::npos)
      << "reason: " << e.reason();
  EXPECT_NE(std::string(e.what()).find("out of range"), std::string::npos)
      << "what(): " << e.what();
}

TEST(CodecErrors, IntegerOutOfRange) {
  const Small ok = sqler::from_json<Small>(R"({"u8":255,"i8":-128,"i32":-2147483648,"u":4294967295})");
  EXPECT_EQ(ok, (Small{255, -128, std::numeric_limits<std::int32_t>::min(), 4294967295u}));

  expect_integer_out_of_range(
      decode_failure([] { (void)sqler::from_json<Small>(R"({"u8":300,"i8":0,"i32":0,"u":0})"); }),
      "u8", "300");
  expect_integer_out_of_range(
      decode_failure([] { (void)sqler::from_json<Small>(R"({"u8":0,"i8":128,"i32":0,"u":0})"); }),
      "i8", "128");
  expect_integer_out_of_range(
      decode_failure([] { (void)sqler::from_json<Small>(R"({"u8":0,"i8":-129,"i32":0,"u":0})"); }),
      "i8", "-129");
  expect_integer_out_of_range(decode_failure([] {
                                (void)sqler::from_json<Small>(
                                    R"({"u8":0,"i8":0,"i32":2147483648,"u":0})");
                              }),
                              "i32", "2147483648");
  expect_integer_out_of_range(
      decode_failure([] { (void)sqler::from_json<Small>(R"({"u8":0,"i8":0,"i32":0,"u":-1})"); }),
      "u", "-1");
  expect_integer_out_of_range(decode_failure([] {
                                (void)sqler::from_json<Small>(
                                    R"({"u8":0,"i8":0,"i32":0,"u":4294967296})");
                              }),
                              "u", "4294967296");
  expect_integer_out_of_range(
      decode_failure([] { (void)sqler::from_json<std::uint64_t>("18446744073709551616"); }),
      "<document>", "18446744073709551616");
  expect_integer_out_of_range(
      decode_failure([] { (void)sqler::from_json<std::int64_t>("-9223372036854775809"); }),
      "<document>", "-9223372036854775809");
  // An enum is range-checked against its underlying type.
  expect_integer_out_of_range(decode_failure([] {
                                (void)sqler::from_json<Paint>(
                                    R"({"color":256,"plain":7,"palette":[]})");
                              }),
                              "color", "256");
}

TEST(CodecErrors, FloatingOutOfRange) {
  auto e = decode_failure([] { (void)sqler::from_json<Real>(R"({"d":1e400})"); });
  EXPECT_EQ(e.path(), "d");
  e = decode_failure([] { (void)sqler::from_json<Real>(R"({"d":-1e400})"); });
  EXPECT_EQ(e.path(), "d");
  e = decode_failure([] { (void)sqler::from_json<Floats>(R"({"f":1e39,"d":1e39})"); });
  EXPECT_EQ(e.path(), "f");
  EXPECT_EQ(sqler::from_json<Floats>(R"({"f":3.4028234e38,"d":1e39})").d, 1e39);
}

TEST(CodecErrors, FractionOrExponentIntoInteger) {
  auto e = decode_failure([] { (void)sqler::from_json<Number>(R"({"n":1.5})"); });
  EXPECT_EQ(e.path(), "n");
  e = decode_failure([] { (void)sqler::from_json<Number>(R"({"n":1e3})"); });
  EXPECT_EQ(e.path(), "n");
  e = decode_failure([] { (void)sqler::from_json<Number>(R"({"n":true})"); });
  EXPECT_EQ(e.path(), "n");
  e = decode_failure([] { (void)sqler::from_json<Number>(R"({"n":null})"); });
  EXPECT_EQ(e.path(), "n");
}

TEST(CodecErrors, BadStrings) {
  decode_failure([] { (void)sqler::from_json<std::string>(R"("\ud83d")"); });         // lone high
  decode_failure([] { (void)sqler::from_json<std::string>(R"("\ude00")"); });         // lone low
  decode_failure([] { (void)sqler::from_json<std::string>(R"("\ud83d\u0041")"); });   // bad pair
  decode_failure([] { (void)sqler::from_json<std::string>(R"("\x")"); });             // bad escape
  decode_failure([] { (void)sqler::from_json<std::string>(R"("\u12")"); });           // short
  decode_failure([] { (void)sqler::from_json<std::string>(R"("\u12g4")"); });         // bad hex
  decode_failure([] { (void)sqler::from_json<std::string>("\"tab\there\""); });       // raw control
  decode_failure([] { (void)sqler::from_json<std::string>("\"unterminated"); });
}

TEST(CodecErrors, ArraySizeMismatch) {
  auto e = decode_failure([] {
    (void)sqler::from_json<Lists>(
        R"({"empty":[],"nested":[],"bits":[],"addresses":[],"triple":[1,2],"pair":[null,null]})");
  });
  EXPECT_EQ(e.path(), "triple");
  e = decode_failure([] {
    (void)sqler::from_json<Lists>(
        R"({"empty":[],"nested":[],"bits":[],"addresses":[],"triple":[1,2,3,4],"pair":[null,null]})");
  });
  EXPECT_EQ(e.path(), "triple");
}

TEST(CodecErrors, NanAndInfinityCannotBeEncoded) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_THROW((void)sqler::to_json(Real{nan}), sqler::encode_error);
  EXPECT_THROW((void)sqler::to_json(Real{inf}), sqler::encode_error);
  EXPECT_THROW((void)sqler::to_json(Real{-inf}), sqler::encode_error);
  EXPECT_THROW((void)sqler::to_json(NanHolder{{1.0, 2.0, nan}}), sqler::encode_error);
  EXPECT_THROW((void)sqler::to_json(OptFloat{std::numeric_limits<float>::infinity()}),
               sqler::encode_error);
  EXPECT_EQ(sqler::to_json(OptFloat{}), R"({"f":null})");
  // encode_error is a sqler::error like the rest.
  try {
    (void)sqler::to_json(Real{nan});
    FAIL() << "no exception";
  } catch (const sqler::error& e) {
    EXPECT_NE(std::string(e.what()).find("NaN"), std::string::npos) << e.what();
  }
  // JSON has no spelling for them on input either.
  decode_failure([] { (void)sqler::from_json<Real>(R"({"d":NaN})"); });
  decode_failure([] { (void)sqler::from_json<Real>(R"({"d":Infinity})"); });
}

TEST(CodecErrors, UnknownMembersAreIgnored) {
  const auto n = sqler::from_json<Number>(
      R"({"before":{"deep":[1,{"x":null}],"s":"}]"},"n":8,"after":[true,false,"\"",-1.5e3]})");
  EXPECT_EQ(n.n, 8);
  // ... but they must still be well-formed JSON.
  decode_failure([] { (void)sqler::from_json<Number>(R"({"junk":[1,,2],"n":1})"); });
  decode_failure([] { (void)sqler::from_json<Number>(R"({"junk":{"a" 1},"n":1})"); });
  decode_failure([] { (void)sqler::from_json<Number>(R"({"junk":[1},"n":1})"); });
}

TEST(CodecErrors, HostileNestingIsAnErrorNotACrash) {
  const std::string deep_array = R"({"junk":)" + std::string(100000, '[') + "1" +
                                 std::string(100000, ']') + R"(,"n":1})";
  auto e = decode_failure([&] { (void)sqler::from_json<Number>(deep_array); });
  EXPECT_FALSE(e.reason().empty());

  const std::string unclosed = R"({"junk":)" + std::string(100000, '[');
  decode_failure([&] { (void)sqler::from_json<Number>(unclosed); });

  std::string deep_object = R"({"junk":)";
  for (int i = 0; i < 100000; ++i) deep_object += R"({"a":)";
  deep_object += "1" + std::string(100000, '}') + R"(,"n":1})";
  decode_failure([&] { (void)sqler::from_json<Number>(deep_object); });


  // Moderate nesting in an ignored member is fine.
  const std::string moderate = R"({"junk":)" + std::string(100, '[') + std::string(100, ']') +
                               R"(,"n":3})";
  EXPECT_EQ(sqler::from_json<Number>(moderate).n, 3);
}

}  // namespace
