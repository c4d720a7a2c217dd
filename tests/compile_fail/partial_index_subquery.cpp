#include "model.hpp"

// in() binds its list as one JSON array and expands it with a sub-select, which an index
// predicate cannot hold.
void mistake() {
  auto db = sqler::database::in_memory();
  db.collection<cf::User>().ensure_index(sqler::where(sqler::field<&cf::User::age>.in({1, 2})),
                                         sqler::field<&cf::User::name>);
}
