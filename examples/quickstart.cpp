// The README's quickstart: store structs, query them with typed fields.
#include <cstdio>
#include <string>
#include <vector>

#include "sqler/sqler.hpp"

struct Address {
  std::string city;
  std::string country;
};

struct User {
  std::string name;
  int age;
  std::vector<int> tags;
  Address address;
};

int main() {
  auto db = sqler::database::in_memory();  // or sqler::database::open("app.db")
  auto users = db.collection<User>();      // table "User", created if missing

  users.insert({"Alice", 30, {1, 2}, {"Kyoto", "JP"}});
  users.insert({"Bob", 25, {2, 3}, {"Lyon", "FR"}});
  users.insert({"Carol", 41, {4}, {"Kyoto", "JP"}});

  constexpr auto age = sqler::field<&User::age>;
  constexpr auto tags = sqler::field<&User::tags>;
  constexpr auto city = sqler::field<&User::address, &Address::city>;

  users.ensure_index(age);  // an expression index the query below uses

  auto q = users.find(age >= 25 && tags.contains(2)).order_by(age.desc()).limit(10);
  std::printf("%s\n", q.sql().data());  // SQL fixed at compile time
  for (User& u : q) std::printf("%s (%d) from %s\n", u.name.c_str(), u.age, u.address.city.c_str());

  std::printf("%lld users in Kyoto\n", static_cast<long long>(users.find(city == "Kyoto").count()));
  return users.find(age >= 25 && tags.contains(2)).count() == 2 ? 0 : 1;
}
