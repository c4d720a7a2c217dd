// Promoted members (sqler/promoted.hpp): members that also live in a typed generated column.
// A promoted struct must behave exactly like the same struct without promotion (documents,
// filters, order, aggregates), while its SQL, table and indexes use the real column.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "../support/backends.hpp"

namespace promo {

enum class Tier { bronze = 1, silver = 2, gold = 3 };

struct Account {
  std::string email;
  int age = 0;
  std::optional<double> score;
  Tier tier = Tier::bronze;
  bool active = false;
  std::string name;
  std::vector<std::string> tags;
  bool operator==(const Account&) const = default;
};

// The same members without promotion: the reference every promoted query is compared with.
struct PlainAccount {
  std::string email;
  int age = 0;
  std::optional<double> score;
  Tier tier = Tier::bronze;
  bool active = false;
  std::string name;
  std::vector<std::string> tags;
};

// Two views of one table: the old code that never promoted anything, and the new code.
// The same documents as an older program saw them: in a real program they would be one type;
// here the two types share the table, which sqler refuses unless they say so.
struct LegacyCustomer {
  static constexpr std::string_view sqler_table = "Customer";
  static constexpr bool sqler_shared_table = true;
  std::string email;
  int age = 0;
  std::string name;
};

struct Customer {
  static constexpr std::string_view sqler_table = "Customer";
  static constexpr bool sqler_shared_table = true;
  std::string email;
  int age = 0;
  std::string name;
  bool operator==(const Customer&) const = default;
};

// A ref target promoted after its table already existed, and a referrer whose own promoted
// column has the same name as the target's.
struct LegacyPlace {
  static constexpr std::string_view sqler_table = "Place";
  static constexpr bool sqler_shared_table = true;
  std::string city;
};

struct Place {
  static constexpr bool sqler_shared_table = true;
  std::string city;
};

struct Shop {
  std::string city;
  sqler::ref<Place> place;
};

// STORED promoted members (sqler::stored<...>), beside a VIRTUAL one.
struct Reading {
  std::string sensor;
  double value = 0;
  int level = 0;
  std::string note;
  bool operator==(const Reading&) const = default;
};

// Only a stored<...> list, no columns<...>.
struct Gauge {
  int level = 0;
  std::string label;
};

// One table, "Metric", as four programs declare it over the years.
#define PROMO_METRIC_MEMBERS                                  \
  static constexpr std::string_view sqler_table = "Metric";   \
  static constexpr bool sqler_shared_table = true;            \
  std::string name;                                           \
  int score = 0;                                              \
  std::string tag;
struct MetricPlain {
  PROMO_METRIC_MEMBERS
};
struct MetricVirtual {
  PROMO_METRIC_MEMBERS
};
struct MetricStored {
  PROMO_METRIC_MEMBERS
};
struct MetricBoth {
  PROMO_METRIC_MEMBERS
};
#undef PROMO_METRIC_MEMBERS

}  // namespace promo

template <>
struct sqler::promoted<promo::Place> : sqler::columns<&promo::Place::city> {};

template <>
struct sqler::promoted<promo::Shop> : sqler::columns<&promo::Shop::city> {};

template <>
struct sqler::promoted<promo::Account>
    : sqler::columns<&promo::Account::email, &promo::Account::age, &promo::Account::score,
                     &promo::Account::tier, &promo::Account::active> {};

template <>
struct sqler::promoted<promo::Customer>
    : sqler::columns<&promo::Customer::email, &promo::Customer::age> {};

template <>
struct sqler::promoted<promo::Reading>
    : sqler::columns<&promo::Reading::sensor>,
      sqler::stored<&promo::Reading::value, &promo::Reading::level> {};

template <>
struct sqler::promoted<promo::Gauge> : sqler::stored<&promo::Gauge::level> {};

template <>
struct sqler::promoted<promo::MetricVirtual> : sqler::columns<&promo::MetricVirtual::score> {};

template <>
struct sqler::promoted<promo::MetricStored> : sqler::stored<&promo::MetricStored::score> {};

template <>
struct sqler::promoted<promo::MetricBoth>
    : sqler::columns<&promo::MetricBoth::tag>, sqler::stored<&promo::MetricBoth::score> {};

namespace {

using promo::Account;
using promo::Customer;
using promo::LegacyCustomer;
using promo::LegacyPlace;
using promo::Place;
using promo::PlainAccount;
using promo::Shop;
using promo::Tier;

// The fields of either account type, so one query can be written once for both.
template <class A>
struct fields_of {
  static constexpr auto email = sqler::field<&A::email>;
  static constexpr auto age = sqler::field<&A::age>;
  static constexpr auto score = sqler::field<&A::score>;
  static constexpr auto tier = sqler::field<&A::tier>;
  static constexpr auto active = sqler::field<&A::active>;
  static constexpr auto name = sqler::field<&A::name>;
};
using F = fields_of<Account>;

std::vector<Account> sample() {
  return {
      {"ann@example.com", 34, 4.5, Tier::gold, true, "Ann", {"a", "vip"}},
      {"bob@example.org", 27, std::nullopt, Tier::bronze, false, "Bob", {}},
      {"carol@example.com", 41, 3.25, Tier::silver, true, "Carol", {"x"}},
      {"dave@mail.net", 27, 1.0, Tier::silver, false, "Dave", {"b", "c"}},
      {"erin@example.com", 19, 2.75, Tier::bronze, true, "Erin", {}},
      {"frank@example.org", 55, std::nullopt, Tier::gold, true, "Frank", {"vip"}},
      {"gina@mail.net", 34, 5.0, Tier::bronze, false, "Gina", {}},
      {"hal@example.com", 62, 0.5, Tier::gold, false, "Hal", {"old"}},
      {"ivy@example.org", 23, 3.25, Tier::silver, true, "Ivy", {}},
      {"example@ann.com", 30, -2.0, Tier::bronze, true, "Anne", {"z"}},
  };
}

PlainAccount plain(const Account& a) {
  return {a.email, a.age, a.score, a.tier, a.active, a.name, a.tags};
}

// A column of a table as (name, type, generated): generated is SQLite's hidden code of
// pragma_table_xinfo (0 a plain column, 2 VIRTUAL, 3 STORED), on PostgreSQL 3 for a STORED
// generated column (attgenerated 's').
using column_row = std::tuple<std::string, std::string, std::int64_t>;

template <class B, class Db>
std::vector<column_row> columns_of(Db& db, const std::string& table) {
  std::vector<column_row> out;
  if constexpr (sqler_test::is_postgres<B>) {
    for (auto& row : db.template query<std::string, std::string, std::int64_t>(
             "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), CASE a.attgenerated "
             "WHEN 's' THEN 3 ELSE 0 END::bigint FROM pg_attribute AS a WHERE a.attrelid = "
             "to_regclass(quote_ident($1)) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY "
             "a.attnum",
             table))
      out.push_back(row);
  } else {
    for (auto& row : db.template query<std::string, std::string, std::int64_t>(
             "SELECT name, type, hidden FROM pragma_table_xinfo(?1) ORDER BY cid", table))
      out.push_back(row);
  }
  return out;
}

// A database for plans: on PostgreSQL a connection to the test's schema that avoids sequential
// scans, so a ten-row table is read through an index whenever one can answer the query.
template <class B>
class on_backend_for_plans : public sqler_test::on_backend<B> {
 protected:
  using database = typename B::database;
  void SetUp() override {
    sqler_test::on_backend<B>::SetUp();
#if SQLER_TEST_POSTGRES
    if constexpr (sqler_test::is_postgres<B>)
      if (!this->IsSkipped()) plans_.emplace(sqler_test::connect_preferring_indexes(this->env()));
#endif
  }
  void TearDown() override {
    plans_.reset();
    sqler_test::on_backend<B>::TearDown();
  }
  database& db() { return plans_ ? *plans_ : sqler_test::on_backend<B>::db(); }

