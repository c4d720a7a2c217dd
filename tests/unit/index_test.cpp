// Expression indexes: ensure_index renders the same json_extract text as queries, so SQLite's
// planner picks the index; unique indexes turn duplicates into sqler::constraint_error.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sqler/sqler.hpp"

namespace {

struct Place {
  std::string city;
  std::string country;
};

struct Member {
  std::string email;
  int age;
  std::string team;
  Place home;
};

constexpr auto email = sqler::field<&Member::email>;
constexpr auto age = sqler::field<&Member::age>;
constexpr auto team = sqler::field<&Member::team>;
constexpr auto home_city = sqler::field<&Member::home, &Place::city>;

// The indexed expression list of CREATE INDEX ... ON "T" (<exprs>).
std::string_view indexed_expressions(std::string_view ddl) {
  const auto open = ddl.find(" (");
  if (open == std::string_view::npos || ddl.back() != ')') return {};
  return ddl.substr(open + 2, ddl.size() - open - 3);
}

class IndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<Member> docs;
    const char* teams[] = {"red", "green", "blue"};
    const char* cities[] = {"Kyoto", "Osaka", "Lyon", "Porto"};
    for (int i = 0; i < 200; ++i) {
      // Built with append: g++ 12 -O3 warns falsely (-Wrestrict) on "lit" + std::string.
      std::string mail = std::to_string(i);
      mail.insert(0, 1, 'm').append("@example.com");
      docs.push_back({mail, 18 + i % 50, teams[i % 3], {cities[i % 4], i % 4 < 2 ? "JP" : "EU"}});
    }
    members.insert_many(docs);
  }

  std::int64_t index_count() {
    return std::get<0>(db.query<std::int64_t>(
                             "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND "
                             "tbl_name = 'Member'")
                           .at(0));
  }

  sqler::database db = sqler::database::in_memory();
  sqler::collection<Member> members = db.collection<Member>();
};

TEST_F(IndexTest, RangeQueryUsesTheAgeIndex) {
  auto q = members.find(age >= 60).order_by(age);
  const std::string before = q.explain();
  EXPECT_NE(before.find("SCAN"), std::string::npos) << before;
  EXPECT_EQ(before.find("USING INDEX"), std::string::npos) << before;
  const auto rows_before = q.ids();

  members.ensure_index(age);
  const std::string after = q.explain();
  EXPECT_NE(after.find("USING INDEX sqler_ix_Member__age"), std::string::npos) << after;
  // The index also delivers the order: no sort step left.
  EXPECT_EQ(after.find("TEMP B-TREE"), std::string::npos) << after;
  // Same rows in the same order with or without the index.
  EXPECT_EQ(q.ids(), rows_before);
  EXPECT_EQ(static_cast<std::int64_t>(rows_before.size()), members.find(age >= 60).count());
  EXPECT_EQ(rows_before.size(), 32u);  // ages 60..67 occur 4 times each
}

TEST_F(IndexTest, CompositeIndex) {
  auto q = members.find(team == "red" && age > 60);
  EXPECT_EQ(q.explain().find("USING INDEX"), std::string::npos);
  const auto expected = q.count();
  members.ensure_index(team, age);
  const std::string plan = q.explain();
  EXPECT_NE(plan.find("USING INDEX sqler_ix_Member__team__age"), std::string::npos) << plan;
  EXPECT_EQ(q.count(), expected);
  EXPECT_GT(expected, 0);
  EXPECT_EQ(decltype(members)::index_sql(team, age),
            R"(CREATE INDEX IF NOT EXISTS "sqler_ix_Member__team__age" ON "Member" )"
            R"((json_extract(data,'$.team'), json_extract(data,'$.age')))");
}

