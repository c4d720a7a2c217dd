// Both single headers in one translation unit, the PostgreSQL one first: every header they
// share is guarded, so the core is compiled once and both backends are usable side by side.
// Runs the SQLite part in memory; the PostgreSQL part is compiled (and is the subject of
// single_header_postgres_test). Exit code = number of failed checks.
#include "single_header/sqler_postgres.hpp"
#include "single_header/sqler.hpp"

#include <cstdio>
#include <string>
#include <type_traits>
#include <vector>

#if !defined(SQLER_SINGLE_HEADER) || !defined(SQLER_SINGLE_HEADER_POSTGRES)
#error "the single headers were not the headers included"
#endif

namespace {

struct Item {
  std::string name;
  int qty;
};

// One function template for either backend's collection: the shared DSL and collection API.
template <class Collection>
long long in_stock(Collection& items) {
  constexpr auto qty = sqler::field<&Item::qty>;
  return static_cast<long long>(items.find(qty > 0).count());
}

static_assert(std::is_same_v<sqler::postgres::collection<Item>,
                             sqler::collection<Item, sqler::postgres_backend>>);
// Instantiated for PostgreSQL too, though only SQLite runs here.
[[maybe_unused]] auto* const pg_in_stock = &in_stock<sqler::postgres::collection<Item>>;

}  // namespace

int main() {
  auto db = sqler::database::in_memory();
  auto items = db.collection<Item>();
  items.insert({"apple", 3});
  items.insert({"pear", 0});
  const auto n = in_stock(items);
  if (n != 1) {
    std::fprintf(stderr, "FAILED: %lld item(s) in stock, expected 1\n", n);
    return 1;
  }
  std::printf("both single headers %s in one translation unit: ok\n", SQLER_VERSION_STRING);
  return 0;
}
