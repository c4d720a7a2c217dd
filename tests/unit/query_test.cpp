// The query API (find/order_by/limit/offset and every way of running a query) and the SQL that
// each query shape renders at compile time.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "sqler/sqler.hpp"

namespace {

struct Visit {
  std::string kind;
  int val;
};

struct User {
  std::string name;
  int age;
  std::string city;
  std::vector<std::string> tags;
  std::vector<Visit> visits;
};

constexpr auto name = sqler::field<&User::name>;
constexpr auto age = sqler::field<&User::age>;
constexpr auto city = sqler::field<&User::city>;
constexpr auto tags = sqler::field<&User::tags>;
constexpr auto visits = sqler::field<&User::visits>;
constexpr auto visit_val = sqler::field<&Visit::val>;

using names = std::vector<std::string>;

class QueryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Sort keys are chosen so every order below is total (no ties left to chance).
    add({"ann", 34, "Kyoto", {"a"}, {{"in", 3}}});
    add({"ben", 25, "Osaka", {}, {}});
    add({"cat", 41, "Kyoto", {"a", "b"}, {{"out", 9}}});
    add({"dan", 25, "Tokyo", {"b"}, {}});
    add({"eve", 19, "Osaka", {"c"}, {{"in", 12}}});
    add({"fay", 52, "Tokyo", {}, {}});
    add({"gus", 34, "Osaka", {"a"}, {}});
  }

  void add(const User& u) { ids_by_name[u.name] = users.insert(u); }

  template <class Q>
  static names names_of(const Q& q) {
    names out;
    for (const User& u : q.all()) out.push_back(u.name);
    return out;
  }

  names names_of_ids(const std::vector<std::int64_t>& ids) const {
    names out;
    for (auto id : ids)
      for (const auto& [n, i] : ids_by_name)
        if (i == id) out.push_back(n);
    return out;
  }

  // Names in row order from hand-written SQL over the same table.
  template <class... P>
  names twin(const std::string& tail, const P&... params) {
    names out;
    for (const auto& [n] : db.query<std::string>(
             R"(SELECT json_extract(data,'$.name') FROM "User" )" + tail, params...))
      out.push_back(n);
    return out;
  }

  sqler::database db = sqler::database::in_memory();
  sqler::collection<User> users = db.collection<User>();
  std::map<std::string, std::int64_t> ids_by_name;
};

