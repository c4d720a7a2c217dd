// collection::upsert_many: many (id, document) pairs inserted or replaced in one transaction,
// in statements of up to 256 rows, reporting per id whether it was inserted; all or nothing,
// undeclared members kept, ids never reused.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "../support/backends.hpp"
#include "../support/json_canon.hpp"

namespace {

struct Item {
  std::string name;
  int qty = 0;
  bool operator==(const Item&) const = default;
};

constexpr auto name = sqler::field<&Item::name>;
constexpr auto qty = sqler::field<&Item::qty>;

using entry = std::pair<std::int64_t, Item>;

// (id, Item) pairs made on the fly: each element is a temporary, and the range is iterable
// only when not const.
struct generated {
  int from = 0, to = 0;
  struct iterator {
    int i = 0;
    std::pair<int, Item> operator*() const { return {i, Item{"gen" + std::to_string(i), i}}; }
    iterator& operator++() {
      ++i;
      return *this;
    }
    bool operator==(const iterator&) const = default;
  };
  iterator begin() { return {from}; }
  iterator end() { return {to}; }
};

template <class B>
class UpsertMany : public sqler_test::on_backend<B> {
 protected:
  void SetUp() override {
    sqler_test::on_backend<B>::SetUp();
    if (!this->IsSkipped()) items_.emplace(sqler_test::collection_of<Item>(this->db()));
  }

  auto& items() { return *items_; }

  std::int64_t version_of(std::int64_t id) {
    auto v = items().get_versioned(id);
    return v ? v->version : 0;
  }

  // The stored document, in one canonical form (jsonb normalises spacing and key order).
  std::string raw_data(std::int64_t id) {
    auto rows = this->db().template query<std::string>(
        "SELECT CAST(data AS text) FROM \"Item\" WHERE _id = $1", id);
    return rows.empty() ? std::string() : sqler_test::canonical_json(std::get<0>(rows[0]));
  }

  // The id high-water mark: SQLite's AUTOINCREMENT sequence, PostgreSQL's identity.
  std::int64_t sequence() {
    auto rows = this->db().template query<std::int64_t>(this->sql(
        "SELECT seq FROM sqlite_sequence WHERE name = 'Item'",
        "SELECT last_value FROM pg_sequences WHERE schemaname = current_schema() AND "
        "sequencename = 'Item__id_seq'"));
    return rows.empty() ? 0 : std::get<0>(rows[0]);
  }

