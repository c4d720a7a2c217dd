// Smallest useful sqler program: proves the package's headers and link dependencies work.
// With sqler::postgres (conan option postgres=True) it also builds the PostgreSQL backend, and
// runs it when SQLER_PG names a server.
#include <cstdio>
#include <cstdlib>
#include <string>

#include <sqler/sqler.hpp>

#if SQLER_TEST_PACKAGE_POSTGRES
#include <sqler/postgres.hpp>
#endif

struct Item {
  std::string name;
  int qty;
};

// In a transaction that is never committed: the database is left as it was.
template <class Database>
long long in_stock(Database& db) {
  auto items = db.template collection<Item>();
  auto tx = db.transaction();
  items.insert({"apple", 3});
  items.insert({"pear", 0});
  constexpr auto qty = sqler::field<&Item::qty>;
  return static_cast<long long>(items.find(qty > 0).count());
}

int main() {
  auto db = sqler::database::in_memory();
  const auto n = in_stock(db);
  std::printf("sqler %s: %lld item(s) in stock\n", SQLER_VERSION_STRING, n);
  int failures = n == 1 ? 0 : 1;
#if SQLER_TEST_PACKAGE_POSTGRES
  if (const char* server = std::getenv("SQLER_PG"); server != nullptr && *server != '\0') {
    auto pg = sqler::postgres::database::connect(server);
    const auto m = in_stock(pg);
    std::printf("sqler %s on PostgreSQL: %lld item(s) in stock\n", SQLER_VERSION_STRING, m);
    failures += m == 1 ? 0 : 1;
  } else {
    std::printf("sqler::postgres built; SQLER_PG is not set, so it did not connect\n");
  }
#endif
  return failures;
}
