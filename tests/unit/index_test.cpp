// Expression indexes: ensure_index renders the same path expression as queries (json_extract
// on SQLite, data->'a' on PostgreSQL), so the planner picks the index; unique indexes turn
// duplicates into sqler::constraint_error. On every backend.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "../support/backends.hpp"

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

// The one expression of a one-column index, without its ordering option (PostgreSQL's indexes
// keep nulls first, as SQLite orders them: "(data->'age') NULLS FIRST").
std::string_view indexed_expression(std::string_view ddl) {
  std::string_view e = indexed_expressions(ddl);
  constexpr std::string_view nulls_first = " NULLS FIRST";
  if (e.size() >= nulls_first.size() && e.substr(e.size() - nulls_first.size()) == nulls_first)
    e.remove_suffix(nulls_first.size());
  return e;
}

template <class B>
class IndexTest : public sqler_test::on_backend<B> {
 protected:
  void SetUp() override {
    sqler_test::on_backend<B>::SetUp();
    if (this->IsSkipped() || this->HasFatalFailure()) return;
    members.emplace(sqler_test::collection_of<Member>(this->db()));
    std::vector<Member> docs;
    const char* teams[] = {"red", "green", "blue"};
    const char* cities[] = {"Kyoto", "Osaka", "Lyon", "Porto"};
    for (int i = 0; i < 200; ++i) {
      // Built with append: g++ 12 -O3 warns falsely (-Wrestrict) on "lit" + std::string.
      std::string mail = std::to_string(i);
      mail.insert(0, 1, 'm').append("@example.com");
      docs.push_back({mail, 18 + i % 50, teams[i % 3], {cities[i % 4], i % 4 < 2 ? "JP" : "EU"}});
    }
    members->insert_many(docs);
  }

  std::int64_t index_count() {
    return std::get<0>(
        this->db()
            .template query<std::int64_t>(this->sql(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'Member'",
                "SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() AND "
                "tablename = 'Member'"))
            .at(0));
  }

  // The plan for q as the planner likes it best.
  template <class Q>
  std::string plan(const Q& q) {
    return q.explain();
  }
  // The plan for q where an index can serve it. SQLite's planner takes a usable index over a
  // scan of these 200 rows by itself; PostgreSQL's rightly prefers reading the table's few pages
  // (or a bitmap of index hits, then a sort), so there sequential scans and sorts are priced out
  // for the one EXPLAIN (on the thread's connection, which a single-threaded test keeps). That
  // tests what sqler controls: that the index's expressions (and their order) are the ones the
  // query writes, so the planner can use the index at all, and have it deliver the order.
  template <class Q>
  std::string plan_with_index(const Q& q) {
    if constexpr (sqler_test::is_postgres<B>) {
      this->db().execute("SET enable_seqscan = off; SET enable_sort = off");
      std::string out = q.explain();
      this->db().execute("RESET enable_seqscan; RESET enable_sort");
      return out;
    } else {
      return q.explain();
    }
  }

  // What a plan says when it reads the table through one of sqler's indexes (any, or this one).
  static constexpr std::string_view some_index() {
    return on_backend_t::sql("USING INDEX", "sqler_ix_");
  }
  static std::string uses_index(std::string_view name) {
    std::string out(on_backend_t::sql("USING INDEX ", ""));
    out += name;
    return out;
  }

  std::optional<sqler::collection<Member, typename B::backend>> members;

 private:
  using on_backend_t = sqler_test::on_backend<B>;
};
TYPED_TEST_SUITE(IndexTest, sqler_test::backends, sqler_test::backend_names);

TYPED_TEST(IndexTest, RangeQueryUsesTheAgeIndex) {
  auto& members = *this->members;
  auto q = members.find(age >= 60).order_by(age);
  const std::string before = this->plan(q);
  EXPECT_NE(before.find(this->sql("SCAN", "Seq Scan")), std::string::npos) << before;
  EXPECT_EQ(before.find(this->some_index()), std::string::npos) << before;
  const auto rows_before = q.ids();

  members.ensure_index(age);
  const std::string after = this->plan_with_index(q);
  EXPECT_NE(after.find(this->uses_index("sqler_ix_Member__age")), std::string::npos) << after;
  // The index also delivers the order: no sort step left.
  EXPECT_EQ(after.find(this->sql("TEMP B-TREE", "Sort")), std::string::npos) << after;
  // Same rows in the same order with or without the index.
  EXPECT_EQ(q.ids(), rows_before);
  EXPECT_EQ(static_cast<std::int64_t>(rows_before.size()), members.find(age >= 60).count());
  EXPECT_EQ(rows_before.size(), 32u);  // ages 60..67 occur 4 times each
}

