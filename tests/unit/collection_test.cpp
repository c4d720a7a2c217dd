// sqler::collection<T> from a user's side: CRUD by _id, streaming, bulk inserts that are all or
// nothing, and what happens when the stored data or a constraint disagrees with the program.
// Every test runs on every backend (tests/support/backends.hpp): SQLite in memory and in a file,
// and PostgreSQL.
#include <gtest/gtest.h>

#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <vector>

#include "../support/backends.hpp"
#include "../support/json_canon.hpp"
#include "../support/temp_db_file.hpp"

namespace {

struct Address {
  std::string city;
  int zip = 0;
  bool operator==(const Address&) const = default;
};

struct User {
  std::string name;
  int age = 0;
  Address address;
  std::vector<std::string> tags;
  std::optional<std::string> nickname;
  bool operator==(const User&) const = default;
};

struct Item {
  std::string code;
  double weight = 0;
  bool operator==(const Item&) const = default;
};

struct Note {
  std::string text;
};

using sqler_test::temp_db_file;

template <class B>
class CollectionTest : public sqler_test::on_backend<B> {
 protected:
  // The id execute() gave the row it just inserted into "User": the highest (ids only grow).
  std::int64_t newest_user_id() {
    return std::get<0>(
        this->db().template query<std::int64_t>("SELECT MAX(_id) FROM \"User\"").at(0));
  }

  // Whether the thread's connection is still inside a transaction. On PostgreSQL a transaction
  // left open keeps the thread's connection, so query() runs inside it (in a savepoint) and sees
  // the transaction id its writes were given; outside one, query() begins a fresh read-only
  // transaction, which has none.
  bool in_transaction() {
    if constexpr (sqler_test::is_postgres<B>) {
      return std::get<0>(this->db().template query<std::int64_t>(
                             "SELECT CASE WHEN pg_current_xact_id_if_assigned() IS NULL THEN 0 "
                             "ELSE 1 END")
                             .at(0)) != 0;
    } else {
      return sqlite3_get_autocommit(this->db().native_handle()) == 0;
    }
  }

  // Rows of a table as another connection sees them: only what was committed. PostgreSQL only
  // (an in-memory SQLite database has no second connection).
  std::int64_t committed_rows(std::string_view table) {
    static_assert(sqler_test::is_postgres<B>);
    auto other = B::database::connect(this->env().conninfo());
    std::string sql = "SELECT COUNT(*) FROM \"";
    sql += table;
    sql += '"';
    return std::get<0>(other.template query<std::int64_t>(sql).at(0));
  }
};

TYPED_TEST_SUITE(CollectionTest, sqler_test::backends, sqler_test::backend_names);

// Built with append rather than "literal" + std::string: g++ 12 -O3 reports a bogus
// -Wrestrict inside libstdc++ for the latter.
std::string numbered(std::string_view prefix, int i) {
  std::string s(prefix);
  s += std::to_string(i);
  return s;
}

User make_user(int i) {
  User u;
  u.name = numbered("user", i);
  u.age = 20 + i % 50;
  u.address = {numbered("city", i % 7), 1000 + i};
  u.tags = {numbered("t", i % 3)};
  if (i % 2 == 0) u.nickname = "n";
  return u;
}

// ---------------------------------------------------------------- CRUD

TYPED_TEST(CollectionTest, InsertReturnsIncreasingIds) {
  auto users = sqler_test::collection_of<User>(this->db());
  std::int64_t previous = 0;
  for (int i = 0; i < 20; ++i) {
    const auto id = users.insert(make_user(i));
    EXPECT_GT(id, previous);
    previous = id;
  }
  EXPECT_EQ(users.size(), 20);
}

TYPED_TEST(CollectionTest, GetReturnsWhatWasInserted) {
  auto users = sqler_test::collection_of<User>(this->db());
  User ann = make_user(0);
  ann.name = "Ann";
  ann.tags = {"admin", "ops"};
  ann.nickname = "annie";
  const auto id = users.insert(ann);
  users.insert(make_user(1));

  const auto got = users.get(id);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, ann);
  EXPECT_EQ(users.get_or_throw(id), ann);

