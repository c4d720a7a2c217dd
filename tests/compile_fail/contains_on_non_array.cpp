#include "model.hpp"

// std::string is not an array member: contains() is for std::vector / std::array.
auto mistake() { return sqler::field<&cf::User::name>.contains("x"); }
