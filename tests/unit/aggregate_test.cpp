// Aggregates, group_by, update by query (with expressions), update_one, page(), string
// predicates and arithmetic in predicates, each checked against hand-written SQL where the
// same question can be asked of SQLite directly.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "../support/backends.hpp"

namespace {

// ---------------------------------------------------------------- aggregates

struct Item {
  std::string name;
  std::string category;
  std::optional<std::string> tag;
  int quantity;
  double price;
};

constexpr auto name = sqler::field<&Item::name>;
constexpr auto category = sqler::field<&Item::category>;
constexpr auto tag = sqler::field<&Item::tag>;
constexpr auto quantity = sqler::field<&Item::quantity>;
constexpr auto price = sqler::field<&Item::price>;

// The issue's data set: quantities 100/150/50 at prices 1.50/0.75/3.00.
const std::vector<Item> issue_items = {
    {"apple", "fruit", "red", 100, 1.50},
    {"banana", "fruit", std::nullopt, 150, 0.75},
    {"cheese", "dairy", "red", 50, 3.00},
};

template <class B>
class Aggregates : public sqler_test::on_backend<B> {
 protected:
  void SetUp() override {
    sqler_test::on_backend<B>::SetUp();
    if (!this->IsSkipped()) items_.emplace(sqler_test::collection_of<Item>(this->db()));
  }

  void insert_issue_items() {
    for (const auto& it : issue_items) items_->insert(it);
  }

  // The same aggregate asked of the database by hand, over every Item (or those matching
  // `where`), in SQL of the backend's own (pick one with this->sql(sqlite, postgres)).
  template <class R>
  std::optional<R> raw(std::string_view select, std::string_view where = "") {
    auto rows = this->db().template query<std::optional<R>>(
        "SELECT " + std::string(select) + " FROM \"Item\"" +
        (where.empty() ? std::string() : " WHERE " + std::string(where)));
    EXPECT_EQ(rows.size(), 1u);
    return rows.empty() ? std::nullopt : std::get<0>(rows.front());
  }

  sqler::collection<Item, typename B::backend>& items() { return *items_; }

  std::optional<sqler::collection<Item, typename B::backend>> items_;
};
TYPED_TEST_SUITE(Aggregates, sqler_test::backends, sqler_test::backend_names);

TYPED_TEST(Aggregates, SumAvgMinMaxOnTheIssueDataSet) {
  auto& items = this->items();
  this->insert_issue_items();
  auto q = items.find();

  static_assert(std::is_same_v<decltype(q.sum(quantity)), std::optional<std::int64_t>>);
  static_assert(std::is_same_v<decltype(q.sum(price)), std::optional<double>>);
  static_assert(std::is_same_v<decltype(q.avg(price)), std::optional<double>>);
  static_assert(std::is_same_v<decltype(q.min(price)), std::optional<double>>);
  static_assert(std::is_same_v<decltype(q.max(quantity)), std::optional<int>>);
  static_assert(std::is_same_v<decltype(q.min(name)), std::optional<std::string>>);
  static_assert(std::is_same_v<decltype(q.count_distinct(name)), std::int64_t>);

  const auto sum = q.sum(quantity);
  ASSERT_TRUE(sum.has_value());
  EXPECT_EQ(*sum, 300);
  EXPECT_EQ(
      sum, this->template raw<std::int64_t>(this->sql("SUM(json_extract(data,'$.quantity'))",
                                                      "SUM((data->>'quantity')::bigint)::bigint")));

  const auto avg = q.avg(price);
  ASSERT_TRUE(avg.has_value());
  EXPECT_DOUBLE_EQ(*avg, 1.75);
  EXPECT_DOUBLE_EQ(*avg, *this->template raw<double>(this->sql("AVG(json_extract(data,'$.price'))",
                                                               "AVG((data->>'price')::float8)")));

  const auto lo = q.min(price);
  const auto hi = q.max(price);
  ASSERT_TRUE(lo.has_value());
  ASSERT_TRUE(hi.has_value());
  EXPECT_DOUBLE_EQ(*lo, 0.75);
  EXPECT_DOUBLE_EQ(*hi, 3.0);
  EXPECT_DOUBLE_EQ(*lo, *this->template raw<double>(this->sql("MIN(json_extract(data,'$.price'))",
                                                              "MIN((data->>'price')::float8)")));
  EXPECT_DOUBLE_EQ(*hi, *this->template raw<double>(this->sql("MAX(json_extract(data,'$.price'))",
                                                              "MAX((data->>'price')::float8)")));

  EXPECT_EQ(q.min(quantity), std::optional<int>(50));
  EXPECT_EQ(q.max(quantity), std::optional<int>(150));
  EXPECT_DOUBLE_EQ(*q.sum(price), 1.50 + 0.75 + 3.00);
}

TYPED_TEST(Aggregates, FilteredSumCountsOnlyTheMatches) {
  auto& items = this->items();
  this->insert_issue_items();
  const auto sum = items.find(price > 1.0).sum(quantity);
  EXPECT_EQ(sum, std::optional<std::int64_t>(150));
  EXPECT_EQ(sum,
            this->template raw<std::int64_t>(
                this->sql("SUM(json_extract(data,'$.quantity'))",
                          "SUM((data->>'quantity')::bigint)::bigint"),
                this->sql("json_extract(data,'$.price') > 1.0", "(data->>'price')::float8 > 1.0")));
  EXPECT_DOUBLE_EQ(*items.find(price > 1.0).avg(quantity), 75.0);
  EXPECT_EQ(items.find(price > 1.0).count_distinct(category), 2);
}

TYPED_TEST(Aggregates, EmptySetGivesNulloptAndZeroDistinct) {
  auto& items = this->items();
  // An empty collection, then a filter that matches nothing in a filled one.
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round == 0 ? "empty collection" : "no match");
    auto q = items.find(quantity > 1000);
    EXPECT_EQ(q.sum(quantity), std::nullopt);
    EXPECT_EQ(q.sum(price), std::nullopt);
    EXPECT_EQ(q.avg(price), std::nullopt);
    EXPECT_EQ(q.min(price), std::nullopt);
    EXPECT_EQ(q.max(price), std::nullopt);
    EXPECT_EQ(q.min(name), std::nullopt);
    EXPECT_EQ(q.max(name), std::nullopt);
    EXPECT_EQ(q.count_distinct(name), 0);
    EXPECT_EQ(q.sum(quantity), this->template raw<std::int64_t>(
                                   this->sql("SUM(json_extract(data,'$.quantity'))",
                                             "SUM((data->>'quantity')::bigint)::bigint"),
                                   this->sql("json_extract(data,'$.quantity') > 1000",
                                             "(data->>'quantity')::bigint > 1000")));
    EXPECT_EQ(q.group_by(category).count().size(), 0u);
    this->insert_issue_items();
  }
}

