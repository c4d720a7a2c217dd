#include "model.hpp"

// nums is a std::vector<int>: its element is an int, not a string.
auto mistake() { return sqler::field<&cf::User::nums>.at<0>() == "x"; }
