// sqler::transaction from a user's side: commit persists, anything else rolls back, nesting
// works through savepoints, and misuse or database failures surface as sqler::error. Typed
// over every backend; what only SQLite's locking does (BEGIN IMMEDIATE, busy timeouts between
// handles on one file) stays SQLite's.
#include <gtest/gtest.h>

#include "../support/backends.hpp"
#include "../support/temp_db_file.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <limits>
#include <mutex>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

namespace {

struct Account {
  std::string owner;
  std::int64_t balance = 0;
  bool operator==(const Account&) const = default;
};
void PrintTo(const Account& a, std::ostream* os) {
  *os << "{" << a.owner << ", " << a.balance << "}";
}

struct Entry {
  std::string memo;
  double amount = 0;
};

using sqler_test::temp_db_file;

template <class B>
class TransactionTest : public sqler_test::on_backend<B> {
 protected:
  bool in_transaction() { return sqler_test::in_transaction(this->db()); }
};
TYPED_TEST_SUITE(TransactionTest, sqler_test::backends, sqler_test::backend_names);

Account account(std::string_view owner, std::int64_t balance) {
  return Account{std::string(owner), balance};
}

TYPED_TEST(TransactionTest, CommitMakesChangesPermanent) {
  auto accounts = sqler_test::collection_of<Account>(this->db());
  std::int64_t a = 0;
  {
    auto tx = this->db().transaction();
    EXPECT_TRUE(tx.active());
    EXPECT_TRUE(this->in_transaction());
    a = accounts.insert(account("ann", 100));
    accounts.insert(account("bob", 50));
    accounts.replace(a, account("ann", 90));
    tx.commit();
    EXPECT_FALSE(tx.active());
    EXPECT_FALSE(this->in_transaction());
  }
  EXPECT_EQ(accounts.size(), 2);
  EXPECT_EQ(accounts.get_or_throw(a), account("ann", 90));
}

TYPED_TEST(TransactionTest, DestructionWithoutCommitRollsBack) {
  auto accounts = sqler_test::collection_of<Account>(this->db());
  const auto kept = accounts.insert(account("kept", 1));
  {
    auto tx = this->db().transaction();
    accounts.insert(account("ann", 100));
    accounts.replace(kept, account("kept", 999));
    accounts.upsert(500, account("up", 5));
    EXPECT_EQ(accounts.size(), 3);  // visible inside the transaction
  }
  EXPECT_FALSE(this->in_transaction());
  EXPECT_EQ(accounts.size(), 1);
  EXPECT_EQ(accounts.get_or_throw(kept), account("kept", 1));
  EXPECT_FALSE(accounts.contains(500));

  {
    auto tx = this->db().transaction();
    EXPECT_TRUE(accounts.remove(kept));
  }
  EXPECT_TRUE(accounts.contains(kept));
}

TYPED_TEST(TransactionTest, ExplicitRollback) {
  auto accounts = sqler_test::collection_of<Account>(this->db());
  auto tx = this->db().transaction();
  accounts.insert(account("ann", 100));
  tx.rollback();
  EXPECT_FALSE(tx.active());
  EXPECT_FALSE(this->in_transaction());
  EXPECT_EQ(accounts.size(), 0);
}

TYPED_TEST(TransactionTest, ExceptionInsideTheScopeRollsBack) {
  auto accounts = sqler_test::collection_of<Account>(this->db());
  accounts.insert(account("before", 1));
  EXPECT_THROW(
      {
        auto tx = this->db().transaction();
        accounts.insert(account("ann", 100));
        accounts.insert(account("bob", 100));
        throw std::runtime_error("business rule failed");
      },
      std::runtime_error);
  EXPECT_FALSE(this->in_transaction());
  EXPECT_EQ(accounts.size(), 1);

  // The same when the exception comes from sqler itself (a NaN cannot be encoded).
  auto entries = sqler_test::collection_of<Entry>(this->db());
  EXPECT_THROW(
      {
        auto tx = this->db().transaction();
        entries.insert({"ok", 1});
        entries.insert({"bad", std::numeric_limits<double>::quiet_NaN()});
        tx.commit();
      },
      sqler::encode_error);
  EXPECT_EQ(entries.size(), 0);
  EXPECT_FALSE(this->in_transaction());
}

TYPED_TEST(TransactionTest, InnerRollbackKeepsOuterChanges) {
  auto accounts = sqler_test::collection_of<Account>(this->db());
  {
    auto outer = this->db().transaction();
    accounts.insert(account("outer-1", 1));
    {
      auto inner = this->db().transaction();
      accounts.insert(account("inner", 2));
      EXPECT_EQ(accounts.size(), 2);
      inner.rollback();
    }
    EXPECT_EQ(accounts.size(), 1);
    {
      auto inner = this->db().transaction();
      accounts.insert(account("inner-dropped", 3));
    }  // destroyed without commit
    accounts.insert(account("outer-2", 4));
    EXPECT_TRUE(this->in_transaction());
    outer.commit();
  }
  EXPECT_FALSE(this->in_transaction());
  std::vector<std::string> owners;
  for (const Account& a : accounts.all()) owners.push_back(a.owner);
  EXPECT_EQ(owners, (std::vector<std::string>{"outer-1", "outer-2"}));
}

TYPED_TEST(TransactionTest, OuterRollbackDiscardsCommittedInnerWork) {
  auto accounts = sqler_test::collection_of<Account>(this->db());
  {
    auto outer = this->db().transaction();
    accounts.insert(account("outer", 1));
    {
      auto inner = this->db().transaction();
      accounts.insert(account("inner", 2));
      inner.commit();  // folds into the outer transaction, nothing more
    }
    EXPECT_EQ(accounts.size(), 2);
    EXPECT_TRUE(this->in_transaction());
  }
  EXPECT_EQ(accounts.size(), 0);
  EXPECT_FALSE(this->in_transaction());
}

TYPED_TEST(TransactionTest, ThreeLevelsDeep) {
  auto accounts = sqler_test::collection_of<Account>(this->db());
  {
    auto l1 = this->db().transaction();
    accounts.insert(account("l1", 1));
    {
      auto l2 = this->db().transaction();
      accounts.insert(account("l2", 2));
      {
        auto l3 = this->db().transaction();
        accounts.insert(account("l3", 3));
        l3.commit();
      }
      {
        auto l3b = this->db().transaction();
        accounts.insert(account("l3b", 4));
      }  // rolled back
      l2.commit();
    }
    l1.commit();
  }
  std::vector<std::string> owners;
  for (const Account& a : accounts.all()) owners.push_back(a.owner);
  EXPECT_EQ(owners, (std::vector<std::string>{"l1", "l2", "l3"}));

  // A fresh transaction after all that starts at the outermost level again.
  auto again = this->db().transaction();
  accounts.insert(account("again", 5));
  again.rollback();
  EXPECT_EQ(accounts.size(), 3);
}

TYPED_TEST(TransactionTest, InsertManyInsideATransaction) {
  auto accounts = sqler_test::collection_of<Account>(this->db());
  std::vector<Account> batch{account("a", 1), account("b", 2), account("c", 3)};
  {
    auto tx = this->db().transaction();
    accounts.insert(account("first", 0));
    EXPECT_EQ(accounts.insert_many(batch).size(), 3u);
    EXPECT_TRUE(this->in_transaction());  // insert_many did not end the caller's transaction
  }
  EXPECT_EQ(accounts.size(), 0);

  // A failing batch undoes only itself; the enclosing transaction carries on.
  auto entries = sqler_test::collection_of<Entry>(this->db());
  {
    auto tx = this->db().transaction();
    entries.insert({"kept", 1});
    std::vector<Entry> bad{{"x", 1}, {"y", std::numeric_limits<double>::infinity()}};
    EXPECT_THROW(entries.insert_many(bad), sqler::encode_error);
    EXPECT_TRUE(this->in_transaction());
    EXPECT_EQ(entries.size(), 1);
    tx.commit();
  }
  EXPECT_EQ(entries.size(), 1);
}

TYPED_TEST(TransactionTest, EndingTwiceIsAnError) {
  auto accounts = sqler_test::collection_of<Account>(this->db());
  auto tx = this->db().transaction();
  accounts.insert(account("ann", 1));
  tx.commit();
  try {
    tx.commit();
    FAIL() << "second commit did not throw";
  } catch (const sqler::error& e) {
    EXPECT_EQ(e.code(), SQLITE_MISUSE);
    EXPECT_NE(std::string(e.what()).find("commit"), std::string::npos) << e.what();
  }
  EXPECT_THROW(tx.rollback(), sqler::error);
  EXPECT_EQ(accounts.size(), 1);  // the failed calls did not undo the commit

  auto tx2 = this->db().transaction();
  tx2.rollback();
  EXPECT_THROW(tx2.commit(), sqler::error);
  EXPECT_THROW(tx2.rollback(), sqler::error);
}

// SQLite undoes only the failed statement. PostgreSQL aborts the whole transaction (see
// include/sqler/detail/backend/postgres/transaction.hpp): every later statement fails, commit()
// rolls back and throws; a nested transaction contains a failure instead.
TYPED_TEST(TransactionTest, FailedStatementKeepsTheTransactionUsable) {
  auto accounts = sqler_test::collection_of<Account>(this->db());
  const auto expect_syntax_error = [&] {
    try {
      this->db().execute("SELEC nonsense");
      ADD_FAILURE() << "bad SQL did not throw";
    } catch (const sqler::error& e) {
      EXPECT_EQ(e.primary_code(), SQLITE_ERROR);
      EXPECT_EQ(e.sql(), "SELEC nonsense");
      EXPECT_NE(e.message().find("syntax error"), std::string::npos) << e.message();
    }
  };
  if constexpr (sqler_test::is_postgres<TypeParam>) {
    {
      auto tx = this->db().transaction();
      accounts.insert(account("ann", 1));
      expect_syntax_error();
      try {
        accounts.insert(account("bob", 2));
        ADD_FAILURE() << "a statement after the failed one ran";
      } catch (const sqler::error& e) {
        EXPECT_EQ(e.sqlstate(), "25P02") << e.what();
      }
      try {
        tx.commit();
        ADD_FAILURE() << "commit() of an aborted transaction reported success";
      } catch (const sqler::error& e) {
        EXPECT_EQ(e.sqlstate(), "25P02") << e.what();
        EXPECT_EQ(e.primary_code(), SQLITE_ABORT);
      }
      EXPECT_FALSE(tx.active());
    }
    EXPECT_FALSE(this->in_transaction());
    EXPECT_EQ(accounts.size(), 0);

    // Contained by nested transactions, the same failures leave the enclosing one usable. A
    // non-JSON document is refused by jsonb's input (a data exception: encode_error) rather
    // than by a CHECK (constraint_error on SQLite).
    auto tx = this->db().transaction();
    accounts.insert(account("ann", 1));
    {
      auto nested = this->db().transaction();
      expect_syntax_error();
    }
    {
      auto nested = this->db().transaction();
      EXPECT_THROW(this->db().execute(R"(INSERT INTO "Account" (data) VALUES ('nope'))"),
                   sqler::encode_error);
    }
    EXPECT_TRUE(this->in_transaction());
    accounts.insert(account("bob", 2));
    tx.commit();
    EXPECT_EQ(accounts.size(), 2);
  } else {
    auto tx = this->db().transaction();
    accounts.insert(account("ann", 1));
    expect_syntax_error();
    EXPECT_THROW(this->db().execute(R"(INSERT INTO "Account" (data) VALUES ('nope'))"),
                 sqler::constraint_error);
    EXPECT_TRUE(this->in_transaction());
    accounts.insert(account("bob", 2));
    tx.commit();
    EXPECT_EQ(accounts.size(), 2);
  }
}

TYPED_TEST(TransactionTest, FailedCommitLeavesTheTransactionOpen) {
  const auto children = [&] {
    return std::get<0>(this->db().template query<std::int64_t>("SELECT COUNT(*) FROM child").at(0));
  };
  // A deferred foreign key is only checked at COMMIT, so the commit itself fails.
  this->db().execute(
      "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
      "CREATE TABLE child (p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)");
  if constexpr (sqler_test::is_postgres<TypeParam>) {
    // PostgreSQL ends a transaction whose COMMIT fails: it is rolled back, and nothing is left
    // to repair and commit again. The transaction says so, and a second commit() must not
    // report success for work that is gone.
    {
      auto tx = this->db().transaction();
      this->db().execute("INSERT INTO child VALUES ($1)", 7);
      EXPECT_THROW(tx.commit(), sqler::constraint_error);
      EXPECT_FALSE(tx.active());
      EXPECT_FALSE(this->in_transaction());
      EXPECT_THROW(tx.commit(), sqler::error);
    }
    EXPECT_EQ(children(), 0);
    {  // repaired: the whole transaction again
      auto tx = this->db().transaction();
      this->db().execute("INSERT INTO parent VALUES ($1)", 7);
      this->db().execute("INSERT INTO child VALUES ($1)", 7);
      tx.commit();
    }
  } else {
    auto tx = this->db().transaction();
    this->db().execute("INSERT INTO child VALUES ($1)", 7);
    EXPECT_THROW(tx.commit(), sqler::constraint_error);
    EXPECT_TRUE(tx.active());  // nothing was committed; the caller may repair and retry
    this->db().execute("INSERT INTO parent VALUES ($1)", 7);
    tx.commit();
  }
  EXPECT_EQ(children(), 1);

  {
    auto tx = this->db().transaction();
    this->db().execute("INSERT INTO child VALUES ($1)", 8);
    EXPECT_THROW(tx.commit(), sqler::constraint_error);
  }  // given up: rolled back
  EXPECT_FALSE(this->in_transaction());
  EXPECT_EQ(children(), 1);
}

// ---------------------------------------------------------------- files and other connections

// Reopening what was written (the file again, another pool on the schema), and other threads
// reading through connections of their own.
template <class B>
class TransactionPersistent : public sqler_test::on_backend<B> {};
TYPED_TEST_SUITE(TransactionPersistent, sqler_test::persistent_backends, sqler_test::backend_names);

TYPED_TEST(TransactionPersistent, CommittedDataSurvivesReopenAndRolledBackDataDoesNot) {
  {
    auto db = this->env().open();
    auto accounts = sqler_test::collection_of<Account>(db);
    {
      auto tx = db.transaction();
      accounts.insert(account("committed", 1));
      tx.commit();
    }
    {
      auto tx = db.transaction();
      accounts.insert(account("rolled back", 2));
    }
    auto tx = db.transaction();
    accounts.insert(account("open at close", 3));
    tx.commit();
  }
  {
    auto db = this->env().open();
    auto accounts = sqler_test::collection_of<Account>(db);
    std::vector<std::string> owners;
    for (const Account& a : accounts.all()) owners.push_back(a.owner);
    EXPECT_EQ(owners, (std::vector<std::string>{"committed", "open at close"}));
  }
}

TYPED_TEST(TransactionPersistent, UncommittedWorkIsInvisibleToOtherThreads) {
  auto& db = this->db();
  auto accounts = sqler_test::collection_of<Account>(db);
  accounts.insert(account("base", 1));

  // Another thread reads through its own connection.
  auto size_seen_elsewhere = [&] {
    return std::async(std::launch::async, [&] { return accounts.size(); }).get();
  };

  auto tx = db.transaction();
  accounts.insert(account("pending", 2));
  EXPECT_EQ(accounts.size(), 2);
  EXPECT_EQ(size_seen_elsewhere(), 1);
  tx.commit();
  EXPECT_EQ(size_seen_elsewhere(), 2);
}

// SQLite only: the outermost transaction takes SQLite's write lock (BEGIN IMMEDIATE), so other
// writers wait for it. PostgreSQL locks rows, not the database: other writers go ahead.
TEST(TransactionFile, OpenWriteTransactionMakesOtherWritersTimeOut) {
  temp_db_file file;
  sqler::database_options opts;
  opts.busy_timeout_ms = 50;
  auto db = sqler::database::open(file.path(), opts);
  auto accounts = db.collection<Account>();

  auto tx = db.transaction();  // BEGIN IMMEDIATE: holds the write lock from here on
  accounts.insert(account("mine", 1));
  auto other = std::async(std::launch::async, [&]() -> std::string {
    try {
      accounts.insert(account("theirs", 2));
      return "no error";
    } catch (const sqler::busy_error&) {
      return "busy";
    } catch (const std::exception& e) {
      return std::string("other error: ") + e.what();
    }
  });
  EXPECT_EQ(other.get(), "busy");

  // Beginning a transaction fails the same way, and leaves that thread able to begin a real
  // one later (not a stray savepoint).
  std::promise<void> attempted, released;
  auto retry = std::async(std::launch::async, [&, ready = released.get_future()]() mutable {
    std::string log;
    try {
      auto t = db.transaction();
      log += "began;";
    } catch (const sqler::busy_error&) {
      log += "busy;";
    }
    attempted.set_value();
    ready.wait();
    auto t = db.transaction();
    accounts.insert(account("after", 3));
    t.commit();
    log += sqlite3_get_autocommit(db.native_handle()) != 0 ? "committed" : "still open";
    return log;
  });
  attempted.get_future().wait();
  tx.commit();
  released.set_value();
  EXPECT_EQ(retry.get(), "busy;committed");
  EXPECT_EQ(accounts.size(), 2);
  // Once the lock is released, the other thread can write.
  std::thread([&] { accounts.insert(account("theirs", 2)); }).join();
  EXPECT_EQ(accounts.size(), 3);
}


// ---------------------------------------------------------------- two handles on one file

// Two database objects opened on one file have separate states, so separate writer queues:
// like two processes, only SQLite's own lock orders their writes. The outermost transaction
// begins IMMEDIATE, so it holds the write lock from the start and a read-then-update inside it
// can be neither overtaken nor refused with "database is locked" at its first write.

// Runs one write through another handle; says how it ended and how long it took.
struct write_outcome {
  std::string result;  // "ok", "busy", or another error's text
  std::chrono::milliseconds took{};
};
template <class F>
write_outcome try_write(F&& write) {
  const auto start = std::chrono::steady_clock::now();
  write_outcome out;
  try {
    write();
    out.result = "ok";
  } catch (const sqler::busy_error&) {
    out.result = "busy";
  } catch (const std::exception& e) {
    out.result = std::string("other error: ") + e.what();
  }
  out.took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  return out;
}

TEST(TransactionTwoHandles, OtherHandlesWritesGetBusyErrorWhileATransactionIsOpen) {
  temp_db_file file;
  auto a = sqler::database::open(file.path());
  sqler::database_options short_wait;
  short_wait.busy_timeout_ms = 200;
  auto b = sqler::database::open(file.path(), short_wait);
  auto a_accounts = a.collection<Account>();
  const std::int64_t id = a_accounts.insert(account("ann", 100));
  auto b_accounts = b.collection<Account>();
  ASSERT_EQ(b_accounts.get_or_throw(id), account("ann", 100));

  auto tx = a.transaction();
  const Account seen = a_accounts.get_or_throw(id);

  // While A's transaction is open, each of B's writes waits out its busy timeout, then fails.
  // (B fails fast enough to try from this thread: B's connection is its own.)
  const std::pair<const char*, std::function<void()>> writes[] = {
      {"update", [&] { b_accounts.replace(id, account("bob", 1)); }},
      {"insert", [&] { b_accounts.insert(account("bob", 2)); }},
      {"transaction", [&] { auto t = b.transaction(); }},
  };
  for (const auto& [what, write] : writes) {
    const write_outcome o = try_write(write);
    EXPECT_EQ(o.result, "busy") << "B's " << what << " while A's transaction is open";
    if (o.result == "busy") {
      EXPECT_GE(o.took.count(), 150) << "B's " << what << " gave up before its busy timeout";
      EXPECT_LT(o.took.count(), 10000) << "B's " << what << " waited far past its busy timeout";
    }
  }

  // A's update of what it read, and its commit, meet no lock: A has held it since BEGIN.
  try {
    a_accounts.replace(id, Account{seen.owner, seen.balance + 10});
    tx.commit();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "A's update and commit after reading failed: " << e.what();
  }
  EXPECT_EQ(b_accounts.get_or_throw(id), account("ann", 110));
  EXPECT_EQ(b_accounts.size(), 1);

  // With A's transaction over, B writes at once.
  EXPECT_EQ(try_write([&] { b_accounts.insert(account("bob", 3)); }).result, "ok");
  EXPECT_EQ(a_accounts.size(), 2);
}

TEST(TransactionTwoHandles, OtherHandleWithALongTimeoutWaitsForTheCommitThenBuildsOnIt) {
  temp_db_file file;
  auto a = sqler::database::open(file.path());
  sqler::database_options long_wait;
  long_wait.busy_timeout_ms = 30000;
  auto b = sqler::database::open(file.path(), long_wait);
  auto a_accounts = a.collection<Account>();
  const std::int64_t id = a_accounts.insert(account("ann", 100));
  auto b_accounts = b.collection<Account>();

  std::mutex log_mutex;
  std::vector<std::string> log;
  auto note = [&](std::string entry) {
    std::lock_guard<std::mutex> lock(log_mutex);
    log.push_back(std::move(entry));
  };

  auto tx = a.transaction();
  const Account seen = a_accounts.get_or_throw(id);

  // B adds 1 to the balance it reads in its own transaction; it has to wait for A's commit.
  std::promise<void> b_started;
  auto b_write = std::async(std::launch::async, [&]() -> std::string {
    b_started.set_value();
    try {
      auto t = b.transaction();
      Account current = b_accounts.get_or_throw(id);
      current.balance += 1;
      b_accounts.replace(id, current);
      t.commit();
      note("B committed");
      return "ok";
    } catch (const std::exception& e) {
      return std::string("B failed: ") + e.what();
    }
  });
  b_started.get_future().wait();
  // Give B time to reach SQLite's lock (the order below holds even if it is late).
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  note("A committing");
  try {
    a_accounts.replace(id, Account{seen.owner, seen.balance + 10});
    tx.commit();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "A's update and commit after reading failed: " << e.what();
  }
  EXPECT_EQ(b_write.get(), "ok");
  EXPECT_EQ(log, (std::vector<std::string>{"A committing", "B committed"}));
  // B read A's committed balance: both increments are there, in that order.
  EXPECT_EQ(a_accounts.get_or_throw(id), account("ann", 111));
}

}  // namespace