  EXPECT_FALSE(users.get(id + 1000).has_value());
  try {
    (void)users.get_or_throw(id + 1000);
    FAIL() << "get_or_throw of a missing id did not throw";
  } catch (const sqler::not_found& e) {
    EXPECT_EQ(e.id(), id + 1000);
    EXPECT_NE(std::string(e.what()).find("User"), std::string::npos) << e.what();
  }
  // not_found is a sqler::error too.
  EXPECT_THROW((void)users.get_or_throw(-1), sqler::error);
}

TYPED_TEST(CollectionTest, StoredTextIsTheCodecsJson) {
  auto items = sqler_test::collection_of<Item>(this->db());
  const auto id = items.insert({"a'b\"c", 2.5});
  const auto rows = this->db().template query<std::string>(
      "SELECT CAST(data AS text) FROM \"Item\" WHERE _id = $1", id);
  ASSERT_EQ(rows.size(), 1u);
  const std::string& stored = std::get<0>(rows[0]);
  // The same document on every backend...
  EXPECT_EQ(sqler_test::canonical_json(stored), R"({"code":"a'b\"c","weight":2.5})") << stored;
  if constexpr (sqler_test::is_postgres<TypeParam>) {
    // ...kept as jsonb, which PostgreSQL prints in its own normal form (a blank after ':' and
    // ','; keys shorter first, then bytewise).
    EXPECT_EQ(stored, R"({"code": "a'b\"c", "weight": 2.5})");
  } else {
    // ...and on SQLite, byte for byte the codec's text.
    EXPECT_EQ(stored, R"({"code":"a'b\"c","weight":2.5})");
  }
}

TYPED_TEST(CollectionTest, UpdateReplacesTheDocument) {
  auto users = sqler_test::collection_of<User>(this->db());
  const auto id = users.insert(make_user(1));
  const auto other = users.insert(make_user(2));
  User changed = make_user(1);
  changed.name = "renamed";
  changed.tags.clear();
  changed.nickname.reset();
  users.replace(id, changed);
  EXPECT_EQ(users.get_or_throw(id), changed);
  EXPECT_EQ(users.get_or_throw(other), make_user(2));  // only that row changed
  EXPECT_EQ(users.size(), 2);
}

TYPED_TEST(CollectionTest, UpdateOfMissingIdThrowsNotFound) {
  auto users = sqler_test::collection_of<User>(this->db());
  users.insert(make_user(1));
  try {
    users.replace(4242, make_user(2));
    FAIL() << "update of a missing id did not throw";
  } catch (const sqler::not_found& e) {
    EXPECT_EQ(e.id(), 4242);
  }
  EXPECT_EQ(users.size(), 1);
  EXPECT_FALSE(users.contains(4242));
}

TYPED_TEST(CollectionTest, UpsertInsertsThenReplacesAndBumpsVersion) {
  auto items = sqler_test::collection_of<Item>(this->db());
  items.upsert(77, {"first", 1});
  auto v = items.get_versioned(77);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->id, 77);
  EXPECT_EQ(v->version, 1);
  EXPECT_EQ(v->value, (Item{"first", 1}));

  items.upsert(77, {"second", 2});
  v = items.get_versioned(77);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->version, 2);
  EXPECT_EQ(v->value, (Item{"second", 2}));
  EXPECT_EQ(items.size(), 1);

  items.replace(77, {"third", 3});
  EXPECT_EQ(items.get_versioned(77)->version, 3);

  // A plain insert after an upsert with an explicit id continues after it.
  EXPECT_GT(items.insert({"next", 4}), 77);
  EXPECT_FALSE(items.get_versioned(12345).has_value());
}

TYPED_TEST(CollectionTest, OptimisticUpdateDetectsAStaleVersion) {
  auto items = sqler_test::collection_of<Item>(this->db());
  const auto id = items.insert({"a", 1});
  auto mine = *items.get_versioned(id);
  auto theirs = *items.get_versioned(id);
  theirs.value.weight = 2;
  items.replace(theirs);
  EXPECT_EQ(theirs.version, 2);
  mine.value.weight = 3;
  try {
    items.replace(mine);
    FAIL() << "stale update did not throw";
  } catch (const sqler::stale_version& e) {
    EXPECT_EQ(e.id(), id);
    EXPECT_EQ(e.expected_version(), 1);
  }
  EXPECT_EQ(items.get_or_throw(id).weight, 2);
  items.remove(id);
  EXPECT_THROW(items.replace(theirs), sqler::not_found);
}

TYPED_TEST(CollectionTest, RemoveSizeAndContains) {
  auto users = sqler_test::collection_of<User>(this->db());
  EXPECT_EQ(users.size(), 0);
  const auto a = users.insert(make_user(1));
  const auto b = users.insert(make_user(2));
  EXPECT_EQ(users.size(), 2);
  EXPECT_TRUE(users.contains(a));
  EXPECT_TRUE(users.contains(b));
  EXPECT_FALSE(users.contains(b + 1));

  EXPECT_TRUE(users.remove(a));
  EXPECT_FALSE(users.remove(a));  // already gone
  EXPECT_FALSE(users.remove(9999));
  EXPECT_FALSE(users.contains(a));
  EXPECT_FALSE(users.get(a).has_value());
  EXPECT_EQ(users.size(), 1);
  EXPECT_EQ(users.get_or_throw(b), make_user(2));
}

TYPED_TEST(CollectionTest, AllStreamsEveryDocument) {
  auto users = sqler_test::collection_of<User>(this->db());
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 250; ++i) ids.push_back(users.insert(make_user(i)));

  int count = 0;
  for (const User& u : users.all()) {
    EXPECT_EQ(u, make_user(count));
    ++count;
  }
  EXPECT_EQ(count, 250);

  // The iterator knows each row's id and version.
  auto q = users.all();
  std::size_t k = 0;
  for (auto it = q.begin(); it != q.end(); ++it, ++k) {
    ASSERT_LT(k, ids.size());
    EXPECT_EQ(it.id(), ids[k]);
    EXPECT_EQ(it.version(), 1);
    EXPECT_EQ(it->name, numbered("user", static_cast<int>(k)));
  }
  EXPECT_EQ(k, ids.size());

  // Two streams over the same table at once (the inner one cannot reuse the outer's
  // statement).
  int pairs = 0;
  auto small = sqler_test::collection_of<Note>(this->db());
  for (int i = 0; i < 5; ++i) small.insert({std::to_string(i)});
  for (const Note& outer : small.all()) {
    for (const Note& inner : small.all()) {
      (void)outer;
      (void)inner;
      ++pairs;
    }
  }
  EXPECT_EQ(pairs, 25);

  // An empty table streams nothing.
  auto empty = sqler_test::collection_of<Item>(this->db());
  int none = 0;
  for (const Item& item : empty.all()) {
    (void)item;
    ++none;
  }
  EXPECT_EQ(none, 0);
}

