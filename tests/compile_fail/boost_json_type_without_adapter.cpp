// A class with Boost.JSON tag_invoke overloads that did not opt in to the adapter
// (sqler::json_conversion<T> : sqler::boost_json_conversion<T>): sqler does not guess, it says
// the member's type is unsupported, and the message names the way to store it.
#include <boost/json.hpp>

#include "model.hpp"

namespace cf {
class Colour {
 public:
  explicit Colour(int rgb = 0) : rgb_(rgb) {}
  int rgb() const { return rgb_; }

 private:
  int rgb_;
};
void tag_invoke(boost::json::value_from_tag, boost::json::value& jv, const Colour& c) {
  jv = c.rgb();
}
Colour tag_invoke(boost::json::value_to_tag<Colour>, const boost::json::value& jv) {
  return Colour(static_cast<int>(jv.as_int64()));
}
struct Palette {
  std::string name;
  Colour main;
};
}  // namespace cf

auto mistake() {
  auto db = sqler::database::in_memory();
  return db.collection<cf::Palette>().insert(cf::Palette{});
}
