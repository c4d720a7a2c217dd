// The PostgreSQL client layer (detail/backend/postgres): binding and reading values, streaming,
// error mapping, the pool, transactions, broken connections, hooks and the statement cache.
// Needs a server: SQLER_PG holds its conninfo (eval "$(scripts/pg_cluster.sh start)"). Without
// it every test skips; with it set but unreachable, every test fails.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <limits>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "sqler/detail/backend/postgres/connection.hpp"
#include "sqler/detail/backend/postgres/pool.hpp"
#include "sqler/detail/backend/postgres/transaction.hpp"

namespace pg = sqler::detail::postgres;
using namespace std::chrono_literals;

#if defined(__SANITIZE_ADDRESS__)
#define PG_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PG_TEST_ASAN 1
#endif
#endif

namespace {

// ---------------------------------------------------------------- shapes the tests run

struct values_shape {
  static constexpr std::string_view sql = "SELECT $1::bigint, $2::float8, $3::text, $4::text";
};
struct series_shape {
  static constexpr std::string_view sql = "SELECT i FROM generate_series(1, $1::int) AS i";
};
struct other_series_shape {
  static constexpr std::string_view sql = "SELECT i * 10 FROM generate_series(1, $1::int) AS i";
};
struct get_by_id_shape {
  static constexpr std::string_view sql = "SELECT id, v FROM rt WHERE id = $1";
  static constexpr bool single_row = true;
};
struct insert_returning_shape {
  static constexpr std::string_view sql = "INSERT INTO ch (v) VALUES ($1) RETURNING id";
};
struct backend_pid_shape {
  static constexpr std::string_view sql = "SELECT pg_backend_pid()";
};
struct two_statements_shape {
  static constexpr std::string_view sql = "SELECT 1; SELECT 2";
};
struct missing_table_shape {
  static constexpr std::string_view sql = "SELECT id FROM no_such_table WHERE id = $1";
};
// Streams 300k rows of ~210 bytes (about 63 MB of text); the last row sleeps, so the query
// takes over a second on the server.
struct big_stream_shape {
  static constexpr std::string_view sql =
      "SELECT i, repeat('x', 200) || i::text, "
      "CASE WHEN i = 300000 THEN pg_sleep(1.2)::text END "
      "FROM generate_series(1, 300000) AS i";
};

// ---------------------------------------------------------------- helpers

const char* server() { return std::getenv("SQLER_PG"); }
bool required() {
  const char* r = std::getenv("SQLER_PG_REQUIRED");
  return r != nullptr && std::string_view(r) == "1";
}

std::uint64_t bits(double d) { return std::bit_cast<std::uint64_t>(d); }

std::int64_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::int64_t>(sysconf(_SC_PAGESIZE));
}

// The conninfo with extra `key=value` settings, for keyword strings and URIs alike.
std::string with_setting(const std::string& base, const std::string& key,
                         const std::string& value) {
  if (base.rfind("postgres://", 0) == 0 || base.rfind("postgresql://", 0) == 0) {
    std::string v;
    for (char c : value) {
      if (c == ' ')
        v += "%20";
      else if (c == '=')
        v += "%3D";
      else
        v += c;
    }
    return base + (base.find('?') == std::string::npos ? "?" : "&") + key + "=" + v;
  }
  return base + " " + key + "='" + value + "'";
}

std::int64_t scalar(pg::connection& c, std::string_view sql) {
  auto st = c.acquire_oneoff(sql);
  if (!st->step()) return -1;
  return st->column_int64(0);
}

std::string source_dir() {
  std::string f = __FILE__;  // <root>/tests/unit/pg_client_test.cpp
  for (int i = 0; i < 3; ++i) f = f.substr(0, f.find_last_of('/'));
  return f;
}

// Every test process works in a schema of its own (set through the conninfo's options, so
// every pooled connection gets it): ctest runs tests in parallel against one server.
class PgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (server() == nullptr && required())
      FAIL() << "SQLER_PG_REQUIRED=1 but SQLER_PG is not set";
    if (server() == nullptr)
      GTEST_SKIP() << "SQLER_PG is not set; start a throwaway server with "
                      "eval \"$(scripts/pg_cluster.sh start)\" to run the PostgreSQL tests";
    try {
      admin_ = std::make_unique<pg::connection>(server());
    } catch (const sqler::error& e) {
      FAIL() << "SQLER_PG is set but the server is unreachable: " << e.what();
    }
    schema_ = "pgc_" + std::to_string(::getpid());
    admin_->exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE; CREATE SCHEMA " + schema_);
    ci_ = with_setting(server(), "options", "-c search_path=" + schema_);
    c_ = std::make_unique<pg::connection>(ci_);
  }
  void TearDown() override {
    c_.reset();
    if (admin_) {
      try {
        admin_->exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
      } catch (...) {
      }
    }
  }

  pg::pool_options pool_opts(std::size_t size = 4, int timeout_ms = 5000) const {
    pg::pool_options o;
    o.conninfo = ci_;
    o.size = size;
    o.acquire_timeout_ms = timeout_ms;
    return o;
  }

  std::unique_ptr<pg::connection> admin_;  // no search_path: creates and drops the schema
  std::unique_ptr<pg::connection> c_;
  std::string schema_;
  std::string ci_;
};

// ---------------------------------------------------------------- values