 private:
  std::optional<sqler::collection<Item, typename B::backend>> items_;
};
TYPED_TEST_SUITE(UpsertMany, sqler_test::backends, sqler_test::backend_names);

TYPED_TEST(UpsertMany, MixesInsertsAndReplacementsAndSaysWhichInInputOrder) {
  const auto a = this->items().insert({"a", 1});
  const auto b = this->items().insert({"b", 2});
  const std::vector<entry> batch = {
      {b, {"b2", 20}}, {1000, {"new1000", 7}}, {a, {"a2", 10}}, {999, {"new999", 8}}};

  const auto results = this->items().upsert_many(batch);

  const std::vector<sqler::upsert_result> want = {
      {b, false}, {1000, true}, {a, false}, {999, true}};
  EXPECT_EQ(results, want);
  EXPECT_EQ(this->items().get(a), (Item{"a2", 10}));
  EXPECT_EQ(this->items().get(b), (Item{"b2", 20}));
  EXPECT_EQ(this->items().get(1000), (Item{"new1000", 7}));
  EXPECT_EQ(this->items().get(999), (Item{"new999", 8}));
  EXPECT_EQ(this->items().size(), 4);
  // A replacement bumps the version; an insert starts at 1.
  EXPECT_EQ(this->version_of(a), 2);
  EXPECT_EQ(this->version_of(b), 2);
  EXPECT_EQ(this->version_of(1000), 1);

  // Again: now every id exists.
  const auto again = this->items().upsert_many(batch);
  for (const auto& r : again) EXPECT_FALSE(r.inserted) << r.id;
  EXPECT_EQ(this->version_of(1000), 2);
  EXPECT_EQ(this->version_of(a), 3);
}

// 256 + 256 + 5 * 16 + 7 rows: both cached statement sizes and the one-row rest, each result
// matched back to its id wherever it sits.
TYPED_TEST(UpsertMany, ResultsStayInInputOrderAcrossStatements) {
  std::vector<Item> seed;
  for (int i = 0; i < 300; ++i) seed.push_back({"seed" + std::to_string(i), i});
  const auto existing = this->items().insert_many(seed);

  std::vector<entry> batch;
  std::map<std::int64_t, bool> inserted;
  std::mt19937 rng(7);
  std::vector<std::int64_t> ids = existing;
  for (std::int64_t n = 0; n < 299; ++n) ids.push_back(5000 + n * 3);
  std::shuffle(ids.begin(), ids.end(), rng);
  for (std::int64_t id : ids) {
    batch.push_back({id, {"v" + std::to_string(id), static_cast<int>(id % 97)}});
    inserted[id] = id >= 5000;
  }
  ASSERT_EQ(batch.size(), 599u);

  std::vector<std::string> statements;
  const auto hook = this->db().on_query([&](const sqler::query_event& ev) {
    if (std::string_view(ev.sql).starts_with(
            TestFixture::sql("INSERT INTO \"Item\" (_id, data) VALUES",
                             "INSERT INTO \"Item\" AS t (_id, data) VALUES")))
      statements.emplace_back(ev.sql);
  });
  const auto results = this->items().upsert_many(batch);
  this->db().remove_query_hook(hook);

  ASSERT_EQ(results.size(), batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(results[i].id, batch[i].first) << i;
    EXPECT_EQ(results[i].inserted, inserted[batch[i].first]) << i;
  }
  for (const auto& [id, doc] : batch) EXPECT_EQ(this->items().get(id), doc) << id;
  EXPECT_EQ(this->items().size(), 599);
  // Two statements of 256 rows, five of 16, seven of one.
  ASSERT_EQ(statements.size(), 2u + 5u + 7u);
  EXPECT_NE(statements[0].find(this->sql("(?511, ?512) ON CONFLICT",
                                         "$511::bigint), $512::jsonb) ON CONFLICT")),
            std::string::npos);
  EXPECT_NE(statements[2].find(this->sql("(?31, ?32) ON CONFLICT",
                                         "$31::bigint), $32::jsonb) ON CONFLICT")),
            std::string::npos);
  EXPECT_EQ(statements[13],
            this->sql("INSERT INTO \"Item\" (_id, data) VALUES (?1, ?2) ON CONFLICT (_id) DO "
                      "UPDATE SET data = sqler_merge(data, excluded.data, ?3), _version = "
                      "_version + 1 RETURNING _id, _version",
                      "INSERT INTO \"Item\" AS t (_id, data) VALUES (sqler_claim_id('\"Item\"', "
                      "$1::bigint), $2::jsonb) ON CONFLICT (_id) DO UPDATE SET data = "
                      "sqler_merge(t.data, excluded.data, $3::jsonb), _version = t._version + 1 "
                      "RETURNING _id, _version"));
}

TYPED_TEST(UpsertMany, AllOrNothingWhenOneDocumentFails) {
  this->items().ensure_unique_index(name);
  std::vector<Item> seed;
  for (int i = 0; i < 10; ++i) seed.push_back({"n" + std::to_string(i), i});
  const auto ids = this->items().insert_many(seed);

  std::vector<entry> batch;
  for (int i = 0; i < 400; ++i) batch.push_back({10000 + i, {"fresh" + std::to_string(i), i}});
  batch.push_back({ids[0], {"changed", 0}});
  batch.push_back({20000, {"n5", 0}});  // the 402nd row collides with a stored name
  EXPECT_THROW(this->items().upsert_many(batch), sqler::constraint_error);

  EXPECT_EQ(this->items().size(), 10);
  EXPECT_EQ(this->items().get(ids[0]), seed[0]);
  EXPECT_EQ(this->version_of(ids[0]), 1);
  EXPECT_FALSE(this->items().contains(10000));
  // The connection is usable and the next batch goes in.
  batch.pop_back();
  EXPECT_EQ(this->items().upsert_many(batch).size(), 401u);
  EXPECT_EQ(this->items().size(), 410);
}

// A trigger can skip an insert or an update without an error (SQLite's RAISE(IGNORE), a
// PostgreSQL BEFORE trigger returning NULL). upsert_many() must not then report the document as
// written (as "updated"): it fails and writes nothing, in a batch of 16 or one at a time.
TYPED_TEST(UpsertMany, ADocumentATriggerSkippedFailsTheCall) {
  if constexpr (sqler_test::is_postgres<TypeParam>) {
    this->db().execute(
        "CREATE FUNCTION skip_item() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.data->>'name' = 'skip' THEN RETURN NULL; END IF; RETURN NEW; END $$");
    this->db().execute(
        "CREATE TRIGGER skip_item BEFORE INSERT OR UPDATE ON \"Item\" FOR EACH ROW "
        "EXECUTE FUNCTION skip_item()");
  } else {
    for (const char* event : {"INSERT", "UPDATE"})
      this->db().execute(std::string("CREATE TRIGGER skip_") + event + " BEFORE " + event +
                         " ON \"Item\" WHEN json_extract(NEW.data, '$.name') = 'skip' "
                         "BEGIN SELECT RAISE(IGNORE); END");
  }
  const std::int64_t kept = this->items().insert({"kept", 1});
  // 20 entries: a statement of 16, then 4 one at a time. The skipped one is new (insert) or
  // the stored document (update).
  for (std::size_t at : {std::size_t{2}, std::size_t{18}}) {
    for (bool update : {false, true}) {
      std::vector<entry> batch;
      for (int i = 0; i < 20; ++i) batch.push_back({100 + i, {"n" + std::to_string(i), i}});
      batch[at] = {update ? kept : 100 + static_cast<std::int64_t>(at), {"skip", 0}};
      EXPECT_THROW(this->items().upsert_many(batch), sqler::error)
          << "entry " << at << (update ? " (update)" : " (insert)");
      EXPECT_EQ(this->items().size(), 1);
      EXPECT_EQ(this->items().get(kept), (Item{"kept", 1}));
      EXPECT_EQ(this->version_of(kept), 1);
    }
  }
}

TYPED_TEST(UpsertMany, AnIdGivenTwiceIsAUsageErrorAndNothingIsWritten) {
  const auto a = this->items().insert({"a", 1});
  // Within one statement, and 300 rows apart (two statements).
  std::vector<entry> near = {{a, {"x", 1}}, {50, {"y", 2}}, {a, {"z", 3}}};
  try {
    this->items().upsert_many(near);
    ADD_FAILURE() << "no error";
  } catch (const sqler::usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("id " + std::to_string(a) + " is given more than once"),
              std::string::npos)
        << e.what();
  }
  std::vector<entry> far;
  for (int i = 0; i < 300; ++i) far.push_back({100 + i, {"f", i}});
  far.push_back({100, {"again", 0}});
  EXPECT_THROW(this->items().upsert_many(far), sqler::usage_error);

