// Data safety: every way sqler once lost or corrupted data silently, as a regression test.
// Ids are never reused, saving keeps what the struct does not declare, old documents stay
// readable when a member is added, a write never stores what the member cannot read back,
// objects a user holds keep their database alive, and the raw escape hatch says no clearly.
#include <gtest/gtest.h>

#include "../support/json_canon.hpp"
#include "../support/temp_db_file.hpp"

#include <atomic>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "sqler/sqler.hpp"

namespace {

using sqler_test::temp_db_file;

struct Person {
  std::string name;
  int age = 0;
};

std::string raw_data(sqler::database& db, std::string_view table, std::int64_t id) {
  auto rows = db.query<std::string>("SELECT data FROM \"" + std::string(table) +
                                        "\" WHERE _id = ?1",
                                    id);
  return rows.empty() ? std::string("<missing>") : std::get<0>(rows.front());
}

// ---------------------------------------------------------------- 1. ids are never reused

TEST(SafetyIds, DeletingTheNewestDocumentDoesNotFreeItsId) {
  auto db = sqler::database::in_memory();
  auto c = db.collection<Person>();
  c.insert({"A", 1});
  const auto b = c.insert({"B", 2});
  auto v = c.get_versioned(b);
  ASSERT_TRUE(v);
  ASSERT_TRUE(c.remove(b));
  const auto cid = c.insert({"C", 3});
  EXPECT_GT(cid, b) << "the id of a deleted document was handed out again";

  // The client still holding B must not overwrite C.
  v->value.age = 20;
  EXPECT_THROW(c.replace(*v), sqler::not_found);
  auto stored = c.get(cid);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->name, "C");
  EXPECT_EQ(stored->age, 3);
}

struct Owner {
  std::string name;
  sqler::ref<Person> pet;
};

TEST(SafetyIds, ADanglingRefNeverPointsAtANewDocument) {
  auto db = sqler::database::in_memory();
  auto people = db.collection<Person>();
  auto owners = db.collection<Owner>();
  people.insert({"old", 1});
  const auto p = people.insert({"gone", 2});
  owners.insert({"o", p});
  db.execute("DELETE FROM \"Person\" WHERE _id = ?1", p);  // raw SQL bypasses the policies
  people.insert({"new", 3});
  const auto dangling = db.validate_references();
  ASSERT_EQ(dangling.size(), 1u);
  EXPECT_EQ(dangling.front().target_id, p);
}