TEST_F(QueryTest, FindWithoutPredicateReturnsEverything) {
  auto q = users.find();
  EXPECT_EQ(q.count(), 7);
  EXPECT_TRUE(q.exists());
  const auto ids = q.ids();
  EXPECT_EQ(std::set<std::int64_t>(ids.begin(), ids.end()).size(), 7u);
  auto all = users.all().order_by(name).all();
  ASSERT_EQ(all.size(), 7u);
  EXPECT_EQ(all.front().name, "ann");
  EXPECT_EQ(all.back().name, "gus");
  EXPECT_EQ(all[2].age, 41);
  EXPECT_EQ(all[2].tags, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(all[2].visits.size(), 1u);
  EXPECT_EQ(all[2].visits[0].kind, "out");
}

TEST_F(QueryTest, OrderByMultipleKeys) {
  const names by_age_desc_name_asc{"fay", "cat", "ann", "gus", "ben", "dan", "eve"};
  EXPECT_EQ(names_of(users.find().order_by(age.desc(), name.asc())), by_age_desc_name_asc);
  EXPECT_EQ(twin("ORDER BY json_extract(data,'$.age') DESC, json_extract(data,'$.name')"),
            by_age_desc_name_asc);

  const names by_city_asc_age_desc{"cat", "ann", "gus", "ben", "eve", "fay", "dan"};
  EXPECT_EQ(names_of(users.find().order_by(city.asc(), age.desc())), by_city_asc_age_desc);
  EXPECT_EQ(twin("ORDER BY json_extract(data,'$.city'), json_extract(data,'$.age') DESC"),
            by_city_asc_age_desc);

  // A bare field sorts ascending; three keys, the last only breaking the remaining ties.
  const names three{"eve", "ben", "dan", "ann", "gus", "cat", "fay"};
  EXPECT_EQ(names_of(users.find().order_by(age, city.desc(), name)), (names{"eve", "dan", "ben", "gus", "ann", "cat", "fay"}));
  EXPECT_EQ(names_of(users.find().order_by(age.asc(), city.asc(), name.desc())), three);
  EXPECT_EQ(twin("ORDER BY json_extract(data,'$.age'), json_extract(data,'$.city'), "
                 "json_extract(data,'$.name') DESC"),
            three);

  // order_by replaces an earlier order_by rather than appending to it.
  EXPECT_EQ(names_of(users.find(age > 30).order_by(name.desc()).order_by(age.asc(), name.asc())),
            (names{"ann", "gus", "cat", "fay"}));
  // Sorting by an array's size.
  EXPECT_EQ(names_of(users.find(tags.size() > 0).order_by(tags.size().desc(), name.desc())),
            (names{"cat", "gus", "eve", "dan", "ann"}));
}

TEST_F(QueryTest, LimitAndOffset) {
  auto sorted = users.find().order_by(age.desc(), name.asc());
  EXPECT_EQ(names_of(sorted.limit(3)), (names{"fay", "cat", "ann"}));
  EXPECT_EQ(twin("ORDER BY json_extract(data,'$.age') DESC, json_extract(data,'$.name') LIMIT ?1", 3),
            (names{"fay", "cat", "ann"}));
  EXPECT_EQ(names_of(sorted.offset(2)), (names{"ann", "gus", "ben", "dan", "eve"}));
  EXPECT_EQ(names_of(sorted.limit(2).offset(3)), (names{"gus", "ben"}));
  EXPECT_EQ(names_of(sorted.offset(3).limit(2)), (names{"gus", "ben"}));
  EXPECT_EQ(twin("ORDER BY json_extract(data,'$.age') DESC, json_extract(data,'$.name') LIMIT 2 "
                 "OFFSET 3"),
            (names{"gus", "ben"}));
  EXPECT_EQ(names_of(sorted.offset(5)), (names{"dan", "eve"}));
  EXPECT_TRUE(sorted.offset(7).all().empty());
  EXPECT_TRUE(sorted.limit(0).all().empty());
  EXPECT_EQ(sorted.limit(100).all().size(), 7u);
  // Limit with a predicate: parameters after the predicate's own.
  auto osaka = users.find(city == "Osaka" && age > 18).order_by(age).limit(2);
  EXPECT_EQ(names_of(osaka), (names{"eve", "ben"}));
  // A later limit() replaces the earlier value.
  EXPECT_EQ(names_of(sorted.limit(1).limit(2)), (names{"fay", "cat"}));
}

TEST_F(QueryTest, NegativeLimitOrOffsetThrows) {
  auto q = users.find(age > 0);
  EXPECT_THROW((void)q.limit(-1), sqler::error);
  EXPECT_THROW((void)q.offset(-3), sqler::error);
  EXPECT_NO_THROW((void)q.limit(0).offset(0));
}

TEST_F(QueryTest, IterationStreamsRowsWithIdAndVersion) {
  auto gus = *users.find(name == "gus").first();
  gus.age = 35;
  users.replace(ids_by_name.at("gus"), gus);

  auto q = users.find(city == "Osaka").order_by(age);
  names seen;
  for (const User& u : q) seen.push_back(u.name);
  EXPECT_EQ(seen, (names{"eve", "ben", "gus"}));

  std::vector<std::int64_t> ids, versions;
  for (auto it = q.begin(); it != q.end(); ++it) {
    ids.push_back(it.id());
    versions.push_back(it.version());
    EXPECT_EQ(ids_by_name.at(it->name), it.id());
  }
  EXPECT_EQ(ids, (std::vector<std::int64_t>{ids_by_name.at("eve"), ids_by_name.at("ben"),
                                            ids_by_name.at("gus")}));
  EXPECT_EQ(versions, (std::vector<std::int64_t>{1, 1, 2}));
  EXPECT_EQ((*users.find(name == "gus").begin()).age, 35);

  // Nothing matches: begin() is already the end.
  auto none = users.find(age > 1000);
  EXPECT_TRUE(none.begin() == none.end());
  // Leaving a loop early hands the statement back: the shape is usable again right away.
  for (const User& u : q) {
    EXPECT_EQ(u.name, "eve");
    break;
  }
  EXPECT_EQ(names_of(q), (names{"eve", "ben", "gus"}));
}

TEST_F(QueryTest, First) {
  EXPECT_EQ(users.find(age > 1000).first(), std::nullopt);
  auto oldest = users.find().order_by(age.desc()).first();
  ASSERT_TRUE(oldest.has_value());
  EXPECT_EQ(oldest->name, "fay");
  auto youngest_in_osaka = users.find(city == "Osaka").order_by(age.asc()).first();
  ASSERT_TRUE(youngest_in_osaka);
  EXPECT_EQ(youngest_in_osaka->name, "eve");
  // With an offset, first() is the first row of the window.
  EXPECT_EQ(users.find().order_by(age.desc(), name).offset(2).first()->name, "ann");
  EXPECT_EQ(users.find(name == "dan").first()->city, "Tokyo");
}

TEST_F(QueryTest, CountAndExists) {
  EXPECT_EQ(users.find(age >= 25).count(), 6);
  EXPECT_EQ(users.find(city == "Kyoto").count(), 2);
  EXPECT_EQ(users.find(city == "Nara").count(), 0);
  EXPECT_TRUE(users.find(city == "Kyoto").exists());
  EXPECT_FALSE(users.find(city == "Nara").exists());
  // Windows apply to count and exists as they do to the rows.
  EXPECT_EQ(users.find(age >= 25).limit(2).count(), 2);
  EXPECT_EQ(users.find(age >= 25).offset(5).count(), 1);
  EXPECT_EQ(users.find(age >= 25).offset(6).count(), 0);
  EXPECT_EQ(users.find(age >= 25).limit(10).offset(4).count(), 2);
  EXPECT_EQ(users.find().limit(0).count(), 0);
  EXPECT_TRUE(users.find().offset(6).exists());
  EXPECT_FALSE(users.find().offset(7).exists());
  EXPECT_FALSE(users.find().limit(0).exists());
  auto rows = db.query<std::int64_t>(
      R"(SELECT COUNT(*) FROM "User" WHERE json_extract(data,'$.age') >= ?1)", 25);
  EXPECT_EQ(std::get<0>(rows.at(0)), users.find(age >= 25).count());
}

TEST_F(QueryTest, Ids) {
  auto ids = users.find(city == "Osaka").order_by(age.desc()).ids();
  EXPECT_EQ(names_of_ids(ids), (names{"gus", "ben", "eve"}));
  EXPECT_EQ(names_of_ids(users.find(city == "Osaka").order_by(age.desc()).limit(1).offset(1).ids()),
            (names{"ben"}));
  EXPECT_TRUE(users.find(age < 0).ids().empty());
}

TEST_F(QueryTest, RemoveReturnsCountAndRespectsWindow) {
  EXPECT_EQ(users.find(city == "Tokyo").remove(), 2);
  EXPECT_EQ(users.size(), 5);
  EXPECT_FALSE(users.contains(ids_by_name.at("dan")));
  EXPECT_FALSE(users.contains(ids_by_name.at("fay")));
  EXPECT_EQ(users.find(city == "Tokyo").remove(), 0);

  // The two youngest go, in the query's order: eve (19), then ben (25).
  EXPECT_EQ(users.find().order_by(age.asc(), name.asc()).limit(2).remove(), 2);
  EXPECT_EQ(names_of(users.find().order_by(name)), (names{"ann", "cat", "gus"}));
  // Offset without limit spares the first rows.
  EXPECT_EQ(users.find().order_by(age.desc()).offset(1).remove(), 2);
  EXPECT_EQ(names_of(users.find()), (names{"cat"}));
  EXPECT_EQ(users.find().remove(), 1);
  EXPECT_EQ(users.size(), 0);
}

TEST_F(QueryTest, AllVersioned) {
  auto v = users.get_versioned(ids_by_name.at("cat"));
  ASSERT_TRUE(v);
  v->value.age = 42;
  users.replace(*v);
  users.replace(*v);
  auto rows = users.find(city == "Kyoto").order_by(name).all_versioned();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, ids_by_name.at("ann"));
  EXPECT_EQ(rows[0].version, 1);
  EXPECT_EQ(rows[0].value.name, "ann");
  EXPECT_EQ(rows[1].id, ids_by_name.at("cat"));
  EXPECT_EQ(rows[1].version, 3);
  EXPECT_EQ(rows[1].value.age, 42);
}

