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

#include "../support/backends.hpp"
#include "../support/sql_text.hpp"

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

template <class Q>
names names_of(const Q& q) {
  names out;
  for (const User& u : q.all()) out.push_back(u.name);
  return out;
}

template <class B>
class QueryTest : public sqler_test::on_backend<B> {
 protected:
  void SetUp() override {
    sqler_test::on_backend<B>::SetUp();
    if (this->IsSkipped()) return;
    users_.emplace(sqler_test::collection_of<User>(this->db()));
    // Sort keys are chosen so every order below is total (no ties left to chance).
    add({"ann", 34, "Kyoto", {"a"}, {{"in", 3}}});
    add({"ben", 25, "Osaka", {}, {}});
    add({"cat", 41, "Kyoto", {"a", "b"}, {{"out", 9}}});
    add({"dan", 25, "Tokyo", {"b"}, {}});
    add({"eve", 19, "Osaka", {"c"}, {{"in", 12}}});
    add({"fay", 52, "Tokyo", {}, {}});
    add({"gus", 34, "Osaka", {"a"}, {}});
  }

  sqler::collection<User, typename B::backend>& users() { return *users_; }

  void add(const User& u) { ids_by_name[u.name] = users().insert(u); }

  names names_of_ids(const std::vector<std::int64_t>& ids) const {
    names out;
    for (auto id : ids)
      for (const auto& [n, i] : ids_by_name)
        if (i == id) out.push_back(n);
    return out;
  }

  // Names in row order from hand-written SQL over the same table (the tail in each backend's
  // spelling: json_extract(data,'$.age') on SQLite, (data->>'age')::numeric on PostgreSQL).
  template <class... P>
  names twin(std::string_view sqlite_tail, std::string_view pg_tail, const P&... params) {
    names out;
    const std::string sql =
        std::string(this->sql(R"(SELECT json_extract(data,'$.name') FROM "User" )",
                              R"(SELECT data->>'name' FROM "User" )")) +
        std::string(this->sql(sqlite_tail, pg_tail));
    for (const auto& [n] : this->db().template query<std::string>(sql, params...))
      out.push_back(n);
    return out;
  }

  std::optional<sqler::collection<User, typename B::backend>> users_;
  std::map<std::string, std::int64_t> ids_by_name;
};
TYPED_TEST_SUITE(QueryTest, sqler_test::backends, sqler_test::backend_names);

