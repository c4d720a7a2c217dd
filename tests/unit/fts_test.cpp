// Full-text search: collection::ensure_fts() and query::match(). The index must answer FTS5
// queries over the chosen members and stay in step with every way a document can change.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "../support/backends.hpp"

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

// SQLite: an FTS5 table "Article__fts" kept in step by triggers. PostgreSQL: a GIN index
// "Article__fts" on a tsvector function of the document; the tests run there on a connection
// that avoids sequential scans, so match() is answered through the index itself.
template <class B>
class Fts : public sqler_test::on_backend<B> {
 protected:
  using database = typename B::database;

  void SetUp() override {
    sqler_test::on_backend<B>::SetUp();
    if (this->IsSkipped()) return;
#if SQLER_TEST_POSTGRES
    if constexpr (sqler_test::is_postgres<B>)
      indexed_.emplace(sqler_test::connect_preferring_indexes(this->env()));
#endif
    articles_.emplace(sqler_test::collection_of<Article>(db()));
    // Inserted before ensure_fts: the index must pick up what is already there.
    ids_ = articles_->insert_many(std::vector<Article>{
        {"Kyoto temple walk", "Walking between the gates of Kyoto at dawn", "Ito", 2019},
        {"Tea ceremony", "Matcha is a green powder; tea in the teahouse at Uji near Kyoto",
         "Sato", 2021},
        {"Tokyo nights", "Neon and ramen, then a temple visit in Asakusa", "Mori", 2022},
        {"Green tea guide", "How to brew sencha: green tea at seventy degrees", "Ito", 2018},
        {"Osaka food", "Takoyaki and okonomiyaki by the river", "Kyoto Press", 2023},
    });
    articles_->ensure_fts(title, body);
  }
  void TearDown() override {
    articles_.reset();
    indexed_.reset();
    sqler_test::on_backend<B>::TearDown();
  }

  database& db() { return indexed_ ? *indexed_ : sqler_test::on_backend<B>::db(); }
  sqler::collection<Article, typename B::backend>& articles() { return *articles_; }

  ids_t match(std::string_view text) {
    return articles_->find().match(text).order_by(sqler::doc_id.asc()).ids();
  }
  ids_t pick(std::initializer_list<std::size_t> which) const {
    ids_t out;
    for (auto i : which) out.push_back(ids_[i]);
    return out;
  }
  // SQLite: rows in the FTS table, exactly one per document when the index is in sync.
  std::int64_t fts_rows() {
    return std::get<0>(
        db().template query<std::int64_t>("SELECT COUNT(*) FROM \"Article__fts\"").at(0));
  }
  ids_t fts_rowids() {
    ids_t out;
    for (auto& [id] :
         db().template query<std::int64_t>("SELECT rowid FROM \"Article__fts\" ORDER BY rowid"))
      out.push_back(id);
    return out;
  }
  // PostgreSQL: the full-text index, as the catalog has it (it has no rows of its own to count,
  // and an index of the table cannot fall out of step with it): exactly one, valid, a GIN index
  // on an expression of the document. Returns that expression.
  std::string expect_pg_index() {
    auto ix = db().template query<std::string, bool>(
        "SELECT pg_get_indexdef(i.indexrelid), i.indisvalid FROM pg_index AS i "
        "JOIN pg_class AS c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = '\"Article\"'::regclass AND c.relname = 'Article__fts'");
    EXPECT_EQ(ix.size(), 1u);
    if (ix.size() != 1) return {};
    const std::string def = std::get<0>(ix[0]);
    EXPECT_TRUE(std::get<1>(ix[0])) << def;
    const std::string gin = " USING gin (";
    const auto at = def.find(gin);
    EXPECT_NE(at, std::string::npos) << def;
    EXPECT_EQ(def.back(), ')') << def;
    if (at == std::string::npos || def.back() != ')') return {};
    const std::string expr = def.substr(at + gin.size(), def.size() - at - gin.size() - 1);
    EXPECT_NE(expr.find("(data)"), std::string::npos) << def;
    return expr;
  }
  ids_t all_ids() { return articles_->find().order_by(sqler::doc_id.asc()).ids(); }

