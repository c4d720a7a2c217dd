// Trusting and debugging sqler in production: one type per table, the values a statement
// binds, reading past a bad document, strict JSON input, read-only databases in read-only
// directories.
#include <gtest/gtest.h>

#include "../support/temp_db_file.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "sqler/sqler.hpp"

namespace billing {
struct Tag {
  std::string name;
  int cents = 0;
};
}  // namespace billing
namespace blog {
struct Tag {
  std::string label;
};
}  // namespace blog

namespace {

using sqler_test::temp_db_file;

// ---------------------------------------------------------------- 1. one type per table

struct TagView {
  static constexpr std::string_view sqler_table = "Tag";
  static constexpr bool sqler_shared_table = true;
  std::string name;
};

TEST(TableOwner, ASecondTypeOnTheSameTableIsRefusedNamingBoth) {
  temp_db_file file;
  {
    auto db = sqler::database::open(file.path());
    auto bills = db.collection<billing::Tag>();
    bills.insert({"vat", 20});
    try {
      (void)db.collection<blog::Tag>();
      FAIL() << "blog::Tag opened billing::Tag's table";
    } catch (const sqler::schema_error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("billing::Tag"), std::string::npos) << msg;
      EXPECT_NE(msg.find("blog::Tag"), std::string::npos) << msg;
      EXPECT_NE(msg.find("sqler_table"), std::string::npos) << msg;
    }
    // A type that says it shares the table may open it.
    auto views = db.collection<TagView>();
    EXPECT_EQ(views.find().all().at(0).name, "vat");
  }
  // The owner is recorded in the file: a later program is refused too.
  auto db = sqler::database::open(file.path());
  EXPECT_THROW((void)db.collection<blog::Tag>(), sqler::schema_error);
  EXPECT_NO_THROW((void)db.collection<billing::Tag>());
}

namespace renamed {
struct Tag {  // billing::Tag, moved to another namespace
  std::string name;
  int cents = 0;
};
}  // namespace renamed

TEST(TableOwner, ARenamedTypeTakesItsTableOverThroughAMigration) {
  auto db = sqler::database::in_memory();
  db.collection<billing::Tag>().insert({"vat", 20});
  EXPECT_THROW((void)db.collection<renamed::Tag>(), sqler::schema_error);
  db.migrate({{1, "Tag moved to renamed::",
               [](sqler::migration_context& m) { m.adopt_table<renamed::Tag>(); }}});
  EXPECT_EQ(db.collection<renamed::Tag>().find().all().at(0).cents, 20);
  EXPECT_THROW((void)db.collection<billing::Tag>(), sqler::schema_error);
}

// ---------------------------------------------------------------- 2. bound values

struct Item {
  std::string name;
  int qty = 0;
  double price = 0;
  std::vector<int> tags;
};

constexpr auto name = sqler::field<&Item::name>;
constexpr auto qty = sqler::field<&Item::qty>;
constexpr auto price = sqler::field<&Item::price>;
constexpr auto tags = sqler::field<&Item::tags>;

TEST(BoundValues, HooksSeeTheValuesEachStatementBound) {
  auto db = sqler::database::in_memory();
  auto items = db.collection<Item>();
  items.insert({"a", 1, 2.5, {1}});
  std::vector<std::vector<sqler::bound_value>> seen;
  std::vector<std::string> sql;
  db.on_query([&](const sqler::query_event& ev) {
    sql.emplace_back(ev.sql);
    seen.emplace_back(ev.values.begin(), ev.values.end());
  });
  (void)items.find(name == "a" && qty > 0 && price < 9.5).limit(3).all();
  ASSERT_EQ(seen.size(), 1u);
  const std::vector<sqler::bound_value> want{std::string("a"), std::int64_t{0}, 9.5, std::int64_t{3}};
  EXPECT_EQ(seen[0], want) << sql[0];
  (void)items.find(tags.contains_any({1, 2})).count();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1], std::vector<sqler::bound_value>{std::string("[1,2]")});
}

TEST(BoundValues, DebugShowsTheSqlAndValuesWithoutRunning) {
  auto db = sqler::database::in_memory();
  auto items = db.collection<Item>();
  int fired = 0;
  db.on_query([&](const sqler::query_event&) { ++fired; });
  const auto q = items.find(name == "x" || qty.between(2, 4)).order_by(qty.desc()).limit(10);
  const sqler::statement_text d = q.debug();
  EXPECT_EQ(d.sql, decltype(q)::sql());
  const std::vector<sqler::bound_value> want{std::string("x"), std::int64_t{2}, std::int64_t{4},
                                       std::int64_t{10}};
  EXPECT_EQ(d.values, want);
  EXPECT_EQ(fired, 0);
  // A readable form for logs: the SQL, then the values.
  EXPECT_NE(d.to_string().find("?1 = 'x'"), std::string::npos) << d.to_string();
}

