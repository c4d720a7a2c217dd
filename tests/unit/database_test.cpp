// sqler::database from a user's side: the raw SQL escape hatch (execute/query with bound
// parameters), error reporting, statement-cache counters, and a connection per thread.
#include <gtest/gtest.h>

#include "../support/temp_db_file.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <tuple>
#include <vector>

#include "sqler/sqler.hpp"

namespace {

struct Event {
  std::string kind;
  int worker = 0;
  int seq = 0;
};

struct Tag {
  std::string label;
};

using sqler_test::temp_db_file;

// ---------------------------------------------------------------- execute / query

TEST(Database, ExecuteBindsEveryParameterKind) {
  auto db = sqler::database::in_memory();
  db.execute("CREATE TABLE t (i, d, s, n, b, o_some, o_none, sv, lit)");
  const std::string text = "héllo 'quoted' \"dq\"";
  const std::string_view view = "view";
  const auto changed =
      db.execute("INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", 42, 2.5, text,
                 nullptr, true, std::optional<int>(7), std::optional<std::string>(), view, "lit");
  EXPECT_EQ(changed, 1);

  const auto rows = db.query<std::int64_t, double, std::string, std::optional<int>, bool,
                             std::optional<int>, std::optional<std::string>, std::string,
                             std::string>("SELECT i, d, s, n, b, o_some, o_none, sv, lit FROM t");
  ASSERT_EQ(rows.size(), 1u);
  const auto& [i, d, s, n, b, o_some, o_none, sv, lit] = rows[0];
  EXPECT_EQ(i, 42);
  EXPECT_EQ(d, 2.5);
  EXPECT_EQ(s, text);
  EXPECT_FALSE(n.has_value());
  EXPECT_TRUE(b);
  EXPECT_EQ(o_some, 7);
  EXPECT_FALSE(o_none.has_value());
  EXPECT_EQ(sv, "view");
  EXPECT_EQ(lit, "lit");

  // Numbers bind as numbers and bools as integers, never as text.
  const auto types = db.query<std::string, std::string, std::string, std::string, std::string,
                              std::string, std::string>(
      "SELECT typeof(i), typeof(d), typeof(s), typeof(n), typeof(b), typeof(o_some), "
      "typeof(o_none) FROM t");
  ASSERT_EQ(types.size(), 1u);
  EXPECT_EQ(types[0], std::make_tuple(std::string("integer"), std::string("real"),
                                      std::string("text"), std::string("null"),
                                      std::string("integer"), std::string("integer"),
                                      std::string("null")));
}

TEST(Database, IntegerAndFloatingLimitsRoundTrip) {
  auto db = sqler::database::in_memory();
  db.execute("CREATE TABLE n (a INTEGER, b INTEGER, c REAL, d INTEGER, e INTEGER)");
  db.execute("INSERT INTO n VALUES (?1, ?2, ?3, ?4, ?5)", std::numeric_limits<std::int64_t>::min(),
             std::numeric_limits<std::int64_t>::max(), 0.1, std::uint64_t{9223372036854775807u},
             false);
  const auto rows = db.query<std::int64_t, std::int64_t, double, std::uint64_t, bool>(
      "SELECT a, b, c, d, e FROM n");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(std::get<0>(rows[0]), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(std::get<1>(rows[0]), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(std::get<2>(rows[0]), 0.1);
  EXPECT_EQ(std::get<3>(rows[0]), 9223372036854775807u);
  EXPECT_FALSE(std::get<4>(rows[0]));

  // An unsigned value SQLite's signed INTEGER cannot hold is refused, not wrapped.
  try {
    db.execute("INSERT INTO n (a) VALUES (?1)", std::numeric_limits<std::uint64_t>::max());
    FAIL() << "uint64 max was bound without complaint";
  } catch (const sqler::error& e) {
    EXPECT_EQ(e.code(), SQLITE_RANGE);
  }
  EXPECT_EQ(std::get<0>(db.query<int>("SELECT COUNT(*) FROM n").at(0)), 1);
}

TEST(Database, ExecuteReportsChangedRows) {
  auto db = sqler::database::in_memory();
  db.execute("CREATE TABLE t (k INTEGER, v TEXT)");
  for (int k = 0; k < 10; ++k) EXPECT_EQ(db.execute("INSERT INTO t VALUES (?1, ?2)", k, "x"), 1);
  EXPECT_EQ(db.execute("UPDATE t SET v = ?1 WHERE k < ?2", "y", 3), 3);
  EXPECT_EQ(db.execute("DELETE FROM t WHERE k >= ?1", 8), 2);
  EXPECT_EQ(db.execute("UPDATE t SET v = 'z' WHERE k = -1"), 0);

  const auto rows = db.query<int, std::string>("SELECT k, v FROM t WHERE k BETWEEN ?1 AND ?2 "
                                               "ORDER BY k",
                                               2, 4);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], std::make_tuple(2, std::string("y")));
  EXPECT_EQ(rows[1], std::make_tuple(3, std::string("x")));
  EXPECT_EQ(rows[2], std::make_tuple(4, std::string("x")));
  EXPECT_TRUE(db.query<int>("SELECT k FROM t WHERE k = ?1", 100).empty());
}

TEST(Database, ExecuteWithoutParametersRunsSeveralStatements) {
  auto db = sqler::database::in_memory();
  db.execute(
      "CREATE TABLE a (x); CREATE TABLE b (y);"
      "INSERT INTO a VALUES (1); INSERT INTO b VALUES (2), (3);");
  EXPECT_EQ(std::get<0>(db.query<int>("SELECT SUM(x) FROM a").at(0)), 1);
  EXPECT_EQ(std::get<0>(db.query<int>("SELECT SUM(y) FROM b").at(0)), 5);
}

TEST(Database, RawSqlSeesCollectionDocuments) {
  auto db = sqler::database::in_memory();
  auto events = db.collection<Event>();
  events.insert({"click", 1, 10});
  events.insert({"view", 2, 20});
  const auto rows = db.query<std::int64_t, std::string, int>(
      R"(SELECT _id, json_extract(data,'$.kind'), json_extract(data,'$.seq') FROM "Event" )"
      R"(WHERE json_extract(data,'$.worker') = ?1)",
      2);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(std::get<1>(rows[0]), "view");
  EXPECT_EQ(std::get<2>(rows[0]), 20);
}

// ---------------------------------------------------------------- errors

TEST(Database, SqlErrorsCarryCodeMessageAndSql) {
  auto db = sqler::database::in_memory();
  try {
    db.execute("SELEC nonsense");
    FAIL() << "bad SQL did not throw";
  } catch (const sqler::error& e) {
    EXPECT_EQ(e.code(), SQLITE_ERROR);
    EXPECT_EQ(e.primary_code(), SQLITE_ERROR);
    EXPECT_NE(e.message().find("syntax error"), std::string::npos) << e.message();
    EXPECT_EQ(e.sql(), "SELEC nonsense");
    const std::string what = e.what();
    EXPECT_NE(what.find("syntax error"), std::string::npos) << what;
    EXPECT_NE(what.find("SELEC nonsense"), std::string::npos) << what;
  }
  // With parameters the statement is prepared separately; the report is the same.
  try {
    db.execute("SELEC ?1", 1);
    FAIL() << "bad SQL did not throw";
  } catch (const sqler::error& e) {
    EXPECT_EQ(e.sql(), "SELEC ?1");
    EXPECT_NE(e.message().find("syntax error"), std::string::npos) << e.message();
  }
  try {
    (void)db.query<int>("SELECT x FROM missing_table WHERE x = ?1", 3);
    FAIL() << "query of a missing table did not throw";
  } catch (const sqler::error& e) {
    EXPECT_EQ(e.code(), SQLITE_ERROR);
    EXPECT_NE(e.message().find("missing_table"), std::string::npos) << e.message();
    EXPECT_EQ(e.sql(), "SELECT x FROM missing_table WHERE x = ?1");
  }
}

TEST(Database, ConstraintFailuresAreConstraintErrors) {
  auto db = sqler::database::in_memory();
  db.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)");
  db.execute("INSERT INTO t VALUES (1, 'a')");
  try {
    db.execute("INSERT INTO t VALUES (?1, ?2)", 1, "dup");
    FAIL() << "duplicate key accepted";
  } catch (const sqler::constraint_error& e) {
    EXPECT_EQ(e.code(), SQLITE_CONSTRAINT_PRIMARYKEY);
    EXPECT_EQ(e.sql(), "INSERT INTO t VALUES (?1, ?2)");
  }
  try {
    db.execute("INSERT INTO t VALUES (?1, ?2)", 2, nullptr);
    FAIL() << "NULL accepted into a NOT NULL column";
  } catch (const sqler::constraint_error& e) {
    EXPECT_EQ(e.code(), SQLITE_CONSTRAINT_NOTNULL);
  }
  // Foreign keys are enforced by default.
  db.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY); "
             "CREATE TABLE child (p INTEGER REFERENCES parent(id))");
  EXPECT_THROW(db.execute("INSERT INTO child VALUES (?1)", 99), sqler::constraint_error);
}

