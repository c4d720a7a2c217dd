// Behaviour of every DSL operator against a seeded collection. Each DSL query is checked twice:
// against the document names we know must match, and against a hand-written SQL twin run
// through database::query, so a rendering bug and a wrong expectation can't cancel out.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "../support/backends.hpp"

namespace {

enum class Color { red, green, blue };

struct Address {
  std::string city;
  std::string zip;
};

struct Event {
  std::string kind;
  int val;
};

struct Sub {
  std::string tag;
  int n;
};

struct Group {
  std::string name;
  std::vector<Sub> subs;
};

struct Doc {
  std::string name;
  int age;
  double score;
  bool active;
  Color color;
  std::optional<std::string> nick;
  std::optional<int> rank;
  Address address;
  std::optional<Address> office;
  int a;
  int b;
  std::vector<int> nums;
  std::vector<std::string> tags;
  std::vector<Event> events;
  std::vector<Group> groups;
};

constexpr auto name = sqler::field<&Doc::name>;
constexpr auto age = sqler::field<&Doc::age>;
constexpr auto score = sqler::field<&Doc::score>;
constexpr auto active = sqler::field<&Doc::active>;
constexpr auto color = sqler::field<&Doc::color>;
constexpr auto nick = sqler::field<&Doc::nick>;
constexpr auto rank = sqler::field<&Doc::rank>;
constexpr auto city = sqler::field<&Doc::address, &Address::city>;
constexpr auto office_city = sqler::field<&Doc::office, &Address::city>;
constexpr auto fa = sqler::field<&Doc::a>;
constexpr auto fb = sqler::field<&Doc::b>;
constexpr auto nums = sqler::field<&Doc::nums>;
constexpr auto tags = sqler::field<&Doc::tags>;
constexpr auto events = sqler::field<&Doc::events>;
constexpr auto groups = sqler::field<&Doc::groups>;
constexpr auto ev_kind = sqler::field<&Event::kind>;
constexpr auto ev_val = sqler::field<&Event::val>;
constexpr auto group_name = sqler::field<&Group::name>;
constexpr auto group_subs = sqler::field<&Group::subs>;
constexpr auto sub_tag = sqler::field<&Sub::tag>;
constexpr auto sub_n = sqler::field<&Sub::n>;

using name_set = std::set<std::string>;
using id_set = std::set<std::int64_t>;

// "frank" is stored without the optional members nick, rank and office at all (not as null),
// the way an older writer or another program might have stored it.
constexpr std::string_view frank_json =
    R"({"name":"frank","age":18,"score":2.5,"active":false,"color":2,)"
    R"("address":{"city":"Osaka","zip":"531"},"a":3,"b":4,"nums":[1],"tags":["z"],)"
    R"("events":[{"kind":"view","val":2}],"groups":[]})";

template <class B>
class ExprTest : public sqler_test::on_backend<B> {
 protected:
  void SetUp() override {
    sqler_test::on_backend<B>::SetUp();
    if (this->IsSkipped()) return;
    docs_.emplace(sqler_test::collection_of<Doc>(this->db()));
    add({"alice", 30, 1.5, true, Color::red, "ally", 1, {"Kyoto", "600"},
         Address{"Kyoto", "1"}, 1, 2, {1, 2, 3}, {"x", "y"},
         {{"click", 3}, {"view", 9}}, {{"g1", {{"t1", 1}, {"t2", 5}}}}});
    add({"bob", -5, -2.25, false, Color::green, std::nullopt, 7, {"Osaka", "530"},
         std::nullopt, 5, 5, {}, {}, {}, {}});
    add({"carol", 45, 3.0, true, Color::blue, "cc", std::nullopt, {"Kyoto", "601"},
         std::nullopt, 9, 3, {4}, {"y", "z"}, {{"click", 8}},
         {{"g2", {{"t3", 10}}}, {"g3", {}}}});
    add({"dave", 0, 0.0, false, Color::red, std::nullopt, std::nullopt, {"Tōkyō", "100"},
         std::nullopt, -1, 0, {2, 2, 5, 7}, {"x"}, {{"view", 10}, {"click", 1}},
         {{"g4", {{"t1", 20}}}}});
    add({"émile", 30, 10.5, true, Color::green, "😀", 3, {"Paris", "750"}, std::nullopt, 2, 1,
         {9, 8, 7}, {"ünï", "x"}, {{"click", 9}}, {{"g5", {{"t2", 4}, {"t1", 3}}}}});
    this->db().execute(this->sql(R"(INSERT INTO "Doc" (data) VALUES (?1))",
                                 R"(INSERT INTO "Doc" (data) VALUES ($1::jsonb))"),
                       frank_json);
    const auto last = this->db().template query<std::int64_t>(R"(SELECT MAX(_id) FROM "Doc")");
    ASSERT_EQ(last.size(), 1u);
    ids_by_name["frank"] = std::get<0>(last[0]);
    ASSERT_EQ(docs().size(), 6);
  }