// Values go through bind parameters: text that would break out of a quoted SQL literal is
// just data and matches exactly the one document that holds it.
TEST_F(QueryTest, ValuesAreBoundNeverSpliced) {
  const std::vector<std::string> hostile{
      "O'Brien",
      "x'); DROP TABLE \"User\"; --",
      "' OR '1'='1",
      "\"quoted\" \\ back",
      "?1",
      "%",
  };
  for (const auto& h : hostile) add({h, 1, h, {h}, {}});
  for (const auto& h : hostile) {
    SCOPED_TRACE(h);
    auto ids = users.find(name == h).ids();
    ASSERT_EQ(ids.size(), 1u);
    EXPECT_EQ(ids[0], ids_by_name.at(h));
    EXPECT_EQ(users.find(city == h && name == h).count(), 1);
    EXPECT_EQ(users.find(tags.contains(h)).ids(), ids);
    EXPECT_EQ(users.find(name.in({h})).ids(), ids);
  }
  EXPECT_EQ(users.size(), 13);
  EXPECT_EQ(users.find(name == "O'Brien' OR 1=1 --").count(), 0);
  // like() binds its pattern too: only the wildcard characters are special.
  EXPECT_EQ(names_of(users.find(name.like("%'%")).order_by(name)),
            (names{"' OR '1'='1", "O'Brien", "x'); DROP TABLE \"User\"; --"}));
}

