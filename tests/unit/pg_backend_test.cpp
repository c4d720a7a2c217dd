// PostgreSQL-specific behaviour of the sqler API (not the client layer, which pg_client_test
// covers): a job queue on update_one (FOR UPDATE SKIP LOCKED), the indexes the planner picks for
// every indexed query shape, streaming in bounded memory, a pool under many threads, surviving
// a server restart, and the mapping of PostgreSQL's failures to sqler's exception types.
//
// Needs a server: SQLER_PG holds its conninfo (eval "$(scripts/pg_cluster.sh start)"). Each
// test works in a schema of its own (tests/support/backends.hpp). Without SQLER_PG every test
// skips, unless SQLER_PG_REQUIRED=1: then they fail.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <variant>
#include <vector>

#include "../support/backends.hpp"

namespace pgb {

struct Part {
  std::string sku;
  std::int64_t qty = 0;
};

// Indexed three ways: expression indexes (ensure_index), multikey GIN indexes on its arrays,
// and a full-text index.
struct Product {
  std::string name;
  std::string category;
  std::int64_t price = 0;
  std::vector<std::string> tags;
  std::vector<Part> parts;
  std::string blurb;
};

// Promoted members: typed columns with their own btree indexes.
struct Listing {
  std::string code;
  std::int64_t rank = 0;
  std::string title;
};

struct Job {
  std::string status;
  std::int64_t worker = -1;
  std::int64_t payload = 0;
};

struct Counter {
  std::string name;
  std::int64_t n = 0;
};

struct Account {
  std::string owner;
  std::int64_t balance = 0;
};

struct Note {
  std::int64_t thread = 0;
  std::int64_t seq = 0;
  std::string text;
};

struct Line {
  std::int64_t i = 0;
  std::string s;
};

struct Member {
  std::string email;
  std::string name;
};

// One table read two ways: through multikey indexes, and by scanning (no declaration).
struct Tagged {
  static constexpr std::string_view sqler_table = "Tagged";
  static constexpr bool sqler_shared_table = true;
  std::vector<std::string> tags;
  std::vector<Part> parts;
  std::vector<std::int64_t> nums;
};
struct PlainTagged {
  static constexpr std::string_view sqler_table = "Tagged";
  static constexpr bool sqler_shared_table = true;
  std::vector<std::string> tags;
  std::vector<Part> parts;
  std::vector<std::int64_t> nums;
};

}  // namespace pgb

template <>
struct sqler::multikey<pgb::Product>
    : sqler::multikey_list<sqler::elements<&pgb::Product::tags>,
                           sqler::elements<&pgb::Product::parts, &pgb::Part::sku>> {};

template <>
struct sqler::multikey<pgb::Tagged>
    : sqler::multikey_list<sqler::elements<&pgb::Tagged::tags>,
                           sqler::elements<&pgb::Tagged::parts, &pgb::Part::sku>,
                           sqler::elements<&pgb::Tagged::nums>> {};

template <>
struct sqler::promoted<pgb::Listing>
    : sqler::columns<&pgb::Listing::code, &pgb::Listing::rank> {};

namespace {

using namespace std::chrono_literals;
using pgb::Account;
using pgb::Counter;
using pgb::Job;
using pgb::Line;
using pgb::Listing;
using pgb::Member;
using pgb::Note;
using pgb::Part;
using pgb::PlainTagged;
using pgb::Tagged;
using pgb::Product;
using clock_type = std::chrono::steady_clock;

using pg_env = sqler_test::postgres;
using pg_database = sqler::postgres::database;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

// Resident set size, from /proc/self/statm.
std::int64_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::int64_t>(sysconf(_SC_PAGESIZE));
}

// Starts the threads together so they really contend.
template <class F>
void run_threads(int n, F body) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < n; ++t)
    threads.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      body(t);
    });
  while (ready.load() < n) std::this_thread::yield();
  go.store(true);
  for (auto& th : threads) th.join();
}

// A test that must finish: if `body` has not returned within `limit`, the process reports a
// deadlock and exits (a deadlocked thread cannot be joined, and detaching it would leave it
// running over this test's stack).
template <class F>
void within(std::chrono::seconds limit, const char* what, F body) {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::thread watchdog([&] {
    std::unique_lock<std::mutex> lock(mu);
    if (!cv.wait_for(lock, limit, [&] { return done; })) {
      std::fprintf(stderr, "\n[ DEADLOCK ] %s did not finish within %lld s\n", what,
                   static_cast<long long>(limit.count()));
      std::fflush(stderr);
      std::_Exit(3);
    }
  });
  struct notify {
    std::mutex& mu;
    std::condition_variable& cv;
    bool& done;
    ~notify() {
      {
        std::lock_guard<std::mutex> lock(mu);
        done = true;
      }
      cv.notify_one();
    }
  };
  {
    notify n{mu, cv, done};
    body();
  }
  watchdog.join();
}

// ---------------------------------------------------------------- plans

// The query's SELECT with its bound values written in as literals, for running EXPLAIN on it
// outside sqler (the planner sees the same values either way: the unnamed statement is planned
// with its parameters' values).
std::string with_literals(const sqler::statement_text& t) {
  std::string sql = t.sql;
  for (std::size_t i = t.values.size(); i >= 1; --i) {
    const std::string literal = std::visit(
        [](const auto& v) -> std::string {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::nullptr_t>) {
            return "NULL";
          } else if constexpr (std::is_same_v<V, std::string>) {
            std::string out = "'";
            for (char c : v) {
              if (c == '\'') out += '\'';
              out += c;
            }
            return out + "'";
          } else if constexpr (std::is_same_v<V, double>) {
            std::ostringstream s;
            s.precision(17);
            s << v;
            return "(" + s.str() + ")";
          } else {
            return "(" + std::to_string(v) + ")";
          }
        },
        t.values[i - 1]);
    const std::string ph = "$" + std::to_string(i);
    for (std::size_t at = sql.find(ph); at != std::string::npos; at = sql.find(ph, at)) {
      const std::size_t end = at + ph.size();
      if (end < sql.size() && sql[end] >= '0' && sql[end] <= '9') {
        at = end;
        continue;
      }
      sql.replace(at, ph.size(), literal);
      at += literal.size();
    }
  }
  return sql;
}

// EXPLAIN of the query's SELECT, run by the test itself (independent of query::explain()).
template <class Q>
std::string server_plan(pg_database& db, const Q& q) {
  std::string out;
  for (const auto& [line] : db.query<std::string>("EXPLAIN " + with_literals(q.debug()))) {
    if (!out.empty()) out += '\n';
    out += line;
  }
  return out;
}