// A table made by sqler 0.1 (no AUTOINCREMENT), with an index, a promoted column and an FTS
// index, is upgraded on open: ids, data, versions, indexes, triggers all kept.
struct Note {
  std::string title;
  int rank = 0;
};
}  // namespace
template <>
struct sqler::promoted<Note> : sqler::columns<&Note::rank> {};
namespace {

TEST(SafetyIds, TablesOfTheFirstReleaseAreUpgradedKeepingEverything) {
  temp_db_file file;
  {
    auto db = sqler::database::open(file.path());
    db.execute(
        "CREATE TABLE \"Note\" (_id INTEGER PRIMARY KEY, _version INTEGER NOT NULL DEFAULT 1, "
        "data TEXT NOT NULL CHECK (json_valid(data)), \"rank\" INTEGER GENERATED ALWAYS AS "
        "(json_extract(data,'$.rank')) VIRTUAL)");
    for (int i = 1; i <= 5; ++i)
      db.execute("INSERT INTO \"Note\" (_id, _version, data) VALUES (?1, ?2, ?3)", i * 10, i,
                 "{\"title\":\"t" + std::to_string(i) + "\",\"rank\":" + std::to_string(i) + "}");
    db.execute("CREATE INDEX \"sqler_ix_Note__title\" ON \"Note\" (json_extract(data,'$.title'))");
  }
  auto db = sqler::database::open(file.path());
  auto notes = db.collection<Note>();
  notes.ensure_fts(sqler::field<&Note::title>);
  EXPECT_EQ(notes.size(), 5);
  EXPECT_EQ(notes.get_versioned(30)->version, 3);
  EXPECT_EQ(notes.get(50)->title, "t5");
  // The index and the FTS triggers survive.
  auto idx = db.query<std::string>(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'Note' AND name = "
      "'sqler_ix_Note__title'");
  EXPECT_EQ(idx.size(), 1u);
  EXPECT_EQ(notes.find().match("t4").count(), 1);
  ASSERT_TRUE(notes.remove(50));
  const auto id = notes.insert({"t6", 6});
  EXPECT_GT(id, 50);
  EXPECT_EQ(notes.find().match("t6").count(), 1);
  EXPECT_EQ(notes.find(sqler::field<&Note::rank> == 6).count(), 1);
  // Reopening does not rebuild again.
  auto again = sqler::database::open(file.path());
  auto notes2 = again.collection<Note>();
  EXPECT_EQ(notes2.size(), 5);
}

// A table another tool made with (_id, data) is adopted: `_version` is added, rows, ids and a
// FOREIGN KEY with ON DELETE CASCADE into it are untouched by the one-time rebuild.
TEST(SafetyIds, ATableWithoutAVersionColumnIsAdopted) {
  temp_db_file file;
  auto db = sqler::database::open(file.path());
  db.execute(
      "CREATE TABLE \"Person\" (_id INTEGER PRIMARY KEY, data TEXT NOT NULL); "
      "INSERT INTO \"Person\" VALUES (3, '{\"name\":\"x\",\"age\":1}'), "
      "(9, '{\"name\":\"y\",\"age\":2}'); "
      "CREATE TABLE pet (owner INTEGER REFERENCES \"Person\"(_id) ON DELETE CASCADE); "
      "INSERT INTO pet VALUES (3), (9)");
  auto people = db.collection<Person>();
  EXPECT_EQ(people.get_versioned(3)->version, 1);
  EXPECT_EQ(people.get(9)->name, "y");
  EXPECT_EQ(std::get<0>(db.query<std::int64_t>("SELECT count(*) FROM pet").front()), 2);
  people.remove(9);
  EXPECT_GT(people.insert({"z", 3}), 9);
}

// ---------------------------------------------------------------- 2. unknown members survive

struct Inner {
  int a = 0;
};
struct Keeper {
  int n = 0;
  Inner inner;
  std::optional<Inner> maybe;
  std::map<std::string, int> m;
  std::vector<int> arr;
};

constexpr std::string_view stored_keeper =
    R"({"n":1,"extra":5,"inner":{"a":1,"x":9},"maybe":{"a":2,"y":[1,2]},"m":{"k1":1,"k2":2},"arr":[1,2,3],"tail":{"deep":null}})";

// What a save of {n:2, inner.a:7, maybe.a:3, m:{k2:2,k3:3}, arr:[9]} must leave: declared members
// replaced wholly (the map loses k1, the array is replaced), undeclared ones kept at every level.
constexpr std::string_view expected_keeper =
    R"({"n":2,"extra":5,"inner":{"a":7,"x":9},"maybe":{"a":3,"y":[1,2]},"m":{"k2":2,"k3":3},"arr":[9],"tail":{"deep":null}})";

Keeper modified(Keeper k) {
  k.n = 2;
  k.inner.a = 7;
  k.maybe->a = 3;
  k.m.erase("k1");
  k.m["k3"] = 3;
  k.arr = {9};
  return k;
}

class SafetyUnknown : public ::testing::Test {
 protected:
  std::int64_t seed() {
    db.execute("INSERT INTO \"Keeper\" (data) VALUES (?1)", std::string(stored_keeper));
    return std::get<0>(db.query<std::int64_t>("SELECT max(_id) FROM \"Keeper\"").front());
  }
  // Compared as JSON values, whatever the order of their members.
  void expect_json(std::int64_t id, std::string_view want) {
    const std::string stored = raw_data(db, "Keeper", id);
    EXPECT_EQ(sqler_test::canonical_json(stored), sqler_test::canonical_json(want))
        << "stored: " << stored << "\nwanted: " << want;
  }
  sqler::database db = sqler::database::in_memory();
  sqler::collection<Keeper> c = db.collection<Keeper>();
};

TEST_F(SafetyUnknown, UpdateByIdKeepsUndeclaredMembers) {
  const auto id = seed();
  c.replace(id, modified(*c.get(id)));
  expect_json(id, expected_keeper);
}

TEST_F(SafetyUnknown, VersionedUpdateKeepsUndeclaredMembers) {
  const auto id = seed();
  auto v = *c.get_versioned(id);
  v.value = modified(v.value);
  c.replace(v);
  expect_json(id, expected_keeper);
}

TEST_F(SafetyUnknown, UpsertKeepsUndeclaredMembers) {
  const auto id = seed();
  c.upsert(id, modified(*c.get(id)));
  expect_json(id, expected_keeper);
  // An upsert that inserts stores exactly the struct.
  c.upsert(id + 100, Keeper{4, {5}, std::nullopt, {}, {}});
  expect_json(id + 100, R"({"n":4,"inner":{"a":5},"maybe":null,"m":{},"arr":[]})");
}

TEST_F(SafetyUnknown, ANullOrMissingNestedObjectIsReplacedWhole) {
  db.execute("INSERT INTO \"Keeper\" (data) VALUES (?1)",
             std::string(R"({"n":1,"inner":{"a":1,"x":9},"maybe":{"a":2,"z":1},"m":{},"arr":[],"u":1})"));
  const auto id = std::get<0>(db.query<std::int64_t>("SELECT max(_id) FROM \"Keeper\"").front());
  auto k = *c.get(id);
  k.maybe.reset();  // the optional sub-document goes away, unknown keys and all
  c.replace(id, k);
  expect_json(id, R"({"n":1,"inner":{"a":1,"x":9},"maybe":null,"m":{},"arr":[],"u":1})");
}

// ---------------------------------------------------------------- 3. documents evolve

struct JobV1 {
  std::string name;
};
struct JobV2 {
  static constexpr std::string_view sqler_table = "Job";
  std::string name;
  int retries = 3;
  std::string nickname;
  Inner inner{42};
  std::optional<int> limit;
};

TEST(SafetyEvolve, AMissingMemberTakesItsDefaultInitializer) {
  auto db = sqler::database::in_memory();
  db.execute(
      "CREATE TABLE \"Job\" (_id INTEGER PRIMARY KEY AUTOINCREMENT, _version INTEGER NOT NULL "
      "DEFAULT 1, data TEXT NOT NULL)");
  db.execute("INSERT INTO \"Job\" (data) VALUES ('{\"name\":\"a\"}')");
  db.execute("INSERT INTO \"Job\" (data) VALUES ('{\"name\":\"b\",\"retries\":7,\"nickname\":\"bee\",\"inner\":{}}')");
  db.execute("INSERT INTO \"Job\" (data) VALUES ('{\"name\":\"c\"}')");
  auto jobs = db.collection<JobV2>();
  auto all = jobs.find().order_by(sqler::doc_id.asc()).all();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].retries, 3);
  EXPECT_EQ(all[0].nickname, "");
  EXPECT_EQ(all[0].inner.a, 42);
  EXPECT_FALSE(all[0].limit);
  EXPECT_EQ(all[1].retries, 7);
  EXPECT_EQ(all[1].inner.a, 0);  // present but empty: Inner's own default
  // Streaming decodes every row into one object: row c must not inherit row b's values.
  std::vector<JobV2> streamed;
  for (const JobV2& j : jobs.find().order_by(sqler::doc_id.asc())) streamed.push_back(j);
  ASSERT_EQ(streamed.size(), 3u);
  EXPECT_EQ(streamed[2].retries, 3);
  EXPECT_EQ(streamed[2].nickname, "");
  EXPECT_EQ(streamed[2].inner.a, 42);
  EXPECT_EQ(sqler::from_json<JobV2>(R"({"name":"x"})").retries, 3);
}

