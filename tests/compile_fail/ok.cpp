// Positive control: the correct form of every mistake in this directory. If this stops
// compiling, the compile-fail cases prove nothing.
#include <cstdint>
#include <map>

#include "model.hpp"

namespace cf {

struct Stored {
  std::vector<int> xs;
  std::map<std::string, int> counts;
  std::optional<double> ratio;
};

struct Tagged {
  std::string name;
  std::vector<std::string> tags;
};

}  // namespace cf

template <>
struct sqler::promoted<cf::Tagged> : sqler::columns<&cf::Tagged::name> {};

namespace cf {

std::int64_t use_everything() {
  auto db = sqler::database::in_memory();
  auto users = db.collection<User>();
  constexpr auto age = sqler::field<&User::age>;
  constexpr auto name = sqler::field<&User::name>;
  auto n = users.find(age == 3 && name.like("%x%") && age != 4).count();
  n += users.find(sqler::field<&User::nums>.contains(1)).count();
  n += users.find(sqler::field<&User::events>.any(sqler::field<&Event::val> > 8)).count();
  n += users.find(sqler::field<&User::address, &Address::city> == "Kyoto").count();
  n += users.find(sqler::field<&User::nick>.is_null()).count();
  n += db.collection<Item>().find(sqler::field<&Item::qty> > 3).count();
  n += db.collection<Stored>().insert(Stored{{1, 2}, {{"a", 1}}, 0.5});
  constexpr auto qty = sqler::field<&Item::qty>;
  n += db.collection<Item>().find(qty > 0).update(sqler::set(qty, qty * 2));
  n += db.collection<Item>().find().sum(qty).value_or(0);
  n += users.find(name.starts_with("1") && age * 2 > 3).count();
  n += db.collection<Tagged>().size();
  n += users.find(age > 3).page(1, 10).total;
  return n;
}

}  // namespace cf
