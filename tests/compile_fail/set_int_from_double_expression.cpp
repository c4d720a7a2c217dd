#include <cstdint>

#include "model.hpp"

std::int64_t mistake() {
  auto db = sqler::database::in_memory();
  constexpr auto qty = sqler::field<&cf::Item::qty>;
  return db.collection<cf::Item>().find(qty > 0).update(sqler::set(qty, qty * 1.5));
}
