#include <list>

#include "model.hpp"

namespace cf {
struct Bad {
  std::string name;
  std::list<int> xs;
};
}  // namespace cf

auto mistake() {
  auto db = sqler::database::in_memory();
  return db.collection<cf::Bad>().insert(cf::Bad{});
}