TYPED_TEST(CollectionTest, SqlInjectionIsJustData) {
  auto users = sqler_test::collection_of<User>(this->db());
  User evil = make_user(1);
  evil.name = "x'); DROP TABLE User;--";
  evil.tags = {"\"); DROP TABLE \"User\"; --", "' OR '1'='1"};
  const auto id = users.insert(evil);
  EXPECT_EQ(users.get_or_throw(id), evil);
  users.replace(id, evil);
  users.upsert(id + 1, evil);
  EXPECT_EQ(users.size(), 2);
  const auto tables = this->db().template query<std::int64_t>(this->sql(
      "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'User'",
      "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'User'"));
  EXPECT_EQ(std::get<0>(tables.at(0)), 1);
  EXPECT_EQ(users.get_or_throw(id + 1).name, evil.name);
}

// ---------------------------------------------------------------- bulk inserts

TYPED_TEST(CollectionTest, InsertManyReturnsIdsInOrder) {
  auto users = sqler_test::collection_of<User>(this->db());
  const auto before = users.insert(make_user(-1));
  std::vector<User> docs;
  for (int i = 0; i < 10000; ++i) docs.push_back(make_user(i));
  const auto ids = users.insert_many(docs);
  ASSERT_EQ(ids.size(), 10000u);
  EXPECT_GT(ids.front(), before);
  for (std::size_t i = 1; i < ids.size(); ++i) ASSERT_GT(ids[i], ids[i - 1]) << i;
  EXPECT_EQ(users.size(), 10001);
  for (const std::size_t i : {0u, 1u, 4999u, 9999u}) EXPECT_EQ(users.get_or_throw(ids[i]), docs[i]);
  EXPECT_FALSE(this->in_transaction());
  if constexpr (sqler_test::is_postgres<TypeParam>) {
    EXPECT_EQ(this->committed_rows("User"), 10001);  // committed: another connection sees it
  }

  EXPECT_TRUE(users.insert_many(std::vector<User>{}).empty());
  EXPECT_EQ(users.size(), 10001);
}

