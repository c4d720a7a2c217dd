// Full-text search: collection::ensure_fts() and query::match(). The index must answer FTS5
// queries over the chosen members and stay in step with every way a document can change.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "sqler/sqler.hpp"

namespace {

struct Article {
  std::string title;
  std::string body;
  std::string author;  // never indexed: its words must not match
  int year = 0;
};

struct Memo {
  std::string text;
};

constexpr auto title = sqler::field<&Article::title>;
constexpr auto body = sqler::field<&Article::body>;
constexpr auto author = sqler::field<&Article::author>;
constexpr auto year = sqler::field<&Article::year>;

using ids_t = std::vector<std::int64_t>;

class Fts : public ::testing::Test {
 protected:
  void SetUp() override {
    // Inserted before ensure_fts: the index must pick up what is already there.
    ids_ = articles_.insert_many(std::vector<Article>{
        {"Kyoto temple walk", "Walking between the gates of Kyoto at dawn", "Ito", 2019},
        {"Tea ceremony", "Matcha is a green powder; tea in the teahouse at Uji near Kyoto",
         "Sato", 2021},
        {"Tokyo nights", "Neon and ramen, then a temple visit in Asakusa", "Mori", 2022},
        {"Green tea guide", "How to brew sencha: green tea at seventy degrees", "Ito", 2018},
        {"Osaka food", "Takoyaki and okonomiyaki by the river", "Kyoto Press", 2023},
    });
    articles_.ensure_fts(title, body);
  }

  ids_t match(std::string_view text) {
    return articles_.find().match(text).order_by(sqler::doc_id.asc()).ids();
  }
  ids_t pick(std::initializer_list<std::size_t> which) const {
    ids_t out;
    for (auto i : which) out.push_back(ids_[i]);
    return out;
  }
  // Rows in the FTS table: exactly one per document when the index is in sync.
  std::int64_t fts_rows() {
    return std::get<0>(db_.query<std::int64_t>("SELECT COUNT(*) FROM \"Article__fts\"").at(0));
  }
  ids_t fts_rowids() {
    ids_t out;
    for (auto& [id] : db_.query<std::int64_t>("SELECT rowid FROM \"Article__fts\" ORDER BY rowid"))
      out.push_back(id);
    return out;
  }
  ids_t all_ids() { return articles_.find().order_by(sqler::doc_id.asc()).ids(); }