TEST_F(PgTest, ValuesRoundTripExactly) {
  const double doubles[] = {0.1 + 0.2,
                            std::numeric_limits<double>::denorm_min(),
                            4.9406564584124654e-320,  // subnormal, many digits
                            std::numeric_limits<double>::min(),
                            std::numeric_limits<double>::max(),
                            -0.0,
                            0.0,
                            1e300,
                            -1.5e-300,
                            123456789.125,
                            3.141592653589793};
  const std::int64_t ints[] = {std::numeric_limits<std::int64_t>::min(),
                               std::numeric_limits<std::int64_t>::max(), 0, -1};
  const std::string texts[] = {
      "", "plain",
      "h\xC3\xA9llo w\xC3\xB6rld \xE2\x9C\x93 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x8E\x89",
      "quote ' double \" backslash \\ $1"};
  auto st = c_->acquire<values_shape>();
  std::size_t n = 0;
  for (double d : doubles)
    for (std::int64_t i : ints) {
      const std::string& t = texts[n++ % std::size(texts)];
      st->bind(1, i);
      st->bind(2, d);
      st->bind_text(3, t);
      st->bind_null(4);
      ASSERT_TRUE(st->step());
      EXPECT_EQ(st->column_int64(0), i);
      EXPECT_EQ(bits(st->column_double(1)), bits(d)) << d;
      EXPECT_EQ(st->column_text(2), t);
      EXPECT_FALSE(st->column_is_null(2));  // '' is text, not NULL
      EXPECT_TRUE(st->column_is_null(3));
      EXPECT_FALSE(st->step());
      st->reset();
    }

  // A view that is not NUL-terminated binds exactly its characters.
  const std::string_view longer = "abcdef";
  st->bind(1, std::int64_t{1});
  st->bind(2, 1.0);
  st->bind_text(3, longer.substr(0, 3));
  ASSERT_TRUE(st->step());
  EXPECT_EQ(st->column_text(2), "abc");
  EXPECT_TRUE(st->column_is_null(3));  // never bound: NULL, as on SQLite
  st.release();

  // Through a table too: the bigint and float8 columns store what was bound.
  c_->exec("CREATE TABLE vals (i bigint, d float8, t text)");
  for (double d : doubles) {
    auto ins = c_->acquire_oneoff("INSERT INTO vals VALUES ($1, $2, $3)");
    ins->bind(1, std::numeric_limits<std::int64_t>::min());
    ins->bind(2, d);
    ins->bind_text(3, texts[2]);
    EXPECT_FALSE(ins->step());
  }
  auto rd = c_->acquire_oneoff("SELECT i, d, t FROM vals");
  std::size_t k = 0;
  while (rd->step()) {
    EXPECT_EQ(rd->column_int64(0), std::numeric_limits<std::int64_t>::min());
    EXPECT_EQ(bits(rd->column_double(1)), bits(doubles[k++]));
    EXPECT_EQ(rd->column_text(2), texts[2]);
  }
  EXPECT_EQ(k, std::size(doubles));
}

TEST_F(PgTest, RefusesValuesItCannotSend) {
  auto st = c_->acquire<values_shape>();
  EXPECT_THROW(st->bind(2, std::nan("")), sqler::encode_error);
  EXPECT_THROW(st->bind(2, std::numeric_limits<double>::infinity()), sqler::encode_error);
  EXPECT_THROW(st->bind_text(3, std::string_view("a\0b", 3)), sqler::encode_error);
  try {
    st->bind(5, std::int64_t{1});  // the statement has 4 parameters
    FAIL() << "binding $5 of 4 succeeded";
  } catch (const sqler::error& e) {
    EXPECT_EQ(e.code(), sqler::result_code::range);
  }
  EXPECT_THROW(c_->last_insert_rowid(), sqler::usage_error);
}

// ---------------------------------------------------------------- streaming

TEST_F(PgTest, StreamsLargeResultsInBoundedMemory) {
  auto st = c_->acquire<big_stream_shape>();
  st->stream_rows();  // query iteration does this; everything else reads whole results
  const std::int64_t before = rss_bytes();
  std::int64_t peak = before;
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(st->step());
  const auto first = std::chrono::steady_clock::now() - start;
  std::int64_t rows = 1, expect = 1;
  EXPECT_EQ(st->column_int64(0), expect);
  while (st->step()) {
    ++rows;
    if (st->column_int64(0) != ++expect) ADD_FAILURE() << "row " << rows << " out of order";
    if (rows % 10000 == 0) peak = std::max(peak, rss_bytes());
  }
  const auto total = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(rows, 300000);
  // The last row sleeps 1.2 s on the server: the first must have arrived long before the end.
  EXPECT_GE(total, 1200ms);
  EXPECT_LT(first * 4, total) << "first row after "
                              << std::chrono::duration<double, std::milli>(first).count()
                              << " ms of "
                              << std::chrono::duration<double, std::milli>(total).count();
  const double growth_mb = static_cast<double>(peak - before) / (1 << 20);
  std::printf(
      "[ measure  ] 300k rows (63 MB of text): first row %.1f ms, all %.0f ms, RSS growth "
      "%.1f MB\n",
      std::chrono::duration<double, std::milli>(first).count(),
      std::chrono::duration<double, std::milli>(total).count(), growth_mb);
#ifdef PG_TEST_ASAN
  std::printf(
      "[ note     ] RSS bound not checked under AddressSanitizer: its quarantine keeps "
      "freed rows resident\n");
#else
  EXPECT_LT(growth_mb, 30.0);
#endif
}