TYPED_TEST(Aggregates, CountDistinctOnStringsWithDuplicates) {
  auto& items = this->items();
  const std::vector<std::string> names = {"kiwi", "fig", "kiwi", "plum", "fig", "kiwi"};
  for (const auto& n : names) items.insert({n, "fruit", std::nullopt, 1, 1.0});
  const auto distinct = static_cast<std::int64_t>(std::set<std::string>(names.begin(), names.end()).size());
  EXPECT_EQ(items.find().count_distinct(name), distinct);
  EXPECT_EQ(items.find().count_distinct(name),
            *this->template raw<std::int64_t>(this->sql(
                "COUNT(DISTINCT json_extract(data,'$.name'))", "COUNT(DISTINCT data->>'name')")));
  EXPECT_EQ(items.find().count_distinct(category), 1);
  // Missing values are not a distinct value.
  items.insert({"kiwi", "fruit", "green", 1, 1.0});
  EXPECT_EQ(items.find().count_distinct(tag), 1);
  EXPECT_EQ(items.find(name != "kiwi").count_distinct(name), distinct - 1);
}

TYPED_TEST(Aggregates, MinMaxOnStringsCompareBytewise) {
  auto& items = this->items();
  const std::vector<std::string> names = {"pear", "Zucchini", "apple", "mango", "äpfel"};
  for (const auto& n : names) items.insert({n, "x", std::nullopt, 1, 1.0});
  EXPECT_EQ(items.find().min(name), *std::min_element(names.begin(), names.end()));
  EXPECT_EQ(items.find().max(name), *std::max_element(names.begin(), names.end()));
  EXPECT_EQ(items.find().min(name), std::optional<std::string>("Zucchini"));  // 'Z' < 'a'
  EXPECT_EQ(items.find().max(name), std::optional<std::string>("äpfel"));     // UTF-8 sorts last
  EXPECT_EQ(items.find().min(name),
            this->template raw<std::string>(
                this->sql("MIN(json_extract(data,'$.name'))", "MIN(data->>'name' COLLATE \"C\")")));
  EXPECT_EQ(items.find().max(name),
            this->template raw<std::string>(
                this->sql("MAX(json_extract(data,'$.name'))", "MAX(data->>'name' COLLATE \"C\")")));
  EXPECT_EQ(items.find(name != "äpfel").max(name), std::optional<std::string>("pear"));
}

TYPED_TEST(Aggregates, SumOverAnExpression) {
  auto& items = this->items();
  this->insert_issue_items();
  const auto q = items.find();
  static_assert(std::is_same_v<decltype(q.sum(quantity * price)), std::optional<double>>);
  static_assert(std::is_same_v<decltype(q.sum(quantity * 2)), std::optional<std::int64_t>>);
  const auto total = q.sum(quantity * price);
  ASSERT_TRUE(total.has_value());
  EXPECT_DOUBLE_EQ(*total, 100 * 1.5 + 150 * 0.75 + 50 * 3.0);
  EXPECT_DOUBLE_EQ(
      *total, *this->template raw<double>(
                  this->sql("SUM(json_extract(data,'$.quantity') * json_extract(data,'$.price'))",
                            "SUM((data->>'quantity')::float8 * (data->>'price')::float8)")));
  EXPECT_EQ(q.sum(quantity * 2 + 1), std::optional<std::int64_t>(2 * 300 + 3));
  EXPECT_DOUBLE_EQ(*q.max(quantity * price), 150.0);
  EXPECT_DOUBLE_EQ(*items.find(price < 2.0).sum(quantity * price), 100 * 1.5 + 150 * 0.75);
}

TYPED_TEST(Aggregates, WindowedQueryAggregatesOnlyTheWindow) {
  auto& items = this->items();
  this->insert_issue_items();
  // The two cheapest: banana (150 at 0.75) and apple (100 at 1.50).
  const auto window = items.find().order_by(price.asc()).limit(2);
  EXPECT_EQ(window.sum(quantity), std::optional<std::int64_t>(250));
  EXPECT_DOUBLE_EQ(*window.avg(price), (0.75 + 1.50) / 2);
  EXPECT_DOUBLE_EQ(*window.max(price), 1.50);
  EXPECT_EQ(window.count_distinct(category), 1);
  auto raw_window = this->db().template query<std::optional<std::int64_t>>(this->sql(
      "SELECT SUM(q) FROM (SELECT json_extract(data,'$.quantity') AS q FROM \"Item\" "
      "ORDER BY json_extract(data,'$.price') LIMIT 2)",
      "SELECT SUM(q)::bigint FROM (SELECT (data->>'quantity')::bigint AS q FROM \"Item\" "
      "ORDER BY (data->>'price')::float8 LIMIT 2) AS w"));
  ASSERT_EQ(raw_window.size(), 1u);
  EXPECT_EQ(window.sum(quantity), std::get<0>(raw_window[0]));
  const auto groups = window.group_by(category).count();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0], (std::pair<std::string, std::int64_t>{"fruit", 2}));

  // Offset too: skip the cheapest, take one.
  EXPECT_EQ(items.find().order_by(price.asc()).offset(1).limit(1).sum(quantity),
            std::optional<std::int64_t>(100));
  EXPECT_EQ(items.find().order_by(price.asc()).offset(1).sum(quantity),
            std::optional<std::int64_t>(150));
  EXPECT_EQ(items.find().order_by(price.asc()).offset(5).sum(quantity), std::nullopt);
}