  sqler::database db_ = sqler::database::in_memory();
  sqler::collection<Article> articles_ = db_.collection<Article>();
  ids_t ids_;
};

TEST_F(Fts, MatchesWordsInTheIndexedFieldsOnly) {
  EXPECT_EQ(match("kyoto"), pick({0, 1}));  // not 4: "Kyoto Press" is the unindexed author
  EXPECT_EQ(match("KYOTO"), pick({0, 1}));  // case-insensitive, as FTS5 tokenises
  EXPECT_EQ(match("temple"), pick({0, 2}));
  EXPECT_EQ(match("okonomiyaki"), pick({4}));
  EXPECT_TRUE(match("sato").empty());
  EXPECT_TRUE(match("nothing").empty());
  EXPECT_EQ(articles_.find().match("kyoto").count(), 2);
  EXPECT_TRUE(articles_.find().match("ramen").exists());
}

TEST_F(Fts, ColumnFilterPrefixPhraseAndBooleanSyntax) {
  EXPECT_EQ(match("title:temple"), pick({0}));
  EXPECT_EQ(match("body:temple"), pick({2}));
  EXPECT_EQ(match("title:kyoto"), pick({0}));
  EXPECT_EQ(match("tea*"), pick({1, 3}));  // "tea", "teahouse"
  EXPECT_EQ(match("teah*"), pick({1}));
  EXPECT_EQ(match("green tea"), pick({1, 3}));  // both words, anywhere
  EXPECT_EQ(match("\"green tea\""), pick({3}));  // the phrase
  EXPECT_EQ(match("temple OR okonomiyaki"), pick({0, 2, 4}));
  EXPECT_EQ(match("kyoto NOT temple"), pick({1}));
  EXPECT_EQ(match("NEAR(neon temple, 5)"), pick({2}));
}

TEST_F(Fts, CombinesWithPredicatesOrderAndWindows) {
  EXPECT_EQ(articles_.find(year >= 2020).match("kyoto").ids(), pick({1}));
  EXPECT_EQ(articles_.find(author == "Ito").match("green OR temple").order_by(year.asc()).ids(),
            pick({3, 0}));
  EXPECT_EQ(articles_.find(year < 2020 || year > 2021).match("temple").order_by(year.desc()).ids(),
            pick({2, 0}));
  EXPECT_EQ(articles_.find().match("temple OR tea").order_by(year.desc()).limit(2).ids(),
            pick({2, 1}));
  // Matching after ordering keeps the order.
  auto titles = articles_.find().order_by(title.asc()).match("tea OR kyoto").all();
  ASSERT_EQ(titles.size(), 3u);
  EXPECT_EQ(titles[0].title, "Green tea guide");
  EXPECT_EQ(titles[2].title, "Tea ceremony");

  auto q = articles_.find(year >= 2020).match("kyoto");
  EXPECT_EQ(decltype(q)::sql(),
            "SELECT _id, _version, data FROM \"Article\" WHERE (json_extract(data,'$.year') >= ?1 "
            "AND _id IN (SELECT rowid FROM \"Article__fts\" WHERE \"Article__fts\" MATCH ?2))");
  // The words are a bound value: different queries share the statement.
  EXPECT_EQ(articles_.find(year >= 2000).match("temple").count(), 2);
}

TEST_F(Fts, IndexFollowsInsertUpdateUpsertAndDelete) {
  const auto id = articles_.insert({"Nara deer", "Deer bow in Nara park, an hour from Kyoto", "Ito", 2024});
  EXPECT_EQ(match("deer"), ids_t{id});
  EXPECT_EQ(match("kyoto"), (ids_t{ids_[0], ids_[1], id}));

  // update: the old words stop matching, the new ones start.
  articles_.replace(ids_[0], {"Kamakura buddha", "The great buddha by the sea", "Ito", 2019});
  EXPECT_TRUE(match("title:temple").empty());
  EXPECT_EQ(match("kyoto"), (ids_t{ids_[1], id}));
  EXPECT_EQ(match("buddha"), pick({0}));

  // versioned update goes through the same trigger.
  auto v = articles_.get_versioned(ids_[2]);
  ASSERT_TRUE(v);
  v->value.body = "Quiet shrine at midnight";
  articles_.replace(*v);
  EXPECT_EQ(match("temple"), ids_t{});
  EXPECT_EQ(match("shrine"), pick({2}));

  // upsert, the insert path and the replace path.
  articles_.upsert(500, {"Hakone onsen", "Hot springs and ropeway", "Mori", 2020});
  EXPECT_EQ(match("onsen"), ids_t{500});
  articles_.upsert(500, {"Hakone museum", "Open air sculpture", "Mori", 2020});
  EXPECT_TRUE(match("onsen").empty());
  EXPECT_EQ(match("sculpture"), ids_t{500});

  // delete
  EXPECT_TRUE(articles_.remove(id));
  EXPECT_TRUE(match("deer").empty());
  EXPECT_EQ(match("kyoto"), pick({1}));

  EXPECT_EQ(fts_rows(), articles_.size());
  EXPECT_EQ(fts_rowids(), all_ids());
}

TEST_F(Fts, IndexFollowsPatchesAndBulkQueries) {
  articles_.update(ids_[4], sqler::set(body, std::string("Castle and kushikatsu")));
  EXPECT_TRUE(match("okonomiyaki").empty());
  EXPECT_EQ(match("kushikatsu"), pick({4}));

  // A patch of an unindexed member leaves the index answering the same.
  articles_.update(ids_[4], sqler::set(author, std::string("Kyoto Times")), sqler::inc(year, 1));
  EXPECT_EQ(match("kyoto"), pick({0, 1}));
  EXPECT_EQ(match("kushikatsu"), pick({4}));

  // Update by query.
  EXPECT_EQ(articles_.find(year < 2020).update(sqler::set(title, std::string("Archived"))), 2);
  EXPECT_EQ(match("title:archived"), pick({0, 3}));
  EXPECT_TRUE(match("title:temple").empty());
  EXPECT_EQ(match("title:guide"), ids_t{});
  EXPECT_EQ(match("sencha"), pick({3}));  // the body kept its words

  // update_one claims one row through the same UPDATE trigger.
  auto claimed = articles_.find().match("archived").order_by(sqler::doc_id.asc())
                     .update_one(sqler::set(title, std::string("Restored")));
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->id, ids_[0]);
  EXPECT_EQ(match("restored"), pick({0}));
  EXPECT_EQ(match("archived"), pick({3}));

