// Relations: hydrating sqler::ref<T> members with one query per referenced table, dangling refs,
// and filters that reach through a ref (sqler::through, sqler::ref_id) with their query plans.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "../support/backends.hpp"

namespace {

struct Address {
  std::string city;
  int zip;
};

struct Order {
  std::string sku;
  int qty;
};

struct User {
  std::string name;
  int age;
  sqler::ref<Address> address;
  std::vector<sqler::ref<Order>> orders;
};

// Two members into the same table, one of them optional.
struct Shipment {
  std::string label;
  sqler::ref<Address> from;
  std::optional<sqler::ref<Address>> to;
};

using id_set = std::set<std::int64_t>;

constexpr auto city = sqler::field<&Address::city>;
constexpr auto zip = sqler::field<&Address::zip>;
constexpr auto sku = sqler::field<&Order::sku>;
constexpr auto qty = sqler::field<&Order::qty>;
constexpr auto user_name = sqler::field<&User::name>;
constexpr auto age = sqler::field<&User::age>;

id_set to_set(const std::vector<std::int64_t>& ids) { return {ids.begin(), ids.end()}; }

// Counts every statement sqler runs on the database while it is alive.
template <class Db>
class statement_counter {
 public:
  explicit statement_counter(Db& db) : db_(db) {
    id_ = db_.on_query([this](const sqler::query_event& ev) {
      ++count_;
      sql_.emplace_back(ev.sql);
    });
  }
  ~statement_counter() { db_.remove_query_hook(id_); }
  int count() const { return count_; }
  const std::vector<std::string>& sql() const { return sql_; }

 private:
  Db& db_;
  std::uint64_t id_ = 0;
  int count_ = 0;
  std::vector<std::string> sql_;
};

// ---------------------------------------------------------------- hydration

template <class B>
class Hydration : public sqler_test::on_backend<B> {};
TYPED_TEST_SUITE(Hydration, sqler_test::backends, sqler_test::backend_names);

// What was inserted, to check hydrated values against.
struct expected_user {
  std::string city;
  std::vector<std::string> skus;
};

// A database of its own (its own schema on PostgreSQL): two fixtures in one test do not share
// tables.
template <class B>
struct hydration_fixture {
  B env;  // first: outlives the database
  typename B::database db = env.open();
  sqler::collection<Address, typename B::backend> addresses =
      sqler_test::collection_of<Address>(db);
  sqler::collection<Order, typename B::backend> orders = sqler_test::collection_of<Order>(db);
  sqler::collection<User, typename B::backend> users = sqler_test::collection_of<User>(db);
  std::map<std::string, expected_user> expected;

  // n users over 10 addresses, 3 orders each.
  explicit hydration_fixture(int n) {
    std::vector<std::int64_t> address_ids;
    for (int a = 0; a < 10; ++a)
      address_ids.push_back(addresses.insert({"city-" + std::to_string(a), 1000 + a}));
    for (int u = 0; u < n; ++u) {
      User user{"user-" + std::to_string(u), 20 + u % 50, address_ids[u % 10], {}};
      expected_user e{"city-" + std::to_string(u % 10), {}};
      for (int k = 0; k < 3; ++k) {
        const std::string s = "sku-" + std::to_string(u) + "-" + std::to_string(k);
        user.orders.emplace_back(orders.insert({s, k + 1}));
        e.skus.push_back(s);
      }
      users.insert(user);
      expected.emplace(user.name, std::move(e));
    }
  }