// Nested use of one connection: the outer statement's unread rows are buffered before the inner
// statement is sent, and the outer iteration then continues from the buffer, in order.
TEST_F(PgTest, NestedStatementsOnOneConnection) {
  auto outer = c_->acquire<series_shape>();
  outer->stream_rows();
  outer->bind(1, std::int64_t{1000});
  std::int64_t expect = 0;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(outer->step());
    EXPECT_EQ(outer->column_int64(0), ++expect);
  }
  const std::string_view held = outer->column_text(0);  // the current row survives buffering
  {
    auto same = c_->acquire<series_shape>();  // busy: its own client state, same server statement
    same->bind(1, std::int64_t{5});
    std::int64_t sum = 0;
    while (same->step()) sum += same->column_int64(0);
    EXPECT_EQ(sum, 15);
    auto other = c_->acquire<other_series_shape>();
    other->bind(1, std::int64_t{3});
    std::int64_t osum = 0;
    while (other->step()) osum += other->column_int64(0);
    EXPECT_EQ(osum, 60);
    c_->exec("SELECT 1");
  }
  EXPECT_EQ(held, "10");
  while (outer->step()) EXPECT_EQ(outer->column_int64(0), ++expect);
  EXPECT_EQ(expect, 1000);
  outer.release();
  EXPECT_EQ(c_->stats().prepares, 2u);  // series_shape and other_series_shape, once each

  // An abandoned stream leaves the connection usable.
  auto again = c_->acquire<series_shape>();
  again->stream_rows();
  again->bind(1, std::int64_t{100000});
  ASSERT_TRUE(again->step());
  again.release();
  EXPECT_EQ(scalar(*c_, "SELECT 42"), 42);
}

// ---------------------------------------------------------------- changes()

TEST_F(PgTest, ChangesCountsRowsOfTheLastWrite) {
  c_->exec("CREATE TABLE ch (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v int)");
  auto ins = c_->acquire_oneoff("INSERT INTO ch (v) SELECT g FROM generate_series(1, 10) g");
  EXPECT_FALSE(ins->step());
  ins.release();
  EXPECT_EQ(c_->changes(), 10);
  auto up = c_->acquire_oneoff("UPDATE ch SET v = v + 1 WHERE v <= $1");
  up->bind(1, std::int64_t{3});
  EXPECT_FALSE(up->step());
  EXPECT_EQ(c_->changes(), 3);
  up.release();
  EXPECT_EQ(scalar(*c_, "SELECT count(*) FROM ch"), 10);
  EXPECT_EQ(c_->changes(), 3);  // a SELECT changes nothing
  auto none = c_->acquire_oneoff("UPDATE ch SET v = 0 WHERE v < 0");
  EXPECT_FALSE(none->step());
  EXPECT_EQ(c_->changes(), 0);
  none.release();
  // RETURNING: the id comes as a row; the count is known once the lease is released.
  auto ret = c_->acquire<insert_returning_shape>();
  ret->bind(1, std::int64_t{99});
  ASSERT_TRUE(ret->step());
  EXPECT_EQ(ret->column_int64(0), 11);
  ret.release();
  EXPECT_EQ(c_->changes(), 1);
  // UPDATE ... RETURNING: counted once its rows are stepped, while the lease is still held.
  auto upr = c_->acquire_oneoff("UPDATE ch SET v = v WHERE v <= 5 RETURNING id");
  std::int64_t returned = 0;
  while (upr->step()) ++returned;
  EXPECT_EQ(c_->changes(), returned);
  EXPECT_EQ(returned, 5);  // v is 2, 3, 4, 4, 5 after the update above
  upr.release();
  // A write still streaming when another command runs counts when its end is read: the last
  // command to complete is the inner one.
  auto outer = c_->acquire_oneoff("UPDATE ch SET v = v RETURNING id");
  outer->stream_rows();
  ASSERT_TRUE(outer->step());
  c_->exec("UPDATE ch SET v = v WHERE id <= 2");
  EXPECT_EQ(c_->changes(), 2);
  while (outer->step()) {
  }
  outer.release();
  EXPECT_EQ(c_->changes(), 2);
  c_->exec("DELETE FROM ch WHERE v > 5; UPDATE ch SET v = 1 WHERE v = 2");
  EXPECT_EQ(c_->changes(), 1);  // the script's last statement
  c_->exec("DELETE FROM ch");
  EXPECT_EQ(c_->changes(), 5);
}

// ---------------------------------------------------------------- errors

