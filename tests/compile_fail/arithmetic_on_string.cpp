#include "model.hpp"

auto mistake() { return sqler::field<&cf::User::name> * 2; }