  EXPECT_EQ(this->items().size(), 1);
  EXPECT_EQ(this->items().get(a), (Item{"a", 1}));
  EXPECT_EQ(this->version_of(a), 1);
}

TYPED_TEST(UpsertMany, ReplacementsKeepMembersTheStructDoesNotDeclare) {
  this->db().execute("INSERT INTO \"Item\" (_id, data) VALUES (7, $1)",
             std::string(R"({"name":"old","qty":1,"colour":"red","extra":{"k":[1,2]}})"));
  const auto r = this->items().upsert_many(std::vector<entry>{{7, {"new", 2}}, {8, {"eight", 8}}});
  EXPECT_EQ(r, (std::vector<sqler::upsert_result>{{7, false}, {8, true}}));
  EXPECT_EQ(this->raw_data(7),
            sqler_test::canonical_json(R"({"name":"new","qty":2,"colour":"red","extra":{"k":[1,2]}})"));
  EXPECT_EQ(this->raw_data(8), sqler_test::canonical_json(R"({"name":"eight","qty":8})"));
}

TYPED_TEST(UpsertMany, ExplicitIdsMoveTheSequenceSoIdsAreNeverReused) {
  this->items().insert({"first", 1});
  this->items().upsert_many(std::vector<entry>{{700, {"x", 1}}, {500, {"y", 2}}});
  EXPECT_EQ(this->sequence(), 700);
  const auto next = this->items().insert({"next", 3});
  EXPECT_GT(next, 700);

  // Removing the newest does not free its id.
  this->items().remove(next);
  const auto after = this->items().insert({"after", 4});
  EXPECT_GT(after, next);
  // An id below the sequence is a plain insert and leaves the sequence where it is.
  const auto r = this->items().upsert_many(std::vector<entry>{{next, {"revived", 5}}});
  EXPECT_TRUE(r[0].inserted);
  EXPECT_EQ(this->sequence(), after);
}