struct StrictJob {
  static constexpr bool sqler_strict = true;
  std::string name;
  int retries = 3;
};

TEST(SafetyEvolve, AStrictTypeStillRequiresEveryMember) {
  try {
    (void)sqler::from_json<StrictJob>(R"({"name":"x"})");
    FAIL() << "expected decode_error";
  } catch (const sqler::decode_error& e) {
    EXPECT_EQ(e.path(), "retries");
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos);
  }
}

// ---------------------------------------------------------------- 4. migrations

struct Contact {
  std::string name;
  std::string nickname;
  int retries = 0;
};

std::string contact_data(sqler::database& db, std::int64_t id) { return raw_data(db, "Contact", id); }

TEST(SafetyMigrate, StepsRunOnceInOrderWithDocumentHelpers) {
  temp_db_file file;
  auto db = sqler::database::open(file.path());
  db.execute("CREATE TABLE \"Contact\" (_id INTEGER PRIMARY KEY AUTOINCREMENT, _version "
             "INTEGER NOT NULL DEFAULT 1, data TEXT NOT NULL)");
  db.execute("INSERT INTO \"Contact\" (data) VALUES ('{\"name\":\"a\",\"nick\":\"al\","
             "\"legacy\":1}'), ('{\"name\":\"b\",\"retries\":7}')");
  std::vector<std::string> ran;
  const std::vector<sqler::migration> steps{
      {1, "rename nick", [&](sqler::migration_context& m) {
         ran.push_back("1");
         EXPECT_EQ(m.rename_member<Contact>("nick", "nickname"), 1);
       }},
      {2, "default retries", [&](sqler::migration_context& m) {
         ran.push_back("2");
         EXPECT_EQ(m.set_default<Contact>("retries", 3), 1);  // b keeps its 7
       }},
      {5, "drop legacy", [&](sqler::migration_context& m) {
         ran.push_back("5");
         EXPECT_EQ(m.remove_member<Contact>("legacy"), 1);
         m.execute("UPDATE \"Contact\" SET data = json_set(data, '$.name', upper(data ->> "
                   "'$.name'))");
       }},
  };
  EXPECT_EQ(db.schema_version(), 0);
  EXPECT_EQ(db.migrate(steps), 3);
  EXPECT_EQ(db.schema_version(), 5);
  EXPECT_EQ((std::vector<std::string>{"1", "2", "5"}), ran);
  auto contacts = db.collection<Contact>();
  auto all = contacts.find().order_by(sqler::doc_id.asc()).all_versioned();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].value.name, "A");
  EXPECT_EQ(all[0].value.nickname, "al");
  EXPECT_EQ(all[0].value.retries, 3);
  EXPECT_EQ(all[0].version, 4);  // rename, default, remove (raw SQL does not bump): 1 + 3
  EXPECT_EQ(all[1].value.retries, 7);
  EXPECT_EQ(contact_data(db, all[0].id).find("legacy"), std::string::npos);
  // Running again does nothing; a later program adds a step.
  ran.clear();
  EXPECT_EQ(db.migrate(steps), 0);
  EXPECT_TRUE(ran.empty());
  auto more = steps;
  more.push_back({6, "noop", [&](sqler::migration_context&) { ran.push_back("6"); }});
  auto again = sqler::database::open(file.path());
  EXPECT_EQ(again.migrate(more), 1);
  EXPECT_EQ((std::vector<std::string>{"6"}), ran);
}

