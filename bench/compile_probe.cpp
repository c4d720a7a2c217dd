// bench/compile_probe.cpp - a fixed translation unit for bench/compile_time.py: sqler/sqler.hpp
// plus 20 distinct query shapes on one struct (different predicates, orders, limits and
// terminal operations), each used so its templates are instantiated. Public API only. Keep it
// fixed: the compile-time table compares runs of this very file.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "sqler/sqler.hpp"

namespace probe {

struct Part {
  int qty;
  std::string sku;
};

struct Item {
  int a;
  double b;
  std::string name;
  bool flag;
  std::vector<int> tags;
  std::vector<Part> parts;
  std::optional<int> maybe;
};

using sqler::field;
constexpr auto a = field<&Item::a>;
constexpr auto b = field<&Item::b>;
constexpr auto name = field<&Item::name>;
constexpr auto flag = field<&Item::flag>;
constexpr auto tags = field<&Item::tags>;
constexpr auto parts = field<&Item::parts>;
constexpr auto maybe = field<&Item::maybe>;
constexpr auto qty = field<&Part::qty>;
constexpr auto sku = field<&Part::sku>;

using coll = sqler::collection<Item>;

std::size_t q01(const coll& c) { return c.find(a == 1).all().size(); }
std::size_t q02(const coll& c) { return c.find(a > 1 && b < 2.0).order_by(a).limit(10).all().size(); }
std::size_t q03(const coll& c) { return static_cast<std::size_t>(c.find(name.like("x%")).count()); }
std::size_t q04(const coll& c) { return c.find(tags.contains(3)).first().has_value(); }
std::size_t q05(const coll& c) { return c.find(tags.contains_any({1, 2})).order_by(b.desc()).all().size(); }
std::size_t q06(const coll& c) { return static_cast<std::size_t>(c.find(parts.any(qty > 5)).count()); }
std::size_t q07(const coll& c) { return c.find(a >= 0 || flag == true).limit(5).offset(2).all().size(); }
std::size_t q08(const coll& c) { return c.find(!(a == 3)).exists(); }
std::size_t q09(const coll& c) {
  return c.find(b <= 1.5 && name != std::string("z")).order_by(name, a.desc()).all().size();
}
std::size_t q10(const coll& c) { return c.find(tags.contains_all({1, 2, 3})).all().size(); }
std::size_t q11(const coll& c) { return c.find(a < 10).sum(b).has_value(); }
std::size_t q12(const coll& c) { return c.find(a > 0).avg(b).has_value(); }
std::size_t q13(const coll& c) { return c.find(flag == false).min(a).has_value(); }
std::size_t q14(const coll& c) { return c.find().order_by(b).limit(3).all().size(); }
std::size_t q15(const coll& c) { return c.find(parts.any(sku == std::string("k"))).first().has_value(); }
std::size_t q16(const coll& c) {
  return static_cast<std::size_t>(c.find(a == 1 && b == 2.0 && name == std::string("n")).count());
}
std::size_t q17(const coll& c) { return c.find(a.between(5, 50)).order_by(a).all().size(); }
std::size_t q18(const coll& c) { return c.find(maybe.is_null()).limit(7).all().size(); }
std::size_t q19(const coll& c) { return c.find(a != 4 && tags.contains(1)).exists(); }
std::size_t q20(const coll& c) {
  return c.find(a >= 1 && a < 100 && flag == true).order_by(a.desc()).limit(20).all().size();
}

}  // namespace probe

int main() {
  auto db = sqler::database::in_memory();
  auto items = db.collection<probe::Item>();
  items.insert(probe::Item{1, 2.0, "n", true, {1, 2, 3}, {{6, "k"}}, std::nullopt});
  using namespace probe;
  std::size_t n = q01(items) + q02(items) + q03(items) + q04(items) + q05(items) + q06(items) +
                  q07(items) + q08(items) + q09(items) + q10(items) + q11(items) + q12(items) +
                  q13(items) + q14(items) + q15(items) + q16(items) + q17(items) + q18(items) +
                  q19(items) + q20(items);
  return n == 0 ? 1 : 0;
}