// ---------------------------------------------------------------- 3. reading past a bad document

TEST(BadDocuments, StrictByDefaultAndSalvageableOnRequest) {
  auto db = sqler::database::in_memory();
  auto items = db.collection<Item>();
  const auto a = items.insert({"a", 1, 1, {}});
  db.execute(R"(INSERT INTO "Item" (data) VALUES ('{"name":"bad","qty":"many"}'))");
  const auto bad = std::get<0>(db.query<std::int64_t>(R"(SELECT max(_id) FROM "Item")").front());
  const auto c = items.insert({"c", 3, 3, {}});

  try {
    (void)items.find().all();
    FAIL() << "all() read past a bad document";
  } catch (const sqler::decode_error& e) {
    EXPECT_EQ(e.path(), "qty");
    EXPECT_NE(std::string(e.what()).find("_id " + std::to_string(bad)), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("\"Item\""), std::string::npos);
  }
  EXPECT_THROW((void)items.find().page(1, 10), sqler::decode_error);

  const auto r = items.find().order_by(sqler::doc_id.asc()).try_all();
  ASSERT_EQ(r.documents.size(), 2u);
  EXPECT_EQ(r.documents[0].id, a);
  EXPECT_EQ(r.documents[1].id, c);
  EXPECT_EQ(r.documents[1].value.name, "c");
  ASSERT_EQ(r.failed.size(), 1u);
  EXPECT_EQ(r.failed[0].id, bad);
  EXPECT_EQ(r.failed[0].error.path(), "qty");
  // Repair it, and everything reads again.
  items.replace(bad, Item{"fixed", 2, 2, {}});
  EXPECT_EQ(items.find().all().size(), 3u);
}

// ---------------------------------------------------------------- 4. the whole text is JSON

TEST(StrictJson, BytesAfterAnEmbeddedNulAreAnError) {
  const std::string text("{\"name\":\"a\",\"qty\":1,\"price\":1,\"tags\":[]}\0garbage", 48);
  EXPECT_THROW((void)sqler::from_json<Item>(text), sqler::decode_error);
  const std::string nul_only("{\"name\":\"a\",\"qty\":1,\"price\":1,\"tags\":[]}\0", 41);
  EXPECT_THROW((void)sqler::from_json<Item>(nul_only), sqler::decode_error);
  EXPECT_NO_THROW((void)sqler::from_json<Item>(R"({"name":"a","qty":1,"price":1,"tags":[]}  )"));
}

// ---------------------------------------------------------------- 5. read-only directories

// Runs `body` where the filesystem refuses writes to `dir`: as root (CI), in a child process
// that drops to an unprivileged user, since root ignores permission bits. Returns what body
// returned (an exit code), or -1 when that cannot be arranged here.
template <class F>
int without_write_access(const std::filesystem::path& dir, F body) {
  ::chmod(dir.c_str(), 0555);
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(101);
    ::_exit(body());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::chmod(dir.c_str(), 0755);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(ReadOnly, AWalDatabaseInAReadOnlyDirectory) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("sqler_ro_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "data.db").string();
  {
    auto db = sqler::database::open(path);
    db.collection<Item>().insert({"kept", 7, 1, {}});
  }  // closed cleanly: the -wal and -shm files are gone
  ::chmod(path.c_str(), 0644);
  ASSERT_FALSE(std::filesystem::exists(path + "-shm"));

  // 0: a clear error that says what to do; 1: read_only opened it (it should not: SQLite needs
  // the -shm file); 2: the error did not explain; 3: immutable read; 4: immutable read wrong.
  const int plain = without_write_access(dir, [&] {
    try {
      sqler::database_options o;
      o.read_only = true;
      auto db = sqler::database::open(path, o);
      (void)db.collection<Item>().size();
      return 1;
    } catch (const sqler::error& e) {
      const std::string msg = e.what();
      return msg.find("immutable") != std::string::npos &&
                     msg.find("directory") != std::string::npos
                 ? 0
                 : 2;
    }
  });
  EXPECT_EQ(plain, 0);
  const int immutable = without_write_access(dir, [&] {
    try {
      sqler::database_options o;
      o.read_only = true;
      o.immutable = true;
      auto db = sqler::database::open(path, o);
      auto all = db.collection<Item>().find().all();
      return all.size() == 1 && all[0].name == "kept" ? 3 : 4;
    } catch (const std::exception&) {
      return 5;
    }
  });
  EXPECT_EQ(immutable, 3);
  std::filesystem::remove_all(dir);
}

}  // namespace
