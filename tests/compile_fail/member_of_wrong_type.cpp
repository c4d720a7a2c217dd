#include "model.hpp"

// The elements of events are cf::Event, not cf::Other.
auto mistake() { return sqler::field<&cf::User::events>.at<0>().member<&cf::Other::val>(); }
