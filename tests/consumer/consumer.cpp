// Uses sqler the way a downstream project does: through the package's targets only -
// sqler::sqler, and sqler::postgres / sqler::boost_json when the package has them (the CMake
// project then defines SQLER_CONSUMER_POSTGRES / SQLER_CONSUMER_BOOST_JSON). Shared by the
// find_package and add_subdirectory packaging tests. The PostgreSQL part runs against the
// server SQLER_PG names, in a schema of its own; without SQLER_PG it is only compiled and
// linked (a failure when SQLER_PG_REQUIRED=1). Exit code = failed checks.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <sqler/sqler.hpp>

#ifndef SQLER_CONSUMER_POSTGRES
#define SQLER_CONSUMER_POSTGRES 0
#endif
#ifndef SQLER_CONSUMER_BOOST_JSON
#define SQLER_CONSUMER_BOOST_JSON 0
#endif

#if SQLER_CONSUMER_POSTGRES
#include <libpq-fe.h>
#include <unistd.h>

#include <exception>

#include <sqler/postgres.hpp>
#endif

#if SQLER_CONSUMER_BOOST_JSON
#include <boost/json.hpp>

#include <sqler/boost_json.hpp>
#endif

namespace {

struct Book {
  std::string title;
  int year;
  std::vector<std::string> tags;
};

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "FAILED: %s\n", what);
    ++failures;
  }
}

#if SQLER_CONSUMER_BOOST_JSON
// A type stored through its own Boost.JSON conversion (sqler::boost_json): as "<count> <unit>".
struct Quantity {
  int count = 0;
  std::string unit;
};

void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const Quantity& q) {
  jv = std::to_string(q.count) + " " + q.unit;
}

Quantity tag_invoke(boost::json::value_to_tag<Quantity>, const boost::json::value& jv) {
  const std::string s(jv.as_string());
  const auto space = s.find(' ');
  return Quantity{std::stoi(s.substr(0, space)), s.substr(space + 1)};
}
#endif

}  // namespace

#if SQLER_CONSUMER_BOOST_JSON
template <>
struct sqler::json_conversion<Quantity> : sqler::boost_json_conversion<Quantity> {};

namespace {

struct Shelf {
  std::string name;
  Quantity stock;
};

void boost_json_checks() {
  auto db = sqler::database::in_memory();
  auto shelves = db.collection<Shelf>();
  const auto id = shelves.insert({"a1", {12, "boxes"}});
  const auto loaded = shelves.get(id);
  check(loaded && loaded->stock.count == 12 && loaded->stock.unit == "boxes",
        "sqler::boost_json: a type with tag_invoke overloads round-trips");
}

}  // namespace
#endif

#if SQLER_CONSUMER_POSTGRES
namespace {

// Runs SQL on a libpq connection of its own; returns the error message or "".
std::string admin(const char* conninfo, const std::string& sql) {
  PGconn* c = PQconnectdb(conninfo);
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
  return message;
}

void postgres_checks() {
  const char* server = std::getenv("SQLER_PG");
  if (server == nullptr || *server == '\0') {
    const char* required = std::getenv("SQLER_PG_REQUIRED");
    check(required == nullptr || std::string_view(required) != "1",
          "SQLER_PG_REQUIRED=1 but SQLER_PG is not set");
    std::printf("sqler::postgres linked; SQLER_PG is not set, so the PostgreSQL checks did not run\n");
    return;
  }
  const std::string schema = "sqler_consumer_" + std::to_string(::getpid());
  const auto prepared = admin(server, "DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema);
  check(prepared.empty(), "sqler::postgres: a schema of its own on SQLER_PG");
  if (!prepared.empty()) return;
  try {
    auto db = sqler::postgres::database::connect(std::string(server) + " options='-csearch_path=" + schema + "'");
    auto books = db.collection<Book>();
    const auto dune = books.insert({"Dune", 1965, {"scifi"}});
    books.insert({"Neuromancer", 1984, {"scifi", "cyberpunk"}});
    constexpr auto year = sqler::field<&Book::year>;
    constexpr auto tags = sqler::field<&Book::tags>;
    check(books.find(year >= 1970).count() == 1, "sqler::postgres: one book from 1970 on");
    check(books.find(tags.contains(std::string{"scifi"})).count() == 2, "sqler::postgres: two scifi books");
    {
      auto tx = db.transaction();
      books.insert({"Rolled back", 2000, {}});
    }
    check(books.size() == 2, "sqler::postgres: an uncommitted transaction leaves no trace");
    const auto loaded = books.get(dune);
    check(loaded && loaded->title == "Dune", "sqler::postgres: get() round-trips a document");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "FAILED: sqler::postgres: %s\n", e.what());
    ++failures;
  }
  admin(server, "DROP SCHEMA IF EXISTS " + schema + " CASCADE");
}

}  // namespace
#endif

int main() {
#ifdef SQLER_EXPECTED_VERSION
  check(std::string_view{SQLER_VERSION_STRING} == SQLER_EXPECTED_VERSION,
        "SQLER_VERSION_STRING matches the CMake package version");
#endif

  auto db = sqler::database::in_memory();
  auto books = db.collection<Book>();

  const auto dune = books.insert({"Dune", 1965, {"scifi"}});
  books.insert({"Neuromancer", 1984, {"scifi", "cyberpunk"}});
  books.insert({"Emma", 1815, {"classic"}});

  constexpr auto year = sqler::field<&Book::year>;
  constexpr auto tags = sqler::field<&Book::tags>;

  check(books.size() == 3, "three documents stored");
  check(books.find(year >= 1900).count() == 2, "two books from 1900 on");
  check(books.find(tags.contains(std::string{"scifi"})).count() == 2, "two scifi books");

  const auto newest = books.find(year >= 1900).order_by(year.desc()).limit(1).all();
  check(newest.size() == 1 && newest[0].title == "Neuromancer", "newest book is Neuromancer");

  const auto loaded = books.get(dune);
  check(loaded && loaded->title == "Dune" && loaded->year == 1965 && loaded->tags.size() == 1,
        "get() round-trips a document");

  books.replace(dune, {"Dune", 1966, {"scifi", "desert"}});
  check(books.find(year == 1966).count() == 1, "update() is visible to queries");

  {
    auto tx = db.transaction();
    books.insert({"Rolled back", 2000, {}});
  }  // no commit: the guard rolls back
  check(books.size() == 3, "an uncommitted transaction leaves no trace");

  check(books.remove(dune) && !books.contains(dune), "remove() deletes by id");

#if SQLER_CONSUMER_BOOST_JSON
  boost_json_checks();
#endif
#if SQLER_CONSUMER_POSTGRES
  postgres_checks();
#endif

  if (failures == 0)
    std::printf("sqler %s consumer%s%s: all checks passed\n", SQLER_VERSION_STRING,
                SQLER_CONSUMER_POSTGRES ? " (+ sqler::postgres)" : "",
                SQLER_CONSUMER_BOOST_JSON ? " (+ sqler::boost_json)" : "");
  return failures;
}