// ---- the SQL each shape renders, fixed at compile time

TEST_F(QueryTest, SqlIsACompileTimeConstantOfTheShape) {
  auto q = users.find(age >= 30).order_by(age.desc()).limit(10);
  static_assert(decltype(q)::sql() ==
                R"(SELECT _id, _version, data FROM "User" WHERE json_extract(data,'$.age') >= ?1 ORDER BY json_extract(data,'$.age') DESC LIMIT ?2)");
  EXPECT_EQ(names_of(q), (names{"fay", "cat", "ann", "gus"}));

  auto any_q = users.find(visits.any(visit_val > 8));
  static_assert(decltype(any_q)::sql() ==
                R"(SELECT _id, _version, data FROM "User" WHERE EXISTS (SELECT 1 FROM json_each(data,'$.visits') AS je1 WHERE json_extract(je1.value,'$.val') > ?1))");
  EXPECT_EQ(names_of(any_q.order_by(name)), (names{"cat", "eve"}));

  auto any_of_q = users.find(tags.contains_any({"b", "c"}));
  static_assert(decltype(any_of_q)::sql() ==
                R"(SELECT _id, _version, data FROM "User" WHERE EXISTS (SELECT 1 FROM json_each(data,'$.tags') AS je1 WHERE je1.value IN (SELECT value FROM json_each(?1))))");
  EXPECT_EQ(names_of(any_of_q.order_by(name)), (names{"cat", "dan", "eve"}));

  auto in_q = users.find(city.in({"Kyoto", "Tokyo"}) && age < 50).offset(1);
  static_assert(decltype(in_q)::sql() ==
                R"(SELECT _id, _version, data FROM "User" WHERE (json_extract(data,'$.city') IN (SELECT value FROM json_each(?1)) AND json_extract(data,'$.age') < ?2) LIMIT -1 OFFSET ?3)");
  EXPECT_EQ(in_q.count(), 2);

  auto all_q = users.find();
  static_assert(decltype(all_q)::sql() == R"(SELECT _id, _version, data FROM "User")");
  static_assert(decltype(all_q)::sql_of<sqler::detail::count_kind>() ==
                R"(SELECT COUNT(*) FROM "User")");

  auto contains_q = users.find(tags.contains("a") || !(name == "x"));
  static_assert(decltype(contains_q)::sql() ==
                R"(SELECT _id, _version, data FROM "User" WHERE (EXISTS (SELECT 1 FROM json_each(data,'$.tags') AS je1 WHERE je1.value = ?1) OR NOT (json_extract(data,'$.name') = ?2)))");
  EXPECT_EQ(contains_q.count(), 7);
}

