// sqler::transaction from a user's side: commit persists, anything else rolls back, nesting
// works through savepoints, and misuse or SQLite failures surface as sqler::error.
#include <gtest/gtest.h>

#include "../support/temp_db_file.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <future>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <tuple>
#include <vector>

#include "sqler/sqler.hpp"

namespace {

struct Account {
  std::string owner;
  std::int64_t balance = 0;
  bool operator==(const Account&) const = default;
};

struct Entry {
  std::string memo;
  double amount = 0;
};

using sqler_test::temp_db_file;

enum class storage { memory, file };

class TransactionTest : public ::testing::TestWithParam<storage> {
 protected:
  TransactionTest()
      : db_(GetParam() == storage::memory ? sqler::database::in_memory()
                                          : sqler::database::open(file_.path())) {}

  sqler::database& db() { return db_; }
  bool in_transaction() { return sqlite3_get_autocommit(db_.native_handle()) == 0; }

 private:
  temp_db_file file_;  // declared first: the database closes before the file is removed
  sqler::database db_;
};

INSTANTIATE_TEST_SUITE_P(Storage, TransactionTest,
                         ::testing::Values(storage::memory, storage::file),
                         [](const auto& info) {
                           return info.param == storage::memory ? "memory" : "file";
                         });

Account account(std::string_view owner, std::int64_t balance) {
  return Account{std::string(owner), balance};
}

TEST_P(TransactionTest, CommitMakesChangesPermanent) {
  auto accounts = db().collection<Account>();
  std::int64_t a = 0;
  {
    auto tx = db().transaction();
    EXPECT_TRUE(tx.active());
    EXPECT_TRUE(in_transaction());
    a = accounts.insert(account("ann", 100));
    accounts.insert(account("bob", 50));
    accounts.update(a, account("ann", 90));
    tx.commit();
    EXPECT_FALSE(tx.active());
    EXPECT_FALSE(in_transaction());
  }
  EXPECT_EQ(accounts.size(), 2);
  EXPECT_EQ(accounts.get_or_throw(a), account("ann", 90));
}

TEST_P(TransactionTest, DestructionWithoutCommitRollsBack) {
  auto accounts = db().collection<Account>();
  const auto kept = accounts.insert(account("kept", 1));
  {
    auto tx = db().transaction();
    accounts.insert(account("ann", 100));
    accounts.update(kept, account("kept", 999));
    accounts.upsert(500, account("up", 5));
    EXPECT_EQ(accounts.size(), 3);  // visible inside the transaction
  }
  EXPECT_FALSE(in_transaction());
  EXPECT_EQ(accounts.size(), 1);
  EXPECT_EQ(accounts.get_or_throw(kept), account("kept", 1));
  EXPECT_FALSE(accounts.contains(500));

  {
    auto tx = db().transaction();
    EXPECT_TRUE(accounts.remove(kept));
  }
  EXPECT_TRUE(accounts.contains(kept));
}

TEST_P(TransactionTest, ExplicitRollback) {
  auto accounts = db().collection<Account>();
  auto tx = db().transaction();
  accounts.insert(account("ann", 100));
  tx.rollback();
  EXPECT_FALSE(tx.active());
  EXPECT_FALSE(in_transaction());
  EXPECT_EQ(accounts.size(), 0);
}

TEST_P(TransactionTest, ExceptionInsideTheScopeRollsBack) {
  auto accounts = db().collection<Account>();
  accounts.insert(account("before", 1));
  EXPECT_THROW(
      {
        auto tx = db().transaction();
        accounts.insert(account("ann", 100));
        accounts.insert(account("bob", 100));
        throw std::runtime_error("business rule failed");
      },
      std::runtime_error);
  EXPECT_FALSE(in_transaction());
  EXPECT_EQ(accounts.size(), 1);

  // The same when the exception comes from sqler itself (a NaN cannot be encoded).
  auto entries = db().collection<Entry>();
  EXPECT_THROW(
      {
        auto tx = db().transaction();
        entries.insert({"ok", 1});
        entries.insert({"bad", std::numeric_limits<double>::quiet_NaN()});
        tx.commit();
      },
      sqler::encode_error);
  EXPECT_EQ(entries.size(), 0);
  EXPECT_FALSE(in_transaction());
}

TEST_P(TransactionTest, InnerRollbackKeepsOuterChanges) {
  auto accounts = db().collection<Account>();
  {
    auto outer = db().transaction();
    accounts.insert(account("outer-1", 1));
    {
      auto inner = db().transaction();
      accounts.insert(account("inner", 2));
      EXPECT_EQ(accounts.size(), 2);
      inner.rollback();
    }
    EXPECT_EQ(accounts.size(), 1);
    {
      auto inner = db().transaction();
      accounts.insert(account("inner-dropped", 3));
    }  // destroyed without commit
    accounts.insert(account("outer-2", 4));
    EXPECT_TRUE(in_transaction());
    outer.commit();
  }
  EXPECT_FALSE(in_transaction());
  std::vector<std::string> owners;
  for (const Account& a : accounts.all()) owners.push_back(a.owner);
  EXPECT_EQ(owners, (std::vector<std::string>{"outer-1", "outer-2"}));
}

TEST_P(TransactionTest, OuterRollbackDiscardsCommittedInnerWork) {
  auto accounts = db().collection<Account>();
  {
    auto outer = db().transaction();
    accounts.insert(account("outer", 1));
    {
      auto inner = db().transaction();
      accounts.insert(account("inner", 2));
      inner.commit();  // folds into the outer transaction, nothing more
    }
    EXPECT_EQ(accounts.size(), 2);
    EXPECT_TRUE(in_transaction());
  }
  EXPECT_EQ(accounts.size(), 0);
  EXPECT_FALSE(in_transaction());
}

TEST_P(TransactionTest, ThreeLevelsDeep) {
  auto accounts = db().collection<Account>();
  {
    auto l1 = db().transaction();
    accounts.insert(account("l1", 1));
    {
      auto l2 = db().transaction();
      accounts.insert(account("l2", 2));
      {
        auto l3 = db().transaction();
        accounts.insert(account("l3", 3));
        l3.commit();
      }
      {
        auto l3b = db().transaction();
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
  auto again = db().transaction();
  accounts.insert(account("again", 5));
  again.rollback();
  EXPECT_EQ(accounts.size(), 3);
}

TEST_P(TransactionTest, InsertManyInsideATransaction) {
  auto accounts = db().collection<Account>();
  std::vector<Account> batch{account("a", 1), account("b", 2), account("c", 3)};
  {
    auto tx = db().transaction();
    accounts.insert(account("first", 0));
    EXPECT_EQ(accounts.insert_many(batch).size(), 3u);
    EXPECT_TRUE(in_transaction());  // insert_many did not end the caller's transaction
  }
  EXPECT_EQ(accounts.size(), 0);

  // A failing batch undoes only itself; the enclosing transaction carries on.
  auto entries = db().collection<Entry>();
  {
    auto tx = db().transaction();
    entries.insert({"kept", 1});
    std::vector<Entry> bad{{"x", 1}, {"y", std::numeric_limits<double>::infinity()}};
    EXPECT_THROW(entries.insert_many(bad), sqler::encode_error);
    EXPECT_TRUE(in_transaction());
    EXPECT_EQ(entries.size(), 1);
    tx.commit();
  }
  EXPECT_EQ(entries.size(), 1);
}

TEST_P(TransactionTest, EndingTwiceIsAnError) {
  auto accounts = db().collection<Account>();
  auto tx = db().transaction();
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

  auto tx2 = db().transaction();
  tx2.rollback();
  EXPECT_THROW(tx2.commit(), sqler::error);
  EXPECT_THROW(tx2.rollback(), sqler::error);
}

TEST_P(TransactionTest, FailedStatementKeepsTheTransactionUsable) {
  auto accounts = db().collection<Account>();
  auto tx = db().transaction();
  accounts.insert(account("ann", 1));
  try {
    db().execute("SELEC nonsense");
    FAIL() << "bad SQL did not throw";
  } catch (const sqler::error& e) {
    EXPECT_EQ(e.primary_code(), SQLITE_ERROR);
    EXPECT_EQ(e.sql(), "SELEC nonsense");
    EXPECT_NE(e.message().find("syntax error"), std::string::npos) << e.message();
  }
  EXPECT_THROW(db().execute(R"(INSERT INTO "Account" (data) VALUES ('nope'))"),
               sqler::constraint_error);
  EXPECT_TRUE(in_transaction());
  accounts.insert(account("bob", 2));
  tx.commit();
  EXPECT_EQ(accounts.size(), 2);
}

TEST_P(TransactionTest, FailedCommitLeavesTheTransactionOpen) {
  // A deferred foreign key is only checked at COMMIT, so the commit itself fails.
  db().execute(
      "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
      "CREATE TABLE child (p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)");
  {
    auto tx = db().transaction();
    db().execute("INSERT INTO child VALUES (?1)", 7);
    EXPECT_THROW(tx.commit(), sqler::constraint_error);
    EXPECT_TRUE(tx.active());  // nothing was committed; the caller may repair and retry
    db().execute("INSERT INTO parent VALUES (?1)", 7);
    tx.commit();
  }
  EXPECT_EQ(std::get<0>(db().query<int>("SELECT COUNT(*) FROM child").at(0)), 1);

  {
    auto tx = db().transaction();
    db().execute("INSERT INTO child VALUES (?1)", 8);
    EXPECT_THROW(tx.commit(), sqler::constraint_error);
  }  // given up: rolled back
  EXPECT_FALSE(in_transaction());
  EXPECT_EQ(std::get<0>(db().query<int>("SELECT COUNT(*) FROM child").at(0)), 1);
}

// ---------------------------------------------------------------- files and other connections

TEST(TransactionFile, CommittedDataSurvivesReopenAndRolledBackDataDoesNot) {
  temp_db_file file;
  {
    auto db = sqler::database::open(file.path());
    auto accounts = db.collection<Account>();
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
    auto db = sqler::database::open(file.path());
    auto accounts = db.collection<Account>();
    std::vector<std::string> owners;
    for (const Account& a : accounts.all()) owners.push_back(a.owner);
    EXPECT_EQ(owners, (std::vector<std::string>{"committed", "open at close"}));
  }
}

TEST(TransactionFile, UncommittedWorkIsInvisibleToOtherThreads) {
  temp_db_file file;
  auto db = sqler::database::open(file.path());
  auto accounts = db.collection<Account>();
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

}  // namespace
