// sqler::profiler::warn_on_full_scans: a filtering query run repeatedly that reads a whole large
// table is reported once, with the table, its rows, the SQL and the index that would serve it;
// indexed filters, small tables, rare queries and unfiltered reads are not.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "sqler/sqler.hpp"

namespace scan {

struct User {
  std::string name;
  int age = 0;
  std::string city;
};

struct Ranked {
  std::string name;
  int rank = 0;
};

}  // namespace scan

template <>
struct sqler::promoted<scan::Ranked> : sqler::columns<&scan::Ranked::rank> {};

namespace {

using scan::Ranked;
using scan::User;

constexpr auto age = sqler::field<&User::age>;
constexpr auto city = sqler::field<&User::city>;
constexpr auto name = sqler::field<&User::name>;

class ScanWarning : public ::testing::Test {
 protected:
  void fill(int n) {
    std::vector<User> docs;
    for (int i = 0; i < n; ++i)
      docs.push_back({"u" + std::to_string(i), i % 80, i % 3 == 0 ? "Oslo" : "Lima"});
    users.insert_many(docs);
  }

  sqler::full_scan_options collect(std::uint64_t repeats = 10) {
    sqler::full_scan_options o;
    o.repeats = repeats;
    o.min_rows = 1000;
    o.on_warning = [this](const sqler::full_scan_warning& w) { seen.push_back(w); };
    return o;
  }

  sqler::database db = sqler::database::in_memory();
  sqler::collection<User> users = db.collection<User>();
  std::vector<sqler::full_scan_warning> seen;
};

TEST_F(ScanWarning, RepeatedUnindexedFilterOnALargeTableWarnsOnce) {
  fill(2000);
  sqler::profiler prof(db);
  prof.warn_on_full_scans(collect());
  auto q = users.find(age > 70);
  for (int i = 0; i < 30; ++i) EXPECT_EQ(q.count(), 225);

  ASSERT_EQ(seen.size(), 1u);
  const auto& w = seen[0];
  EXPECT_EQ(w.sql, decltype(q)::sql_of<sqler::detail::count_kind>());
  EXPECT_EQ(w.table, "User");
  EXPECT_EQ(w.rows, 2000);
  EXPECT_EQ(w.count, 11u);
  EXPECT_EQ(w.suggestion,
            "ensure_index on the member(s) at $.age: " +
                std::string(decltype(users)::index_sql(age)));
  EXPECT_EQ(prof.full_scan_warnings().size(), 1u);
  // The check's own queries (EXPLAIN QUERY PLAN, COUNT(*)) are not counted.
  EXPECT_EQ(prof.total_queries(), 30u);
  EXPECT_TRUE(prof.warnings().empty());  // no N+1 either
}

TEST_F(ScanWarning, AfterEnsureIndexTheSameFilterDoesNotWarn) {
  fill(2000);
  users.ensure_index(age);
  sqler::profiler prof(db);
  prof.warn_on_full_scans(collect());
  for (int i = 0; i < 30; ++i) users.find(age > 70).count();
  EXPECT_TRUE(seen.empty());

  // Another filter on the same table still does, naming both members it compares.
  for (int i = 0; i < 30; ++i) users.find(city == "Oslo" && name.starts_with("u1")).ids();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].suggestion,
            "ensure_index on the member(s) at $.city, $.name: " +
                std::string(decltype(users)::index_sql(city, name)));
}

TEST_F(ScanWarning, SmallTablesRareQueriesAndUnfilteredReadsDoNotWarn) {
  fill(500);
  {
    sqler::profiler prof(db);
    prof.warn_on_full_scans(collect());
    for (int i = 0; i < 30; ++i) users.find(age > 70).count();
    EXPECT_TRUE(seen.empty());  // 500 rows: not over min_rows

    fill(1500);  // 2000 now, but the shape was checked already in this scope
    for (int i = 0; i < 30; ++i) users.find(age > 70).count();
    EXPECT_TRUE(seen.empty());
  }

  sqler::profiler prof(db, 10, [](const sqler::n_plus_one_warning&) {});
  prof.warn_on_full_scans(collect());
  for (int i = 0; i < 10; ++i) users.find(age < 3).count();  // not more than 10 times
  for (int i = 0; i < 30; ++i) users.size();                   // no filter: reads all by design
  for (int i = 0; i < 30; ++i) users.get(1);                   // single-row by key
  EXPECT_TRUE(seen.empty());
  users.find(age < 3).count();  // the 11th
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].rows, 2000);
}

TEST_F(ScanWarning, PromotedColumnsAreSuggestedAsTheirColumn) {
  auto ranked = db.collection<Ranked>();
  std::vector<Ranked> docs;
  for (int i = 0; i < 1200; ++i) docs.push_back({"r", i});
  ranked.insert_many(docs);
  constexpr auto rank = sqler::field<&Ranked::rank>;
  sqler::profiler prof(db);
  prof.warn_on_full_scans(collect(3));
  for (int i = 0; i < 5; ++i) ranked.find(rank.between(10, 20)).ids();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].table, "Ranked");
  EXPECT_EQ(seen[0].rows, 1200);
  EXPECT_EQ(seen[0].suggestion, "ensure_index on the member(s) at $.rank: " +
                                    std::string(decltype(ranked)::index_sql(rank)));
  // Bulk updates by query are checked too.
  for (int i = 0; i < 5; ++i) ranked.find(sqler::field<&Ranked::name> == "none").update(sqler::set(rank, 1));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].sql.rfind("UPDATE \"Ranked\"", 0), 0u) << seen[1].sql;
}

TEST_F(ScanWarning, DefaultHandlerPrintsToStderrAndNPlusOneStillWorks) {
  fill(1100);
  testing::internal::CaptureStderr();
  {
    sqler::profiler prof(db);
    prof.warn_on_full_scans();
    for (int i = 0; i < 12; ++i) users.find(city == "Lima").count();
    for (int i = 1; i <= 12; ++i) users.get(i);
    EXPECT_EQ(prof.full_scan_warnings().size(), 1u);
    EXPECT_EQ(prof.warnings().size(), 1u);
  }
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("sqler: full scan: a statement run 11 times in a profiler scope reads all "
                     "1100 rows of \"User\" each time: SELECT COUNT(*) FROM \"User\" WHERE "
                     "json_extract(data,'$.city') = ?1\n  fix: ensure_index on the member(s) at "
                     "$.city: CREATE INDEX IF NOT EXISTS \"sqler_ix_User__city\" ON \"User\" "
                     "(json_extract(data,'$.city'))\n"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("sqler: possible N+1"), std::string::npos) << err;
}

}  // namespace