TEST_F(PgTest, ConstraintViolationsMapToConstraintError) {
  c_->exec(
      "CREATE TABLE u (id int PRIMARY KEY, email text UNIQUE, age int CHECK (age >= 0), "
      "parent int REFERENCES u (id), name text NOT NULL);"
      "INSERT INTO u VALUES (1, 'a@x', 1, NULL, 'a')");
  struct expectation {
    std::string_view sql;
    int code;
    const char* state;
    const char* words;
  };
  const expectation cases[] = {
      {"INSERT INTO u VALUES (2, 'a@x', 1, NULL, 'b')", sqler::result_code::constraint_unique,
       "23505", "duplicate key value violates unique constraint"},
      {"INSERT INTO u VALUES (2, 'b@x', -1, NULL, 'b')", sqler::result_code::constraint_check,
       "23514", "violates check constraint"},
      {"INSERT INTO u VALUES (2, 'b@x', 1, NULL, NULL)", sqler::result_code::constraint_not_null,
       "23502", "violates not-null constraint"},
      {"INSERT INTO u VALUES (2, 'b@x', 1, 7, 'b')", sqler::result_code::constraint_foreign_key,
       "23503", "violates foreign key constraint"},
  };
  for (const auto& x : cases) {
    auto st = c_->acquire_oneoff(x.sql);
    try {
      st->step();
      ADD_FAILURE() << x.sql << " succeeded";
    } catch (const sqler::constraint_error& e) {
      EXPECT_EQ(e.code(), x.code) << x.sql;
      EXPECT_EQ(e.primary_code(), sqler::result_code::constraint);
      EXPECT_EQ(e.sqlstate(), x.state);
      EXPECT_EQ(e.sql(), x.sql);
      EXPECT_NE(e.message().find(x.words), std::string::npos) << e.message();
      EXPECT_EQ(e.message().rfind("postgres: ", 0), 0u) << e.message();
    }
  }
  EXPECT_EQ(scalar(*c_, "SELECT count(*) FROM u"), 1);  // and the connection still works
}

TEST_F(PgTest, OtherErrorsMapBySqlstate) {
  // 42P01: a plain error.
  try {
    c_->exec("SELECT * FROM no_such_table");
    FAIL();
  } catch (const sqler::error& e) {
    EXPECT_EQ(e.code(), sqler::result_code::error);
    EXPECT_EQ(e.sqlstate(), "42P01");
    EXPECT_EQ(e.sql(), "SELECT * FROM no_such_table");
    EXPECT_EQ(dynamic_cast<const sqler::retryable_error*>(&e), nullptr);
  }
  // 22P02 / 22003: a value that does not fit its type.
  auto bad = c_->acquire_oneoff("SELECT $1::bigint");
  bad->bind_text(1, "twelve");
  EXPECT_THROW(bad->step(), sqler::encode_error);
  bad.release();
  auto big = c_->acquire_oneoff("SELECT $1::int");
  big->bind(1, std::int64_t{1} << 40);
  try {
    big->step();
    FAIL();
  } catch (const sqler::encode_error& e) {
    EXPECT_EQ(e.code(), sqler::result_code::mismatch);
    EXPECT_NE(e.message().find("22003"), std::string::npos) << e.message();
  }
  big.release();
  // Several statements where one runs: usage_error, for one-offs and cached shapes alike;
  // a trailing semicolon is one statement; a syntax error is not a usage error.
  auto two = c_->acquire_oneoff("SELECT 1; SELECT 2");
  two->require_single_statement();
  EXPECT_THROW(two->step(), sqler::usage_error);
  two.release();
  EXPECT_THROW(c_->acquire<two_statements_shape>(), sqler::usage_error);
  EXPECT_EQ(scalar(*c_, "SELECT 7;"), 7);
  try {
    c_->acquire_oneoff("SELEC 1")->step();
    FAIL();
  } catch (const sqler::usage_error&) {
    FAIL() << "a syntax error reported as several statements";
  } catch (const sqler::error& e) {
    EXPECT_EQ(e.sqlstate(), "42601");
  }
  // The cause of a refused connection, without the password.
  try {
    pg::connection nowhere("host=/nonexistent-dir port=1 user=x password=hunter2");
    FAIL();
  } catch (const sqler::error& e) {
    EXPECT_EQ(e.code(), sqler::result_code::cantopen);
    EXPECT_EQ(e.sqlstate(), "08001");
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("host=/nonexistent-dir"), std::string::npos) << e.what();
  }
}

TEST_F(PgTest, SerializationFailureIsRetryable) {
  c_->exec("CREATE TABLE s (id int PRIMARY KEY, v int); INSERT INTO s VALUES (1, 0)");
  pg::connection other(ci_);
  c_->exec("BEGIN ISOLATION LEVEL SERIALIZABLE");
  EXPECT_EQ(scalar(*c_, "SELECT v FROM s WHERE id = 1"), 0);  // takes the snapshot
  other.exec("UPDATE s SET v = 1 WHERE id = 1");              // commits after it
  auto st = c_->acquire_oneoff("UPDATE s SET v = 2 WHERE id = 1");
  try {
    st->step();
    FAIL();
  } catch (const sqler::serialization_error& e) {
    EXPECT_EQ(e.sqlstate(), "40001");
    EXPECT_EQ(e.primary_code(), sqler::result_code::busy);
  }
  st.release();
  c_->exec("ROLLBACK");
}

TEST_F(PgTest, DeadlockIsASerializationError) {
  c_->exec("CREATE TABLE d (id int PRIMARY KEY, v int); INSERT INTO d VALUES (1, 0), (2, 0)");
  pg::connection a(ci_), b(ci_);
  for (auto* x : {&a, &b}) x->exec("SET deadlock_timeout = '50ms'; BEGIN");
  a.exec("UPDATE d SET v = 1 WHERE id = 1");
  b.exec("UPDATE d SET v = 1 WHERE id = 2");
  auto run = [](pg::connection& c, const char* sql) -> std::string {
    try {
      c.exec(sql);
      return "ok";
    } catch (const sqler::serialization_error& e) {
      return e.sqlstate();
    } catch (const std::exception& e) {
      return e.what();
    }
  };
  auto first = std::async(std::launch::async, run, std::ref(a), "UPDATE d SET v = 2 WHERE id = 2");
  std::this_thread::sleep_for(200ms);  // a now waits for b's row lock
  const std::string second = run(b, "UPDATE d SET v = 2 WHERE id = 1");
  const std::string one = first.get();
  EXPECT_TRUE((one == "40P01" && second == "ok") || (one == "ok" && second == "40P01"))
      << one << " / " << second;
  a.exec("ROLLBACK");
  b.exec("ROLLBACK");
}

