// Partial indexes: ensure_index(sqler::where(pred), fields...) writes the predicate as find()
// writes it, its values as SQL literals, so the planner sees that a query including the same
// condition is served by the index. On every backend.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <limits>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "../support/backends.hpp"

namespace {

// A promoted member (a typed column) in the predicate and as the indexed field.
struct Ticket {
  std::string state;
  std::int64_t rank = 0;
  std::string title;
};

}  // namespace

template <>
struct sqler::promoted<Ticket> : sqler::columns<&Ticket::state, &Ticket::rank> {};

namespace {

struct Task {
  std::string status;
  int priority = 0;
  double score = 0;
  bool urgent = false;
  std::string owner;
  std::map<std::string, std::string> attrs;
};

constexpr auto status = sqler::field<&Task::status>;
constexpr auto priority = sqler::field<&Task::priority>;
constexpr auto score = sqler::field<&Task::score>;
constexpr auto urgent = sqler::field<&Task::urgent>;
constexpr auto owner = sqler::field<&Task::owner>;
constexpr auto odd_key = sqler::field<&Task::attrs>.key<"q?1$1">();  // placeholder look-alikes

const char* const statuses[] = {"open", "closed", "review", "done"};
const double scores[] = {0.1, 1.0 / 3.0, 2.5, -7.25};

template <class B>
class PartialIndexTest : public sqler_test::on_backend<B> {
 protected:
  void SetUp() override {
    sqler_test::on_backend<B>::SetUp();
    if (this->IsSkipped() || this->HasFatalFailure()) return;
    tasks.emplace(sqler_test::collection_of<Task>(this->db()));
    std::mt19937 rng(12);
    std::vector<Task> docs;
    for (int i = 0; i < 400; ++i) {
      Task t;
      t.status = statuses[rng() % 4];
      t.priority = static_cast<int>(rng() % 10) - 2;
      t.score = scores[rng() % 4];
      t.urgent = rng() % 3 == 0;
      t.owner = "u" + std::to_string(rng() % 20);
      if (rng() % 2 == 0) t.attrs["q?1$1"] = rng() % 2 == 0 ? "x" : "y";
      docs.push_back(t);
    }
    tasks->insert_many(docs);
  }

  // name -> definition of the table's partial indexes (those with a WHERE).
  std::map<std::string, std::string> partial_indexes() {
    std::map<std::string, std::string> out;
    for (auto& [name, def] : this->db().template query<std::string, std::string>(this->sql(
             "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'Task' "
             "AND sql LIKE '% WHERE %'",
             "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
             "AND tablename = 'Task' AND indexdef LIKE '% WHERE %'")))
      out.emplace(name, def);
    return out;
  }

  std::int64_t index_count() {
    return std::get<0>(this->db()
                           .template query<std::int64_t>(this->sql(
                               "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND "
                               "tbl_name = 'Task'",
                               "SELECT COUNT(*) FROM pg_indexes WHERE schemaname = "
                               "current_schema() AND tablename = 'Task'"))
                           .at(0));
  }

  // The plan where an index can serve the query: on PostgreSQL sequential scans are priced out
  // for the one EXPLAIN (400 rows fit a few pages, which it rightly prefers); what is tested is
  // that the planner can use the partial index at all, i.e. proves the query implies it.
  template <class Q>
  std::string plan_with_index(const Q& q) {
    if constexpr (sqler_test::is_postgres<B>) {
      this->db().execute("SET enable_seqscan = off");
      std::string out = q.explain();
      this->db().execute("RESET enable_seqscan");
      return out;
    } else {
      return q.explain();
    }
  }

  // The ids of q, sorted: the same with and without an index.
  template <class Q>
  static std::vector<std::int64_t> ids(const Q& q) {
    auto v = q.ids();
    std::sort(v.begin(), v.end());
    return v;
  }