// Whether a plan reads the index `name` (Index Scan / Index Only Scan / Bitmap Index Scan).
bool uses_index(const std::string& plan, std::string_view name) {
  std::istringstream lines(plan);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(name) == std::string::npos) continue;
    if (line.find("Index Scan") != std::string::npos ||
        line.find("Index Only Scan") != std::string::npos)
      return true;
  }
  return false;
}

// ---------------------------------------------------------------- the fixture

class PgBackend : public sqler_test::on_backend<pg_env> {
 protected:
  // Indexes of a table, for failure messages.
  std::string indexes_of(const std::string& table) {
    std::string out;
    for (const auto& [name, def] : db().query<std::string, std::string>(
             "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
             "AND tablename = $1 ORDER BY indexname",
             table)) {
      out += "\n  " + name + ": " + def;
    }
    return out;
  }
};

// ================================================================ job queue

constexpr auto job_status = sqler::field<&Job::status>;
constexpr auto job_worker = sqler::field<&Job::worker>;
constexpr auto job_payload = sqler::field<&Job::payload>;

// Four workers claim jobs with update_one until none is left: FOR UPDATE SKIP LOCKED hands each
// job to exactly one of them, and none waits for another's row lock.
TEST_F(PgBackend, JobQueueHandsEveryJobToExactlyOneWorker) {
  constexpr int jobs_total = 1000, workers = 4;
  auto jobs = sqler_test::collection_of<Job>(db());
  std::vector<Job> fresh;
  for (int i = 0; i < jobs_total; ++i) fresh.push_back({"new", -1, i});
  const auto ids = jobs.insert_many(fresh);
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(jobs_total));

  const auto claim = jobs.find(job_status == "new").order_by(sqler::doc_id.asc());
  // The claim is one UPDATE whose sub-select locks its row and skips rows others hold.
  std::mutex sql_mu;
  std::set<std::string> updates;
  const auto hook = db().on_query([&](const sqler::query_event& e) {
    if (e.sql.starts_with("UPDATE")) {
      std::lock_guard<std::mutex> lock(sql_mu);
      updates.insert(std::string(e.sql));
    }
  });

  std::vector<std::vector<std::int64_t>> claimed(workers);
  std::atomic<int> bad_rows{0}, failures{0};
  const auto t0 = clock_type::now();
  within(60s, "the job queue", [&] {
    run_threads(workers, [&](int w) {
      auto& mine = claimed[static_cast<std::size_t>(w)];
      try {
        while (auto job = claim.update_one(sqler::set(job_status, std::string("taken")),
                                           sqler::set(job_worker, std::int64_t{w}))) {
          // The row as the update left it.
          if (job->value.status != "taken" || job->value.worker != w || job->version != 2)
            bad_rows.fetch_add(1);
          mine.push_back(job->id);
        }
      } catch (const std::exception& e) {
        failures.fetch_add(1);
        std::fprintf(stderr, "worker %d failed: %s\n", w, e.what());
      }
    });
  });
  const double secs = seconds_since(t0);
  db().remove_query_hook(hook);
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_NE(updates.begin()->find("FOR UPDATE SKIP LOCKED"), std::string::npos)
      << *updates.begin();
  std::printf("[ job queue ] %d jobs claimed by %d workers in %.3f s (%.0f claims/s); per worker:",
              jobs_total, workers, secs, jobs_total / secs);
  for (const auto& c : claimed) std::printf(" %zu", c.size());
  std::printf("\n");

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(bad_rows.load(), 0);
  std::multiset<std::int64_t> all;
  for (int w = 0; w < workers; ++w) {
    EXPECT_GT(claimed[static_cast<std::size_t>(w)].size(), 0u) << "worker " << w << " got none";
    all.insert(claimed[static_cast<std::size_t>(w)].begin(),
               claimed[static_cast<std::size_t>(w)].end());
    // Each worker claims in _id order.
    EXPECT_TRUE(std::is_sorted(claimed[static_cast<std::size_t>(w)].begin(),
                               claimed[static_cast<std::size_t>(w)].end()));
  }
  EXPECT_EQ(all.size(), static_cast<std::size_t>(jobs_total));  // none lost
  EXPECT_EQ(std::set<std::int64_t>(all.begin(), all.end()).size(), all.size())
      << "a job was claimed twice";
  EXPECT_EQ(std::set<std::int64_t>(all.begin(), all.end()),
            std::set<std::int64_t>(ids.begin(), ids.end()));

  // What is stored agrees: every job taken once (version 2), by the worker that reported it.
  EXPECT_EQ(jobs.find(job_status == "new").count(), 0);
  EXPECT_EQ(jobs.find(job_status == "taken").count(), jobs_total);
  std::map<std::int64_t, std::int64_t> owner;
  for (int w = 0; w < workers; ++w)
    for (auto id : claimed[static_cast<std::size_t>(w)]) owner[id] = w;
  int mismatched = 0;
  for (const auto& v : jobs.find().all_versioned())
    if (v.version != 2 || owner[v.id] != v.value.worker) ++mismatched;
  EXPECT_EQ(mismatched, 0);
  EXPECT_EQ(jobs.find(job_payload >= 0).count(), jobs_total);
  EXPECT_LE(db().connection_count(), 4u);
}

// ================================================================ indexes

constexpr auto p_name = sqler::field<&Product::name>;
constexpr auto p_category = sqler::field<&Product::category>;
constexpr auto p_price = sqler::field<&Product::price>;
constexpr auto p_tags = sqler::field<&Product::tags>;
constexpr auto p_parts = sqler::field<&Product::parts>;
constexpr auto p_blurb = sqler::field<&Product::blurb>;
constexpr auto part_sku = sqler::field<&Part::sku>;

constexpr int product_count = 10000;

Product make_product(int i) {
  Product p;
  p.name = "product " + std::to_string(i);
  p.category = "c" + std::to_string(i % 50);
  p.price = i;
  p.tags = {"t" + std::to_string(i % 1000), "u" + std::to_string((i * 7) % 1000),
            "g" + std::to_string(i % 10)};
  p.parts = {{"p" + std::to_string(i % 2000), i % 5}, {"q" + std::to_string(i % 3000), 1}};
  p.blurb = "part k" + std::to_string(i % 500) + " of series s" + std::to_string(i % 7);
  return p;
}

class PgIndexes : public PgBackend {
 protected:
  void SetUp() override {
    PgBackend::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    products.emplace(sqler_test::collection_of<Product>(db()));
    std::vector<Product> docs;
    docs.reserve(product_count);
    for (int i = 0; i < product_count; ++i) docs.push_back(make_product(i));
    const auto t0 = clock_type::now();
    products->insert_many(docs);
    std::printf("[ indexes ] insert_many of %d documents: %.2f s\n", product_count,
                seconds_since(t0));
  }
  void analyze() { db().execute("ANALYZE \"Product\""); }

