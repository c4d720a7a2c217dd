// Smallest useful sqler program: proves the package's headers and link dependencies work.
#include <cstdio>
#include <string>

#include <sqler/sqler.hpp>

struct Item {
  std::string name;
  int qty;
};

int main() {
  auto db = sqler::database::in_memory();
  auto items = db.collection<Item>();
  items.insert({"apple", 3});
  items.insert({"pear", 0});
  constexpr auto qty = sqler::field<&Item::qty>;
  const auto in_stock = items.find(qty > 0).count();
  std::printf("sqler %s: %lld item(s) in stock\n", SQLER_VERSION_STRING, static_cast<long long>(in_stock));
  return in_stock == 1 ? 0 : 1;
}
