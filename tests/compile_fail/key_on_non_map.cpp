#include "model.hpp"

auto mistake() { return sqler::field<&cf::User::age>.key<"k">(); }