  // Checks that both query::explain() and the server's own EXPLAIN of the same SELECT name
  // the index.
  template <class Q>
  void expect_index(const Q& q, std::string_view index, const char* what) {
    std::string api, server;
    try {
      api = q.explain();
    } catch (const std::exception& e) {
      api = std::string("query::explain() threw: ") + e.what();
    }
    try {
      server = server_plan(db(), q);
    } catch (const std::exception& e) {
      server = std::string("EXPLAIN threw: ") + e.what();
    }
    EXPECT_TRUE(uses_index(api, index))
        << what << ": query::explain() does not show an index scan on " << index << ":\n"
        << api << "\n(the server's EXPLAIN of the same SELECT:\n"
        << server << ")\nSQL: " << q.debug().to_string();
    EXPECT_TRUE(uses_index(server, index))
        << what << ": the planner does not use " << index << ":\n"
        << server << "\nSQL: " << q.debug().to_string() << "\nindexes:" << indexes_of("Product");
  }

  // count(), or -1 (and a failure) when it throws: one broken shape does not hide the others.
  template <class Q>
  static std::int64_t count_of(const Q& q) {
    try {
      return q.count();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "count() threw: " << e.what();
      return -1;
    }
  }

  std::optional<sqler::collection<Product, sqler::postgres_backend>> products;
};

TEST_F(PgIndexes, ExplainReturnsPostgresPlan) {
  analyze();
  const auto q = products->find(p_price == 5);
  const std::string plan = q.explain();
  // PostgreSQL's plan has one text column ("QUERY PLAN"); every line names a node or a
  // condition, and the top node is a scan of the table.
  EXPECT_NE(plan.find("Scan"), std::string::npos) << "explain() returned: '" << plan << "'";
  EXPECT_NE(plan.find("Product"), std::string::npos) << "explain() returned: '" << plan << "'";
  EXPECT_NE(plan.find("cost="), std::string::npos) << "explain() returned: '" << plan << "'";
  EXPECT_EQ(plan, server_plan(db(), q));
}

TEST_F(PgIndexes, ExpressionIndexServesEqualityRangesAndOrder) {
  products->ensure_index(p_price);
  products->ensure_index(p_category);
  analyze();
  const std::string price_ix = "sqler_ix_Product__price";
  const std::string category_ix = "sqler_ix_Product__category";

  const auto eq = products->find(p_price == 4321);
  expect_index(eq, price_ix, "price == 4321");
  EXPECT_EQ(eq.count(), 1);
  EXPECT_EQ(eq.first()->name, "product 4321");

  const auto ge = products->find(p_price >= product_count - 20);
  expect_index(ge, price_ix, "price >= n - 20");
  EXPECT_EQ(ge.count(), 20);

  const auto between = products->find(p_price > 100 && p_price <= 110);
  expect_index(between, price_ix, "100 < price <= 110");
  EXPECT_EQ(between.count(), 10);

  const auto top = products->find().order_by(p_price.desc()).limit(5);
  expect_index(top, price_ix, "order_by(price desc).limit(5)");
  std::vector<std::int64_t> prices;
  for (const auto& p : top.all()) prices.push_back(p.price);
  EXPECT_EQ(prices, (std::vector<std::int64_t>{9999, 9998, 9997, 9996, 9995}));

  const auto bottom = products->find().order_by(p_price.asc()).limit(3);
  expect_index(bottom, price_ix, "order_by(price asc).limit(3)");
  EXPECT_EQ(bottom.first()->price, 0);

  const auto cat = products->find(p_category == "c17");
  expect_index(cat, category_ix, "category == \"c17\"");
  EXPECT_EQ(cat.count(), product_count / 50);
}

TEST_F(PgIndexes, MultikeyGinIndexServesContainment) {
  analyze();
  const std::string tags_ix = "sqler_mk_Product__tags";
  const std::string parts_ix = "sqler_mk_Product__parts";

  const auto has = products->find(p_tags.contains(std::string("t123")));
  expect_index(has, tags_ix, "tags.contains(t123)");
  EXPECT_EQ(count_of(has), product_count / 1000);

  const auto both = products->find(p_tags.contains_all({std::string("t5"), std::string("g5")}));
  expect_index(both, tags_ix, "tags.contains_all({t5, g5})");
  EXPECT_EQ(count_of(both), product_count / 1000);

  const auto part = products->find(p_parts.any(part_sku == "p77"));
  expect_index(part, parts_ix, "parts.any(sku == p77)");
  EXPECT_EQ(count_of(part), product_count / 2000);
}

// customize.hpp promises that contains_any() and any(element.in(...)) search the multikey index
// as well.
TEST_F(PgIndexes, MultikeyGinIndexServesAlternatives) {
  analyze();
  const auto any_of = products->find(p_tags.contains_any({std::string("t1"), std::string("t2")}));
  expect_index(any_of, "sqler_mk_Product__tags", "tags.contains_any({t1, t2})");
  EXPECT_EQ(count_of(any_of), 2 * product_count / 1000);

  const auto in = products->find(p_parts.any(part_sku.in({"p1", "p2"})));
  expect_index(in, "sqler_mk_Product__parts", "parts.any(sku.in({p1, p2}))");
  EXPECT_EQ(count_of(in), 2 * product_count / 2000);
}

TEST_F(PgIndexes, FullTextMatchUsesItsGinIndex) {
  products->ensure_fts(p_name, p_blurb);
  analyze();
  const auto q = products->find().match("k123");
  expect_index(q, "Product__fts", "match(k123)");
  EXPECT_EQ(count_of(q), product_count / 500);
  const auto two = products->find().match("k123 s3");
  expect_index(two, "Product__fts", "match(k123 s3)");
  std::int64_t both = 0;
  for (int i = 0; i < product_count; ++i)
    if (i % 500 == 123 && i % 7 == 3) ++both;
  EXPECT_EQ(count_of(two), both);  // websearch syntax: both words
}

