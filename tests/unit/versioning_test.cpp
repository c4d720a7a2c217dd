// Optimistic locking: every document carries a _version that each write bumps by one;
// update(versioned<T>&) only succeeds against the version it was loaded at.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "../support/backends.hpp"

namespace {

struct Account {
  std::string owner;
  std::int64_t balance;
  std::vector<std::string> notes;
};

constexpr auto owner = sqler::field<&Account::owner>;
constexpr auto balance = sqler::field<&Account::balance>;

template <class B>
class VersioningTest : public sqler_test::on_backend<B> {
 protected:
  void SetUp() override {
    sqler_test::on_backend<B>::SetUp();
    if (!this->IsSkipped()) accounts.emplace(sqler_test::collection_of<Account>(this->db()));
  }
  // What is stored, read with plain SQL rather than through sqler's decoding.
  std::tuple<std::int64_t, std::string> raw(std::int64_t id) {
    auto rows = this->db().template query<std::int64_t, std::string>(
        "SELECT _version, CAST(data AS text) FROM \"Account\" WHERE _id = $1", id);
    EXPECT_EQ(rows.size(), 1u);
    return rows.empty() ? std::tuple<std::int64_t, std::string>{} : rows.front();
  }

  std::optional<sqler::collection<Account, typename B::backend>> accounts;
};
TYPED_TEST_SUITE(VersioningTest, sqler_test::backends, sqler_test::backend_names);

TYPED_TEST(VersioningTest, InsertStartsAtVersionOne) {
  const auto id = this->accounts->insert({"ann", 100, {}});
  auto v = this->accounts->get_versioned(id);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->id, id);
  EXPECT_EQ(v->version, 1);
  EXPECT_EQ(v->value.owner, "ann");
  EXPECT_EQ(v->value.balance, 100);
  EXPECT_EQ(std::get<0>(this->raw(id)), 1);

  // insert_many too, and a missing id has no versioned document.
  const auto ids = this->accounts->insert_many(std::vector<Account>{{"ben", 1, {}}, {"cat", 2, {}}});
  for (auto i : ids) EXPECT_EQ(this->accounts->get_versioned(i)->version, 1);
  EXPECT_FALSE(this->accounts->get_versioned(ids.back() + 100));
}

TYPED_TEST(VersioningTest, VersionedUpdateBumpsByExactlyOne) {
  const auto id = this->accounts->insert({"ann", 100, {}});
  auto v = *this->accounts->get_versioned(id);
  for (std::int64_t round = 1; round <= 5; ++round) {
    v.value.balance += 10;
    v.value.notes.push_back("deposit " + std::to_string(round));
    this->accounts->replace(v);
    EXPECT_EQ(v.version, 1 + round);  // the passed object follows the stored version
    auto stored = *this->accounts->get_versioned(id);
    EXPECT_EQ(stored.version, 1 + round);
    EXPECT_EQ(stored.value.balance, 100 + 10 * round);
    EXPECT_EQ(stored.value.notes.size(), static_cast<std::size_t>(round));
  }
  EXPECT_EQ(std::get<0>(this->raw(id)), 6);
}

TYPED_TEST(VersioningTest, StaleVersionThrowsAndChangesNothing) {
  const auto id = this->accounts->insert({"ann", 100, {}});
  auto alice = *this->accounts->get_versioned(id);
  auto bob = *this->accounts->get_versioned(id);

  alice.value.balance = 150;
  this->accounts->replace(alice);  // alice wins: version 2
  const auto [version_before, data_before] = this->raw(id);
  ASSERT_EQ(version_before, 2);

  bob.value.balance = 0;
  bob.value.owner = "mallory";
  try {
    this->accounts->replace(bob);
    ADD_FAILURE() << "a stale update must throw";
  } catch (const sqler::stale_version& e) {
    EXPECT_EQ(e.id(), id);
    EXPECT_EQ(e.expected_version(), 1);
    EXPECT_NE(std::string(e.what()).find("stale version 1"), std::string::npos) << e.what();
  }
  // It is a sqler::error like every other failure.
  EXPECT_THROW(this->accounts->replace(bob), sqler::error);
  EXPECT_EQ(bob.version, 1);  // the caller's version is not advanced on failure

  const auto [version_after, data_after] = this->raw(id);
  EXPECT_EQ(version_after, 2);
  EXPECT_EQ(data_after, data_before);
  EXPECT_EQ(this->accounts->get_or_throw(id).balance, 150);
  EXPECT_EQ(this->accounts->get_or_throw(id).owner, "ann");

  // Reloading gives the current version, and then the update goes through.
  bob = *this->accounts->get_versioned(id);
  bob.value.balance = 175;
  this->accounts->replace(bob);
  EXPECT_EQ(bob.version, 3);
  EXPECT_EQ(this->accounts->get_or_throw(id).balance, 175);
}