TEST_F(PgTest, LockAndStatementTimeoutsAreBusy) {
  c_->exec("CREATE TABLE l (id int PRIMARY KEY, v int); INSERT INTO l VALUES (1, 0)");
  pg::connection holder(ci_);
  holder.exec("BEGIN; UPDATE l SET v = 1 WHERE id = 1");
  c_->exec("SET lock_timeout = '100ms'");
  auto st = c_->acquire_oneoff("UPDATE l SET v = 2 WHERE id = $1");
  st->bind(1, std::int64_t{1});
  try {
    st->step();
    FAIL();
  } catch (const sqler::busy_error& e) {
    EXPECT_EQ(e.sqlstate(), "55P03");
    EXPECT_EQ(e.code(), sqler::result_code::busy);
  }
  st.release();
  holder.exec("ROLLBACK");
  c_->exec("SET statement_timeout = '100ms'");
  try {
    c_->exec("SELECT pg_sleep(2)");
    FAIL();
  } catch (const sqler::busy_error& e) {
    EXPECT_EQ(e.sqlstate(), "57014");
  }
  c_->exec("RESET statement_timeout");
  EXPECT_EQ(scalar(*c_, "SELECT 1"), 1);
}

// ---------------------------------------------------------------- the pool

TEST_F(PgTest, PoolNeverSharesAConnectionAndNeverDeadlocks) {
  pg::db_state pool(pool_opts(4, 20000));
  std::mutex mu;
  std::set<PGconn*> in_use;
  std::atomic<int> shared{0}, failures{0};
  std::atomic<std::size_t> most{0};
  auto work = [&] {
    for (int i = 0; i < 200; ++i) {
      try {
        auto h = pool.conn();
        PGconn* p = h.handle();
        {
          std::lock_guard<std::mutex> lock(mu);
          if (!in_use.insert(p).second) ++shared;
          most = std::max(most.load(), in_use.size());
        }
        auto st = h.acquire<series_shape>();
        st->bind(1, std::int64_t{3});
        std::int64_t sum = 0;
        while (st->step()) sum += st->column_int64(0);
        if (sum != 6) ++failures;
        st.release();
        std::lock_guard<std::mutex> lock(mu);
        in_use.erase(p);  // before the handle gives the connection back
      } catch (const std::exception& e) {
        ++failures;
        ADD_FAILURE() << e.what();
      }
    }
  };
  std::vector<std::future<void>> threads;
  for (int t = 0; t < 16; ++t) threads.push_back(std::async(std::launch::async, work));
  for (auto& f : threads)
    if (f.wait_for(120s) != std::future_status::ready) {
      ADD_FAILURE() << "the pool deadlocked";
      std::_Exit(1);
    }
  EXPECT_EQ(shared.load(), 0);
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(most.load(), 4u);
  EXPECT_LE(pool.connection_count(), 4u);
}

TEST_F(PgTest, BorrowTimesOutWithBusyError) {
  pg::db_state pool(pool_opts(1, 200));
  std::promise<void> taken, done;
  auto holder = std::async(std::launch::async, [&] {
    auto h = pool.conn();
    taken.set_value();
    done.get_future().wait();
  });
  taken.get_future().wait();
  const auto start = std::chrono::steady_clock::now();
  try {
    pool.conn();
    FAIL() << "borrowed from an exhausted pool";
  } catch (const sqler::busy_error& e) {
    EXPECT_EQ(e.code(), sqler::result_code::busy);
    EXPECT_NE(e.message().find("acquire_timeout_ms"), std::string::npos);
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, 190ms);
  done.set_value();
  holder.get();
  auto h = pool.conn();  // free again
  EXPECT_EQ(scalar(h.get(), "SELECT 1"), 1);
}

TEST_F(PgTest, AThreadKeepsItsConnectionWhileItUsesIt) {
  pg::db_state pool(pool_opts(1, 200));
  pg::lease l;
  {
    auto h = pool.conn();
    auto again = pool.conn();  // same thread: the same connection, no wait on a pool of one
    EXPECT_EQ(h.handle(), again.handle());
    l = h.acquire<series_shape>();
  }
  l->bind(1, std::int64_t{3});
  // The lease outlives its handle and still owns the connection: another thread cannot have it.
  auto other = std::async(std::launch::async, [&] {
    try {
      pool.conn();
      return std::string("borrowed");
    } catch (const sqler::busy_error&) {
      return std::string("busy");
    }
  });
  EXPECT_EQ(other.get(), "busy");
  std::int64_t sum = 0;
  while (l->step()) sum += l->column_int64(0);
  EXPECT_EQ(sum, 6);
  l.release();
  auto later =
      std::async(std::launch::async, [&] { return scalar(pool.conn().get(), "SELECT 5"); });
  EXPECT_EQ(later.get(), 5);
  EXPECT_EQ(pool.connection_count(), 1u);
}

