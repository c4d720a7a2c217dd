#include <map>
#include <string>

#include "model.hpp"

namespace cf {
struct Bag {
  std::map<std::string, int> attrs;
};
}  // namespace cf

// An expression index needs a literal path: key<"k">(), not key("k").
void mistake(sqler::collection<cf::Bag>& bags) {
  bags.ensure_index(sqler::field<&cf::Bag::attrs>.key("k"));
}