// ---------------------------------------------------------------- statement cache counters

TEST(Database, StatsCountPreparesAndCacheHits) {
  auto db = sqler::database::in_memory();
  auto tags = db.collection<Tag>();
  const auto start = db.stats();

  const auto id = tags.insert({"a"});  // first use of the insert shape: compiled
  auto s = db.stats();
  EXPECT_EQ(s.prepares, start.prepares + 1);
  EXPECT_EQ(s.hits, start.hits);

  for (int i = 0; i < 10; ++i) tags.insert({"b"});  // reused
  s = db.stats();
  EXPECT_EQ(s.prepares, start.prepares + 1);
  EXPECT_EQ(s.hits, start.hits + 10);

  (void)tags.get(id);  // a new shape
  (void)tags.get(id);
  (void)tags.get(id + 1);
  s = db.stats();
  EXPECT_EQ(s.prepares, start.prepares + 2);
  EXPECT_EQ(s.hits, start.hits + 12);

  // Raw SQL is compiled every time, never cached.
  (void)db.query<int>("SELECT 1");
  (void)db.query<int>("SELECT 1");
  s = db.stats();
  EXPECT_EQ(s.prepares, start.prepares + 4);
  EXPECT_EQ(s.hits, start.hits + 12);
}

TEST(Database, StatsArePerConnection) {
  temp_db_file file;
  auto db = sqler::database::open(file.path());
  auto tags = db.collection<Tag>();
  for (int i = 0; i < 5; ++i) tags.insert({"main"});
  const auto main_stats = db.stats();
  sqler::cache_stats thread_stats;
  std::thread([&] {
    tags.insert({"thread"});
    thread_stats = db.stats();
  }).join();
  // The other thread's connection compiled its own statement and reused none of ours.
  EXPECT_EQ(thread_stats.prepares, 1u);
  EXPECT_EQ(thread_stats.hits, 0u);
  EXPECT_EQ(db.stats().hits, main_stats.hits);
  EXPECT_EQ(tags.size(), 6);
}

