// like() with an escape character, escape_like(), and hydration that keeps ids and versions.
// The queries run on every backend.
#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "../support/backends.hpp"

namespace {

struct City {
  std::string name;
};

struct Shop {
  std::string title;
  sqler::ref<City> city;
};

constexpr auto title = sqler::field<&Shop::title>;

std::set<std::string> titles(const std::vector<Shop>& shops) {
  std::set<std::string> out;
  for (const auto& s : shops) out.insert(s.title);
  return out;
}

template <class B>
class DslExtras : public sqler_test::on_backend<B> {
 protected:
  void SetUp() override {
    sqler_test::on_backend<B>::SetUp();
    if (this->IsSkipped() || this->HasFatalFailure()) return;
    cities.emplace(sqler_test::collection_of<City>(this->db()));
    shops.emplace(sqler_test::collection_of<Shop>(this->db()));
    kyoto = cities->insert({"Kyoto"});
    for (const char* t : {"50% off", "500 off", "a_b", "axb", "back\\slash", "BACK\\SLASH 2"})
      shops->insert({t, kyoto});
  }
  std::optional<sqler::collection<City, typename B::backend>> cities;
  std::optional<sqler::collection<Shop, typename B::backend>> shops;
  std::int64_t kyoto = 0;
};
TYPED_TEST_SUITE(DslExtras, sqler_test::backends, sqler_test::backend_names);

TEST(EscapeLike, EscapesWildcardsAndTheEscapeCharacter) {
  EXPECT_EQ(sqler::escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
  EXPECT_EQ(sqler::escape_like("a!b%", '!'), "a!!b!%");
  EXPECT_EQ(sqler::escape_like(""), "");
}

TYPED_TEST(DslExtras, EscapedPatternMatchesWildcardsLiterally) {
  auto& shops_ = *this->shops;
  auto contains = [&shops_](std::string_view text) {
    return titles(shops_.find(title.like("%" + sqler::escape_like(text) + "%", '\\')).all());
  };
  EXPECT_EQ(contains("0%"), (std::set<std::string>{"50% off"}));
  EXPECT_EQ(contains("_"), (std::set<std::string>{"a_b"}));
  EXPECT_EQ(contains("k\\s"), (std::set<std::string>{"back\\slash", "BACK\\SLASH 2"}));
  // Unescaped, '_' is a wildcard: the same text matches more.
  EXPECT_EQ(titles(shops_.find(title.like("a_b")).all()), (std::set<std::string>{"a_b", "axb"}));
}

// Without an escape character no character escapes: a backslash in the pattern is itself.
TYPED_TEST(DslExtras, WithoutAnEscapeCharacterBackslashIsLiteral) {
  auto& shops_ = *this->shops;
  EXPECT_EQ(titles(shops_.find(title.like("back\\slash")).all()),
            (std::set<std::string>{"back\\slash"}));
  EXPECT_EQ(titles(shops_.find(title.like("%k\\s%")).all()),
            (std::set<std::string>{"back\\slash", "BACK\\SLASH 2"}));
}

TYPED_TEST(DslExtras, EscapeRendersAsABoundParameter) {
  auto& shops_ = *this->shops;
  auto q = shops_.find(title.like("x", '!'));
  // (On PostgreSQL ILIKE: like() is SQLite's LIKE, which ignores ASCII case.)
  EXPECT_EQ(q.sql(), this->sql("SELECT _id, _version, data FROM \"Shop\" WHERE "
                               "json_extract(data,'$.title') LIKE ?1 ESCAPE ?2",
                               "SELECT _id, _version, data FROM \"Shop\" WHERE "
                               "(data->>'title') ILIKE $1::text ESCAPE $2::text"));
  EXPECT_EQ(q.count(), 0);
}

TYPED_TEST(DslExtras, HydratedVersionedResultsKeepIdsAndVersions) {
  auto& shops_ = *this->shops;
  auto ids = shops_.find().order_by(title.asc(), sqler::doc_id.asc()).ids();
  shops_.update(ids[0], sqler::set(title, std::string("0 first")));  // version 2
  auto page = shops_.find()
                  .order_by(title.asc(), sqler::doc_id.asc())
                  .template with<&Shop::city>()
                  .all_versioned();
  ASSERT_EQ(page.size(), 6u);
  EXPECT_EQ(page[0].id, ids[0]);
  EXPECT_EQ(page[0].version, 2);
  EXPECT_EQ(page[0].value.title, "0 first");
  for (const auto& v : page) {
    ASSERT_TRUE(v.value.city.loaded());
    EXPECT_EQ(v.value.city->name, "Kyoto");
    EXPECT_EQ(shops_.get(v.id)->title, v.value.title);
  }
}

}  // namespace
