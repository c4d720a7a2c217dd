#include "model.hpp"

auto mistake() {
  auto db = sqler::database::in_memory();
  return db.collection<cf::Item>().find().sum(sqler::field<&cf::Item::label>);
}