  // Statements run by loading every user with address and orders hydrated; checks the values.
  int load_and_check() {
    statement_counter counter(db);
    auto q = users.find().template with<&User::address, &User::orders>();
    auto all = q.all();
    EXPECT_EQ(all.size(), expected.size());
    EXPECT_TRUE(q.dangling().empty());
    for (const User& u : all) {
      const auto& e = expected.at(u.name);
      EXPECT_TRUE(u.address.loaded()) << u.name;
      EXPECT_FALSE(u.address.dangling()) << u.name;
      if (u.address.loaded()) {
        EXPECT_EQ(u.address->city, e.city) << u.name;
      }
      std::vector<std::string> skus;
      for (const auto& o : u.orders) {
        EXPECT_TRUE(o.loaded()) << u.name;
        if (o.loaded()) skus.push_back(o->sku);
      }
      EXPECT_EQ(skus, e.skus) << u.name;
    }
    return counter.count();
  }
};

TYPED_TEST(Hydration, ResultsMatchAndStatementCountDoesNotGrowWithUsers) {
  hydration_fixture<TypeParam> small(10);
  hydration_fixture<TypeParam> large(100);
  const int small_count = small.load_and_check();
  const int large_count = large.load_and_check();
  // One page query plus one per referenced table (Address, Order), whatever the page size.
  EXPECT_EQ(small_count, 3);
  EXPECT_EQ(large_count, 3);
  EXPECT_EQ(small_count, large_count);
}

TYPED_TEST(Hydration, OneQueryPerTableListsTheDistinctIds) {
  hydration_fixture<TypeParam> f(100);
  statement_counter counter(f.db);
  auto all = f.users.find().template with<&User::address, &User::orders>().all();
  ASSERT_EQ(counter.count(), 3);
  // The statements are the page and one lookup for each table, in that order.
  EXPECT_EQ(counter.sql()[0], decltype(f.users.find())::sql());
  EXPECT_NE(counter.sql()[1].find("FROM \"Address\""), std::string::npos) << counter.sql()[1];
  EXPECT_NE(counter.sql()[2].find("FROM \"Order\""), std::string::npos) << counter.sql()[2];
  // Users sharing an address share one loaded Address object.
  ASSERT_GE(all.size(), 11u);
  EXPECT_EQ(all[0].address.id(), all[10].address.id());
  EXPECT_EQ(&all[0].address.get(), &all[10].address.get());
}

TYPED_TEST(Hydration, OnlyTheNamedMembersAreLoaded) {
  hydration_fixture<TypeParam> f(10);
  statement_counter counter(f.db);
  auto all = f.users.find().template with<&User::orders>().all();
  EXPECT_EQ(counter.count(), 2);
  ASSERT_EQ(all.size(), 10u);
  for (const User& u : all) {
    EXPECT_FALSE(u.address.loaded());
    EXPECT_FALSE(u.address.dangling());
    EXPECT_THROW((void)u.address.get(), std::logic_error);
    ASSERT_EQ(u.orders.size(), 3u);
    EXPECT_EQ(u.orders[1]->sku, f.expected.at(u.name).skus[1]);
  }
  // Plain queries load nothing.
  auto plain = f.users.find(user_name == "user-3").first();
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->address.loaded());
  EXPECT_FALSE(plain->orders.front().loaded());
}

TYPED_TEST(Hydration, FirstWithLoadsOneDocument) {
  hydration_fixture<TypeParam> f(20);
  statement_counter counter(f.db);
  auto one =
      f.users.find(user_name == "user-13").template with<&User::address, &User::orders>().first();
  EXPECT_EQ(counter.count(), 3);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->address->city, "city-3");
  EXPECT_EQ(one->address->zip, 1003);
  ASSERT_EQ(one->orders.size(), 3u);
  EXPECT_EQ(one->orders[2]->sku, "sku-13-2");
  EXPECT_EQ(one->orders[2]->qty, 3);

  // Nothing found: just the one query.
  auto none = f.users.find(user_name == "nobody").template with<&User::address>().first();
  EXPECT_FALSE(none);
  EXPECT_EQ(counter.count(), 4);
}