TYPED_TEST(Aggregates, GroupByCountAndSumInKeyOrder) {
  auto& items = this->items();
  this->insert_issue_items();
  items.insert({"yogurt", "dairy", std::nullopt, 20, 1.25});
  items.insert({"bread", "bakery", std::nullopt, 7, 2.0});

  const auto counts = items.find().group_by(category).count();
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(counts)>,
                               std::vector<std::pair<std::string, std::int64_t>>>);
  const std::vector<std::pair<std::string, std::int64_t>> expected_counts = {
      {"bakery", 1}, {"dairy", 2}, {"fruit", 2}};
  EXPECT_EQ(counts, expected_counts);
  auto raw_counts = this->db().template query<std::string, std::int64_t>(this->sql(
      "SELECT json_extract(data,'$.category'), COUNT(*) FROM \"Item\" GROUP BY 1 ORDER BY 1",
      "SELECT data->>'category' COLLATE \"C\", COUNT(*) FROM \"Item\" GROUP BY 1 ORDER BY 1"));
  ASSERT_EQ(raw_counts.size(), counts.size());
  for (std::size_t i = 0; i < counts.size(); ++i)
    EXPECT_EQ(counts[i], (std::pair{std::get<0>(raw_counts[i]), std::get<1>(raw_counts[i])}));

  const auto sums = items.find().group_by(category).sum(quantity);
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(sums)>,
                               std::vector<std::pair<std::string, std::int64_t>>>);
  const std::vector<std::pair<std::string, std::int64_t>> expected_sums = {
      {"bakery", 7}, {"dairy", 70}, {"fruit", 250}};
  EXPECT_EQ(sums, expected_sums);
  auto raw_sums = this->db().template query<std::string, std::int64_t>(this->sql(
      "SELECT json_extract(data,'$.category'), SUM(json_extract(data,'$.quantity')) FROM \"Item\" "
      "GROUP BY 1 ORDER BY 1",
      "SELECT data->>'category' COLLATE \"C\", SUM((data->>'quantity')::bigint)::bigint FROM "
      "\"Item\" GROUP BY 1 ORDER BY 1"));
  ASSERT_EQ(raw_sums.size(), sums.size());
  for (std::size_t i = 0; i < sums.size(); ++i)
    EXPECT_EQ(sums[i], (std::pair{std::get<0>(raw_sums[i]), std::get<1>(raw_sums[i])}));

  const auto max_prices = items.find(quantity >= 20).group_by(category).max(price);
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(max_prices)>,
                               std::vector<std::pair<std::string, double>>>);
  ASSERT_EQ(max_prices.size(), 2u);
  EXPECT_EQ(max_prices[0].first, "dairy");
  EXPECT_DOUBLE_EQ(max_prices[0].second, 3.0);
  EXPECT_EQ(max_prices[1].first, "fruit");
  EXPECT_DOUBLE_EQ(max_prices[1].second, 1.5);
}

TYPED_TEST(Aggregates, GroupByOptionalMemberHasANulloptGroup) {
  auto& items = this->items();
  this->insert_issue_items();  // tags: red, (none), red
  items.insert({"plum", "fruit", "blue", 5, 0.5});
  const auto counts = items.find().group_by(tag).count();
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(counts)>,
                               std::vector<std::pair<std::optional<std::string>, std::int64_t>>>);
  // SQLite sorts NULL before every string; sqler does on PostgreSQL too.
  const std::vector<std::pair<std::optional<std::string>, std::int64_t>> expected = {
      {std::nullopt, 1}, {"blue", 1}, {"red", 2}};
  EXPECT_EQ(counts, expected);

  const auto sums = items.find().group_by(tag).sum(quantity);
  const std::vector<std::pair<std::optional<std::string>, std::int64_t>> expected_sums = {
      {std::nullopt, 150}, {"blue", 5}, {"red", 150}};
  EXPECT_EQ(sums, expected_sums);
  auto raw_sums = this->db().template query<std::optional<std::string>, std::int64_t>(this->sql(
      "SELECT json_extract(data,'$.tag'), SUM(json_extract(data,'$.quantity')) FROM \"Item\" "
      "GROUP BY 1 ORDER BY 1",
      "SELECT data->>'tag' COLLATE \"C\", SUM((data->>'quantity')::bigint)::bigint FROM \"Item\" "
      "GROUP BY 1 ORDER BY 1 NULLS FIRST"));
  ASSERT_EQ(raw_sums.size(), sums.size());
  for (std::size_t i = 0; i < sums.size(); ++i)
    EXPECT_EQ(sums[i], (std::pair{std::get<0>(raw_sums[i]), std::get<1>(raw_sums[i])}));
}

struct Big {
  std::int64_t n;
};
constexpr auto big_n = sqler::field<&Big::n>;

template <class B>
class AggregateOverflow : public sqler_test::on_backend<B> {};
TYPED_TEST_SUITE(AggregateOverflow, sqler_test::backends, sqler_test::backend_names);

TYPED_TEST(AggregateOverflow, IntegerOverflowInSumThrowsSqlerError) {
  auto& db = this->db();
  auto bigs = sqler_test::collection_of<Big>(db);
  constexpr std::int64_t half = std::numeric_limits<std::int64_t>::max() / 2 + 1;
  bigs.insert({half});
  EXPECT_EQ(bigs.find().sum(big_n), std::optional<std::int64_t>(half));
  bigs.insert({half});
  EXPECT_THROW(bigs.find().sum(big_n), sqler::error);
  EXPECT_THROW(db.template query<std::int64_t>(
                   this->sql("SELECT SUM(json_extract(data,'$.n')) FROM \"Big\"",
                             "SELECT SUM((data->>'n')::bigint)::bigint FROM \"Big\"")),
               sqler::error);
  // The failed statement leaves the connection usable.
  EXPECT_EQ(bigs.find().count(), 2);
  EXPECT_EQ(bigs.find().max(big_n), std::optional<std::int64_t>(half));
  EXPECT_EQ(bigs.find().group_by(big_n).count().size(), 1u);
}

// The SQL an aggregate runs on SQLite: a window becomes a subquery; a double sum and a double
// division start from REAL. (The exact SQLite text; the behaviour is typed over every backend
// above and below: WindowedQueryAggregatesOnlyTheWindow, SumOfLargeWholeDoublesDoesNotOverflow,
// ArithmeticInPredicates, DoubleFieldWithAWholeValueDividesAsADouble.)
TEST(AggregateSql, WindowIsASubqueryAndDoublesAreSummedAsReal) {
  auto db = sqler::database::in_memory();
  auto items = db.collection<Item>();
  using window_q = decltype(items.find(price > 1.0).order_by(price.asc()).limit(2));
  using sum_qty = sqler::detail::aggregate_kind<sqler::detail::sum_fn, std::decay_t<decltype(quantity)>>;
  EXPECT_EQ(window_q::sql_of<sum_qty>(),
            "SELECT SUM(json_extract(data,'$.quantity')) FROM (SELECT * FROM \"Item\" WHERE "
            "json_extract(data,'$.price') > ?1 ORDER BY json_extract(data,'$.price') ASC LIMIT ?2) "
            "AS w");
  using all_q = decltype(items.find());
  using sum_price = sqler::detail::aggregate_kind<sqler::detail::sum_fn, std::decay_t<decltype(price)>>;
  EXPECT_EQ(all_q::sql_of<sum_price>(),
            "SELECT SUM(CAST(json_extract(data,'$.price') AS REAL)) FROM \"Item\"");
  using half_price = decltype(items.find(price / 2 > 1.0));
  EXPECT_EQ(half_price::sql(),
            "SELECT _id, _version, data FROM \"Item\" WHERE "
            "(CAST(json_extract(data,'$.price') AS REAL) / ?1) > ?2");
  using int_div = decltype(items.find(quantity / 40 == 2));
  EXPECT_EQ(int_div::sql(),
            "SELECT _id, _version, data FROM \"Item\" WHERE "
            "(json_extract(data,'$.quantity') / ?1) = ?2");
}