 private:
  std::optional<database> plans_;
};

template <class B>
class Promoted : public on_backend_for_plans<B> {
 protected:
  using accounts_type = sqler::collection<Account, typename B::backend>;

  void SetUp() override {
    on_backend_for_plans<B>::SetUp();
    if (this->IsSkipped()) return;
    accounts_.emplace(sqler_test::collection_of<Account>(this->db()));
    plains_.emplace(sqler_test::collection_of<PlainAccount>(this->db()));
    docs_ = sample();
    ids_ = accounts_->insert_many(docs_);
    std::vector<PlainAccount> twins;
    for (const auto& d : docs_) twins.push_back(plain(d));
    const auto plain_ids = plains_->insert_many(twins);
    ASSERT_EQ(plain_ids, ids_);  // same ids, so result ids compare directly
  }
  void TearDown() override {
    accounts_.reset();
    plains_.reset();
    on_backend_for_plans<B>::TearDown();
  }

  accounts_type& accounts() { return *accounts_; }
  sqler::collection<PlainAccount, typename B::backend>& plains() { return *plains_; }

  // The ids, in id order, of the sample documents that satisfy `keep`: the expected answer.
  std::vector<std::int64_t> expected(const std::function<bool(const Account&)>& keep) const {
    std::vector<std::int64_t> out;
    for (std::size_t i = 0; i < docs_.size(); ++i)
      if (keep(docs_[i])) out.push_back(ids_[i]);
    return out;
  }

  // Runs the same query on the promoted and on the plain collection.
  template <class Q>
  auto on_both(Q make) {
    return std::pair{make(*accounts_, fields_of<Account>{}),
                     make(*plains_, fields_of<PlainAccount>{})};
  }

