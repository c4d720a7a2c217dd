// bench/bench_write.cpp - write cases: bulk insert in one transaction, update one document by
// id. The overhead and SQLiteCpp twins encode with sqler::encode into a reused buffer and bind it
// as static text; the hand-written twins (bench_handwritten.cpp) use Boost.JSON.
#include <algorithm>

#include "bench_common.hpp"
#include "bench_handwritten.hpp"

namespace bench {
namespace {

constexpr std::string_view insert_sql = "INSERT INTO \"Doc\" (data) VALUES (?1)";
constexpr std::string_view update_sql =
    "UPDATE \"Doc\" SET data = ?1, _version = _version + 1 WHERE _id = ?2";
constexpr const char* clear_sql = "DELETE FROM \"Doc\"";
static_assert(insert_sql == sqler::detail::insert_shape<sqler::detail::sqlite_dialect, Doc>::sql);
// insert_many writes 128 documents per statement, then 16, then 1 (collection.hpp); the
// overhead and SQLiteCpp twins run the same statements.
constexpr std::size_t batch_big = 128, batch_mid = 16;
constexpr auto insert_big = sqler::detail::sqlite_dialect::insert_many<Doc, batch_big>();
constexpr auto insert_mid = sqler::detail::sqlite_dialect::insert_many<Doc, batch_mid>();

// Encodes data[first, first + rows) back to back into buf, recording where each ends.
void encode_rows(const std::vector<Doc>& data, std::size_t first, std::size_t rows,
                 std::string& buf, std::vector<std::size_t>& ends) {
  buf.clear();
  ends.clear();
  for (std::size_t r = 0; r < rows; ++r) {
    sqler::encode(data[first + r], buf);
    ends.push_back(buf.size());
  }
}

// The documents [first, first + n) of data in statements of batch_big, batch_mid and 1 rows;
// `run(rows, statement index, buf, ends)` binds and steps one statement, appending the ids.
template <class Run>
void insert_batches(const std::vector<Doc>& data, Run&& run) {
  std::string buf;
  std::vector<std::size_t> ends;
  std::size_t i = 0;
  for (; data.size() - i >= batch_big; i += batch_big) {
    encode_rows(data, i, batch_big, buf, ends);
    run(batch_big, 0, buf, ends);
  }
  for (; data.size() - i >= batch_mid; i += batch_mid) {
    encode_rows(data, i, batch_mid, buf, ends);
    run(batch_mid, 1, buf, ends);
  }
  for (; i < data.size(); ++i) {
    encode_rows(data, i, 1, buf, ends);
    run(1, 2, buf, ends);
  }
}
// sqler's own update also keeps members Doc does not declare (sqler_merge, data-safety issue);
// this twin is the plain replace it used to be, so the ratio shows what that safety costs.

const std::vector<Doc>& bulk_docs(std::size_t n) { return docs_of_size(n); }

// ---------------------------------------------------------------- bulk insert
// Timed: the whole insert (BEGIN, n inserts, COMMIT) and collecting the new ids. Untimed
// (paused, negligible next to thousands of inserts): emptying the table between iterations.

void bulk_sqler(benchmark::State& state, storage s, std::size_t n) {
  auto& env = sqler_fixture(dataset::empty_docs, s);
  auto docs = env.db.collection<Doc>();
  const auto& data = bulk_docs(n);
  std::int64_t rows = 0;
  for (auto _ : state) {
    auto ids = docs.insert_many(data);
    benchmark::DoNotOptimize(ids.data());
    rows = static_cast<std::int64_t>(ids.size());
    state.PauseTiming();
    env.db.execute(clear_sql);
    state.ResumeTiming();
  }
  finish(state, rows, static_cast<std::int64_t>(n));
}

void bulk_overhead(benchmark::State& state, storage s, std::size_t n) {
  auto& env = overhead_fixture(dataset::empty_docs, s);
  sqlite3* db = env.db->get();
  const auto& data = bulk_docs(n);
  raw_stmt stmts[] = {raw_stmt(db, insert_big.view()), raw_stmt(db, insert_mid.view()),
                      raw_stmt(db, insert_sql)};
  std::int64_t rows = 0;
  for (auto _ : state) {
    std::vector<std::int64_t> ids;
    ids.reserve(data.size());
    env.db->exec("BEGIN IMMEDIATE");
    insert_batches(data, [&](std::size_t count, int which, const std::string& buf,
                             const std::vector<std::size_t>& ends) {
      sqlite3_stmt* st = stmts[which].get();
      for (std::size_t r = 0; r < count; ++r) {
        const std::size_t begin = r == 0 ? 0 : ends[r - 1];
        sqlite3_bind_text(st, static_cast<int>(r + 1), buf.data() + begin,
                          static_cast<int>(ends[r] - begin), SQLITE_STATIC);
      }
      const std::size_t at = ids.size();
      while (raw_step(st)) ids.push_back(sqlite3_column_int64(st, 0));
      sqlite3_reset(st);
      if (count == 1) ids.push_back(sqlite3_last_insert_rowid(db));
      std::sort(ids.begin() + static_cast<std::ptrdiff_t>(at), ids.end());
    });
    env.db->exec("COMMIT");
    benchmark::DoNotOptimize(ids.data());
    rows = static_cast<std::int64_t>(ids.size());
    state.PauseTiming();
    env.db->exec(clear_sql);
    state.ResumeTiming();
  }
  finish(state, rows, static_cast<std::int64_t>(n));
}

void bulk_cpp(benchmark::State& state, storage s, std::size_t n) {
  auto& env = cpp_fixture(dataset::empty_docs, s);
  SQLite::Database& db = *env.db;
  const auto& data = bulk_docs(n);
  SQLite::Statement big(db, std::string(insert_big.view()));
  SQLite::Statement mid(db, std::string(insert_mid.view()));
  SQLite::Statement one(db, std::string(insert_sql));
  SQLite::Statement* stmts[] = {&big, &mid, &one};
  std::int64_t rows = 0;
  for (auto _ : state) {
    std::vector<std::int64_t> ids;
    ids.reserve(data.size());
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    insert_batches(data, [&](std::size_t count, int which, const std::string& buf,
                             const std::vector<std::size_t>& ends) {
      SQLite::Statement& st = *stmts[which];
      for (std::size_t r = 0; r < count; ++r) {
        const std::size_t begin = r == 0 ? 0 : ends[r - 1];
        st.bindNoCopy(static_cast<int>(r + 1), buf.data() + begin,
                      static_cast<int>(ends[r] - begin));
      }
      const std::size_t at = ids.size();
      while (st.executeStep()) ids.push_back(st.getColumn(0).getInt64());
      st.reset();
      if (count == 1) ids.push_back(db.getLastInsertRowid());
      std::sort(ids.begin() + static_cast<std::ptrdiff_t>(at), ids.end());
    });
    tx.commit();
    benchmark::DoNotOptimize(ids.data());
    rows = static_cast<std::int64_t>(ids.size());
    state.PauseTiming();
    db.exec(clear_sql);
    state.ResumeTiming();
  }
  finish(state, rows, static_cast<std::int64_t>(n));
}

// ---------------------------------------------------------------- update one document by id
// Each call writes update_source(id, k): the document's content and a variant of it on
// alternate passes, so the row changes while the data set stays the same.

void update_sqler(benchmark::State& state, storage s) {
  auto& env = sqler_fixture(dataset::docs_update, s);
  auto docs = env.db.collection<Doc>();
  const auto ids = probe_ids(docs_data().size());
  std::size_t k = 0;
  for (auto _ : state) {
    const std::int64_t id = ids[k & 4095];
    docs.replace(id, update_source(id, k++));
  }
  finish(state, 1, 1);
}

void update_overhead(benchmark::State& state, storage s) {
  auto& env = overhead_fixture(dataset::docs_update, s);
  sqlite3* db = env.db->get();
  const auto ids = probe_ids(docs_data().size());
  raw_stmt upd(db, update_sql);
  std::string buf;
  std::size_t k = 0;
  for (auto _ : state) {
    const std::int64_t id = ids[k & 4095];
    buf.clear();
    sqler::encode(update_source(id, k++), buf);
    sqlite3_bind_text(upd.get(), 1, buf.data(), static_cast<int>(buf.size()), SQLITE_STATIC);
    sqlite3_bind_int64(upd.get(), 2, id);
    raw_step(upd.get());
    sqlite3_reset(upd.get());
    if (sqlite3_changes64(db) == 0) throw std::runtime_error("update: no such document");
  }
  finish(state, 1, 1);
}

void update_cpp(benchmark::State& state, storage s) {
  auto& env = cpp_fixture(dataset::docs_update, s);
  SQLite::Database& db = *env.db;
  const auto ids = probe_ids(docs_data().size());
  SQLite::Statement upd(db, std::string(update_sql));
  std::string buf;
  std::size_t k = 0;
  for (auto _ : state) {
    const std::int64_t id = ids[k & 4095];
    buf.clear();
    sqler::encode(update_source(id, k++), buf);
    upd.bindNoCopy(1, buf);
    upd.bind(2, id);
    const int changed = upd.exec();
    upd.reset();
    if (changed == 0) throw std::runtime_error("update: no such document");
  }
  finish(state, 1, 1);
}

[[maybe_unused]] const bool registered = [] {
  register_case("BM_bulk_insert_10k",
                {[](auto& st, storage s) { bulk_sqler(st, s, config().bulk_small); },
                 [](auto& st, storage s) { bulk_overhead(st, s, config().bulk_small); },
                 [](auto& st, storage s) { bulk_cpp(st, s, config().bulk_small); },
                 [](auto& st, storage s) { handwritten::bulk_insert(st, s, config().bulk_small); }});
  register_case("BM_bulk_insert_50k",
                {[](auto& st, storage s) { bulk_sqler(st, s, config().bulk_large); },
                 [](auto& st, storage s) { bulk_overhead(st, s, config().bulk_large); },
                 [](auto& st, storage s) { bulk_cpp(st, s, config().bulk_large); },
                 [](auto& st, storage s) { handwritten::bulk_insert(st, s, config().bulk_large); }});
  register_case("BM_update_by_id",
                {update_sqler, update_overhead, update_cpp, handwritten::update_by_id});
  return true;
}();

}  // namespace
}  // namespace bench