TYPED_TEST(Hydration, EmptyResultRunsNoLookups) {
  hydration_fixture<TypeParam> f(10);
  statement_counter counter(f.db);
  auto q = f.users.find(age > 1000).template with<&User::address, &User::orders>();
  EXPECT_TRUE(q.all().empty());
  EXPECT_TRUE(q.dangling().empty());
  EXPECT_EQ(counter.count(), 1);

  // Documents whose refs are all empty need no lookup either.
  f.users.insert({"loner", 30, {}, {}});
  ASSERT_EQ(counter.count(), 2);  // the insert
  auto loner =
      f.users.find(user_name == "loner").template with<&User::address, &User::orders>().all();
  ASSERT_EQ(loner.size(), 1u);
  EXPECT_TRUE(loner[0].address.empty());
  EXPECT_FALSE(loner[0].address.loaded());
  EXPECT_FALSE(loner[0].address.dangling());
  EXPECT_EQ(counter.count(), 3);
}

TYPED_TEST(Hydration, OptionalRefAndTwoMembersIntoOneTableUseOneQuery) {
  auto& db = this->db();
  auto addresses = sqler_test::collection_of<Address>(db);
  auto shipments = sqler_test::collection_of<Shipment>(db);
  const auto kyoto = addresses.insert({"Kyoto", 600});
  const auto osaka = addresses.insert({"Osaka", 530});
  const auto tokyo = addresses.insert({"Tokyo", 100});
  shipments.insert({"a", kyoto, sqler::ref<Address>(osaka)});
  shipments.insert({"b", osaka, std::nullopt});
  shipments.insert({"c", tokyo, sqler::ref<Address>()});  // present but empty
  shipments.insert({"d", kyoto, sqler::ref<Address>(tokyo)});

  statement_counter counter(db);
  auto q = shipments.find()
               .order_by(sqler::field<&Shipment::label>)
               .template with<&Shipment::from, &Shipment::to>();
  auto all = q.all();
  EXPECT_EQ(counter.count(), 2);  // the page, then Address once for both members
  ASSERT_EQ(counter.sql().size(), 2u);
  EXPECT_NE(counter.sql()[1].find("FROM \"Address\""), std::string::npos);
  EXPECT_TRUE(q.dangling().empty());

  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].from->city, "Kyoto");
  ASSERT_TRUE(all[0].to.has_value());
  EXPECT_EQ((*all[0].to)->city, "Osaka");
  EXPECT_EQ(all[1].from->city, "Osaka");
  EXPECT_FALSE(all[1].to.has_value());
  EXPECT_EQ(all[2].from->city, "Tokyo");
  // An empty ref inside an optional is stored as null, like no ref: either way, no target.
  EXPECT_TRUE(!all[2].to.has_value() || all[2].to->empty());
  EXPECT_EQ((*all[3].to)->zip, 100);
  // The same target through different members is one shared object.
  EXPECT_EQ(&all[0].from.get(), &all[3].from.get());
  EXPECT_EQ(&all[0].to->get(), &all[1].from.get());
}

