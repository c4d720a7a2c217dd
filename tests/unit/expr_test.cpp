// Behaviour of every DSL operator against a seeded collection. Each DSL query is checked twice:
// against the document names we know must match, and against a hand-written SQL twin run
// through database::query, so a rendering bug and a wrong expectation can't cancel out.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sqler/sqler.hpp"

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

class ExprTest : public ::testing::Test {
 protected:
  void SetUp() override {
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
    db.execute(R"(INSERT INTO "Doc" (data) VALUES (?1))", frank_json);
    ids_by_name["frank"] = sqlite3_last_insert_rowid(db.native_handle());
    ASSERT_EQ(docs.size(), 6);
  }

  void add(const Doc& d) { ids_by_name[d.name] = docs.insert(d); }

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
  // `SELECT _id FROM "Doc" WHERE <twin_where>`; all must agree with `expected`.
  template <class Pred, class... P>
  void check(const Pred& pred, const name_set& expected, const std::string& twin_where,
             const P&... params) {
    SCOPED_TRACE("twin: " + twin_where);
    auto q = docs.find(pred);
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
    for (const auto& [id] :
         db.query<std::int64_t>(R"(SELECT _id FROM "Doc" WHERE )" + twin_where, params...))
      twin.insert(id);
    EXPECT_EQ(twin, want);
  }

  sqler::database db = sqler::database::in_memory();
  sqler::collection<Doc> docs = db.collection<Doc>();
  std::map<std::string, std::int64_t> ids_by_name;
};

const std::string j_age = "json_extract(data,'$.age')";

TEST_F(ExprTest, IntComparisonsIncludingNegatives) {
  check(age == 30, {"alice", "émile"}, j_age + " = ?1", 30);
  check(age == -5, {"bob"}, j_age + " = ?1", -5);
  check(age != 30, {"bob", "carol", "dave", "frank"}, j_age + " <> ?1", 30);
  check(age < 0, {"bob"}, j_age + " < ?1", 0);
  check(age <= 0, {"bob", "dave"}, j_age + " <= ?1", 0);
  check(age > 18, {"alice", "carol", "émile"}, j_age + " > ?1", 18);
  check(age >= 18, {"alice", "carol", "émile", "frank"}, j_age + " >= ?1", 18);
  check(age > -10, all_names(), j_age + " > ?1", -10);
  check(age < -5, {}, j_age + " < ?1", -5);
  // Wider and narrower integer types than the member bind the same way.
  check(age >= std::int64_t{45}, {"carol"}, j_age + " >= ?1", 45);
  check(age == short{0}, {"dave"}, j_age + " = ?1", 0);
}

TEST_F(ExprTest, DoubleComparisons) {
  const std::string j = "json_extract(data,'$.score')";
  check(score == 1.5, {"alice"}, j + " = ?1", 1.5);
  check(score > 2.5, {"carol", "émile"}, j + " > ?1", 2.5);
  check(score >= 2.5, {"carol", "émile", "frank"}, j + " >= ?1", 2.5);
  check(score < -1.0, {"bob"}, j + " < ?1", -1.0);
  check(score <= 0.0, {"bob", "dave"}, j + " <= ?1", 0.0);
  check(score != 3.0, {"alice", "bob", "dave", "émile", "frank"}, j + " <> ?1", 3.0);
  // An integer value against a double member: 3 must equal the stored 3.0.
  check(score == 3, {"carol"}, j + " = ?1", 3);
  check(score > 10, {"émile"}, j + " > ?1", 10);
}

