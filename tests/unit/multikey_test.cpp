// Multikey indexes: an array member indexed one entry per element, kept exact by triggers, and
// the array predicates that search it instead of scanning. The same queries on a twin type
// without the declaration (sharing the table) must return the same documents.
#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "../support/backends.hpp"
#include "../support/sql_text.hpp"

namespace mk {

struct Item {
  std::string sku;
  int qty = 0;
};

struct Post {
  static constexpr std::string_view sqler_table = "Post";
  static constexpr bool sqler_shared_table = true;
  std::string title;
  std::vector<int> tags;
  std::vector<Item> items;
  std::vector<std::string> labels;
  int score = 0;
};

// The same documents, read without any multikey declaration: the scanning twin.
struct PlainPost {
  static constexpr std::string_view sqler_table = "Post";
  static constexpr bool sqler_shared_table = true;
  std::string title;
  std::vector<int> tags;
  std::vector<Item> items;
  std::vector<std::string> labels;
  int score = 0;
};

}  // namespace mk

template <>
struct sqler::multikey<mk::Post>
    : sqler::multikey_list<sqler::elements<&mk::Post::tags>,
                           sqler::elements<&mk::Post::items, &mk::Item::sku>,
                           sqler::elements<&mk::Post::labels>> {};

namespace {

using mk::Item;
using mk::PlainPost;
using mk::Post;

constexpr auto tags = sqler::field<&Post::tags>;
constexpr auto items = sqler::field<&Post::items>;
constexpr auto labels = sqler::field<&Post::labels>;
constexpr auto title = sqler::field<&Post::title>;
constexpr auto score = sqler::field<&Post::score>;
constexpr auto sku = sqler::field<&Item::sku>;
constexpr auto qty = sqler::field<&Item::qty>;
constexpr auto plain_tags = sqler::field<&PlainPost::tags>;
constexpr auto plain_items = sqler::field<&PlainPost::items>;
constexpr auto plain_labels = sqler::field<&PlainPost::labels>;

using entries = std::set<std::pair<std::string, std::int64_t>>;

// SQLite: each multikey index is a side table ("Post__mk__tags": value, _id) kept exact by
// triggers; exact means its rows are every element of every stored document. PostgreSQL: a GIN
// index (jsonb_path_ops) on the array, which PostgreSQL keeps itself ("sqler_mk_Post__items"
// also serves items[].sku); exact means it exists and that a containment search through it (on
// a connection whose planner avoids sequential scans) finds, for every element value, the
// documents holding it.
template <class B>
class Multikey : public sqler_test::on_backend<B> {
 protected:
  using collection_type = sqler::collection<Post, typename B::backend>;

  // Opened on first use: one test stores documents before the declaring type is opened.
  collection_type& posts() {
    if (!posts_) posts_.emplace(sqler_test::collection_of<Post>(this->db()));
    return *posts_;
  }

  // The side table's rows (SQLite), and what they must be: every element of every stored
  // document.
  entries stored(const std::string& side) {
    entries out;
    for (const auto& [v, id] : this->db().template query<std::string, std::int64_t>(
             "SELECT CAST(value AS TEXT), _id FROM \"" + side + "\""))
      out.insert({v, id});
    return out;
  }
  entries expected(const std::string& array_path, const std::string& member) {
    std::string sql;
    if constexpr (B::is_postgres) {
      // array_path "$.tags" -> data->'tags'; member "$.sku" -> j.value->>'sku'.
      const std::string value =
          member.empty() ? "j.value #>> '{}'" : "j.value->>'" + member.substr(2) + "'";
      sql = "SELECT " + value + ", p._id FROM \"Post\" AS p, jsonb_array_elements(CASE WHEN "
            "jsonb_typeof(p.data->'" + array_path.substr(2) + "') = 'array' THEN p.data->'" +
            array_path.substr(2) + "' END) AS j";
    } else {
      const std::string value =
          member.empty() ? "j.value" : "json_extract(j.value, '" + member + "')";
      sql = "SELECT CAST(" + value + " AS TEXT), p._id FROM \"Post\" AS p, json_each(p.data, '" +
            array_path + "') AS j";
    }
    entries out;
    for (const auto& [v, id] :
         this->db().template query<std::optional<std::string>, std::int64_t>(sql))
      if (v) out.insert({*v, id});
    return out;
  }

  // PostgreSQL: the GIN index exists, and searching it for each value in `want` finds exactly
  // the documents `want` lists for that value.
  bool index_exists(const std::string& name) {
    return !this->db()
                .template query<std::string>(
                    "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND "
                    "indexname = $1",
                    name)
                .empty();
  }
  template <class Find>
  entries found(const entries& want, Find find) {
    std::set<std::string> values;
    for (const auto& [v, id] : want) values.insert(v);
    entries out;
    for (const auto& v : values)
      for (auto id : find(v)) out.insert({v, id});
    return out;
  }
  auto planning_posts() {
    if constexpr (B::is_postgres) {
#if SQLER_TEST_POSTGRES
      return sqler_test::connect_preferring_indexes(this->env()).template collection<Post>();
#endif
    } else {
      return this->db().template collection<Post>();
    }
  }

