// Reflection of plain aggregates (member count, names, index of a member pointer) and the
// table-name customisation points, checked at compile time and against a real database.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "sqler/sqler.hpp"

namespace app::model {
struct Person {
  std::string name;
  int age = 0;
};
}  // namespace app::model

namespace {

struct Single {
  int only = 0;
};

struct Address {
  std::string street;
  std::string city;
  int zip = 0;
};

struct Customer {
  std::string name;
  Address address;
  std::vector<std::string> tags;
  std::optional<double> score;
};

// Names with digits and underscores, and a mix of member types.
struct Odd {
  int _leading = 0;
  double x1 = 0;
  bool snake_case_name = false;
  std::string CamelCase;
};

struct Twenty {
  int m00 = 0;
  double m01 = 0;
  std::string m02;
  bool m03 = false;
  std::int8_t m04 = 0;
  std::uint64_t m05 = 0;
  float m06 = 0;
  std::vector<int> m07;
  std::optional<int> m08;
  Address m09;
  int m10 = 0;
  int m11 = 0;
  std::string m12;
  std::string m13;
  long long m14 = 0;
  unsigned m15 = 0;
  short m16 = 0;
  char m17 = 0;
  double m18 = 0;
  std::string last_member;
};

struct MemberNamed {
  static constexpr std::string_view sqler_table = "people";
  std::string name;
};

struct TraitNamed {
  std::string title;
};

struct Widget {
  int size = 0;
};

// Member names beyond ASCII identifiers: each must come out whole, as UTF-8. (Emoji are not
// identifier characters for g++ 12 and clang 14 (P1949); names_test covers them on recorded
// MSVC text.)
struct Personne {
  std::string prénom;
  std::string nom;
};

struct Kanji {
  int 名前 = 0;
  int 年齢 = 0;
};

// Non-ASCII after an ASCII prefix, in the middle, and escaped in the source: all one name each.
struct Mixed {
  int caf\u00e9 = 0;
  int x_é_y = 0;
  int über = 0;
  std::string 東京タワー;
};

// `$` is an identifier character on every supported compiler; clang calls it an extension.
#if SQLER_COMPILER_CLANG
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wdollar-in-identifier-extension"
#endif
struct Dollars {
  int a$b = 0;
  int $lead = 0;
  int trail$ = 0;
};
#if SQLER_COMPILER_CLANG
#pragma clang diagnostic pop
#endif

struct Thirty {
  int m00 = 0, m01 = 0, m02 = 0, m03 = 0, m04 = 0, m05 = 0, m06 = 0, m07 = 0, m08 = 0, m09 = 0;
  int m10 = 0, m11 = 0, m12 = 0, m13 = 0, m14 = 0, m15 = 0, m16 = 0, m17 = 0, m18 = 0, m19 = 0;
  int m20 = 0, m21 = 0, m22 = 0, m23 = 0, m24 = 0, m25 = 0, m26 = 0, m27 = 0, m28 = 0;
  std::string dernière;
};

}  // namespace

template <>
struct sqler::table_name_of<TraitNamed> {
  static constexpr std::string_view value = "trait_things";
};

