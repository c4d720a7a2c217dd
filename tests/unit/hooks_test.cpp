// Query hooks (database::on_query / remove_query_hook) and sqler::profiler: what a hook sees,
// N+1 detection, per-shape counters, and what an idle hook registry costs.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../support/backends.hpp"

namespace {

struct Address {
  std::string city;
};

struct User {
  std::string name;
  int age;
  sqler::ref<Address> address;
};

constexpr auto name = sqler::field<&User::name>;
constexpr auto age = sqler::field<&User::age>;

template <class B>
class HooksTest : public sqler_test::on_backend<B> {
 protected:
  void SetUp() override {
    sqler_test::on_backend<B>::SetUp();
    if (this->IsSkipped()) return;
    addresses.emplace(sqler_test::collection_of<Address>(this->db()));
    users.emplace(sqler_test::collection_of<User>(this->db()));
    for (int a = 0; a < 5; ++a)
      address_ids.push_back(addresses->insert({"city-" + std::to_string(a)}));
    for (int u = 0; u < 50; ++u)
      user_ids.push_back(users->insert(
          {"u" + std::to_string(u), 20 + u, address_ids[static_cast<std::size_t>(u % 5)]}));
  }

  std::optional<sqler::collection<Address, typename B::backend>> addresses;
  std::optional<sqler::collection<User, typename B::backend>> users;
  std::vector<std::int64_t> address_ids, user_ids;
};
TYPED_TEST_SUITE(HooksTest, sqler_test::backends, sqler_test::backend_names);

TYPED_TEST(HooksTest, EventDescribesTheQuery) {
  std::vector<sqler::query_event> seen;
  std::vector<std::string> texts;  // the view in an event is only valid during the call
  const auto hook = this->db().on_query([&](const sqler::query_event& ev) {
    seen.push_back(ev);
    texts.emplace_back(ev.sql);
  });

  auto q = this->users->find(age >= 60);
  const auto before = std::chrono::steady_clock::now();
  const auto rows = q.all();
  const auto wall = std::chrono::steady_clock::now() - before;
  ASSERT_EQ(rows.size(), 10u);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(texts[0], decltype(q)::sql());
  EXPECT_EQ(seen[0].parameters, 1);
  EXPECT_EQ(seen[0].rows, 10);
  EXPECT_GE(seen[0].duration.count(), 0);
  EXPECT_LE(seen[0].duration, wall);
  EXPECT_TRUE(seen[0].cached);
  EXPECT_FALSE(seen[0].single_row);

  // Limit and offset are parameters too; rows are what was returned.
  auto window = this->users->find(age >= 30).order_by(age).limit(4).offset(2);
  EXPECT_EQ(window.all().size(), 4u);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(texts[1], decltype(window)::sql());
  EXPECT_EQ(seen[1].parameters, 3);
  EXPECT_EQ(seen[1].rows, 4);

  // Single-row shapes say so.
  ASSERT_TRUE(this->users->get(this->user_ids[3]));
  ASSERT_TRUE(this->users->find(name == "u7").first());
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_TRUE(seen[2].single_row);
  EXPECT_EQ(seen[2].rows, 1);
  EXPECT_NE(texts[2].find(this->sql("WHERE _id = ?1", "WHERE _id = $1")), std::string::npos)
      << texts[2];
  EXPECT_TRUE(seen[3].single_row);
  EXPECT_EQ(seen[3].parameters, 1);

  // Writes report the rows they changed.
  this->users->insert({"new", 99, {}});
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_NE(texts[4].find("INSERT INTO \"User\""), std::string::npos) << texts[4];
  EXPECT_EQ(seen[4].rows, 1);
  // remove() first asks sqler_refs whether any table can refer to User (none does), so the
  // delete policy has nothing to check; then it deletes.
  EXPECT_EQ(this->users->find(age >= 65).remove(), 6);
  ASSERT_EQ(seen.size(), 7u);
  EXPECT_NE(texts[5].find("FROM sqler_refs"), std::string::npos) << texts[5];
  EXPECT_EQ(seen[5].rows, 0);
  EXPECT_NE(texts[6].find("DELETE FROM \"User\""), std::string::npos) << texts[6];
  EXPECT_EQ(seen[6].rows, 6);

  // Raw SQL with parameters is reported as a one-off statement with its own text.
  const std::string raw(
      this->sql("SELECT COUNT(*) FROM \"User\" WHERE json_extract(data,'$.age') < ?1",
                "SELECT COUNT(*) FROM \"User\" WHERE CAST(data->>'age' AS integer) < $1"));
  auto counted = this->db().template query<std::int64_t>(raw, 30);
  ASSERT_EQ(seen.size(), 8u);
  EXPECT_EQ(texts[7], raw);
  EXPECT_FALSE(seen[7].cached);
  EXPECT_EQ(seen[7].parameters, 1);
  EXPECT_EQ(seen[7].rows, 1);
  EXPECT_EQ(std::get<0>(counted.at(0)), 10);
  EXPECT_EQ(this->db().execute("UPDATE \"User\" SET _version = _version WHERE _id <= $1", 3), 3);
  ASSERT_EQ(seen.size(), 9u);
  EXPECT_EQ(seen[8].rows, 3);

  this->db().remove_query_hook(hook);
}

TYPED_TEST(HooksTest, DurationCoversTheWholeStatement) {
  std::vector<sqler::query_event> seen;
  const auto hook = this->db().on_query([&](const sqler::query_event& ev) { seen.push_back(ev); });
  // A deliberately slow statement: its reported duration is real time, within the wall time.
  const auto before = std::chrono::steady_clock::now();
  auto r = this->db().template query<std::int64_t>(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) "
      "SELECT SUM(i) FROM n",
      300000);
  const auto wall = std::chrono::steady_clock::now() - before;
  this->db().remove_query_hook(hook);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(std::get<0>(r.at(0)), 300000LL * 300001LL / 2);
  EXPECT_GT(seen[0].duration.count(), 0);
  EXPECT_LE(seen[0].duration, wall);
  std::printf("[ hooks ] slow statement: reported %lld us, wall %lld us\n",
              static_cast<long long>(seen[0].duration.count() / 1000),
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::microseconds>(wall).count()));
}