TYPED_TEST(CollectionTest, InsertManyTakesAnyRange) {
  auto items = sqler_test::collection_of<Item>(this->db());
  const std::list<Item> listed{{"l1", 1}, {"l2", 2}};
  const auto a = items.insert_many(listed);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(items.get_or_throw(a[1]), (Item{"l2", 2}));

  // (Not a std::views pipeline: clang 14 cannot compile libstdc++ 12's <ranges> views.)
  std::array<Item, 5> fixed;
  for (int i = 0; i < 5; ++i) fixed[static_cast<std::size_t>(i)] = {numbered("v", i), i * 1.5};
  const auto b = items.insert_many(fixed);
  ASSERT_EQ(b.size(), 5u);
  EXPECT_GT(b[0], a[1]);
  EXPECT_EQ(items.get_or_throw(b[4]), (Item{"v4", 6}));
  EXPECT_EQ(items.size(), 7);
}

TYPED_TEST(CollectionTest, InsertManyIsAllOrNothingOnEncodeError) {
  auto items = sqler_test::collection_of<Item>(this->db());
  items.insert({"existing", 1});
  const auto size_before = items.size();

  std::vector<Item> docs;
  for (int i = 0; i < 10000; ++i) docs.push_back({numbered("c", i), i * 0.5});
  docs[5000].weight = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(items.insert_many(docs), sqler::encode_error);

  EXPECT_EQ(items.size(), size_before);
  EXPECT_FALSE(this->in_transaction());
  // The collection is still usable, and the next batch goes in.
  docs[5000].weight = 1;
  EXPECT_EQ(items.insert_many(docs).size(), 10000u);
  EXPECT_EQ(items.size(), size_before + 10000);
  if constexpr (sqler_test::is_postgres<TypeParam>) {
    EXPECT_EQ(this->committed_rows("Item"), size_before + 10000);
  }
}