  sqler::collection<Doc, typename B::backend>& docs() { return *docs_; }

  void add(const Doc& d) { ids_by_name[d.name] = docs().insert(d); }

  id_set ids_of(const name_set& names) const {
    id_set out;
    for (const auto& n : names) out.insert(ids_by_name.at(n));
    return out;
  }

  name_set all_names() const {
    name_set out;
    for (const auto& [n, id] : ids_by_name) out.insert(n);
    return out;
  }

  // Runs `pred` through the DSL (ids, documents, count, exists) and the hand-written twin
  // `SELECT _id FROM "Doc" WHERE <twin_where>` (SQLite's or PostgreSQL's, as the backend is);
  // all must agree with `expected`.
  template <class Pred, class... P>
  void check(const Pred& pred, const name_set& expected, std::string_view sqlite_where,
             std::string_view pg_where, const P&... params) {
    const std::string twin_where(this->sql(sqlite_where, pg_where));
    SCOPED_TRACE("twin: " + twin_where);
    auto q = docs().find(pred);
    SCOPED_TRACE("dsl: " + std::string(q.sql()));
    const id_set want = ids_of(expected);

    const auto ids = q.ids();
    EXPECT_EQ(id_set(ids.begin(), ids.end()), want);
    EXPECT_EQ(ids.size(), id_set(ids.begin(), ids.end()).size()) << "an id came back twice";

    name_set got_names;
    for (const Doc& d : q.all()) got_names.insert(d.name);
    EXPECT_EQ(got_names, expected);
    EXPECT_EQ(q.count(), static_cast<std::int64_t>(expected.size()));
    EXPECT_EQ(q.exists(), !expected.empty());

    id_set twin;
    for (const auto& [id] : this->db().template query<std::int64_t>(
             R"(SELECT _id FROM "Doc" WHERE )" + twin_where, params...))
      twin.insert(id);
    EXPECT_EQ(twin, want);
  }