// The multikey path (GIN containment) finds exactly what scanning the arrays finds, for every
// element value: strings (including ones that read as JSON: "123", "true", "null"), members of
// object elements, and numbers.
TEST_F(PgBackend, MultikeyContainmentFindsWhatAScanFinds) {
  auto tagged = sqler_test::collection_of<Tagged>(db());
  auto plain = sqler_test::collection_of<PlainTagged>(db());
  const std::vector<std::string> values = {"plain", "123", "true", "null", "two words",
                                           "it's", "[1]", "\"q\"", "1.5"};
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto& v = values[i];
    tagged.insert({{v, "other"}, {{v, 1}}, {static_cast<std::int64_t>(i)}});
    tagged.insert({{"other"}, {{"x", 2}}, {100}});
  }
  auto ids_or_error = [](const auto& q) -> std::string {
    try {
      std::string out;
      for (auto id : q.order_by(sqler::doc_id.asc()).ids()) out += std::to_string(id) + " ";
      return out;
    } catch (const std::exception& e) {
      return std::string("threw: ") + e.what();
    }
  };
  constexpr auto tags = sqler::field<&Tagged::tags>;
  constexpr auto parts = sqler::field<&Tagged::parts>;
  constexpr auto nums = sqler::field<&Tagged::nums>;
  constexpr auto plain_tags = sqler::field<&PlainTagged::tags>;
  constexpr auto plain_parts = sqler::field<&PlainTagged::parts>;
  constexpr auto plain_nums = sqler::field<&PlainTagged::nums>;
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto& v = values[i];
    const std::string expected = std::to_string(2 * i + 1) + " ";
    EXPECT_EQ(ids_or_error(plain.find(plain_tags.contains(v))), expected) << v;
    EXPECT_EQ(ids_or_error(tagged.find(tags.contains(v))), expected)
        << "tags.contains(" << v << "): " << tagged.find(tags.contains(v)).debug().to_string();
    EXPECT_EQ(ids_or_error(plain.find(plain_parts.any(part_sku == v))), expected) << v;
    EXPECT_EQ(ids_or_error(tagged.find(parts.any(part_sku == v))), expected)
        << "parts.any(sku == " << v << "): "
        << tagged.find(parts.any(part_sku == v)).debug().to_string();
    EXPECT_EQ(ids_or_error(tagged.find(tags.contains_all({v, std::string("other")}))), expected)
        << v;
    EXPECT_EQ(ids_or_error(tagged.find(tags.contains_any({v, std::string("none")}))), expected)
        << v;
    const auto n = static_cast<std::int64_t>(i);
    EXPECT_EQ(ids_or_error(tagged.find(nums.contains(n))),
              ids_or_error(plain.find(plain_nums.contains(n))));
  }
}

constexpr auto l_code = sqler::field<&Listing::code>;
constexpr auto l_rank = sqler::field<&Listing::rank>;

TEST_F(PgBackend, PromotedColumnIndexServesComparisons) {
  auto listings = sqler_test::collection_of<Listing>(db());
  std::vector<Listing> docs;
  for (int i = 0; i < product_count; ++i)
    docs.push_back({"L" + std::to_string(100000 + i), i, "listing " + std::to_string(i)});
  listings.insert_many(docs);
  listings.ensure_index(l_code);
  listings.ensure_index(l_rank);
  db().execute("ANALYZE \"Listing\"");

  auto check = [&](const auto& q, std::string_view index, const char* what) {
    const std::string api = q.explain();
    const std::string server = server_plan(db(), q);
    EXPECT_TRUE(uses_index(api, index)) << what << ": query::explain():\n" << api;
    EXPECT_TRUE(uses_index(server, index))
        << what << ": server plan:\n" << server << "\nSQL: " << q.debug().to_string()
        << "\nindexes:" << indexes_of("Listing");
  };
  const auto eq = listings.find(l_code == "L104242");
  check(eq, "sqler_ix_Listing__code", "code == L104242");
  EXPECT_EQ(eq.first()->rank, 4242);

  const auto range = listings.find(l_rank >= product_count - 10);
  check(range, "sqler_ix_Listing__rank", "rank >= n - 10");
  EXPECT_EQ(range.count(), 10);

  const auto lt = listings.find(l_rank < 5).order_by(l_rank.asc());
  check(lt, "sqler_ix_Listing__rank", "rank < 5 order by rank");
  EXPECT_EQ(lt.count(), 5);

  const auto ordered = listings.find().order_by(l_rank.desc()).limit(3);
  check(ordered, "sqler_ix_Listing__rank", "order_by(rank desc).limit(3)");
  EXPECT_EQ(ordered.first()->rank, product_count - 1);

  // starts_with() becomes a range on the index where text sorts bytewise (the C collation
  // scripts/pg_cluster.sh sets up); under another collation only a pattern index could serve it.
  const auto prefix = listings.find(l_code.starts_with("L10424"));
  const auto collation = std::get<0>(
      db().query<std::string>("SELECT datcollate FROM pg_database WHERE datname = "
                              "current_database()")
          .at(0));
  if (collation == "C" || collation == "POSIX")
    check(prefix, "sqler_ix_Listing__code", "code.starts_with(L10424)");
  EXPECT_EQ(prefix.count(), 10);
}

// ================================================================ streaming

constexpr int stream_rows = 300000;

// 300,000 documents stream through one iterator in bounded memory: the first row arrives long
// before the result could have been read whole, and the RSS stays flat; all() then loads them.
TEST_F(PgBackend, IterationStreamsInBoundedMemory) {
  auto lines = sqler_test::collection_of<Line>(db());
  db().execute(
      "INSERT INTO \"Line\" (data) SELECT jsonb_build_object('i', i, 's', 'line ' || i) FROM "
      "generate_series(1, 300000) AS i");
  ASSERT_EQ(lines.size(), stream_rows);

  const auto q = lines.find();
  // Warm up: the statement is prepared, buffers exist, the allocator has its arenas.
  {
    int n = 0;
    for (auto it = lines.find().limit(1000).begin(); it != std::default_sentinel; ++it) ++n;
    ASSERT_EQ(n, 1000);
  }
  const std::int64_t before = rss_bytes();
  std::int64_t peak = before;
  const auto t0 = clock_type::now();
  auto it = q.begin();
  const double first_row = seconds_since(t0);
  std::int64_t count = 0, sum = 0;
  for (; it != q.end(); ++it) {
    ++count;
    sum += it->i;
    if (it->s != "line " + std::to_string(it->i)) ADD_FAILURE() << "row " << it->i;
    if (count % 5000 == 0) peak = std::max(peak, rss_bytes());
  }
  const double total = seconds_since(t0);
  peak = std::max(peak, rss_bytes());
  std::printf("[ streaming ] %lld rows: first row after %.2f ms, all after %.3f s; RSS %.1f MB "
              "before, peak %.1f MB (+%.2f MB)\n",
              static_cast<long long>(count), first_row * 1000, total, before / 1048576.0,
              peak / 1048576.0, (peak - before) / 1048576.0);
  EXPECT_EQ(count, stream_rows);
  EXPECT_EQ(sum, static_cast<std::int64_t>(stream_rows) * (stream_rows + 1) / 2);
  EXPECT_LT(peak - before, 4 * 1048576) << "iteration buffered the result";
  EXPECT_LT(first_row, total / 20) << "the first row waited for the whole result";
  EXPECT_LT(first_row, 0.1);

  const auto t1 = clock_type::now();
  const auto rows = q.all();
  std::printf("[ streaming ] all(): %zu rows in %.3f s, RSS now %.1f MB\n", rows.size(),
              seconds_since(t1), rss_bytes() / 1048576.0);
  EXPECT_EQ(rows.size(), static_cast<std::size_t>(stream_rows));
  EXPECT_EQ(db().connection_count(), 1u);
}