TEST_F(ExprTest, StringComparisonsIncludingUnicode) {
  const std::string j = "json_extract(data,'$.name')";
  check(name == "carol", {"carol"}, j + " = ?1", "carol");
  check(name == std::string("émile"), {"émile"}, j + " = ?1", "émile");
  check(name != "carol", {"alice", "bob", "dave", "émile", "frank"}, j + " <> ?1", "carol");
  // Byte order: every ASCII name sorts before the UTF-8 lead byte of "é".
  check(name < "c", {"alice", "bob"}, j + " < ?1", "c");
  check(name <= "carol", {"alice", "bob", "carol"}, j + " <= ?1", "carol");
  check(name > "e", {"émile", "frank"}, j + " > ?1", "e");
  check(name >= std::string_view("dave"), {"dave", "émile", "frank"}, j + " >= ?1", "dave");
  check(nick == "😀", {"émile"}, "json_extract(data,'$.nick') = ?1", "😀");
  check(city == "Tōkyō", {"dave"}, "json_extract(data,'$.address.city') = ?1", "Tōkyō");
  check(tags.contains("ünï"), {"émile"},
        "?1 IN (SELECT value FROM json_each(data,'$.tags'))", "ünï");
  check(name == "", {}, j + " = ''");
}

TEST_F(ExprTest, BoolsCompareAgainstJsonTrueAndFalse) {
  const std::string j = "json_extract(data,'$.active')";
  check(active == true, {"alice", "carol", "émile"}, j + " = 1");
  check(active == false, {"bob", "dave", "frank"}, j + " = 0");
  check(active != true, {"bob", "dave", "frank"}, "json_type(data,'$.active') = 'false'");
  check(active != false, {"alice", "carol", "émile"}, "json_type(data,'$.active') = 'true'");
  check(active == true, {"alice", "carol", "émile"}, j + " = ?1", true);
  check(active == false, {"bob", "dave", "frank"}, j + " = ?1", false);
  // Lists are bound as one JSON array; its booleans must compare like the bound ones above.
  check(active.in({true}), {"alice", "carol", "émile"}, "json_type(data,'$.active') = 'true'");
  check(active.in({false}), {"bob", "dave", "frank"}, "json_type(data,'$.active') = 'false'");
  check(active.in({true, false}), all_names(), "1");
  check(active == true && !(name == "alice"), {"carol", "émile"},
        j + " AND json_extract(data,'$.name') <> 'alice'");
}

TEST_F(ExprTest, EnumComparisons) {
  const std::string j = "json_extract(data,'$.color')";
  check(color == Color::red, {"alice", "dave"}, j + " = ?1", Color::red);
  check(color != Color::red, {"bob", "carol", "émile", "frank"}, j + " <> 0");
  check(color == Color::blue, {"carol", "frank"}, j + " = 2");
  check(color > Color::red, {"bob", "carol", "émile", "frank"}, j + " > ?1", Color::red);
  check(color.in({Color::red, Color::blue}), {"alice", "carol", "dave", "frank"},
        j + " IN (0, 2)");
}

TEST_F(ExprTest, LogicalCombinations) {
  check(age >= 18 && active == true, {"alice", "carol", "émile"},
        j_age + " >= 18 AND json_extract(data,'$.active') = 1");
  check(age < 18 || color == Color::blue, {"bob", "carol", "dave", "frank"},
        j_age + " < ?1 OR json_extract(data,'$.color') = ?2", 18, Color::blue);
  check(!(age >= 30), {"bob", "dave", "frank"}, "NOT (" + j_age + " >= 30)");
  check(!(age >= 30) && !(color == Color::blue), {"bob", "dave"},
        j_age + " < 30 AND json_extract(data,'$.color') <> 2");
  check((age == 30 || age == 45) && name != "alice", {"carol", "émile"},
        "(" + j_age + " IN (30, 45)) AND json_extract(data,'$.name') <> 'alice'");
  check(age == 30 || (age == 45 && name != "carol"), {"alice", "émile"}, j_age + " = 30");
  check(!(age > 0 || score < 0.0), {"dave"}, "NOT (" + j_age + " > 0 OR " +
                                                 "json_extract(data,'$.score') < 0)");
  // Parameters keep their positions however deep the tree goes.
  check((name == "bob" || name == "dave") && (score < 0.5 && age > -6),
        {"bob", "dave"},
        "json_extract(data,'$.name') IN (?1, ?2) AND json_extract(data,'$.score') < ?3 AND " +
            j_age + " > ?4",
        "bob", "dave", 0.5, -6);
}