TEST(SafetyMigrate, AFailedStepRollsBackAndKeepsTheVersion) {
  auto db = sqler::database::in_memory();
  auto contacts = db.collection<Contact>();
  const auto id = contacts.insert({"a", "", 1});
  const std::string before = contact_data(db, id);
  const std::vector<sqler::migration> steps{
      {1, "ok", [](sqler::migration_context& m) { m.set_default<Contact>("extra", 1); }},
      {2, "fails halfway", [](sqler::migration_context& m) {
         m.rename_member<Contact>("name", "full_name");
         m.execute("SELECT no_such_function()");
       }},
  };
  EXPECT_THROW(db.migrate(steps), sqler::error);
  EXPECT_EQ(db.schema_version(), 1);
  EXPECT_NE(contact_data(db, id).find("\"name\""), std::string::npos) << "step 2 was not undone";
  EXPECT_NE(contact_data(db, id).find("\"extra\""), std::string::npos) << "step 1 was undone";
  (void)before;
}

TEST(SafetyMigrate, AStepThatChangedNameOrOrderIsRefused) {
  auto db = sqler::database::in_memory();
  db.migrate({{1, "first", {}}});
  EXPECT_THROW(db.migrate({{1, "renamed", {}}}), sqler::schema_error);
  EXPECT_THROW(db.migrate({{3, "a", {}}, {2, "b", {}}}), sqler::usage_error);
  EXPECT_THROW(db.migrate({{1, "first", {}}, {2, "x", [](sqler::migration_context& m) {
                                               m.rename_member("T", "a..b", "c");
                                             }}}),
               sqler::usage_error);
  EXPECT_EQ(db.schema_version(), 1);
}

