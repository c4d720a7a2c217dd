// The per-shape statement cache, observed through database::stats(): a shape is prepared once
// per connection and then only rebound, shapes never share a slot, and a shape that is still
// being stepped (nested iteration) is not reset under its user.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "sqler/sqler.hpp"

namespace {

struct Item {
  std::string name;
  int qty;
};

constexpr auto name = sqler::field<&Item::name>;
constexpr auto qty = sqler::field<&Item::qty>;

void seed(sqler::collection<Item>& items, int n) {
  std::vector<Item> docs;
  for (int i = 0; i < n; ++i) docs.push_back({"item" + std::to_string(i), i});
  items.insert_many(docs);
}

struct delta {
  std::int64_t prepares;
  std::int64_t hits;
};

delta since(const sqler::cache_stats& before, const sqler::cache_stats& after) {
  return {static_cast<std::int64_t>(after.prepares - before.prepares),
          static_cast<std::int64_t>(after.hits - before.hits)};
}

// A file database in a fresh directory, removed again at the end of the test.
class temp_dir {
 public:
  temp_dir() {
    path_ = std::filesystem::temp_directory_path() /
            ("sqler_cache_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

TEST(StatementCache, OneShapeWithManyValuesIsPreparedOnce) {
  auto db = sqler::database::in_memory();
  auto items = db.collection<Item>();
  seed(items, 50);
  const auto before = db.stats();
  for (int i = 0; i < 1000; ++i) {
    const int threshold = i % 60;
    ASSERT_EQ(items.find(qty >= threshold).count(), std::max(0, 50 - threshold)) << i;
  }
  const auto d = since(before, db.stats());
  EXPECT_EQ(d.prepares, 1);
  EXPECT_EQ(d.hits, 999);
}

TEST(StatementCache, RowQueriesReuseTheirStatementToo) {
  auto db = sqler::database::in_memory();
  auto items = db.collection<Item>();
  seed(items, 20);
  const auto before = db.stats();
  for (int i = 0; i < 100; ++i) {
    auto rows = items.find(qty < i % 20 && name != "item0").order_by(qty.desc()).limit(3).all();
    const int expected = std::min(3, std::max(0, i % 20 - 1));
    ASSERT_EQ(static_cast<int>(rows.size()), expected) << i;
    if (expected > 0) {
      EXPECT_EQ(rows.front().qty, i % 20 - 1);
    }
  }
  const auto d = since(before, db.stats());
  EXPECT_EQ(d.prepares, 1);
  EXPECT_EQ(d.hits, 99);
}

TEST(StatementCache, DifferentShapesNeverShareASlot) {
  auto db = sqler::database::in_memory();
  auto items = db.collection<Item>();
  seed(items, 10);
  const auto before = db.stats();
  for (int round = 0; round < 10; ++round) {
    // Same field, same value, different operator: different SQL, different slot.
    EXPECT_EQ(items.find(qty >= 7).count(), 3);
    EXPECT_EQ(items.find(qty < 7).count(), 7);
    // Same predicate, different kind of result.
    EXPECT_EQ(items.find(qty >= 7).ids().size(), 3u);
    EXPECT_TRUE(items.find(qty >= 7).exists());
  }
  const auto d = since(before, db.stats());
  EXPECT_EQ(d.prepares, 4);
  EXPECT_EQ(d.hits, 36);
}

TEST(StatementCache, EachConnectionPreparesAShapeOnce) {
  temp_dir dir;
  auto db = sqler::database::open(dir.file("items.db"));
  auto items = db.collection<Item>();
  seed(items, 30);

  // Each thread has its own connection, hence its own cache and counters.
  auto run = [&](int offset, delta& out, std::int64_t& total) {
    auto local = db.collection<Item>();
    const auto before = db.stats();
    total = 0;
    for (int i = 0; i < 200; ++i) total += local.find(qty >= (i + offset) % 30).count();
    out = since(before, db.stats());
  };
  delta d1{}, d2{};
  std::int64_t t1 = 0, t2 = 0;
  std::thread a(run, 0, std::ref(d1), std::ref(t1));
  std::thread b(run, 7, std::ref(d2), std::ref(t2));
  a.join();
  b.join();
  auto expected = [](int offset) {
    std::int64_t s = 0;
    for (int i = 0; i < 200; ++i) s += 30 - (i + offset) % 30;
    return s;
  };
  EXPECT_EQ(t1, expected(0));
  EXPECT_EQ(t2, expected(7));
  EXPECT_EQ(d1.prepares, 1);
  EXPECT_EQ(d1.hits, 199);
  EXPECT_EQ(d2.prepares, 1);
  EXPECT_EQ(d2.hits, 199);
  // The two threads' connections were closed when the threads exited.
  EXPECT_EQ(db.connection_count(), 1u);

  // The main thread's connection has not seen that shape yet: it prepares it once as well.
  const auto before = db.stats();
  EXPECT_EQ(items.find(qty >= 10).count(), 20);
  EXPECT_EQ(items.find(qty >= 20).count(), 10);
  const auto d = since(before, db.stats());
  EXPECT_EQ(d.prepares, 1);
  EXPECT_EQ(d.hits, 1);
}

TEST(StatementCache, SeparateDatabaseObjectsHaveSeparateCaches) {
  auto db1 = sqler::database::in_memory();
  auto db2 = sqler::database::in_memory();
  auto items1 = db1.collection<Item>();
  auto items2 = db2.collection<Item>();
  seed(items1, 10);
  seed(items2, 4);
  const auto b1 = db1.stats(), b2 = db2.stats();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(items1.find(qty < 100).count(), 10);
    EXPECT_EQ(items2.find(qty < 100).count(), 4);
  }
  const auto d1 = since(b1, db1.stats()), d2 = since(b2, db2.stats());
  EXPECT_EQ(d1.prepares, 1);
  EXPECT_EQ(d1.hits, 4);
  EXPECT_EQ(d2.prepares, 1);
  EXPECT_EQ(d2.hits, 4);
}

TEST(StatementCache, NestedIterationOfOneShape) {
  auto db = sqler::database::in_memory();
  auto items = db.collection<Item>();
  seed(items, 5);

  auto q = items.find(qty >= 2).order_by(qty);
  std::vector<std::pair<int, int>> pairs;
  for (const Item& outer : q)
    for (const Item& inner : q) pairs.emplace_back(outer.qty, inner.qty);
  std::vector<std::pair<int, int>> expected;
  for (int o = 2; o < 5; ++o)
    for (int i = 2; i < 5; ++i) expected.emplace_back(o, i);
  EXPECT_EQ(pairs, expected);

  // Same shape, different values, nested: each level keeps its own bindings.
  auto big = items.find(qty >= 3).order_by(qty);
  std::vector<std::string> seen;
  for (auto it = q.begin(); it != q.end(); ++it) {
    for (auto jt = big.begin(); jt != big.end(); ++jt)
      seen.push_back(it->name + "/" + jt->name + "@" + std::to_string(jt.id()));
  }
  const auto id_of = [&](int n) { return std::to_string(n + 1); };  // inserted in order
  std::vector<std::string> want;
  for (int o = 2; o < 5; ++o)
    for (int i = 3; i < 5; ++i)
      want.push_back("item" + std::to_string(o) + "/item" + std::to_string(i) + "@" + id_of(i));
  EXPECT_EQ(seen, want);

  // Once the nesting is over the cached statement is free again: a plain reuse is a hit.
  const auto before = db.stats();
  EXPECT_EQ(q.all().size(), 3u);
  EXPECT_EQ(big.all().size(), 2u);
  const auto d = since(before, db.stats());
  EXPECT_EQ(d.prepares, 0);
  EXPECT_EQ(d.hits, 2);
}

// A query run to completion inside an iteration of another shape leaves the outer one intact.
TEST(StatementCache, OtherShapesInsideAnIteration) {
  auto db = sqler::database::in_memory();
  auto items = db.collection<Item>();
  seed(items, 6);
  std::map<std::string, std::int64_t> bigger_than;
  for (const Item& it : items.find(qty < 3)) {
    bigger_than[it.name] = items.find(qty > it.qty).count();
    items.find(name == it.name).first();
  }
  EXPECT_EQ(bigger_than, (std::map<std::string, std::int64_t>{
                             {"item0", 5}, {"item1", 4}, {"item2", 3}}));
}

}  // namespace