TYPED_TEST(HooksTest, RemoveQueryHookStopsIt) {
  int first = 0, second = 0;
  const auto h1 = this->db().on_query([&](const sqler::query_event&) { ++first; });
  const auto h2 = this->db().on_query([&](const sqler::query_event&) { ++second; });
  EXPECT_NE(h1, h2);
  (void)this->users->size();
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 1);

  this->db().remove_query_hook(h1);
  (void)this->users->size();
  (void)this->users->find(age > 0).count();
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 3);

  this->db().remove_query_hook(h2);
  (void)this->users->size();
  this->users->insert({"quiet", 1, {}});
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 3);

  // Removing an unknown or already removed id is harmless; hooks can be added again.
  this->db().remove_query_hook(h2);
  this->db().remove_query_hook(123456);
  const auto h3 = this->db().on_query([&](const sqler::query_event&) { ++first; });
  (void)this->users->size();
  EXPECT_EQ(first, 2);
  this->db().remove_query_hook(h3);
}

TYPED_TEST(HooksTest, AThrowingHookDoesNotBreakTheQuery) {
  int calls = 0;
  const auto good = this->db().on_query([&](const sqler::query_event&) { ++calls; });
  const auto bad =
      this->db().on_query([](const sqler::query_event&) { throw std::runtime_error("boom"); });
  std::vector<User> rows;
  EXPECT_NO_THROW(rows = this->users->find(age < 25).all());
  EXPECT_EQ(rows.size(), 5u);
  std::int64_t id = 0;
  EXPECT_NO_THROW(id = this->users->insert({"still works", 1, {}}));
  EXPECT_TRUE(this->users->contains(id));
  EXPECT_EQ(this->users->get_or_throw(id).name, "still works");
  EXPECT_EQ(calls, 4);  // the hook installed before the throwing one saw every statement
  this->db().remove_query_hook(bad);
  this->db().remove_query_hook(good);
}

TYPED_TEST(HooksTest, ProfilerWarnsOnNPlusOneLoop) {
  std::vector<sqler::n_plus_one_warning> warnings;
  {
    sqler::profiler prof(this->db(), 10,
                         [&](const sqler::n_plus_one_warning& w) { warnings.push_back(w); });
    // The N+1 pattern: one query for the page, then one get() per row.
    auto page = this->users->find(age < 70).all();
    ASSERT_EQ(page.size(), 50u);
    for (const User& u : page) ASSERT_TRUE(this->addresses->get(u.address.id()));

    ASSERT_EQ(warnings.size(), 1u);  // once per shape, not once per extra query
    EXPECT_EQ(warnings[0].count, 11u);
    EXPECT_NE(warnings[0].sql.find(
                  this->sql("FROM \"Address\" WHERE _id = ?1", "FROM \"Address\" WHERE _id = $1")),
              std::string::npos)
        << warnings[0].sql;
    EXPECT_EQ(prof.warnings().size(), 1u);
    EXPECT_EQ(prof.total_queries(), 51u);

    const auto shapes = prof.shapes();
    ASSERT_EQ(shapes.size(), 2u);
    EXPECT_EQ(shapes[0].count, 50u);  // most executed first
    EXPECT_TRUE(shapes[0].single_row);
    EXPECT_EQ(shapes[0].rows, 50);
    EXPECT_EQ(shapes[0].sql, warnings[0].sql);
    EXPECT_EQ(shapes[1].count, 1u);
    EXPECT_FALSE(shapes[1].single_row);
    EXPECT_EQ(shapes[1].rows, 50);
    EXPECT_EQ(shapes[1].sql, decltype(this->users->find(age < 70))::sql());
    EXPECT_GE(shapes[0].total.count(), 0);
  }
  // The profiler's hook went with it.
  const auto before = warnings.size();
  for (int i = 0; i < 30; ++i) (void)this->addresses->get(this->address_ids[0]);
  EXPECT_EQ(warnings.size(), before);
}