// ---------------------------------------------------------------- 5. writes that cannot be read

struct Counters {
  int small = 0;
  std::int64_t big = 0;
  std::uint64_t huge = 0;
  double real = 0;
  float single = 0;
  unsigned char byte = 0;
};

class SafetyRange : public ::testing::Test {
 protected:
  sqler::database db = sqler::database::in_memory();
  sqler::collection<Counters> c = db.collection<Counters>();
  static constexpr auto small = sqler::field<&Counters::small>;
  static constexpr auto big = sqler::field<&Counters::big>;
  static constexpr auto huge = sqler::field<&Counters::huge>;
  static constexpr auto real = sqler::field<&Counters::real>;
  static constexpr auto single = sqler::field<&Counters::single>;
  static constexpr auto byte = sqler::field<&Counters::byte>;

  template <class F>
  void expect_refused(std::int64_t id, F&& write) {
    const std::string before = raw_data(db, "Counters", id);
    const auto version = c.get_versioned(id)->version;
    try {
      write();
      ADD_FAILURE() << "the write was accepted; stored now: " << raw_data(db, "Counters", id);
    } catch (const sqler::encode_error& e) {
      EXPECT_NE(std::string(e.what()).find("out of range"), std::string::npos) << e.what();
    }
    EXPECT_EQ(raw_data(db, "Counters", id), before);
    EXPECT_EQ(c.get_versioned(id)->version, version);
    EXPECT_NO_THROW(c.find().all());
  }
};

TEST_F(SafetyRange, IncOverflowingAnIntIsRefused) {
  const auto id = c.insert({INT_MAX, 0, 0, 0, 0, 0});
  expect_refused(id, [&] { c.update(id, sqler::inc(small, 1)); });
  const auto low = c.insert({INT_MIN, 0, 0, 0, 0, 0});
  expect_refused(low, [&] { c.update(low, sqler::inc(small, -1)); });
  const auto b = c.insert({0, 0, 0, 0, 0, 255});
  expect_refused(b, [&] { c.update(b, sqler::inc(byte, 1)); });
  expect_refused(b, [&] { c.update(b, sqler::set(byte, byte + 1)); });
  c.update(b, sqler::inc(byte, -5));  // in range: fine
  EXPECT_EQ(c.get(b)->byte, 250);
}

TEST_F(SafetyRange, Int64OverflowIsRefusedNotTurnedIntoAReal) {
  const auto id = c.insert({0, INT64_MAX, 0, 0, 0, 0});
  expect_refused(id, [&] { c.update(id, sqler::inc(big, 1)); });
  expect_refused(id, [&] { c.update(id, sqler::set(big, big * 2)); });
}

TEST_F(SafetyRange, ArithmeticOnAUint64AboveInt64MaxIsRefused) {
  const auto id = c.insert({0, 0, std::uint64_t(INT64_MAX) + 10, 0, 0, 0});
  expect_refused(id, [&] { c.update(id, sqler::inc(huge, 1)); });
  const auto low = c.insert({0, 0, 0, 0, 0, 0});
  expect_refused(low, [&] { c.update(low, sqler::inc(huge, -1)); });
  c.update(low, sqler::inc(huge, 5));
  EXPECT_EQ(c.get(low)->huge, 5u);
}

TEST_F(SafetyRange, NanIsRefusedBeforeBinding) {
  const auto id = c.insert({0, 0, 0, 1.5, 0, 0});
  expect_refused(id, [&] { c.update(id, sqler::inc(real, std::nan(""))); });
  expect_refused(id, [&] {
    c.update(id, sqler::inc(real, std::numeric_limits<double>::infinity()));
  });
  const auto m = c.insert({0, 0, 0, 1e308, 0, 0});
  expect_refused(m, [&] { c.update(m, sqler::set(real, real * 10)); });
  const auto f = c.insert({0, 0, 0, 0, 3e38f, 0});
  expect_refused(f, [&] { c.update(f, sqler::inc(single, 1e38)); });
}

