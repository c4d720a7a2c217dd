#include <gtest/gtest.h>

#include "../support/backends.hpp"

namespace {
struct Note {
  std::string text;
  int stars;
};

template <class B>
class Smoke : public sqler_test::on_backend<B> {};
TYPED_TEST_SUITE(Smoke, sqler_test::backends, sqler_test::backend_names);
}  // namespace

TYPED_TEST(Smoke, InsertAndFind) {
  auto notes = sqler_test::collection_of<Note>(this->db());
  const auto id = notes.insert({"hello", 3});
  notes.insert({"bye", 1});
  constexpr auto stars = sqler::field<&Note::stars>;
  auto found = notes.find(stars >= 2).all();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].text, "hello");
  EXPECT_EQ(notes.get(id)->stars, 3);
}