  std::optional<database> indexed_;
  std::optional<sqler::collection<Article, typename B::backend>> articles_;
  ids_t ids_;
};
TYPED_TEST_SUITE(Fts, sqler_test::backends, sqler_test::backend_names);

// FTS5's own query syntax (column filters, prefixes, NOT, NEAR, its syntax errors): SQLite only.
using FtsSqlite = Fts<sqler_test::sqlite>;

TYPED_TEST(Fts, MatchesWordsInTheIndexedFieldsOnly) {
  EXPECT_EQ(this->match("kyoto"),
            this->pick({0, 1}));  // not 4: "Kyoto Press" is the unindexed author
  EXPECT_EQ(this->match("KYOTO"), this->pick({0, 1}));  // case-insensitive, as FTS5 tokenises
  EXPECT_EQ(this->match("temple"), this->pick({0, 2}));
  EXPECT_EQ(this->match("okonomiyaki"), this->pick({4}));
  EXPECT_TRUE(this->match("sato").empty());
  EXPECT_TRUE(this->match("nothing").empty());
  EXPECT_EQ(this->articles().find().match("kyoto").count(), 2);
  EXPECT_TRUE(this->articles().find().match("ramen").exists());
}

TEST_F(FtsSqlite, ColumnFilterPrefixPhraseAndBooleanSyntax) {
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

// The syntax FTS5 and PostgreSQL's websearch_to_tsquery share: all the words, a quoted phrase,
// OR; and each one's spelling of "but not".
TYPED_TEST(Fts, WordsPhraseOrAndExclusionOnEveryBackend) {
  EXPECT_EQ(this->match("green tea"), this->pick({1, 3}));  // both words, anywhere
  EXPECT_EQ(this->match("\"green tea\""), this->pick({3}));  // the phrase
  EXPECT_EQ(this->match("temple OR okonomiyaki"), this->pick({0, 2, 4}));
  EXPECT_EQ(this->match(this->sql("kyoto NOT temple", "kyoto -temple")), this->pick({1}));
  if constexpr (sqler_test::is_postgres<TypeParam>) {
    // websearch_to_tsquery reads any text (FTS5 rejects these:
    // BadFtsSyntaxThrowsNamingTheStatement): an unbalanced quote ends the phrase at the end of the
    // text.
    EXPECT_EQ(this->match("\"green tea"), this->pick({3}));
    EXPECT_TRUE(this->match("\"unbalanced").empty());
  }
}

TYPED_TEST(Fts, CombinesWithPredicatesOrderAndWindows) {
  EXPECT_EQ(this->articles().find(year >= 2020).match("kyoto").ids(), this->pick({1}));
  EXPECT_EQ(
      this->articles().find(author == "Ito").match("green OR temple").order_by(year.asc()).ids(),
      this->pick({3, 0}));
  EXPECT_EQ(
      this->articles().find(year < 2020 || year > 2021).match("temple").order_by(year.desc()).ids(),
      this->pick({2, 0}));
  EXPECT_EQ(this->articles().find().match("temple OR tea").order_by(year.desc()).limit(2).ids(),
            this->pick({2, 1}));
  // Matching after ordering keeps the order.
  auto titles = this->articles().find().order_by(title.asc()).match("tea OR kyoto").all();
  ASSERT_EQ(titles.size(), 3u);
  EXPECT_EQ(titles[0].title, "Green tea guide");
  EXPECT_EQ(titles[2].title, "Tea ceremony");

  auto q = this->articles().find(year >= 2020).match("kyoto");
  if constexpr (sqler_test::is_postgres<TypeParam>) {
    // The expression the GIN index is built on, so the index answers the match (and does).
    const std::string expr = this->expect_pg_index();
    ASSERT_FALSE(expr.empty());
    EXPECT_EQ(decltype(q)::sql(),
              "SELECT _id, _version, data FROM \"Article\" WHERE (NULLIF((data->'year'), 'null'::jsonb) >= "
              "$1::bigint::text::jsonb AND " + expr + " @@ websearch_to_tsquery('simple', $2::text))");
    const std::string plan = q.explain();
    EXPECT_NE(plan.find("Article__fts"), std::string::npos) << plan;
  } else {
    EXPECT_EQ(
        decltype(q)::sql(),
        "SELECT _id, _version, data FROM \"Article\" WHERE (json_extract(data,'$.year') >= ?1 "
        "AND _id IN (SELECT rowid FROM \"Article__fts\" WHERE \"Article__fts\" MATCH ?2))");
  }
  // The words are a bound value: different queries share the statement.
  EXPECT_EQ(this->articles().find(year >= 2000).match("temple").count(), 2);
}

TYPED_TEST(Fts, IndexFollowsInsertUpdateUpsertAndDelete) {
  const auto id = this->articles().insert(
      {"Nara deer", "Deer bow in Nara park, an hour from Kyoto", "Ito", 2024});
  EXPECT_EQ(this->match("deer"), ids_t{id});
  EXPECT_EQ(this->match("kyoto"), (ids_t{this->ids_[0], this->ids_[1], id}));

  // update: the old words stop matching, the new ones start.
  this->articles().replace(this->ids_[0],
                           {"Kamakura buddha", "The great buddha by the sea", "Ito", 2019});
  if constexpr (!sqler_test::is_postgres<TypeParam>) {
    EXPECT_TRUE(this->match("title:temple").empty());
  }
  EXPECT_EQ(this->match("temple"), this->pick({2}));  // the body of 2 only
  EXPECT_EQ(this->match("kyoto"), (ids_t{this->ids_[1], id}));
  EXPECT_EQ(this->match("buddha"), this->pick({0}));

  // versioned update goes through the same trigger.
  auto v = this->articles().get_versioned(this->ids_[2]);
  ASSERT_TRUE(v);
  v->value.body = "Quiet shrine at midnight";
  this->articles().replace(*v);
  EXPECT_EQ(this->match("temple"), ids_t{});
  EXPECT_EQ(this->match("shrine"), this->pick({2}));

  // upsert, the insert path and the replace path.
  this->articles().upsert(500, {"Hakone onsen", "Hot springs and ropeway", "Mori", 2020});
  EXPECT_EQ(this->match("onsen"), ids_t{500});
  this->articles().upsert(500, {"Hakone museum", "Open air sculpture", "Mori", 2020});
  EXPECT_TRUE(this->match("onsen").empty());
  EXPECT_EQ(this->match("sculpture"), ids_t{500});

  // delete
  EXPECT_TRUE(this->articles().remove(id));
  EXPECT_TRUE(this->match("deer").empty());
  EXPECT_EQ(this->match("kyoto"), this->pick({1}));

  if constexpr (sqler_test::is_postgres<TypeParam>) {
    this->expect_pg_index();
  } else {
    EXPECT_EQ(this->fts_rows(), this->articles().size());
    EXPECT_EQ(this->fts_rowids(), this->all_ids());
  }
}

TYPED_TEST(Fts, IndexFollowsPatchesAndBulkQueries) {
  this->articles().update(this->ids_[4], sqler::set(body, std::string("Castle and kushikatsu")));
  EXPECT_TRUE(this->match("okonomiyaki").empty());
  EXPECT_EQ(this->match("kushikatsu"), this->pick({4}));

  // A patch of an unindexed member leaves the index answering the same.
  this->articles().update(this->ids_[4], sqler::set(author, std::string("Kyoto Times")),
                          sqler::inc(year, 1));
  EXPECT_EQ(this->match("kyoto"), this->pick({0, 1}));
  EXPECT_EQ(this->match("kushikatsu"), this->pick({4}));

  // Update by query.
  EXPECT_EQ(this->articles().find(year < 2020).update(sqler::set(title, std::string("Archived"))),
            2);
  if constexpr (sqler_test::is_postgres<TypeParam>) {  // no column filters: the words alone
    EXPECT_EQ(this->match("archived"), this->pick({0, 3}));
    EXPECT_EQ(this->match("guide"), ids_t{});
  } else {
    EXPECT_EQ(this->match("title:archived"), this->pick({0, 3}));
    EXPECT_TRUE(this->match("title:temple").empty());
    EXPECT_EQ(this->match("title:guide"), ids_t{});
  }
  EXPECT_EQ(this->match("temple"), this->pick({2}));  // 0's title is gone, 2's body stays
  EXPECT_EQ(this->match("sencha"), this->pick({3}));  // the body kept its words

  // update_one claims one row through the same UPDATE trigger.
  auto claimed = this->articles().find().match("archived").order_by(sqler::doc_id.asc())
                     .update_one(sqler::set(title, std::string("Restored")));
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->id, this->ids_[0]);
  EXPECT_EQ(this->match("restored"), this->pick({0}));
  EXPECT_EQ(this->match("archived"), this->pick({3}));

  // Bulk delete, including one driven by the full-text match itself.
  EXPECT_EQ(this->articles().find().match("tea").remove(), 2);
  EXPECT_TRUE(this->match("tea").empty());
  EXPECT_EQ(this->articles().find(year > 2021).remove(), 2);
  EXPECT_TRUE(this->match("neon").empty());
  EXPECT_EQ(this->match("restored"), this->pick({0}));

  if constexpr (sqler_test::is_postgres<TypeParam>) {
    this->expect_pg_index();
  } else {
    EXPECT_EQ(this->fts_rows(), 1);
    EXPECT_EQ(this->fts_rowids(), this->all_ids());
  }
}

