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
};

// The same documents, read without any multikey declaration: the scanning twin.
struct PlainPost {
  static constexpr std::string_view sqler_table = "Post";
  static constexpr bool sqler_shared_table = true;
  std::string title;
  std::vector<int> tags;
  std::vector<Item> items;
  std::vector<std::string> labels;
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

constexpr bool has(std::string_view sql, std::string_view part) {
  return sql.find(part) != std::string_view::npos;
}

TYPED_TEST(Multikey, TheSqlSearchesTheSideTable) {
  auto& posts = this->posts();
  auto& db = this->db();
  using Q = decltype(posts.find(tags.contains(3)));
  using QAny = decltype(posts.find(tags.contains_any({1, 2})));
  using QSku = decltype(posts.find(items.any(sku == "a")));
  using QQty = decltype(posts.find(items.any(qty > 3)));
  using QPlain = decltype(db.template collection<PlainPost>().find(plain_tags.contains(3)));
  if constexpr (!sqler_test::is_postgres<TypeParam>) {
    static_assert(Q::sql() ==
                  "SELECT _id, _version, data FROM \"Post\" WHERE _id IN (SELECT _id FROM "
                  "\"Post__mk__tags\" WHERE value = ?1)");
    static_assert(QAny::sql() ==
                  "SELECT _id, _version, data FROM \"Post\" WHERE _id IN (SELECT _id FROM "
                  "\"Post__mk__tags\" WHERE value IN (SELECT value FROM json_each(?1)))");
    static_assert(QSku::sql() ==
                  "SELECT _id, _version, data FROM \"Post\" WHERE _id IN (SELECT _id FROM "
                  "\"Post__mk__items.sku\" WHERE value = ?1)");
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

}  // namespace
