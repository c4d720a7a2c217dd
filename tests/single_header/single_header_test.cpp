// Uses sqler through the generated single header only. Exit code = number of failed checks.
#include "single_header/sqler.hpp"

#include <cstdio>
#include <string>
#include <vector>

#ifndef SQLER_SINGLE_HEADER
#error "single_header/sqler.hpp was not the header included"
#endif

namespace {

struct Sensor {
  std::string name;
  double reading;
  std::vector<std::string> labels;
};

int failures = 0;

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "FAILED: %s\n", what);
    ++failures;
  }
}

}  // namespace

int main() {
  auto db = sqler::database::in_memory();
  auto sensors = db.collection<Sensor>();

  const auto ids = sensors.insert_many(std::vector<Sensor>{
      {"t1", 21.5, {"indoor"}}, {"t2", 30.0, {"outdoor", "roof"}}, {"t3", -4.25, {"outdoor"}}});
  const auto t4 = sensors.insert({"t4", 18.0, {}});
  check(ids.size() == 3 && t4 != ids[0] && t4 != ids[1] && t4 != ids[2], "insert ids are distinct");

  constexpr auto reading = sqler::field<&Sensor::reading>;
  constexpr auto labels = sqler::field<&Sensor::labels>;

  check(sensors.size() == 4, "four documents stored");
  check(sensors.find(reading > 20.0).count() == 2, "two readings above 20");
  check(sensors.find(labels.contains(std::string{"outdoor"})).count() == 2, "two outdoor sensors");
  check(sensors.find(reading < 0.0 && labels.contains(std::string{"outdoor"})).count() == 1,
        "one outdoor sensor below zero");

  const auto coldest = sensors.find().order_by(reading.asc()).first();
  check(coldest && coldest->name == "t3" && coldest->reading == -4.25, "t3 is the coldest");

  const auto found = sensors.find(reading >= 18.0 && reading <= 21.5).order_by(reading.asc()).all();
  check(found.size() == 2 && found[0].name == "t4" && found[1].name == "t1",
        "range query returns t4 then t1");

  const auto t2 = sensors.get(ids[1]);
  check(t2 && t2->labels == std::vector<std::string>{"outdoor", "roof"}, "get() round-trips labels");

  if (failures == 0) std::printf("single header %s: all checks passed\n", SQLER_VERSION_STRING);
  return failures;
}