TYPED_TEST(Hydration, DanglingRefsAreReportedNotThrown) {
  hydration_fixture<TypeParam> f(20);
  const auto users_of_city0 = f.users.find(sqler::through<&User::address>(city == "city-0")).ids();
  ASSERT_EQ(users_of_city0.size(), 2u);
  const auto gone_address = f.users.get_or_throw(users_of_city0[0]).address.id();
  const auto victim = f.users.find(user_name == "user-7").first();
  ASSERT_TRUE(victim);
  const auto gone_order = victim->orders[1].id();
  // Raw deletes: remove() itself refuses to strand a referenced document (on_referenced).
  ASSERT_EQ(f.db.execute("DELETE FROM \"Address\" WHERE _id = $1", gone_address), 1);
  ASSERT_EQ(f.db.execute("DELETE FROM \"Order\" WHERE _id = $1", gone_order), 1);

  auto q = f.users.find().order_by(user_name).template with<&User::address, &User::orders>();
  std::vector<User> all;
  ASSERT_NO_THROW(all = q.all());
  ASSERT_EQ(all.size(), 20u);

  std::set<std::string> dangling_address_users;
  for (const User& u : all) {
    if (u.address.dangling()) {
      dangling_address_users.insert(u.name);
      EXPECT_FALSE(u.address.loaded());
      EXPECT_EQ(u.address.id(), gone_address);
      EXPECT_THROW((void)u.address.get(), std::logic_error);
    } else {
      EXPECT_TRUE(u.address.loaded());
    }
    for (std::size_t k = 0; k < u.orders.size(); ++k) {
      const bool gone = u.name == "user-7" && k == 1;
      EXPECT_EQ(u.orders[k].dangling(), gone) << u.name << " " << k;
      EXPECT_EQ(u.orders[k].loaded(), !gone) << u.name << " " << k;
    }
  }
  EXPECT_EQ(dangling_address_users, (std::set<std::string>{"user-0", "user-10"}));

  // dangling() lists each missing ref like validate_references() does: the document holding
  // it (collection, _id), its path, and the table and id it names.
  const auto& d = q.dangling();
  ASSERT_EQ(d.size(), 3u);
  int address_entries = 0, order_entries = 0;
  for (const auto& r : d) {
    EXPECT_EQ(r.collection, "User");
    EXPECT_NE(r.id, 0);
    if (r.target_collection == "Address") {
      ++address_entries;
      EXPECT_EQ(r.path, "address");
      EXPECT_EQ(r.target_id, gone_address);
    } else {
      ++order_entries;
      EXPECT_EQ(r.target_collection, "Order");
      EXPECT_TRUE(r.path.starts_with("orders[")) << r.path;
      EXPECT_EQ(r.target_id, gone_order);
    }
  }
  EXPECT_EQ(address_entries, 2);
  EXPECT_EQ(order_entries, 1);

  // A ref to an id that never existed dangles the same way; first() reports it too.
  f.users.insert({"ghost", 40, sqler::ref<Address>(987654), {}});
  auto ghost_q = f.users.find(user_name == "ghost").template with<&User::address>();
  auto ghost = ghost_q.first();
  ASSERT_TRUE(ghost);
  EXPECT_TRUE(ghost->address.dangling());
  ASSERT_EQ(ghost_q.dangling().size(), 1u);
  EXPECT_EQ(ghost_q.dangling()[0].target_id, 987654);
}

TYPED_TEST(Hydration, RefsIntoADroppedTableAllDangle) {
  hydration_fixture<TypeParam> f(10);
  // Hydrate once first, so the lookup statement is already prepared and cached when the table
  // disappears underneath it.
  ASSERT_TRUE(f.users.find().template with<&User::address>().all().front().address.loaded());

  f.db.execute("DROP TABLE \"Address\"");
  auto q = f.users.find().template with<&User::address, &User::orders>();
  std::vector<User> all;
  ASSERT_NO_THROW(all = q.all());
  ASSERT_EQ(all.size(), 10u);
  for (const User& u : all) {
    EXPECT_TRUE(u.address.dangling()) << u.name;
    EXPECT_FALSE(u.address.loaded()) << u.name;
    for (const auto& o : u.orders) EXPECT_TRUE(o.loaded()) << u.name;  // other table unaffected
  }
  ASSERT_EQ(q.dangling().size(), 10u);
  for (const auto& r : q.dangling()) EXPECT_EQ(r.target_collection, "Address");

  // Same through first().
  auto one_q = f.users.find(user_name == "user-4").template with<&User::address>();
  auto one = one_q.first();
  ASSERT_TRUE(one);
  EXPECT_TRUE(one->address.dangling());
  EXPECT_EQ(one_q.dangling().size(), 1u);
}

// ---------------------------------------------------------------- filters through refs

// A small graph with every edge case: shared addresses, two Kyoto addresses, an empty ref, a
// dangling ref, an empty order list and a dangling order.
template <class B>
class ThroughTest : public sqler_test::on_backend<B> {
 protected:
  struct model_user {
    std::int64_t id;
    std::string name;
    int age;
    std::optional<std::string> city;  // nullopt: empty or dangling ref
    std::vector<std::string> skus;    // of existing orders only
  };