// A trigger may skip a row without an error (SQLite's RAISE(IGNORE), a PostgreSQL BEFORE trigger
// returning NULL). The id handed back must then not be another document's: insert() and
// insert_many() fail, and insert_many() writes nothing, wherever the skipped document falls
// (in a batch of 128, of 16, or among the last ones inserted one at a time).
TYPED_TEST(CollectionTest, AWriteATriggerSkippedFailsInsteadOfReportingSuccessOrAnotherId) {
  auto items = sqler_test::collection_of<Item>(this->db());
  if constexpr (sqler_test::is_postgres<TypeParam>) {
    this->db().execute(
        "CREATE FUNCTION skip_item() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.data->>'code' = 'skip' THEN RETURN NULL; END IF; RETURN NEW; END $$");
    this->db().execute(
        "CREATE TRIGGER skip_item BEFORE INSERT OR UPDATE ON \"Item\" FOR EACH ROW "
        "EXECUTE FUNCTION skip_item()");
  } else {
    for (const char* event : {"INSERT", "UPDATE"})
      this->db().execute(std::string("CREATE TRIGGER skip_") + event + " BEFORE " + event +
                         " ON \"Item\" WHEN json_extract(NEW.data, '$.code') = 'skip' "
                         "BEGIN SELECT RAISE(IGNORE); END");
  }
  const std::int64_t kept = items.insert({"kept", 1});
  try {
    const std::int64_t id = items.insert({"skip", 2});
    ADD_FAILURE() << "insert() returned id " << id << " (the document before has " << kept << ")";
  } catch (const sqler::error& e) {
    EXPECT_NE(std::string(e.what()).find("a trigger skipped it"), std::string::npos) << e.what();
    EXPECT_NE(e.sql().find("INSERT INTO \"Item\""), std::string::npos) << e.sql();
  }
  EXPECT_EQ(items.size(), 1);
  EXPECT_FALSE(this->in_transaction());

  // The writes of one document by id: the skipped write is reported as such, not as a missing
  // document (replace, update), a stale version (replace(versioned&)) or a success (upsert).
  const auto skipped = [](auto&& write) {
    try {
      write();
      return std::string("no error");
    } catch (const sqler::not_found& e) {
      return std::string("not_found: ") + e.what();
    } catch (const sqler::stale_version& e) {
      return std::string("stale_version: ") + e.what();
    } catch (const sqler::error& e) {
      return std::string(e.what()).find("a trigger skipped it") != std::string::npos
                 ? std::string("skipped")
                 : std::string(e.what());
    }
  };
  EXPECT_EQ(skipped([&] { items.replace(kept, {"skip", 3}); }), "skipped");
  EXPECT_EQ(skipped([&] { items.upsert(kept, {"skip", 3}); }), "skipped");
  EXPECT_EQ(skipped([&] { items.upsert(kept + 100, {"skip", 3}); }), "skipped");
  EXPECT_EQ(skipped([&] { items.update(kept, sqler::set(sqler::field<&Item::code>, "skip")); }),
            "skipped");
  auto v = *items.get_versioned(kept);
  v.value.code = "skip";
  EXPECT_EQ(skipped([&] { items.replace(v); }), "skipped");
  EXPECT_EQ(v.version, 1);
  EXPECT_EQ(items.get(kept), (Item{"kept", 1}));
  EXPECT_EQ(items.size(), 1);
  EXPECT_FALSE(this->in_transaction());

  // 150 documents: one batch of 128, one of 16, then 6 one at a time.
  for (std::size_t at : {std::size_t{3}, std::size_t{130}, std::size_t{147}}) {
    std::vector<Item> docs;
    for (int i = 0; i < 150; ++i) docs.push_back({numbered("c", i), 1});
    docs[at].code = "skip";
    try {
      items.insert_many(docs);
      ADD_FAILURE() << "insert_many() did not throw; skipped document " << at;
    } catch (const sqler::error& e) {
      const std::string expected = at < 144 ? "a trigger skipped 1 of the " +
                                                  std::to_string(at < 128 ? 128 : 16) +
                                                  " documents of one statement"
                                            : "a trigger skipped it";
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
    EXPECT_EQ(items.size(), 1) << "skipped document " << at;
    EXPECT_FALSE(this->in_transaction());
  }
  std::vector<Item> docs;
  for (int i = 0; i < 150; ++i) docs.push_back({numbered("c", i), 1});
  const auto ids = items.insert_many(docs);
  ASSERT_EQ(ids.size(), 150u);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_NE(ids[i], kept);
    EXPECT_EQ(items.get(ids[i]), docs[i]);
  }
}