  void expect_exact(const char* when) {
    if constexpr (B::is_postgres) {
      EXPECT_TRUE(index_exists("sqler_mk_Post__tags")) << when;
      // One GIN index per array, whichever member of its elements the declaration names.
      EXPECT_TRUE(index_exists("sqler_mk_Post__items")) << when;
      EXPECT_TRUE(index_exists("sqler_mk_Post__labels")) << when;
      auto ix = planning_posts();
      const auto sorted = [](std::vector<std::int64_t> v) {
        std::sort(v.begin(), v.end());
        return v;
      };
      const entries tag_rows = expected("$.tags", "");
      EXPECT_EQ(found(tag_rows,
                      [&](const std::string& v) {
                        int n = 0;
                        std::from_chars(v.data(), v.data() + v.size(), n);
                        return sorted(ix.find(tags.contains(n)).ids());
                      }),
                tag_rows)
          << when;
      const entries sku_rows = expected("$.items", "$.sku");
      EXPECT_EQ(found(sku_rows,
                      [&](const std::string& v) {
                        return sorted(ix.find(items.any(sku == v)).ids());
                      }),
                sku_rows)
          << when;
      const entries label_rows = expected("$.labels", "");
      EXPECT_EQ(found(label_rows,
                      [&](const std::string& v) {
                        return sorted(ix.find(labels.contains(v)).ids());
                      }),
                label_rows)
          << when;
    } else {
      EXPECT_EQ(stored("Post__mk__tags"), expected("$.tags", "")) << when;
      EXPECT_EQ(stored("Post__mk__items.sku"), expected("$.items", "$.sku")) << when;
      EXPECT_EQ(stored("Post__mk__labels"), expected("$.labels", "")) << when;
    }
  }