struct Weight {
  double kg;
};
constexpr auto kg = sqler::field<&Weight::kg>;

// A whole-valued double is stored as a JSON integer; summing two of 2^62 must still give a
// double, not SQLite's integer-overflow error.
TYPED_TEST(AggregateOverflow, SumOfLargeWholeDoublesDoesNotOverflow) {
  auto weights = sqler_test::collection_of<Weight>(this->db());
  const double big = 4611686018427387904.0;  // 2^62
  weights.insert({big});
  weights.insert({big});
  const auto total = weights.find().sum(kg);
  ASSERT_TRUE(total.has_value());
  EXPECT_DOUBLE_EQ(*total, 2 * big);
  const auto groups = weights.find().group_by(kg).sum(kg);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_DOUBLE_EQ(groups[0].second, 2 * big);
  EXPECT_DOUBLE_EQ(*weights.find().avg(kg), big);
  EXPECT_EQ(weights.find(kg > 1e30).sum(kg), std::nullopt);
}

// ---------------------------------------------------------------- update by query

struct Counter {
  std::string name;
  int c;
  double d;
  std::vector<std::string> log;
  std::string label;
};

constexpr auto cname = sqler::field<&Counter::name>;
constexpr auto c = sqler::field<&Counter::c>;
constexpr auto d = sqler::field<&Counter::d>;
constexpr auto log_field = sqler::field<&Counter::log>;
constexpr auto label = sqler::field<&Counter::label>;

template <class B>
class UpdateByQuery : public sqler_test::on_backend<B> {
 protected:
  void SetUp() override {
    sqler_test::on_backend<B>::SetUp();
    if (this->IsSkipped()) return;
    counters_.emplace(sqler_test::collection_of<Counter>(this->db()));
    for (int i = 0; i < 3; ++i) {
      const int value = (i + 1) * 10;
      ids.push_back(counters_->insert({"n" + std::to_string(value), value, 0.0, {}, ""}));
      expected_c.push_back(value);
      expected_version.push_back(1);
    }
  }

  // Applies `f` to the expected value of the rows selected by `which` and bumps their version,
  // then checks the stored rows agree.
  void expect_applied(const std::function<int(int)>& f, const std::function<bool(int)>& which) {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (!which(expected_c[i])) continue;
      expected_c[i] = f(expected_c[i]);
      ++expected_version[i];
    }
    check();
  }

  void check() {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto v = counters_->get_versioned(ids[i]);
      ASSERT_TRUE(v.has_value());
      EXPECT_EQ(v->id, ids[i]);
      EXPECT_EQ(v->value.c, expected_c[i]) << "row " << i;
      EXPECT_EQ(v->version, expected_version[i]) << "row " << i;
      // The member stays a JSON integer, as the codec would have written it.
      const std::string sql = sqler_test::is_postgres<B>
                                  ? "SELECT " + sqler_test::pg_json_type("data->'c'") +
                                        " FROM \"Counter\" WHERE _id = $1"
                                  : "SELECT json_type(data,'$.c') FROM \"Counter\" WHERE _id = ?1";
      auto type = this->db().template query<std::string>(sql, ids[i]);
      ASSERT_EQ(type.size(), 1u);
      EXPECT_EQ(std::get<0>(type[0]), "integer") << "row " << i;
    }
  }

  sqler::collection<Counter, typename B::backend>& counters() { return *counters_; }

  std::optional<sqler::collection<Counter, typename B::backend>> counters_;
  std::vector<std::int64_t> ids;
  std::vector<int> expected_c;
  std::vector<std::int64_t> expected_version;
};
TYPED_TEST_SUITE(UpdateByQuery, sqler_test::backends, sqler_test::backend_names);

const auto every_row = [](int) { return true; };

TYPED_TEST(UpdateByQuery, ArithmeticUpdatesChangeEveryRowAndBumpTheVersionOnce) {
  auto& counters = this->counters();
  EXPECT_EQ(counters.find().update(sqler::inc(c, 1)), 3);
  this->expect_applied([](int x) { return x + 1; }, every_row);
  EXPECT_EQ(this->expected_c, (std::vector<int>{11, 21, 31}));

  EXPECT_EQ(counters.find().update(sqler::inc(c, -5)), 3);
  this->expect_applied([](int x) { return x - 5; }, every_row);

  EXPECT_EQ(counters.find().update(sqler::set(c, c - 5)), 3);
  this->expect_applied([](int x) { return x - 5; }, every_row);

  EXPECT_EQ(counters.find().update(sqler::set(c, c * 2)), 3);
  this->expect_applied([](int x) { return x * 2; }, every_row);

  EXPECT_EQ(counters.find().update(sqler::set(c, c * 2 + 5)), 3);
  this->expect_applied([](int x) { return x * 2 + 5; }, every_row);

  // Integer division, as in C++.
  EXPECT_EQ(counters.find().update(sqler::set(c, c / 4)), 3);
  this->expect_applied([](int x) { return x / 4; }, every_row);
}

TYPED_TEST(UpdateByQuery, OnlyMatchingRowsChange) {
  auto& counters = this->counters();
  EXPECT_EQ(counters.find(c > 15).update(sqler::inc(c, 100)), 2);
  this->expect_applied([](int x) { return x + 100; }, [](int x) { return x > 15; });
  EXPECT_EQ(this->expected_c, (std::vector<int>{10, 120, 130}));

  EXPECT_EQ(counters.find(c > 1000).update(sqler::set(c, c * 2)), 0);
  this->check();

  EXPECT_EQ(counters.find(c < 125).update(sqler::set(c, c * 3 - 1)), 2);
  this->expect_applied([](int x) { return x * 3 - 1; }, [](int x) { return x < 125; });
}