  void SetUp() override {
    sqler_test::on_backend<B>::SetUp();
    if (this->IsSkipped()) return;
    addresses.emplace(sqler_test::collection_of<Address>(this->db()));
    orders.emplace(sqler_test::collection_of<Order>(this->db()));
    users.emplace(sqler_test::collection_of<User>(this->db()));
    const std::vector<std::tuple<std::string, int>> addr{
        {"Kyoto", 600}, {"Osaka", 530}, {"Tokyo", 100}, {"Kyoto", 601}};
    for (const auto& [c, z] : addr) {
      address_ids.push_back(addresses->insert({c, z}));
      city_of[address_ids.back()] = c;
    }
    for (const char* s : {"apple", "pear", "plum", "fig", "apple"}) {
      order_ids.push_back(orders->insert({s, 1}));
      sku_of[order_ids.back()] = s;
    }
    const std::int64_t missing_address = 4242, missing_order = 9191;
    add("ann", 30, address_ids[0], {order_ids[0], order_ids[1], order_ids[4]});
    add("ben", 41, address_ids[1], {order_ids[2]});
    add("cat", 25, address_ids[3], {});
    add("dan", 52, address_ids[2], {order_ids[3], order_ids[4]});
    add("eve", 19, {}, {order_ids[1]});                         // no address
    add("fay", 33, missing_address, {missing_order});           // dangling address and order
    add("gus", 47, address_ids[0], {missing_order, order_ids[2]});
    add("hal", 60, address_ids[1], {});
  }

  void add(const std::string& name, int age_, sqler::ref<Address> a,
           std::vector<sqler::ref<Order>> o) {
    model_user m{0, name, age_, std::nullopt, {}};
    if (!a.empty() && city_of.count(a.id())) m.city = city_of.at(a.id());
    for (const auto& r : o)
      if (sku_of.count(r.id())) m.skus.push_back(sku_of.at(r.id()));
    m.id = users->insert({name, age_, a, o});
    model.push_back(m);
  }

  template <class F>
  id_set expect(F keep) const {
    id_set out;
    for (const auto& m : model)
      if (keep(m)) out.insert(m.id);
    return out;
  }

  static bool has_sku(const model_user& m, const std::string& s) {
    return std::find(m.skus.begin(), m.skus.end(), s) != m.skus.end();
  }

  // Hand-written joins: the same questions answered without sqler's rendering.
  id_set twin_city(const std::string& c) {
    id_set out;
    for (const auto& [id] : this->db().template query<std::int64_t>(
             this->sql("SELECT u._id FROM \"User\" u JOIN \"Address\" a "
                       "ON a._id = json_extract(u.data, '$.address._id') "
                       "WHERE json_extract(a.data, '$.city') = ?1",
                       "SELECT u._id FROM \"User\" u JOIN \"Address\" a "
                       "ON a._id = (u.data->'address'->>'_id')::bigint "
                       "WHERE a.data->>'city' = $1"),
             c))
      out.insert(id);
    return out;
  }
  id_set twin_sku(const std::string& s) {
    id_set out;
    for (const auto& [id] : this->db().template query<std::int64_t>(
             this->sql("SELECT DISTINCT u._id FROM \"User\" u, json_each(u.data, '$.orders') e "
                       "JOIN \"Order\" o ON o._id = json_extract(e.value, '$._id') "
                       "WHERE json_extract(o.data, '$.sku') = ?1",
                       "SELECT DISTINCT u._id FROM \"User\" u, "
                       "jsonb_array_elements(u.data->'orders') e "
                       "JOIN \"Order\" o ON o._id = (e.value->>'_id')::bigint "
                       "WHERE o.data->>'sku' = $1"),
             s))
      out.insert(id);
    return out;
  }

