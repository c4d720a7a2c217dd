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
  // sqler_refs is sqler's own record of which tables may refer to which (delete policies).
  const std::vector<std::string> expected{"Person", "Widget", "people", "sqler_refs",
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