TYPED_TEST(UpdateByQuery, PlainSetAndPushInOneUpdate) {
  auto& counters = this->counters();
  const auto& ids = this->ids;
  EXPECT_EQ(counters.find(cname == "n20").update(sqler::set(label, std::string("hot")),
                                                  sqler::push(log_field, std::string("e1")),
                                                  sqler::inc(c, 2)),
            1);
  EXPECT_EQ(counters.find(cname == "n20").update(sqler::push(log_field, std::string("e2"))), 1);
  auto v = counters.get_versioned(ids[1]);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->value.label, "hot");
  EXPECT_EQ(v->value.log, (std::vector<std::string>{"e1", "e2"}));
  EXPECT_EQ(v->value.c, 22);
  EXPECT_EQ(v->version, 3);
  for (std::size_t i : {std::size_t{0}, std::size_t{2}}) {
    auto other = counters.get_versioned(ids[i]);
    ASSERT_TRUE(other.has_value());
    EXPECT_EQ(other->version, 1);
    EXPECT_TRUE(other->value.log.empty());
    EXPECT_EQ(other->value.label, "");
  }
}

TYPED_TEST(UpdateByQuery, DoubleFieldDividedByAnInteger) {
  auto& counters = this->counters();
  const auto& ids = this->ids;
  // Whole numbers included: a double like 5.0 must still divide as a double.
  const std::vector<double> start = {3.0, 5.0, 0.5};
  for (std::size_t i = 0; i < ids.size(); ++i)
    counters.update(ids[i], sqler::set(d, start[i]));
  EXPECT_EQ(counters.find().update(sqler::set(d, d / 2)), 3);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto v = counters.get_versioned(ids[i]);
    ASSERT_TRUE(v.has_value());
    EXPECT_DOUBLE_EQ(v->value.d, start[i] / 2) << "row " << i;
    EXPECT_EQ(v->version, 3);
  }
  EXPECT_EQ(counters.find().update(sqler::set(d, d / 2.0)), 3);
  for (std::size_t i = 0; i < ids.size(); ++i)
    EXPECT_DOUBLE_EQ(counters.get_or_throw(ids[i]).d, start[i] / 4) << "row " << i;
}

// ---------------------------------------------------------------- update_one

TYPED_TEST(UpdateByQuery, UpdateOneClaimsTheFirstRowInOrderAndReturnsItAfterTheUpdate) {
  auto& counters = this->counters();
  const auto& ids = this->ids;
  // Rows are 10, 20, 30 in insertion order; order by c descending so the last one is first.
  auto claimed = counters.find(label == "").order_by(c.desc()).update_one(
      sqler::set(label, std::string("claimed")), sqler::inc(c, 1));
  static_assert(std::is_same_v<decltype(claimed), std::optional<sqler::versioned<Counter>>>);
  ASSERT_TRUE(claimed.has_value());
  EXPECT_EQ(claimed->id, ids[2]);
  EXPECT_EQ(claimed->version, 2);
  EXPECT_EQ(claimed->value.c, 31);
  EXPECT_EQ(claimed->value.label, "claimed");
  EXPECT_EQ(claimed->value.name, "n30");
  auto stored = counters.get_versioned(ids[2]);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->version, claimed->version);
  EXPECT_EQ(stored->value.c, claimed->value.c);
  EXPECT_EQ(stored->value.label, claimed->value.label);

  // The next claim skips the claimed row; the rest are untouched.
  auto next = counters.find(label == "").order_by(c.desc()).update_one(
      sqler::set(label, std::string("claimed")));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->id, ids[1]);
  EXPECT_EQ(next->value.c, 20);
  EXPECT_EQ(counters.get_versioned(ids[0])->version, 1);
  EXPECT_EQ(counters.get_versioned(ids[0])->value.label, "");

  // In _id order, with an expression.
  auto by_id = counters.find().order_by(sqler::doc_id.asc()).update_one(sqler::set(c, c * 2 + 1));
  ASSERT_TRUE(by_id.has_value());
  EXPECT_EQ(by_id->id, ids[0]);
  EXPECT_EQ(by_id->value.c, 21);
  EXPECT_EQ(by_id->version, 2);
  EXPECT_EQ(counters.find(label == "claimed").count(), 2);
}

TYPED_TEST(UpdateByQuery, UpdateOneReturnsNulloptWhenNothingMatches) {
  auto& counters = this->counters();
  auto none = counters.find(c > 1000).order_by(sqler::doc_id.asc()).update_one(sqler::inc(c, 1));
  EXPECT_FALSE(none.has_value());
  this->check();  // nothing changed, no version bumped

  counters.find().remove();
  EXPECT_FALSE(counters.find().order_by(c.asc()).update_one(sqler::inc(c, 1)).has_value());
}

struct Job {
  std::string state;
  int owner;
};

constexpr auto job_state = sqler::field<&Job::state>;
constexpr auto job_owner = sqler::field<&Job::owner>;

// The job-queue pattern: two threads share one database object (a connection each) and claim
// jobs until none are left; every job is claimed exactly once. (PostgreSQL: the claim's
// sub-select locks its row FOR UPDATE SKIP LOCKED.)
template <class B>
class UpdateOneThreads : public sqler_test::on_backend<B> {};
// A connection per thread: a file (WAL) or a PostgreSQL server.
TYPED_TEST_SUITE(UpdateOneThreads, sqler_test::persistent_backends, sqler_test::backend_names);