TYPED_TEST(QueryTest, FindWithoutPredicateReturnsEverything) {
  auto& users = this->users();
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

TYPED_TEST(QueryTest, OrderByMultipleKeys) {
  auto& users = this->users();
  const names by_age_desc_name_asc{"fay", "cat", "ann", "gus", "ben", "dan", "eve"};
  EXPECT_EQ(names_of(users.find().order_by(age.desc(), name.asc())), by_age_desc_name_asc);
  EXPECT_EQ(this->twin("ORDER BY json_extract(data,'$.age') DESC, json_extract(data,'$.name')",
                       "ORDER BY (data->>'age')::numeric DESC, data->>'name'"),
            by_age_desc_name_asc);

  const names by_city_asc_age_desc{"cat", "ann", "gus", "ben", "eve", "fay", "dan"};
  EXPECT_EQ(names_of(users.find().order_by(city.asc(), age.desc())), by_city_asc_age_desc);
  EXPECT_EQ(this->twin("ORDER BY json_extract(data,'$.city'), json_extract(data,'$.age') DESC",
                       "ORDER BY data->>'city', (data->>'age')::numeric DESC"),
            by_city_asc_age_desc);

  // A bare field sorts ascending; three keys, the last only breaking the remaining ties.
  const names three{"eve", "ben", "dan", "ann", "gus", "cat", "fay"};
  EXPECT_EQ(names_of(users.find().order_by(age, city.desc(), name)), (names{"eve", "dan", "ben", "gus", "ann", "cat", "fay"}));
  EXPECT_EQ(names_of(users.find().order_by(age.asc(), city.asc(), name.desc())), three);
  EXPECT_EQ(this->twin("ORDER BY json_extract(data,'$.age'), json_extract(data,'$.city'), "
                       "json_extract(data,'$.name') DESC",
                       "ORDER BY (data->>'age')::numeric, data->>'city', data->>'name' DESC"),
            three);

  // order_by replaces an earlier order_by rather than appending to it.
  EXPECT_EQ(names_of(users.find(age > 30).order_by(name.desc()).order_by(age.asc(), name.asc())),
            (names{"ann", "gus", "cat", "fay"}));
  // Sorting by an array's size.
  EXPECT_EQ(names_of(users.find(tags.size() > 0).order_by(tags.size().desc(), name.desc())),
            (names{"cat", "gus", "eve", "dan", "ann"}));
}

TYPED_TEST(QueryTest, LimitAndOffset) {
  auto& users = this->users();
  auto sorted = users.find().order_by(age.desc(), name.asc());
  EXPECT_EQ(names_of(sorted.limit(3)), (names{"fay", "cat", "ann"}));
  EXPECT_EQ(this->twin("ORDER BY json_extract(data,'$.age') DESC, json_extract(data,'$.name') "
                       "LIMIT ?1",
                       "ORDER BY (data->>'age')::numeric DESC, data->>'name' LIMIT $1", 3),
            (names{"fay", "cat", "ann"}));
  EXPECT_EQ(names_of(sorted.offset(2)), (names{"ann", "gus", "ben", "dan", "eve"}));
  EXPECT_EQ(names_of(sorted.limit(2).offset(3)), (names{"gus", "ben"}));
  EXPECT_EQ(names_of(sorted.offset(3).limit(2)), (names{"gus", "ben"}));
  EXPECT_EQ(this->twin("ORDER BY json_extract(data,'$.age') DESC, json_extract(data,'$.name') "
                       "LIMIT 2 OFFSET 3",
                       "ORDER BY (data->>'age')::numeric DESC, data->>'name' LIMIT 2 OFFSET 3"),
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

TYPED_TEST(QueryTest, NegativeLimitOrOffsetThrows) {
  auto& users = this->users();
  auto q = users.find(age > 0);
  EXPECT_THROW((void)q.limit(-1), sqler::error);
  EXPECT_THROW((void)q.offset(-3), sqler::error);
  EXPECT_NO_THROW((void)q.limit(0).offset(0));
}

TYPED_TEST(QueryTest, IterationStreamsRowsWithIdAndVersion) {
  auto& users = this->users();
  auto gus = *users.find(name == "gus").first();
  gus.age = 35;
  users.replace(this->ids_by_name.at("gus"), gus);

  auto q = users.find(city == "Osaka").order_by(age);
  names seen;
  for (const User& u : q) seen.push_back(u.name);
  EXPECT_EQ(seen, (names{"eve", "ben", "gus"}));

  std::vector<std::int64_t> ids, versions;
  for (auto it = q.begin(); it != q.end(); ++it) {
    ids.push_back(it.id());
    versions.push_back(it.version());
    EXPECT_EQ(this->ids_by_name.at(it->name), it.id());
  }
  EXPECT_EQ(ids, (std::vector<std::int64_t>{this->ids_by_name.at("eve"), this->ids_by_name.at("ben"),
                                            this->ids_by_name.at("gus")}));
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

TYPED_TEST(QueryTest, First) {
  auto& users = this->users();
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

TYPED_TEST(QueryTest, CountAndExists) {
  auto& users = this->users();
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
  auto rows = this->db().template query<std::int64_t>(
      this->sql(R"(SELECT COUNT(*) FROM "User" WHERE json_extract(data,'$.age') >= ?1)",
                R"(SELECT COUNT(*) FROM "User" WHERE (data->>'age')::numeric >= $1)"),
      25);
  EXPECT_EQ(std::get<0>(rows.at(0)), users.find(age >= 25).count());
}

TYPED_TEST(QueryTest, Ids) {
  auto& users = this->users();
  auto ids = users.find(city == "Osaka").order_by(age.desc()).ids();
  EXPECT_EQ(this->names_of_ids(ids), (names{"gus", "ben", "eve"}));
  EXPECT_EQ(this->names_of_ids(users.find(city == "Osaka").order_by(age.desc()).limit(1).offset(1).ids()),
            (names{"ben"}));
  EXPECT_TRUE(users.find(age < 0).ids().empty());
}

TYPED_TEST(QueryTest, RemoveReturnsCountAndRespectsWindow) {
  auto& users = this->users();
  EXPECT_EQ(users.find(city == "Tokyo").remove(), 2);
  EXPECT_EQ(users.size(), 5);
  EXPECT_FALSE(users.contains(this->ids_by_name.at("dan")));
  EXPECT_FALSE(users.contains(this->ids_by_name.at("fay")));
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

TYPED_TEST(QueryTest, AllVersioned) {
  auto& users = this->users();
  auto v = users.get_versioned(this->ids_by_name.at("cat"));
  ASSERT_TRUE(v);
  v->value.age = 42;
  users.replace(*v);
  users.replace(*v);
  auto rows = users.find(city == "Kyoto").order_by(name).all_versioned();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, this->ids_by_name.at("ann"));
  EXPECT_EQ(rows[0].version, 1);
  EXPECT_EQ(rows[0].value.name, "ann");
  EXPECT_EQ(rows[1].id, this->ids_by_name.at("cat"));
  EXPECT_EQ(rows[1].version, 3);
  EXPECT_EQ(rows[1].value.age, 42);
}

// Values go through bind parameters: text that would break out of a quoted SQL literal is
// just data and matches exactly the one document that holds it.
TYPED_TEST(QueryTest, ValuesAreBoundNeverSpliced) {
  auto& users = this->users();
  const std::vector<std::string> hostile{
      "O'Brien",
      "x'); DROP TABLE \"User\"; --",
      "' OR '1'='1",
      "\"quoted\" \\ back",
      "?1",
      "%",
  };
  for (const auto& h : hostile) this->add({h, 1, h, {h}, {}});
  for (const auto& h : hostile) {
    SCOPED_TRACE(h);
    auto ids = users.find(name == h).ids();
    ASSERT_EQ(ids.size(), 1u);
    EXPECT_EQ(ids[0], this->ids_by_name.at(h));
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

// On PostgreSQL the text is the PostgreSQL dialect's (data->'age', $N placeholders): the same
// properties hold - a constant of the shape, every value a placeholder in order, none spliced.
using sqler_test::has;
// The placeholders run $1..$<last> (PostgreSQL's spelling, not SQLite's ?N).
constexpr bool pg_placeholders(std::string_view sql, char last) {
  const char next[3] = {'$', static_cast<char>(last + 1), '\0'};
  const char mine[3] = {'$', last, '\0'};
  return !has(sql, "?1") && has(sql, std::string_view(mine, 2)) &&
         !has(sql, std::string_view(next, 2));
}

TYPED_TEST(QueryTest, SqlIsACompileTimeConstantOfTheShape) {
  auto& users = this->users();
  constexpr bool pg = sqler_test::is_postgres<TypeParam>;
  constexpr std::string_view select = R"(SELECT _id, _version, data FROM "User" WHERE )";
  auto q = users.find(age >= 30).order_by(age.desc()).limit(10);
  if constexpr (!pg)
    static_assert(decltype(q)::sql() ==
                  R"(SELECT _id, _version, data FROM "User" WHERE json_extract(data,'$.age') >= ?1 ORDER BY json_extract(data,'$.age') DESC LIMIT ?2)");
  else
    static_assert(decltype(q)::sql().starts_with(select) && pg_placeholders(decltype(q)::sql(), '2') &&
                  has(decltype(q)::sql(), " DESC") && !has(decltype(q)::sql(), "30") &&
                  !has(decltype(q)::sql(), "10"));
  EXPECT_EQ(names_of(q), (names{"fay", "cat", "ann", "gus"}));

  auto any_q = users.find(visits.any(visit_val > 8));
  if constexpr (!pg)
    static_assert(decltype(any_q)::sql() ==
                  R"(SELECT _id, _version, data FROM "User" WHERE EXISTS (SELECT 1 FROM json_each(data,'$.visits') AS je1 WHERE json_extract(je1.value,'$.val') > ?1))");
  else
    static_assert(decltype(any_q)::sql().starts_with(select) &&
                  pg_placeholders(decltype(any_q)::sql(), '1') &&
                  has(decltype(any_q)::sql(), "EXISTS (SELECT 1 FROM "));
  EXPECT_EQ(names_of(any_q.order_by(name)), (names{"cat", "eve"}));

  auto any_of_q = users.find(tags.contains_any({"b", "c"}));
  if constexpr (!pg)
    static_assert(decltype(any_of_q)::sql() ==
                  R"(SELECT _id, _version, data FROM "User" WHERE EXISTS (SELECT 1 FROM json_each(data,'$.tags') AS je1 WHERE je1.value IN (SELECT value FROM json_each(?1))))");
  else  // the list is one bound JSON array, whatever its length
    static_assert(decltype(any_of_q)::sql().starts_with(select) &&
                  pg_placeholders(decltype(any_of_q)::sql(), '1'));
  EXPECT_EQ(names_of(any_of_q.order_by(name)), (names{"cat", "dan", "eve"}));

  auto in_q = users.find(city.in({"Kyoto", "Tokyo"}) && age < 50).offset(1);
  if constexpr (!pg)
    static_assert(decltype(in_q)::sql() ==
                  R"(SELECT _id, _version, data FROM "User" WHERE (json_extract(data,'$.city') IN (SELECT value FROM json_each(?1)) AND json_extract(data,'$.age') < ?2) LIMIT -1 OFFSET ?3)");
  else
    static_assert(decltype(in_q)::sql().starts_with(select) &&
                  pg_placeholders(decltype(in_q)::sql(), '3') &&
                  has(decltype(in_q)::sql(), " OFFSET $3") && !has(decltype(in_q)::sql(), "Kyoto"));
  EXPECT_EQ(in_q.count(), 2);

  auto all_q = users.find();
  static_assert(decltype(all_q)::sql() == R"(SELECT _id, _version, data FROM "User")");
  static_assert(decltype(all_q)::template sql_of<sqler::detail::count_kind>() ==
                R"(SELECT COUNT(*) FROM "User")");

  auto contains_q = users.find(tags.contains("a") || !(name == "x"));
  if constexpr (!pg)
    static_assert(decltype(contains_q)::sql() ==
                  R"(SELECT _id, _version, data FROM "User" WHERE (EXISTS (SELECT 1 FROM json_each(data,'$.tags') AS je1 WHERE je1.value = ?1) OR NOT (json_extract(data,'$.name') = ?2)))");
  else
    static_assert(decltype(contains_q)::sql().starts_with(select) &&
                  pg_placeholders(decltype(contains_q)::sql(), '2') &&
                  has(decltype(contains_q)::sql(), " OR NOT ("));
  EXPECT_EQ(contains_q.count(), 7);
}

TYPED_TEST(QueryTest, ValuesDoNotChangeTheShape) {
  auto& users = this->users();
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
TYPED_TEST(QueryTest, DocIdIsAPredicate) {
  auto& users = this->users();
  const auto ann = this->ids_by_name["ann"], cat = this->ids_by_name["cat"],
             gus = this->ids_by_name["gus"];
  EXPECT_EQ(names_of(users.find(sqler::doc_id == cat)), names{"cat"});
  EXPECT_EQ(names_of(users.find(sqler::doc_id > cat && age < 30).order_by(name)),
            (names{"dan", "eve"}));
  EXPECT_EQ(names_of(users.find(sqler::doc_id.in({ann, gus, 999})).order_by(name)),
            (names{"ann", "gus"}));
  EXPECT_EQ(names_of(users.find(sqler::doc_id.in({}))), names{});
  EXPECT_EQ(names_of(users.find(city == "Kyoto" || sqler::doc_id == gus).order_by(name)),
            (names{"ann", "cat", "gus"}));
  if constexpr (!sqler_test::is_postgres<TypeParam>)
    static_assert(decltype(users.find(sqler::doc_id == 1))::sql() ==
                  R"(SELECT _id, _version, data FROM "User" WHERE _id = ?1)");
  else {  // the id column itself, compared with a bigint: no JSON in sight
    constexpr std::string_view id_sql = decltype(users.find(sqler::doc_id == 1))::sql();
    EXPECT_TRUE(id_sql == R"(SELECT _id, _version, data FROM "User" WHERE _id = $1)" ||
                id_sql == R"(SELECT _id, _version, data FROM "User" WHERE _id = $1::bigint)")
        << id_sql;
  }
  // The twin written by hand agrees.
  EXPECT_EQ(names_of(users.find(sqler::doc_id >= cat).order_by(name)),
            this->twin("WHERE _id >= ?1 ORDER BY json_extract(data,'$.name')",
                       "WHERE _id >= $1 ORDER BY data->>'name'", cat));
}

TYPED_TEST(QueryTest, FirstVersionedGivesTheIdAndVersion) {
  auto& users = this->users();
  users.update(this->ids_by_name["eve"], sqler::inc(age, 1));
  const auto v = users.find(age < 21).first_versioned();
  ASSERT_TRUE(v);
  EXPECT_EQ(v->id, this->ids_by_name["eve"]);
  EXPECT_EQ(v->version, 2);
  EXPECT_EQ(v->value.age, 20);
  EXPECT_FALSE(users.find(age > 100).first_versioned());
}

}  // namespace
