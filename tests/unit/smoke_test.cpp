#include <gtest/gtest.h>

#include "sqler/sqler.hpp"

namespace {
struct Note {
  std::string text;
  int stars;
};
}  // namespace

TEST(Smoke, InsertAndFind) {
  auto db = sqler::database::in_memory();
  auto notes = db.collection<Note>();
  const auto id = notes.insert({"hello", 3});
  notes.insert({"bye", 1});
  constexpr auto stars = sqler::field<&Note::stars>;
  auto found = notes.find(stars >= 2).all();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].text, "hello");
  EXPECT_EQ(notes.get(id)->stars, 3);
}
