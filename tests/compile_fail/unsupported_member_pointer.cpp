#include "model.hpp"

namespace cf {
struct BadPointer {
  std::string name;
  int* owner;
};
}  // namespace cf

auto mistake() {
  auto db = sqler::database::in_memory();
  return db.collection<cf::BadPointer>().insert(cf::BadPointer{});
}