  std::optional<sqler::collection<Address, typename B::backend>> addresses;
  std::optional<sqler::collection<Order, typename B::backend>> orders;
  std::optional<sqler::collection<User, typename B::backend>> users;
  std::vector<std::int64_t> address_ids, order_ids;
  std::map<std::int64_t, std::string> city_of, sku_of;
  std::vector<model_user> model;
};
TYPED_TEST_SUITE(ThroughTest, sqler_test::backends, sqler_test::backend_names);

TYPED_TEST(ThroughTest, SingleRef) {
  const auto kyoto =
      to_set(this->users->find(sqler::through<&User::address>(city == "Kyoto")).ids());
  EXPECT_EQ(kyoto, this->expect([](const auto& m) { return m.city == "Kyoto"; }));
  EXPECT_EQ(kyoto.size(), 3u);  // ann, gus (address 0) and cat (the other Kyoto address)
  EXPECT_EQ(kyoto, this->twin_city("Kyoto"));

  for (const char* c : {"Osaka", "Tokyo", "Nara"}) {
    const auto got = to_set(this->users->find(sqler::through<&User::address>(city == c)).ids());
    EXPECT_EQ(got, this->expect([&](const auto& m) { return m.city == c; })) << c;
    EXPECT_EQ(got, this->twin_city(c)) << c;
  }
  EXPECT_TRUE(this->users->find(sqler::through<&User::address>(city == "Nara")).ids().empty());

  // A compound predicate over the target, and documents (not just ids) come back.
  auto hits = this->users->find(sqler::through<&User::address>(city == "Kyoto" && zip > 600))
                  .order_by(user_name)
                  .all();
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].name, "cat");
  EXPECT_EQ(this->users->find(sqler::through<&User::address>(city == "Kyoto")).count(), 3);
}

TYPED_TEST(ThroughTest, VectorOfRefsMatchesWhenAnyElementMatches) {
  for (const char* s : {"apple", "pear", "plum", "fig", "kiwi"}) {
    const auto got = to_set(this->users->find(sqler::through<&User::orders>(sku == s)).ids());
    EXPECT_EQ(got, this->expect([&](const auto& m) { return TestFixture::has_sku(m, s); })) << s;
    EXPECT_EQ(got, this->twin_sku(s)) << s;
  }
  // ann holds two different "apple" orders: she is matched once, not twice.
  EXPECT_EQ(
      this->users->find(sqler::through<&User::orders>(sku == "apple")).count(),
      static_cast<std::int64_t>(
          this->expect([](const auto& m) { return TestFixture::has_sku(m, "apple"); }).size()));
  // A predicate that every order satisfies matches exactly the users with an existing order.
  EXPECT_EQ(to_set(this->users->find(sqler::through<&User::orders>(qty >= 1)).ids()),
            this->expect([](const auto& m) { return !m.skus.empty(); }));
}

TYPED_TEST(ThroughTest, CombinedWithOtherPredicates) {
  using sqler::through;
  const auto in_kyoto = through<&User::address>(city == "Kyoto");
  const auto bought_pear = through<&User::orders>(sku == "pear");

  EXPECT_EQ(to_set(this->users->find(in_kyoto && age > 26).ids()),
            this->expect([](const auto& m) { return m.city == "Kyoto" && m.age > 26; }));
  EXPECT_EQ(to_set(this->users->find(in_kyoto || bought_pear).ids()),
            this->expect([](const auto& m) {
              return m.city == "Kyoto" || TestFixture::has_sku(m, "pear");
            }));
  EXPECT_EQ(to_set(this->users->find(in_kyoto && bought_pear).ids()),
            this->expect([](const auto& m) {
              return m.city == "Kyoto" && TestFixture::has_sku(m, "pear");
            }));
  EXPECT_EQ(to_set(this->users->find((age < 20 || age > 50) && !in_kyoto && !bought_pear).ids()),
            this->expect([](const auto& m) {
              return (m.age < 20 || m.age > 50) && m.city != "Kyoto" &&
                     !TestFixture::has_sku(m, "pear");
            }));
  // Negation among users whose address resolves: the complement of the positive filter.
  const auto resolved = this->expect([](const auto& m) { return m.city.has_value(); });
  id_set not_kyoto_resolved;
  for (auto id : to_set(this->users->find(!in_kyoto).ids()))
    if (resolved.count(id)) not_kyoto_resolved.insert(id);
  EXPECT_EQ(not_kyoto_resolved,
            this->expect([](const auto& m) { return m.city.has_value() && m.city != "Kyoto"; }));
  // Parameters of several ref filters and plain fields bind in order.
  EXPECT_EQ(to_set(this->users
                       ->find(age >= 30 && through<&User::address>(city == "Osaka") &&
                              through<&User::orders>(sku == "plum"))
                       .ids()),
            this->expect([](const auto& m) {
              return m.age >= 30 && m.city == "Osaka" && TestFixture::has_sku(m, "plum");
            }));
}