// ---------------------------------------------------------------- handles and threads

TEST(Database, InMemoryDatabasesArePrivateAndCopiesShare) {
  auto a = sqler::database::in_memory();
  auto b = sqler::database::in_memory();
  a.collection<Tag>().insert({"only in a"});
  EXPECT_EQ(a.collection<Tag>().size(), 1);
  EXPECT_EQ(b.collection<Tag>().size(), 0);

  auto a2 = a;  // a copy is another handle to the same database
  EXPECT_EQ(a2.collection<Tag>().size(), 1);
  a2.collection<Tag>().insert({"via copy"});
  EXPECT_EQ(a.collection<Tag>().size(), 2);
  EXPECT_EQ(a.native_handle(), a2.native_handle());
  EXPECT_NE(a.native_handle(), b.native_handle());
}

TEST(Database, NativeHandleIsTheLiveConnection) {
  temp_db_file file;
  auto db = sqler::database::open(file.path());
  EXPECT_EQ(db.path(), file.path());
  sqlite3* h = db.native_handle();
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(sqlite3_get_autocommit(h), 1);
  {
    auto tx = db.transaction();
    EXPECT_EQ(sqlite3_get_autocommit(h), 0);
  }
  // WAL journal is the default for files.
  EXPECT_EQ(std::get<0>(db.query<std::string>("SELECT * FROM pragma_journal_mode").at(0)), "wal");
  EXPECT_EQ(std::get<0>(db.query<int>("PRAGMA foreign_keys").at(0)), 1);
}