TEST_F(IndexTest, NestedPathIndex) {
  auto q = members.find(home_city == "Lyon");
  EXPECT_EQ(q.explain().find("USING INDEX"), std::string::npos);
  members.ensure_index(home_city);
  const std::string plan = q.explain();
  EXPECT_NE(plan.find("USING INDEX"), std::string::npos) << plan;
  EXPECT_EQ(q.count(), 50);
  for (const Member& m : q) EXPECT_EQ(m.home.city, "Lyon");
}

TEST_F(IndexTest, EnsureIndexIsIdempotent) {
  const auto base = index_count();
  members.ensure_index(age);
  EXPECT_EQ(index_count(), base + 1);
  EXPECT_NO_THROW(members.ensure_index(age));
  EXPECT_NO_THROW(db.collection<Member>().ensure_index(age));
  EXPECT_EQ(index_count(), base + 1);
  members.ensure_unique_index(email);
  members.ensure_unique_index(email);
  EXPECT_EQ(index_count(), base + 2);
}

TEST_F(IndexTest, UniqueIndexRejectsDuplicates) {
  members.ensure_unique_index(email);
  EXPECT_THROW(members.insert({"m7@example.com", 30, "red", {"Nara", "JP"}}),
               sqler::constraint_error);
  EXPECT_EQ(members.size(), 200);

  const auto id = members.insert({"new@example.com", 30, "red", {"Nara", "JP"}});
  auto doc = members.get_or_throw(id);
  doc.email = "m8@example.com";
  try {
    members.replace(id, doc);
    ADD_FAILURE() << "update to a duplicate email did not throw";
  } catch (const sqler::constraint_error& e) {
    EXPECT_EQ(e.primary_code(), SQLITE_CONSTRAINT);
  }
  EXPECT_EQ(members.get_or_throw(id).email, "new@example.com");
  EXPECT_THROW(members.upsert(id, doc), sqler::constraint_error);
  EXPECT_EQ(members.find(email == "m8@example.com").count(), 1);

  // Another email is fine, and insert_many rolls back as a whole on a duplicate.
  doc.email = "other@example.com";
  EXPECT_NO_THROW(members.replace(id, doc));
  const std::vector<Member> batch{{"b1@example.com", 1, "red", {"x", "y"}},
                                  {"m9@example.com", 1, "red", {"x", "y"}}};
  EXPECT_THROW(members.insert_many(batch), sqler::constraint_error);
  EXPECT_FALSE(members.find(email == "b1@example.com").exists());
}

TEST_F(IndexTest, UniqueIndexOverExistingDuplicatesFails) {
  members.insert({"m1@example.com", 1, "red", {"x", "y"}});
  EXPECT_THROW(members.ensure_unique_index(email), sqler::constraint_error);
  // No index was left behind.
  auto q = members.find(email == "m1@example.com");
  EXPECT_EQ(q.explain().find("USING INDEX"), std::string::npos);
  EXPECT_EQ(q.count(), 2);
}

TEST_F(IndexTest, IndexSqlSpellsPathsLikeQueries) {
  using coll = sqler::collection<Member>;
  const std::string_view age_expr = indexed_expressions(coll::index_sql(age));
  EXPECT_EQ(age_expr, "json_extract(data,'$.age')");
  const auto q = members.find(age >= 3).order_by(age.desc());
  EXPECT_NE(decltype(q)::sql().find(age_expr), std::string_view::npos) << decltype(q)::sql();

  const std::string_view city_expr = indexed_expressions(coll::index_sql(home_city));
  EXPECT_EQ(city_expr, "json_extract(data,'$.home.city')");
  const auto cq = members.find(home_city.in({"Lyon"}) || home_city == "Kyoto");
  EXPECT_NE(decltype(cq)::sql().find(city_expr), std::string_view::npos) << decltype(cq)::sql();

  // Fixed at compile time, like query SQL.
  static_assert(coll::index_sql(email) ==
                R"(CREATE INDEX IF NOT EXISTS "sqler_ix_Member__email" ON "Member" )"
                R"((json_extract(data,'$.email')))");
}

}  // namespace