TYPED_TEST(ThroughTest, MissingRefsNeverMatch) {
  const auto& eve = this->model[4];  // empty address
  const auto& fay = this->model[5];  // dangling address and order
  // Predicates over the target that every existing target satisfies.
  const auto any_address = to_set(this->users->find(sqler::through<&User::address>(zip > 0)).ids());
  EXPECT_EQ(any_address.count(eve.id), 0u);
  EXPECT_EQ(any_address.count(fay.id), 0u);
  EXPECT_EQ(any_address, this->expect([](const auto& m) { return m.city.has_value(); }));
  const auto any_city =
      to_set(this->users->find(sqler::through<&User::address>(city.like("%"))).ids());
  EXPECT_EQ(any_city, any_address);

  const auto any_order = to_set(this->users->find(sqler::through<&User::orders>(qty > 0)).ids());
  EXPECT_EQ(any_order.count(fay.id), 0u);  // only a dangling order
  EXPECT_EQ(any_order.count(this->model[2].id), 0u);  // cat: no orders
  EXPECT_EQ(any_order.count(this->model[6].id), 1u);  // gus: one dangling, one real
}

TYPED_TEST(ThroughTest, RefIdComparesTheStoredId) {
  const auto a0 = this->address_ids[0];
  EXPECT_EQ(to_set(this->users->find(sqler::ref_id<&User::address> == a0).ids()),
            this->expect([&](const auto& m) { return m.city == "Kyoto" && m.name != "cat"; }));
  // The empty ref is the one with no id; the dangling one still has its id.
  EXPECT_EQ(to_set(this->users->find(sqler::ref_id<&User::address>.is_null()).ids()),
            id_set{this->model[4].id});
  EXPECT_EQ(to_set(this->users->find(sqler::ref_id<&User::address> == 4242).ids()),
            id_set{this->model[5].id});
}

// ---------------------------------------------------------------- plans

template <class B>
class RefPlans : public sqler_test::on_backend<B> {};
TYPED_TEST_SUITE(RefPlans, sqler_test::backends, sqler_test::backend_names);