  std::optional<accounts_type> accounts_;
  std::optional<sqler::collection<PlainAccount, typename B::backend>> plains_;
  std::vector<Account> docs_;
  std::vector<std::int64_t> ids_;
};
TYPED_TEST_SUITE(Promoted, sqler_test::backends, sqler_test::backend_names);

TYPED_TEST(Promoted, DocumentsRoundTripThroughGetFindAndAll) {
  for (std::size_t i = 0; i < this->docs_.size(); ++i) {
    auto got = this->accounts().get(this->ids_[i]);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(*got, this->docs_[i]) << "id " << this->ids_[i];
  }
  EXPECT_EQ(this->accounts().all().all(), this->docs_);
  EXPECT_EQ(this->accounts().find().order_by(sqler::doc_id.asc()).all(), this->docs_);

  auto gold = this->accounts().find(F::tier == Tier::gold).order_by(sqler::doc_id.asc()).all();
  std::vector<Account> want;
  std::copy_if(this->docs_.begin(), this->docs_.end(), std::back_inserter(want),
               [](const Account& a) { return a.tier == Tier::gold; });
  EXPECT_EQ(gold, want);

  // Streaming decodes the same documents.
  std::vector<Account> streamed;
  auto q = this->accounts().find(F::age >= 0);
  for (const auto& a : q) streamed.push_back(a);
  EXPECT_EQ(streamed, this->docs_);

  // A document missing an optional value stays missing (not 0.0) after the round trip.
  auto bob = this->accounts().find(F::email == "bob@example.org").first();
  ASSERT_TRUE(bob.has_value());
  EXPECT_FALSE(bob->score.has_value());
}

TYPED_TEST(Promoted, FiltersMatchThePlainTwinAndTheData) {
  auto check = [&](const char* what, auto make, const std::function<bool(const Account&)>& keep) {
    auto [promoted_ids, plain_ids] = this->on_both(make);
    const auto want = this->expected(keep);
    EXPECT_EQ(promoted_ids, plain_ids) << what;
    EXPECT_EQ(promoted_ids, want) << what;
    EXPECT_FALSE(want.empty()) << what << ": the sample should exercise this filter";
    EXPECT_LT(want.size(), this->docs_.size())
        << what << ": the sample should exercise this filter";
  };
  auto by_id = [](auto q) { return q.order_by(sqler::doc_id.asc()).ids(); };

  check("email ==", [&](auto& c, auto f) { return by_id(c.find(f.email == "dave@mail.net")); },
        [](const Account& a) { return a.email == "dave@mail.net"; });
  check("age <", [&](auto& c, auto f) { return by_id(c.find(f.age < 30)); },
        [](const Account& a) { return a.age < 30; });
  check("age between", [&](auto& c, auto f) { return by_id(c.find(f.age.between(27, 41))); },
        [](const Account& a) { return a.age >= 27 && a.age <= 41; });
  check("score between", [&](auto& c, auto f) { return by_id(c.find(f.score.between(1.0, 3.25))); },
        [](const Account& a) { return a.score && *a.score >= 1.0 && *a.score <= 3.25; });
  check("score >", [&](auto& c, auto f) { return by_id(c.find(f.score > 3)); },
        [](const Account& a) { return a.score && *a.score > 3; });
  check("score is_null", [&](auto& c, auto f) { return by_id(c.find(f.score.is_null())); },
        [](const Account& a) { return !a.score; });
  check("email in", [&](auto& c, auto f) {
          return by_id(c.find(f.email.in({"ann@example.com", "hal@example.com", "nobody@x"})));
        },
        [](const Account& a) { return a.email == "ann@example.com" || a.email == "hal@example.com"; });
  check("tier in", [&](auto& c, auto f) { return by_id(c.find(f.tier.in({Tier::silver, Tier::gold}))); },
        [](const Account& a) { return a.tier != Tier::bronze; });
  check("tier ==", [&](auto& c, auto f) { return by_id(c.find(f.tier == Tier::bronze)); },
        [](const Account& a) { return a.tier == Tier::bronze; });
  check("active", [&](auto& c, auto f) { return by_id(c.find(f.active == true)); },
        [](const Account& a) { return a.active; });
  check("starts_with", [&](auto& c, auto f) { return by_id(c.find(f.email.starts_with("ann@"))); },
        [](const Account& a) { return a.email.rfind("ann@", 0) == 0; });
  check("ends_with", [&](auto& c, auto f) { return by_id(c.find(f.email.ends_with(".org"))); },
        [](const Account& a) {
          return a.email.size() >= 4 && a.email.compare(a.email.size() - 4, 4, ".org") == 0;
        });
  check("iequals", [&](auto& c, auto f) { return by_id(c.find(f.email.iequals("GINA@Mail.NET"))); },
        [](const Account& a) { return a.email == "gina@mail.net"; });
  check("expression", [&](auto& c, auto f) { return by_id(c.find(f.age * 2 + 1 > 70)); },
        [](const Account& a) { return a.age * 2 + 1 > 70; });
  check("mixed with a plain member",
        [&](auto& c, auto f) { return by_id(c.find(f.age >= 30 && f.name.like("A%"))); },
        [](const Account& a) { return a.age >= 30 && a.name.rfind('A', 0) == 0; });
  check("not in", [&](auto& c, auto f) { return by_id(c.find(!f.tier.in({Tier::gold}))); },
        [](const Account& a) { return a.tier != Tier::gold; });
}

TYPED_TEST(Promoted, FiltersMatchHandWrittenJsonExtractSql) {
  auto sql_ids = [&](std::string_view where, auto value) {
    std::vector<std::int64_t> out;
    for (auto& [id] : this->db().template query<std::int64_t>(
             "SELECT _id FROM \"Account\" WHERE " + std::string(where) + " ORDER BY _id", value))
      out.push_back(id);
    return out;
  };
  EXPECT_EQ(
      this->accounts().find(F::age < 30).order_by(sqler::doc_id.asc()).ids(),
      sql_ids(this->sql("json_extract(data,'$.age') < ?1", "(data->>'age')::bigint < $1"), 30));
  EXPECT_EQ(this->accounts().find(F::email.starts_with("e")).order_by(sqler::doc_id.asc()).ids(),
            sql_ids(this->sql("json_extract(data,'$.email') LIKE ?1", "data->>'email' LIKE $1"),
                    std::string("e%")));
  EXPECT_EQ(this->accounts().find(F::score >= 3.25).order_by(sqler::doc_id.asc()).ids(),
            sql_ids(this->sql("json_extract(data,'$.score') >= ?1",
                              "(data->>'score')::float8 >= $1"),
                    3.25));
}

TYPED_TEST(Promoted, OrderByMatchesThePlainTwin) {
  auto check = [&](const char* what, auto make, std::size_t rows = 0) {
    auto [promoted_ids, plain_ids] = this->on_both(make);
    EXPECT_EQ(promoted_ids.size(), rows == 0 ? this->docs_.size() : rows) << what;
    EXPECT_EQ(promoted_ids, plain_ids) << what;
  };
  check("age desc", [](auto& c, auto f) {
    return c.find().order_by(f.age.desc(), sqler::doc_id.asc()).ids();
  });
  check("score asc (nulls)", [](auto& c, auto f) {
    return c.find().order_by(f.score.asc(), sqler::doc_id.desc()).ids();
  });
  check("email", [](auto& c, auto f) { return c.find().order_by(f.email).ids(); });
  check("tier then name", [](auto& c, auto f) {
    return c.find().order_by(f.tier.desc(), f.name.asc()).ids();
  });

  // The order itself is the data's: ages never decrease along age.asc().
  std::vector<int> ages;
  for (const auto& a : this->accounts().find().order_by(F::age.asc(), sqler::doc_id.asc()).all())
    ages.push_back(a.age);
  EXPECT_TRUE(std::is_sorted(ages.begin(), ages.end()));

  // Windows and keyset pages over a promoted key walk the same rows as the plain twin.
  check("limit/offset", [](auto& c, auto f) {
    return c.find(f.age > 20).order_by(f.age.asc(), sqler::doc_id.asc()).limit(3).offset(2).ids();
  }, 3);
  auto keyset_walk = [](auto& c, auto f) {
    std::vector<std::int64_t> out;
    auto q = c.find().order_by(f.age.asc(), sqler::doc_id.asc()).limit(3);
    const auto rows = static_cast<std::size_t>(c.size());
    std::size_t pages = 0;
    auto page = q.all_versioned();
    while (!page.empty()) {
      if (++pages > rows + 1) {  // more pages than rows: after() repeats rows; fail, don't hang
        ADD_FAILURE() << "keyset walk went past " << rows + 1 << " pages for " << rows << " rows";
        break;
      }
      for (const auto& v : page) out.push_back(v.id);
      page = q.after(page.back()).all_versioned();
    }
    return out;
  };
  check("keyset pages", keyset_walk);
}

TYPED_TEST(Promoted, AggregatesMatchThePlainTwin) {
  {
    auto [p, q] = this->on_both([](auto& c, auto f) { return c.find().sum(f.age); });
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p, q);
    std::int64_t total = 0;
    for (const auto& d : this->docs_) total += d.age;
    EXPECT_EQ(*p, total);
  }
  {
    auto [p, q] = this->on_both([](auto& c, auto f) { return c.find().avg(f.score); });
    ASSERT_TRUE(p.has_value());
    ASSERT_TRUE(q.has_value());
    EXPECT_DOUBLE_EQ(*p, *q);
    double sum = 0;
    int n = 0;
    for (const auto& d : this->docs_)
      if (d.score) {
        sum += *d.score;
        ++n;
      }
    EXPECT_DOUBLE_EQ(*p, sum / n);
  }
  {
    auto [p, q] =
        this->on_both([](auto& c, auto f) { return c.find(f.active == true).min(f.email); });
    EXPECT_EQ(p, q);
    EXPECT_EQ(p, std::optional<std::string>("ann@example.com"));
  }
  {
    auto [p, q] = this->on_both([](auto& c, auto f) { return c.find().max(f.tier); });
    EXPECT_EQ(p, q);
    EXPECT_EQ(p, std::optional<Tier>(Tier::gold));
  }
  {
    auto [p, q] = this->on_both([](auto& c, auto f) { return c.find().count_distinct(f.age); });
    EXPECT_EQ(p, q);
    std::set<int> distinct;
    for (const auto& d : this->docs_) distinct.insert(d.age);
    EXPECT_EQ(p, static_cast<std::int64_t>(distinct.size()));
  }
  {
    auto [p, q] = this->on_both([](auto& c, auto f) { return c.find().sum(f.age * 2 - 1); });
    EXPECT_EQ(p, q);
  }
  {  // an aggregate over a window reads the window's rows
    auto [p, q] = this->on_both([](auto& c, auto f) {
      return c.find().order_by(f.age.desc(), sqler::doc_id.asc()).limit(3).sum(f.age);
    });
    EXPECT_EQ(p, q);
    EXPECT_EQ(p, std::optional<std::int64_t>(62 + 55 + 41));
  }
  {
    auto [p, q] = this->on_both([](auto& c, auto f) { return c.find().group_by(f.tier).count(); });
    EXPECT_EQ(p, q);
    ASSERT_EQ(p.size(), 3u);
    EXPECT_EQ(p[0], std::pair(Tier::bronze, std::int64_t{4}));
  }
  {
    auto [p, q] =
        this->on_both([](auto& c, auto f) { return c.find().group_by(f.tier).sum(f.age); });
    EXPECT_EQ(p, q);
    ASSERT_EQ(p.size(), 3u);
    EXPECT_EQ(p[2].first, Tier::gold);
    EXPECT_EQ(p[2].second, 34 + 55 + 62);
  }
  {  // an optional promoted key groups its missing values under nullopt
    auto [p, q] = this->on_both([](auto& c, auto f) { return c.find().group_by(f.score).count(); });
    EXPECT_EQ(p, q);
    ASSERT_FALSE(p.empty());
    EXPECT_EQ(p[0], std::pair(std::optional<double>{}, std::int64_t{2}));
  }
}

