// like() with an escape character, escape_like(), and hydration that keeps ids and versions.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "sqler/sqler.hpp"

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

class DslExtras : public ::testing::Test {
 protected:
  void SetUp() override {
    kyoto_ = cities_.insert({"Kyoto"});
    for (const char* t : {"50% off", "500 off", "a_b", "axb", "back\\slash", "BACK\\SLASH 2"})
      shops_.insert({t, kyoto_});
  }
  sqler::database db_ = sqler::database::in_memory();
  sqler::collection<City> cities_ = db_.collection<City>();
  sqler::collection<Shop> shops_ = db_.collection<Shop>();
  std::int64_t kyoto_ = 0;
};

TEST(EscapeLike, EscapesWildcardsAndTheEscapeCharacter) {
  EXPECT_EQ(sqler::escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
  EXPECT_EQ(sqler::escape_like("a!b%", '!'), "a!!b!%");
  EXPECT_EQ(sqler::escape_like(""), "");
}

TEST_F(DslExtras, EscapedPatternMatchesWildcardsLiterally) {
  auto contains = [&](std::string_view text) {
    return titles(shops_.find(title.like("%" + sqler::escape_like(text) + "%", '\\')).all());
  };
  EXPECT_EQ(contains("0%"), (std::set<std::string>{"50% off"}));
  EXPECT_EQ(contains("_"), (std::set<std::string>{"a_b"}));
  EXPECT_EQ(contains("k\\s"), (std::set<std::string>{"back\\slash", "BACK\\SLASH 2"}));
  // Unescaped, '_' is a wildcard: the same text matches more.
  EXPECT_EQ(titles(shops_.find(title.like("a_b")).all()), (std::set<std::string>{"a_b", "axb"}));
}

TEST_F(DslExtras, EscapeRendersAsABoundParameter) {
  auto q = shops_.find(title.like("x", '!'));
  EXPECT_EQ(q.sql(),
            "SELECT _id, _version, data FROM \"Shop\" WHERE json_extract(data,'$.title') LIKE ?1 "
            "ESCAPE ?2");
  EXPECT_EQ(q.count(), 0);
}

TEST_F(DslExtras, HydratedVersionedResultsKeepIdsAndVersions) {
  auto ids = shops_.find().order_by(title.asc(), sqler::doc_id.asc()).ids();
  shops_.update(ids[0], sqler::set(title, std::string("0 first")));  // version 2
  auto page = shops_.find().order_by(title.asc(), sqler::doc_id.asc()).with<&Shop::city>().all_versioned();
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