TEST_F(SafetyRange, UpdateByQueryIsAllOrNothing) {
  c.insert({1, 0, 0, 0, 0, 0});
  const auto id = c.insert({INT_MAX, 0, 0, 0, 0, 0});
  c.insert({2, 0, 0, 0, 0, 0});
  EXPECT_THROW(c.find(small > 0).update(sqler::inc(small, 1)), sqler::encode_error);
  auto values = c.find().order_by(sqler::doc_id.asc()).all();
  ASSERT_EQ(values.size(), 3u);
  EXPECT_EQ(values[0].small, 1);
  EXPECT_EQ(values[1].small, INT_MAX);
  EXPECT_EQ(values[2].small, 2);
  (void)id;
}

TEST_F(SafetyRange, DoubleArithmeticIsExact) {
  const auto id = c.insert({0, 0, 0, 0.2, 0, 0});
  c.update(id, sqler::inc(real, 0.1));
  EXPECT_EQ(c.get(id)->real, 0.2 + 0.1);  // 0.30000000000000004, not 0.3
  c.update(id, sqler::set(real, real * 3));
  EXPECT_EQ(c.get(id)->real, (0.2 + 0.1) * 3);
  // Stored operands go through SQLite's number parser and back: bit for bit, random doubles.
  std::mt19937_64 rng(7);
  auto tx = db.transaction();
  for (int i = 0; i < 5000; ++i) {
    double d = 0;
    do {
      const std::uint64_t bits = rng();
      std::memcpy(&d, &bits, sizeof d);
    } while (!std::isfinite(d));
    const auto r = c.insert({0, 0, 0, d, 0, 0});
    c.update(r, sqler::inc(real, 0.0));
    const double back = c.get(r)->real;
    ASSERT_EQ(std::memcmp(&back, &d, sizeof d) == 0 || (d == 0 && back == 0), true)
        << d << " came back as " << back;
  }
  tx.commit();
}

// ---------------------------------------------------------------- 7. lifetimes

struct D {
  int n = 0;
};

TEST(SafetyLifetime, AQueryKeepsItsDatabaseAlive) {
  constexpr auto n = sqler::field<&D::n>;
  std::optional<decltype(std::declval<sqler::collection<D>&>().find(n > 0))> q;
  std::optional<sqler::collection<D>> coll;
  {
    auto db = sqler::database::in_memory();
    auto c = db.collection<D>();
    c.insert({1});
    c.insert({2});
    q.emplace(c.find(n > 0));
    coll.emplace(c);
  }
  EXPECT_EQ(q->count(), 2);
  EXPECT_EQ(coll->size(), 2);
  int seen = 0;
  for (const D& d : *q) seen += d.n;
  EXPECT_EQ(seen, 3);
}

// ---------------------------------------------------------------- 8. in-memory from threads

TEST(SafetyThreads, InMemoryDatabaseIsSafeFromManyThreads) {
  auto db = sqler::database::in_memory();
  auto c = db.collection<Person>();
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < 250; ++i) {
          const auto id = c.insert({"t" + std::to_string(t), i});
          auto back = c.get(id);
          if (!back || back->age != i || back->name != "t" + std::to_string(t)) ++errors;
        }
      } catch (const std::exception& e) {
        ++errors;
        ADD_FAILURE() << e.what();
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(c.size(), 1000);
  EXPECT_EQ(c.find().ids().size(), 1000u);
}

// ---------------------------------------------------------------- 9. the raw escape hatch

TEST(SafetyRaw, ExecuteWithParametersRunsOneStatementOnly) {
  auto db = sqler::database::in_memory();
  db.execute("CREATE TABLE t (x INTEGER)");
  EXPECT_THROW(db.execute("INSERT INTO t VALUES (?1); INSERT INTO t VALUES (2)", 1),
               sqler::usage_error);
  EXPECT_EQ(std::get<0>(db.query<std::int64_t>("SELECT count(*) FROM t").front()), 0);
  // Trailing blanks, semicolons and comments are fine.
  db.execute("INSERT INTO t VALUES (?1);  -- one row\n", 1);
  // Without parameters the text is a script: every statement runs.
  db.execute("INSERT INTO t VALUES (2); INSERT INTO t VALUES (3)");
  EXPECT_EQ(std::get<0>(db.query<std::int64_t>("SELECT count(*) FROM t").front()), 3);
}