TEST_F(ExprTest, InLists) {
  check(age.in({30, 0}), {"alice", "dave", "émile"}, j_age + " IN (?1, ?2)", 30, 0);
  check(age.in({-5}), {"bob"}, j_age + " = -5");
  check(name.in({"bob", "émile", "nobody"}), {"bob", "émile"},
        "json_extract(data,'$.name') IN (?1, ?2, ?3)", "bob", "émile", "nobody");
  check(age.in<int>({}), {}, j_age + " IN ()");
  check(name.in_range(std::vector<std::string>{}), {}, "json_extract(data,'$.name') IN ()");
  check(!age.in<int>({}), all_names(), j_age + " NOT IN ()");
  check(score.in({1.5, 3.0}), {"alice", "carol"}, "json_extract(data,'$.score') IN (1.5, 3)");
}

TEST_F(ExprTest, Between) {
  check(age.between(0, 30), {"alice", "dave", "émile", "frank"},
        j_age + " >= ?1 AND " + j_age + " <= ?2", 0, 30);
  check(age.between(-5, -5), {"bob"}, j_age + " = -5");
  check(age.between(31, 29), {}, "0");
  check(score.between(1.0, 3.0), {"alice", "carol", "frank"},
        "json_extract(data,'$.score') >= 1 AND json_extract(data,'$.score') <= 3");
  check(name.between("b", "d"), {"bob", "carol"},
        "json_extract(data,'$.name') >= 'b' AND json_extract(data,'$.name') < 'd'");
}

TEST_F(ExprTest, Like) {
  check(name.like("%li%"), {"alice"}, "instr(json_extract(data,'$.name'), ?1) > 0", "li");
  check(name.like("%il%"), {"émile"}, "instr(json_extract(data,'$.name'), ?1) > 0", "il");
  check(name.like("%l%"), {"alice", "carol", "émile"}, "instr(json_extract(data,'$.name'), 'l') > 0");
  // '_' is one character, not one byte: "é" is two bytes in UTF-8.
  check(name.like("_mile"), {"émile"}, "json_extract(data,'$.name') = ?1", "émile");
  check(name.like("_a%"), {"carol", "dave"}, "substr(json_extract(data,'$.name'), 2, 1) = 'a'");
  // SQLite's LIKE folds ASCII case.
  check(name.like("ALICE"), {"alice"}, "json_extract(data,'$.name') = 'alice'");
  check(nick.like("%c%"), {"carol"}, "json_extract(data,'$.nick') = 'cc'");
}

TEST_F(ExprTest, NullChecksOnOptionals) {
  // bob and dave store null; frank has no such member at all.
  check(nick.is_null(), {"bob", "dave", "frank"},
        "json_type(data,'$.nick') IS NULL OR json_type(data,'$.nick') = 'null'");
  check(nick.is_not_null(), {"alice", "carol", "émile"},
        "json_type(data,'$.nick') = 'text'");
  check(rank.is_null(), {"carol", "dave", "frank"},
        "json_type(data,'$.rank') IS NULL OR json_type(data,'$.rank') = 'null'");
  check(rank.is_not_null() && rank > 2, {"bob", "émile"}, "json_extract(data,'$.rank') > 2");
  // <> with a null member is unknown in SQL, so nulls never match !=.
  check(rank != 3, {"alice", "bob"}, "json_extract(data,'$.rank') <> 3");
  // A path through an optional struct is nullable too.
  check(office_city.is_null(), {"bob", "carol", "dave", "émile", "frank"},
        "json_type(data,'$.office') IS NOT 'object'");
  check(office_city == "Kyoto", {"alice"}, "json_extract(data,'$.office.city') = 'Kyoto'");
}

TEST_F(ExprTest, NestedPath) {
  const std::string j = "json_extract(data,'$.address.city')";
  check(city == "Kyoto", {"alice", "carol"}, j + " = ?1", "Kyoto");
  check(city != "Kyoto" && city != "Osaka", {"dave", "émile"}, j + " NOT IN ('Kyoto','Osaka')");
  check(city.in({"Osaka", "Paris"}), {"bob", "émile", "frank"}, j + " IN ('Osaka','Paris')");
  check(sqler::field<&Doc::address, &Address::zip>.like("60%"), {"alice", "carol"},
        "json_extract(data,'$.address.zip') IN ('600','601')");
}