TEST_F(QueryTest, ValuesDoNotChangeTheShape) {
  auto q1 = users.find(age >= 30 && city == "Kyoto").order_by(age.desc()).limit(10);
  auto q2 = users.find(age >= 1 && city == std::string("a much longer city name"))
                .order_by(age.desc())
                .limit(3);
  static_assert(std::is_same_v<decltype(q1), decltype(q2)>);
  auto l1 = users.find(city.in({"Kyoto"}));
  auto l2 = users.find(city.in({"Kyoto", "Osaka", "Tokyo", "Nara"}));
  static_assert(std::is_same_v<decltype(l1), decltype(l2)>);
  auto c1 = users.find(tags.contains_any({"a"}));
  auto c2 = users.find(tags.contains_any({"a", "b", "c"}));
  static_assert(std::is_same_v<decltype(c1), decltype(c2)>);
  // ...and a different operator or window is a different shape.
  auto other_op = users.find(age > 30 && city == "Kyoto").order_by(age.desc()).limit(10);
  static_assert(!std::is_same_v<decltype(q1), decltype(other_op)>);
  static_assert(!std::is_same_v<decltype(q1), decltype(q1.offset(1))>);
  EXPECT_EQ(names_of(q1), (names{"cat", "ann"}));
  EXPECT_EQ(names_of(q2), names{});
  EXPECT_EQ(l1.count(), 2);
  EXPECT_EQ(l2.count(), 7);
  EXPECT_EQ(c1.count(), 3);
  EXPECT_EQ(c2.count(), 5);
}

}  // namespace

namespace {

// The row id as a predicate, alone and combined with others.
TEST_F(QueryTest, DocIdIsAPredicate) {
  const auto ann = ids_by_name["ann"], cat = ids_by_name["cat"], gus = ids_by_name["gus"];
  EXPECT_EQ(names_of(users.find(sqler::doc_id == cat)), names{"cat"});
  EXPECT_EQ(names_of(users.find(sqler::doc_id > cat && age < 30).order_by(name)),
            (names{"dan", "eve"}));
  EXPECT_EQ(names_of(users.find(sqler::doc_id.in({ann, gus, 999})).order_by(name)),
            (names{"ann", "gus"}));
  EXPECT_EQ(names_of(users.find(sqler::doc_id.in({}))), names{});
  EXPECT_EQ(names_of(users.find(city == "Kyoto" || sqler::doc_id == gus).order_by(name)),
            (names{"ann", "cat", "gus"}));
  static_assert(decltype(users.find(sqler::doc_id == 1))::sql() ==
                R"(SELECT _id, _version, data FROM "User" WHERE _id = ?1)");
  // The twin written by hand agrees.
  EXPECT_EQ(names_of(users.find(sqler::doc_id >= cat).order_by(name)),
            twin("WHERE _id >= ?1 ORDER BY json_extract(data,'$.name')", cat));
}

TEST_F(QueryTest, FirstVersionedGivesTheIdAndVersion) {
  users.update(ids_by_name["eve"], sqler::inc(age, 1));
  const auto v = users.find(age < 21).first_versioned();
  ASSERT_TRUE(v);
  EXPECT_EQ(v->id, ids_by_name["eve"]);
  EXPECT_EQ(v->version, 2);
  EXPECT_EQ(v->value.age, 20);
  EXPECT_FALSE(users.find(age > 100).first_versioned());
}

}  // namespace