TEST_F(PgTest, BrokenConnectionIsReplaced) {
  pg::db_state pool(pool_opts(1, 2000));
  auto pid_of = [&](pg::connection_handle& h) {
    auto st = h.acquire<backend_pid_shape>();
    st->step();
    return st->column_int64(0);
  };
  std::int64_t first = 0;
  {
    auto h = pool.conn();
    first = pid_of(h);
  }
  // Killed while idle in the pool for longer than probe_idle_ms: the next borrow notices and
  // opens a new one.
  EXPECT_EQ(
      scalar(*admin_, "SELECT pg_terminate_backend(" + std::to_string(first) + ", 5000)::int"), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(pool_opts(1, 2000).probe_idle_ms + 100));
  std::int64_t second = 0;
  {
    auto h = pool.conn();
    second = pid_of(h);
  }
  EXPECT_NE(second, first);
  EXPECT_EQ(pool.connection_count(), 1u);
  // Killed right after it came back (within the probe window): it is lent unchecked, the
  // operation fails as a lost connection, and the pool replaces it.
  EXPECT_EQ(
      scalar(*admin_, "SELECT pg_terminate_backend(" + std::to_string(second) + ", 5000)::int"), 1);
  {
    auto h = pool.conn();
    EXPECT_THROW(pid_of(h), sqler::error);
  }
  {
    auto h = pool.conn();
    second = pid_of(h);
  }
  EXPECT_EQ(pool.connection_count(), 1u);
  // Killed while borrowed: the statement fails as a lost connection, the pool discards it.
  {
    auto h = pool.conn();
    EXPECT_EQ(
        scalar(*admin_, "SELECT pg_terminate_backend(" + std::to_string(second) + ", 5000)::int"),
        1);
    try {
      pid_of(h);
      FAIL() << "a terminated connection answered";
    } catch (const sqler::error& e) {
      EXPECT_TRUE(e.sqlstate() == "57P01" || e.sqlstate() == "08006")
          << e.sqlstate() << " " << e.what();
    }
  }
  auto h = pool.conn();
  EXPECT_GT(pid_of(h), 0);
  EXPECT_EQ(pool.connection_count(), 1u);
}

// Restarts a cluster of its own (scripts/pg_cluster.sh): restarting SQLER_PG's server would
// break the tests ctest runs beside this one.
TEST_F(PgTest, PoolSurvivesAServerRestart) {
  const std::string script = source_dir() + "/scripts/pg_cluster.sh";
  if (access(script.c_str(), X_OK) != 0) GTEST_SKIP() << "no " << script;
  FILE* out = popen((script + " start 2>/dev/null").c_str(), "r");
  ASSERT_NE(out, nullptr);
  std::string text;
  char buf[512];
  while (fgets(buf, sizeof buf, out) != nullptr) text += buf;
  if (pclose(out) != 0) {
    if (required()) FAIL() << "scripts/pg_cluster.sh start failed";
    GTEST_SKIP() << "scripts/pg_cluster.sh start failed: cannot run a cluster here";
  }
  auto value = [&](const std::string& key) {
    const auto at = text.find(key + "='");
    if (at == std::string::npos) return std::string();
    const auto from = at + key.size() + 2;
    return text.substr(from, text.find('\'', from) - from);
  };
  const std::string ci = value("SQLER_PG"), dir = value("SQLER_PG_DIR");
  ASSERT_FALSE(ci.empty() || dir.empty()) << text;
  struct stopper {
    std::string cmd;
    ~stopper() { (void)std::system(cmd.c_str()); }
  } stop{script + " stop " + dir};

  pg::pool_options o;
  o.conninfo = ci;
  o.size = 2;
  o.probe_idle_ms = 0;  // every borrow checks its connection: a restart is never seen
  pg::db_state pool(o);
  // Two connections in the pool (a second thread holds the second one).
  {
    auto h = pool.conn();
    std::async(std::launch::async, [&] {
      EXPECT_EQ(scalar(pool.conn().get(), "SELECT 1"), 1);
    }).get();
    EXPECT_EQ(scalar(h.get(), "SELECT 1"), 1);
  }
  EXPECT_EQ(pool.connection_count(), 2u);
  ASSERT_EQ(std::system((script + " restart " + dir).c_str()), 0);
  for (int i = 0; i < 3; ++i) {
    auto h = pool.conn();
    EXPECT_EQ(scalar(h.get(), "SELECT 2"), 2);
    std::async(std::launch::async, [&] {
      EXPECT_EQ(scalar(pool.conn().get(), "SELECT 3"), 3);
    }).get();
  }
  EXPECT_EQ(pool.connection_count(), 2u);

  // With the default probe window, connections used just before a restart are lent unchecked:
  // the first operation on one fails as a lost connection, which makes the pool probe every
  // idle connection before lending it again, so only that one operation fails.
  pg::pool_options windowed = o;
  windowed.probe_idle_ms = pg::pool_options{}.probe_idle_ms;
  pg::db_state fast(windowed);
  {
    auto h = fast.conn();
    std::async(std::launch::async, [&] {
      EXPECT_EQ(scalar(fast.conn().get(), "SELECT 1"), 1);
    }).get();
    EXPECT_EQ(scalar(h.get(), "SELECT 1"), 1);
  }
  ASSERT_EQ(std::system((script + " restart " + dir).c_str()), 0);
  int failures = 0;
  for (int i = 0; i < 4; ++i) {
    try {
      auto h = fast.conn();
      EXPECT_EQ(scalar(h.get(), "SELECT 2"), 2);
      std::async(std::launch::async, [&] {
        EXPECT_EQ(scalar(fast.conn().get(), "SELECT 3"), 3);
      }).get();
    } catch (const sqler::error& e) {
      ++failures;
      EXPECT_TRUE(e.sqlstate() == "57P01" || e.sqlstate() == "08006") << e.what();
    }
  }
  EXPECT_LE(failures, 1);
}

