// tests/support/backends.hpp - the behavioural suite runs on every backend sqler has.
//
//   template <class B> class CollectionTest : public sqler_test::on_backend<B> {};
//   TYPED_TEST_SUITE(CollectionTest, sqler_test::backends, sqler_test::backend_names);
//   TYPED_TEST(CollectionTest, Insert) { auto users = sqler_test::open<User>(this->db()); ... }
//
// SQLite: a fresh in-memory database per test. PostgreSQL (built when the tests link
// sqler::postgres, SQLER_TEST_POSTGRES=1): a schema of its own per test on the server SQLER_PG
// names (eval "$(scripts/pg_cluster.sh start)"), dropped afterwards. Without SQLER_PG the
// PostgreSQL instances skip, unless SQLER_PG_REQUIRED=1 (CI sets it): then they fail.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "sqler/sqler.hpp"
#include "temp_db_file.hpp"

#if SQLER_TEST_POSTGRES
#include <libpq-fe.h>

#include "sqler/postgres.hpp"
#endif

namespace sqler_test {

// SQLite in memory, and in a file (WAL): both, as the suite ran before PostgreSQL existed.
struct sqlite {
  using database = sqler::database;
  using backend = sqler::sqlite_backend;
  static constexpr bool is_postgres = false;
  static constexpr const char* name = "sqlite";
  database open() { return database::in_memory(); }
  // Text for this backend: raw SQL differs (json_extract vs ->>, ?1 vs $1).
  static constexpr std::string_view pick(std::string_view sqlite_text, std::string_view) {
    return sqlite_text;
  }
};

struct sqlite_file : sqlite {
  static constexpr const char* name = "sqlite_file";
  database open() { return database::open(file_.path()); }

 private:
  temp_db_file file_;
};

#if SQLER_TEST_POSTGRES
struct postgres {
  using database = sqler::postgres::database;
  using backend = sqler::postgres_backend;
  static constexpr bool is_postgres = true;
  static constexpr const char* name = "postgres";

  static const char* server() { return std::getenv("SQLER_PG"); }
  static bool required() {
    const char* r = std::getenv("SQLER_PG_REQUIRED");
    return r != nullptr && std::string_view(r) == "1";
  }

  // A schema named after nothing the test chooses, made on an admin connection and first in
  // the search_path of every connection of the test's pool.
  database open(const sqler::postgres::database_options& o = {}) {
    if (schema_.empty()) {
      static std::atomic<int> counter{0};
      schema_ = "sqler_t" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
      admin("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE; CREATE SCHEMA " + schema_);
    }
    return database::connect(conninfo(), o);
  }
  std::string conninfo() const {
    return std::string(server()) + " options='-csearch_path=" + schema_ + "'";
  }
  const std::string& schema() const noexcept { return schema_; }

  postgres() = default;
  postgres(const postgres&) = delete;
  postgres& operator=(const postgres&) = delete;
  ~postgres() {
    if (!schema_.empty()) {
      try {
        admin("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
      } catch (...) {
      }
    }
  }

  static constexpr std::string_view pick(std::string_view, std::string_view pg_text) {
    return pg_text;
  }

  // Runs SQL on a connection of its own, outside the test's pool.
  static void admin(const std::string& sql) {
    PGconn* c = PQconnectdb(server());
    std::string message;
    if (PQstatus(c) != CONNECTION_OK) {
      message = PQerrorMessage(c);
    } else {
      PGresult* r = PQexec(c, ("SET client_min_messages = warning; " + sql).c_str());
      if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        message = PQresultErrorMessage(r);
      PQclear(r);
    }
    PQfinish(c);
    if (!message.empty()) throw std::runtime_error("admin SQL failed: " + sql + ": " + message);
  }

 private:
  std::string schema_;
};
#endif

#if SQLER_TEST_POSTGRES
using backends = ::testing::Types<sqlite, sqlite_file, postgres>;
#else
using backends = ::testing::Types<sqlite, sqlite_file>;
#endif

struct backend_names {
  template <class B>
  static std::string GetName(int) {
    return B::name;
  }
};

// The fixture: this->db() is the test's database; this->env() the backend (for pick()).
template <class B>
class on_backend : public ::testing::Test {
 protected:
  using backend_env = B;
  using database = typename B::database;

