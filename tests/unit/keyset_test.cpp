// Keyset pagination: query.after(last row) walks a result set page by page. On every backend.
#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "../support/backends.hpp"

namespace {

struct Player {
  std::string name;
  int level;
};

constexpr auto level = sqler::field<&Player::level>;
constexpr auto name = sqler::field<&Player::name>;

template <class B>
class Keyset : public sqler_test::on_backend<B> {
 protected:
  void SetUp() override {
    sqler_test::on_backend<B>::SetUp();
    if (this->IsSkipped() || this->HasFatalFailure()) return;
    players.emplace(sqler_test::collection_of<Player>(this->db()));
    // Many ties on level, so only the _id tie-break keeps pages disjoint.
    for (int i = 0; i < 53; ++i) ids.push_back(players->insert({"p" + std::to_string(i), i % 5}));
  }
  std::optional<sqler::collection<Player, typename B::backend>> players;
  std::vector<std::int64_t> ids;
};
TYPED_TEST_SUITE(Keyset, sqler_test::backends, sqler_test::backend_names);

// Follows after() until an empty page. `rows` rows fit in at most `rows` non-empty pages, so a
// walk past rows + 1 pages repeats rows: fail then instead of looping until the test times out.
template <class Q>
std::vector<sqler::versioned<Player>> walk(const Q& first_page, std::size_t rows, int* pages) {
  std::vector<sqler::versioned<Player>> seen;
  auto page = first_page.all_versioned();
  *pages = 0;
  while (!page.empty()) {
    if (static_cast<std::size_t>(++*pages) > rows + 1) {
      ADD_FAILURE() << "keyset walk went past " << rows + 1 << " pages for " << rows
                    << " rows: after() repeats rows across pages";
      break;
    }
    seen.insert(seen.end(), page.begin(), page.end());
    page = first_page.after(page.back()).all_versioned();
  }
  return seen;
}

TYPED_TEST(Keyset, AscendingPagesCoverEveryRowOnceInOrder) {
  auto& players_ = *this->players;
  const auto& ids_ = this->ids;
  auto q = players_.find(level >= 1).order_by(level.asc(), sqler::doc_id.asc()).limit(7);
  int pages = 0;
  auto seen = walk(q, ids_.size(), &pages);

  auto expected = players_.find(level >= 1).order_by(level.asc(), sqler::doc_id.asc()).all_versioned();
  ASSERT_EQ(seen.size(), expected.size());
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i].id, expected[i].id) << i;
  EXPECT_EQ(pages, static_cast<int>((expected.size() + 6) / 7));
  std::set<std::int64_t> unique;
  for (auto& v : seen) unique.insert(v.id);
  EXPECT_EQ(unique.size(), seen.size());
}

TYPED_TEST(Keyset, DescendingWithTwoKeys) {
  auto& players_ = *this->players;
  const auto& ids_ = this->ids;
  auto q = players_.find().order_by(level.desc(), name.desc(), sqler::doc_id.desc()).limit(10);
  int pages = 0;
  auto seen = walk(q, ids_.size(), &pages);
  ASSERT_EQ(seen.size(), ids_.size());
  for (std::size_t i = 1; i < seen.size(); ++i) {
    const auto& a = seen[i - 1].value;
    const auto& b = seen[i].value;
    EXPECT_TRUE(a.level > b.level || (a.level == b.level && a.name >= b.name)) << i;
  }
  EXPECT_EQ(pages, 6);
}

TYPED_TEST(Keyset, SqlIsARowValueComparisonWithBoundValues) {
  auto& players_ = *this->players;
  const auto& ids_ = this->ids;
  auto q = players_.find(level >= 1).order_by(level.asc(), sqler::doc_id.asc()).limit(7);
  auto first = q.first();
  ASSERT_TRUE(first.has_value());
  auto next = q.after(*players_.get_versioned(ids_[1]));
  EXPECT_EQ(next.sql(),
            this->sql("SELECT _id, _version, data FROM \"Player\" WHERE "
                      "(json_extract(data,'$.level') >= ?1 AND (json_extract(data,'$.level'), _id) "
                      "> (?2, ?3)) ORDER BY json_extract(data,'$.level') ASC, _id ASC LIMIT ?4",
                      "SELECT _id, _version, data FROM \"Player\" WHERE (NULLIF((data->'level'), "
                      "'null'::jsonb) >= $1::bigint::text::jsonb AND (NULLIF((data->'level'), "
                      "'null'::jsonb), _id) > ($2::bigint::text::jsonb, $3)) ORDER BY "
                      "NULLIF((data->'level'), 'null'::jsonb) ASC NULLS FIRST, _id ASC LIMIT $4"));
  // The row after (level 1, ids_[1]) is the next level-1 player.
  auto page = next.all_versioned();
  ASSERT_FALSE(page.empty());
  EXPECT_EQ(page.front().value.level, 1);
  EXPECT_GT(page.front().id, ids_[1]);
}

TYPED_TEST(Keyset, UsesTheExpressionIndex) {
  auto& players_ = *this->players;
  const auto& ids_ = this->ids;
  players_.ensure_index(level);
  auto q = players_.find().order_by(level.asc(), sqler::doc_id.asc()).limit(5);
  if constexpr (sqler_test::is_postgres<TypeParam>) {
    // 53 rows fit in a page or two, so the planner rightly prefers reading the table: price
    // that out to see whether the index can serve the query at all. (The setting lasts for the
    // session, and a single-threaded test keeps one connection.)
    this->db().execute("SET enable_seqscan = off");
  }
  auto plan = q.after(*players_.get_versioned(ids_[0])).explain();
  EXPECT_NE(plan.find(this->sql("USING INDEX", "sqler_ix_Player__level")), std::string::npos)
      << plan;
}

}  // namespace
