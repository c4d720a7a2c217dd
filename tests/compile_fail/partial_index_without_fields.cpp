#include "model.hpp"

// A predicate alone: nothing to index.
void mistake() {
  auto db = sqler::database::in_memory();
  db.collection<cf::User>().ensure_index(sqler::where(sqler::field<&cf::User::age> > 3));
}