TYPED_TEST(IndexTest, CompositeIndex) {
  auto& members = *this->members;
  auto q = members.find(team == "red" && age > 60);
  EXPECT_EQ(this->plan(q).find(this->some_index()), std::string::npos);
  const auto expected = q.count();
  members.ensure_index(team, age);
  const std::string plan = this->plan_with_index(q);
  EXPECT_NE(plan.find(this->uses_index("sqler_ix_Member__team__age")), std::string::npos) << plan;
  EXPECT_EQ(q.count(), expected);
  EXPECT_GT(expected, 0);
  using coll = std::remove_reference_t<decltype(members)>;
  EXPECT_EQ(coll::index_sql(team, age),
            this->sql(R"(CREATE INDEX IF NOT EXISTS "sqler_ix_Member__team__age" ON "Member" )"
                      R"((json_extract(data,'$.team'), json_extract(data,'$.age')))",
                      R"(CREATE INDEX IF NOT EXISTS "sqler_ix_Member__team__age" ON "Member" )"
                      R"((NULLIF((data->'team'), 'null'::jsonb) NULLS FIRST, )"
                      R"(NULLIF((data->'age'), 'null'::jsonb) NULLS FIRST))"));
}

TYPED_TEST(IndexTest, NestedPathIndex) {
  auto& members = *this->members;
  auto q = members.find(home_city == "Lyon");
  EXPECT_EQ(this->plan(q).find(this->some_index()), std::string::npos);
  members.ensure_index(home_city);
  const std::string plan = this->plan_with_index(q);
  EXPECT_NE(plan.find(this->some_index()), std::string::npos) << plan;
  EXPECT_EQ(q.count(), 50);
  for (const Member& m : q) EXPECT_EQ(m.home.city, "Lyon");
}

TYPED_TEST(IndexTest, EnsureIndexIsIdempotent) {
  auto& members = *this->members;
  const auto base = this->index_count();
  members.ensure_index(age);
  EXPECT_EQ(this->index_count(), base + 1);
  EXPECT_NO_THROW(members.ensure_index(age));
  EXPECT_NO_THROW(sqler_test::collection_of<Member>(this->db()).ensure_index(age));
  EXPECT_EQ(this->index_count(), base + 1);
  members.ensure_unique_index(email);
  members.ensure_unique_index(email);
  EXPECT_EQ(this->index_count(), base + 2);
}

TYPED_TEST(IndexTest, UniqueIndexRejectsDuplicates) {
  auto& members = *this->members;
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

TYPED_TEST(IndexTest, UniqueIndexOverExistingDuplicatesFails) {
  auto& members = *this->members;
  members.insert({"m1@example.com", 1, "red", {"x", "y"}});
  EXPECT_THROW(members.ensure_unique_index(email), sqler::constraint_error);
  // No index was left behind.
  auto q = members.find(email == "m1@example.com");
  EXPECT_EQ(this->plan_with_index(q).find(this->some_index()), std::string::npos);
  EXPECT_EQ(q.count(), 2);
}

TYPED_TEST(IndexTest, IndexSqlSpellsPathsLikeQueries) {
  auto& members = *this->members;
  using coll = std::remove_reference_t<decltype(members)>;
  const std::string_view age_expr = indexed_expression(coll::index_sql(age));
  EXPECT_EQ(age_expr,
            this->sql("json_extract(data,'$.age')", "NULLIF((data->'age'), 'null'::jsonb)"));
  const auto q = members.find(age >= 3).order_by(age.desc());
  EXPECT_NE(decltype(q)::sql().find(age_expr), std::string_view::npos) << decltype(q)::sql();

  const std::string_view city_expr = indexed_expression(coll::index_sql(home_city));
  EXPECT_EQ(city_expr, this->sql("json_extract(data,'$.home.city')",
                                  "NULLIF((data->'home'->'city'), 'null'::jsonb)"));
  const auto cq = members.find(home_city.in({"Lyon"}) || home_city == "Kyoto");
  EXPECT_NE(decltype(cq)::sql().find(city_expr), std::string_view::npos) << decltype(cq)::sql();

  // Fixed at compile time, like query SQL.
  static_assert(
      coll::index_sql(email) ==
      TestFixture::sql(R"(CREATE INDEX IF NOT EXISTS "sqler_ix_Member__email" ON "Member" )"
                       R"((json_extract(data,'$.email')))",
                       R"(CREATE INDEX IF NOT EXISTS "sqler_ix_Member__email" ON "Member" )"
                       R"((NULLIF((data->'email'), 'null'::jsonb) NULLS FIRST))"));
}

}  // namespace
