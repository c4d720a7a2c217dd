#include <map>
#include <string>

#include "model.hpp"

namespace cf {
struct Bag {
  std::map<std::string, int> attrs;
};
}  // namespace cf

// SQLite's JSON paths cannot spell a key holding '"'.
auto mistake() { return sqler::field<&cf::Bag::attrs>.key<"a\"b">() == 1; }