TYPED_TEST(CollectionTest, InsertManyIsAllOrNothingOnConstraintViolation) {
  auto items = sqler_test::collection_of<Item>(this->db());
  this->db().execute(
      this->sql(R"(CREATE UNIQUE INDEX "ux_item_code" ON "Item" (json_extract(data,'$.code')))",
                R"(CREATE UNIQUE INDEX "ux_item_code" ON "Item" ((data->>'code')))"));
  items.insert({"taken", 1});
  const auto size_before = items.size();

  std::vector<Item> docs;
  for (int i = 0; i < 10000; ++i) docs.push_back({numbered("c", i), 1});
  docs[5000].code = "taken";
  try {
    items.insert_many(docs);
    FAIL() << "insert_many did not throw";
  } catch (const sqler::constraint_error& e) {
    EXPECT_EQ(e.primary_code(), SQLITE_CONSTRAINT);
    EXPECT_EQ(e.code(), SQLITE_CONSTRAINT_UNIQUE);
    EXPECT_NE(e.sql().find("INSERT INTO \"Item\""), std::string::npos) << e.sql();
  }
  EXPECT_EQ(items.size(), size_before);
  EXPECT_FALSE(this->in_transaction());
  if constexpr (sqler_test::is_postgres<TypeParam>) {
    EXPECT_EQ(this->committed_rows("Item"), 1);
  }
  const auto codes = this->db().template query<std::string>(
      this->sql("SELECT json_extract(data,'$.code') FROM \"Item\"",
                "SELECT data->>'code' FROM \"Item\""));
  ASSERT_EQ(codes.size(), 1u);
  EXPECT_EQ(std::get<0>(codes[0]), "taken");

  // A single insert hits the same index.
  EXPECT_THROW(items.insert({"taken", 2}), sqler::constraint_error);
  docs[5000].code = "free";
  EXPECT_EQ(items.insert_many(docs).size(), 10000u);
  if constexpr (sqler_test::is_postgres<TypeParam>) {
    EXPECT_EQ(this->committed_rows("Item"), 10001);
  }
}

// ---------------------------------------------------------------- stored data vs. program

TYPED_TEST(CollectionTest, InvalidJsonIsRejectedByTheTable) {
  sqler_test::collection_of<Item>(this->db());
  const std::string sql = R"(INSERT INTO "Item" (data) VALUES ('{"code": oops'))";
  const std::string bound = R"(INSERT INTO "Item" (data) VALUES ($1))";
  if constexpr (sqler_test::is_postgres<TypeParam>) {
    // The data column is jsonb: text that is not JSON does not convert to it (SQLSTATE 22P02),
    // which sqler reports as encode_error, its type for a value that does not fit its column.
    try {
      this->db().execute(sql);
      FAIL() << "invalid JSON was accepted";
    } catch (const sqler::encode_error& e) {
      EXPECT_EQ(e.sql(), sql);
      EXPECT_EQ(e.code(), sqler::result_code::mismatch);
      EXPECT_NE(e.message().find("22P02"), std::string::npos) << e.message();
    }
    try {
      this->db().execute(bound, std::string("not json"));
      FAIL() << "invalid JSON was accepted";
    } catch (const sqler::encode_error& e) {
      EXPECT_EQ(e.sql(), bound);
    }
  } else {
    // The table's CHECK (json_valid(data)) refuses it.
    try {
      this->db().execute(sql);
      FAIL() << "invalid JSON was accepted";
    } catch (const sqler::constraint_error& e) {
      EXPECT_EQ(e.sql(), sql);
      EXPECT_EQ(e.code(), SQLITE_CONSTRAINT_CHECK);
      EXPECT_NE(e.message().find("CHECK"), std::string::npos) << e.message();
    }
    // The same through a bound parameter.
    try {
      this->db().execute(bound, std::string("not json"));
      FAIL() << "invalid JSON was accepted";
    } catch (const sqler::constraint_error& e) {
      EXPECT_EQ(e.sql(), bound);
    }
  }
  EXPECT_EQ(sqler_test::collection_of<Item>(this->db()).size(), 0);
}