TEST_F(PgTest, PathHidesThePassword) {
  pg::db_state pool(pool_opts());
  EXPECT_EQ(pool.path().find("password"), std::string::npos);
  pg::pool_options o = pool_opts();
  o.conninfo = with_setting(ci_, "password", "hunter2");
  pg::db_state with_password(o);  // trust authentication ignores it
  EXPECT_EQ(with_password.path().find("hunter2"), std::string::npos) << with_password.path();
  EXPECT_NE(with_password.path().find("user="), std::string::npos) << with_password.path();
}

TEST_F(PgTest, ReadOnlyOptionRefusesWrites) {
  c_->exec("CREATE TABLE ro (id int)");
  pg::pool_options o = pool_opts();
  o.read_only = true;
  pg::db_state pool(o);
  auto h = pool.conn();
  EXPECT_TRUE(h.read_only());
  EXPECT_EQ(scalar(h.get(), "SELECT count(*) FROM ro"), 0);
  try {
    h.exec("INSERT INTO ro VALUES (1)");
    FAIL();
  } catch (const sqler::error& e) {
    EXPECT_EQ(e.code(), sqler::result_code::readonly);
    EXPECT_EQ(e.sqlstate(), "25006");
  }
}

// ---------------------------------------------------------------- transactions

TEST_F(PgTest, TransactionsAndSavepoints) {
  c_->exec("CREATE TABLE tx (id int PRIMARY KEY)");
  pg::db_state pool(pool_opts());
  auto ids = [&] {
    std::string out;
    auto st = c_->acquire_oneoff("SELECT string_agg(id::text, ',' ORDER BY id) FROM tx");
    st->step();
    out = st->column_text(0);
    return out;
  };
  auto insert = [&](int id) {
    auto h = pool.conn();  // inside a transaction: the transaction's connection
    auto st = h.acquire_oneoff("INSERT INTO tx VALUES ($1)");
    st->bind(1, std::int64_t{id});
    st->step();
  };
  {
    pg::transaction_scope t(pool.conn());
    insert(1);
    EXPECT_EQ(ids(), "");  // another connection does not see it yet
    t.commit();
  }
  EXPECT_EQ(ids(), "1");
  {
    pg::transaction_scope t(pool.conn());
    insert(2);
    t.rollback();
  }
  {
    pg::transaction_scope t(pool.conn());
    insert(3);
  }  // not committed: rolled back
  EXPECT_EQ(ids(), "1");
  {
    pg::transaction_scope outer(pool.conn());
    EXPECT_EQ(pool.conn().transaction_depth(), 1);
    insert(4);
    {
      pg::transaction_scope inner(pool.conn());
      insert(5);
      inner.rollback();
    }
    {
      pg::transaction_scope inner(pool.conn());
      insert(6);
      inner.commit();
    }
    // A failure inside a nested transaction is contained by its savepoint.
    {
      pg::transaction_scope inner(pool.conn());
      EXPECT_THROW(insert(1), sqler::constraint_error);
    }
    insert(7);
    // Preparing a shape over a missing table does not abort the transaction either.
    EXPECT_THROW(pool.conn().acquire<missing_table_shape>(), sqler::error);
    insert(8);
    outer.commit();
  }
  EXPECT_EQ(ids(), "1,4,6,7,8");
  // An unhandled failure aborts the whole transaction; commit() says so and rolls back.
  {
    pg::transaction_scope t(pool.conn());
    insert(9);
    EXPECT_THROW(insert(1), sqler::constraint_error);
    try {
      insert(10);
      FAIL();
    } catch (const sqler::error& e) {
      EXPECT_EQ(e.sqlstate(), "25P02");
      EXPECT_NE(e.message().find("roll"), std::string::npos) << e.message();
    }
    try {
      t.commit();
      FAIL() << "commit of an aborted transaction succeeded";
    } catch (const sqler::error& e) {
      EXPECT_EQ(e.sqlstate(), "25P02");
    }
    EXPECT_FALSE(t.active());
  }
  EXPECT_EQ(ids(), "1,4,6,7,8");
  auto h = pool.conn();
  EXPECT_TRUE(h.autocommit());
  EXPECT_EQ(h.transaction_depth(), 0);
}

TEST_F(PgTest, ReadSnapshotAgreesWithItself) {
  c_->exec("CREATE TABLE snap (id int); INSERT INTO snap VALUES (1), (2)");
  pg::db_state pool(pool_opts());
  {
    pg::read_snapshot s(pool.conn());
    EXPECT_EQ(scalar(pool.conn().get(), "SELECT count(*) FROM snap"), 2);
    c_->exec("INSERT INTO snap VALUES (3)");  // another connection commits
    EXPECT_EQ(scalar(pool.conn().get(), "SELECT count(*) FROM snap"), 2);
  }
  EXPECT_EQ(scalar(pool.conn().get(), "SELECT count(*) FROM snap"), 3);
  EXPECT_TRUE(pool.conn().autocommit());
}

// ---------------------------------------------------------------- hooks and the cache