// ================================================================ concurrency

constexpr auto counter_n = sqler::field<&Counter::n>;

TEST_F(PgBackend, OptimisticIncrementsFromEightThreadsLandExactly) {
  constexpr int threads = 8, per_thread = 500;
  auto counters = sqler_test::collection_of<Counter>(db());
  const auto id = counters.insert({"hits", 0});
  std::atomic<std::int64_t> stale{0}, other{0};
  const auto t0 = clock_type::now();
  within(120s, "8 x 500 optimistic increments", [&] {
    run_threads(threads, [&](int) {
      auto mine = counters;
      for (int i = 0; i < per_thread; ++i) {
        for (int attempt = 0;; ++attempt) {
          if (attempt > 100000) {
            other.fetch_add(1);
            return;
          }
          try {
            auto v = mine.get_versioned(id);
            ++v->value.n;
            mine.replace(*v);
            break;
          } catch (const sqler::stale_version&) {
            stale.fetch_add(1);
          } catch (const std::exception& e) {
            if (other.fetch_add(1) < 5) std::fprintf(stderr, "increment failed: %s\n", e.what());
          }
        }
      }
    });
  });
  std::printf("[ optimistic ] %d increments in %.2f s, %lld stale retries\n", threads * per_thread,
              seconds_since(t0), static_cast<long long>(stale.load()));
  EXPECT_EQ(other.load(), 0);
  const auto final_doc = counters.get_versioned(id);
  ASSERT_TRUE(final_doc);
  EXPECT_EQ(final_doc->value.n, threads * per_thread);
  EXPECT_EQ(final_doc->version, 1 + threads * per_thread);
  EXPECT_GT(stale.load(), 0) << "the threads never contended";
  EXPECT_LE(db().connection_count(), 4u);
}

constexpr auto acct_balance = sqler::field<&Account::balance>;
constexpr auto note_thread = sqler::field<&Note::thread>;

// 16 threads share a pool of 4 for a while, each mixing reads, writes, streaming with nested
// reads, transactions (committed, rolled back, nested, failing) and raw SQL. Nothing deadlocks,
// money is never created or lost, and afterwards every connection is back in the pool, idle.
TEST_F(PgBackend, PoolOfFourServesSixteenThreadsWithoutDeadlockOrLeak) {
  constexpr int threads = 16, accounts_n = 8;
  constexpr std::int64_t total = 8000;
  auto accounts = sqler_test::collection_of<Account>(db());
  auto notes = sqler_test::collection_of<Note>(db());
  auto counters = sqler_test::collection_of<Counter>(db());
  std::vector<std::int64_t> acct;
  for (int i = 0; i < accounts_n; ++i)
    acct.push_back(accounts.insert({"a" + std::to_string(i), total / accounts_n}));
  const auto counter_id = counters.insert({"c", 0});

  std::atomic<std::int64_t> ops{0}, failures{0}, increments{0}, committed_notes{0};
  std::vector<std::int64_t> per_thread_notes(threads, 0);
  auto fail = [&](const std::string& what) {
    if (failures.fetch_add(1) < 10) std::fprintf(stderr, "[ mixed ] %s\n", what.c_str());
  };
  const auto deadline = clock_type::now() + 2500ms;
  const auto t0 = clock_type::now();
  within(90s, "16 threads on a pool of 4", [&] {
    run_threads(threads, [&](int t) {
      std::mt19937 rng(static_cast<unsigned>(t) * 7919u + 1u);
      auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
      std::int64_t seq = 0;
      std::vector<std::int64_t> mine;
      while (clock_type::now() < deadline) {
        const int op = pick(9);
        try {
          switch (op) {
            case 0: {  // insert, then read it back
              const auto id = notes.insert({t, ++seq, "note"});
              mine.push_back(id);
              auto n = notes.get(id);
              if (!n || n->thread != t) fail("read back a note that is not mine");
              break;
            }
            case 1: {  // transfer, in a transaction; rows locked in id order: no deadlock
              int a = pick(accounts_n), b = pick(accounts_n);
              if (a == b) break;
              if (a > b) std::swap(a, b);
              const std::int64_t k = pick(20) + 1;
              auto tx = db().transaction();
              accounts.update(acct[static_cast<std::size_t>(a)], sqler::inc(acct_balance, -k));
              accounts.update(acct[static_cast<std::size_t>(b)], sqler::inc(acct_balance, k));
              if (pick(4) == 0)
                tx.rollback();
              else
                tx.commit();
              break;
            }
            case 2: {  // one statement sees one snapshot: the total never moves
              const auto sum = accounts.find().sum(acct_balance);
              if (!sum || *sum != total) fail("sum of balances " + std::to_string(sum.value_or(-1)));
              break;
            }
            case 3: {  // stream, with nested reads on the same connection
              std::int64_t sum = 0;
              for (auto it = accounts.find().begin(); it != std::default_sentinel; ++it) {
                sum += it->balance;
                if (!accounts.contains(it.id())) fail("nested contains() lost a row");
              }
              if (sum != total) fail("streamed sum " + std::to_string(sum));
              break;
            }
            case 4: {  // optimistic increment, retried until it lands
              for (;;) {
                auto v = counters.get_versioned(counter_id);
                ++v->value.n;
                try {
                  counters.replace(*v);
                  increments.fetch_add(1);
                  break;
                } catch (const sqler::stale_version&) {
                }
              }
              break;
            }
            case 5: {  // nested transaction whose inner level fails in user code
              auto tx = db().transaction();
              const auto keep = notes.insert({t, ++seq, "kept"});
              try {
                auto inner = db().transaction();
                notes.insert({t, ++seq, "undone"});
                throw std::runtime_error("user code gave up");
              } catch (const std::runtime_error&) {
              }
              tx.commit();
              mine.push_back(keep);
              break;
            }
            case 6: {  // a transaction abandoned by an exception rolls back
              try {
                auto tx = db().transaction();
                notes.insert({t, ++seq, "abandoned"});
                throw std::runtime_error("abandon");
              } catch (const std::runtime_error&) {
              }
              break;
            }
            case 7: {  // raw SQL through the pool
              auto rows = db().query<std::int64_t>(
                  "SELECT count(*) FROM \"Note\" WHERE (data->>'thread')::bigint = $1",
                  std::int64_t{t});
              if (rows.size() != 1 ||
                  std::get<0>(rows[0]) != static_cast<std::int64_t>(mine.size()))
                fail("thread " + std::to_string(t) + " sees " +
                     std::to_string(rows.empty() ? -1 : std::get<0>(rows[0])) +
                     " notes, wrote " + std::to_string(mine.size()));
              db().execute("UPDATE \"Counter\" SET _version = _version WHERE _id = $1",
                           counter_id);
              break;
            }
            default: {  // a query and a count of my own notes
              const auto n = notes.find(note_thread == std::int64_t{t}).count();
              if (n != static_cast<std::int64_t>(mine.size())) fail("count of my notes");
              break;
            }
          }
          ops.fetch_add(1);
        } catch (const std::exception& e) {
          fail(std::string("op ") + std::to_string(op) + ": " + e.what());
        }
      }
      per_thread_notes[static_cast<std::size_t>(t)] = static_cast<std::int64_t>(mine.size());
      committed_notes.fetch_add(static_cast<std::int64_t>(mine.size()));
    });
  });
  std::printf("[ mixed ] %d threads, pool of 4: %lld operations in %.2f s, %lld failures\n",
              threads, static_cast<long long>(ops.load()), seconds_since(t0),
              static_cast<long long>(failures.load()));
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(ops.load(), threads * 10);
  EXPECT_EQ(accounts.find().sum(acct_balance), total);
  EXPECT_EQ(counters.get_or_throw(counter_id).n, increments.load());
  EXPECT_EQ(notes.size(), committed_notes.load());
  EXPECT_EQ(notes.find(sqler::field<&Note::text> == "undone").count(), 0);
  EXPECT_EQ(notes.find(sqler::field<&Note::text> == "abandoned").count(), 0);

  // No connection leaked: at most 4 open, and 4 threads can each take one at once (one still
  // borrowed, or stuck in a transaction, would leave a thread waiting into busy_error).
  EXPECT_LE(db().connection_count(), 4u);
  std::barrier sync(4);
  std::atomic<int> took{0};
  std::vector<std::int64_t> pids(4, 0);
  within(30s, "4 simultaneous borrows", [&] {
    run_threads(4, [&](int i) {
      try {
        auto tx = db().transaction();
        pids[static_cast<std::size_t>(i)] =
            std::get<0>(db().query<std::int64_t>("SELECT pg_backend_pid()").at(0));
        took.fetch_add(1);
        sync.arrive_and_wait();  // all four hold a connection now
        tx.commit();
      } catch (const std::exception& e) {
        sync.arrive_and_drop();
        std::fprintf(stderr, "borrow %d: %s\n", i, e.what());
      }
    });
  });
  EXPECT_EQ(took.load(), 4);
  EXPECT_EQ(std::set<std::int64_t>(pids.begin(), pids.end()).size(), 4u);
  EXPECT_LE(db().connection_count(), 4u);
}