TEST_F(ExprTest, FieldToFieldComparison) {
  const std::string ja = "json_extract(data,'$.a')", jb = "json_extract(data,'$.b')";
  check(fa < fb, {"alice", "dave", "frank"}, ja + " < " + jb);
  check(fa == fb, {"bob"}, ja + " = " + jb);
  check(fa > fb, {"carol", "émile"}, ja + " > " + jb);
  check(fa >= fb, {"bob", "carol", "émile"}, ja + " >= " + jb);
  check(fa != fb && fa > 0, {"alice", "carol", "émile", "frank"}, ja + " <> " + jb + " AND " + ja + " > 0");
  // Across an int and a double member.
  check(score >= fb, {"carol", "dave", "émile"}, "json_extract(data,'$.score') >= " + jb);
}

TEST_F(ExprTest, ArrayContains) {
  const std::string each_nums = "(SELECT value FROM json_each(data,'$.nums'))";
  check(nums.contains(2), {"alice", "dave"}, "?1 IN " + each_nums, 2);
  check(nums.contains(100), {}, "?1 IN " + each_nums, 100);
  check(tags.contains("x"), {"alice", "dave", "émile"},
        "?1 IN (SELECT value FROM json_each(data,'$.tags'))", "x");
  check(!nums.contains(2), {"bob", "carol", "émile", "frank"}, "?1 NOT IN " + each_nums, 2);
}

TEST_F(ExprTest, ArrayContainsAny) {
  const std::string each_nums = "(SELECT value FROM json_each(data,'$.nums'))";
  check(nums.contains_any({5, 9}), {"dave", "émile"},
        "?1 IN " + each_nums + " OR ?2 IN " + each_nums, 5, 9);
  check(tags.contains_any({"z", "nope"}), {"carol", "frank"},
        "'z' IN (SELECT value FROM json_each(data,'$.tags'))");
  check(nums.contains_any<int>({}), {}, "0");
  check(nums.contains_any_of(std::vector<int>{1, 4}), {"alice", "carol", "frank"},
        "1 IN " + each_nums + " OR 4 IN " + each_nums);
}

TEST_F(ExprTest, ArrayContainsAll) {
  const std::string distinct_hits =
      "(SELECT COUNT(DISTINCT value) FROM json_each(data,'$.nums') WHERE value IN ";
  check(nums.contains_all({2, 5}), {"dave"}, distinct_hits + "(?1, ?2)) = 2", 2, 5);
  check(nums.contains_all({1}), {"alice", "frank"}, distinct_hits + "(1)) = 1");
  check(nums.contains_all({7, 8, 9}), {"émile"}, distinct_hits + "(7, 8, 9)) = 3");
  // Every element of an empty list is contained in anything, even in an empty array.
  check(nums.contains_all<int>({}), all_names(), "1");
  check(tags.contains_all({"x", "y"}), {"alice"},
        "(SELECT COUNT(DISTINCT value) FROM json_each(data,'$.tags') WHERE value IN ('x','y')) "
        "= 2");
  // bob's empty array contains nothing.
  check(nums.contains_all({1, 2}), {"alice"}, distinct_hits + "(1, 2)) = 2");
}

TEST_F(ExprTest, ArraySize) {
  const std::string len = "json_array_length(data,'$.nums')";
  check(nums.size() == 0, {"bob"}, len + " = ?1", 0);
  check(nums.size() > 2, {"alice", "dave", "émile"}, len + " > 2");
  check(nums.size() == 1, {"carol", "frank"}, len + " = 1");
  check(tags.size() <= 1, {"bob", "dave", "frank"}, "json_array_length(data,'$.tags') <= 1");
  check(events.size() >= 2 || groups.size() == 2, {"alice", "carol", "dave"},
        "json_array_length(data,'$.events') >= 2 OR json_array_length(data,'$.groups') = 2");
}