TEST_F(PgTest, HooksSeeSqlValuesAndRows) {
  sqler::detail::hook_registry hooks;
  c_->set_hooks(&hooks);
  struct seen {
    std::string sql;
    std::vector<sqler::bound_value> values;
    std::int64_t rows;
    int parameters;
    bool cached, single_row;
  };
  std::vector<seen> events;
  hooks.add([&](const sqler::query_event& e) {
    events.push_back({std::string(e.sql),
                      {e.values.begin(), e.values.end()},
                      e.rows,
                      e.parameters,
                      e.cached,
                      e.single_row});
  });
  c_->exec("CREATE TABLE rt (id bigint PRIMARY KEY, v text); INSERT INTO rt VALUES (1, 'one')");
  {
    auto st = c_->acquire<values_shape>();
    st->bind(1, std::int64_t{7});
    st->bind(2, 0.5);
    st->bind_text(3, "h\xC3\xA9");
    st->bind_null(4);
    st->step();
  }
  {
    auto st = c_->acquire<get_by_id_shape>();
    st->bind(1, std::int64_t{1});
    EXPECT_TRUE(st->step());
    EXPECT_EQ(st->column_text(1), "one");
  }
  {
    auto st = c_->acquire_oneoff("UPDATE rt SET v = $1 WHERE id >= $2");
    st->bind_text(1, "uno");
    st->bind(2, std::int64_t{0});
    st->step();
  }
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].sql, values_shape::sql);
  ASSERT_EQ(events[0].values.size(), 4u);
  EXPECT_EQ(std::get<std::int64_t>(events[0].values[0]), 7);
  EXPECT_EQ(std::get<double>(events[0].values[1]), 0.5);
  EXPECT_EQ(std::get<std::string>(events[0].values[2]), "h\xC3\xA9");
  EXPECT_TRUE(std::holds_alternative<std::nullptr_t>(events[0].values[3]));
  EXPECT_EQ(events[0].parameters, 4);
  EXPECT_EQ(events[0].rows, 1);
  EXPECT_TRUE(events[0].cached);
  EXPECT_FALSE(events[0].single_row);
  EXPECT_TRUE(events[1].single_row);
  EXPECT_EQ(events[2].sql, "UPDATE rt SET v = $1 WHERE id >= $2");
  EXPECT_FALSE(events[2].cached);
  EXPECT_EQ(events[2].rows, 1);  // a write reports the rows it changed
  EXPECT_EQ(std::get<std::string>(events[2].values[0]), "uno");
  c_->set_hooks(nullptr);
}

TEST_F(PgTest, CachePreparesOncePerShapePerConnection) {
  c_->exec("CREATE TABLE rt (id bigint PRIMARY KEY, v text); INSERT INTO rt VALUES (1, 'one')");
  const auto base = c_->stats();
  for (int i = 0; i < 3; ++i) {
    auto st = c_->acquire<get_by_id_shape>();
    st->bind(1, std::int64_t{1});
    EXPECT_TRUE(st->step());
  }
  EXPECT_EQ(c_->stats().prepares - base.prepares, 1u);
  EXPECT_EQ(c_->stats().hits - base.hits, 2u);
  {
    auto a = c_->acquire<get_by_id_shape>();
    auto b = c_->acquire<get_by_id_shape>();  // busy: reuses the server-side statement
    EXPECT_EQ(c_->stats().prepares - base.prepares, 1u);
  }
  (void)c_->acquire_oneoff("SELECT 1");  // the unnamed statement is parsed each time
  EXPECT_EQ(c_->stats().prepares - base.prepares, 2u);
  pg::connection second(ci_);
  (void)second.acquire<get_by_id_shape>();
  (void)second.acquire<get_by_id_shape>();
  EXPECT_EQ(second.stats().prepares, 1u);
  EXPECT_EQ(second.stats().hits, 1u);
}

// Not a check: the numbers for the report (a Debug build measures libpq and the server, which
// dominate a round trip, more than sqler's own code).
TEST_F(PgTest, MeasureRoundTrips) {
  c_->exec(
      "CREATE TABLE rt (id bigint PRIMARY KEY, v text);"
      "INSERT INTO rt SELECT g, 'value ' || g FROM generate_series(1, 1000) g");
  auto time = [&](auto&& body) {
    constexpr int n = 5000;
    for (int i = 0; i < 200; ++i) body(i);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) body(i);
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
               .count() /
           n;
  };
  const double prepared = time([&](int i) {
    auto st = c_->acquire<get_by_id_shape>();
    st->bind(1, std::int64_t{i % 1000 + 1});
    if (!st->step()) ADD_FAILURE();
  });
  const double oneoff = time([&](int i) {
    auto st = c_->acquire_oneoff(get_by_id_shape::sql);
    st->bind(1, std::int64_t{i % 1000 + 1});
    if (!st->step()) ADD_FAILURE();
  });
  pg::db_state pool(pool_opts());
  const double pooled = time([&](int i) {
    auto h = pool.conn();
    auto st = h.acquire<get_by_id_shape>();
    st->bind(1, std::int64_t{i % 1000 + 1});
    if (!st->step()) ADD_FAILURE();
  });
  std::printf(
      "[ measure  ] SELECT by id, unix socket: prepared %.1f us, one-off %.1f us, "
      "prepared through the pool %.1f us\n",
      prepared, oneoff, pooled);
}

}  // namespace