// ================================================================ server restart

struct cluster {
  std::string script, conninfo, dir;
  bool started = false;
  ~cluster() {
    if (started) (void)std::system((script + " stop " + dir + " >/dev/null 2>&1").c_str());
  }
  bool restart() const { return std::system((script + " restart " + dir).c_str()) == 0; }
};

std::string source_dir() {
  std::string f = __FILE__;  // <root>/tests/unit/pg_backend_test.cpp
  for (int i = 0; i < 3; ++i) f = f.substr(0, f.find_last_of('/'));
  return f;
}

// Starts a throwaway cluster (scripts/pg_cluster.sh); false when this machine cannot.
bool start_cluster(cluster& c) {
  c.script = source_dir() + "/scripts/pg_cluster.sh";
  if (access(c.script.c_str(), X_OK) != 0) return false;
  FILE* out = popen((c.script + " start 2>/dev/null").c_str(), "r");
  if (out == nullptr) return false;
  std::string text;
  char buf[512];
  while (fgets(buf, sizeof buf, out) != nullptr) text += buf;
  if (pclose(out) != 0) return false;
  auto value = [&](const std::string& key) {
    const auto at = text.find(key + "='");
    if (at == std::string::npos) return std::string();
    const auto from = at + key.size() + 2;
    return text.substr(from, text.find('\'', from) - from);
  };
  c.conninfo = value("SQLER_PG");
  c.dir = value("SQLER_PG_DIR");
  c.started = !c.dir.empty();
  return c.started && !c.conninfo.empty();
}

// What the first operation after a restart did: "" when it succeeded, else the exception.
struct outcome {
  std::string what, sqlstate, type;
};

template <class F>
outcome attempt(F&& f) {
  try {
    f();
    return {};
  } catch (const sqler::serialization_error& e) {
    return {e.what(), e.sqlstate(), "serialization_error"};
  } catch (const sqler::busy_error& e) {
    return {e.what(), e.sqlstate(), "busy_error"};
  } catch (const sqler::retryable_error& e) {
    return {e.what(), e.sqlstate(), "retryable_error"};
  } catch (const sqler::constraint_error& e) {
    return {e.what(), e.sqlstate(), "constraint_error"};
  } catch (const sqler::error& e) {
    return {e.what(), e.sqlstate(), "error"};
  } catch (const std::exception& e) {
    return {e.what(), "", "std::exception"};
  }
}

