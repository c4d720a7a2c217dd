#include "model.hpp"

// A std::string is not an array of elements.
auto mistake() { return sqler::field<&cf::User::name>.at<0>(); }