  // The one partial index whose name starts with `prefix`, or "" (and a failure) when there
  // is not exactly one.
  std::string only_index(std::string_view prefix) {
    std::string found;
    int n = 0;
    for (const auto& [name, def] : partial_indexes())
      if (std::string_view(name).starts_with(prefix)) {
        found = name;
        ++n;
      }
    EXPECT_EQ(n, 1) << "partial indexes named " << prefix << "*";
    return n == 1 ? found : std::string();
  }

  std::optional<sqler::collection<Task, typename B::backend>> tasks;
};
TYPED_TEST_SUITE(PartialIndexTest, sqler_test::backends, sqler_test::backend_names);

TYPED_TEST(PartialIndexTest, CatalogHoldsThePredicateWithItsLiteral) {
  auto& tasks = *this->tasks;
  tasks.ensure_index(sqler::where(status == "open"), priority);
  const auto idx = this->partial_indexes();
  ASSERT_EQ(idx.size(), 1u);
  const auto& [name, def] = *idx.begin();
  EXPECT_TRUE(name.starts_with("sqler_ix_Task__priority__w")) << name;
  EXPECT_EQ(name.size(), std::string_view("sqler_ix_Task__priority__w").size() + 16) << name;
  EXPECT_NE(def.find("'open'"), std::string::npos) << def;
  const std::string_view where_part = std::string_view(def).substr(def.find(" WHERE "));
  for (std::string_view placeholder : {"?1", "$1"})  // no parameter left
    EXPECT_EQ(where_part.find(placeholder), std::string_view::npos) << def;
  // index_sql() is the statement ensure_index ran.
  const std::string sql = tasks.index_sql(sqler::where(status == "open"), priority);
  std::printf("[ partial ] %s\n[ partial ] catalog: %s\n", sql.c_str(), def.c_str());
  EXPECT_NE(sql.find("CREATE INDEX IF NOT EXISTS \"" + name + "\" ON \"Task\" ("),
            std::string::npos)
      << sql;
  EXPECT_NE(sql.find(this->sql(" WHERE json_extract(data,'$.status') = 'open'",
                               " WHERE NULLIF((data->'status'), 'null'::jsonb) = "
                               "(jsonb_object(ARRAY['v', 'open'::text])->'v')")),
            std::string::npos)
      << sql;
}

TYPED_TEST(PartialIndexTest, QueryImplyingThePredicateUsesTheIndex) {
  auto& tasks = *this->tasks;
  auto q = tasks.find(status == "open" && priority > 3);
  auto other = tasks.find(status == "closed" && priority > 3);
  const auto before = this->ids(q), other_before = this->ids(other);
  ASSERT_FALSE(before.empty());

  tasks.ensure_index(sqler::where(status == "open"), priority);
  const std::string name = this->only_index("sqler_ix_Task__priority__w");
  const std::string plan = this->plan_with_index(q);
  EXPECT_NE(plan.find(name), std::string::npos) << plan;
  // A query under another status cannot use it.
  const std::string other_plan = this->plan_with_index(other);
  EXPECT_EQ(other_plan.find(name), std::string::npos) << other_plan;
  EXPECT_EQ(this->ids(q), before);
  EXPECT_EQ(this->ids(other), other_before);
  // Counted by hand, too.
  std::int64_t n = 0;
  for (const auto& t : tasks.find().all()) n += t.status == "open" && t.priority > 3 ? 1 : 0;
  EXPECT_EQ(static_cast<std::int64_t>(before.size()), n);
}

TYPED_TEST(PartialIndexTest, EnsureIndexIsIdempotent) {
  auto& tasks = *this->tasks;
  const auto base = this->index_count();
  tasks.ensure_index(sqler::where(status == "open"), priority);
  tasks.ensure_index(sqler::where(status == "open"), priority);
  EXPECT_EQ(this->index_count(), base + 1);
  EXPECT_EQ(tasks.index_sql(sqler::where(status == "open"), priority),
            tasks.index_sql(sqler::where(status == std::string("open")), priority));
}

TYPED_TEST(PartialIndexTest, TwoPredicatesCoexistAndDropRemovesTheRightOne) {
  auto& tasks = *this->tasks;
  const auto base = this->index_count();
  tasks.ensure_index(sqler::where(status == "open"), priority);
  tasks.ensure_index(sqler::where(status == "closed"), priority);
  tasks.ensure_index(priority);
  EXPECT_EQ(this->index_count(), base + 3);
  auto idx = this->partial_indexes();
  ASSERT_EQ(idx.size(), 2u);
  std::string open_name, closed_name;
  for (const auto& [name, def] : idx)
    (def.find("'open'") != std::string::npos ? open_name : closed_name) = name;
  ASSERT_FALSE(open_name.empty());
  ASSERT_FALSE(closed_name.empty());
  EXPECT_NE(open_name, closed_name);

  const auto q = tasks.find(status == "closed" && priority > 3);
  EXPECT_NE(this->plan_with_index(q).find(closed_name), std::string::npos);

  tasks.drop_index(sqler::where(status == "open"), priority);
  idx = this->partial_indexes();
  ASSERT_EQ(idx.size(), 1u);
  EXPECT_EQ(idx.begin()->first, closed_name);
  EXPECT_EQ(this->index_count(), base + 2);  // the full index on priority stays
  tasks.drop_index(sqler::where(status == "open"), priority);  // none left: nothing happens
  tasks.drop_index(priority);
  EXPECT_EQ(this->index_count(), base + 1);
  EXPECT_EQ(this->partial_indexes().size(), 1u);
}

TYPED_TEST(PartialIndexTest, HostileStringsAreLiteralsNotSql) {
  auto& tasks = *this->tasks;
  const std::string hostile[] = {
      "it's",       "\"quoted\"",  "back\\slash", "x'; DROP TABLE \"Task\"; --",
      "?1 $1 ?2",   "\\'",         "''",          "ends with \\",
      "caf\xC3\xA9", "a\nb"};
  std::int64_t expected_indexes = this->index_count();
  for (const auto& s : hostile) {
    tasks.insert({"open", 9, 1.0, false, s, {}});
    tasks.insert({"open", 1, 1.0, false, s, {}});
    tasks.ensure_index(sqler::where(owner == s), priority);
    ++expected_indexes;
    EXPECT_EQ(this->index_count(), expected_indexes) << s;
    const auto q = tasks.find(owner == s && priority > 5);
    const auto found = q.all();
    ASSERT_EQ(found.size(), 1u) << s;
    EXPECT_EQ(found[0].owner, s);
    const std::string plan = this->plan_with_index(q);
    EXPECT_NE(plan.find("sqler_ix_Task__priority__w"), std::string::npos) << s << "\n" << plan;
  }
  EXPECT_EQ(tasks.size(), 400 + 2 * static_cast<std::int64_t>(std::size(hostile)));
  EXPECT_EQ(this->partial_indexes().size(), std::size(hostile));

  // A NUL cannot be written into SQL text: refused, nothing created.
  const std::string with_nul("a\0b", 3);
  EXPECT_THROW(tasks.ensure_index(sqler::where(owner == with_nul), priority), sqler::usage_error);
  EXPECT_EQ(this->index_count(), expected_indexes);
}

TYPED_TEST(PartialIndexTest, NumbersAndBoolsAreExact) {
  auto& tasks = *this->tasks;
  for (double d : scores) {
    tasks.ensure_index(sqler::where(score == d), priority);
    const auto q = tasks.find(score == d && priority > 3);
    std::int64_t n = 0;
    for (const auto& t : tasks.find().all()) n += t.score == d && t.priority > 3 ? 1 : 0;
    EXPECT_EQ(q.count(), n) << d;
    EXPECT_NE(this->plan_with_index(q).find("sqler_ix_Task__priority__w"), std::string::npos)
        << d;
  }
  EXPECT_EQ(this->partial_indexes().size(), std::size(scores));

  tasks.ensure_index(sqler::where(urgent == true), priority);
  tasks.ensure_index(sqler::where(priority == -2), score);
  tasks.ensure_index(sqler::where(priority >= 5), score);
  const auto by_urgent = tasks.find(urgent == true && priority > 3);
  const auto by_low = tasks.find(priority == -2 && score > 0.0);
  const auto by_high = tasks.find(priority >= 5 && score > 0.0);
  EXPECT_NE(this->plan_with_index(by_urgent).find("sqler_ix_Task__priority__w"),
            std::string::npos);
  EXPECT_NE(this->plan_with_index(by_low).find("sqler_ix_Task__score__w"), std::string::npos);
  EXPECT_NE(this->plan_with_index(by_high).find("sqler_ix_Task__score__w"), std::string::npos);
  std::int64_t u = 0, lo = 0, hi = 0;
  for (const auto& t : tasks.find().all()) {
    u += t.urgent && t.priority > 3 ? 1 : 0;
    lo += t.priority == -2 && t.score > 0 ? 1 : 0;
    hi += t.priority >= 5 && t.score > 0 ? 1 : 0;
  }
  EXPECT_EQ(by_urgent.count(), u);
  EXPECT_EQ(by_low.count(), lo);
  EXPECT_EQ(by_high.count(), hi);

  // A double that has no literal is refused.
  EXPECT_THROW(tasks.ensure_index(sqler::where(score == std::numeric_limits<double>::quiet_NaN()),
                                  priority),
               sqler::usage_error);
}

TYPED_TEST(PartialIndexTest, AndOrNotPredicates) {
  auto& tasks = *this->tasks;
  const auto either = status == "open" || status == "review";
  const auto both = status == "open" && urgent == true;
  tasks.ensure_index(sqler::where(either), priority);
  tasks.ensure_index(sqler::where(both), score);
  tasks.ensure_index(sqler::where(!(status == "done")), owner);
  EXPECT_EQ(this->partial_indexes().size(), 3u);

  const auto q1 = tasks.find(either && priority > 3);
  const auto q2 = tasks.find(both && score > 0.0);
  const auto q3 = tasks.find(!(status == "done") && owner == "u3");
  EXPECT_NE(this->plan_with_index(q1).find("sqler_ix_Task__priority__w"), std::string::npos)
      << this->plan_with_index(q1);
  EXPECT_NE(this->plan_with_index(q2).find("sqler_ix_Task__score__w"), std::string::npos)
      << this->plan_with_index(q2);
  EXPECT_NE(this->plan_with_index(q3).find("sqler_ix_Task__owner__w"), std::string::npos)
      << this->plan_with_index(q3);
  std::int64_t n1 = 0, n2 = 0, n3 = 0;
  for (const auto& t : tasks.find().all()) {
    n1 += (t.status == "open" || t.status == "review") && t.priority > 3 ? 1 : 0;
    n2 += t.status == "open" && t.urgent && t.score > 0 ? 1 : 0;
    n3 += t.status != "done" && t.owner == "u3" ? 1 : 0;
  }
  EXPECT_EQ(q1.count(), n1);
  EXPECT_EQ(q2.count(), n2);
  EXPECT_EQ(q3.count(), n3);
}

TYPED_TEST(PartialIndexTest, BetweenAndLikePredicates) {
  auto& tasks = *this->tasks;
  tasks.ensure_index(sqler::where(priority.between(2, 4)), score);
  tasks.ensure_index(sqler::where(owner.like("u1%")), priority);
  EXPECT_EQ(this->partial_indexes().size(), 2u);
  const auto q1 = tasks.find(priority.between(2, 4) && score > 0.0);
  const auto q2 = tasks.find(owner.like("u1%") && priority > 3);
  const std::string p1 = this->plan_with_index(q1), p2 = this->plan_with_index(q2);
  if constexpr (sqler_test::is_postgres<TypeParam>) {
    EXPECT_NE(p1.find("sqler_ix_Task__score__w"), std::string::npos) << p1;
    EXPECT_NE(p2.find("sqler_ix_Task__priority__w"), std::string::npos) << p2;
  } else {
    // SQLite 3.40 matches a bound ?N against the index's literal only as a direct operand of
    // a comparison (or of AND/OR): not inside BETWEEN's bounds or LIKE's arguments. The indexes
    // are valid and kept exact; these queries just do not use them (README, partial indexes).
    EXPECT_EQ(p1.find("sqler_ix_Task__score__w"), std::string::npos) << p1;
    EXPECT_EQ(p2.find("sqler_ix_Task__priority__w"), std::string::npos) << p2;
  }
  std::int64_t n1 = 0, n2 = 0;
  for (const auto& t : tasks.find().all()) {
    n1 += t.priority >= 2 && t.priority <= 4 && t.score > 0 ? 1 : 0;
    n2 += t.owner.starts_with("u1") && t.priority > 3 ? 1 : 0;
  }
  EXPECT_EQ(q1.count(), n1);
  EXPECT_EQ(q2.count(), n2);
}

TYPED_TEST(PartialIndexTest, PathHoldingPlaceholderCharactersIsKept) {
  auto& tasks = *this->tasks;
  tasks.ensure_index(sqler::where(odd_key == "x"), priority);
  const auto idx = this->partial_indexes();
  ASSERT_EQ(idx.size(), 1u);
  EXPECT_NE(idx.begin()->second.find("q?1$1"), std::string::npos) << idx.begin()->second;
  const auto q = tasks.find(odd_key == "x" && priority > 3);
  EXPECT_NE(this->plan_with_index(q).find(idx.begin()->first), std::string::npos)
      << this->plan_with_index(q);
  std::int64_t n = 0;
  for (const auto& t : tasks.find().all()) {
    const auto it = t.attrs.find("q?1$1");
    n += it != t.attrs.end() && it->second == "x" && t.priority > 3 ? 1 : 0;
  }
  ASSERT_GT(n, 0);
  EXPECT_EQ(q.count(), n);
}

TYPED_TEST(PartialIndexTest, PromotedColumnsInPredicateAndIndex) {
  auto tickets = sqler_test::collection_of<Ticket>(this->db());
  std::vector<Ticket> docs;
  for (int i = 0; i < 300; ++i)
    docs.push_back({i % 3 == 0 ? "open" : "shut", i % 7, "t" + std::to_string(i % 11)});
  tickets.insert_many(docs);
  constexpr auto state = sqler::field<&Ticket::state>;
  constexpr auto rank = sqler::field<&Ticket::rank>;
  constexpr auto title = sqler::field<&Ticket::title>;
  const auto q1 = tickets.find(state == "open" && rank > 4);
  const auto q2 = tickets.find(rank == 3 && title == "t5");
  const auto before1 = this->ids(q1), before2 = this->ids(q2);
  tickets.ensure_index(sqler::where(state == "open"), rank);
  tickets.ensure_index(sqler::where(rank == 3), title);
  const std::string sql = tickets.index_sql(sqler::where(state == "open"), rank);
  EXPECT_NE(sql.find(this->sql("WHERE \"state\" = 'open'", "WHERE \"state\" = 'open'::text")),
            std::string::npos)
      << sql;
  const std::string p1 = this->plan_with_index(q1), p2 = this->plan_with_index(q2);
  EXPECT_NE(p1.find("sqler_ix_Ticket__rank__w"), std::string::npos) << p1;
  EXPECT_NE(p2.find("sqler_ix_Ticket__title__w"), std::string::npos) << p2;
  EXPECT_EQ(this->ids(q1), before1);
  EXPECT_EQ(this->ids(q2), before2);
  ASSERT_FALSE(before1.empty());
}

TYPED_TEST(PartialIndexTest, UniquePartialIndex) {
  auto& tasks = *this->tasks;
  tasks.insert({"active", 1, 0, false, "alice", {}});
  tasks.insert({"archived", 1, 0, false, "alice", {}});
  tasks.ensure_unique_index(sqler::where(status == "active"), owner);
  // Unique among the active tasks only.
  EXPECT_THROW(tasks.insert({"active", 2, 0, false, "alice", {}}), sqler::constraint_error);
  EXPECT_NO_THROW(tasks.insert({"archived", 2, 0, false, "alice", {}}));
  EXPECT_NO_THROW(tasks.insert({"active", 2, 0, false, "bob", {}}));
  tasks.drop_index(sqler::where(status == "active"), owner);
  EXPECT_TRUE(this->partial_indexes().empty());
  EXPECT_NO_THROW(tasks.insert({"active", 2, 0, false, "alice", {}}));
}


// A query runs through a cached statement, executed again and again with other values.
// PostgreSQL plans a named prepared statement for its bound values (a custom plan) for five
// executions, then may switch to one generic plan, which cannot use a partial index (it does not
// know the value). With the index making the query far cheaper, the generic plan's estimate
// loses and the plan cache keeps making custom plans. SQLite re-prepares a statement whose plan
// depends on a bound value when the value changes; sqler prepares afresh one SQLite re-prepared
// by itself (SQLite 3.40 would keep using the partial index for other values, missing rows).
TYPED_TEST(PartialIndexTest, RepeatedExecutionsKeepUsingTheIndexAndStayExact) {
  auto& tasks = *this->tasks;
  std::vector<Task> bulk(4000, Task{"bulk", 5, 1.0, false, "b", {}});
  tasks.insert_many(bulk);
  auto expected = [&](std::string_view s) {
    std::vector<std::int64_t> ids;
    for (auto it = tasks.find().begin(); it != std::default_sentinel; ++it)
      if (it->status == s && it->priority > 3) ids.push_back(it.id());
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  const auto open_ids = expected("open"), closed_ids = expected("closed");
  ASSERT_FALSE(open_ids.empty());
  ASSERT_FALSE(closed_ids.empty());
  // Run once before the index exists: the cached statement predates it.
  EXPECT_EQ(this->ids(tasks.find(status == "open" && priority > 3)), open_ids);

  tasks.ensure_index(sqler::where(status == "open"), priority);
  if constexpr (sqler_test::is_postgres<TypeParam>) this->db().execute("ANALYZE \"Task\"");
  const std::string name = this->only_index("sqler_ix_Task__priority__w");
  for (int i = 0; i < 12; ++i)
    EXPECT_EQ(this->ids(tasks.find(status == "open" && priority > 3)), open_ids) << i;

  if constexpr (sqler_test::is_postgres<TypeParam>) {
    // ids() runs its own SELECT of the same WHERE.
    const std::string sql(tasks.find(status == "open" && priority > 3).sql());
    const std::string where = sql.substr(sql.find(" WHERE "));
    const auto rows = this->db().template query<std::string, std::int64_t, std::int64_t>(
        "SELECT name, generic_plans, custom_plans FROM pg_prepared_statements WHERE "
        "strpos(statement, $1) > 0",
        where);
    std::string all;
    for (auto& [n, text] : this->db().template query<std::string, std::string>(
             "SELECT name, statement FROM pg_prepared_statements"))
      all += n + ": " + text + "\n";
    ASSERT_EQ(rows.size(), 1u) << where << "\n" << all;
    const auto& [stmt, generic, custom] = rows[0];
    EXPECT_EQ(generic, 0) << "the plan cache switched to a generic plan";
    EXPECT_GE(custom, 12);
    // What the plan cache would run now, for the same values: still the partial index.
    std::string plan;
    for (auto& [line] : this->db().template query<std::string>("EXPLAIN EXECUTE " + stmt +
                                                               "('open', 3)"))
      plan += line + "\n";
    EXPECT_NE(plan.find(name), std::string::npos) << plan;
    std::printf("[ partial ] after 13 executions: generic_plans=%lld custom_plans=%lld\n%s",
                static_cast<long long>(generic), static_cast<long long>(custom), plan.c_str());
  } else {
    const std::string plan = tasks.find(status == "open" && priority > 3).explain();
    EXPECT_NE(plan.find(name), std::string::npos) << plan;
    std::printf("[ partial ] %s\n", plan.c_str());
  }

  // The same statement with values the index does not cover, and back: exact every time.
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(this->ids(tasks.find(status == "closed" && priority > 3)), closed_ids) << i;
    EXPECT_EQ(this->ids(tasks.find(status == "open" && priority > 3)), open_ids) << i;
  }
}

}  // namespace