TYPED_TEST(CollectionTest, MismatchedStoredDocumentNamesTheMember) {
  auto users = sqler_test::collection_of<User>(this->db());
  const auto good = users.insert(make_user(1));
  this->db().execute(
      R"(INSERT INTO "User" (data) VALUES ($1))",
      R"({"name":"x","age":1,"address":{"city":42,"zip":1},"tags":[],"nickname":null})");
  const auto bad = this->newest_user_id();
  try {
    (void)users.get(bad);
    FAIL() << "decoding a mismatched document did not throw";
  } catch (const sqler::decode_error& e) {
    EXPECT_EQ(e.path(), "address.city");
    const std::string what = e.what();
    EXPECT_NE(what.find("address.city"), std::string::npos) << what;
    EXPECT_NE(what.find(std::to_string(bad)), std::string::npos) << what;  // names the row
  }
  EXPECT_THROW((void)users.get_or_throw(bad), sqler::decode_error);
  EXPECT_THROW((void)users.get_versioned(bad), sqler::decode_error);
  EXPECT_THROW(
      {
        for (const User& u : users.all()) (void)u;
      },
      sqler::decode_error);
  // The other document is unaffected, and the table still works.
  EXPECT_EQ(users.get_or_throw(good), make_user(1));
  EXPECT_TRUE(users.remove(bad));
  int n = 0;
  for (const User& u : users.all()) {
    (void)u;
    ++n;
  }
  EXPECT_EQ(n, 1);

  this->db().execute(R"(INSERT INTO "User" (data) VALUES ('{"name":"x","age":"old"}'))");
  try {
    (void)users.get(this->newest_user_id());
    FAIL() << "a document with a wrongly typed member decoded";
  } catch (const sqler::decode_error& e) {
    EXPECT_EQ(e.path(), "age");
  }
}

TYPED_TEST(CollectionTest, CollectionsOfDifferentTypesAreSeparateTables) {
  auto users = sqler_test::collection_of<User>(this->db());
  auto items = sqler_test::collection_of<Item>(this->db());
  const auto u = users.insert(make_user(1));
  const auto i = items.insert({"a", 1});
  EXPECT_EQ(u, 1);
  EXPECT_EQ(i, 1);  // each table numbers its own rows
  EXPECT_EQ(users.size(), 1);
  EXPECT_EQ(items.size(), 1);
  // Two handles of one type see the same table.
  auto users2 = sqler_test::collection_of<User>(this->db());
  EXPECT_EQ(users2.get_or_throw(u), make_user(1));
}

// ---------------------------------------------------------------- files

TEST(CollectionFile, ReopenedDatabaseSeesTheData) {
  temp_db_file file;
  std::vector<std::int64_t> ids;
  {
    auto db = sqler::database::open(file.path());
    auto users = db.collection<User>();
    for (int i = 0; i < 100; ++i) ids.push_back(users.insert(make_user(i)));
    users.remove(ids[50]);
    users.replace(ids[10], make_user(1000));
  }  // closed here
  ASSERT_TRUE(std::filesystem::exists(file.path()));
  {
    auto db = sqler::database::open(file.path());
    auto users = db.collection<User>();
    EXPECT_EQ(users.size(), 99);
    EXPECT_EQ(users.get_or_throw(ids[0]), make_user(0));
    EXPECT_EQ(users.get_or_throw(ids[99]), make_user(99));
    EXPECT_EQ(users.get_or_throw(ids[10]), make_user(1000));
    EXPECT_EQ(users.get_versioned(ids[10])->version, 2);
    EXPECT_FALSE(users.contains(ids[50]));
    // New ids continue after the old ones.
    EXPECT_GT(users.insert(make_user(5)), ids.back());
  }
}

TEST(CollectionFile, OpenFailsForAnUnusablePath) {
  EXPECT_THROW(sqler::database::open("/nonexistent-dir-sqler/x/y.db"), sqler::error);
  sqler::database_options no_create;
  no_create.create = false;
  temp_db_file file;
  EXPECT_THROW(sqler::database::open(file.path(), no_create), sqler::error);
  EXPECT_FALSE(std::filesystem::exists(file.path()));
}

}  // namespace