TYPED_TEST(UpsertMany, TakesMapsVersionedDocumentsAndLazyViews) {
  std::map<std::int64_t, Item> by_id = {{3, {"three", 3}}, {1, {"one", 1}}};
  EXPECT_EQ(this->items().upsert_many(by_id),
            (std::vector<sqler::upsert_result>{{1, true}, {3, true}}));

  // versioned<T>: id and value; the version is not checked (this is an upsert).
  auto v = *this->items().get_versioned(1);
  v.value.qty = 11;
  v.version = 42;
  std::vector<sqler::versioned<Item>> docs = {v, {9, 0, {"nine", 9}}};
  EXPECT_EQ(this->items().upsert_many(docs), (std::vector<sqler::upsert_result>{{1, false}, {9, true}}));
  EXPECT_EQ(this->items().get(1)->qty, 11);

  // A range whose elements are temporaries (each is encoded while it lives), with int ids,
  // iterable only when not const (as std::views::filter): taken by forwarding reference.
  EXPECT_EQ(this->items().upsert_many(generated{20, 23}),
            (std::vector<sqler::upsert_result>{{20, true}, {21, true}, {22, true}}));
  EXPECT_EQ(this->items().get(21), (Item{"gen21", 21}));
  generated more{30, 31};
  EXPECT_EQ(this->items().upsert_many(more), (std::vector<sqler::upsert_result>{{30, true}}));

  EXPECT_TRUE(this->items().upsert_many(std::vector<entry>{}).empty());
  EXPECT_EQ(this->items().size(), 7);
}

TYPED_TEST(UpsertMany, JoinsTheCallersTransaction) {
  {
    auto tx = this->db().transaction();
    this->items().upsert_many(std::vector<entry>{{1, {"a", 1}}, {2, {"b", 2}}});
    EXPECT_EQ(this->items().size(), 2);
  }  // rolled back
  EXPECT_EQ(this->items().size(), 0);

  auto tx = this->db().transaction();
  this->items().insert({"kept", 0});
  EXPECT_THROW(this->items().upsert_many(std::vector<entry>{{5, {"a", 1}}, {5, {"b", 2}}}),
               sqler::usage_error);
  this->items().upsert_many(std::vector<entry>{{6, {"c", 3}}});
  tx.commit();
  EXPECT_EQ(this->items().size(), 2);  // the failed call took only its own writes back
  EXPECT_FALSE(this->items().contains(5));
}

TYPED_TEST(UpsertMany, QueriesAndIndexesSeeTheWrites) {
  this->items().ensure_index(qty);
  std::vector<entry> batch;
  for (int i = 0; i < 40; ++i) batch.push_back({i + 1, {"q", i % 4}});
  this->items().upsert_many(batch);
  EXPECT_EQ(this->items().find(qty == 3).count(), 10);
  for (auto& [id, doc] : batch) doc.qty = 9;
  this->items().upsert_many(batch);
  EXPECT_EQ(this->items().find(qty == 3).count(), 0);
  EXPECT_EQ(this->items().find(qty == 9).count(), 40);
}

}  // namespace
