#include "model.hpp"

auto mistake() {
  auto db = sqler::database::in_memory();
  return db.collection<cf::Item>().find(sqler::field<&cf::User::age> > 3).count();
}
