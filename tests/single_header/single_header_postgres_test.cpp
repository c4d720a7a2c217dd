// Uses sqler's PostgreSQL backend through the generated single header only, linked with libpq
// and not SQLite. Runs against the server SQLER_PG names, in a schema of its own that it drops
// afterwards; without SQLER_PG it only proves that the header compiles and links, and exits 77
// (skipped) - or 1 when SQLER_PG_REQUIRED=1. Exit code otherwise = number of failed checks.
#include "single_header/sqler_postgres.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#ifndef SQLER_SINGLE_HEADER_POSTGRES
#error "single_header/sqler_postgres.hpp was not the header included"
#endif
#ifdef SQLITE_VERSION_NUMBER
#error "single_header/sqler_postgres.hpp reaches sqlite3.h; the PostgreSQL backend must not need it"
#endif

namespace {

struct Sensor {
  std::string name;
  double reading;
  std::vector<std::string> labels;
  std::optional<int> floor;
};

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "FAILED: %s\n", what);
    ++failures;
  }
}

// Runs SQL on a libpq connection of its own (outside sqler's pool); returns the error or "".
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

void exercise(const std::string& conninfo) {
  sqler::postgres::database_options options;
  options.pool_size = 2;
  auto db = sqler::postgres::database::connect(conninfo, options);
  auto sensors = db.collection<Sensor>();

  const auto ids = sensors.insert_many(std::vector<Sensor>{{"t1", 21.5, {"indoor"}, 1},
                                                           {"t2", 30.0, {"outdoor", "roof"}, {}},
                                                           {"t3", -4.25, {"outdoor"}, 0}});
  const auto t4 = sensors.insert({"t4", 18.0, {}, 2});
  check(ids.size() == 3 && t4 != ids[0] && t4 != ids[1] && t4 != ids[2], "insert ids are distinct");

  constexpr auto reading = sqler::field<&Sensor::reading>;
  constexpr auto labels = sqler::field<&Sensor::labels>;
  constexpr auto floor = sqler::field<&Sensor::floor>;

  check(sensors.size() == 4, "four documents stored");
  check(sensors.find(reading > 20.0).count() == 2, "two readings above 20");
  check(sensors.find(labels.contains(std::string{"outdoor"})).count() == 2, "two outdoor sensors");
  check(sensors.find(floor.is_null()).count() == 1, "one sensor without a floor");

  const auto coldest = sensors.find().order_by(reading.asc()).first();
  check(coldest && coldest->name == "t3" && coldest->reading == -4.25, "t3 is the coldest");

  const auto t2 = sensors.get(ids[1]);
  check(t2 && t2->labels == std::vector<std::string>{"outdoor", "roof"} && !t2->floor,
        "get() round-trips labels and an absent optional");

  {
    auto tx = db.transaction();
    sensors.insert({"rolled back", 0.0, {}, {}});
  }  // no commit: rolled back
  {
    auto tx = db.transaction();
    sensors.insert({"t5", 5.0, {}, {}});
    tx.commit();
  }
  check(sensors.size() == 5, "a rolled-back insert leaves no trace, a committed one stays");

  const auto rows = db.query<std::string>("SELECT current_schema()::text");
  check(rows.size() == 1 && std::get<0>(rows[0]).rfind("sqler_sh_", 0) == 0,
        "runs in the test's own schema");
}

}  // namespace

int main() {
  const char* server = std::getenv("SQLER_PG");
  const char* required = std::getenv("SQLER_PG_REQUIRED");
  if (server == nullptr || *server == '\0') {
    if (required != nullptr && std::string_view(required) == "1") {
      std::fprintf(stderr, "FAILED: SQLER_PG_REQUIRED=1 but SQLER_PG is not set\n");
      return 1;
    }
    std::printf("compiled and linked; SQLER_PG is not set, so nothing ran (skipped)\n");
    return 77;
  }

  const std::string schema = "sqler_sh_" + std::to_string(::getpid());
  if (auto e = admin(server, "DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema);
      !e.empty()) {
    std::fprintf(stderr, "FAILED: cannot prepare schema %s on SQLER_PG: %s\n", schema.c_str(), e.c_str());
    return 1;
  }
  try {
    exercise(std::string(server) + " options='-csearch_path=" + schema + "'");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "FAILED: %s\n", e.what());
    ++failures;
  }
  if (auto e = admin(server, "DROP SCHEMA IF EXISTS " + schema + " CASCADE"); !e.empty())
    std::fprintf(stderr, "warning: could not drop schema %s: %s\n", schema.c_str(), e.c_str());

  if (failures == 0)
    std::printf("single header (PostgreSQL) %s: all checks passed\n", SQLER_VERSION_STRING);
  return failures;
}
