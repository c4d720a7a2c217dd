#include "model.hpp"

auto mistake() { return sqler::field<&cf::User::age>.starts_with("1"); }