TYPED_TEST(UpdateOneThreads, JobQueueNeverHandsOutAJobTwice) {
  constexpr int job_count = 1000;
  auto jobs = sqler_test::collection_of<Job>(this->db());
  const auto all_ids = jobs.insert_many(std::vector<Job>(job_count, Job{"new", 0}));
  ASSERT_EQ(all_ids.size(), static_cast<std::size_t>(job_count));

  std::vector<std::int64_t> claimed[2];
  std::string failure[2];
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      const int thread_no = t + 1;
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      try {
        while (true) {
          auto job = jobs.find(job_state == "new")
                         .order_by(sqler::doc_id.asc())
                         .update_one(sqler::set(job_state, std::string("taken")),
                                     sqler::set(job_owner, thread_no));
          if (!job) break;
          if (claimed[t].size() >= static_cast<std::size_t>(job_count)) {  // cannot be: fail fast
            failure[t] = "claimed more than " + std::to_string(job_count) + " jobs";
            break;
          }
          if (job->value.state != "taken" || job->value.owner != thread_no || job->version != 2)
            failure[t] = "job " + std::to_string(job->id) + " came back as state " +
                         job->value.state + " owner " + std::to_string(job->value.owner) +
                         " version " + std::to_string(job->version);
          claimed[t].push_back(job->id);
        }
      } catch (const std::exception& e) {
        failure[t] = e.what();
      }
    });
  }
  while (ready.load() < 2) std::this_thread::yield();
  go.store(true);
  for (auto& th : threads) th.join();

  EXPECT_EQ(failure[0], "");
  EXPECT_EQ(failure[1], "");
  std::map<std::int64_t, int> claimer;
  for (int t = 0; t < 2; ++t)
    for (auto id : claimed[t]) EXPECT_TRUE(claimer.emplace(id, t + 1).second) << "job " << id << " claimed twice";
  EXPECT_EQ(claimer.size(), static_cast<std::size_t>(job_count));
  EXPECT_EQ(claimed[0].size() + claimed[1].size(), static_cast<std::size_t>(job_count));
  // Each thread claims in _id order.
  for (int t = 0; t < 2; ++t) EXPECT_TRUE(std::is_sorted(claimed[t].begin(), claimed[t].end()));

  for (const auto& v : jobs.find().all_versioned()) {
    ASSERT_TRUE(claimer.count(v.id)) << "job " << v.id << " never claimed";
    EXPECT_EQ(v.value.state, "taken");
    EXPECT_EQ(v.value.owner, claimer[v.id]) << "job " << v.id;
    EXPECT_EQ(v.version, 2) << "job " << v.id;
  }
  EXPECT_EQ(jobs.find(job_state == "new").count(), 0);
  std::printf("[          ] thread 1 claimed %zu jobs, thread 2 claimed %zu\n", claimed[0].size(),
              claimed[1].size());
}

// ---------------------------------------------------------------- pages

struct Entry {
  int n;
  std::string text;
};

constexpr auto entry_n = sqler::field<&Entry::n>;

template <class B>
class Pages : public sqler_test::on_backend<B> {
 protected:
  void SetUp() override {
    sqler_test::on_backend<B>::SetUp();
    if (this->IsSkipped()) return;
    entries_.emplace(sqler_test::collection_of<Entry>(this->db()));
    // Inserted in reverse, so only order_by gives ascending n.
    for (int n = 25; n >= 1; --n) entries_->insert({n, "e" + std::to_string(n)});
  }
  static std::vector<int> ns(const std::vector<Entry>& v) {
    std::vector<int> out;
    for (const auto& e : v) out.push_back(e.n);
    return out;
  }
  static std::vector<int> range(int from, int to) {
    std::vector<int> out;
    for (int n = from; n <= to; ++n) out.push_back(n);
    return out;
  }

  sqler::collection<Entry, typename B::backend>& entries() { return *entries_; }

  std::optional<sqler::collection<Entry, typename B::backend>> entries_;
};
TYPED_TEST_SUITE(Pages, sqler_test::backends, sqler_test::backend_names);

TYPED_TEST(Pages, MiddlePageHasNeighboursBothWays) {
  auto& entries = this->entries();
  const auto p = entries.find().order_by(entry_n.asc()).page(2, 10);
  static_assert(std::is_same_v<decltype(p), const sqler::page<Entry>>);
  EXPECT_EQ(this->ns(p.items), this->range(11, 20));
  EXPECT_EQ(p.number, 2);
  EXPECT_EQ(p.per_page, 10);
  EXPECT_EQ(p.total, 25);
  EXPECT_EQ(p.total_pages, 3);
  EXPECT_TRUE(p.has_next);
  EXPECT_TRUE(p.has_prev);
  // The same rows hand-written.
  auto raw = this->db().template query<int>(this->sql(
      "SELECT json_extract(data,'$.n') FROM \"Entry\" ORDER BY json_extract(data,'$.n') "
      "LIMIT 10 OFFSET 10",
      "SELECT (data->>'n')::int FROM \"Entry\" ORDER BY (data->>'n')::int LIMIT 10 OFFSET 10"));
  ASSERT_EQ(raw.size(), p.items.size());
  for (std::size_t i = 0; i < raw.size(); ++i) EXPECT_EQ(std::get<0>(raw[i]), p.items[i].n);
}

TYPED_TEST(Pages, FirstLastAndPastTheEnd) {
  auto& entries = this->entries();
  const auto q = entries.find().order_by(entry_n.asc());
  const auto first = q.page(1, 10);
  EXPECT_EQ(this->ns(first.items), this->range(1, 10));
  EXPECT_FALSE(first.has_prev);
  EXPECT_TRUE(first.has_next);
  EXPECT_EQ(first.total_pages, 3);

  const auto last = q.page(3, 10);
  EXPECT_EQ(this->ns(last.items), this->range(21, 25));
  EXPECT_TRUE(last.has_prev);
  EXPECT_FALSE(last.has_next);
  EXPECT_EQ(last.total, 25);

  const auto past = q.page(4, 10);
  EXPECT_TRUE(past.items.empty());
  EXPECT_FALSE(past.has_next);
  EXPECT_TRUE(past.has_prev);
  EXPECT_EQ(past.number, 4);
  EXPECT_EQ(past.total, 25);
  EXPECT_EQ(past.total_pages, 3);

  // An exact multiple: 25 in pages of 5 is 5 pages, the last one full.
  const auto exact = q.page(5, 5);
  EXPECT_EQ(exact.total_pages, 5);
  EXPECT_EQ(this->ns(exact.items), this->range(21, 25));
  EXPECT_FALSE(exact.has_next);

  // A filter: n > 20 is 5 documents, one page.
  const auto filtered = entries.find(entry_n > 20).order_by(entry_n.desc()).page(1, 10);
  EXPECT_EQ(filtered.total, 5);
  EXPECT_EQ(filtered.total_pages, 1);
  EXPECT_EQ(this->ns(filtered.items), (std::vector<int>{25, 24, 23, 22, 21}));
  EXPECT_FALSE(filtered.has_next);
  EXPECT_FALSE(filtered.has_prev);
}

TYPED_TEST(Pages, EmptyResult) {
  auto& entries = this->entries();
  const auto p = entries.find(entry_n > 100).order_by(entry_n.asc()).page(1, 10);
  EXPECT_TRUE(p.items.empty());
  EXPECT_EQ(p.total, 0);
  EXPECT_EQ(p.total_pages, 0);
  EXPECT_FALSE(p.has_next);
  EXPECT_FALSE(p.has_prev);
}

TYPED_TEST(Pages, BadPageOrSizeThrows) {
  auto& entries = this->entries();
  const auto q = entries.find().order_by(entry_n.asc());
  EXPECT_THROW(q.page(0, 10), sqler::error);
  EXPECT_THROW(q.page(-1, 10), sqler::error);
  EXPECT_THROW(q.page(1, 0), sqler::error);
  EXPECT_THROW(q.page(1, -3), sqler::error);
  EXPECT_THROW(q.page(std::numeric_limits<std::int64_t>::max(), 10), sqler::error);
}