TEST(SafetyRaw, QueryRefusesWritesAndTrailingStatements) {
  auto db = sqler::database::in_memory();
  db.execute("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)");
  EXPECT_THROW(db.query<std::int64_t>("SELECT x FROM t; DELETE FROM t"), sqler::usage_error);
  EXPECT_THROW(db.query<std::int64_t>("DELETE FROM t RETURNING x"), sqler::usage_error);
  EXPECT_THROW(db.query<std::int64_t>("INSERT INTO t VALUES (5) RETURNING x"), sqler::usage_error);
  EXPECT_THROW(db.query<std::int64_t>("DROP TABLE t"), sqler::usage_error);
  EXPECT_EQ(std::get<0>(db.query<std::int64_t>("SELECT count(*) FROM t").front()), 1);
}

// ---------------------------------------------------------------- 10. smaller ones

TEST(SafetySmall, AnOutOfRangeDeletePolicyIsRejected) {
  auto db = sqler::database::in_memory();
  auto people = db.collection<Person>();
  auto owners = db.collection<Owner>();
  const auto p = people.insert({"p", 1});
  owners.insert({"o", p});
  EXPECT_THROW(people.remove(p, static_cast<sqler::on_referenced>(42)), sqler::usage_error);
  EXPECT_TRUE(people.contains(p));
  EXPECT_THROW(people.find().remove(static_cast<sqler::on_referenced>(42)), sqler::usage_error);
  EXPECT_TRUE(people.contains(p));
}

// A writer that first waits in its database's queue, then for SQLite's lock held by another
// handle (another process, in effect), still gives up after busy_timeout_ms in all.
TEST(SafetySmall, BusyTimeoutIsTheTotalWait) {
  temp_db_file file;
  sqler::database_options o;
  o.busy_timeout_ms = 400;
  auto other = sqler::database::open(file.path());
  auto db = sqler::database::open(file.path(), o);
  auto c = db.collection<Person>();
  auto oc = other.collection<Person>();
  std::atomic<bool> holding{false}, done{false};
  std::thread holder([&] {
    auto tx = other.transaction();
    oc.insert({"holder", 1});
    holding = true;
    while (!done) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    tx.commit();
  });
  while (!holding) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::thread first([&] { EXPECT_THROW(c.insert({"first", 2}), sqler::busy_error); });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(c.insert({"second", 3}), sqler::busy_error);
  const auto waited = std::chrono::steady_clock::now() - start;
  first.join();
  done = true;
  holder.join();
  EXPECT_LT(waited, std::chrono::milliseconds(550)) << "the queue and SQLite both waited";
}

// Threads that used the database and ended leave no connection behind.
TEST(SafetySmall, ConnectionsOfExitedThreadsAreClosed) {
  temp_db_file file;
  auto db = sqler::database::open(file.path());
  auto c = db.collection<Person>();
  for (int round = 0; round < 3; ++round) {
    std::atomic<int> arrived{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
      threads.emplace_back([&, i] {
        c.insert({"x", i});
        ++arrived;
        while (arrived < 8) std::this_thread::yield();  // all alive at once: distinct ids
      });
    for (auto& t : threads) t.join();
  }
  EXPECT_EQ(c.size(), 24);
  EXPECT_LE(db.connection_count(), 1u);
}

TEST(SafetySmall, ANullDataColumnSaysWhatItIs) {
  auto db = sqler::database::in_memory();
  db.execute("CREATE TABLE \"Person\" (_id INTEGER PRIMARY KEY AUTOINCREMENT, _version INTEGER "
             "NOT NULL DEFAULT 1, data TEXT)");
  db.execute("INSERT INTO \"Person\" (data) VALUES (NULL)");
  auto c = db.collection<Person>();
  try {
    (void)c.get(1);
    FAIL() << "expected decode_error";
  } catch (const sqler::decode_error& e) {
    EXPECT_NE(std::string(e.what()).find("NULL"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("_id 1"), std::string::npos) << e.what();
  }
}

}  // namespace
