// A multikey index declared on a member that is not an array.
#include "model.hpp"

namespace cf {
struct Tagged {
  std::string title;
  std::vector<int> tags;
};
}  // namespace cf

template <>
struct sqler::multikey<cf::Tagged> : sqler::multikey_list<sqler::elements<&cf::Tagged::title>> {};

auto mistake() {
  auto db = sqler::database::in_memory();
  return db.collection<cf::Tagged>().find(sqler::field<&cf::Tagged::tags>.contains(1)).count();
}