TYPED_TEST(Pages, KeysetWalkVisitsTheSameDocumentsInThreePages) {
  auto& entries = this->entries();
  const auto q = entries.find().order_by(entry_n.asc(), sqler::doc_id.asc()).limit(10);
  std::vector<std::vector<int>> pages;
  const auto rows = static_cast<std::size_t>(entries.size());
  auto chunk = q.all_versioned();
  while (!chunk.empty()) {
    // At most one page per row: more means after() repeats rows, so fail rather than hang.
    ASSERT_LT(pages.size(), rows + 1) << "keyset walk went past " << rows + 1 << " pages for "
                                      << rows << " rows";
    std::vector<int> page_ns;
    for (const auto& v : chunk) page_ns.push_back(v.value.n);
    pages.push_back(page_ns);
    chunk = q.after(chunk.back()).all_versioned();
  }
  ASSERT_EQ(pages.size(), 3u);
  const auto by_offset = entries.find().order_by(entry_n.asc(), sqler::doc_id.asc());
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(pages[static_cast<std::size_t>(i)], this->ns(by_offset.page(i + 1, 10).items))
        << "page " << i + 1;
}

// ---------------------------------------------------------------- string predicates

struct Person {
  std::string name;
  std::optional<std::string> nick;
};

constexpr auto pname = sqler::field<&Person::name>;
constexpr auto pnick = sqler::field<&Person::nick>;

const std::vector<std::string> person_names = {
    "alice", "Alice", "ALICE", "alicia", "bob", "日本語", "日本", "日曜", "100%", "100% pure",
    "1000", "a_b", "axb", "", "malice"};

template <class B>
class StringPredicates : public sqler_test::on_backend<B> {
 protected:
  void SetUp() override {
    sqler_test::on_backend<B>::SetUp();
    if (this->IsSkipped()) return;
    people_.emplace(sqler_test::collection_of<Person>(this->db()));
    for (std::size_t i = 0; i < person_names.size(); ++i)
      people_->insert({person_names[i], i % 3 == 0
                                            ? std::optional<std::string>("nick" + std::to_string(i))
                                            : std::nullopt});
  }

  template <class Q>
  static std::vector<std::string> names(const Q& q) {
    std::vector<std::string> out;
    for (const auto& p : q.all()) out.push_back(p.name);
    std::sort(out.begin(), out.end());
    return out;
  }

  // The names a hand-written WHERE clause (over `name`, bound as ?1 = arg; $1 on PostgreSQL)
  // selects, in bytewise order.
  std::vector<std::string> raw(std::string_view where, const std::string& arg) {
    auto rows = this->db().template query<std::string>(
        std::string(this->sql(
            "SELECT name FROM (SELECT json_extract(data,'$.name') AS name FROM \"Person\") WHERE ",
            "SELECT name FROM (SELECT data->>'name' AS name FROM \"Person\") AS p WHERE ")) +
            std::string(where) +
            std::string(this->sql(" ORDER BY name", " ORDER BY name COLLATE \"C\"")),
        arg);
    std::vector<std::string> out;
    for (auto& r : rows) out.push_back(std::get<0>(r));
    return out;
  }

  static std::vector<std::string> expected_if(const std::function<bool(const std::string&)>& keep) {
    std::vector<std::string> out;
    for (const auto& n : person_names)
      if (keep(n)) out.push_back(n);
    std::sort(out.begin(), out.end());
    return out;
  }

  sqler::collection<Person, typename B::backend>& people() { return *people_; }

  std::optional<sqler::collection<Person, typename B::backend>> people_;
};
TYPED_TEST_SUITE(StringPredicates, sqler_test::backends, sqler_test::backend_names);

TYPED_TEST(StringPredicates, StartsWith) {
  auto& people = this->people();
  // GLOB (strpos on PostgreSQL) is case-sensitive and treats '%' and '_' literally: a fair
  // twin for these prefixes.
  for (const std::string prefix : {"al", "Al", "日本", "日", "", "100%", "a_", "alice", "alicex", "z"}) {
    SCOPED_TRACE("prefix '" + prefix + "'");
    const auto got = this->names(people.find(pname.starts_with(prefix)));
    EXPECT_EQ(got,
              this->expected_if([&](const std::string& n) { return n.rfind(prefix, 0) == 0; }));
    EXPECT_EQ(got,
              this->raw(this->sql("name GLOB ?1 || '*'", "strpos(name, $1::text) = 1"), prefix));
  }
  EXPECT_EQ(this->names(people.find(pname.starts_with("日本"))),
            (std::vector<std::string>{"日本", "日本語"}));
  EXPECT_EQ(people.find(pname.starts_with("")).count(), static_cast<std::int64_t>(person_names.size()));
  EXPECT_EQ(this->names(people.find(pname.starts_with("100%"))),
            (std::vector<std::string>{"100%", "100% pure"}));
  EXPECT_EQ(this->names(people.find(pname.starts_with("a_"))), (std::vector<std::string>{"a_b"}));
  // On an optional member, the empty prefix matches every present string and no missing one.
  EXPECT_EQ(people.find(pnick.starts_with("")).count(), people.find(pnick.is_not_null()).count());
  std::int64_t nick1 = 0;
  for (const auto& p : people.find().all()) nick1 += p.nick && p.nick->rfind("nick1", 0) == 0;
  EXPECT_GT(nick1, 0);
  EXPECT_EQ(people.find(pnick.starts_with("nick1")).count(), nick1);
}

TYPED_TEST(StringPredicates, EndsWith) {
  auto& people = this->people();
  for (const std::string suffix : {"ice", "ICE", "語", "", "pure", "%", "_b", "xalice", "malice", "e"}) {
    SCOPED_TRACE("suffix '" + suffix + "'");
    const auto got = this->names(people.find(pname.ends_with(suffix)));
    EXPECT_EQ(got, this->expected_if([&](const std::string& n) {
                return n.size() >= suffix.size() &&
                       n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0;
              }));
    EXPECT_EQ(got, this->raw(this->sql("name GLOB '*' || ?1",
                                       "strpos(reverse(name), reverse($1::text)) = 1"),
                             suffix));
  }
  EXPECT_EQ(this->names(people.find(pname.ends_with("ice"))),
            (std::vector<std::string>{"Alice", "alice", "malice"}));
  EXPECT_EQ(people.find(pname.ends_with("")).count(), static_cast<std::int64_t>(person_names.size()));
  // Longer than every value it could be the end of.
  EXPECT_EQ(people.find(pname.ends_with("xmalice")).count(), 0);
  EXPECT_EQ(people.find(pname.ends_with("日本語!")).count(), 0);
}

