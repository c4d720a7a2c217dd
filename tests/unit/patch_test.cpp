// Atomic in-place updates: collection::patch(id, set/inc/push...) and query::patch(...).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "../support/backends.hpp"

namespace {

struct Inner {
  int x;
  std::string label;
};

struct Profile {
  std::string name;
  bool active;
  std::optional<std::string> note;
  Inner address_field;
  int count;
  double score;
  std::optional<int> bonus;
  std::optional<double> ratio;
  std::vector<int> nums;
  std::vector<Inner> items;
};

constexpr auto name = sqler::field<&Profile::name>;
constexpr auto active = sqler::field<&Profile::active>;
constexpr auto note = sqler::field<&Profile::note>;
constexpr auto inner = sqler::field<&Profile::address_field>;
constexpr auto inner_x = sqler::field<&Profile::address_field, &Inner::x>;
constexpr auto inner_label = sqler::field<&Profile::address_field, &Inner::label>;
constexpr auto count = sqler::field<&Profile::count>;
constexpr auto score = sqler::field<&Profile::score>;
constexpr auto bonus = sqler::field<&Profile::bonus>;
constexpr auto ratio = sqler::field<&Profile::ratio>;
constexpr auto nums = sqler::field<&Profile::nums>;
constexpr auto items = sqler::field<&Profile::items>;

Profile sample(const std::string& n, int c = 0) {
  return {n, true, "hello", {7, "home"}, c, 1.5, std::nullopt, std::nullopt, {1, 2}, {{1, "a"}}};
}

template <class B>
class PatchTest : public sqler_test::on_backend<B> {
 protected:
  void SetUp() override {
    sqler_test::on_backend<B>::SetUp();
    if (!this->IsSkipped()) profiles_.emplace(sqler_test::collection_of<Profile>(this->db()));
  }

  std::int64_t version(std::int64_t id) { return profiles_->get_versioned(id)->version; }

  // The backend's view of a stored member: its JSON type in SQLite's json_type() words
  // ("missing" when absent) and its text.
  std::tuple<std::string, std::string> stored(std::int64_t id, const std::string& path) {
    std::vector<std::tuple<std::string, std::string>> rows;
    if constexpr (sqler_test::is_postgres<B>) {
      // "$.items[1]" as the text[] #> takes: {items,1}.
      std::string steps = "{";
      for (char ch : path.substr(2)) steps += (ch == '.' || ch == '[') ? ',' : ch;
      steps.erase(std::remove(steps.begin(), steps.end(), ']'), steps.end());
      steps += '}';
      rows = this->db().template query<std::string, std::string>(
          "SELECT COALESCE(" + sqler_test::pg_json_type("data #> $2::text[]") +
              ", 'missing'), COALESCE(data #>> $2::text[], 'NULL') FROM \"Profile\" WHERE _id = $1",
          id, steps);
    } else {
      rows = this->db().template query<std::string, std::string>(
          "SELECT IFNULL(json_type(data, ?2), 'missing'), IFNULL(json_extract(data, ?2), 'NULL') "
          "FROM \"Profile\" WHERE _id = ?1",
          id, path);
    }
    EXPECT_EQ(rows.size(), 1u);
    return rows.empty() ? std::tuple<std::string, std::string>{} : rows.front();
  }

