// Optimistic locking: every document carries a _version that each write bumps by one;
// update(versioned<T>&) only succeeds against the version it was loaded at.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "sqler/sqler.hpp"

namespace {

struct Account {
  std::string owner;
  std::int64_t balance;
  std::vector<std::string> notes;
};

constexpr auto owner = sqler::field<&Account::owner>;
constexpr auto balance = sqler::field<&Account::balance>;

class VersioningTest : public ::testing::Test {
 protected:
  // What is stored, read with plain SQL rather than through sqler's decoding.
  std::tuple<std::int64_t, std::string> raw(std::int64_t id) {
    auto rows = db.query<std::int64_t, std::string>(
        "SELECT _version, data FROM \"Account\" WHERE _id = ?1", id);
    EXPECT_EQ(rows.size(), 1u);
    return rows.empty() ? std::tuple<std::int64_t, std::string>{} : rows.front();
  }

  sqler::database db = sqler::database::in_memory();
  sqler::collection<Account> accounts = db.collection<Account>();
};

TEST_F(VersioningTest, InsertStartsAtVersionOne) {
  const auto id = accounts.insert({"ann", 100, {}});
  auto v = accounts.get_versioned(id);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->id, id);
  EXPECT_EQ(v->version, 1);
  EXPECT_EQ(v->value.owner, "ann");
  EXPECT_EQ(v->value.balance, 100);
  EXPECT_EQ(std::get<0>(raw(id)), 1);

  // insert_many too, and a missing id has no versioned document.
  const auto ids = accounts.insert_many(std::vector<Account>{{"ben", 1, {}}, {"cat", 2, {}}});
  for (auto i : ids) EXPECT_EQ(accounts.get_versioned(i)->version, 1);
  EXPECT_FALSE(accounts.get_versioned(ids.back() + 100));
}

TEST_F(VersioningTest, VersionedUpdateBumpsByExactlyOne) {
  const auto id = accounts.insert({"ann", 100, {}});
  auto v = *accounts.get_versioned(id);
  for (std::int64_t round = 1; round <= 5; ++round) {
    v.value.balance += 10;
    v.value.notes.push_back("deposit " + std::to_string(round));
    accounts.replace(v);
    EXPECT_EQ(v.version, 1 + round);  // the passed object follows the stored version
    auto stored = *accounts.get_versioned(id);
    EXPECT_EQ(stored.version, 1 + round);
    EXPECT_EQ(stored.value.balance, 100 + 10 * round);
    EXPECT_EQ(stored.value.notes.size(), static_cast<std::size_t>(round));
  }
  EXPECT_EQ(std::get<0>(raw(id)), 6);
}

TEST_F(VersioningTest, StaleVersionThrowsAndChangesNothing) {
  const auto id = accounts.insert({"ann", 100, {}});
  auto alice = *accounts.get_versioned(id);
  auto bob = *accounts.get_versioned(id);

  alice.value.balance = 150;
  accounts.replace(alice);  // alice wins: version 2
  const auto [version_before, data_before] = raw(id);
  ASSERT_EQ(version_before, 2);

  bob.value.balance = 0;
  bob.value.owner = "mallory";
  try {
    accounts.replace(bob);
    ADD_FAILURE() << "a stale update must throw";
  } catch (const sqler::stale_version& e) {
    EXPECT_EQ(e.id(), id);
    EXPECT_EQ(e.expected_version(), 1);
    EXPECT_NE(std::string(e.what()).find("stale version 1"), std::string::npos) << e.what();
  }
  // It is a sqler::error like every other failure.
  EXPECT_THROW(accounts.replace(bob), sqler::error);
  EXPECT_EQ(bob.version, 1);  // the caller's version is not advanced on failure

  const auto [version_after, data_after] = raw(id);
  EXPECT_EQ(version_after, 2);
  EXPECT_EQ(data_after, data_before);
  EXPECT_EQ(accounts.get_or_throw(id).balance, 150);
  EXPECT_EQ(accounts.get_or_throw(id).owner, "ann");

  // Reloading gives the current version, and then the update goes through.
  bob = *accounts.get_versioned(id);
  bob.value.balance = 175;
  accounts.replace(bob);
  EXPECT_EQ(bob.version, 3);
  EXPECT_EQ(accounts.get_or_throw(id).balance, 175);
}