TYPED_TEST(StringPredicates, IEqualsFoldsAsciiCaseOnly) {
  auto& people = this->people();
  for (const std::string text : {"ALICE", "alice", "aLiCe", "alicia", "BOB", "日本", "", "A_B"}) {
    SCOPED_TRACE("text '" + text + "'");
    const auto got = this->names(people.find(pname.iequals(text)));
    EXPECT_EQ(got, this->expected_if([&](const std::string& n) {
                return n.size() == text.size() &&
                       std::equal(n.begin(), n.end(), text.begin(), [](char a, char b) {
                         auto lower = [](char x) { return x >= 'A' && x <= 'Z' ? static_cast<char>(x - 'A' + 'a') : x; };
                         return lower(a) == lower(b);
                       });
              }));
    EXPECT_EQ(got, this->raw(this->sql("lower(name) = lower(?1)", "lower(name) = lower($1::text)"),
                             text));
  }
  EXPECT_EQ(this->names(people.find(pname.iequals("ALICE"))),
            (std::vector<std::string>{"ALICE", "Alice", "alice"}));
  EXPECT_FALSE(people.find(pname.iequals("ALICE") && pname == "alicia").exists());
  // Combined with other predicates.
  EXPECT_EQ(people.find(pname.iequals("alice") && !pname.starts_with("A")).count(), 1);
}

TYPED_TEST(StringPredicates, InWithAnEmptyList) {
  auto& people = this->people();
  const auto all_ids =
      this->db().template query<std::int64_t>("SELECT _id FROM \"Person\" ORDER BY _id");
  const auto total = static_cast<std::int64_t>(all_ids.size());
  EXPECT_EQ(people.find(pname.in({})).count(), 0);
  EXPECT_TRUE(people.find(pname.in({})).all().empty());
  EXPECT_EQ(people.find(!pname.in({})).count(), total);
  std::vector<std::tuple<std::int64_t>> ids;
  for (auto id : people.find(!pname.in({})).order_by(sqler::doc_id.asc()).ids()) ids.emplace_back(id);
  EXPECT_EQ(ids, all_ids);
  // Missing optional values too: NOT IN an empty list is true even for NULL.
  EXPECT_EQ(people.find(!pnick.in({})).count(), total);
  EXPECT_EQ(people.find(pnick.in({})).count(), 0);
  // The hand-written twin: IN over an empty json array.
  EXPECT_EQ(std::get<0>(this->db().template query<std::int64_t>(this->sql(
                "SELECT COUNT(*) FROM \"Person\" WHERE json_extract(data,'$.name') NOT IN "
                "(SELECT value FROM json_each('[]'))",
                "SELECT COUNT(*) FROM \"Person\" WHERE data->>'name' NOT IN "
                "(SELECT value FROM jsonb_array_elements_text('[]'))"))[0]),
            total);
  // A non-empty list still works next to it.
  EXPECT_EQ(this->names(people.find(pname.in({"bob", "nobody"}))),
            (std::vector<std::string>{"bob"}));
  EXPECT_EQ(people.find(pname.in({}) || pname == "bob").count(), 1);
}

// ---------------------------------------------------------------- arithmetic in predicates

TYPED_TEST(Aggregates, ArithmeticInPredicates) {
  auto& items = this->items();
  this->insert_issue_items();  // quantities 100, 150, 50
  auto names_of = [](const std::vector<Item>& v) {
    std::vector<std::string> out;
    for (const auto& it : v) out.push_back(it.name);
    std::sort(out.begin(), out.end());
    return out;
  };
  auto raw_names = [&](std::string_view where) {
    std::vector<std::string> out;
    for (auto& r : this->db().template query<std::string>(
             std::string(this->sql("SELECT json_extract(data,'$.name') FROM \"Item\" WHERE ",
                                   "SELECT data->>'name' COLLATE \"C\" FROM \"Item\" WHERE ")) +
             std::string(where) + " ORDER BY 1"))
      out.push_back(std::get<0>(r));
    return out;
  };

  EXPECT_EQ(names_of(items.find(quantity * 2 > 250).all()), (std::vector<std::string>{"banana"}));
  EXPECT_EQ(names_of(items.find(quantity * 2 > 250).all()),
            raw_names(this->sql("json_extract(data,'$.quantity') * 2 > 250",
                                "(data->>'quantity')::bigint * 2 > 250")));
  EXPECT_EQ(names_of(items.find(quantity + 10 == 60).all()), (std::vector<std::string>{"cheese"}));
  EXPECT_EQ(names_of(items.find(quantity + 10 == 60).all()),
            raw_names(this->sql("json_extract(data,'$.quantity') + 10 = 60",
                                "(data->>'quantity')::bigint + 10 = 60")));
  // Integer division truncates: 100/40 == 2, 150/40 == 3, 50/40 == 1.
  EXPECT_EQ(names_of(items.find(quantity / 40 == 2).all()), (std::vector<std::string>{"apple"}));
  EXPECT_EQ(names_of(items.find(quantity / 40 == 2).all()),
            raw_names(this->sql("json_extract(data,'$.quantity') / 40 = 2",
                                "(data->>'quantity')::bigint / 40 = 2")));
  EXPECT_EQ(items.find(quantity - 100 < 0).count(), 1);
  EXPECT_EQ(items.find(quantity * price > 140.0).count(), 2);  // 150 and 150, not 112.5
  EXPECT_EQ(items.find(10 + quantity >= 110).count(), 2);
  // Dividing by a float divides as floats.
  EXPECT_EQ(names_of(items.find(quantity / 40.0 == 2.5).all()), (std::vector<std::string>{"apple"}));
}

TYPED_TEST(Aggregates, DoubleFieldWithAWholeValueDividesAsADouble) {
  auto& items = this->items();
  this->insert_issue_items();  // cheese costs 3.00
  // 3.0 / 2 is 1.5 in C++; the stored document must not turn it into integer division.
  EXPECT_EQ(items.find(price / 2 == 1.5).count(), 1);
  EXPECT_EQ(items.find(price / 2 > 1.2).count(), 1);
  EXPECT_DOUBLE_EQ(*items.find(name == "cheese").sum(price / 2), 1.5);
}

}  // namespace