// A sqler::postgres::database keeps working across a server restart with no manual reconnect:
// idle pooled connections that the server closed are replaced when next borrowed. Only work
// that was under way on a connection when the server went away fails, as a lost connection
// (sqler::error with SQLSTATE 57P01 admin_shutdown or 08006 connection_failure).
TEST_F(PgBackend, DatabaseSurvivesAServerRestart) {
  cluster c;
  if (!start_cluster(c)) {
    if (pg_env::required()) FAIL() << "scripts/pg_cluster.sh start failed";
    GTEST_SKIP() << "scripts/pg_cluster.sh start failed: cannot run a cluster here";
  }
  // probe_idle_ms = 0: every borrow checks its connection, so a restart of an idle pool is
  // never seen (part 4 below: the default window).
  auto db = pg_database::connect(c.conninfo, {.pool_size = 2, .acquire_timeout_ms = 10000,
                                              .read_only = false, .probe_idle_ms = 0});
  auto counters = db.collection<Counter>();
  const auto id = counters.insert({"restart", 0});
  // Both connections of the pool open and used (prepared statements on each).
  {
    auto tx = db.transaction();
    counters.update(id, sqler::inc(counter_n, 1));
    std::async(std::launch::async, [&] {
      EXPECT_EQ(counters.find(counter_n >= 0).count(), 1);
    }).get();
    tx.commit();
  }
  EXPECT_EQ(db.connection_count(), 2u);

  // 1. Restart while the pool is idle: nothing fails.
  ASSERT_TRUE(c.restart());
  const outcome first = attempt([&] { counters.update(id, sqler::inc(counter_n, 1)); });
  EXPECT_EQ(first.type, "") << "first operation after the restart: " << first.type << " ("
                            << first.sqlstate << "): " << first.what;
  for (int round = 0; round < 3; ++round) {
    const outcome o = attempt([&] {
      counters.update(id, sqler::inc(counter_n, 1));
      EXPECT_TRUE(counters.get(id));
      auto tx = db.transaction();
      counters.insert({"in tx", round});
      std::async(std::launch::async, [&] {
        EXPECT_GE(counters.find().count(), 1);
        EXPECT_EQ(db.query<std::int64_t>("SELECT 1").size(), 1u);
      }).get();
      tx.commit();
    });
    EXPECT_EQ(o.type, "") << "round " << round << ": " << o.what;
  }
  EXPECT_EQ(counters.get_or_throw(id).n, first.type.empty() ? 5 : 4);
  EXPECT_LE(db.connection_count(), 2u);

  // 2. Restart while this thread is inside a transaction: that transaction is lost and says
  //    so; the next operations reconnect by themselves.
  const std::int64_t before = counters.get_or_throw(id).n;
  outcome in_tx, at_commit;
  {
    auto tx = db.transaction();
    counters.update(id, sqler::inc(counter_n, 100));
    ASSERT_TRUE(c.restart());
    in_tx = attempt([&] { counters.update(id, sqler::inc(counter_n, 100)); });
    at_commit = attempt([&] { tx.commit(); });
  }
  EXPECT_EQ(in_tx.type, "error") << in_tx.what;
  EXPECT_TRUE(in_tx.sqlstate == "57P01" || in_tx.sqlstate == "08006")
      << in_tx.sqlstate << ": " << in_tx.what;
  EXPECT_NE(at_commit.type, "") << "commit() of a transaction the server lost succeeded";
  const outcome after = attempt([&] {
    EXPECT_EQ(counters.get_or_throw(id).n, before);  // nothing of the lost transaction
    counters.update(id, sqler::inc(counter_n, 1));
    EXPECT_EQ(counters.get_or_throw(id).n, before + 1);
  });
  EXPECT_EQ(after.type, "") << "after the lost transaction: " << after.what;
  EXPECT_LE(db.connection_count(), 2u);

  // 3. Restart while a query is being streamed (more rows than the sockets buffer): the
  //    iteration fails as a lost connection rather than ending early as if the rows had run
  //    out; the next query reconnects.
  constexpr std::int64_t many = 50000;
  db.execute(
      "INSERT INTO \"Counter\" (data) SELECT jsonb_build_object('name', repeat('r', 40), 'n', i) "
      "FROM generate_series(1, 50000) AS i");
  const std::int64_t stored = counters.size();
  std::int64_t streamed = 0;
  outcome streaming;
  {
    auto q = counters.find();
    auto it = q.begin();
    ASSERT_TRUE(it != q.end());
    ASSERT_TRUE(c.restart());
    streaming = attempt([&] {
      for (; it != q.end(); ++it) ++streamed;
    });
  }
  if (streaming.type.empty())
    EXPECT_EQ(streamed + 1, stored) << "the stream ended early without an error";
  else
    EXPECT_TRUE(streaming.type == "error" &&
                (streaming.sqlstate == "57P01" || streaming.sqlstate == "08006"))
        << streaming.type << " " << streaming.sqlstate << ": " << streaming.what;
  EXPECT_NE(streaming.type, "") << "all " << streamed + 1 << " rows arrived before the restart";
  std::printf("[ restart ] idle pool: '%s'; in a transaction: %s %s, then commit: %s %s; "
              "while streaming (after %lld of %lld rows): %s %s\n",
              first.type.c_str(), in_tx.type.c_str(), in_tx.sqlstate.c_str(),
              at_commit.type.c_str(), at_commit.sqlstate.c_str(),
              static_cast<long long>(streamed + 1), static_cast<long long>(stored),
              streaming.type.c_str(),
              streaming.sqlstate.c_str());
  const outcome next = attempt([&] { EXPECT_EQ(counters.find().count(), 4 + many); });
  EXPECT_EQ(next.type, "") << next.what;

  // 4. The default probe window (500 ms): connections used just before the restart are lent
  //    unchecked, so one operation may fail as a lost connection; that failure makes the pool
  //    probe its idle connections, and everything after it succeeds.
  auto fast = pg_database::connect(c.conninfo, {.pool_size = 2});
  auto fast_counters = fast.collection<Counter>();
  {
    auto tx = fast.transaction();
    fast_counters.update(id, sqler::inc(counter_n, 1));
    std::async(std::launch::async, [&] { EXPECT_GE(fast_counters.find().count(), 1); }).get();
    tx.commit();
  }
  ASSERT_TRUE(c.restart());
  int failures = 0;
  for (int round = 0; round < 4; ++round) {
    const outcome o = attempt([&] {
      fast_counters.update(id, sqler::inc(counter_n, 1));
      std::async(std::launch::async, [&] { EXPECT_GE(fast_counters.find().count(), 1); }).get();
    });
    if (!o.type.empty()) {
      ++failures;
      EXPECT_TRUE(o.type == "error" && (o.sqlstate == "57P01" || o.sqlstate == "08006"))
          << o.type << " " << o.sqlstate << ": " << o.what;
    }
  }
  EXPECT_LE(failures, 1) << "more than one operation failed after the restart";
}

// ================================================================ errors

constexpr auto m_email = sqler::field<&Member::email>;

TEST_F(PgBackend, UniqueViolationIsAConstraintError) {
  auto members = sqler_test::collection_of<Member>(db());
  members.ensure_unique_index(m_email);
  members.insert({"ann@example.org", "Ann"});
  const auto bob = members.insert({"bob@example.org", "Bob"});

  auto expect_unique = [](const sqler::constraint_error& e) {
    EXPECT_EQ(e.code(), sqler::result_code::constraint_unique);
    EXPECT_EQ(e.primary_code(), sqler::result_code::constraint);
    EXPECT_EQ(e.sqlstate(), "23505");
    // The server's message names the index ensure_unique_index made.
    EXPECT_NE(std::string(e.what()).find("sqler_ux_Member__email"), std::string::npos)
        << e.what();
  };
  try {
    members.insert({"ann@example.org", "Another Ann"});
    ADD_FAILURE() << "a duplicate insert did not throw";
  } catch (const sqler::constraint_error& e) {
    expect_unique(e);
  }
  try {
    members.replace(bob, {"ann@example.org", "Bob"});
    ADD_FAILURE() << "a duplicate replace did not throw";
  } catch (const sqler::constraint_error& e) {
    expect_unique(e);
  }
  try {
    members.insert_many(std::vector<Member>{{"cat@example.org", "Cat"}, {"bob@example.org", "B"}});
    ADD_FAILURE() << "a duplicate in insert_many did not throw";
  } catch (const sqler::constraint_error& e) {
    expect_unique(e);
  }
  EXPECT_EQ(members.size(), 2);  // insert_many is all or nothing

  // In a transaction: a nested transaction contains the failure, the outer one goes on.
  {
    auto tx = db().transaction();
    members.insert({"dan@example.org", "Dan"});
    try {
      auto inner = db().transaction();
      members.insert({"dan@example.org", "Dan again"});
      inner.commit();
      ADD_FAILURE() << "a duplicate insert did not throw";
    } catch (const sqler::constraint_error& e) {
      expect_unique(e);
    }
    members.insert({"eve@example.org", "Eve"});
    tx.commit();
  }
  EXPECT_EQ(members.size(), 4);

  // Unhandled in the outer transaction: PostgreSQL aborts it; the next statement says so and
  // commit() refuses (rolls back and throws) instead of reporting success.
  {
    auto tx = db().transaction();
    members.insert({"fay@example.org", "Fay"});
    EXPECT_THROW(members.insert({"ann@example.org", "dup"}), sqler::constraint_error);
    try {
      members.insert({"gus@example.org", "Gus"});
      ADD_FAILURE() << "a statement in an aborted transaction succeeded";
    } catch (const sqler::error& e) {
      EXPECT_EQ(e.sqlstate(), "25P02") << e.what();
    }
    try {
      tx.commit();
      ADD_FAILURE() << "commit() of an aborted transaction succeeded";
    } catch (const sqler::error& e) {
      EXPECT_EQ(e.sqlstate(), "25P02") << e.what();
    }
  }
  EXPECT_EQ(members.size(), 4);
  EXPECT_FALSE(members.find(m_email == "fay@example.org").exists());
  // The connection went back to the pool in a usable state.
  EXPECT_EQ(members.find(m_email == "ann@example.org").count(), 1);
}