TYPED_TEST(Promoted, SqlUsesTheColumnForPromotedMembersOnly) {
  // PostgreSQL: the column compared with a value bound as the column's type (so its btree
  // index serves), a document path spelled data->'name'.
  auto q = this->accounts().find(F::email == "x" && F::name == "y").order_by(F::age.desc());
  const std::string_view sql = decltype(q)::sql();
  EXPECT_NE(sql.find(this->sql("\"email\" = ?1", "\"email\" = $1::text")), std::string_view::npos)
      << sql;
  EXPECT_EQ(sql.find(this->sql("'$.email'", "'email'")), std::string_view::npos) << sql;
  EXPECT_NE(sql.find(this->sql("ORDER BY \"age\" DESC", "ORDER BY \"age\" DESC NULLS LAST")),
            std::string_view::npos)
      << sql;
  EXPECT_EQ(sql.find(this->sql("'$.age'", "'age'")), std::string_view::npos) << sql;
  // An unpromoted member still reads the document.
  EXPECT_NE(sql.find(this->sql("json_extract(data,'$.name') = ?2",
                               "NULLIF((data->'name'), 'null'::jsonb) = (jsonb_object(ARRAY['v', $2::text])->'v')")),
            std::string_view::npos)
      << sql;

  auto twin = this->plains().find(fields_of<PlainAccount>::email == "x");
  EXPECT_NE(
      decltype(twin)::sql().find(this->sql("json_extract(data,'$.email')", "(data->'email')")),
      std::string_view::npos)
      << decltype(twin)::sql();

  auto r = this->accounts().find(F::score.between(1.0, 2.0) || F::tier.in({Tier::gold}));
  EXPECT_EQ(decltype(r)::sql().find(this->sql("json_extract", "data->")), std::string_view::npos)
      << decltype(r)::sql();

  using sum_kind = sqler::detail::aggregate_kind<sqler::detail::sum_fn, std::decay_t<decltype(F::age)>>;
  auto all = this->accounts().find();
  EXPECT_EQ(decltype(all)::template sql_of<sum_kind>(), "SELECT SUM(\"age\") FROM \"Account\"");
}

TYPED_TEST(Promoted, TableHasTypedVirtualGeneratedColumns) {
  const auto cols = columns_of<TypeParam>(this->db(), "Account");
  using row = column_row;
  if constexpr (sqler_test::is_postgres<TypeParam>) {
    // PostgreSQL 15 has STORED generated columns only.
    const std::vector<row> want = {
        {"_id", "bigint", 0},  {"_version", "bigint", 0}, {"data", "jsonb", 0},
        {"email", "text", 3},  {"age", "bigint", 3},      {"score", "double precision", 3},
        {"tier", "bigint", 3}, {"active", "boolean", 3},
    };
    EXPECT_EQ(cols, want);
  } else {
    // hidden = 2: a VIRTUAL generated column (3 would be STORED).
    const std::vector<row> want = {
        {"_id", "INTEGER", 0},  {"_version", "INTEGER", 0}, {"data", "TEXT", 0},
        {"email", "TEXT", 2},   {"age", "INTEGER", 2},      {"score", "REAL", 2},
        {"tier", "INTEGER", 2}, {"active", "INTEGER", 2},
    };
    EXPECT_EQ(cols, want);
  }

  // The column holds the member's value with the column's type.
  auto typed = this->db().template query<std::string, std::string, std::string, std::string>(
      this->sql("SELECT typeof(email), typeof(age), typeof(score), typeof(tier) FROM \"Account\" "
                "WHERE _id = ?1",
                "SELECT pg_typeof(email)::text, pg_typeof(age)::text, pg_typeof(score)::text, "
                "pg_typeof(tier)::text FROM \"Account\" WHERE _id = $1"),
      this->ids_[0]);
  ASSERT_EQ(typed.size(), 1u);
  if constexpr (sqler_test::is_postgres<TypeParam>) {
    EXPECT_EQ(typed[0], std::make_tuple(std::string("text"), std::string("bigint"),
                                        std::string("double precision"), std::string("bigint")));
  } else {
    EXPECT_EQ(typed[0], std::make_tuple(std::string("text"), std::string("integer"),
                                        std::string("real"), std::string("integer")));
  }
  auto values = this->db().template query<std::string, std::int64_t, double, std::int64_t>(
      "SELECT email, age, score, tier FROM \"Account\" WHERE _id = $1", this->ids_[2]);
  ASSERT_EQ(values.size(), 1u);
  EXPECT_EQ(values[0],
            std::make_tuple(this->docs_[2].email, std::int64_t{this->docs_[2].age},
                            *this->docs_[2].score, static_cast<std::int64_t>(this->docs_[2].tier)));

  // The plain twin has only the three document columns.
  EXPECT_EQ(columns_of<TypeParam>(this->db(), "PlainAccount").size(), 3u);
}

