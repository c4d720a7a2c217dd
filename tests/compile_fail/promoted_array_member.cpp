#include "model.hpp"

namespace cf {
struct Tagged {
  std::string name;
  std::vector<std::string> tags;
};
}  // namespace cf

template <>
struct sqler::promoted<cf::Tagged> : sqler::columns<&cf::Tagged::tags> {};

auto mistake() {
  auto db = sqler::database::in_memory();
  return db.collection<cf::Tagged>().size();
}
