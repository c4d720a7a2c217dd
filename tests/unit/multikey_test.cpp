// Multikey indexes: an array member indexed one entry per element, kept exact by triggers, and
// the array predicates that search it instead of scanning. The same queries on a twin type
// without the declaration (sharing the table) must return the same documents.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "sqler/sqler.hpp"

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

class Multikey : public ::testing::Test {
 protected:
  // The side table's rows, and what they must be: every element of every stored document.
  entries stored(const std::string& side) {
    entries out;
    for (const auto& [v, id] :
         db.query<std::string, std::int64_t>("SELECT CAST(value AS TEXT), _id FROM \"" + side + "\""))
      out.insert({v, id});
    return out;
  }
  entries expected(const std::string& array_path, const std::string& member) {
    const std::string value = member.empty() ? "j.value" : "json_extract(j.value, '" + member + "')";
    entries out;
    for (const auto& [v, id] : db.query<std::optional<std::string>, std::int64_t>(
             "SELECT CAST(" + value + " AS TEXT), p._id FROM \"Post\" AS p, json_each(p.data, '" +
             array_path + "') AS j"))
      if (v) out.insert({*v, id});
    return out;
  }
  void expect_exact(const char* when) {
    EXPECT_EQ(stored("Post__mk__tags"), expected("$.tags", "")) << when;
    EXPECT_EQ(stored("Post__mk__items.sku"), expected("$.items", "$.sku")) << when;
    EXPECT_EQ(stored("Post__mk__labels"), expected("$.labels", "")) << when;
  }

  sqler::database db = sqler::database::in_memory();
  sqler::collection<Post> posts = db.collection<Post>();
};

TEST_F(Multikey, TheSqlSearchesTheSideTable) {
  static_assert(decltype(posts.find(tags.contains(3)))::sql() ==
                "SELECT _id, _version, data FROM \"Post\" WHERE _id IN (SELECT _id FROM "
                "\"Post__mk__tags\" WHERE value = ?1)");
  static_assert(decltype(posts.find(tags.contains_any({1, 2})))::sql() ==
                "SELECT _id, _version, data FROM \"Post\" WHERE _id IN (SELECT _id FROM "
                "\"Post__mk__tags\" WHERE value IN (SELECT value FROM json_each(?1)))");
  static_assert(decltype(posts.find(items.any(sku == "a")))::sql() ==
                "SELECT _id, _version, data FROM \"Post\" WHERE _id IN (SELECT _id FROM "
                "\"Post__mk__items.sku\" WHERE value = ?1)");
  // A test the index cannot answer still scans.
  static_assert(decltype(posts.find(items.any(qty > 3)))::sql().find("json_each(data") !=
                std::string_view::npos);
  // So does the same array of a type that declares no index.
  static_assert(decltype(db.collection<PlainPost>().find(plain_tags.contains(3)))::sql().find(
                    "json_each(data") != std::string_view::npos);

  posts.insert({"a", {1, 2}, {{"x", 1}}, {"red"}});
  const std::string plan = posts.find(tags.contains(2)).explain();
  EXPECT_NE(plan.find("Post__mk__tags"), std::string::npos) << plan;
  EXPECT_NE(plan.find("PRIMARY KEY"), std::string::npos) << plan;
  const std::string plan2 = posts.find(items.any(sku.in({"x", "y"})) && title == "a").explain();
  EXPECT_NE(plan2.find("Post__mk__items.sku"), std::string::npos) << plan2;
}

TEST_F(Multikey, KeptExactByEveryWritePath) {
  const auto a = posts.insert({"a", {1, 2, 2}, {{"x", 1}, {"y", 2}}, {"red"}});
  const auto b = posts.insert_many(std::vector<Post>{{"b", {3}, {}, {}}, {"c", {}, {{"x", 5}}, {"blue", "red"}}});
  expect_exact("insert");
  posts.replace(a, {"a", {7}, {{"z", 1}}, {}});
  expect_exact("replace");
  posts.upsert(b[0], {"b", {3, 4}, {{"q", 0}}, {"green"}});
  posts.upsert(1000, {"new", {9}, {}, {}});
  expect_exact("upsert");
  posts.update(a, sqler::push(tags, 8), sqler::push(items, Item{"w", 2}));
  expect_exact("update by id");
  EXPECT_EQ(posts.find(title != "zzz").update(sqler::push(labels, std::string("all"))), 4);
  expect_exact("update by query");
  (void)posts.find(title == "c").update_one(sqler::set(tags, std::vector<int>{11, 12}));
  expect_exact("update_one");
  db.execute("UPDATE \"Post\" SET data = json_set(data, '$.tags', json('[42, 43]')) WHERE _id = ?1", a);
  expect_exact("raw SQL UPDATE");
  EXPECT_EQ(posts.find(tags.contains(42)).ids(), std::vector<std::int64_t>{a});
  posts.remove(b[1]);
  expect_exact("remove");
  EXPECT_EQ(posts.find(title == "b").remove(), 1);
  expect_exact("remove by query");
  db.execute("DELETE FROM \"Post\" WHERE _id = ?1", a);
  expect_exact("raw SQL DELETE");
  {
    auto tx = db.transaction();
    posts.insert({"rolled back", {5}, {{"r", 1}}, {"x"}});
  }
  expect_exact("rolled back");
  EXPECT_FALSE(posts.find(tags.contains(5)).exists());
}

TEST_F(Multikey, SameResultsAsScanningOnRandomDocuments) {
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
  expect_exact("10k inserted");
  auto plain = db.collection<PlainPost>();
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

TEST_F(Multikey, DropAndEnsure) {
  posts.insert({"a", {1}, {{"x", 1}}, {}});
  posts.drop_index(tags);
  EXPECT_TRUE(db.query<std::string>("SELECT name FROM sqlite_master WHERE name LIKE 'Post__mk__tags%'").empty());
  posts.insert({"b", {2}, {}, {}});  // no trigger left to fail
  posts.ensure_index(tags);           // recreated and refilled
  expect_exact("ensured again");
  EXPECT_EQ(posts.find(tags.contains(2)).count(), 1);
  posts.drop_index(sqler::elements<&Post::items, &Item::sku>{});
  posts.ensure_index(sqler::elements<&Post::items, &Item::sku>{});
  expect_exact("member index ensured again");
  // Opening the collection again recreates a dropped one: the type still declares it.
  posts.drop_index(labels);
  auto reopened = db.collection<Post>();
  expect_exact("reopened");
}

TEST_F(Multikey, ExistingDocumentsAreIndexedWhenTheDeclarationArrives) {
  auto db2 = sqler::database::in_memory();
  auto plain = db2.collection<PlainPost>();
  plain.insert({"old", {1, 2}, {{"x", 1}}, {"red"}});
  auto indexed = db2.collection<Post>();  // creates and fills the side tables
  EXPECT_EQ(indexed.find(tags.contains(2)).count(), 1);
  EXPECT_EQ(indexed.find(items.any(sku == "x")).count(), 1);
  EXPECT_EQ(indexed.find(labels.contains("red")).count(), 1);
}

}  // namespace