TEST_F(VersioningTest, AVersionFromTheFutureIsStaleToo) {
  const auto id = accounts.insert({"ann", 100, {}});
  auto v = *accounts.get_versioned(id);
  v.version = 7;
  EXPECT_THROW(accounts.replace(v), sqler::stale_version);
  EXPECT_EQ(std::get<0>(raw(id)), 1);
}

TEST_F(VersioningTest, RemovedDocumentIsNotFoundNotStale) {
  const auto id = accounts.insert({"ann", 100, {}});
  auto v = *accounts.get_versioned(id);
  ASSERT_TRUE(accounts.remove(id));
  v.value.balance = 1;
  try {
    accounts.replace(v);
    ADD_FAILURE() << "updating a removed document must throw";
  } catch (const sqler::stale_version&) {
    ADD_FAILURE() << "a removed document is not_found, not stale_version";
  } catch (const sqler::not_found& e) {
    EXPECT_EQ(e.id(), id);
  }
  EXPECT_FALSE(accounts.contains(id));  // and nothing was re-created
  EXPECT_EQ(accounts.size(), 0);
}

TEST_F(VersioningTest, EveryWriteBumpsTheVersion) {
  const auto id = accounts.insert({"ann", 100, {}});
  accounts.replace(id, {"ann", 200, {}});  // plain update: no version check, still bumps
  EXPECT_EQ(accounts.get_versioned(id)->version, 2);
  accounts.upsert(id, {"ann", 300, {}});  // upsert over an existing document
  EXPECT_EQ(accounts.get_versioned(id)->version, 3);
  accounts.update(id, sqler::inc(balance, 5));
  EXPECT_EQ(accounts.get_versioned(id)->version, 4);
  EXPECT_EQ(accounts.find(owner == "ann").update(sqler::inc(balance, 5)), 1);
  auto v = *accounts.get_versioned(id);
  EXPECT_EQ(v.version, 5);
  EXPECT_EQ(v.value.balance, 310);

  // A plain update in between makes an earlier versioned copy stale.
  auto copy = *accounts.get_versioned(id);
  accounts.replace(id, {"ann", 1, {}});
  copy.value.balance = 2;
  EXPECT_THROW(accounts.replace(copy), sqler::stale_version);
  EXPECT_EQ(accounts.get_or_throw(id).balance, 1);

  // upsert of a new id starts at 1; plain update of a missing id is not_found.
  accounts.upsert(9000, {"zed", 0, {}});
  EXPECT_EQ(accounts.get_versioned(9000)->version, 1);
  EXPECT_THROW(accounts.replace(9001, {"nobody", 0, {}}), sqler::not_found);
}

TEST_F(VersioningTest, QueriesReportVersions) {
  const auto a = accounts.insert({"ann", 1, {}});
  const auto b = accounts.insert({"ben", 2, {}});
  accounts.replace(b, {"ben", 3, {}});
  auto rows = accounts.find().order_by(owner).all_versioned();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, a);
  EXPECT_EQ(rows[0].version, 1);
  EXPECT_EQ(rows[1].id, b);
  EXPECT_EQ(rows[1].version, 2);
  // A versioned row from a query can be updated like one from get_versioned.
  rows[1].value.balance = 4;
  accounts.replace(rows[1]);
  EXPECT_EQ(rows[1].version, 3);
  EXPECT_EQ(accounts.get_or_throw(b).balance, 4);
}

TEST_F(VersioningTest, FailedWriteInsideATransactionRollsBackCleanly) {
  const auto id = accounts.insert({"ann", 100, {}});
  auto stale = *accounts.get_versioned(id);
  accounts.replace(id, {"ann", 120, {}});
  {
    auto tx = db.transaction();
    accounts.replace(id, {"ann", 500, {}});
    stale.value.balance = 0;
    EXPECT_THROW(accounts.replace(stale), sqler::stale_version);
    // no commit: the transaction rolls back on scope exit
  }
  auto now = *accounts.get_versioned(id);
  EXPECT_EQ(now.version, 2);
  EXPECT_EQ(now.value.balance, 120);
}

}  // namespace
