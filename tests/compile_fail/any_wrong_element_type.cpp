#include "model.hpp"

// events holds cf::Event, but the predicate is about cf::Other.
auto mistake() { return sqler::field<&cf::User::events>.any(sqler::field<&cf::Other::val> > 8); }