TYPED_TEST(RefPlans, RefIdUsesItsIndexAndThroughPlanIsReported) {
  auto& db = this->db();
  auto addresses = sqler_test::collection_of<Address>(db);
  auto users = sqler_test::collection_of<User>(db);
  std::vector<Address> addr;
  for (int a = 0; a < 50; ++a) addr.push_back({a % 5 == 0 ? "Kyoto" : "city-" + std::to_string(a), a});
  const auto address_ids = addresses.insert_many(addr);
  std::vector<User> many;
  for (int u = 0; u < 2000; ++u)
    many.push_back({"u" + std::to_string(u), u % 90, address_ids[static_cast<std::size_t>(u % 50)], {}});
  const auto user_ids = users.insert_many(many);

  const auto in_kyoto = sqler::through<&User::address>(city == "Kyoto");
  const auto by_address = users.find(sqler::ref_id<&User::address> == address_ids[7]);
  const std::string through_before = users.find(in_kyoto).explain();
  const std::string ref_id_before = by_address.explain();

  users.ensure_index(sqler::ref_id<&User::address>);
  db.execute("ANALYZE");
  const std::string ref_id_after = by_address.explain();
  const std::string through_after = users.find(in_kyoto).explain();

  std::printf("[ plan ] through, no index:\n%s\n", through_before.c_str());
  std::printf("[ plan ] through, index on ref_id<&User::address>:\n%s\n", through_after.c_str());
  std::printf("[ plan ] ref_id ==, no index:\n%s\n", ref_id_before.c_str());
  std::printf("[ plan ] ref_id ==, indexed:\n%s\n", ref_id_after.c_str());

  if constexpr (sqler_test::is_postgres<TypeParam>) {
    // PostgreSQL's EXPLAIN, the same questions: nothing but a scan before the index; with it,
    // the equality on the stored id (40 users of 2000) and the users of the listed addresses
    // are found through it. The target side runs once (a join or a hashed subplan), never a
    // plain SubPlan re-run per user.
    const auto subplans_run_once = [](const std::string& plan) {
      std::size_t all = 0, hashed = 0;
      for (auto p = plan.find("SubPlan"); p != std::string::npos; p = plan.find("SubPlan", p + 1))
        ++all;
      for (auto p = plan.find("hashed SubPlan"); p != std::string::npos;
           p = plan.find("hashed SubPlan", p + 1))
        ++hashed;
      return all == hashed;
    };
    EXPECT_FALSE(ref_id_before.empty());
    EXPECT_EQ(ref_id_before.find("sqler_ix_User__address._id"), std::string::npos) << ref_id_before;
    EXPECT_NE(ref_id_before.find("Seq Scan on \"User\""), std::string::npos) << ref_id_before;
    EXPECT_NE(ref_id_after.find("sqler_ix_User__address._id"), std::string::npos) << ref_id_after;
    EXPECT_EQ(ref_id_after.find("Seq Scan on \"User\""), std::string::npos) << ref_id_after;
    EXPECT_NE(through_before.find("Seq Scan on \"User\""), std::string::npos) << through_before;
    EXPECT_TRUE(subplans_run_once(through_before)) << through_before;
    EXPECT_TRUE(subplans_run_once(through_after)) << through_after;
    EXPECT_NE(through_after.find("sqler_ix_User__address._id"), std::string::npos) << through_after;
    EXPECT_EQ(through_after.find("Seq Scan on \"User\""), std::string::npos) << through_after;
  } else {
    EXPECT_EQ(ref_id_before.find("USING INDEX"), std::string::npos) << ref_id_before;
    EXPECT_NE(ref_id_after.find("USING INDEX sqler_ix_User__address._id"), std::string::npos)
        << ref_id_after;
    // Without an index there is nothing to do but scan the users once; the target side is a
    // one-off list subquery (not correlated), so Address is not scanned per user.
    EXPECT_NE(through_before.find("SCAN User"), std::string::npos) << through_before;
    EXPECT_NE(through_before.find("LIST SUBQUERY"), std::string::npos) << through_before;
    EXPECT_EQ(through_before.find("CORRELATED"), std::string::npos) << through_before;
    EXPECT_EQ(through_after.find("CORRELATED"), std::string::npos) << through_after;
    // With the index, the users are found by searching it once per listed address id, not by
    // scanning them all.
    EXPECT_NE(through_after.find("SEARCH User USING INDEX sqler_ix_User__address._id"),
              std::string::npos)
        << through_after;
    EXPECT_EQ(through_after.find("SCAN User"), std::string::npos) << through_after;
  }

  // The index changes the plan, not the answer.
  id_set expected;
  for (std::size_t u = 0; u < many.size(); ++u)
    if ((u % 50) % 5 == 0) expected.insert(user_ids[u]);
  EXPECT_EQ(to_set(users.find(in_kyoto).ids()), expected);
  EXPECT_EQ(users.find(sqler::ref_id<&User::address> == address_ids[7]).count(), 40);
}

}  // namespace