  // Bulk delete, including one driven by the full-text match itself.
  EXPECT_EQ(articles_.find().match("tea").remove(), 2);
  EXPECT_TRUE(match("tea").empty());
  EXPECT_EQ(articles_.find(year > 2021).remove(), 2);
  EXPECT_TRUE(match("neon").empty());
  EXPECT_EQ(match("restored"), pick({0}));

  EXPECT_EQ(fts_rows(), 1);
  EXPECT_EQ(fts_rowids(), all_ids());
}

TEST_F(Fts, RolledBackWritesLeaveTheIndexAsItWas) {
  {
    auto tx = db_.transaction();
    articles_.insert({"Sapporo snow", "Snow festival", "Sato", 2020});
    articles_.update(ids_[1], sqler::set(body, std::string("nothing left")));
    EXPECT_EQ(match("snow").size(), 1u);
  }  // no commit: rolled back
  EXPECT_TRUE(match("snow").empty());
  EXPECT_EQ(match("matcha"), pick({1}));
  EXPECT_EQ(fts_rowids(), all_ids());
}

TEST_F(Fts, EnsureFtsTwiceIsIdempotent) {
  const auto before = match("kyoto OR tea OR temple");
  articles_.ensure_fts(title, body);
  articles_.ensure_fts(title, body);
  EXPECT_EQ(match("kyoto OR tea OR temple"), before);
  EXPECT_EQ(fts_rows(), articles_.size());
  // Still exactly one set of triggers: a second set would index every insert twice.
  const auto id = articles_.insert({"Kobe beef", "Marbled", "Mori", 2020});
  EXPECT_EQ(match("kobe"), ids_t{id});
  EXPECT_EQ(fts_rows(), articles_.size());
  auto triggers = db_.query<std::int64_t>(
      "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'Article'");
  EXPECT_EQ(std::get<0>(triggers.at(0)), 3);
}

TEST_F(Fts, EnsureFtsWithOtherFieldsRebuilds) {
  ASSERT_EQ(match("matcha"), pick({1}));  // a body word
  articles_.ensure_fts(title);
  EXPECT_TRUE(match("matcha").empty());
  EXPECT_EQ(match("tea"), pick({1, 3}));  // title words still match
  EXPECT_EQ(fts_rows(), articles_.size());

  // Triggers of the new index cover only the title too.
  const auto id = articles_.insert({"Hiroshima", "Okonomiyaki again", "Sato", 2020});
  EXPECT_EQ(match("hiroshima"), ids_t{id});
  EXPECT_EQ(match("okonomiyaki"), ids_t{});

  // The author alone, then back to title and body.
  articles_.ensure_fts(author);
  EXPECT_EQ(match("ito"), pick({0, 3}));
  EXPECT_TRUE(match("tea").empty());
  articles_.ensure_fts(title, body);
  EXPECT_EQ(match("okonomiyaki"), (ids_t{ids_[4], id}));
  EXPECT_TRUE(match("ito").empty());
  EXPECT_EQ(match("title:hiroshima"), ids_t{id});
  EXPECT_EQ(fts_rowids(), all_ids());
}

TEST_F(Fts, BadFtsSyntaxThrowsNamingTheStatement) {
  auto q = articles_.find().match("\"unbalanced");
  try {
    (void)q.ids();
    ADD_FAILURE() << "an unbalanced quote should not parse";
  } catch (const sqler::error& e) {
    EXPECT_NE(e.sql().find("\"Article__fts\" MATCH ?1"), std::string::npos) << e.sql();
    EXPECT_FALSE(e.message().empty());
  }
  EXPECT_THROW((void)articles_.find().match("title:").all(), sqler::error);
  EXPECT_THROW((void)articles_.find().match("nosuchcolumn:kyoto").count(), sqler::error);
  // The failed statement does not poison the next query of the same shape.
  EXPECT_EQ(articles_.find().match("kyoto").ids().size(), 2u);
  EXPECT_EQ(articles_.find().match("\"green tea\"").ids(), pick({3}));
}

TEST(FtsMissing, MatchWithoutEnsureFtsThrows) {
  auto db = sqler::database::in_memory();
  auto memos = db.collection<Memo>();
  memos.insert({"kyoto"});
  try {
    (void)memos.find().match("kyoto").all();
    ADD_FAILURE() << "match() needs ensure_fts()";
  } catch (const sqler::error& e) {
    EXPECT_NE(std::string(e.what()).find("Memo__fts"), std::string::npos) << e.what();
  }
  // Once the index exists the same query works.
  memos.ensure_fts(sqler::field<&Memo::text>);
  EXPECT_EQ(memos.find().match("kyoto").count(), 1);
}

}  // namespace