TEST_F(ExprTest, AnyOverArrayOfStructs) {
  const std::string ev = "EXISTS (SELECT 1 FROM json_each(data,'$.events') AS e WHERE ";
  // The seed case: events[].val > 8. carol's 8 is not greater than 8.
  check(events.any(ev_val > 8), {"alice", "dave", "émile"},
        ev + "json_extract(e.value,'$.val') > ?1)", 8);
  // Both conditions must hold for the same element: alice has a click (3) and a val 9, but not
  // on one event.
  check(events.any(ev_kind == "click" && ev_val > 8), {"émile"},
        ev + "json_extract(e.value,'$.kind') = ?1 AND json_extract(e.value,'$.val') > ?2)",
        "click", 8);
  check(events.any(ev_kind == "view" || ev_val == 8), {"alice", "carol", "dave", "frank"},
        ev + "json_extract(e.value,'$.kind') = 'view' OR json_extract(e.value,'$.val') = 8)");
  check(!events.any(ev_kind == "click"), {"bob", "frank"},
        "NOT " + ev + "json_extract(e.value,'$.kind') = 'click')");
  check(events.any(ev_val.in({1, 2})) && age < 20, {"dave", "frank"},
        ev + "json_extract(e.value,'$.val') IN (1, 2)) AND " + j_age + " < 20");
  check(events.any(ev_kind.like("v%")) && events.any(ev_kind == "click"), {"alice", "dave"},
        ev + "json_extract(e.value,'$.kind') = 'view') AND " + ev +
            "json_extract(e.value,'$.kind') = 'click')");
}

TEST_F(ExprTest, NestedAnyInsideAny) {
  const std::string outer = "EXISTS (SELECT 1 FROM json_each(data,'$.groups') AS g WHERE ";
  const std::string inner = "EXISTS (SELECT 1 FROM json_each(g.value,'$.subs') AS s WHERE ";
  check(groups.any(group_subs.any(sub_n > 8)), {"carol", "dave"},
        outer + inner + "json_extract(s.value,'$.n') > ?1))", 8);
  // The outer element's name and the inner element's tag must belong to one group.
  check(groups.any(group_name == "g5" && group_subs.any(sub_tag == "t1")), {"émile"},
        outer + "json_extract(g.value,'$.name') = ?1 AND " + inner +
            "json_extract(s.value,'$.tag') = ?2))",
        "g5", "t1");
  check(groups.any(group_subs.any(sub_tag == "t1" && sub_n >= 3)), {"dave", "émile"},
        outer + inner + "json_extract(s.value,'$.tag') = 't1' AND json_extract(s.value,'$.n') >= 3))");
  // A group with an empty subs array still counts for size().
  check(groups.any(group_subs.size() == 0), {"carol"},
        outer + "json_array_length(g.value,'$.subs') = 0)");
  check(groups.any(group_subs.any(sub_n > 8)) && events.any(ev_val > 8), {"dave"},
        outer + inner + "json_extract(s.value,'$.n') > 8)) AND EXISTS (SELECT 1 FROM "
                        "json_each(data,'$.events') AS e WHERE json_extract(e.value,'$.val') > 8)");
}

// Values bound for list operators survive quotes and JSON metacharacters.
TEST_F(ExprTest, ListValuesWithQuotesAreBoundNotSpliced) {
  const Doc tricky{"q\"uo'te]\\", 1, 0.0, false, Color::red, std::nullopt, std::nullopt,
                   {"x", "y"}, std::nullopt, 0, 0, {}, {"a\",\"b", "']"}, {}, {}};
  add(tricky);
  check(name.in({std::string("q\"uo'te]\\"), std::string("nobody")}), {"q\"uo'te]\\"},
        "json_extract(data,'$.name') = ?1", "q\"uo'te]\\");
  check(tags.contains_any({"a\",\"b"}), {"q\"uo'te]\\"},
        "?1 IN (SELECT value FROM json_each(data,'$.tags'))", "a\",\"b");
  check(tags.contains_all({"']", "a\",\"b"}), {"q\"uo'te]\\"},
        "json_array_length(data,'$.tags') = 2 AND ?1 IN (SELECT value FROM "
        "json_each(data,'$.tags'))",
        "']");
  // "a" and "b" alone must not match the single element a","b.
  check(tags.contains_any({"a", "b"}), {}, "0");
}

}  // namespace