TYPED_TEST(Promoted, IndexOnAPromotedMemberIsAColumnIndexTheQueryUses) {
  // PostgreSQL: NULLS FIRST, the order sqler sorts in, so an index serves order_by() too.
  EXPECT_EQ(
      TestFixture::accounts_type::index_sql(F::email),
      this->sql(
          R"(CREATE INDEX IF NOT EXISTS "sqler_ix_Account__email" ON "Account" ("email"))",
          R"(CREATE INDEX IF NOT EXISTS "sqler_ix_Account__email" ON "Account" ("email" NULLS FIRST))"));
  EXPECT_EQ(
      TestFixture::accounts_type::index_sql(F::tier, F::age),
      this->sql(
          R"(CREATE INDEX IF NOT EXISTS "sqler_ix_Account__tier__age" ON "Account" ("tier", "age"))",
          R"(CREATE INDEX IF NOT EXISTS "sqler_ix_Account__tier__age" ON "Account" ("tier" NULLS FIRST, "age" NULLS FIRST))"));

  auto q = this->accounts().find(F::email == "ivy@example.org");
  const std::string before = q.explain();
  EXPECT_EQ(before.find("sqler_ix_Account__email"), std::string::npos) << before;

  this->accounts().ensure_index(F::email);
  const std::string after = q.explain();
  if constexpr (sqler_test::is_postgres<TypeParam>) {  // "Index Scan using", "Bitmap Index Scan on"
    EXPECT_TRUE(after.find("Index Scan using \"sqler_ix_Account__email\"") != std::string::npos ||
                after.find("Index Scan on \"sqler_ix_Account__email\"") != std::string::npos)
        << after;
  } else {
    EXPECT_TRUE(after.find("USING INDEX sqler_ix_Account__email") != std::string::npos ||
                after.find("USING COVERING INDEX sqler_ix_Account__email") != std::string::npos)
        << after;
  }
  EXPECT_EQ(q.ids(), this->expected([](const Account& a) { return a.email == "ivy@example.org"; }));

  // The prefix test is a range on the column, so it uses the same index.
  auto prefix = this->accounts().find(F::email.starts_with("ca"));
  const std::string prefix_plan = prefix.explain();
  EXPECT_NE(prefix_plan.find("sqler_ix_Account__email"), std::string::npos) << prefix_plan;
  EXPECT_EQ(prefix.ids(),
            this->expected([](const Account& a) { return a.email.rfind("ca", 0) == 0; }));

  // The index is on the column in the schema too.
  auto ddl = this->db().template query<std::string>(
      this->sql("SELECT sql FROM sqlite_master WHERE name = 'sqler_ix_Account__email'",
                "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND "
                "indexname = 'sqler_ix_Account__email'"));
  ASSERT_EQ(ddl.size(), 1u);
  EXPECT_NE(std::get<0>(ddl[0]).find(this->sql("(\"email\")", "btree (email NULLS FIRST)")),
            std::string::npos)
      << std::get<0>(ddl[0]);

  // A range and an order on an indexed promoted integer.
  this->accounts().ensure_index(F::age);
  auto range = this->accounts().find(F::age > 40).order_by(F::age.asc());
  const std::string range_plan = range.explain();
  EXPECT_NE(range_plan.find("sqler_ix_Account__age"), std::string::npos) << range_plan;
  EXPECT_EQ(range_plan.find(this->sql("TEMP B-TREE", "Sort")), std::string::npos) << range_plan;
  std::vector<int> ages;
  for (const auto& a : range.all()) ages.push_back(a.age);
  EXPECT_EQ(ages, (std::vector<int>{41, 55, 62}));
}

TYPED_TEST(Promoted, UniqueIndexOnAPromotedMemberRejectsDuplicates) {
  this->accounts().ensure_unique_index(F::email);
  Account dup = this->docs_[0];
  dup.name = "Someone else";
  EXPECT_THROW(this->accounts().insert(dup), sqler::constraint_error);
  EXPECT_EQ(this->accounts().size(), static_cast<std::int64_t>(this->docs_.size()));

  EXPECT_THROW(this->accounts().replace(this->ids_[1], dup), sqler::constraint_error);
  EXPECT_THROW(this->accounts().update(this->ids_[1], sqler::set(F::email, this->docs_[0].email)),
               sqler::constraint_error);
  EXPECT_EQ(this->accounts().get(this->ids_[1])->email, this->docs_[1].email);

  // A fresh address goes in.
  dup.email = "new@example.com";
  const auto id = this->accounts().insert(dup);
  EXPECT_EQ(this->accounts().find(F::email == "new@example.com").ids(),
            std::vector<std::int64_t>{id});

  // Creating a unique index over data that already has duplicates fails too.
  EXPECT_THROW(this->accounts().ensure_unique_index(F::age), sqler::constraint_error);
}

TYPED_TEST(Promoted, ColumnsFollowUpdatesPatchesAndUpserts) {
  const auto id = this->ids_[3];  // dave, 27, silver
  Account changed = this->docs_[3];
  changed.email = "david@mail.net";
  changed.age = 28;
  changed.score = std::nullopt;
  this->accounts().replace(id, changed);
  EXPECT_TRUE(this->accounts().find(F::email == "dave@mail.net").ids().empty());
  EXPECT_EQ(this->accounts().find(F::email == "david@mail.net").ids(),
            std::vector<std::int64_t>{id});
  EXPECT_EQ(this->accounts().find(F::age == 28).ids(), std::vector<std::int64_t>{id});
  EXPECT_EQ(this->accounts().find(F::score.is_null()).count(), 3);

  this->accounts().update(id, sqler::set(F::age, 99), sqler::set(F::tier, Tier::gold));
  EXPECT_EQ(this->accounts().find(F::age == 99 && F::tier == Tier::gold).ids(),
            std::vector<std::int64_t>{id});
  EXPECT_EQ(this->accounts().find().max(F::age), std::optional<int>(99));

  // Bulk update by query, with an expression over the promoted column itself.
  const auto young = this->accounts().find(F::age < 25).order_by(sqler::doc_id.asc()).ids();
  ASSERT_EQ(young.size(), 2u);
  EXPECT_EQ(this->accounts().find(F::age < 25).update(sqler::set(F::age, F::age + 100)), 2);
  EXPECT_TRUE(this->accounts().find(F::age < 25).ids().empty());
  EXPECT_EQ(this->accounts().find(F::age > 110).order_by(sqler::doc_id.asc()).ids(), young);
  EXPECT_EQ(this->accounts().find(F::score == 2.75).first()->age, 119);

  this->accounts().find(F::email == "ann@example.com").update(sqler::inc(F::score, 0.5));
  EXPECT_EQ(this->accounts().find(F::score == 5.0).order_by(sqler::doc_id.asc()).ids(),
            (std::vector<std::int64_t>{this->ids_[0], this->ids_[6]}));

  // Upsert: both the insert and the replace path.
  Account fresh{"zed@example.com", 70, 9.5, Tier::silver, true, "Zed", {}};
  this->accounts().upsert(1000, fresh);
  EXPECT_EQ(this->accounts().find(F::email == "zed@example.com").ids(),
            std::vector<std::int64_t>{1000});
  fresh.email = "zed@example.net";
  this->accounts().upsert(1000, fresh);
  EXPECT_TRUE(this->accounts().find(F::email == "zed@example.com").ids().empty());
  EXPECT_EQ(this->accounts().find(F::email.ends_with(".net") && F::age == 70).ids(),
            std::vector<std::int64_t>{1000});

  // Removal takes the row, column and all.
  this->accounts().remove(1000);
  EXPECT_TRUE(this->accounts().find(F::age == 70).ids().empty());
  EXPECT_EQ(this->accounts().find(F::tier == Tier::gold).remove(), 4);
  EXPECT_EQ(this->accounts().find().count_distinct(F::tier), 2);
}

