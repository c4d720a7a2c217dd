// Paths past a member: array elements (at<I>(), last(), at(i)), members of an element
// (member<&E::m>()), map entries (key<"k">(), key(k)). Each filter is checked against the
// documents that must match and against a hand-written SQL twin, as in expr_test.cpp.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "../support/backends.hpp"

namespace {

struct Item {
  std::string sku;
  int qty;
  std::map<std::string, int> meta;
};

struct Box {
  std::string name;
  int rank;
  std::vector<int> nums;
  std::vector<std::string> tags;
  std::vector<Item> items;
  std::map<std::string, int> attrs;
  std::map<std::string, Item> parts;
  std::vector<std::vector<int>> grid;
  std::array<int, 3> trio;
  std::optional<std::vector<int>> maybe;
};

constexpr auto rank = sqler::field<&Box::rank>;
constexpr auto nums = sqler::field<&Box::nums>;
constexpr auto tags = sqler::field<&Box::tags>;
constexpr auto items = sqler::field<&Box::items>;
constexpr auto attrs = sqler::field<&Box::attrs>;
constexpr auto parts = sqler::field<&Box::parts>;
constexpr auto grid = sqler::field<&Box::grid>;
constexpr auto trio = sqler::field<&Box::trio>;
constexpr auto maybe = sqler::field<&Box::maybe>;

using name_set = std::set<std::string>;

// ---- compile-time properties: types, nullability and the literal paths

static_assert(decltype(nums.at<0>())::path.view() == "$.nums[0]");
static_assert(decltype(nums.last())::path.view() == "$.nums[#-1]");
static_assert(decltype(items.at<1>().member<&Item::sku>())::path.view() == "$.items[1].sku");
static_assert(decltype(attrs.key<"color">())::path.view() == "$.attrs.color");
static_assert(decltype(attrs.key<"a.b">())::path.view() == R"($.attrs."a.b")");
static_assert(decltype(attrs.key<"">())::path.view() == R"($.attrs."")");
static_assert(decltype(attrs.key<"x[1]">())::path.view() == R"($.attrs."x[1]")");
static_assert(decltype(attrs.key<"1st">())::path.view() == R"($.attrs."1st")");
static_assert(decltype(attrs.key<"o'clock">())::path.view() == R"($.attrs."o'clock")");
static_assert(decltype(attrs.key<"prénom">())::path.view() == "$.attrs.prénom");
static_assert(decltype(parts.key<"a b">().member<&Item::meta>().key<"k">())::path.view() ==
              R"($.parts."a b".meta.k)");
static_assert(decltype(grid.at<2>().last())::path.view() == "$.grid[2][#-1]");
static_assert(decltype(maybe.at<0>())::path.view() == "$.maybe[0]");
static_assert(std::is_same_v<decltype(items.at<0>().member<&Item::qty>())::value_type, int>);
// member<>() after a member is the nested field itself.
static_assert(std::is_same_v<decltype(parts.key<"k">().member<&Item::meta>()),
                             decltype(sqler::field<&Box::parts>.key<"k">().member<&Item::meta>())>);

static_assert(std::is_same_v<decltype(nums.at<0>())::value_type, int>);
static_assert(std::is_same_v<decltype(items.last())::value_type, Item>);
static_assert(std::is_same_v<decltype(grid.at<0>())::value_type, std::vector<int>>);
static_assert(std::is_same_v<decltype(attrs.key<"n">())::value_type, int>);
static_assert(std::is_same_v<decltype(parts.key<"n">())::value_type, Item>);
static_assert(std::is_same_v<decltype(attrs.key("n"))::value_type, int>);
static_assert(decltype(nums.at<0>())::nullable && decltype(attrs.key<"n">())::nullable);
static_assert(!decltype(rank)::nullable);
static_assert(std::is_same_v<decltype(nums.at<0>())::root, Box>);

// The SQL each renders on SQLite (the README's table).
template <class Pred>
std::string where_of(const sqler::collection<Box>& c, const Pred& p) {
  const std::string sql(c.find(p).sql());
  const auto at = sql.find(" WHERE ");
  return at == std::string::npos ? sql : sql.substr(at + 7);
}

template <class B>
class PathsTest : public sqler_test::on_backend<B> {
 protected:
  void SetUp() override {
    sqler_test::on_backend<B>::SetUp();
    if (this->IsSkipped()) return;
    boxes_.emplace(sqler_test::collection_of<Box>(this->db()));
    add({"a", 1, {5, 6, 7}, {"x", "y"}, {{"s1", 2, {{"k", 1}}}, {"s2", 9, {}}},
         {{"n", 1}, {"color", 7}}, {{"wheel", {"w", 4, {}}}}, {{1, 2}, {3}}, {1, 2, 3},
         std::vector<int>{8}});
    add({"b", 2, {7}, {"y"}, {{"s3", 1, {{"k", 2}}}}, {{"n", 5}}, {}, {{}, {4, 5}}, {4, 5, 6},
         std::nullopt});
    add({"c", 3, {}, {}, {}, {}, {}, {}, {0, 0, 0}, std::vector<int>{}});
    add({"d", 4, {1, 5}, {"x"}, {{"s2", 3, {}}, {"s1", 7, {{"k", 3}}}}, {{"color", 2}},
         {{"a b", {"ab", 6, {{"k", 4}}}}}, {{9}}, {7, 8, 9}, std::vector<int>{1, 2}});
  }

  sqler::collection<Box, typename B::backend>& boxes() { return *boxes_; }

  void add(const Box& b) { ids[b.name] = boxes().insert(b); }

  template <class Pred>
  name_set names(const Pred& p) {
    name_set out;
    for (const Box& b : boxes().find(p).all()) out.insert(b.name);
    return out;
  }

  // The twin's WHERE in each backend's spelling: json_extract on SQLite; ->, ->> (cast to
  // numeric for numbers) and jsonb functions on PostgreSQL.
  template <class... P>
  name_set twin(std::string_view sqlite_where, std::string_view pg_where, const P&... params) {
    name_set out;
    const std::string sql =
        std::string(this->sql("SELECT json_extract(data,'$.name') FROM \"Box\" WHERE ",
                              "SELECT data->>'name' FROM \"Box\" WHERE ")) +
        std::string(this->sql(sqlite_where, pg_where));
    for (const auto& [n] : this->db().template query<std::string>(sql, params...))
      out.insert(n);
    return out;
  }

  // The DSL and its SQL twin agree, and both give `expected`.
  template <class Pred, class... P>
  void check(const Pred& p, const name_set& expected, std::string_view sqlite_where,
             std::string_view pg_where, const P&... params) {
    SCOPED_TRACE("twin: " + std::string(this->sql(sqlite_where, pg_where)));
    SCOPED_TRACE("dsl: " + std::string(boxes().find(p).sql()));
    EXPECT_EQ(names(p), expected);
    EXPECT_EQ(boxes().find(p).count(), static_cast<std::int64_t>(expected.size()));
    EXPECT_EQ(twin(sqlite_where, pg_where, params...), expected);
  }

  // The collection whose explain() the index test reads: on PostgreSQL, over a connection whose
  // planner avoids sequential scans.
  auto planning_boxes() {
    if constexpr (B::is_postgres) {
#if SQLER_TEST_POSTGRES
      return sqler_test::connect_preferring_indexes(this->env()).template collection<Box>();
#endif
    } else {
      return this->db().template collection<Box>();
    }
  }

  std::optional<sqler::collection<Box, typename B::backend>> boxes_;
  std::map<std::string, std::int64_t> ids;
};
TYPED_TEST_SUITE(PathsTest, sqler_test::backends, sqler_test::backend_names);

// The exact SQLite text: SQLite only (the PostgreSQL dialect spells paths data->'a'->0).
TEST(PathsSqlite, RendersLiteralPaths) {
  auto db = sqler::database::in_memory();
  auto boxes = db.collection<Box>();
  EXPECT_EQ(where_of(boxes, tags.at<0>() == "x"), "json_extract(data,'$.tags[0]') = ?1");
  EXPECT_EQ(where_of(boxes, nums.last() > 1), "json_extract(data,'$.nums[#-1]') > ?1");
  EXPECT_EQ(where_of(boxes, items.at<1>().member<&Item::sku>() == "s1"),
            "json_extract(data,'$.items[1].sku') = ?1");
  EXPECT_EQ(where_of(boxes, attrs.key<"color">() == 2),
            "json_extract(data,'$.attrs.color') = ?1");
  EXPECT_EQ(where_of(boxes, attrs.key<"a.b">() == 2),
            R"(json_extract(data,'$.attrs."a.b"') = ?1)");
  // A ' in a key is doubled inside the SQL literal.
  EXPECT_EQ(where_of(boxes, attrs.key<"o'clock">() == 2),
            R"(json_extract(data,'$.attrs."o''clock"') = ?1)");
  EXPECT_EQ(where_of(boxes, attrs.key("color") == 2), "json_extract(data,?1) = ?2");
  EXPECT_EQ(where_of(boxes, grid.at<0>().contains(2)),
            "EXISTS (SELECT 1 FROM json_each(data,'$.grid[0]') AS je1 WHERE je1.value = ?1)");
  EXPECT_EQ(where_of(boxes, grid.last().size() > 1),
            "json_array_length(data,'$.grid[#-1]') > ?1");
  EXPECT_EQ(where_of(boxes, nums.at<0>().is_null()), "json_extract(data,'$.nums[0]') IS NULL");
  EXPECT_EQ(where_of(boxes, rank > 0 && attrs.key("n").between(1, 5)),
            "(json_extract(data,'$.rank') > ?1 AND json_extract(data,?2) BETWEEN ?3 AND ?4)");
}

TYPED_TEST(PathsTest, ElementFilters) {
  this->check(tags.at<0>() == "x", {"a", "d"}, "json_extract(data,'$.tags[0]') = ?1",
              "data->'tags'->>0 = $1", "x");
  this->check(tags.at<1>() == "y", {"a"}, "json_extract(data,'$.tags[1]') = ?1",
              "data->'tags'->>1 = $1", "y");
  this->check(nums.last() == 7, {"a", "b"}, "json_extract(data,'$.nums[#-1]') = ?1",
              "(data->'nums'->>(-1))::numeric = $1", 7);
  this->check(nums.at<0>() >= 5, {"a", "b"}, "json_extract(data,'$.nums[0]') >= ?1",
              "(data->'nums'->>0)::numeric >= $1", 5);
  this->check(nums.at<1>().in({6, 5}), {"a", "d"},
              "json_extract(data,'$.nums[1]') IN (SELECT value FROM json_each(?1))",
              "(data->'nums'->>1)::numeric IN (SELECT jsonb_array_elements_text($1::jsonb)::numeric)",
              "[6,5]");
  this->check(nums.at<0>().between(2, 6), {"a"},
              "json_extract(data,'$.nums[0]') BETWEEN ?1 AND ?2",
              "(data->'nums'->>0)::numeric BETWEEN $1 AND $2", 2, 6);
  this->check(items.at<1>().member<&Item::sku>() == "s1", {"d"},
              "json_extract(data,'$.items[1].sku') = ?1", "data->'items'->1->>'sku' = $1", "s1");
  this->check(items.at<0>().member<&Item::qty>() < 3, {"a", "b"},
              "json_extract(data,'$.items[0].qty') < ?1",
              "(data->'items'->0->>'qty')::numeric < $1", 3);
  this->check(items.last().member<&Item::sku>().starts_with("s"), {"a", "b", "d"},
              "json_extract(data,'$.items[#-1].sku') LIKE 's%'",
              "data->'items'->(-1)->>'sku' LIKE 's%'");
  this->check(items.at<0>().member<&Item::meta>().key<"k">() == 1, {"a"},
              "json_extract(data,'$.items[0].meta.k') = ?1",
              "(data->'items'->0->'meta'->>'k')::numeric = $1", 1);
  // An element that is itself an array: contains(), size(), and its elements.
  const std::string p_grid0 =
      "EXISTS (SELECT 1 FROM jsonb_array_elements_text(data->'grid'->0) AS e(v) WHERE "
      "v::numeric = $1)";
  this->check(grid.at<0>().contains(2), {"a"},
              "EXISTS (SELECT 1 FROM json_each(data,'$.grid[0]') WHERE value = ?1)", p_grid0, 2);
  this->check(grid.at<1>().size() == 2, {"b"}, "json_array_length(data,'$.grid[1]') = ?1",
              "jsonb_array_length(data->'grid'->1) = $1", 2);
  this->check(grid.at<1>().at<1>() == 5, {"b"}, "json_extract(data,'$.grid[1][1]') = ?1",
              "(data->'grid'->1->>1)::numeric = $1", 5);
  this->check(trio.at<2>() > 5, {"b", "d"}, "json_extract(data,'$.trio[2]') > ?1",
              "(data->'trio'->>2)::numeric > $1", 5);
  this->check(maybe.at<0>() == 8, {"a"}, "json_extract(data,'$.maybe[0]') = ?1",
              "(data->'maybe'->>0)::numeric = $1", 8);
  // Element against element, and arithmetic on elements.
  this->check(nums.at<0>() < nums.last(), {"a", "d"},
              "json_extract(data,'$.nums[0]') < json_extract(data,'$.nums[#-1]')",
              "(data->'nums'->>0)::numeric < (data->'nums'->>(-1))::numeric");
  this->check(nums.at<0>() + rank == 9, {"b"},
              "(json_extract(data,'$.nums[0]') + json_extract(data,'$.rank')) = ?1",
              "((data->'nums'->>0)::numeric + (data->>'rank')::numeric) = $1", 9);
  // Inside any(): a path of the element type.
  this->check(items.any(sqler::field<&Item::meta>.template key<"k">() >= 2), {"b", "d"},
              "EXISTS (SELECT 1 FROM json_each(data,'$.items') WHERE "
              "json_extract(value,'$.meta.k') >= ?1)",
              "EXISTS (SELECT 1 FROM jsonb_array_elements(data->'items') AS e(value) WHERE "
              "(e.value->'meta'->>'k')::numeric >= $1)",
              2);
}

TYPED_TEST(PathsTest, EmptyArraysAndIndexesPastTheEndMatchNothing) {
  // c has no elements at all; nothing has a fourth element.
  this->check(nums.at<0>() == 0, {}, "json_extract(data,'$.nums[0]') = ?1",
              "(data->'nums'->>0)::numeric = $1", 0);
  this->check(nums.at<3>() >= 0, {}, "json_extract(data,'$.nums[3]') >= ?1",
              "(data->'nums'->>3)::numeric >= $1", 0);
  this->check(nums.at<3>() != 0, {}, "json_extract(data,'$.nums[3]') <> ?1",
              "(data->'nums'->>3)::numeric <> $1", 0);
  this->check(nums.at<1000000>() == 1, {}, "json_extract(data,'$.nums[1000000]') = ?1",
              "(data->'nums'->>1000000)::numeric = $1", 1);
  this->check(tags.last() == "x", {"d"}, "json_extract(data,'$.tags[#-1]') = ?1",
              "data->'tags'->>(-1) = $1", "x");
  this->check(items.at<5>().member<&Item::sku>() == "s1", {},
              "json_extract(data,'$.items[5].sku') = ?1", "data->'items'->5->>'sku' = $1", "s1");
  this->check(nums.at(9) == 1, {}, "json_extract(data,?1) = ?2",
              "(jsonb_path_query_first(data, $1::jsonpath) #>> '{}')::numeric = $2", "$.nums[9]",
              1);
  // is_null() finds them: the element is missing.
  this->check(nums.at<0>().is_null(), {"c"}, "json_extract(data,'$.nums[0]') IS NULL",
              "data->'nums'->>0 IS NULL");
  this->check(nums.last().is_null(), {"c"}, "json_extract(data,'$.nums[#-1]') IS NULL",
              "data->'nums'->>(-1) IS NULL");
  this->check(nums.at<1>().is_null(), {"b", "c"}, "json_extract(data,'$.nums[1]') IS NULL",
              "data->'nums'->>1 IS NULL");
  this->check(maybe.at<0>().is_null(), {"b", "c"}, "json_extract(data,'$.maybe[0]') IS NULL",
              "data->'maybe'->>0 IS NULL");
  this->check(grid.at<0>().contains(1), {"a"},
              "EXISTS (SELECT 1 FROM json_each(data,'$.grid[0]') WHERE value = ?1)",
              "EXISTS (SELECT 1 FROM jsonb_array_elements_text(data->'grid'->0) AS e(v) WHERE "
              "v::numeric = $1)",
              1);
  this->check(grid.at<7>().contains(1), {},
              "EXISTS (SELECT 1 FROM json_each(data,'$.grid[7]') WHERE value = ?1)",
              "EXISTS (SELECT 1 FROM jsonb_array_elements_text(data->'grid'->7) AS e(v) WHERE "
              "v::numeric = $1)",
              1);
  this->check(attrs.key<"missing">() == 1, {}, "json_extract(data,'$.attrs.missing') = ?1",
              "(data->'attrs'->>'missing')::numeric = $1", 1);
}

TYPED_TEST(PathsTest, RunTimeIndexAndKey) {
  auto& boxes = this->boxes();
  // A bound path in each backend's spelling: sqler's ($.nums[0]) is a SQL/JSON path too.
  const std::string p_bound = "(jsonb_path_query_first(data, $1::jsonpath) #>> '{}')::numeric = $2";
  for (std::size_t i : {0u, 1u, 2u}) {
    SCOPED_TRACE(i);
    std::string path = "$.nums[" + std::to_string(i) + "]";
    this->check(nums.at(i) == 5,
                this->twin("json_extract(data,'" + path + "') = 5",
                           "(data->'nums'->>" + std::to_string(i) + ")::numeric = 5"),
                "json_extract(data,?1) = ?2", p_bound, path, 5);
  }
  this->check(attrs.key("color") == 7, {"a"}, "json_extract(data,'$.attrs.color') = ?1",
              "(data->'attrs'->>'color')::numeric = $1", 7);
  this->check(parts.key("a b").member<&Item::qty>() == 6, {"d"},
              R"(json_extract(data,'$.parts."a b".qty') = ?1)",
              "(data->'parts'->'a b'->>'qty')::numeric = $1", 6);
  this->check(items.at(0).member<&Item::sku>() == "s2", {"d"},
              "json_extract(data,'$.items[0].sku') = ?1", "data->'items'->0->>'sku' = $1", "s2");
  this->check(grid.at(1).last() == 5, {"b"}, "json_extract(data,'$.grid[1][#-1]') = ?1",
              "(data->'grid'->1->>(-1))::numeric = $1", 5);
  // Every predicate shape, with the key's path bound before the node's own values.
  this->check(rank >= 1 && attrs.key("n").in({5, 6}) && rank <= 9, {"b"},
              "json_extract(data,'$.attrs.n') IN (5, 6)",
              "(data->'attrs'->>'n')::numeric IN (5, 6)");
  this->check(rank >= 1 && attrs.key("n").between(1, 4), {"a"},
              "json_extract(data,'$.attrs.n') BETWEEN 1 AND 4",
              "(data->'attrs'->>'n')::numeric BETWEEN 1 AND 4");
  this->check(attrs.key("color").is_null(), {"b", "c"},
              "json_extract(data,'$.attrs.color') IS NULL", "data->'attrs'->'color' IS NULL");
  this->check(attrs.key("color").is_not_null() && rank > 1, {"d"},
              "json_extract(data,'$.attrs.color') IS NOT NULL AND json_extract(data,'$.rank') > 1",
              "data->'attrs'->'color' IS NOT NULL AND (data->>'rank')::numeric > 1");
  this->check(rank > 0 && parts.key("wheel").member<&Item::sku>().like("w%"), {"a"},
              "json_extract(data,'$.parts.wheel.sku') LIKE 'w%'",
              "data->'parts'->'wheel'->>'sku' LIKE 'w%'");
  this->check(rank > 0 && parts.key("a b").member<&Item::sku>().like("a!b", '!'), {"d"},
              R"(json_extract(data,'$.parts."a b".sku') = 'ab')",
              "data->'parts'->'a b'->>'sku' = 'ab'");
  this->check(rank > 0 && parts.key("a b").member<&Item::sku>().starts_with("a"), {"d"},
              R"(json_extract(data,'$.parts."a b".sku') LIKE 'a%')",
              "data->'parts'->'a b'->>'sku' LIKE 'a%'");
  this->check(rank > 0 && parts.key("wheel").member<&Item::sku>().ends_with("w"), {"a"},
              "json_extract(data,'$.parts.wheel.sku') = 'w'",
              "data->'parts'->'wheel'->>'sku' = 'w'");
  this->check(rank > 0 && parts.key("wheel").member<&Item::sku>().iequals("W"), {"a"},
              "json_extract(data,'$.parts.wheel.sku') = 'w'",
              "data->'parts'->'wheel'->>'sku' = 'w'");
  this->check(attrs.key("n") < rank + 1, {"a"},
              "json_extract(data,'$.attrs.n') < json_extract(data,'$.rank') + 1",
              "(data->'attrs'->>'n')::numeric < (data->>'rank')::numeric + 1");
  this->check(items.any(sqler::field<&Item::meta>.key("k") == 3 && sqler::field<&Item::qty> > 5),
              {"d"},
              "EXISTS (SELECT 1 FROM json_each(data,'$.items') WHERE json_extract(value,'$.meta.k') "
              "= 3 AND json_extract(value,'$.qty') > 5)",
              "EXISTS (SELECT 1 FROM jsonb_array_elements(data->'items') AS e(value) WHERE "
              "(e.value->'meta'->>'k')::numeric = 3 AND (e.value->>'qty')::numeric > 5)");
  // Aggregates bind the path too.
  EXPECT_EQ(boxes.find().sum(attrs.key("n")), 6);
  EXPECT_EQ(boxes.find(rank > 1).max(attrs.key("color")), 2);
}

TYPED_TEST(PathsTest, OrderByAnElement) {
  auto& boxes = this->boxes();
  auto order = [&](const auto& q) {
    std::vector<std::string> out;
    for (const Box& b : q.all()) out.push_back(b.name);
    return out;
  };
  // A missing element is NULL, which sorts first ascending.
  EXPECT_EQ(order(boxes.find().order_by(nums.at<0>().asc(), rank.asc())),
            (std::vector<std::string>{"c", "d", "a", "b"}));
  EXPECT_EQ(order(boxes.find(nums.at<0>().is_not_null()).order_by(nums.last().desc(), rank.asc())),
            (std::vector<std::string>{"a", "b", "d"}));
  EXPECT_EQ(order(boxes.find(items.at<0>().is_not_null())
                      .order_by(items.at<0>().member<&Item::qty>())),
            (std::vector<std::string>{"b", "a", "d"}));
  EXPECT_EQ(order(boxes.find().order_by(attrs.key<"n">().desc(), rank.asc())),
            (std::vector<std::string>{"b", "a", "c", "d"}));
  // The sort key is the element's path, spelled as its index is (so the index can serve it).
  const std::string by_first_sql(boxes.find().order_by(nums.at<0>().asc()).sql());
  if constexpr (!sqler_test::is_postgres<TypeParam>) {
    EXPECT_NE(by_first_sql.find("ORDER BY json_extract(data,'$.nums[0]') ASC"), std::string::npos)
        << by_first_sql;
  } else {  // CREATE INDEX ... ON "Box" (<key> NULLS FIRST)
    const std::string ddl(
        sqler::collection<Box, typename TypeParam::backend>::index_sql(nums.at<0>()));
    const auto open = ddl.find(R"(ON "Box" ()"), close = ddl.rfind(" NULLS FIRST)");
    ASSERT_TRUE(open != std::string::npos && close != std::string::npos) << ddl;
    const std::string key = ddl.substr(open + 10, close - open - 10);
    EXPECT_NE(key.find("'nums'"), std::string::npos) << key;
    EXPECT_NE(by_first_sql.find("ORDER BY " + key + " ASC"), std::string::npos)
        << by_first_sql << " / " << key;
  }
  // Group keys and aggregates over elements and entries.
  std::map<std::string, std::int64_t> by_first_tag;
  for (const auto& [tag, n] : boxes.find(tags.at<0>().is_not_null()).group_by(tags.at<0>()).count())
    by_first_tag[tag.value()] = n;
  EXPECT_EQ(by_first_tag, (std::map<std::string, std::int64_t>{{"x", 2}, {"y", 1}}));
  EXPECT_EQ(boxes.find().sum(attrs.key<"n">()), 6);
  // A run-time key as a group key: its path is bound once, used three times.
  const auto by_color = boxes.find().group_by(attrs.key("color")).count();
  EXPECT_EQ(by_color, (std::vector<std::pair<std::optional<int>, std::int64_t>>{
                          {std::nullopt, 2}, {2, 1}, {7, 1}}));
}

// SQLite: EXPLAIN QUERY PLAN says USING INDEX <name>. PostgreSQL: EXPLAIN names the btree the
// scan uses, quoted ("sqler_ix_Box__nums[0]"), read on a connection whose planner avoids
// sequential scans (with four rows a scan is otherwise always cheaper); the primary key's
// index, which such a planner may walk instead, is not one of sqler's.
TYPED_TEST(PathsTest, IndexesOnElementsAndCompileTimeKeys) {
  auto& boxes = this->boxes();
  auto planned = this->planning_boxes();
  constexpr bool pg = sqler_test::is_postgres<TypeParam>;
  const auto no_index = [](const std::string& plan) {
    return plan.find(pg ? "sqler_ix_" : "USING INDEX") == std::string::npos;
  };
  const auto uses = [](const std::string& plan, std::string_view sqlite_name,
                       std::string_view pg_quoted_name) {
    return plan.find(pg ? std::string(pg_quoted_name)
                        : "USING INDEX " + std::string(sqlite_name)) != std::string::npos;
  };
  auto by_first = planned.find(nums.at<0>() == 5);
  auto by_color = planned.find(attrs.key<"color">() >= 2).order_by(attrs.key<"color">());
  auto by_spaced = planned.find(parts.key<"a b">().member<&Item::qty>() == 6);
  auto by_last_sku = planned.find(items.last().member<&Item::sku>() == "s1");
  EXPECT_TRUE(no_index(by_first.explain())) << by_first.explain();
  EXPECT_TRUE(no_index(by_color.explain())) << by_color.explain();

  boxes.ensure_index(nums.at<0>());
  boxes.ensure_index(attrs.key<"color">());
  boxes.ensure_index(parts.key<"a b">().member<&Item::qty>());
  boxes.ensure_index(items.last().member<&Item::sku>());
  boxes.ensure_index(attrs.key<"o'clock">());  // a ' in the key: doubled in the DDL

  EXPECT_TRUE(uses(by_first.explain(), "sqler_ix_Box__nums[0]", R"("sqler_ix_Box__nums[0]")"))
      << by_first.explain();
  EXPECT_TRUE(uses(by_color.explain(), "sqler_ix_Box__attrs.color",
                   R"("sqler_ix_Box__attrs.color")"))
      << by_color.explain();
  EXPECT_TRUE(uses(by_spaced.explain(), R"(sqler_ix_Box__parts."a b".qty)",
                   R"("sqler_ix_Box__parts.""a b"".qty")"))
      << by_spaced.explain();
  EXPECT_TRUE(uses(by_last_sku.explain(), "sqler_ix_Box__items[#-1].sku",
                   R"("sqler_ix_Box__items[#-1].sku")"))
      << by_last_sku.explain();
  const std::string oclock_plan = planned.find(attrs.key<"o'clock">() == 1).explain();
  EXPECT_TRUE(uses(oclock_plan, "", R"("sqler_ix_Box__attrs.""o'clock""")")) << oclock_plan;
  // The DDL: the name quoted as an identifier, the key's ' doubled in its literal.
  using coll = sqler::collection<Box, typename TypeParam::backend>;
  const std::string spaced_ddl(coll::index_sql(parts.key<"a b">().member<&Item::qty>()));
  const std::string oclock_ddl(coll::index_sql(attrs.key<"o'clock">()));
  if constexpr (!pg) {
    EXPECT_EQ(spaced_ddl,
              R"(CREATE INDEX IF NOT EXISTS "sqler_ix_Box__parts.""a b"".qty" ON "Box" )"
              R"((json_extract(data,'$.parts."a b".qty')))");
    EXPECT_EQ(oclock_ddl,
              R"(CREATE INDEX IF NOT EXISTS "sqler_ix_Box__attrs.""o'clock""" ON "Box" )"
              R"((json_extract(data,'$.attrs."o''clock"')))");
  } else {  // the key as the filters write it: data->'parts'->'a b'->'qty'
    EXPECT_TRUE(spaced_ddl.starts_with(
        R"(CREATE INDEX IF NOT EXISTS "sqler_ix_Box__parts.""a b"".qty" ON "Box" ()"))
        << spaced_ddl;
    EXPECT_NE(spaced_ddl.find("data->'parts'->'a b'->'qty'"), std::string::npos) << spaced_ddl;
    EXPECT_TRUE(oclock_ddl.starts_with(
        R"(CREATE INDEX IF NOT EXISTS "sqler_ix_Box__attrs.""o'clock""" ON "Box" ()"))
        << oclock_ddl;
    EXPECT_NE(oclock_ddl.find("data->'attrs'->'o''clock'"), std::string::npos) << oclock_ddl;
  }
  // The results do not change with the index.
  EXPECT_EQ(this->names(nums.at<0>() == 5), (name_set{"a"}));
  EXPECT_EQ(this->names(attrs.key<"color">() >= 2), (name_set{"a", "d"}));
  EXPECT_EQ(this->names(parts.key<"a b">().member<&Item::qty>() == 6), (name_set{"d"}));
  // A run-time key is bound: it cannot use the index (documented), but still answers.
  const std::string bound_plan = planned.find(attrs.key("color") >= 2).explain();
  EXPECT_TRUE(no_index(bound_plan)) << bound_plan;
  EXPECT_EQ(this->names(attrs.key("color") >= 2), (name_set{"a", "d"}));
}

TYPED_TEST(PathsTest, PatchesOnElementsAndEntries) {
  auto& boxes = this->boxes();
  const auto& ids = this->ids;
  const auto a = ids.at("a"), c = ids.at("c");
  boxes.update(a, sqler::set(tags.at<0>(), "first"), sqler::inc(attrs.key<"n">(), 2),
               sqler::set(items.at<1>().member<&Item::qty>(), 10),
               sqler::push(grid.at<1>(), 4));
  Box got = boxes.get_or_throw(a);
  EXPECT_EQ(got.tags, (std::vector<std::string>{"first", "y"}));
  EXPECT_EQ(got.attrs, (std::map<std::string, int>{{"n", 3}, {"color", 7}}));
  EXPECT_EQ(got.items.at(1).qty, 10);
  EXPECT_EQ(got.grid, (std::vector<std::vector<int>>{{1, 2}, {3, 4}}));

  // inc on a missing entry starts from 0 and creates it; keys needing quotes work too.
  boxes.update(a, sqler::inc(attrs.key<"new key">(), 4), sqler::set(attrs.key<"o'clock">(), 12),
               sqler::set(nums.last(), 70), sqler::inc(attrs.key<"a.b">(), 1));
  got = boxes.get_or_throw(a);
  EXPECT_EQ(got.attrs, (std::map<std::string, int>{
                           {"n", 3}, {"color", 7}, {"new key", 4}, {"o'clock", 12}, {"a.b", 1}}));
  EXPECT_EQ(got.nums, (std::vector<int>{5, 6, 70}));

  // Range-checked like a member: an int element takes no 2^40.
  EXPECT_THROW(boxes.update(a, sqler::inc(nums.at<0>(), std::int64_t{1} << 40)), sqler::error);
  EXPECT_EQ(boxes.get_or_throw(a).nums, (std::vector<int>{5, 6, 70}));

  // Past the end of an array, SQLite's json_set appends only at exactly the length; [#-1] of an
  // empty array is nothing and changes nothing. The same on every backend.
  boxes.update(c, sqler::set(nums.last(), 1));
  EXPECT_EQ(boxes.get_or_throw(c).nums, std::vector<int>{});
  boxes.update(c, sqler::set(nums.at<3>(), 1));
  EXPECT_EQ(boxes.get_or_throw(c).nums, std::vector<int>{});

  // Query-wide patch through a filter on an element.
  EXPECT_EQ(boxes.find(tags.at<0>() == "x").update(sqler::set(tags.at<0>(), "X")), 1);
  EXPECT_EQ(boxes.get_or_throw(ids.at("d")).tags, (std::vector<std::string>{"X"}));
}

// Each key is stored by the codec (as a std::map<std::string, int> key), then found by the
// compile-time key<...>() and by the run-time key(k).
struct Tagged {
  std::string label;
  std::map<std::string, int> attrs;
};
constexpr auto tagged_attrs = sqler::field<&Tagged::attrs>;
constexpr auto label = sqler::field<&Tagged::label>;

template <class B>
class HostileKeys : public sqler_test::on_backend<B> {
 protected:
  void SetUp() override {
    sqler_test::on_backend<B>::SetUp();
    if (this->IsSkipped()) return;
    coll_.emplace(sqler_test::collection_of<Tagged>(this->db()));
    int n = 0;
    for (const char* k : keys) coll().insert({k, {{k, ++n}, {"plain", 0}}});
  }

  sqler::collection<Tagged, typename B::backend>& coll() { return *coll_; }

  template <sqler::detail::fixed_string K>
  void found_by_both(int value) {
    auto& coll = this->coll();
    const std::string key(K.view());
    SCOPED_TRACE("key: [" + key + "]");
    auto by_literal = coll.find(tagged_attrs.key<K>() == value).all();
    ASSERT_EQ(by_literal.size(), 1u) << coll.find(tagged_attrs.key<K>() == value).sql();
    EXPECT_EQ(by_literal[0].label, key);
    auto by_bound = coll.find(tagged_attrs.key(key) == value).all();
    ASSERT_EQ(by_bound.size(), 1u);
    EXPECT_EQ(by_bound[0].label, key);
    // Only that document has the key at all.
    EXPECT_EQ(coll.find(tagged_attrs.key<K>().is_not_null()).count(), 1);
    EXPECT_EQ(coll.find(tagged_attrs.key(key).is_not_null()).count(), 1);
    // And a patch through the literal path lands on that key.
    coll.find(label == key).update(sqler::inc(tagged_attrs.key<K>(), 100));
    EXPECT_EQ(coll.find(label == key).all().at(0).attrs.at(key), value + 100);
    EXPECT_EQ(coll.find(label == key).all().at(0).attrs.size(), 2u);
  }

  static constexpr const char* keys[] = {".", " ", "[", "]", "o'clock", "prénom", "日本 語", "",
                                         "a.b", "x[1]", "$", "#", "1", "a b.c[0]", "'"};
  std::optional<sqler::collection<Tagged, typename B::backend>> coll_;
};
TYPED_TEST_SUITE(HostileKeys, sqler_test::backends, sqler_test::backend_names);

TYPED_TEST(HostileKeys, EveryKeyIsFoundByItsLiteralAndItsBoundPath) {
  this->template found_by_both<".">(1);
  this->template found_by_both<" ">(2);
  this->template found_by_both<"[">(3);
  this->template found_by_both<"]">(4);
  this->template found_by_both<"o'clock">(5);
  this->template found_by_both<"prénom">(6);
  this->template found_by_both<"日本 語">(7);
  this->template found_by_both<"">(8);
  this->template found_by_both<"a.b">(9);
  this->template found_by_both<"x[1]">(10);
  this->template found_by_both<"$">(11);
  this->template found_by_both<"#">(12);
  this->template found_by_both<"1">(13);
  this->template found_by_both<"a b.c[0]">(14);
  this->template found_by_both<"'">(15);
}

// The keys sqler refuses at run time (see below) are refused whatever the backend.
TYPED_TEST(HostileKeys, UnwritableRunTimeKeysThrowAndChangeNothing) {
  auto& coll = this->coll();
  const auto before = coll.find().all();
  for (std::string bad : {std::string("a\"b"), std::string("\""), std::string("back\\slash"),
                          std::string("tab\tkey"), std::string("nul\0key", 7),
                          std::string("\") OR 1=1 --")}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(coll.find(tagged_attrs.key(bad) == 1).remove(), sqler::usage_error);
    EXPECT_THROW(coll.find(tagged_attrs.key(bad).is_null()).count(), sqler::usage_error);
    EXPECT_THROW((void)tagged_attrs.key(bad), sqler::usage_error);
  }
  const auto after = coll.find().all();
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) EXPECT_EQ(after[i].attrs, before[i].attrs);
}

// Why such keys are refused: SQLite 3.40 has no way to spell them in a path. A quoted key ends
// at the first '"' and is compared with the key as the JSON text escapes it, so "a\"b" finds
// nothing and a json_set through it writes nothing. If a later SQLite changes this, this test
// says so. (SQLite's own json functions: SQLite only.)
TEST(HostileKeysSqlite, SqliteCannotSpellADoubleQuoteInAPathKey) {
  auto db = sqler::database::in_memory();
  auto coll = db.collection<Tagged>();
  coll.insert({"quote", {{"a\"b", 1}}});
  const auto rows = db.query<std::optional<std::int64_t>, std::string>(
      R"(SELECT json_extract(data, '$.attrs."a\"b"'), json_set(data, '$.attrs."a\"b"', 2) )"
      R"(FROM "Tagged" WHERE json_extract(data,'$.label') = 'quote')");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_FALSE(std::get<0>(rows[0]).has_value());
  EXPECT_NE(std::get<1>(rows[0]).find(R"("a\"b":1)"), std::string::npos) << std::get<1>(rows[0]);
}

}  // namespace
