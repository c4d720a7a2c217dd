// Document types shared by the compile-fail cases: each case differs from ok.cpp (which must
// compile) by the one mistake it is about, so a failure can only come from that mistake.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sqler/sqler.hpp"

namespace cf {

struct Event {
  std::string kind;
  int val;
};

struct Other {
  int val;
};

struct Address {
  std::string city;
};

struct User {
  std::string name;
  int age;
  std::optional<std::string> nick;
  Address address;
  std::vector<Event> events;
  std::vector<int> nums;
};

struct Item {
  std::string label;
  int qty;
};

}  // namespace cf