TYPED_TEST(HooksTest, ProfilerStaysQuietOnBatchedHydration) {
  std::vector<sqler::n_plus_one_warning> warnings;
  sqler::profiler prof(this->db(), 10,
                       [&](const sqler::n_plus_one_warning& w) { warnings.push_back(w); });
  auto page = this->users->find(age < 70).template with<&User::address>().all();
  ASSERT_EQ(page.size(), 50u);
  for (const User& u : page) {
    ASSERT_TRUE(u.address.loaded());
    EXPECT_EQ(u.address->city, "city-" + std::to_string((u.age - 20) % 5));
  }
  EXPECT_TRUE(warnings.empty());
  EXPECT_TRUE(prof.warnings().empty());
  EXPECT_EQ(prof.total_queries(), 2u);
  const auto shapes = prof.shapes();
  ASSERT_EQ(shapes.size(), 2u);
  for (const auto& s : shapes) {
    EXPECT_EQ(s.count, 1u) << s.sql;
    EXPECT_FALSE(s.single_row) << s.sql;
  }
}

TYPED_TEST(HooksTest, ProfilerThresholdIsExclusive) {
  std::vector<sqler::n_plus_one_warning> warnings;
  sqler::profiler prof(this->db(), 5,
                       [&](const sqler::n_plus_one_warning& w) { warnings.push_back(w); });
  for (int i = 0; i < 5; ++i) (void)this->users->find(name == "u" + std::to_string(i)).first();
  EXPECT_TRUE(warnings.empty());  // exactly the threshold: fine
  (void)this->users->find(name == "u5").first();
  ASSERT_EQ(warnings.size(), 1u);  // one more: first() in a loop is an N+1 too
  EXPECT_EQ(warnings[0].count, 6u);
  // Many-row shapes never warn, however often they run.
  for (int i = 0; i < 20; ++i) (void)this->users->find(age > i).count();
  EXPECT_EQ(warnings.size(), 1u);
  EXPECT_EQ(prof.total_queries(), 26u);
}

// Nothing asserted about speed beyond a wide margin: the numbers are printed for the report.
TYPED_TEST(HooksTest, IdleHookRegistryCostsNothingMeasurable) {
  // A PostgreSQL query is a round trip to the server: fewer of them measure the same thing.
  constexpr int iterations = sqler_test::is_postgres<TypeParam> ? 5'000 : 200'000;
  const std::int64_t missing = this->user_ids.back() + 1000;  // cached, zero-row PK lookup
  auto run = [&] {
    const auto t0 = std::chrono::steady_clock::now();
    int found = 0;
    for (int i = 0; i < iterations; ++i) found += this->users->get(missing).has_value() ? 1 : 0;
    const auto t = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(found, 0);
    return std::chrono::duration<double, std::nano>(t).count() / iterations;
  };
  auto best_of = [&](int n) {
    double best = 1e18;
    for (int i = 0; i < n; ++i) best = std::min(best, run());
    return best;
  };

  (void)run();  // warm up
  const double no_hook = best_of(3);
  std::uint64_t events = 0;
  const auto hook = this->db().on_query([&](const sqler::query_event&) { ++events; });
  const double with_hook = best_of(3);
  this->db().remove_query_hook(hook);
  const double removed = best_of(3);

  std::printf("[ hooks ] %d cached zero-row get(): %.0f ns/query without a hook, %.0f ns with "
              "one, %.0f ns after removing it\n",
              iterations, no_hook, with_hook, removed);
  EXPECT_EQ(events, 3u * iterations);
  EXPECT_LT(no_hook, 4 * with_hook);
  EXPECT_LT(removed, 4 * with_hook);
}

// Threads with connections of their own: a file (not the in-memory SQLite) or a server.
template <class B>
class HooksThreads : public sqler_test::on_backend<B> {};
TYPED_TEST_SUITE(HooksThreads, sqler_test::persistent_backends, sqler_test::backend_names);

TYPED_TEST(HooksThreads, HooksSeeStatementsFromEveryThread) {
  auto& db = this->db();
  auto users = sqler_test::collection_of<User>(db);
  constexpr int threads = 4, per_thread = 100;
  std::atomic<int> inserts{0}, gets{0}, total{0};
  const auto hook = db.on_query([&](const sqler::query_event& ev) {
    total.fetch_add(1);
    if (ev.sql.find("INSERT INTO") != std::string_view::npos) inserts.fetch_add(1);
    if (ev.single_row) gets.fetch_add(1);
  });
  {
    sqler::profiler prof(db, 1000000);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        auto mine = users;
        for (int i = 0; i < per_thread; ++i) {
          const auto id = mine.insert({"t" + std::to_string(t), i, {}});
          EXPECT_TRUE(mine.get(id));
        }
      });
    for (auto& th : pool) th.join();
    EXPECT_EQ(prof.total_queries(), 2u * threads * per_thread);
    EXPECT_TRUE(prof.warnings().empty());
  }
  db.remove_query_hook(hook);
  EXPECT_EQ(inserts.load(), threads * per_thread);
  EXPECT_EQ(gets.load(), threads * per_thread);
  EXPECT_EQ(total.load(), 2 * threads * per_thread);
  EXPECT_EQ(users.size(), threads * per_thread);
}

}  // namespace