// A database reopened: each test opens its own handles on the backend's storage (a file, a
// PostgreSQL schema), as a program restarted with new code would. On PostgreSQL they avoid
// sequential scans, so plans show the indexes that can answer.
template <class B>
class PromotedMigration : public sqler_test::on_backend<B> {
 protected:
  typename B::database reopen() {
#if SQLER_TEST_POSTGRES
    if constexpr (sqler_test::is_postgres<B>)
      return sqler_test::connect_preferring_indexes(this->env());
#endif
    return this->env().open();
  }
  // Where a promoted column's generated value shows: SQLite's hidden code 2 (VIRTUAL); 3
  // (STORED) on PostgreSQL.
  static constexpr std::int64_t generated = sqler_test::is_postgres<B> ? 3 : 2;
};
TYPED_TEST_SUITE(PromotedMigration, sqler_test::persistent_backends, sqler_test::backend_names);

TYPED_TEST(PromotedMigration, OpeningWithPromotionAddsColumnsToAnExistingTable) {
  constexpr bool pg = sqler_test::is_postgres<TypeParam>;
  const std::vector<LegacyCustomer> legacy = {
      {"a@x.org", 30, "A"}, {"b@x.org", 45, "B"}, {"c@y.org", 30, "C"}, {"d@y.org", 60, "D"}};
  std::vector<std::int64_t> ids;
  {
    auto db = this->reopen();
    auto old = sqler_test::collection_of<LegacyCustomer>(db);
    ids = old.insert_many(legacy);
    EXPECT_EQ(columns_of<TypeParam>(db, "Customer").size(), 3u);
  }

  constexpr auto email = sqler::field<&Customer::email>;
  constexpr auto age = sqler::field<&Customer::age>;
  {
    auto db = this->reopen();
    auto customers = sqler_test::collection_of<Customer>(db);
    auto cols = columns_of<TypeParam>(db, "Customer");
    ASSERT_GE(cols.size(), 3u);
    cols.erase(cols.begin(), cols.begin() + 3);  // after _id, _version, data
    const auto g = TestFixture::generated;
    EXPECT_EQ(cols, (std::vector<column_row>{{"email", pg ? "text" : "TEXT", g},
                                             {"age", pg ? "bigint" : "INTEGER", g}}));

    // Existing documents are filterable through the new columns, and load unchanged.
    EXPECT_EQ(customers.find(age == 30).order_by(sqler::doc_id.asc()).ids(),
              (std::vector<std::int64_t>{ids[0], ids[2]}));
    EXPECT_EQ(customers.find(email.ends_with("@y.org")).order_by(age.desc()).ids(),
              (std::vector<std::int64_t>{ids[3], ids[2]}));
    EXPECT_EQ(customers.get(ids[1]), (Customer{"b@x.org", 45, "B"}));
    EXPECT_EQ(customers.find().sum(age), std::optional<std::int64_t>(165));

    customers.ensure_index(email);
    auto q = customers.find(email == "c@y.org");
    EXPECT_NE(q.explain().find("sqler_ix_Customer__email"), std::string::npos) << q.explain();
    EXPECT_EQ(q.ids(), std::vector<std::int64_t>{ids[2]});

    // The legacy view keeps working on the migrated table, and its writes show in the column.
    auto old = sqler_test::collection_of<LegacyCustomer>(db);
    const auto id = old.insert({"e@z.org", 30, "E"});
    EXPECT_EQ(customers.find(age == 30).count(), 3);
    EXPECT_EQ(customers.find(email == "e@z.org").ids(), std::vector<std::int64_t>{id});
  }
  {  // a third open finds the columns present and adds nothing
    auto db = this->reopen();
    auto customers = sqler_test::collection_of<Customer>(db);
    EXPECT_EQ(columns_of<TypeParam>(db, "Customer").size(), 5u);
    EXPECT_EQ(customers.find(email.starts_with("e@")).count(), 1);
  }
}

// Opening only the referring collection must migrate the target table too: a through<> filter
// names the target's column unqualified, so without it SQLite would silently read the
// referrer's column of the same name instead.
TYPED_TEST(PromotedMigration, RefTargetTablesGetTheirColumnsWhenReachedThroughRefs) {
  std::int64_t kyoto = 0;
  {
    auto db = this->reopen();
    auto places = sqler_test::collection_of<LegacyPlace>(db);
    kyoto = places.insert({"Kyoto"});
    places.insert({"Osaka"});
  }
  auto db = this->reopen();
  auto shops = sqler_test::collection_of<Shop>(db);  // never db.collection<Place>()
  const auto a = shops.insert({"Kyoto", sqler::ref<Place>(kyoto)});
  const auto b = shops.insert({"Osaka", sqler::ref<Place>(kyoto)});
  shops.insert({"Kyoto", sqler::ref<Place>(kyoto + 1)});

  std::int64_t city_columns = 0;
  for (const auto& [name, type, hidden] : columns_of<TypeParam>(db, "Place"))
    city_columns += name == "city" && hidden == TestFixture::generated;
  EXPECT_EQ(city_columns, 1);
  auto q = shops.find(sqler::through<&Shop::place>(sqler::field<&Place::city> == "Kyoto"));
  EXPECT_EQ(q.order_by(sqler::doc_id.asc()).ids(), (std::vector<std::int64_t>{a, b}));
}

TYPED_TEST(PromotedMigration, PromotedTableCreatedFreshHasTheColumnsAtOnce) {
  auto db = this->reopen();
  auto customers = sqler_test::collection_of<Customer>(db);
  if constexpr (sqler_test::is_postgres<TypeParam>) {
    // The column's generation expression, as PostgreSQL prints it back, and STORED.
    auto ddl = db.template query<std::string, std::string>(
        "SELECT a.attgenerated::text, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute AS a "
        "JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid "
        "= '\"Customer\"'::regclass AND a.attname = 'email'");
    ASSERT_EQ(ddl.size(), 1u);
    EXPECT_EQ(ddl[0], std::make_tuple(std::string("s"), std::string("(data ->> 'email'::text)")));
  } else {
    auto ddl =
        db.template query<std::string>("SELECT sql FROM sqlite_master WHERE name = 'Customer'");
    ASSERT_EQ(ddl.size(), 1u);
    EXPECT_NE(std::get<0>(ddl[0]).find(
                  "\"email\" TEXT GENERATED ALWAYS AS (json_extract(data,'$.email')) VIRTUAL"),
              std::string::npos)
        << std::get<0>(ddl[0]);
  }
  customers.insert({"q@q.org", 1, "Q"});
  EXPECT_EQ(customers.find(sqler::field<&Customer::age> == 1).count(), 1);
}

// ---- STORED promoted columns

using promo::Gauge;
using promo::MetricBoth;
using promo::MetricPlain;
using promo::MetricStored;
using promo::MetricVirtual;
using promo::Reading;

using column_row = std::tuple<std::string, std::string, std::int64_t>;