  void SetUp() override {
    if constexpr (B::is_postgres) {
#if SQLER_TEST_POSTGRES
      if (B::server() == nullptr) {
        if (B::required()) FAIL() << "SQLER_PG_REQUIRED=1 but SQLER_PG is not set";
        GTEST_SKIP() << "SQLER_PG is not set; start a throwaway server with "
                        "eval \"$(scripts/pg_cluster.sh start)\"";
      }
#endif
    }
    db_.emplace(env_.open());
  }
  void TearDown() override { db_.reset(); }  // before env_ drops the schema

  database& db() { return *db_; }
  B& env() { return env_; }
  // Raw SQL in this backend's spelling.
  static constexpr std::string_view sql(std::string_view sqlite_text, std::string_view pg_text) {
    return B::pick(sqlite_text, pg_text);
  }

 private:
  B env_;  // declared first: destroyed after the database
  std::optional<database> db_;
};

// The collection of T in db, without `db.template collection<T>()` in every typed test.
template <class T, class Db>
auto collection_of(Db& db) {
  return db.template collection<T>();
}

template <class B>
inline constexpr bool is_postgres = B::is_postgres;

}  // namespace sqler_test

// ---------------------------------------------------------------- [C] helpers (aggregate,
// patch, promoted, fts tests)
namespace sqler_test {

// Backends whose database outlives its handle: a second env().open() sees the first's tables
// and documents, and two threads get a connection each (not the in-memory SQLite).
#if SQLER_TEST_POSTGRES
using persistent_backends = ::testing::Types<sqlite_file, postgres>;
#else
using persistent_backends = ::testing::Types<sqlite_file>;
#endif

// SQLite's json_type() vocabulary ('null', 'true', 'false', 'integer', 'real', 'text', 'array',
// 'object'; SQL NULL when missing) for a PostgreSQL jsonb expression: a number is 'integer'
// when its stored text has no fraction or exponent.
inline std::string pg_json_type(std::string_view jsonb) {
  const std::string x = "(" + std::string(jsonb) + ")";
  return "(CASE jsonb_typeof(" + x + ") WHEN 'string' THEN 'text' WHEN 'boolean' THEN " + x +
         " #>> '{}' WHEN 'number' THEN CASE WHEN " + x +
         " #>> '{}' ~ '^-?[0-9]+$' THEN 'integer' ELSE 'real' END ELSE jsonb_typeof(" + x +
         ") END)";
}

#if SQLER_TEST_POSTGRES
// Another database on the test's schema whose planner avoids sequential scans, so a query an
// index can answer is answered by it even on a table of ten rows (for plans, and to run queries
// through their index). JIT is off: a sequential scan it must still choose costs more than
// jit_above_cost, and compiling every such statement takes ~50 ms.
inline sqler::postgres::database connect_preferring_indexes(
    postgres& env, const sqler::postgres::database_options& o = {}) {
  if (env.schema().empty()) (void)env.open(o);  // makes the schema
  return sqler::postgres::database::connect(std::string(postgres::server()) +
                                                " options='-csearch_path=" + env.schema() +
                                                " -cenable_seqscan=off -cjit=off'",
                                            o);
}
#endif

}  // namespace sqler_test

// ---------------------------------------------------------------- [D] helpers (transaction,
// integrity tests)
namespace sqler_test {

// Whether this thread's connection is inside a transaction. SQLite says so itself; PostgreSQL's
// now() is the start of the current transaction, so two statements agree on it only when one
// transaction holds both (outside one, each query() is its own). Not usable in a transaction
// that a failed statement aborted (every statement fails there).
template <class Db>
bool in_transaction(Db& db) {
  if constexpr (std::is_same_v<Db, sqler::database>) {
    return sqlite3_get_autocommit(db.native_handle()) == 0;
  } else {
    const auto now = [&] {
      return std::get<0>(db.template query<std::string>("SELECT CAST(now() AS text)").at(0));
    };
    const std::string first = now();
    return first == now();
  }
}

}  // namespace sqler_test