TYPED_TEST(VersioningTest, AVersionFromTheFutureIsStaleToo) {
  const auto id = this->accounts->insert({"ann", 100, {}});
  auto v = *this->accounts->get_versioned(id);
  v.version = 7;
  EXPECT_THROW(this->accounts->replace(v), sqler::stale_version);
  EXPECT_EQ(std::get<0>(this->raw(id)), 1);
}

TYPED_TEST(VersioningTest, RemovedDocumentIsNotFoundNotStale) {
  const auto id = this->accounts->insert({"ann", 100, {}});
  auto v = *this->accounts->get_versioned(id);
  ASSERT_TRUE(this->accounts->remove(id));
  v.value.balance = 1;
  try {
    this->accounts->replace(v);
    ADD_FAILURE() << "updating a removed document must throw";
  } catch (const sqler::stale_version&) {
    ADD_FAILURE() << "a removed document is not_found, not stale_version";
  } catch (const sqler::not_found& e) {
    EXPECT_EQ(e.id(), id);
  }
  EXPECT_FALSE(this->accounts->contains(id));  // and nothing was re-created
  EXPECT_EQ(this->accounts->size(), 0);
}

TYPED_TEST(VersioningTest, EveryWriteBumpsTheVersion) {
  const auto id = this->accounts->insert({"ann", 100, {}});
  this->accounts->replace(id, {"ann", 200, {}});  // plain update: no version check, still bumps
  EXPECT_EQ(this->accounts->get_versioned(id)->version, 2);
  this->accounts->upsert(id, {"ann", 300, {}});  // upsert over an existing document
  EXPECT_EQ(this->accounts->get_versioned(id)->version, 3);
  this->accounts->update(id, sqler::inc(balance, 5));
  EXPECT_EQ(this->accounts->get_versioned(id)->version, 4);
  EXPECT_EQ(this->accounts->find(owner == "ann").update(sqler::inc(balance, 5)), 1);
  auto v = *this->accounts->get_versioned(id);
  EXPECT_EQ(v.version, 5);
  EXPECT_EQ(v.value.balance, 310);

  // A plain update in between makes an earlier versioned copy stale.
  auto copy = *this->accounts->get_versioned(id);
  this->accounts->replace(id, {"ann", 1, {}});
  copy.value.balance = 2;
  EXPECT_THROW(this->accounts->replace(copy), sqler::stale_version);
  EXPECT_EQ(this->accounts->get_or_throw(id).balance, 1);

  // upsert of a new id starts at 1; plain update of a missing id is not_found.
  this->accounts->upsert(9000, {"zed", 0, {}});
  EXPECT_EQ(this->accounts->get_versioned(9000)->version, 1);
  EXPECT_THROW(this->accounts->replace(9001, {"nobody", 0, {}}), sqler::not_found);
}

TYPED_TEST(VersioningTest, QueriesReportVersions) {
  const auto a = this->accounts->insert({"ann", 1, {}});
  const auto b = this->accounts->insert({"ben", 2, {}});
  this->accounts->replace(b, {"ben", 3, {}});
  auto rows = this->accounts->find().order_by(owner).all_versioned();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, a);
  EXPECT_EQ(rows[0].version, 1);
  EXPECT_EQ(rows[1].id, b);
  EXPECT_EQ(rows[1].version, 2);
  // A versioned row from a query can be updated like one from get_versioned.
  rows[1].value.balance = 4;
  this->accounts->replace(rows[1]);
  EXPECT_EQ(rows[1].version, 3);
  EXPECT_EQ(this->accounts->get_or_throw(b).balance, 4);
}

TYPED_TEST(VersioningTest, FailedWriteInsideATransactionRollsBackCleanly) {
  const auto id = this->accounts->insert({"ann", 100, {}});
  auto stale = *this->accounts->get_versioned(id);
  this->accounts->replace(id, {"ann", 120, {}});
  {
    auto tx = this->db().transaction();
    this->accounts->replace(id, {"ann", 500, {}});
    stale.value.balance = 0;
    EXPECT_THROW(this->accounts->replace(stale), sqler::stale_version);
    // no commit: the transaction rolls back on scope exit
  }
  auto now = *this->accounts->get_versioned(id);
  EXPECT_EQ(now.version, 2);
  EXPECT_EQ(now.value.balance, 120);
}

}  // namespace
