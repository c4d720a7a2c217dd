#include "model.hpp"

// User::address is an Address, so the next member must be Address's, not Event's.
auto mistake() { return sqler::field<&cf::User::address, &cf::Event::kind> == "x"; }