std::vector<column_row> generated_columns(sqler::database& db, const std::string& table) {
  return db.query<std::string, std::string, std::int64_t>(
      "SELECT name, type, hidden FROM pragma_table_xinfo(?1) WHERE hidden >= 2 ORDER BY cid",
      table);
}

std::string table_sql(sqler::database& db, const std::string& table) {
  auto rows = db.query<std::string>("SELECT sql FROM sqlite_master WHERE name = ?1", table);
  return rows.empty() ? std::string() : std::get<0>(rows[0]);
}

std::int64_t root_page(sqler::database& db, const std::string& table) {
  return std::get<0>(
      db.query<std::int64_t>("SELECT rootpage FROM sqlite_master WHERE name = ?1", table).at(0));
}

using stored_row = std::tuple<std::int64_t, std::int64_t, std::string>;
std::vector<stored_row> metric_rows(sqler::database& db) {
  return db.query<std::int64_t, std::int64_t, std::string>(
      "SELECT _id, _version, data FROM \"Metric\" ORDER BY _id");
}

// What the dependents of Metric look like: every index and trigger, by name and text.
std::vector<std::tuple<std::string, std::string>> metric_dependents(sqler::database& db) {
  return db.query<std::string, std::string>(
      "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'Metric' AND type IN ('index', "
      "'trigger') AND sql IS NOT NULL ORDER BY name");
}

TEST(StoredPromoted, FreshTableHasStoredColumnsThatQueriesAndWritesUse) {
  auto db = sqler::database::in_memory();
  auto readings = db.collection<Reading>();
  const std::string ddl = table_sql(db, "Reading");
  EXPECT_NE(ddl.find(R"("sensor" TEXT GENERATED ALWAYS AS (json_extract(data,'$.sensor')) VIRTUAL)"),
            std::string::npos)
      << ddl;
  EXPECT_NE(ddl.find(R"("value" REAL GENERATED ALWAYS AS (json_extract(data,'$.value')) STORED)"),
            std::string::npos)
      << ddl;
  // hidden: 2 VIRTUAL, 3 STORED.
  EXPECT_EQ(generated_columns(db, "Reading"),
            (std::vector<column_row>{
                {"sensor", "TEXT", 2}, {"value", "REAL", 3}, {"level", "INTEGER", 3}}));

  constexpr auto value = sqler::field<&Reading::value>;
  constexpr auto level = sqler::field<&Reading::level>;
  constexpr auto sensor = sqler::field<&Reading::sensor>;
  std::vector<Reading> docs;
  for (int i = 0; i < 20; ++i)
    docs.push_back({"s" + std::to_string(i % 3), i * 1.5, i % 4, "n" + std::to_string(i)});
  const auto ids = readings.insert_many(docs);

  auto q = readings.find(value > 18.0 && level == 1).order_by(value.desc());
  EXPECT_EQ(decltype(q)::sql(),
            "SELECT _id, _version, data FROM \"Reading\" WHERE (\"value\" > ?1 AND \"level\" = "
            "?2) ORDER BY \"value\" DESC");
  EXPECT_EQ(q.ids(), (std::vector<std::int64_t>{ids[17], ids[13]}));
  EXPECT_EQ(readings.find(sensor == "s1" && level >= 2).count(), 3);
  EXPECT_EQ(readings.find().sum(level), std::optional<std::int64_t>(30));
  EXPECT_EQ(readings.get(ids[5]), docs[5]);

  // Every write path recomputes the stored value.
  readings.update(ids[0], sqler::set(level, 9));
  EXPECT_EQ(readings.find(level == 9).ids(), std::vector<std::int64_t>{ids[0]});
  readings.replace(ids[1], {"s9", 1000.0, 8, "r"});
  readings.upsert_many(std::vector<std::pair<std::int64_t, Reading>>{
      {ids[2], {"s9", 2000.0, 8, "u"}}, {500, {"s9", 3000.0, 8, "new"}}});
  readings.find(sensor == "s2").update(sqler::inc(level, 100));
  EXPECT_EQ(readings.find(level == 8).order_by(value.asc()).ids(),
            (std::vector<std::int64_t>{ids[1], ids[2], 500}));
  EXPECT_EQ(readings.find(level >= 100).count(), 5);  // s2 but ids[2], now s9
  auto stored = db.query<double, std::int64_t>(
      "SELECT value, level FROM \"Reading\" WHERE _id = ?1", std::int64_t{500});
  EXPECT_EQ(stored.at(0), std::make_tuple(3000.0, std::int64_t{8}));

  readings.ensure_index(level);
  EXPECT_NE(readings.find(level == 8).explain().find("sqler_ix_Reading__level"),
            std::string::npos);

  auto gauges = db.collection<Gauge>();
  EXPECT_EQ(generated_columns(db, "Gauge"), (std::vector<column_row>{{"level", "INTEGER", 3}}));
  gauges.insert({4, "a"});
  EXPECT_EQ(gauges.find(sqler::field<&Gauge::level> == 4).count(), 1);
}

// SQLite cannot ALTER TABLE ADD a STORED column: a table made before the member was stored is
// rebuilt once, in one transaction, keeping rows, ids, versions, the id high-water mark,
// indexes and triggers.
TEST(StoredPromoted, ExistingTableIsRebuiltOnceWithTheStoredColumn) {
  sqler_test::temp_db_file file;
  std::vector<stored_row> before;
  std::vector<std::tuple<std::string, std::string>> dependents;
  std::int64_t newest = 0;
  {
    auto db = sqler::database::open(file.path());
    auto plain = db.collection<MetricPlain>();
    std::vector<MetricPlain> docs;
    for (int i = 0; i < 50; ++i)
      docs.push_back({"metric " + std::to_string(i), i % 10, i % 2 == 0 ? "even" : "odd"});
    const auto ids = plain.insert_many(docs);
    newest = ids.back();
    plain.remove(newest);  // the id high-water mark is now above every stored id
    plain.update(ids[3], sqler::set(sqler::field<&MetricPlain::score>, 7));
    plain.ensure_index(sqler::field<&MetricPlain::tag>);
    plain.ensure_fts(sqler::field<&MetricPlain::name>);
    before = metric_rows(db);
    dependents = metric_dependents(db);
    EXPECT_EQ(dependents.size(), 4u);  // the index and three FTS triggers
  }
  std::int64_t root = 0;
  {
    auto db = sqler::database::open(file.path());
    auto metrics = db.collection<MetricBoth>();  // tag: VIRTUAL (ALTER), score: STORED (rebuild)
    EXPECT_EQ(generated_columns(db, "Metric"),
              (std::vector<column_row>{{"tag", "TEXT", 2}, {"score", "INTEGER", 3}}));
    EXPECT_NE(table_sql(db, "Metric").find("AUTOINCREMENT"), std::string::npos);
    EXPECT_EQ(metric_rows(db), before);
    EXPECT_EQ(metric_dependents(db), dependents);

    constexpr auto score = sqler::field<&MetricBoth::score>;
    constexpr auto tag = sqler::field<&MetricBoth::tag>;
    EXPECT_EQ(metrics.find(score == 7).count(), 6);  // five of 0..48 with i % 10 == 7, and ids[3]
    EXPECT_EQ(metrics.find(tag == "odd").count(), 24);  // 49 was removed
    // The expression index made before is kept, and serves the program that filters by path.
    auto by_path = db.collection<MetricPlain>().find(sqler::field<&MetricPlain::tag> == "odd");
    EXPECT_NE(by_path.explain().find("sqler_ix_Metric__tag"), std::string::npos);
    // Ids are not reused, and the triggers still feed the full-text index.
    const auto id = metrics.insert({"fresh gauge", 3, "odd"});
    EXPECT_GT(id, newest);
    EXPECT_EQ(metrics.find().match("fresh").ids(), std::vector<std::int64_t>{id});
    root = root_page(db, "Metric");
  }
  {  // opened again: nothing to do, no rebuild
    auto db = sqler::database::open(file.path());
    auto metrics = db.collection<MetricBoth>();
    EXPECT_EQ(root_page(db, "Metric"), root);
    EXPECT_EQ(metrics.size(), 50);
  }
}

