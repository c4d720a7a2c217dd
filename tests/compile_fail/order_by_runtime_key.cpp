#include <map>
#include <string>

#include "model.hpp"

namespace cf {
struct Bag {
  std::map<std::string, int> attrs;
};
}  // namespace cf

// A run-time key's path is a bound value; ORDER BY has nowhere to bind it.
auto mistake(sqler::collection<cf::Bag>& bags) {
  return bags.find().order_by(sqler::field<&cf::Bag::attrs>.key("k")).sql();
}
