// The opt-in Boost.JSON adapter (sqler/boost_json.hpp): a type with tag_invoke overloads is
// stored through them, inside documents and in collections, and its errors name the member.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "sqler/boost_json.hpp"
#include "sqler/sqler.hpp"

namespace {

// A user type with its own Boost.JSON conversion: stored as "#rrggbb".
struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb&) const = default;
};

void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const Rgb& c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", c.r, c.g, c.b);
  jv = buf;
}

Rgb tag_invoke(boost::json::value_to_tag<Rgb>, const boost::json::value& jv) {
  const auto& s = jv.as_string();  // throws for anything but a string
  if (s.size() != 7 || s[0] != '#') throw std::invalid_argument("not a #rrggbb colour");
  auto hex = [&](std::size_t i) {
    return static_cast<std::uint8_t>(std::stoi(std::string(s.data() + i, 2), nullptr, 16));
  };
  return Rgb{hex(1), hex(3), hex(5)};
}

}  // namespace

// The opt-in, once per type, beside its tag_invoke overloads.
template <>
struct sqler::json_conversion<Rgb> : sqler::boost_json_conversion<Rgb> {};

namespace {

struct Theme {
  std::string name;
  Rgb fg;
  std::vector<Rgb> accents;
  bool operator==(const Theme&) const = default;
};

sqler::decode_error decode_failure(const std::string& json) {
  try {
    (void)sqler::from_json<Theme>(json);
  } catch (const sqler::decode_error& e) {
    return e;
  }
  ADD_FAILURE() << "expected sqler::decode_error for " << json.substr(0, 80);
  return sqler::decode_error("", "");
}

TEST(BoostJsonAdapter, EncodesThroughValueFrom) {
  const Theme t{"dark", {255, 0, 16}, {{1, 2, 3}}};
  EXPECT_EQ(sqler::to_json(t), R"({"name":"dark","fg":"#ff0010","accents":["#010203"]})");
}

TEST(BoostJsonAdapter, RoundTripsAndNamesTheMemberOnError) {
  const Theme t{"solar", {0xfd, 0xf6, 0xe3}, {{0, 0x2b, 0x36}, {0xff, 0xff, 0xff}}};
  EXPECT_EQ(sqler::from_json<Theme>(sqler::to_json(t)), t);
  // Errors thrown by the user's value_to are reported as decode errors at that member.
  EXPECT_EQ(decode_failure(R"({"name":"x","fg":"red","accents":[]})").path(), "fg");
  EXPECT_EQ(decode_failure(R"({"name":"x","fg":"#000000","accents":["#000000",5]})").path(),
            "accents[1]");
  // Hostile nesting inside the member is refused before Boost.JSON sees it.
  const std::string deep = R"({"name":"x","fg":)" + std::string(100000, '[') +
                           std::string(100000, ']') + R"(,"accents":[]})";
  decode_failure(deep);
}

TEST(BoostJsonAdapter, StoredInACollection) {
  auto db = sqler::database::in_memory();
  auto themes = db.collection<Theme>();
  const auto id = themes.insert({"a", {1, 2, 3}, {{4, 5, 6}}});
  EXPECT_EQ(themes.get(id)->fg, (Rgb{1, 2, 3}));
  themes.update(id, sqler::set(sqler::field<&Theme::fg>, Rgb{9, 9, 9}));
  EXPECT_EQ(themes.get(id)->fg, (Rgb{9, 9, 9}));
  auto raw = db.query<std::string>(R"(SELECT json_extract(data, '$.fg') FROM "Theme")");
  EXPECT_EQ(std::get<0>(raw.at(0)), "#090909");
}

}  // namespace