TYPED_TEST(Fts, RolledBackWritesLeaveTheIndexAsItWas) {
  {
    auto tx = this->db().transaction();
    this->articles().insert({"Sapporo snow", "Snow festival", "Sato", 2020});
    this->articles().update(this->ids_[1], sqler::set(body, std::string("nothing left")));
    EXPECT_EQ(this->match("snow").size(), 1u);
  }  // no commit: rolled back
  EXPECT_TRUE(this->match("snow").empty());
  EXPECT_EQ(this->match("matcha"), this->pick({1}));
  if constexpr (sqler_test::is_postgres<TypeParam>) {
    this->expect_pg_index();
  } else {
    EXPECT_EQ(this->fts_rowids(), this->all_ids());
  }
}

TYPED_TEST(Fts, EnsureFtsTwiceIsIdempotent) {
  // PostgreSQL: the same fields again keep the index as it is (not dropped and rebuilt).
  auto index_oid = [&] {
    return this->db().template query<std::int64_t>(
        "SELECT CAST(oid AS bigint) FROM pg_class WHERE relname = 'Article__fts' AND "
        "relnamespace = CAST(current_schema() AS regnamespace)");
  };
  std::vector<std::tuple<std::int64_t>> oid_before;
  if constexpr (sqler_test::is_postgres<TypeParam>) oid_before = index_oid();
  const auto before = this->match("kyoto OR tea OR temple");
  this->articles().ensure_fts(title, body);
  this->articles().ensure_fts(title, body);
  EXPECT_EQ(this->match("kyoto OR tea OR temple"), before);
  if constexpr (sqler_test::is_postgres<TypeParam>) {
    ASSERT_EQ(oid_before.size(), 1u);
    EXPECT_EQ(index_oid(), oid_before);
  }
  if constexpr (!sqler_test::is_postgres<TypeParam>) {
    EXPECT_EQ(this->fts_rows(), this->articles().size());
  }
  // Still exactly one set of triggers: a second set would index every insert twice.
  const auto id = this->articles().insert({"Kobe beef", "Marbled", "Mori", 2020});
  EXPECT_EQ(this->match("kobe"), ids_t{id});
  if constexpr (sqler_test::is_postgres<TypeParam>) {
    // One index and one tsvector function, and no triggers: the index follows its table.
    this->expect_pg_index();
    auto counts = this->db().template query<std::int64_t, std::int64_t>(
        "SELECT (SELECT COUNT(*) FROM pg_proc AS p JOIN pg_namespace AS n ON n.oid = "
        "p.pronamespace WHERE n.nspname = current_schema() AND p.prorettype = "
        "'tsvector'::regtype), "
        "(SELECT COUNT(*) FROM pg_trigger WHERE tgrelid = '\"Article\"'::regclass AND NOT "
        "tgisinternal)");
    EXPECT_EQ(counts.at(0), std::make_tuple(std::int64_t{1}, std::int64_t{0}));
  } else {
    EXPECT_EQ(this->fts_rows(), this->articles().size());
    auto triggers = this->db().template query<std::int64_t>(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'Article'");
    EXPECT_EQ(std::get<0>(triggers.at(0)), 3);
  }
}

TYPED_TEST(Fts, EnsureFtsWithOtherFieldsRebuilds) {
  ASSERT_EQ(this->match("matcha"), this->pick({1}));  // a body word
  this->articles().ensure_fts(title);
  EXPECT_TRUE(this->match("matcha").empty());
  EXPECT_EQ(this->match("tea"), this->pick({1, 3}));  // title words still match
  if constexpr (sqler_test::is_postgres<TypeParam>) {
    this->expect_pg_index();
  } else {
    EXPECT_EQ(this->fts_rows(), this->articles().size());
  }

  // Triggers of the new index cover only the title too.
  const auto id = this->articles().insert({"Hiroshima", "Okonomiyaki again", "Sato", 2020});
  EXPECT_EQ(this->match("hiroshima"), ids_t{id});
  EXPECT_EQ(this->match("okonomiyaki"), ids_t{});

  // The author alone, then back to title and body.
  this->articles().ensure_fts(author);
  EXPECT_EQ(this->match("ito"), this->pick({0, 3}));
  EXPECT_TRUE(this->match("tea").empty());
  this->articles().ensure_fts(title, body);
  EXPECT_EQ(this->match("okonomiyaki"), (ids_t{this->ids_[4], id}));
  EXPECT_TRUE(this->match("ito").empty());
  if constexpr (sqler_test::is_postgres<TypeParam>) {
    EXPECT_EQ(this->match("hiroshima"), ids_t{id});
    this->expect_pg_index();
  } else {
    EXPECT_EQ(this->match("title:hiroshima"), ids_t{id});
    EXPECT_EQ(this->fts_rowids(), this->all_ids());
  }
}

TEST_F(FtsSqlite, BadFtsSyntaxThrowsNamingTheStatement) {
  auto q = articles_->find().match("\"unbalanced");
  try {
    (void)q.ids();
    ADD_FAILURE() << "an unbalanced quote should not parse";
  } catch (const sqler::error& e) {
    EXPECT_NE(e.sql().find("\"Article__fts\" MATCH ?1"), std::string::npos) << e.sql();
    EXPECT_FALSE(e.message().empty());
  }
  EXPECT_THROW((void)articles_->find().match("title:").all(), sqler::error);
  EXPECT_THROW((void)articles_->find().match("nosuchcolumn:kyoto").count(), sqler::error);
  // The failed statement does not poison the next query of the same shape.
  EXPECT_EQ(articles_->find().match("kyoto").ids().size(), 2u);
  EXPECT_EQ(articles_->find().match("\"green tea\"").ids(), pick({3}));
}

template <class B>
class FtsMissing : public sqler_test::on_backend<B> {};
TYPED_TEST_SUITE(FtsMissing, sqler_test::backends, sqler_test::backend_names);

TYPED_TEST(FtsMissing, MatchWithoutEnsureFtsThrows) {
  auto memos = sqler_test::collection_of<Memo>(this->db());
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