TEST(StoredPromoted, AVirtualColumnBecomesStoredAndBackWithItsIndex) {
  sqler_test::temp_db_file file;
  constexpr auto vscore = sqler::field<&MetricVirtual::score>;
  std::vector<stored_row> before;
  {
    auto db = sqler::database::open(file.path());
    auto metrics = db.collection<MetricVirtual>();
    for (int i = 0; i < 30; ++i) metrics.insert({"m", i % 5, "t"});
    metrics.ensure_index(vscore);
    EXPECT_EQ(generated_columns(db, "Metric"), (std::vector<column_row>{{"score", "INTEGER", 2}}));
    before = metric_rows(db);
  }
  {
    auto db = sqler::database::open(file.path());
    auto metrics = db.collection<MetricStored>();
    EXPECT_EQ(generated_columns(db, "Metric"), (std::vector<column_row>{{"score", "INTEGER", 3}}));
    EXPECT_EQ(metric_rows(db), before);
    auto q = metrics.find(sqler::field<&MetricStored::score> == 2);
    EXPECT_NE(q.explain().find("sqler_ix_Metric__score"), std::string::npos) << q.explain();
    EXPECT_EQ(q.count(), 6);
  }
  {  // declared VIRTUAL again: the table follows the declaration
    auto db = sqler::database::open(file.path());
    auto metrics = db.collection<MetricVirtual>();
    EXPECT_EQ(generated_columns(db, "Metric"), (std::vector<column_row>{{"score", "INTEGER", 2}}));
    EXPECT_EQ(metric_rows(db), before);
    EXPECT_NE(metrics.find(vscore == 2).explain().find("sqler_ix_Metric__score"),
              std::string::npos);
  }
}

TEST(StoredPromoted, AColumnSqlerDidNotWriteIsASchemaError) {
  auto db = sqler::database::in_memory();
  db.execute(
      "CREATE TABLE \"Metric\" (_id INTEGER PRIMARY KEY AUTOINCREMENT, _version INTEGER NOT "
      "NULL DEFAULT 1, data TEXT NOT NULL CHECK (json_valid(data)), \"score\" INTEGER "
      "GENERATED ALWAYS AS (length(data)) VIRTUAL)");
  db.execute("INSERT INTO \"Metric\" (data) VALUES ('{\"name\":\"x\",\"score\":1,\"tag\":\"\"}')");
  const std::string ddl = table_sql(db, "Metric");
  try {
    db.collection<MetricStored>();
    ADD_FAILURE() << "no error";
  } catch (const sqler::schema_error& e) {
    EXPECT_NE(std::string(e.what()).find("\"score\""), std::string::npos) << e.what();
  }
  EXPECT_EQ(table_sql(db, "Metric"), ddl);  // untouched
  EXPECT_EQ(db.collection<MetricPlain>().size(), 1);
}

TEST(StoredPromoted, ReadOnlyDatabasesAreReadAsTheyAre) {
  sqler_test::temp_db_file virtual_file, plain_file;
  {
    auto db = sqler::database::open(virtual_file.path());
    db.collection<MetricVirtual>().insert({"m", 4, "t"});
    auto plain = sqler::database::open(plain_file.path());
    plain.collection<MetricPlain>().insert({"m", 4, "t"});
  }
  sqler::database_options ro;
  ro.read_only = true;
  {  // VIRTUAL where STORED is declared: read as it is, the same answers
    auto db = sqler::database::open(virtual_file.path(), ro);
    auto metrics = db.collection<MetricStored>();
    EXPECT_EQ(metrics.find(sqler::field<&MetricStored::score> == 4).count(), 1);
    EXPECT_EQ(generated_columns(db, "Metric"), (std::vector<column_row>{{"score", "INTEGER", 2}}));
  }
  {  // no column at all: it cannot be added, say so
    auto db = sqler::database::open(plain_file.path(), ro);
    EXPECT_THROW(db.collection<MetricStored>(), sqler::schema_error);
  }
}

TEST(StoredPromoted, ATableFromAnotherToolGetsVersionIdsAndTheStoredColumnAtOnce) {
  auto db = sqler::database::in_memory();
  db.execute("CREATE TABLE \"Metric\" (_id INTEGER PRIMARY KEY, data TEXT NOT NULL)");
  db.execute("CREATE INDEX other_tool_ix ON \"Metric\" (json_extract(data, '$.name'))");
  db.execute("INSERT INTO \"Metric\" (_id, data) VALUES (3, '{\"name\":\"a\",\"score\":5,\"tag\":\"x\"}'), "
             "(9, '{\"name\":\"b\",\"score\":6,\"tag\":\"y\"}')");
  auto metrics = db.collection<MetricStored>();
  const std::string ddl = table_sql(db, "Metric");
  EXPECT_NE(ddl.find("AUTOINCREMENT"), std::string::npos) << ddl;
  EXPECT_NE(ddl.find("_version"), std::string::npos) << ddl;
  EXPECT_EQ(generated_columns(db, "Metric"), (std::vector<column_row>{{"score", "INTEGER", 3}}));
  EXPECT_EQ(metric_rows(db),
            (std::vector<stored_row>{{3, 1, R"({"name":"a","score":5,"tag":"x"})"},
                                     {9, 1, R"({"name":"b","score":6,"tag":"y"})"}}));
  EXPECT_EQ(std::get<0>(db.query<std::int64_t>(
                              "SELECT COUNT(*) FROM sqlite_master WHERE name = 'other_tool_ix'")
                            .at(0)),
            1);
  EXPECT_EQ(metrics.find(sqler::field<&MetricStored::score> > 5).ids(), std::vector<std::int64_t>{9});
  EXPECT_EQ(metrics.insert({"c", 1, "z"}), 10);
}

}  // namespace