  std::optional<sqler::collection<Profile, typename B::backend>> profiles_;
};
TYPED_TEST_SUITE(PatchTest, sqler_test::backends, sqler_test::backend_names);

TYPED_TEST(PatchTest, SetNestedMemberLeavesItsSiblings) {
  auto& profiles = *this->profiles_;
  const auto id = profiles.insert(sample("ann"));
  profiles.update(id, sqler::set(inner_x, 42));
  auto p = profiles.get_or_throw(id);
  EXPECT_EQ(p.address_field.x, 42);
  EXPECT_EQ(p.address_field.label, "home");
  EXPECT_EQ(p.name, "ann");
  EXPECT_EQ(p.nums, (std::vector<int>{1, 2}));
  EXPECT_EQ(this->stored(id, "$.address_field.x"),
            (std::tuple<std::string, std::string>{"integer", "42"}));

  profiles.update(id, sqler::set(inner_label, "work"));
  p = profiles.get_or_throw(id);
  EXPECT_EQ(p.address_field.label, "work");
  EXPECT_EQ(p.address_field.x, 42);
}

TYPED_TEST(PatchTest, SetKeepsJsonTypes) {
  auto& profiles = *this->profiles_;
  const auto id = profiles.insert(sample("ann"));
  const std::string tricky = R"(it's "quoted", with \ and ' and ', 1); DROP TABLE x; --)";
  profiles.update(id, sqler::set(name, tricky));
  profiles.update(id, sqler::set(active, false));
  profiles.update(id, sqler::set(note, std::nullopt));
  profiles.update(id, sqler::set(inner, Inner{-3, "moved"}));

  auto p = profiles.get_or_throw(id);
  EXPECT_EQ(p.name, tricky);
  EXPECT_FALSE(p.active);
  EXPECT_EQ(p.note, std::nullopt);
  EXPECT_EQ(p.address_field.x, -3);
  EXPECT_EQ(p.address_field.label, "moved");

  EXPECT_EQ(std::get<0>(this->stored(id, "$.name")), "text");
  EXPECT_EQ(std::get<0>(this->stored(id, "$.active")), "false");  // a JSON bool, not 0 or "false"
  EXPECT_EQ(std::get<0>(this->stored(id, "$.note")), "null");     // present and null
  EXPECT_EQ(std::get<0>(this->stored(id, "$.address_field")), "object");
  // Queries see the new values with their types.
  EXPECT_EQ(profiles.find(active == false).ids(), std::vector<std::int64_t>{id});
  EXPECT_EQ(profiles.find(note.is_null()).ids(), std::vector<std::int64_t>{id});
  EXPECT_EQ(profiles.find(inner_x < 0).ids(), std::vector<std::int64_t>{id});

  // And back: an optional set to a value, a bool to true.
  profiles.update(id, sqler::set(note, std::optional<std::string>("back")));
  profiles.update(id, sqler::set(active, true));
  p = profiles.get_or_throw(id);
  EXPECT_EQ(p.note, "back");
  EXPECT_TRUE(p.active);
  EXPECT_EQ(std::get<0>(this->stored(id, "$.active")), "true");
}

TYPED_TEST(PatchTest, IncIntegersAndDoubles) {
  auto& profiles = *this->profiles_;
  const auto id = profiles.insert(sample("ann", 10));
  profiles.update(id, sqler::inc(count, 5));
  profiles.update(id, sqler::inc(count, -2));
  profiles.update(id, sqler::inc(score, 0.25));
  profiles.update(id, sqler::inc(inner_x, 3));
  auto p = profiles.get_or_throw(id);
  EXPECT_EQ(p.count, 13);
  EXPECT_DOUBLE_EQ(p.score, 1.75);
  EXPECT_EQ(p.address_field.x, 10);
  EXPECT_EQ(std::get<0>(this->stored(id, "$.count")), "integer");  // stays an integer
  EXPECT_EQ(std::get<0>(this->stored(id, "$.score")), "real");
}

TYPED_TEST(PatchTest, IncOnAMissingOrNullMemberCountsFromZero) {
  auto& profiles = *this->profiles_;
  // bonus/ratio absent from the stored JSON altogether (e.g. written before they existed).
  this->db().execute(this->sql(R"(INSERT INTO "Profile" (_id, data) VALUES (?1, ?2))",
                               R"(INSERT INTO "Profile" (_id, data) VALUES ($1, $2::jsonb))"),
                     77,
             std::string(R"({"name":"old","active":true,"note":null,"address_field":{"x":0,"label":""},)"
                         R"("count":0,"score":0,"nums":[],"items":[]})"));
  EXPECT_EQ(std::get<0>(this->stored(77, "$.bonus")), "missing");
  ASSERT_FALSE(profiles.get_or_throw(77).bonus.has_value());
  profiles.update(77, sqler::inc(bonus, 3), sqler::inc(ratio, 0.5));
  auto p = profiles.get_or_throw(77);
  EXPECT_EQ(p.bonus, 3);
  ASSERT_TRUE(p.ratio.has_value());
  EXPECT_DOUBLE_EQ(*p.ratio, 0.5);
  profiles.update(77, sqler::inc(bonus, 3));
  EXPECT_EQ(profiles.get_or_throw(77).bonus, 6);

  // Present but null (how sqler writes an empty optional) counts from 0 as well.
  const auto id = profiles.insert(sample("ann"));
  EXPECT_EQ(std::get<0>(this->stored(id, "$.bonus")), "null");
  profiles.update(id, sqler::inc(bonus, 4));
  EXPECT_EQ(profiles.get_or_throw(id).bonus, 4);
}

TYPED_TEST(PatchTest, PushAppendsToArrays) {
  auto& profiles = *this->profiles_;
  const auto id = profiles.insert(sample("ann"));
  profiles.update(id, sqler::push(nums, 3));
  profiles.update(id, sqler::push(nums, -4));
  profiles.update(id, sqler::push(items, Inner{2, "b"}));
  auto p = profiles.get_or_throw(id);
  EXPECT_EQ(p.nums, (std::vector<int>{1, 2, 3, -4}));
  ASSERT_EQ(p.items.size(), 2u);
  EXPECT_EQ(p.items[1].x, 2);
  EXPECT_EQ(p.items[1].label, "b");
  EXPECT_EQ(std::get<0>(this->stored(id, "$.items[1]")), "object");  // a nested object, not text
  // Array queries see the pushed elements.
  EXPECT_EQ(profiles.find(nums.contains(-4)).ids(), std::vector<std::int64_t>{id});
  EXPECT_EQ(profiles.find(items.any(sqler::field<&Inner::label> == "b")).count(), 1);

  // Onto an empty array.
  auto empty = sample("ben");
  empty.nums.clear();
  const auto id2 = profiles.insert(empty);
  profiles.update(id2, sqler::push(nums, 9));
  EXPECT_EQ(profiles.get_or_throw(id2).nums, std::vector<int>{9});
}

TYPED_TEST(PatchTest, SeveralOpsInOnePatchAreOneWrite) {
  auto& profiles = *this->profiles_;
  const auto id = profiles.insert(sample("ann", 1));
  ASSERT_EQ(this->version(id), 1);
  int statements = 0;
  const auto hook = this->db().on_query([&](const sqler::query_event&) { ++statements; });
  profiles.update(id, sqler::set(name, "anna"), sqler::inc(count, 2), sqler::push(nums, 3),
                 sqler::set(inner_label, "there"), sqler::inc(score, 1.0));
  this->db().remove_query_hook(hook);
  EXPECT_EQ(statements, 1);
  EXPECT_EQ(this->version(id), 2);  // one bump for the whole patch

  auto p = profiles.get_or_throw(id);
  EXPECT_EQ(p.name, "anna");
  EXPECT_EQ(p.count, 3);
  EXPECT_EQ(p.nums, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(p.address_field.label, "there");
  EXPECT_EQ(p.address_field.x, 7);
  EXPECT_DOUBLE_EQ(p.score, 2.5);

  // Each op reads the document as it was before the patch (documented): two incs of the same
  // member in one patch do not add up.
  profiles.update(id, sqler::inc(count, 1), sqler::inc(count, 1));
  EXPECT_EQ(profiles.get_or_throw(id).count, 4);
  EXPECT_EQ(this->version(id), 3);
}

TYPED_TEST(PatchTest, MissingIdThrowsNotFound) {
  auto& profiles = *this->profiles_;
  const auto id = profiles.insert(sample("ann"));
  try {
    profiles.update(id + 1, sqler::inc(count, 1));
    ADD_FAILURE() << "patching a missing id must throw";
  } catch (const sqler::not_found& e) {
    EXPECT_EQ(e.id(), id + 1);
  }
  EXPECT_EQ(profiles.size(), 1);
  EXPECT_EQ(this->version(id), 1);
  EXPECT_EQ(profiles.get_or_throw(id).count, 0);
}

TYPED_TEST(PatchTest, QueryPatchUpdatesEveryMatch) {
  auto& profiles = *this->profiles_;
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(profiles.insert(sample("p" + std::to_string(i), i)));

  // count >= 4: six documents.
  EXPECT_EQ(profiles.find(count >= 4).update(sqler::inc(score, 10.0), sqler::set(active, false)), 6);
  for (int i = 0; i < 10; ++i) {
    auto v = *profiles.get_versioned(ids[static_cast<std::size_t>(i)]);
    EXPECT_EQ(v.value.active, i < 4) << i;
    EXPECT_DOUBLE_EQ(v.value.score, i >= 4 ? 11.5 : 1.5) << i;
    EXPECT_EQ(v.version, i >= 4 ? 2 : 1) << i;
  }
  // No match: nothing changes, 0 returned.
  EXPECT_EQ(profiles.find(count > 100).update(sqler::inc(count, 1)), 0);
  // Everything.
  EXPECT_EQ(profiles.find().update(sqler::push(nums, 99)), 10);
  EXPECT_EQ(profiles.find(nums.contains(99)).count(), 10);
}

TYPED_TEST(PatchTest, QueryPatchWithLimitOnlyTouchesThatMany) {
  auto& profiles = *this->profiles_;
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(profiles.insert(sample("p" + std::to_string(i), i)));

  // The three highest counts among the active ones.
  EXPECT_EQ(profiles.find(active == true).order_by(count.desc()).limit(3).update(
                sqler::set(note, "top"), sqler::inc(bonus, 1)),
            3);
  std::vector<std::int64_t> tops = profiles.find(note == "top").order_by(count).ids();
  EXPECT_EQ(tops, (std::vector<std::int64_t>{ids[7], ids[8], ids[9]}));
  EXPECT_EQ(profiles.find(bonus == 1).count(), 3);
  EXPECT_EQ(profiles.find(note == "hello").count(), 7);

  // limit + offset: the window, and values are bound after the predicate/limit/offset ones.
  EXPECT_EQ(profiles.find(count >= 2).order_by(count).limit(2).offset(1).update(
                sqler::set(inner_label, "window")),
            2);
  EXPECT_EQ(profiles.find(inner_label == "window").order_by(count).ids(),
            (std::vector<std::int64_t>{ids[3], ids[4]}));
  // A limit larger than the matches touches just the matches.
  EXPECT_EQ(profiles.find(count < 2).limit(50).update(sqler::inc(count, 100)), 2);
  EXPECT_EQ(profiles.find(count >= 100).count(), 2);
}

}  // namespace