// REPEATABLE READ: a row another transaction changed after this one's snapshot cannot be
// updated; the failure is a serialization_error (a retryable_error), and running the whole
// transaction again succeeds.
TEST_F(PgBackend, RepeatableReadConflictIsASerializationError) {
  auto counters = sqler_test::collection_of<Counter>(db());
  const auto id = counters.insert({"rr", 0});
  int attempts = 0;
  std::optional<outcome> first_failure;
  for (;;) {
    ++attempts;
    try {
      auto tx = db().transaction();
      db().execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
      const auto seen = counters.get_or_throw(id).n;  // takes the snapshot
      if (attempts == 1) {
        // Another connection changes the row and commits after the snapshot.
        std::async(std::launch::async, [&] { counters.update(id, sqler::inc(counter_n, 1)); })
            .get();
      }
      counters.replace(id, {"rr", seen + 10});
      tx.commit();
      break;
    } catch (const sqler::serialization_error& e) {
      first_failure = outcome{e.what(), e.sqlstate(), "serialization_error"};
      const sqler::retryable_error& r = e;
      EXPECT_EQ(r.primary_code(), sqler::result_code::busy);
      if (attempts > 3) break;
    } catch (const sqler::error& e) {
      first_failure = outcome{e.what(), e.sqlstate(), "error"};
      break;
    }
  }
  ASSERT_TRUE(first_failure) << "the conflicting update did not fail";
  EXPECT_EQ(first_failure->type, "serialization_error") << first_failure->what;
  EXPECT_EQ(first_failure->sqlstate, "40001") << first_failure->what;
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(counters.get_or_throw(id).n, 11);  // the retry saw the other write
}

// SERIALIZABLE write skew: two transactions each read the whole table and insert; one of them
// fails (at its insert or its commit) with serialization_error.
TEST_F(PgBackend, SerializableWriteSkewIsASerializationError) {
  auto members = sqler_test::collection_of<Member>(db());
  members.insert({"first@example.org", "First"});
  std::barrier sync(2);
  outcome results[2];
  within(60s, "two serializable transactions", [&] {
    run_threads(2, [&](int t) {
      std::string step = "begin";
      results[t] = attempt([&] {
        int phases = 0;  // barrier phases this thread has passed
        try {
          auto tx = db().transaction();
          db().execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE");
          const auto n = members.size();  // both read everything
          sync.arrive_and_wait();
          ++phases;
          step = "insert";
          members.insert({"m" + std::to_string(n) + "_" + std::to_string(t) + "@example.org",
                          "T" + std::to_string(t)});
          sync.arrive_and_wait();
          ++phases;
          step = "commit";
          if (t == 1) {  // t0 commits first
            sync.arrive_and_wait();
            ++phases;
          }
          tx.commit();
          if (t == 0) {
            sync.arrive_and_wait();
            ++phases;
          }
        } catch (...) {
          if (phases < 3) sync.arrive_and_drop();  // the other thread stops waiting for this one
          throw;
        }
      });
      if (!results[t].type.empty()) results[t].what = step + ": " + results[t].what;
    });
  });
  std::printf("[ serializable ] t0: '%s' %s; t1: '%s' %s\n", results[0].type.c_str(),
              results[0].sqlstate.c_str(), results[1].type.c_str(), results[1].sqlstate.c_str());
  const int failed = (results[0].type.empty() ? 0 : 1) + (results[1].type.empty() ? 0 : 1);
  EXPECT_EQ(failed, 1) << results[0].what << " / " << results[1].what;
  for (const auto& r : results)
    if (!r.type.empty()) {
      EXPECT_EQ(r.type, "serialization_error") << r.what;
      EXPECT_EQ(r.sqlstate, "40001") << r.what;
    }
  EXPECT_EQ(members.size(), 2);
}

// Two transactions that lock the same two documents in opposite orders: PostgreSQL breaks the
// deadlock by aborting one, reported as serialization_error (40P01); the other commits.
TEST_F(PgBackend, DeadlockIsASerializationError) {
  auto counters = sqler_test::collection_of<Counter>(db());
  const std::int64_t ids[2] = {counters.insert({"a", 0}), counters.insert({"b", 0})};
  std::barrier sync(2);
  outcome results[2];
  within(60s, "two deadlocking transactions", [&] {
    run_threads(2, [&](int t) {
      bool arrived = false;
      results[t] = attempt([&] {
        try {
          auto tx = db().transaction();
          db().execute("SET LOCAL deadlock_timeout = '100ms'");
          counters.update(ids[t], sqler::inc(counter_n, 1));
          sync.arrive_and_wait();
          arrived = true;
          counters.update(ids[1 - t], sqler::inc(counter_n, 1));
          tx.commit();
        } catch (...) {
          if (!arrived) sync.arrive_and_drop();
          throw;
        }
      });
    });
  });
  const int failed = (results[0].type.empty() ? 0 : 1) + (results[1].type.empty() ? 0 : 1);
  EXPECT_EQ(failed, 1) << results[0].what << " / " << results[1].what;
  for (const auto& r : results)
    if (!r.type.empty()) {
      EXPECT_EQ(r.type, "serialization_error") << r.what;
      EXPECT_EQ(r.sqlstate, "40P01") << r.what;
    }
  EXPECT_EQ(counters.get_or_throw(ids[0]).n + counters.get_or_throw(ids[1]).n, 2);
}

}  // namespace