  std::optional<sqler::collection<Doc, typename B::backend>> docs_;
  std::map<std::string, std::int64_t> ids_by_name;
};
TYPED_TEST_SUITE(ExprTest, sqler_test::backends, sqler_test::backend_names);

// The same member in each twin's spelling: SQLite's json_extract, PostgreSQL's ->> (as text,
// cast to numeric for numbers) - written independently of the dialects sqler renders.
const std::string j_age = "json_extract(data,'$.age')";
const std::string p_age = "(data->>'age')::numeric";

TYPED_TEST(ExprTest, IntComparisonsIncludingNegatives) {
  this->check(age == 30, {"alice", "émile"}, j_age + " = ?1", p_age + " = $1", 30);
  this->check(age == -5, {"bob"}, j_age + " = ?1", p_age + " = $1", -5);
  this->check(age != 30, {"bob", "carol", "dave", "frank"}, j_age + " <> ?1", p_age + " <> $1",
              30);
  this->check(age < 0, {"bob"}, j_age + " < ?1", p_age + " < $1", 0);
  this->check(age <= 0, {"bob", "dave"}, j_age + " <= ?1", p_age + " <= $1", 0);
  this->check(age > 18, {"alice", "carol", "émile"}, j_age + " > ?1", p_age + " > $1", 18);
  this->check(age >= 18, {"alice", "carol", "émile", "frank"}, j_age + " >= ?1",
              p_age + " >= $1", 18);
  this->check(age > -10, this->all_names(), j_age + " > ?1", p_age + " > $1", -10);
  this->check(age < -5, {}, j_age + " < ?1", p_age + " < $1", -5);
  // Wider and narrower integer types than the member bind the same way.
  this->check(age >= std::int64_t{45}, {"carol"}, j_age + " >= ?1", p_age + " >= $1", 45);
  this->check(age == short{0}, {"dave"}, j_age + " = ?1", p_age + " = $1", 0);
}

TYPED_TEST(ExprTest, DoubleComparisons) {
  const std::string j = "json_extract(data,'$.score')", p = "(data->>'score')::numeric";
  this->check(score == 1.5, {"alice"}, j + " = ?1", p + " = $1", 1.5);
  this->check(score > 2.5, {"carol", "émile"}, j + " > ?1", p + " > $1", 2.5);
  this->check(score >= 2.5, {"carol", "émile", "frank"}, j + " >= ?1", p + " >= $1", 2.5);
  this->check(score < -1.0, {"bob"}, j + " < ?1", p + " < $1", -1.0);
  this->check(score <= 0.0, {"bob", "dave"}, j + " <= ?1", p + " <= $1", 0.0);
  this->check(score != 3.0, {"alice", "bob", "dave", "émile", "frank"}, j + " <> ?1",
              p + " <> $1", 3.0);
  // An integer value against a double member: 3 must equal the stored 3.0.
  this->check(score == 3, {"carol"}, j + " = ?1", p + " = $1", 3);
  this->check(score > 10, {"émile"}, j + " > ?1", p + " > $1", 10);
}

TYPED_TEST(ExprTest, StringComparisonsIncludingUnicode) {
  const std::string j = "json_extract(data,'$.name')", p = "data->>'name'";
  this->check(name == "carol", {"carol"}, j + " = ?1", p + " = $1", "carol");
  this->check(name == std::string("émile"), {"émile"}, j + " = ?1", p + " = $1", "émile");
  this->check(name != "carol", {"alice", "bob", "dave", "émile", "frank"}, j + " <> ?1",
              p + " <> $1", "carol");
  // Byte order: every ASCII name sorts before the UTF-8 lead byte of "é". (On PostgreSQL the
  // twin says COLLATE "C": byte order whatever the database's collation.)
  this->check(name < "c", {"alice", "bob"}, j + " < ?1", p + R"( < $1 COLLATE "C")", "c");
  this->check(name <= "carol", {"alice", "bob", "carol"}, j + " <= ?1",
              p + R"( <= $1 COLLATE "C")", "carol");
  this->check(name > "e", {"émile", "frank"}, j + " > ?1", p + R"( > $1 COLLATE "C")", "e");
  this->check(name >= std::string_view("dave"), {"dave", "émile", "frank"}, j + " >= ?1",
              p + R"( >= $1 COLLATE "C")", "dave");
  this->check(nick == "😀", {"émile"}, "json_extract(data,'$.nick') = ?1",
              "data->>'nick' = $1", "😀");
  this->check(city == "Tōkyō", {"dave"}, "json_extract(data,'$.address.city') = ?1",
              "data->'address'->>'city' = $1", "Tōkyō");
  this->check(tags.contains("ünï"), {"émile"},
              "?1 IN (SELECT value FROM json_each(data,'$.tags'))",
              "$1 IN (SELECT jsonb_array_elements_text(data->'tags'))", "ünï");
  this->check(name == "", {}, j + " = ''", p + " = ''");
}

TYPED_TEST(ExprTest, BoolsCompareAgainstJsonTrueAndFalse) {
  const std::string j = "json_extract(data,'$.active')", p = "(data->>'active')::boolean";
  this->check(active == true, {"alice", "carol", "émile"}, j + " = 1", p + " = true");
  this->check(active == false, {"bob", "dave", "frank"}, j + " = 0", p + " = false");
  this->check(active != true, {"bob", "dave", "frank"}, "json_type(data,'$.active') = 'false'",
              "data->'active' = 'false'::jsonb");
  this->check(active != false, {"alice", "carol", "émile"},
              "json_type(data,'$.active') = 'true'", "data->'active' = 'true'::jsonb");
  this->check(active == true, {"alice", "carol", "émile"}, j + " = ?1", p + " = $1", true);
  this->check(active == false, {"bob", "dave", "frank"}, j + " = ?1", p + " = $1", false);
  // Lists are bound as one JSON array; its booleans must compare like the bound ones above.
  this->check(active.in({true}), {"alice", "carol", "émile"},
              "json_type(data,'$.active') = 'true'", "data->'active' = 'true'::jsonb");
  this->check(active.in({false}), {"bob", "dave", "frank"},
              "json_type(data,'$.active') = 'false'", "data->'active' = 'false'::jsonb");
  this->check(active.in({true, false}), this->all_names(), "1", "true");
  this->check(active == true && !(name == "alice"), {"carol", "émile"},
              j + " AND json_extract(data,'$.name') <> 'alice'",
              p + " AND data->>'name' <> 'alice'");
}

TYPED_TEST(ExprTest, EnumComparisons) {
  const std::string j = "json_extract(data,'$.color')", p = "(data->>'color')::numeric";
  this->check(color == Color::red, {"alice", "dave"}, j + " = ?1", p + " = $1", Color::red);
  this->check(color != Color::red, {"bob", "carol", "émile", "frank"}, j + " <> 0",
              p + " <> 0");
  this->check(color == Color::blue, {"carol", "frank"}, j + " = 2", p + " = 2");
  this->check(color > Color::red, {"bob", "carol", "émile", "frank"}, j + " > ?1", p + " > $1",
              Color::red);
  this->check(color.in({Color::red, Color::blue}), {"alice", "carol", "dave", "frank"},
              j + " IN (0, 2)", p + " IN (0, 2)");
}

TYPED_TEST(ExprTest, LogicalCombinations) {
  this->check(age >= 18 && active == true, {"alice", "carol", "émile"},
              j_age + " >= 18 AND json_extract(data,'$.active') = 1",
              p_age + " >= 18 AND (data->>'active')::boolean");
  this->check(age < 18 || color == Color::blue, {"bob", "carol", "dave", "frank"},
              j_age + " < ?1 OR json_extract(data,'$.color') = ?2",
              p_age + " < $1 OR (data->>'color')::numeric = $2", 18, Color::blue);
  this->check(!(age >= 30), {"bob", "dave", "frank"}, "NOT (" + j_age + " >= 30)",
              "NOT (" + p_age + " >= 30)");
  this->check(!(age >= 30) && !(color == Color::blue), {"bob", "dave"},
              j_age + " < 30 AND json_extract(data,'$.color') <> 2",
              p_age + " < 30 AND (data->>'color')::numeric <> 2");
  this->check((age == 30 || age == 45) && name != "alice", {"carol", "émile"},
              "(" + j_age + " IN (30, 45)) AND json_extract(data,'$.name') <> 'alice'",
              "(" + p_age + " IN (30, 45)) AND data->>'name' <> 'alice'");
  this->check(age == 30 || (age == 45 && name != "carol"), {"alice", "émile"}, j_age + " = 30",
              p_age + " = 30");
  this->check(!(age > 0 || score < 0.0), {"dave"},
              "NOT (" + j_age + " > 0 OR " + "json_extract(data,'$.score') < 0)",
              "NOT (" + p_age + " > 0 OR " + "(data->>'score')::numeric < 0)");
  // Parameters keep their positions however deep the tree goes.
  this->check((name == "bob" || name == "dave") && (score < 0.5 && age > -6), {"bob", "dave"},
              "json_extract(data,'$.name') IN (?1, ?2) AND json_extract(data,'$.score') < ?3 AND " +
                  j_age + " > ?4",
              "data->>'name' IN ($1, $2) AND (data->>'score')::numeric < $3 AND " + p_age +
                  " > $4",
              "bob", "dave", 0.5, -6);
}

TYPED_TEST(ExprTest, InLists) {
  this->check(age.in({30, 0}), {"alice", "dave", "émile"}, j_age + " IN (?1, ?2)",
              p_age + " IN ($1, $2)", 30, 0);
  this->check(age.in({-5}), {"bob"}, j_age + " = -5", p_age + " = -5");
  this->check(name.in({"bob", "émile", "nobody"}), {"bob", "émile"},
              "json_extract(data,'$.name') IN (?1, ?2, ?3)", "data->>'name' IN ($1, $2, $3)",
              "bob", "émile", "nobody");
  // PostgreSQL has no empty IN list: its twin says false / true outright.
  this->check(age.in<int>({}), {}, j_age + " IN ()", "false");
  this->check(name.in_range(std::vector<std::string>{}), {}, "json_extract(data,'$.name') IN ()",
              "false");
  this->check(!age.in<int>({}), this->all_names(), j_age + " NOT IN ()", "true");
  this->check(score.in({1.5, 3.0}), {"alice", "carol"},
              "json_extract(data,'$.score') IN (1.5, 3)", "(data->>'score')::numeric IN (1.5, 3)");
}

TYPED_TEST(ExprTest, Between) {
  this->check(age.between(0, 30), {"alice", "dave", "émile", "frank"},
              j_age + " >= ?1 AND " + j_age + " <= ?2", p_age + " >= $1 AND " + p_age + " <= $2",
              0, 30);
  this->check(age.between(-5, -5), {"bob"}, j_age + " = -5", p_age + " = -5");
  this->check(age.between(31, 29), {}, "0", "false");
  this->check(score.between(1.0, 3.0), {"alice", "carol", "frank"},
              "json_extract(data,'$.score') >= 1 AND json_extract(data,'$.score') <= 3",
              "(data->>'score')::numeric >= 1 AND (data->>'score')::numeric <= 3");
  this->check(name.between("b", "d"), {"bob", "carol"},
              "json_extract(data,'$.name') >= 'b' AND json_extract(data,'$.name') < 'd'",
              R"(data->>'name' >= 'b' COLLATE "C" AND data->>'name' < 'd' COLLATE "C")");
}

TYPED_TEST(ExprTest, Like) {
  this->check(name.like("%li%"), {"alice"}, "instr(json_extract(data,'$.name'), ?1) > 0",
              "strpos(data->>'name', $1) > 0", "li");
  this->check(name.like("%il%"), {"émile"}, "instr(json_extract(data,'$.name'), ?1) > 0",
              "strpos(data->>'name', $1) > 0", "il");
  this->check(name.like("%l%"), {"alice", "carol", "émile"},
              "instr(json_extract(data,'$.name'), 'l') > 0", "strpos(data->>'name', 'l') > 0");
  // '_' is one character, not one byte: "é" is two bytes in UTF-8.
  this->check(name.like("_mile"), {"émile"}, "json_extract(data,'$.name') = ?1",
              "data->>'name' = $1", "émile");
  this->check(name.like("_a%"), {"carol", "dave"},
              "substr(json_extract(data,'$.name'), 2, 1) = 'a'",
              "substr(data->>'name', 2, 1) = 'a'");
  // like() folds ASCII case (SQLite's LIKE; the README documents it), on every backend.
  this->check(name.like("ALICE"), {"alice"}, "json_extract(data,'$.name') = 'alice'",
              "data->>'name' = 'alice'");
  this->check(nick.like("%c%"), {"carol"}, "json_extract(data,'$.nick') = 'cc'",
              "data->>'nick' = 'cc'");
}

TYPED_TEST(ExprTest, NullChecksOnOptionals) {
  // bob and dave store null; frank has no such member at all.
  this->check(nick.is_null(), {"bob", "dave", "frank"},
              "json_type(data,'$.nick') IS NULL OR json_type(data,'$.nick') = 'null'",
              "data->'nick' IS NULL OR jsonb_typeof(data->'nick') = 'null'");
  this->check(nick.is_not_null(), {"alice", "carol", "émile"},
              "json_type(data,'$.nick') = 'text'", "jsonb_typeof(data->'nick') = 'string'");
  this->check(rank.is_null(), {"carol", "dave", "frank"},
              "json_type(data,'$.rank') IS NULL OR json_type(data,'$.rank') = 'null'",
              "data->'rank' IS NULL OR jsonb_typeof(data->'rank') = 'null'");
  this->check(rank.is_not_null() && rank > 2, {"bob", "émile"},
              "json_extract(data,'$.rank') > 2", "(data->>'rank')::numeric > 2");
  // <> with a null member is unknown in SQL, so nulls never match !=.
  this->check(rank != 3, {"alice", "bob"}, "json_extract(data,'$.rank') <> 3",
              "(data->>'rank')::numeric <> 3");
  // A path through an optional struct is nullable too.
  this->check(office_city.is_null(), {"bob", "carol", "dave", "émile", "frank"},
              "json_type(data,'$.office') IS NOT 'object'",
              "jsonb_typeof(data->'office') IS DISTINCT FROM 'object'");
  this->check(office_city == "Kyoto", {"alice"}, "json_extract(data,'$.office.city') = 'Kyoto'",
              "data->'office'->>'city' = 'Kyoto'");
}

TYPED_TEST(ExprTest, NestedPath) {
  const std::string j = "json_extract(data,'$.address.city')", p = "data->'address'->>'city'";
  this->check(city == "Kyoto", {"alice", "carol"}, j + " = ?1", p + " = $1", "Kyoto");
  this->check(city != "Kyoto" && city != "Osaka", {"dave", "émile"},
              j + " NOT IN ('Kyoto','Osaka')", p + " NOT IN ('Kyoto','Osaka')");
  this->check(city.in({"Osaka", "Paris"}), {"bob", "émile", "frank"}, j + " IN ('Osaka','Paris')",
              p + " IN ('Osaka','Paris')");
  this->check(sqler::field<&Doc::address, &Address::zip>.like("60%"), {"alice", "carol"},
              "json_extract(data,'$.address.zip') IN ('600','601')",
              "data->'address'->>'zip' IN ('600','601')");
}

TYPED_TEST(ExprTest, FieldToFieldComparison) {
  const std::string ja = "json_extract(data,'$.a')", jb = "json_extract(data,'$.b')";
  const std::string pa = "(data->>'a')::numeric", pb = "(data->>'b')::numeric";
  this->check(fa < fb, {"alice", "dave", "frank"}, ja + " < " + jb, pa + " < " + pb);
  this->check(fa == fb, {"bob"}, ja + " = " + jb, pa + " = " + pb);
  this->check(fa > fb, {"carol", "émile"}, ja + " > " + jb, pa + " > " + pb);
  this->check(fa >= fb, {"bob", "carol", "émile"}, ja + " >= " + jb, pa + " >= " + pb);
  this->check(fa != fb && fa > 0, {"alice", "carol", "émile", "frank"},
              ja + " <> " + jb + " AND " + ja + " > 0", pa + " <> " + pb + " AND " + pa + " > 0");
  // Across an int and a double member.
  this->check(score >= fb, {"carol", "dave", "émile"}, "json_extract(data,'$.score') >= " + jb,
              "(data->>'score')::numeric >= " + pb);
}

TYPED_TEST(ExprTest, ArrayContains) {
  const std::string each_nums = "(SELECT value FROM json_each(data,'$.nums'))";
  const std::string p_nums = "(SELECT jsonb_array_elements_text(data->'nums')::numeric)";
  this->check(nums.contains(2), {"alice", "dave"}, "?1 IN " + each_nums, "$1 IN " + p_nums, 2);
  this->check(nums.contains(100), {}, "?1 IN " + each_nums, "$1 IN " + p_nums, 100);
  this->check(tags.contains("x"), {"alice", "dave", "émile"},
              "?1 IN (SELECT value FROM json_each(data,'$.tags'))",
              "$1 IN (SELECT jsonb_array_elements_text(data->'tags'))", "x");
  this->check(!nums.contains(2), {"bob", "carol", "émile", "frank"}, "?1 NOT IN " + each_nums,
              "$1 NOT IN " + p_nums, 2);
}

TYPED_TEST(ExprTest, ArrayContainsAny) {
  const std::string each_nums = "(SELECT value FROM json_each(data,'$.nums'))";
  const std::string p_nums = "(SELECT jsonb_array_elements_text(data->'nums')::numeric)";
  this->check(nums.contains_any({5, 9}), {"dave", "émile"},
              "?1 IN " + each_nums + " OR ?2 IN " + each_nums,
              "$1 IN " + p_nums + " OR $2 IN " + p_nums, 5, 9);
  this->check(tags.contains_any({"z", "nope"}), {"carol", "frank"},
              "'z' IN (SELECT value FROM json_each(data,'$.tags'))",
              "'z' IN (SELECT jsonb_array_elements_text(data->'tags'))");
  this->check(nums.contains_any<int>({}), {}, "0", "false");
  this->check(nums.contains_any_of(std::vector<int>{1, 4}), {"alice", "carol", "frank"},
              "1 IN " + each_nums + " OR 4 IN " + each_nums,
              "1 IN " + p_nums + " OR 4 IN " + p_nums);
}

TYPED_TEST(ExprTest, ArrayContainsAll) {
  const std::string distinct_hits =
      "(SELECT COUNT(DISTINCT value) FROM json_each(data,'$.nums') WHERE value IN ";
  const std::string p_hits =
      "(SELECT COUNT(DISTINCT v) FROM jsonb_array_elements_text(data->'nums') AS e(v) WHERE "
      "v::numeric IN ";
  this->check(nums.contains_all({2, 5}), {"dave"}, distinct_hits + "(?1, ?2)) = 2",
              p_hits + "($1, $2)) = 2", 2, 5);
  this->check(nums.contains_all({1}), {"alice", "frank"}, distinct_hits + "(1)) = 1",
              p_hits + "(1)) = 1");
  this->check(nums.contains_all({7, 8, 9}), {"émile"}, distinct_hits + "(7, 8, 9)) = 3",
              p_hits + "(7, 8, 9)) = 3");
  // Every element of an empty list is contained in anything, even in an empty array.
  this->check(nums.contains_all<int>({}), this->all_names(), "1", "true");
  this->check(tags.contains_all({"x", "y"}), {"alice"},
              "(SELECT COUNT(DISTINCT value) FROM json_each(data,'$.tags') WHERE value IN ('x','y')) "
              "= 2",
              "(SELECT COUNT(DISTINCT v) FROM jsonb_array_elements_text(data->'tags') AS e(v) "
              "WHERE v IN ('x','y')) = 2");
  // bob's empty array contains nothing.
  this->check(nums.contains_all({1, 2}), {"alice"}, distinct_hits + "(1, 2)) = 2",
              p_hits + "(1, 2)) = 2");
}

TYPED_TEST(ExprTest, ArraySize) {
  const std::string len = "json_array_length(data,'$.nums')";
  const std::string p_len = "jsonb_array_length(data->'nums')";
  this->check(nums.size() == 0, {"bob"}, len + " = ?1", p_len + " = $1", 0);
  this->check(nums.size() > 2, {"alice", "dave", "émile"}, len + " > 2", p_len + " > 2");
  this->check(nums.size() == 1, {"carol", "frank"}, len + " = 1", p_len + " = 1");
  this->check(tags.size() <= 1, {"bob", "dave", "frank"}, "json_array_length(data,'$.tags') <= 1",
              "jsonb_array_length(data->'tags') <= 1");
  this->check(events.size() >= 2 || groups.size() == 2, {"alice", "carol", "dave"},
              "json_array_length(data,'$.events') >= 2 OR json_array_length(data,'$.groups') = 2",
              "jsonb_array_length(data->'events') >= 2 OR jsonb_array_length(data->'groups') = 2");
}

TYPED_TEST(ExprTest, AnyOverArrayOfStructs) {
  const std::string ev = "EXISTS (SELECT 1 FROM json_each(data,'$.events') AS e WHERE ";
  const std::string pev =
      "EXISTS (SELECT 1 FROM jsonb_array_elements(data->'events') AS e(value) WHERE ";
  // The seed case: events[].val > 8. carol's 8 is not greater than 8.
  this->check(events.any(ev_val > 8), {"alice", "dave", "émile"},
              ev + "json_extract(e.value,'$.val') > ?1)", pev + "(e.value->>'val')::numeric > $1)",
              8);
  // Both conditions must hold for the same element: alice has a click (3) and a val 9, but not
  // on one event.
  this->check(events.any(ev_kind == "click" && ev_val > 8), {"émile"},
              ev + "json_extract(e.value,'$.kind') = ?1 AND json_extract(e.value,'$.val') > ?2)",
              pev + "e.value->>'kind' = $1 AND (e.value->>'val')::numeric > $2)", "click", 8);
  this->check(events.any(ev_kind == "view" || ev_val == 8), {"alice", "carol", "dave", "frank"},
              ev + "json_extract(e.value,'$.kind') = 'view' OR json_extract(e.value,'$.val') = 8)",
              pev + "e.value->>'kind' = 'view' OR (e.value->>'val')::numeric = 8)");
  this->check(!events.any(ev_kind == "click"), {"bob", "frank"},
              "NOT " + ev + "json_extract(e.value,'$.kind') = 'click')",
              "NOT " + pev + "e.value->>'kind' = 'click')");
  this->check(events.any(ev_val.in({1, 2})) && age < 20, {"dave", "frank"},
              ev + "json_extract(e.value,'$.val') IN (1, 2)) AND " + j_age + " < 20",
              pev + "(e.value->>'val')::numeric IN (1, 2)) AND " + p_age + " < 20");
  this->check(events.any(ev_kind.like("v%")) && events.any(ev_kind == "click"), {"alice", "dave"},
              ev + "json_extract(e.value,'$.kind') = 'view') AND " + ev +
                  "json_extract(e.value,'$.kind') = 'click')",
              pev + "e.value->>'kind' = 'view') AND " + pev + "e.value->>'kind' = 'click')");
}

TYPED_TEST(ExprTest, NestedAnyInsideAny) {
  const std::string outer = "EXISTS (SELECT 1 FROM json_each(data,'$.groups') AS g WHERE ";
  const std::string inner = "EXISTS (SELECT 1 FROM json_each(g.value,'$.subs') AS s WHERE ";
  const std::string p_outer =
      "EXISTS (SELECT 1 FROM jsonb_array_elements(data->'groups') AS g(value) WHERE ";
  const std::string p_inner =
      "EXISTS (SELECT 1 FROM jsonb_array_elements(g.value->'subs') AS s(value) WHERE ";
  this->check(groups.any(group_subs.any(sub_n > 8)), {"carol", "dave"},
              outer + inner + "json_extract(s.value,'$.n') > ?1))",
              p_outer + p_inner + "(s.value->>'n')::numeric > $1))", 8);
  // The outer element's name and the inner element's tag must belong to one group.
  this->check(groups.any(group_name == "g5" && group_subs.any(sub_tag == "t1")), {"émile"},
              outer + "json_extract(g.value,'$.name') = ?1 AND " + inner +
                  "json_extract(s.value,'$.tag') = ?2))",
              p_outer + "g.value->>'name' = $1 AND " + p_inner + "s.value->>'tag' = $2))", "g5",
              "t1");
  this->check(groups.any(group_subs.any(sub_tag == "t1" && sub_n >= 3)), {"dave", "émile"},
              outer + inner +
                  "json_extract(s.value,'$.tag') = 't1' AND json_extract(s.value,'$.n') >= 3))",
              p_outer + p_inner + "s.value->>'tag' = 't1' AND (s.value->>'n')::numeric >= 3))");
  // A group with an empty subs array still counts for size().
  this->check(groups.any(group_subs.size() == 0), {"carol"},
              outer + "json_array_length(g.value,'$.subs') = 0)",
              p_outer + "jsonb_array_length(g.value->'subs') = 0)");
  this->check(groups.any(group_subs.any(sub_n > 8)) && events.any(ev_val > 8), {"dave"},
              outer + inner +
                  "json_extract(s.value,'$.n') > 8)) AND EXISTS (SELECT 1 FROM "
                  "json_each(data,'$.events') AS e WHERE json_extract(e.value,'$.val') > 8)",
              p_outer + p_inner +
                  "(s.value->>'n')::numeric > 8)) AND EXISTS (SELECT 1 FROM "
                  "jsonb_array_elements(data->'events') AS e(value) WHERE "
                  "(e.value->>'val')::numeric > 8)");
}

// Values bound for list operators survive quotes and JSON metacharacters.
TYPED_TEST(ExprTest, ListValuesWithQuotesAreBoundNotSpliced) {
  const Doc tricky{"q\"uo'te]\\", 1, 0.0, false, Color::red, std::nullopt, std::nullopt,
                   {"x", "y"}, std::nullopt, 0, 0, {}, {"a\",\"b", "']"}, {}, {}};
  this->add(tricky);
  this->check(name.in({std::string("q\"uo'te]\\"), std::string("nobody")}), {"q\"uo'te]\\"},
              "json_extract(data,'$.name') = ?1", "data->>'name' = $1", "q\"uo'te]\\");
  this->check(tags.contains_any({"a\",\"b"}), {"q\"uo'te]\\"},
              "?1 IN (SELECT value FROM json_each(data,'$.tags'))",
              "$1 IN (SELECT jsonb_array_elements_text(data->'tags'))", "a\",\"b");
  this->check(tags.contains_all({"']", "a\",\"b"}), {"q\"uo'te]\\"},
              "json_array_length(data,'$.tags') = 2 AND ?1 IN (SELECT value FROM "
              "json_each(data,'$.tags'))",
              "jsonb_array_length(data->'tags') = 2 AND $1 IN (SELECT "
              "jsonb_array_elements_text(data->'tags'))",
              "']");
  // "a" and "b" alone must not match the single element a","b.
  this->check(tags.contains_any({"a", "b"}), {}, "0", "false");
}

}  // namespace