  std::optional<collection_type> posts_;
};
TYPED_TEST_SUITE(Multikey, sqler_test::backends, sqler_test::backend_names);

using sqler_test::has;

TYPED_TEST(Multikey, TheSqlSearchesTheSideTable) {
  auto& posts = this->posts();
  auto& db = this->db();
  using Q = decltype(posts.find(tags.contains(3)));
  using QAny = decltype(posts.find(tags.contains_any({1, 2})));
  using QSku = decltype(posts.find(items.any(sku == "a")));
  using QQty = decltype(posts.find(items.any(qty > 3)));
  using QPlain = decltype(db.template collection<PlainPost>().find(plain_tags.contains(3)));
  if constexpr (!sqler_test::is_postgres<TypeParam>) {
    // One value: a join driven by the side table (JoinedReads below has the other shapes).
    static_assert(Q::sql() ==
                  "SELECT _id, _version, data FROM (SELECT _id AS \"sqler:mk\" FROM "
                  "\"Post__mk__tags\" WHERE value = ?1) JOIN \"Post\" ON \"Post\"._id = "
                  "\"sqler:mk\"");
    static_assert(QAny::sql() ==
                  "SELECT _id, _version, data FROM \"Post\" WHERE _id IN (SELECT _id FROM "
                  "\"Post__mk__tags\" WHERE value IN (SELECT value FROM json_each(?1)))");
    static_assert(QSku::sql() ==
                  "SELECT _id, _version, data FROM (SELECT _id AS \"sqler:mk\" FROM "
                  "\"Post__mk__items.sku\" WHERE value = ?1) JOIN \"Post\" ON \"Post\"._id = "
                  "\"sqler:mk\"");
    // A test the index cannot answer still scans.
    static_assert(has(QQty::sql(), "json_each(data"));
    // So does the same array of a type that declares no index.
    static_assert(has(QPlain::sql(), "json_each(data"));
  } else {
    // Containment (@>), the operator the GIN index (jsonb_path_ops) answers.
    static_assert(has(Q::sql(), "(data->'tags') @> "));
    static_assert(has(QSku::sql(), "(data->'items') @> "));
    // A test the index cannot answer still scans.
    static_assert(has(QQty::sql(), "jsonb_array_elements(") && !has(QQty::sql(), "@>"));
    // So does the same array of a type that declares no index.
    static_assert(has(QPlain::sql(), "jsonb_array_elements(") && !has(QPlain::sql(), "@>"));
  }

  posts.insert({"a", {1, 2}, {{"x", 1}}, {"red"}});
  auto planned = this->planning_posts();
  const std::string plan = planned.find(tags.contains(2)).explain();
  const std::string plan2 = planned.find(items.any(sku.in({"x", "y"})) && title == "a").explain();
  const std::string plan3 = planned.find(tags.contains_any({1, 2})).explain();
  if constexpr (!sqler_test::is_postgres<TypeParam>) {
    EXPECT_NE(plan.find("Post__mk__tags"), std::string::npos) << plan;
    EXPECT_NE(plan.find("PRIMARY KEY"), std::string::npos) << plan;
    EXPECT_NE(plan2.find("Post__mk__items.sku"), std::string::npos) << plan2;
    EXPECT_NE(plan3.find("Post__mk__tags"), std::string::npos) << plan3;
  } else {
    EXPECT_NE(plan.find(R"("sqler_mk_Post__tags")"), std::string::npos) << plan;
    EXPECT_NE(plan2.find(R"("sqler_mk_Post__items")"), std::string::npos) << plan2;
    EXPECT_NE(plan3.find(R"("sqler_mk_Post__tags")"), std::string::npos) << plan3;
  }
  // And they find what they should.
  EXPECT_EQ(posts.find(tags.contains(2)).count(), 1);
  EXPECT_EQ(posts.find(items.any(sku.in({"x", "y"})) && title == "a").count(), 1);
  EXPECT_EQ(posts.find(tags.contains_any({3, 1})).count(), 1);
  EXPECT_EQ(posts.find(tags.contains_any({3, 4})).count(), 0);
}

TYPED_TEST(Multikey, KeptExactByEveryWritePath) {
  auto& posts = this->posts();
  auto& db = this->db();
  const auto a = posts.insert({"a", {1, 2, 2}, {{"x", 1}, {"y", 2}}, {"red"}});
  const auto b = posts.insert_many(std::vector<Post>{{"b", {3}, {}, {}}, {"c", {}, {{"x", 5}}, {"blue", "red"}}});
  this->expect_exact("insert");
  posts.replace(a, {"a", {7}, {{"z", 1}}, {}});
  this->expect_exact("replace");
  posts.upsert(b[0], {"b", {3, 4}, {{"q", 0}}, {"green"}});
  posts.upsert(1000, {"new", {9}, {}, {}});
  this->expect_exact("upsert");
  posts.update(a, sqler::push(tags, 8), sqler::push(items, Item{"w", 2}));
  this->expect_exact("update by id");
  EXPECT_EQ(posts.find(title != "zzz").update(sqler::push(labels, std::string("all"))), 4);
  this->expect_exact("update by query");
  (void)posts.find(title == "c").update_one(sqler::set(tags, std::vector<int>{11, 12}));
  this->expect_exact("update_one");
  db.execute(this->sql(
                 "UPDATE \"Post\" SET data = json_set(data, '$.tags', json('[42, 43]')) WHERE _id = ?1",
                 "UPDATE \"Post\" SET data = jsonb_set(data, '{tags}', '[42, 43]') WHERE _id = $1"),
             a);
  this->expect_exact("raw SQL UPDATE");
  EXPECT_EQ(posts.find(tags.contains(42)).ids(), std::vector<std::int64_t>{a});
  posts.remove(b[1]);
  this->expect_exact("remove");
  EXPECT_EQ(posts.find(title == "b").remove(), 1);
  this->expect_exact("remove by query");
  db.execute(this->sql("DELETE FROM \"Post\" WHERE _id = ?1", "DELETE FROM \"Post\" WHERE _id = $1"),
             a);
  this->expect_exact("raw SQL DELETE");
  {
    auto tx = db.transaction();
    posts.insert({"rolled back", {5}, {{"r", 1}}, {"x"}});
  }
  this->expect_exact("rolled back");
  EXPECT_FALSE(posts.find(tags.contains(5)).exists());
}

TYPED_TEST(Multikey, SameResultsAsScanningOnRandomDocuments) {
  auto& posts = this->posts();
  std::mt19937 rng(12345);
  std::vector<Post> docs;
  for (int i = 0; i < 10000; ++i) {
    Post p;
    p.title = "t" + std::to_string(i % 97);
    const int n = static_cast<int>(rng() % 6);
    for (int k = 0; k < n; ++k) p.tags.push_back(static_cast<int>(rng() % 500));
    const int m = static_cast<int>(rng() % 4);
    for (int k = 0; k < m; ++k) p.items.push_back({"s" + std::to_string(rng() % 300), k});
    if (rng() % 3 == 0) p.labels = {"l" + std::to_string(rng() % 20)};
    docs.push_back(std::move(p));
  }
  posts.insert_many(docs);
  this->expect_exact("10k inserted");
  auto plain = this->db().template collection<PlainPost>();
  auto ids = [](auto q) {
    auto v = q.ids();
    std::sort(v.begin(), v.end());
    return v;
  };
  for (int probe = 0; probe < 12; ++probe) {
    const int t = probe * 13 % 500, u = probe * 7 % 500;
    const std::string s = "s" + std::to_string(probe * 11 % 300);
    const std::string l = "l" + std::to_string(probe % 20);
    EXPECT_EQ(ids(posts.find(tags.contains(t))), ids(plain.find(plain_tags.contains(t))));
    EXPECT_EQ(ids(posts.find(tags.contains_any({t, u}))),
              ids(plain.find(plain_tags.contains_any({t, u}))));
    EXPECT_EQ(ids(posts.find(tags.contains_all({t, u}))),
              ids(plain.find(plain_tags.contains_all({t, u}))));
    EXPECT_EQ(ids(posts.find(items.any(sku == s))),
              ids(plain.find(plain_items.any(sku == s))));
    EXPECT_EQ(ids(posts.find(items.any(sku.in({s, std::string("s1")})) && title == "t3")),
              ids(plain.find(plain_items.any(sku.in({s, std::string("s1")})) &&
                             sqler::field<&PlainPost::title> == "t3")));
    EXPECT_EQ(ids(posts.find(labels.contains(l) || tags.contains(t))),
              ids(plain.find(plain_labels.contains(l) || plain_tags.contains(t))));
  }
  // Empty lists: contains_any matches nothing, contains_all everything.
  EXPECT_EQ(posts.find(tags.contains_any_of(std::vector<int>{})).count(), 0);
  EXPECT_EQ(posts.find(tags.contains_all_of(std::vector<int>{})).count(), 10000);
  EXPECT_EQ(ids(posts.find(tags.contains_all({1, 1}))), ids(plain.find(plain_tags.contains_all({1, 1}))));
}

TYPED_TEST(Multikey, DropAndEnsure) {
  auto& posts = this->posts();
  auto& db = this->db();
  posts.insert({"a", {1}, {{"x", 1}}, {}});
  posts.drop_index(tags);
  if constexpr (sqler_test::is_postgres<TypeParam>)
    EXPECT_FALSE(this->index_exists("sqler_mk_Post__tags"));
  else
    EXPECT_TRUE(db.template query<std::string>(
                      "SELECT name FROM sqlite_master WHERE name LIKE 'Post__mk__tags%'")
                    .empty());
  posts.insert({"b", {2}, {}, {}});  // no trigger left to fail
  posts.ensure_index(tags);           // recreated and refilled
  this->expect_exact("ensured again");
  EXPECT_EQ(posts.find(tags.contains(2)).count(), 1);
  posts.drop_index(sqler::elements<&Post::items, &Item::sku>{});
  posts.ensure_index(sqler::elements<&Post::items, &Item::sku>{});
  this->expect_exact("member index ensured again");
  // Opening the collection again recreates a dropped one: the type still declares it.
  posts.drop_index(labels);
  auto reopened = db.template collection<Post>();
  this->expect_exact("reopened");
}

TYPED_TEST(Multikey, ExistingDocumentsAreIndexedWhenTheDeclarationArrives) {
  auto plain = this->db().template collection<PlainPost>();
  plain.insert({"old", {1, 2}, {{"x", 1}}, {"red"}});
  auto& indexed = this->posts();  // creates and fills the side tables (SQLite), the GIN indexes
  EXPECT_EQ(indexed.find(tags.contains(2)).count(), 1);
  EXPECT_EQ(indexed.find(items.any(sku == "x")).count(), 1);
  EXPECT_EQ(indexed.find(labels.contains("red")).count(), 1);
  this->expect_exact("declared after the documents");
}

// ---------------------------------------------------------------- reads joined to the side table
// On SQLite a read whose predicate holds, as the whole predicate or a top-level AND conjunct,
// one multikey equality (contains(v), any(elem == v)) is a join driven by the side table; the
// rest of the predicate stays in WHERE with its parameters numbered as before. Writes, lists
// and conjuncts under OR/NOT keep `_id IN (SELECT ...)`. PostgreSQL's texts do not change.

TYPED_TEST(Multikey, ReadsJoinTheSideTableOnOneValue) {
  auto& posts = this->posts();
  using sqler::doc_id;
  namespace d = sqler::detail;
  using Q = decltype(posts.find(title == "a" && tags.contains(3) && items.any(qty > 1)));
  using QW = decltype(posts.find(title == "a" && tags.contains(3))
                          .order_by(doc_id.desc())
                          .limit(2)
                          .offset(1));
  using QSum = decltype(posts.find(tags.contains(3)).order_by(doc_id).limit(2));
  using QOr = decltype(posts.find(labels.contains("x") || tags.contains(3)));
  using QNot = decltype(posts.find(!tags.contains(3)));
  using QAll = decltype(posts.find(tags.contains_all({1, 2})));
  using QIn = decltype(posts.find(items.any(sku.in({"a", "b"}))));
  using QTwo = decltype(posts.find(tags.contains(1) && items.any(sku == "a")));
  if constexpr (!sqler_test::is_postgres<TypeParam>) {
    constexpr std::string_view join =
        "(SELECT _id AS \"sqler:mk\" FROM \"Post__mk__tags\" WHERE value = ?2) JOIN \"Post\" ON "
        "\"Post\"._id = \"sqler:mk\"";
    // The driver's value keeps its number (?2); the rest, nested array test included, stays.
    static_assert(Q::sql() == std::string_view(
                                  "SELECT _id, _version, data FROM (SELECT _id AS \"sqler:mk\" "
                                  "FROM \"Post__mk__tags\" WHERE value = ?2) JOIN \"Post\" ON "
                                  "\"Post\"._id = \"sqler:mk\" WHERE (json_extract(data,'$.title') "
                                  "= ?1 AND EXISTS (SELECT 1 FROM json_each(data,'$.items') AS je1 "
                                  "WHERE json_extract(je1.value,'$.qty') > ?3))"));
    // ORDER BY _id sorts by the side table's id (the same value, in index order).
    static_assert(has(QW::sql(), join) &&
                  has(QW::sql(), "WHERE json_extract(data,'$.title') = ?1 ORDER BY \"sqler:mk\" "
                                 "DESC LIMIT ?3 OFFSET ?4"));
    static_assert(has(QW::template sql_of<d::first_kind>(), join));
    static_assert(has(QW::template sql_of<d::ids_kind>(), join));
    static_assert(has(QW::template sql_of<d::count_kind>(), join));
    static_assert(has(QW::template sql_of<d::exists_kind>(), join));
    static_assert(has(QW::template sql_of<d::explain_kind>(), join));
    static_assert(QSum::template sql_of<d::aggregate_kind<d::sum_fn, std::remove_cvref_t<decltype(score)>>>() ==
                  std::string_view(
                      "SELECT SUM(json_extract(data,'$.score')) FROM (SELECT \"Post\".* FROM "
                      "(SELECT _id AS \"sqler:mk\" FROM \"Post__mk__tags\" WHERE value = ?1) JOIN "
                      "\"Post\" ON \"Post\"._id = \"sqler:mk\" ORDER BY \"sqler:mk\" ASC LIMIT "
                      "?2) AS w"));
    // Writes take one table: the IN form.
    static_assert(!has(QW::template sql_of<d::remove_kind>(), "JOIN") &&
                  has(QW::template sql_of<d::remove_kind>(),
                      "_id IN (SELECT _id FROM \"Post__mk__tags\" WHERE value = ?2)"));
    using set_score = decltype(sqler::set(score, 1));
    static_assert(!has(QW::template sql_of<d::patch_kind<set_score>>(), "JOIN"));
    static_assert(!has(QW::template sql_of<d::update_one_kind<set_score>>(), "JOIN"));
    // Lists (a document would join once per listed value it holds), OR, NOT: the IN form.
    static_assert(!has(QOr::sql(), "JOIN") && has(QOr::sql(), "_id IN (SELECT _id FROM"));
    static_assert(!has(QNot::sql(), "JOIN"));
    static_assert(!has(QAll::sql(), "JOIN"));
    static_assert(!has(QIn::sql(), "JOIN"));
    // Two equalities: the first drives, the second stays a test.
    static_assert(has(QTwo::sql(), "FROM (SELECT _id AS \"sqler:mk\" FROM \"Post__mk__tags\"") &&
                  has(QTwo::sql(),
                      "WHERE _id IN (SELECT _id FROM \"Post__mk__items.sku\" WHERE value = ?2)"));
  } else {
    static_assert(!has(Q::sql(), "JOIN") && !has(QW::template sql_of<d::count_kind>(), "JOIN"));
    static_assert(!has(QTwo::sql(), "JOIN") && !has(QSum::template sql_of<d::ids_kind>(), "JOIN"));
  }

  const auto a1 = posts.insert({"a", {3, 4}, {{"x", 2}}, {}});
  const auto a2 = posts.insert({"a", {3}, {{"y", 0}}, {}});
  posts.insert({"b", {3}, {{"x", 5}}, {}});
  const std::string plan =
      this->planning_posts().find(title == "a" && tags.contains(3)).explain();
  if constexpr (!sqler_test::is_postgres<TypeParam>) {
    // The side table searched by value, each document then by its integer primary key; no
    // list of ids built first, no sort for ORDER BY _id.
    EXPECT_NE(plan.find("SEARCH Post__mk__tags USING PRIMARY KEY (value=?)"), std::string::npos)
        << plan;
    EXPECT_NE(plan.find("SEARCH Post USING INTEGER PRIMARY KEY (rowid=?)"), std::string::npos)
        << plan;
    EXPECT_EQ(plan.find("LIST SUBQUERY"), std::string::npos) << plan;
    const std::string ordered = posts.find(tags.contains(3))
                                    .order_by(doc_id.desc())
                                    .limit(2)
                                    .explain();
    EXPECT_EQ(ordered.find("TEMP B-TREE"), std::string::npos) << ordered;
  } else {
    EXPECT_NE(plan.find(R"("sqler_mk_Post__tags")"), std::string::npos) << plan;
  }
  EXPECT_EQ(posts.find(title == "a" && tags.contains(3) && items.any(qty > 1)).count(), 1);
  EXPECT_EQ(posts.find(title == "a" && tags.contains(3)).order_by(doc_id.desc()).ids(),
            (std::vector<std::int64_t>{a2, a1}));
  EXPECT_EQ(posts.find(tags.contains(3)).order_by(doc_id).limit(2).sum(score), 0);
}

// The side table holds (value, _id) once, whatever the array repeats, so a join never yields a
// document twice.
TYPED_TEST(Multikey, RepeatedElementsMatchOnce) {
  auto& posts = this->posts();
  using sqler::doc_id;
  const auto a = posts.insert({"a", {2, 2}, {{"x", 1}, {"x", 2}}, {"red", "red"}, 5});
  posts.insert({"b", {2}, {{"x", 3}}, {}, 7});
  posts.insert({"c", {3, 3, 3}, {}, {}, 11});
  if constexpr (!sqler_test::is_postgres<TypeParam>) {
    EXPECT_EQ(this->stored("Post__mk__tags"),
              (entries{{"2", a}, {"2", a + 1}, {"3", a + 2}}));
    // A whole-valued real next to the integer (raw SQL): equal values, still one row.
    this->db().execute("UPDATE \"Post\" SET data = json_set(data, '$.tags', json('[2, 2.0, 2]')) "
                       "WHERE _id = ?1",
                       a);
    EXPECT_EQ(this->db().template query<std::int64_t>(
                  "SELECT COUNT(*) FROM \"Post__mk__tags\" WHERE _id = ?1", a),
              std::vector<std::tuple<std::int64_t>>{{1}});
    EXPECT_EQ(posts.find(tags.contains(2)).ids().size(), 2u);
    this->db().execute("UPDATE \"Post\" SET data = json_set(data, '$.tags', json('[2, 2]')) "
                       "WHERE _id = ?1",  // back to what decodes as std::vector<int>
                       a);
  }
  EXPECT_EQ(posts.find(tags.contains(2)).order_by(doc_id).ids(),
            (std::vector<std::int64_t>{a, a + 1}));
  EXPECT_EQ(posts.find(tags.contains(2)).all().size(), 2u);
  EXPECT_EQ(posts.find(tags.contains(2)).count(), 2);
  EXPECT_EQ(posts.find(tags.contains(3)).count(), 1);
  EXPECT_EQ(posts.find(tags.contains(2)).sum(score), 12);
  EXPECT_EQ(posts.find(tags.contains(2)).order_by(doc_id).limit(1).offset(1).ids(),
            std::vector<std::int64_t>{a + 1});
  EXPECT_EQ(posts.find(items.any(sku == "x")).count(), 2);
  EXPECT_EQ(posts.find(items.any(sku == "x")).group_by(title).count(),
            (std::vector<std::pair<std::string, std::int64_t>>{{"a", 1}, {"b", 1}}));
  EXPECT_EQ(posts.find(labels.contains("red")).ids(), std::vector<std::int64_t>{a});
  const auto p = posts.find(tags.contains(2)).page(1, 10);
  EXPECT_EQ(p.total, 2);
  EXPECT_EQ(p.items.size(), 2u);
}

// Random documents: every read kind joined (Post) against the same read scanning (PlainPost,
// the same table without the declaration), with other conjuncts on either side, orders,
// windows, pages, keyset pages and aggregates.
TYPED_TEST(Multikey, JoinedReadsMatchScanning) {
  auto& posts = this->posts();
  using sqler::doc_id;
  std::mt19937 rng(777);
  std::vector<Post> docs;
  for (int i = 0; i < 3000; ++i) {
    Post p;
    p.title = "t" + std::to_string(rng() % 13);
    const int n = static_cast<int>(rng() % 6);
    for (int k = 0; k < n; ++k) p.tags.push_back(static_cast<int>(rng() % 40));  // repeats too
    const int m = static_cast<int>(rng() % 3);
    for (int k = 0; k < m; ++k)
      p.items.push_back({"s" + std::to_string(rng() % 30), static_cast<int>(rng() % 5)});
    if (rng() % 3 == 0) p.labels = {"l" + std::to_string(rng() % 4)};
    p.score = static_cast<int>(rng() % 100);
    docs.push_back(std::move(p));
  }
  posts.insert_many(docs);
  auto plain = this->db().template collection<PlainPost>();
  constexpr auto p_title = sqler::field<&PlainPost::title>;
  constexpr auto p_score = sqler::field<&PlainPost::score>;
  const auto sorted = [](std::vector<std::int64_t> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  const auto rows = [](const auto& items) {
    std::vector<std::tuple<std::string, int, std::vector<int>>> out;
    for (const auto& d : items) out.emplace_back(d.title, d.score, d.tags);
    return out;
  };
  const auto versioned_ids = [](const auto& v) {
    std::vector<std::int64_t> out;
    for (const auto& d : v) out.push_back(d.id);
    return out;
  };
  for (int probe = 0; probe < 8; ++probe) {
    const int t = probe * 5 % 40;
    const std::string s = "s" + std::to_string(probe * 3 % 30);
    const std::string x = "t" + std::to_string(probe % 13);
    SCOPED_TRACE("tag " + std::to_string(t) + ", sku " + s + ", title " + x);
    // The whole predicate, and with other conjuncts on either side.
    EXPECT_EQ(sorted(posts.find(tags.contains(t)).ids()),
              sorted(plain.find(plain_tags.contains(t)).ids()));
    EXPECT_EQ(sorted(posts.find(title == x && tags.contains(t) && items.any(qty > 1)).ids()),
              sorted(plain.find(p_title == x && plain_tags.contains(t) &&
                                plain_items.any(qty > 1))
                         .ids()));
    EXPECT_EQ(sorted(posts.find(items.any(sku == s) && (score > 50 || labels.contains("l1")))
                         .ids()),
              sorted(plain.find(plain_items.any(sku == s) &&
                                (p_score > 50 || plain_labels.contains("l1")))
                         .ids()));
    EXPECT_EQ(sorted(posts.find(tags.contains(t) && items.any(sku == s)).ids()),
              sorted(plain.find(plain_tags.contains(t) && plain_items.any(sku == s)).ids()));
    // Orders and windows: the same rows in the same order.
    EXPECT_EQ(posts.find(tags.contains(t)).order_by(score.desc(), doc_id.asc()).limit(7).offset(3).ids(),
              plain.find(plain_tags.contains(t)).order_by(p_score.desc(), doc_id.asc()).limit(7).offset(3).ids());
    EXPECT_EQ(posts.find(tags.contains(t) && score < 70).order_by(doc_id.desc()).limit(5).offset(2).ids(),
              plain.find(plain_tags.contains(t) && p_score < 70).order_by(doc_id.desc()).limit(5).offset(2).ids());
    EXPECT_EQ(posts.find(tags.contains(t)).order_by(doc_id).offset(4).ids(),
              plain.find(plain_tags.contains(t)).order_by(doc_id).offset(4).ids());
    EXPECT_EQ(rows(posts.find(tags.contains(t)).order_by(title.asc(), doc_id.desc()).all()),
              rows(plain.find(plain_tags.contains(t)).order_by(p_title.asc(), doc_id.desc()).all()));
    // Pages, count, exists, first.
    const auto pa = posts.find(tags.contains(t)).order_by(doc_id.asc()).page(2, 10);
    const auto pb = plain.find(plain_tags.contains(t)).order_by(doc_id.asc()).page(2, 10);
    EXPECT_EQ(pa.total, pb.total);
    EXPECT_EQ(pa.total_pages, pb.total_pages);
    EXPECT_EQ(rows(pa.items), rows(pb.items));
    EXPECT_EQ(posts.find(tags.contains(t) && title == x).count(),
              plain.find(plain_tags.contains(t) && p_title == x).count());
    EXPECT_EQ(posts.find(tags.contains(t)).limit(5).offset(3).count(),
              plain.find(plain_tags.contains(t)).limit(5).offset(3).count());
    EXPECT_EQ(posts.find(tags.contains(t) && score == probe).exists(),
              plain.find(plain_tags.contains(t) && p_score == probe).exists());
    const auto fa = posts.find(tags.contains(t)).order_by(doc_id.desc()).first_versioned();
    const auto fb = plain.find(plain_tags.contains(t)).order_by(doc_id.desc()).first_versioned();
    ASSERT_EQ(fa.has_value(), fb.has_value());
    if (fa) {
      EXPECT_EQ(fa->id, fb->id);
    }
    // Keyset pages.
    auto qa = posts.find(tags.contains(t)).order_by(score.asc(), doc_id.asc()).limit(6);
    auto qb = plain.find(plain_tags.contains(t)).order_by(p_score.asc(), doc_id.asc()).limit(6);
    auto ka = qa.all_versioned();
    auto kb = qb.all_versioned();
    for (int page = 0; page < 3 && !ka.empty(); ++page) {
      EXPECT_EQ(versioned_ids(ka), versioned_ids(kb));
      if (kb.empty()) break;
      const auto last_a = ka.back();
      ka = qa.after(last_a).all_versioned();
      kb = qb.after(kb.back()).all_versioned();
    }
    // Aggregates, over the matches and over a window of them.
    EXPECT_EQ(posts.find(tags.contains(t)).sum(score), plain.find(plain_tags.contains(t)).sum(p_score));
    EXPECT_EQ(posts.find(tags.contains(t)).max(score), plain.find(plain_tags.contains(t)).max(p_score));
    EXPECT_EQ(posts.find(tags.contains(t)).count_distinct(title),
              plain.find(plain_tags.contains(t)).count_distinct(p_title));
    EXPECT_EQ(posts.find(tags.contains(t)).order_by(doc_id.desc()).limit(4).sum(score),
              plain.find(plain_tags.contains(t)).order_by(doc_id.desc()).limit(4).sum(p_score));
    EXPECT_EQ(posts.find(items.any(sku == s)).group_by(title).count(),
              plain.find(plain_items.any(sku == s)).group_by(p_title).count());
  }
  // A value no document holds.
  EXPECT_EQ(posts.find(tags.contains(999)).count(), 0);
  EXPECT_FALSE(posts.find(tags.contains(999)).exists());
  EXPECT_FALSE(posts.find(tags.contains(999)).first().has_value());
  EXPECT_FALSE(posts.find(tags.contains(999)).sum(score).has_value());
}

}  // namespace

// A joined read next to a promoted column and a filter through a ref: both name columns the
// document table has (the promoted column, data for the ref's id), which the join must leave
// unambiguous.
namespace mkj {

struct Owner {
  std::string name;
  int level = 0;
};

struct Shop {
  std::string name;
  std::string city;
  std::vector<int> tags;
  sqler::ref<Owner> owner;
};

}  // namespace mkj

template <>
struct sqler::multikey<mkj::Shop> : sqler::multikey_list<sqler::elements<&mkj::Shop::tags>> {};
template <>
struct sqler::promoted<mkj::Shop> : sqler::columns<&mkj::Shop::city> {};

namespace {

template <class B>
class MultikeyJoin : public sqler_test::on_backend<B> {};
TYPED_TEST_SUITE(MultikeyJoin, sqler_test::backends, sqler_test::backend_names);

TYPED_TEST(MultikeyJoin, WithPromotedColumnAndRefFilters) {
  using mkj::Owner;
  using mkj::Shop;
  constexpr auto city = sqler::field<&Shop::city>;
  constexpr auto shop_tags = sqler::field<&Shop::tags>;
  constexpr auto level = sqler::field<&Owner::level>;
  auto owners = sqler_test::collection_of<Owner>(this->db());
  auto shops = sqler_test::collection_of<Shop>(this->db());
  std::vector<std::int64_t> owner_ids;
  for (int i = 0; i < 5; ++i) owner_ids.push_back(owners.insert({"o" + std::to_string(i), i}));
  std::mt19937 rng(99);
  std::vector<Shop> docs;
  for (int i = 0; i < 600; ++i) {
    Shop s{"s" + std::to_string(i), "c" + std::to_string(rng() % 4), {}, owner_ids[rng() % 5]};
    const int n = static_cast<int>(rng() % 4);
    for (int k = 0; k < n; ++k) s.tags.push_back(static_cast<int>(rng() % 10));
    docs.push_back(std::move(s));
  }
  const auto ids = shops.insert_many(docs);
  // What each query must return, worked out here.
  const auto expect = [&](auto keep) {
    std::vector<std::int64_t> out;
    for (std::size_t i = 0; i < docs.size(); ++i)
      if (keep(docs[i])) out.push_back(ids[i]);
    return out;
  };
  const auto has_tag = [](const Shop& s, int t) {
    return std::find(s.tags.begin(), s.tags.end(), t) != s.tags.end();
  };
  const auto owner_level = [&](const Shop& s) {
    return static_cast<int>(std::find(owner_ids.begin(), owner_ids.end(), s.owner.id()) -
                            owner_ids.begin());
  };
  using QCity = decltype(shops.find(city == "c1" && shop_tags.contains(3)));
  using QRef = decltype(shops.find(shop_tags.contains(3) && sqler::through<&Shop::owner>(level > 2)));
  if constexpr (!sqler_test::is_postgres<TypeParam>) {
    static_assert(has(QCity::sql(), "JOIN \"Shop\" ON \"Shop\"._id = \"sqler:mk\" WHERE \"city\" = ?1"));
    static_assert(has(QRef::sql(), "JOIN \"Shop\" ON \"Shop\"._id = \"sqler:mk\" WHERE "
                                   "json_extract(data,'$.owner._id') IN (SELECT +_id FROM \"Owner\""));
  }
  for (int t = 0; t < 10; ++t) {
    SCOPED_TRACE("tag " + std::to_string(t));
    EXPECT_EQ(shops.find(city == "c1" && shop_tags.contains(t)).order_by(sqler::doc_id).ids(),
              expect([&](const Shop& s) { return s.city == "c1" && has_tag(s, t); }));
    EXPECT_EQ(shops.find(shop_tags.contains(t) && sqler::through<&Shop::owner>(level > 2))
                  .order_by(sqler::doc_id.asc())
                  .ids(),
              expect([&](const Shop& s) { return has_tag(s, t) && owner_level(s) > 2; }));
    EXPECT_EQ(shops.find(shop_tags.contains(t) && city != "c0" &&
                         sqler::through<&Shop::owner>(level == 1))
                  .count(),
              static_cast<std::int64_t>(expect([&](const Shop& s) {
                                          return has_tag(s, t) && s.city != "c0" &&
                                                 owner_level(s) == 1;
                                        }).size()));
    const auto by_city = shops.find(shop_tags.contains(t)).order_by(city.desc(), sqler::doc_id.asc()).all();
    std::vector<Shop> want;
    for (std::size_t i = 0; i < docs.size(); ++i)
      if (has_tag(docs[i], t)) want.push_back(docs[i]);
    std::stable_sort(want.begin(), want.end(),
                     [](const Shop& a, const Shop& b) { return a.city > b.city; });
    ASSERT_EQ(by_city.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(by_city[i].name, want[i].name);
  }
  if constexpr (!sqler_test::is_postgres<TypeParam>) {
    const std::string plan =
        shops.find(shop_tags.contains(3) && sqler::through<&Shop::owner>(level > 2)).explain();
    EXPECT_NE(plan.find("SEARCH Shop__mk__tags USING PRIMARY KEY (value=?)"), std::string::npos)
        << plan;
    EXPECT_NE(plan.find("SEARCH Shop USING INTEGER PRIMARY KEY (rowid=?)"), std::string::npos)
        << plan;
  }
}

// Delete policies write through the database too: a cascade deletes the referring documents
// and set_null rewrites them, and the index follows both (triggers, not C++ code).
TYPED_TEST(MultikeyJoin, CascadeAndSetNullKeepTheIndexExact) {
  using mkj::Owner;
  using mkj::Shop;
  constexpr auto shop_tags = sqler::field<&Shop::tags>;
  auto owners = sqler_test::collection_of<Owner>(this->db());
  auto shops = sqler_test::collection_of<Shop>(this->db());
  const auto keep = owners.insert({"keep", 0});
  const auto gone = owners.insert({"gone", 1});
  const auto nulled = owners.insert({"nulled", 2});
  const auto a = shops.insert({"a", "c", {1, 2}, keep});
  (void)shops.insert({"b", "c", {2, 3}, gone});
  (void)shops.insert({"c", "c", {3, 4}, gone});
  const auto d = shops.insert({"d", "c", {4, 5}, nulled});
  const auto with_tag = [&](int t) { return shops.find(shop_tags.contains(t)).order_by(sqler::doc_id).ids(); };
  ASSERT_EQ(with_tag(3).size(), 2u);

  EXPECT_TRUE(owners.remove(gone, sqler::on_referenced::cascade));
  EXPECT_EQ(with_tag(1), std::vector<std::int64_t>{a});
  EXPECT_EQ(with_tag(2), std::vector<std::int64_t>{a});
  EXPECT_TRUE(with_tag(3).empty());
  EXPECT_EQ(with_tag(4), std::vector<std::int64_t>{d});
  EXPECT_EQ(shops.find(shop_tags.contains_any({2, 3, 4})).count(), 2);

  // set_null rewrites d's document (its ref): its tags stay indexed, exactly once.
  EXPECT_TRUE(owners.remove(nulled, sqler::on_referenced::set_null));
  EXPECT_EQ(with_tag(4), std::vector<std::int64_t>{d});
  EXPECT_EQ(with_tag(5), std::vector<std::int64_t>{d});
  EXPECT_EQ(shops.find(shop_tags.contains(5)).count(), 1);
  if constexpr (!sqler_test::is_postgres<TypeParam>) {
    auto rows = this->db().template query<std::int64_t, std::int64_t>(
        "SELECT value, _id FROM \"Shop__mk__tags\" ORDER BY value, _id");
    const std::vector<std::tuple<std::int64_t, std::int64_t>> want{{1, a}, {2, a}, {4, d}, {5, d}};
    EXPECT_EQ(rows, want);
  }
}

}  // namespace