TEST(Database, EachThreadGetsItsOwnConnectionAndAllInsertsLand) {
  temp_db_file file;
  auto db = sqler::database::open(file.path());
  auto events = db.collection<Event>();  // creates the table before the threads start
  constexpr int per_thread = 500;
  std::vector<sqlite3*> handles(2, nullptr);
  std::vector<std::vector<std::int64_t>> ids(2);
  std::atomic<int> failures{0};

  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      try {
        auto mine = db.collection<Event>();
        handles[w] = db.native_handle();
        for (int i = 0; i < per_thread; ++i) ids[w].push_back(mine.insert({"insert", w, i}));
      } catch (const std::exception& e) {
        ++failures;
        ADD_FAILURE() << "worker " << w << ": " << e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);

  EXPECT_NE(handles[0], nullptr);
  EXPECT_NE(handles[0], handles[1]);
  EXPECT_NE(handles[0], db.native_handle());
  EXPECT_NE(handles[1], db.native_handle());

  EXPECT_EQ(events.size(), 2 * per_thread);
  std::set<std::int64_t> all_ids;
  for (const auto& v : ids) all_ids.insert(v.begin(), v.end());
  EXPECT_EQ(all_ids.size(), 2u * per_thread);  // no id handed out twice

  // Every worker's documents arrived, each in the order it wrote them.
  std::vector<int> next(2, 0);
  for (const Event& e : events.all()) {
    ASSERT_GE(e.worker, 0);
    ASSERT_LT(e.worker, 2);
    EXPECT_EQ(e.seq, next[e.worker]++);
  }
  EXPECT_EQ(next[0], per_thread);
  EXPECT_EQ(next[1], per_thread);

  // A different handle to the same file sees the same data.
  auto other = sqler::database::open(file.path());
  EXPECT_EQ(other.collection<Event>().size(), 2 * per_thread);
}

TEST(Database, ThreadsSharingOneCollectionObject) {
  temp_db_file file;
  auto db = sqler::database::open(file.path());
  auto events = db.collection<Event>();
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      auto tx = db.transaction();  // on this thread's connection
      std::vector<Event> batch;
      for (int i = 0; i < 500; ++i) batch.push_back({"batch", w, i});
      events.insert_many(batch);
      tx.commit();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(events.size(), 1000);
}

TEST(Database, ReadOnlyDatabaseReadsButRefusesWrites) {
  temp_db_file file;
  std::int64_t id = 0;
  {
    auto db = sqler::database::open(file.path());
    id = db.collection<Tag>().insert({"stored"});
  }
  sqler::database_options ro;
  ro.read_only = true;
  auto db = sqler::database::open(file.path(), ro);
  auto tags = db.collection<Tag>();
  EXPECT_EQ(tags.get_or_throw(id).label, "stored");
  try {
    tags.insert({"new"});
    FAIL() << "a read-only database accepted a write";
  } catch (const sqler::error& e) {
    EXPECT_EQ(e.primary_code(), SQLITE_READONLY);
  }
  EXPECT_EQ(tags.size(), 1);
}

}  // namespace
