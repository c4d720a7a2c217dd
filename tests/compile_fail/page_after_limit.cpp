#include "model.hpp"

auto mistake() {
  auto db = sqler::database::in_memory();
  return db.collection<cf::User>().find(sqler::field<&cf::User::age> > 3).limit(10).page(1, 10);
}