namespace {

using sqler::detail::member_count;
using sqler::detail::member_index_of;
using sqler::detail::member_name;

// Everything below is computed at compile time; the static_asserts prove that, the EXPECTs
// report the values readably when they differ.
static_assert(member_count<Single> == 1);
static_assert(member_count<Address> == 3);
static_assert(member_count<Customer> == 4);
static_assert(member_count<Twenty> == 20);
static_assert(member_name<Customer, 1> == "address");
static_assert(member_index_of(&Twenty::last_member) == 19);

TEST(Reflect, MemberCount) {
  EXPECT_EQ(member_count<Single>, 1u);
  EXPECT_EQ(member_count<Address>, 3u);
  // A nested aggregate is one member of its parent, not flattened.
  EXPECT_EQ(member_count<Customer>, 4u);
  EXPECT_EQ(member_count<Odd>, 4u);
  EXPECT_EQ(member_count<Twenty>, 20u);
  EXPECT_EQ(member_count<app::model::Person>, 2u);
  // A static data member is not part of the document.
  EXPECT_EQ(member_count<MemberNamed>, 1u);
}

TEST(Reflect, MemberNamesSingleAndNested) {
  EXPECT_EQ((member_name<Single, 0>), "only");
  EXPECT_EQ((member_name<Customer, 0>), "name");
  EXPECT_EQ((member_name<Customer, 1>), "address");
  EXPECT_EQ((member_name<Customer, 2>), "tags");
  EXPECT_EQ((member_name<Customer, 3>), "score");
  EXPECT_EQ((member_name<Address, 0>), "street");
  EXPECT_EQ((member_name<Address, 1>), "city");
  EXPECT_EQ((member_name<Address, 2>), "zip");
  EXPECT_EQ((member_name<app::model::Person, 0>), "name");
  EXPECT_EQ((member_name<app::model::Person, 1>), "age");
}

TEST(Reflect, MemberNamesWithDigitsAndUnderscores) {
  EXPECT_EQ((member_name<Odd, 0>), "_leading");
  EXPECT_EQ((member_name<Odd, 1>), "x1");
  EXPECT_EQ((member_name<Odd, 2>), "snake_case_name");
  EXPECT_EQ((member_name<Odd, 3>), "CamelCase");
}

TEST(Reflect, TwentyMemberNames) {
  constexpr auto names = sqler::detail::member_names<Twenty>();
  ASSERT_EQ(names.size(), 20u);
  for (std::size_t i = 0; i + 1 < names.size(); ++i) {
    const std::string expected = (i < 10 ? "m0" : "m1") + std::to_string(i % 10);
    EXPECT_EQ(names[i], expected) << "member " << i;
  }
  EXPECT_EQ(names[19], "last_member");
}

TEST(Reflect, MemberIndexOf) {
  EXPECT_EQ(member_index_of(&Single::only), 0u);
  EXPECT_EQ(member_index_of(&Customer::name), 0u);
  EXPECT_EQ(member_index_of(&Customer::address), 1u);
  EXPECT_EQ(member_index_of(&Customer::tags), 2u);
  EXPECT_EQ(member_index_of(&Customer::score), 3u);
  EXPECT_EQ(member_index_of(&Address::zip), 2u);
  EXPECT_EQ(member_index_of(&Twenty::m00), 0u);
  EXPECT_EQ(member_index_of(&Twenty::m09), 9u);
  EXPECT_EQ(member_index_of(&Twenty::m17), 17u);
  EXPECT_EQ(member_index_of(&Twenty::last_member), 19u);
  EXPECT_EQ(member_index_of(&app::model::Person::age), 1u);
}

TEST(Reflect, IndexAndNameAgree) {
  // The name found through a member pointer's index is that member's own name.
  EXPECT_EQ((member_name<Twenty, member_index_of(&Twenty::m13)>), "m13");
  EXPECT_EQ((member_name<Customer, member_index_of(&Customer::tags)>), "tags");
  EXPECT_EQ((member_name<Odd, member_index_of(&Odd::snake_case_name)>), "snake_case_name");
}

TEST(Reflect, DefaultTableNameIsUnqualifiedTypeName) {
  EXPECT_EQ(sqler::table_name<Single>, "Single");  // anonymous namespace
  EXPECT_EQ(sqler::table_name<Customer>, "Customer");
  EXPECT_EQ(sqler::table_name<app::model::Person>, "Person");  // namespaced
  EXPECT_EQ(sqler::table_name<Twenty>, "Twenty");
}

TEST(Reflect, TableNameOverrides) {
  EXPECT_EQ(sqler::table_name<MemberNamed>, "people");
  EXPECT_EQ(sqler::table_name<TraitNamed>, "trait_things");
  EXPECT_EQ(sqler::collection<MemberNamed>::name(), "people");
  EXPECT_EQ(sqler::collection<TraitNamed>::name(), "trait_things");
}

std::vector<std::string> table_names(sqler::database& db) {
  std::vector<std::string> out;
  for (auto& [name] :
       db.query<std::string>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"))
    out.push_back(name);
  return out;
}

TEST(Reflect, CollectionsCreateTheirNamedTables) {
  auto db = sqler::database::in_memory();
  auto people = db.collection<MemberNamed>();
  auto things = db.collection<TraitNamed>();
  auto persons = db.collection<app::model::Person>();
  auto widgets = db.collection<Widget>();

  people.insert({"Ann"});
  things.insert({"Dune"});
  persons.insert({"Bob", 41});
  widgets.insert({7});

  const auto names = table_names(db);
  // sqler's own records: sqler_refs, which tables may refer to which (delete policies), and
  // sqler_tables, which type owns each table; sqlite_sequence is where SQLite keeps the
  // AUTOINCREMENT high-water marks.
  const std::vector<std::string> expected{"Person",       "Widget",          "people",
                                          "sqler_refs",   "sqler_tables",    "sqlite_sequence",
                                          "trait_things"};
  EXPECT_EQ(names, expected);

  // The rows really went into the named tables.
  auto rows = db.query<std::string>("SELECT data FROM \"people\"");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(std::get<0>(rows[0]), R"({"name":"Ann"})");
  rows = db.query<std::string>("SELECT data FROM \"trait_things\"");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(std::get<0>(rows[0]), R"({"title":"Dune"})");
  rows = db.query<std::string>("SELECT data FROM \"Person\"");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(std::get<0>(rows[0]), R"({"name":"Bob","age":41})");
}

static_assert(member_name<Personne, 0> == "prénom");
static_assert(member_name<Kanji, 1> == "年齢");
static_assert(member_name<Mixed, 0> == "café");
static_assert(member_name<Thirty, 29> == "dernière");

// Before names were cut as the trailing ASCII run, Personne encoded as
// {"nom":"Jean","nom":"Dupont"}: one key lost, and its value decoded into the wrong member.
TEST(Reflect, NonAsciiMemberNamesAreWholeUtf8) {
  EXPECT_EQ(sqler::to_json(Personne{"Jean", "Dupont"}), R"({"prénom":"Jean","nom":"Dupont"})");
  EXPECT_EQ(sqler::to_json(Kanji{1, 2}), R"({"名前":1,"年齢":2})");
  EXPECT_EQ(sqler::to_json(Mixed{1, 2, 3, "333m"}),
            R"({"café":1,"x_é_y":2,"über":3,"東京タワー":"333m"})");

  const auto p = sqler::from_json<Personne>(R"({"nom":"Dupont","prénom":"Jean"})");
  EXPECT_EQ(p.prénom, "Jean");
  EXPECT_EQ(p.nom, "Dupont");
  const auto m = sqler::from_json<Mixed>(sqler::to_json(Mixed{4, 5, 6, "x"}));
  EXPECT_EQ(m.caf\u00e9, 4);
  EXPECT_EQ(m.x_é_y, 5);
  EXPECT_EQ(m.über, 6);
  EXPECT_EQ(m.東京タワー, "x");
}

TEST(Reflect, DollarMemberNames) {
  const auto names = sqler::detail::member_names<Dollars>();
  EXPECT_EQ(names[0], "a$b");
  EXPECT_EQ(names[1], "$lead");
  EXPECT_EQ(names[2], "trail$");
  EXPECT_EQ(sqler::to_json(Dollars{1, 2, 3}), R"({"a$b":1,"$lead":2,"trail$":3})");
  const auto [ab, lead, trail] = sqler::from_json<Dollars>(R"({"trail$":3,"$lead":2,"a$b":1})");
  EXPECT_EQ(ab, 1);
  EXPECT_EQ(lead, 2);
  EXPECT_EQ(trail, 3);
}

TEST(Reflect, ThirtyMemberNames) {
  constexpr auto names = sqler::detail::member_names<Thirty>();
  ASSERT_EQ(names.size(), 30u);
  for (std::size_t i = 0; i + 1 < names.size(); ++i) {
    const std::string expected = "m" + std::to_string(i / 10) + std::to_string(i % 10);
    EXPECT_EQ(names[i], expected) << "member " << i;
  }
  EXPECT_EQ(names[29], "dernière");
  Thirty t;
  t.m17 = 17;
  t.dernière = "fin";
  const auto back = sqler::from_json<Thirty>(sqler::to_json(t));
  EXPECT_EQ(back.m17, 17);
  EXPECT_EQ(back.dernière, "fin");
}

// The names reach SQL as JSON paths too: storing and querying by a non-ASCII member works.
TEST(Reflect, NonAsciiMemberNamesInQueries) {
  auto db = sqler::database::in_memory();
  auto people = db.collection<Personne>();
  people.insert({"Jean", "Dupont"});
  people.insert({"Marie", "Curie"});
  constexpr auto prénom = sqler::field<&Personne::prénom>;
  auto found = people.find(prénom == "Marie").all();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].nom, "Curie");
  auto rows = db.query<std::string>("SELECT data FROM \"Personne\" ORDER BY _id");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(std::get<0>(rows[0]), R"({"prénom":"Jean","nom":"Dupont"})");
}

TEST(Reflect, TableSchema) {
  auto db = sqler::database::in_memory();
  db.collection<Widget>();
  auto cols = db.query<std::string, std::string, int, int>(
      "SELECT name, type, \"notnull\", pk FROM pragma_table_info('Widget') ORDER BY cid");
  ASSERT_EQ(cols.size(), 3u);
  EXPECT_EQ(cols[0], std::make_tuple(std::string("_id"), std::string("INTEGER"), 0, 1));
  EXPECT_EQ(cols[1], std::make_tuple(std::string("_version"), std::string("INTEGER"), 1, 0));
  EXPECT_EQ(cols[2], std::make_tuple(std::string("data"), std::string("TEXT"), 1, 0));
}

}  // namespace
