#include "model.hpp"

// The index is on Item's table; its predicate names a User member.
void mistake() {
  auto db = sqler::database::in_memory();
  db.collection<cf::Item>().ensure_index(sqler::where(sqler::field<&cf::User::age> > 3),
                                         sqler::field<&cf::Item::qty>);
}
