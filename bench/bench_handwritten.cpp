// bench/bench_handwritten.cpp - the hand-written twins: the code a competent user writes for
// each case without sqler, to compare sqler with.
//
//  - a plain table per type, `(id INTEGER PRIMARY KEY, data TEXT)`: no CHECK, no version column;
//  - the sqlite3 C API, every statement prepared once (sqlite3_prepare_v3 with
//    SQLITE_PREPARE_PERSISTENT) and reused with bind / step / reset + clear_bindings;
//  - one transaction for bulk work; text bound SQLITE_STATIC while its buffer outlives the step;
//  - Boost.JSON for the documents: tag_invoke overloads, encode with value_from + serialize,
//    decode with parse + value_to.
//
// The structs below mirror bench::Doc, bench::Shipment, ... member for member. They are
// separate types on purpose: sqler's codec uses a type's Boost.JSON tag_invoke overloads when
// ADL finds them (sqler/codec.hpp, json_convertible), so overloads on bench::Doc would switch the
// sqler twin to this codec too (and give encode<Doc> different meanings in different TUs). A user
// without sqler has their own structs anyway; a User stores the address id, not a sqler::ref.
#include "bench_handwritten.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <unordered_map>

namespace bench::handwritten {
namespace {

namespace json = boost::json;

// ---------------------------------------------------------------- the user's types

struct Leaf {
  std::int64_t id;
  std::string label;
  double weight;
  bool on;
};
struct Mid {
  std::int64_t id;
  std::string label;
  double weight;
  Leaf leaf;
};
struct Child {
  std::int64_t id;
  std::string label;
  double weight;
  Mid mid;
};
struct Doc {
  int i;
  std::string name;
  std::vector<int> tags;
  Child child;
};
struct Event {
  int val;
  std::string kind;
};
struct Shipment {
  int i;
  std::vector<Event> events;
};
struct Address {
  std::string street;
  std::string city;
};
struct User {
  std::string name;
  int age;
  std::int64_t address_id;
  std::shared_ptr<const Address> address;  // loaded on demand, not stored
};

// ---------------------------------------------------------------- Boost.JSON conversions

void tag_invoke(json::value_from_tag, json::value& jv, const Leaf& v) {
  jv = {{"id", v.id}, {"label", v.label}, {"weight", v.weight}, {"on", v.on}};
}
Leaf tag_invoke(json::value_to_tag<Leaf>, const json::value& jv) {
  const json::object& o = jv.as_object();
  return {json::value_to<std::int64_t>(o.at("id")), json::value_to<std::string>(o.at("label")),
          json::value_to<double>(o.at("weight")), json::value_to<bool>(o.at("on"))};
}

void tag_invoke(json::value_from_tag, json::value& jv, const Mid& v) {
  jv = {{"id", v.id}, {"label", v.label}, {"weight", v.weight}, {"leaf", json::value_from(v.leaf)}};
}
Mid tag_invoke(json::value_to_tag<Mid>, const json::value& jv) {
  const json::object& o = jv.as_object();
  return {json::value_to<std::int64_t>(o.at("id")), json::value_to<std::string>(o.at("label")),
          json::value_to<double>(o.at("weight")), json::value_to<Leaf>(o.at("leaf"))};
}

void tag_invoke(json::value_from_tag, json::value& jv, const Child& v) {
  jv = {{"id", v.id}, {"label", v.label}, {"weight", v.weight}, {"mid", json::value_from(v.mid)}};
}
Child tag_invoke(json::value_to_tag<Child>, const json::value& jv) {
  const json::object& o = jv.as_object();
  return {json::value_to<std::int64_t>(o.at("id")), json::value_to<std::string>(o.at("label")),
          json::value_to<double>(o.at("weight")), json::value_to<Mid>(o.at("mid"))};
}

void tag_invoke(json::value_from_tag, json::value& jv, const Doc& v) {
  jv = {{"i", v.i}, {"name", v.name}, {"tags", json::value_from(v.tags)},
        {"child", json::value_from(v.child)}};
}
Doc tag_invoke(json::value_to_tag<Doc>, const json::value& jv) {
  const json::object& o = jv.as_object();
  return {json::value_to<int>(o.at("i")), json::value_to<std::string>(o.at("name")),
          json::value_to<std::vector<int>>(o.at("tags")), json::value_to<Child>(o.at("child"))};
}

void tag_invoke(json::value_from_tag, json::value& jv, const Event& v) {
  jv = {{"val", v.val}, {"kind", v.kind}};
}
Event tag_invoke(json::value_to_tag<Event>, const json::value& jv) {
  const json::object& o = jv.as_object();
  return {json::value_to<int>(o.at("val")), json::value_to<std::string>(o.at("kind"))};
}

void tag_invoke(json::value_from_tag, json::value& jv, const Shipment& v) {
  jv = {{"i", v.i}, {"events", json::value_from(v.events)}};
}
Shipment tag_invoke(json::value_to_tag<Shipment>, const json::value& jv) {
  const json::object& o = jv.as_object();
  return {json::value_to<int>(o.at("i")), json::value_to<std::vector<Event>>(o.at("events"))};
}

void tag_invoke(json::value_from_tag, json::value& jv, const Address& v) {
  jv = {{"street", v.street}, {"city", v.city}};
}
Address tag_invoke(json::value_to_tag<Address>, const json::value& jv) {
  const json::object& o = jv.as_object();
  return {json::value_to<std::string>(o.at("street")), json::value_to<std::string>(o.at("city"))};
}

void tag_invoke(json::value_from_tag, json::value& jv, const User& v) {
  jv = {{"name", v.name}, {"age", v.age}, {"address", v.address_id}};
}
User tag_invoke(json::value_to_tag<User>, const json::value& jv) {
  const json::object& o = jv.as_object();
  return {json::value_to<std::string>(o.at("name")), json::value_to<int>(o.at("age")),
          json::value_to<std::int64_t>(o.at("address")), nullptr};
}

template <class T>
std::string encode(const T& v) {
  return json::serialize(json::value_from(v));
}

template <class T>
T decode(std::string_view text) {
  return json::value_to<T>(json::parse(json::string_view(text.data(), text.size())));
}

// ---------------------------------------------------------------- the user's SQLite helpers

// Leaves a cached statement ready for its next use, also when a step throws.
struct reset_guard {
  sqlite3_stmt* st;
  ~reset_guard() {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
  }
};

void step_once(sqlite3_stmt* st) {
  reset_guard g{st};
  raw_step(st);
}

void bind_text(sqlite3_stmt* st, int index, const std::string& text) {
  sqlite3_bind_text(st, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

// BEGIN IMMEDIATE / COMMIT / ROLLBACK, prepared once per connection.
struct tx_statements {
  raw_stmt begin, commit, rollback;
  explicit tx_statements(sqlite3* db)
      : begin(db, "BEGIN IMMEDIATE"), commit(db, "COMMIT"), rollback(db, "ROLLBACK") {}
};

class transaction {
 public:
  explicit transaction(tx_statements& s) : s_(s) { step_once(s_.begin.get()); }
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  ~transaction() {
    if (!done_) {
      sqlite3_step(s_.rollback.get());
      sqlite3_reset(s_.rollback.get());
    }
  }
  void commit() {
    step_once(s_.commit.get());
    done_ = true;
  }

 private:
  tx_statements& s_;
  bool done_ = false;
};

// Every row's column `col` decoded into a T.
template <class T>
std::vector<T> all_rows(sqlite3_stmt* st, int col = 0) {
  std::vector<T> out;
  while (raw_step(st)) out.push_back(decode<T>(raw_text(st, col)));
  return out;
}

// ---------------------------------------------------------------- schema, SQL and data

constexpr const char* docs_table = "CREATE TABLE docs (id INTEGER PRIMARY KEY, data TEXT)";
constexpr const char* docs_index = "CREATE INDEX docs_i ON docs (json_extract(data, '$.i'))";
constexpr const char* shipments_table = "CREATE TABLE shipments (id INTEGER PRIMARY KEY, data TEXT)";
constexpr const char* addresses_table = "CREATE TABLE addresses (id INTEGER PRIMARY KEY, data TEXT)";
constexpr const char* users_table = "CREATE TABLE users (id INTEGER PRIMARY KEY, data TEXT)";

constexpr std::string_view insert_sql = "INSERT INTO docs (data) VALUES (?1)";
constexpr std::string_view get_sql = "SELECT data FROM docs WHERE id = ?1";
constexpr std::string_view filter_sql =
    "SELECT data FROM docs WHERE json_extract(data, '$.i') >= ?1 AND json_extract(data, '$.i') < ?2 "
    "ORDER BY json_extract(data, '$.i') LIMIT ?3";
constexpr std::string_view count_sql =
    "SELECT COUNT(*) FROM docs WHERE json_extract(data, '$.i') >= ?1 AND json_extract(data, '$.i') < ?2";
constexpr std::string_view first_sql = "SELECT data FROM docs WHERE json_extract(data, '$.i') >= ?1 LIMIT 1";
constexpr std::string_view equal_sql = "SELECT data FROM docs WHERE json_extract(data, '$.i') = ?1";
constexpr std::string_view contains_sql =
    "SELECT data FROM docs WHERE EXISTS (SELECT 1 FROM json_each(data, '$.tags') WHERE value = ?1)";
constexpr std::string_view contains_any_sql =
    "SELECT data FROM docs WHERE EXISTS (SELECT 1 FROM json_each(data, '$.tags') "
    "WHERE value IN (SELECT value FROM json_each(?1)))";
constexpr std::string_view any_sql =
    "SELECT data FROM shipments WHERE EXISTS (SELECT 1 FROM json_each(data, '$.events') "
    "WHERE json_extract(value, '$.val') > ?1)";
constexpr std::string_view update_sql = "UPDATE docs SET data = ?1 WHERE id = ?2";
constexpr std::string_view users_sql = "SELECT data FROM users";
constexpr std::string_view addresses_in_sql =
    "SELECT id, data FROM addresses WHERE id IN (SELECT value FROM json_each(?1))";
constexpr std::string_view address_sql = "SELECT data FROM addresses WHERE id = ?1";

// The same data as the other twins, in the user's types.
Doc mirror(const bench::Doc& d) {
  const auto& c = d.child;
  const auto& m = c.mid;
  const auto& l = m.leaf;
  return {d.i, d.name, d.tags,
          Child{c.id, c.label, c.weight,
                Mid{m.id, m.label, m.weight, Leaf{l.id, l.label, l.weight, l.on}}}};
}

const std::vector<Doc>& docs_of(std::size_t n) {
  static std::map<std::size_t, std::vector<Doc>> cache;
  auto& v = cache[n];
  if (v.empty())
    for (const bench::Doc& d : docs_of_size(n)) v.push_back(mirror(d));
  return v;
}

template <class T>
void load(raw_db& db, std::string_view table, const std::vector<T>& items) {
  raw_stmt ins(db.get(), "INSERT INTO " + std::string(table) + " (data) VALUES (?1)");
  db.exec("BEGIN IMMEDIATE");
  for (const T& item : items) {
    const std::string text = encode(item);
    reset_guard g{ins.get()};
    bind_text(ins.get(), 1, text);
    raw_step(ins.get());
  }
  db.exec("COMMIT");
}

// The indexed twins are only fair if SQLite really uses the user's expression index.
void require_index_use(raw_db& db, std::string_view sql) {
  raw_stmt plan(db.get(), "EXPLAIN QUERY PLAN " + std::string(sql));
  std::string details;
  while (raw_step(plan.get())) details += std::string(raw_text(plan.get(), 3)) + "; ";
  if (details.find("docs_i") == std::string::npos)
    throw std::runtime_error("handwritten: index docs_i not used: " + details);
}

void build(raw_db& db, dataset d) {
  switch (d) {
    case dataset::empty_docs: db.exec(docs_table); break;
    case dataset::docs:
    case dataset::docs_update:
      db.exec(docs_table);
      load(db, "docs", docs_of(config().docs));
      break;
    case dataset::docs_indexed:
      db.exec(docs_table);
      db.exec(docs_index);
      load(db, "docs", docs_of(config().docs));
      require_index_use(db, filter_sql);
      require_index_use(db, count_sql);
      require_index_use(db, first_sql);
      require_index_use(db, equal_sql);
      break;
    case dataset::array_docs:
      db.exec(docs_table);
      load(db, "docs", docs_of(config().array_docs));
      break;
    case dataset::shipments: {
      std::vector<Shipment> ships;
      for (const bench::Shipment& s : make_shipments(config().array_docs)) {
        Shipment& out = ships.emplace_back(Shipment{s.i, {}});
        for (const bench::Event& e : s.events) out.events.push_back(Event{e.val, e.kind});
      }
      db.exec(shipments_table);
      load(db, "shipments", ships);
      break;
    }
    case dataset::users: {
      std::vector<Address> addresses;
      for (const bench::Address& a : make_addresses(config().addresses))
        addresses.push_back(Address{a.street, a.city});
      std::vector<User> users;
      for (const bench::User& u : make_users(config().users, config().addresses))
        users.push_back(User{u.name, u.age, u.address.id(), nullptr});
      db.exec(addresses_table);
      db.exec(users_table);
      load(db, "addresses", addresses);  // ids 1..n, as the users expect
      load(db, "users", users);
      break;
    }
    case dataset::counter: throw std::logic_error("handwritten: no counter data set");
  }
}

raw_db& fixture(dataset d, storage s) {
  return *handwritten_fixture(d, s, [d](raw_db& db) { build(db, d); }).db;
}

// ---------------------------------------------------------------- the user's functions

std::optional<Doc> get_doc(sqlite3_stmt* q, std::int64_t id) {
  reset_guard g{q};
  sqlite3_bind_int64(q, 1, id);
  if (!raw_step(q)) return std::nullopt;
  return decode<Doc>(raw_text(q, 0));
}

std::vector<Doc> find_range(sqlite3_stmt* q, int lo, int hi, std::int64_t limit) {
  reset_guard g{q};
  sqlite3_bind_int64(q, 1, lo);
  sqlite3_bind_int64(q, 2, hi);
  sqlite3_bind_int64(q, 3, limit);
  return all_rows<Doc>(q);
}

// Items are the documents returned, or calls when `per_call` (a query that returns nothing).
template <class Run>
void loop_rows(benchmark::State& state, Run&& run, bool per_call = false) {
  std::int64_t rows = 0;
  for (auto _ : state) {
    auto out = run();
    rows = static_cast<std::int64_t>(out.size());
    benchmark::DoNotOptimize(out.data());
  }
  finish(state, rows, per_call ? 1 : rows);
}

void filter_on(benchmark::State& state, storage s, dataset d) {
  raw_stmt q(fixture(d, s).get(), filter_sql);
  const auto& c = config();
  loop_rows(state, [&] { return find_range(q.get(), c.range_lo, c.range_hi, c.limit); });
}

std::int64_t loaded(const std::vector<User>& users) {
  return std::count_if(users.begin(), users.end(), [](const User& u) { return u.address != nullptr; });
}

}  // namespace

// ---------------------------------------------------------------- the twins

void bulk_insert(benchmark::State& state, storage s, std::size_t n) {
  raw_db& db = fixture(dataset::empty_docs, s);
  const auto& data = docs_of(n);
  raw_stmt ins(db.get(), insert_sql);
  tx_statements tx_sql(db.get());
  std::int64_t rows = 0;
  for (auto _ : state) {
    std::vector<std::int64_t> ids;
    ids.reserve(data.size());
    transaction tx(tx_sql);
    for (const Doc& d : data) {
      const std::string text = encode(d);
      reset_guard g{ins.get()};
      bind_text(ins.get(), 1, text);
      raw_step(ins.get());
      ids.push_back(sqlite3_last_insert_rowid(db.get()));
    }
    tx.commit();
    benchmark::DoNotOptimize(ids.data());
    rows = static_cast<std::int64_t>(ids.size());
    state.PauseTiming();
    db.exec("DELETE FROM docs");
    state.ResumeTiming();
  }
  finish(state, rows, static_cast<std::int64_t>(n));
}

void get_by_id(benchmark::State& state, storage s) {
  raw_stmt q(fixture(dataset::docs, s).get(), get_sql);
  const auto ids = probe_ids(config().docs);
  std::size_t k = 0;
  for (auto _ : state) {
    auto doc = get_doc(q.get(), ids[k++ & 4095]);
    benchmark::DoNotOptimize(doc);
  }
  finish(state, 1, 1);
}

void filter_range(benchmark::State& state, storage s) { filter_on(state, s, dataset::docs); }
void filter_range_indexed(benchmark::State& state, storage s) {
  filter_on(state, s, dataset::docs_indexed);
}

void contains(benchmark::State& state, storage s) {
  raw_stmt q(fixture(dataset::array_docs, s).get(), contains_sql);
  loop_rows(state, [&] {
    reset_guard g{q.get()};
    sqlite3_bind_int64(q.get(), 1, 42);
    return all_rows<Doc>(q.get());
  });
}

void contains_any(benchmark::State& state, storage s) {
  raw_stmt q(fixture(dataset::array_docs, s).get(), contains_any_sql);
  const std::vector<int> wanted{17, 42};
  loop_rows(state, [&] {
    const std::string list = encode(wanted);  // the list is the caller's, known at run time
    reset_guard g{q.get()};
    bind_text(q.get(), 1, list);
    return all_rows<Doc>(q.get());
  });
}

void any_events(benchmark::State& state, storage s) {
  raw_stmt q(fixture(dataset::shipments, s).get(), any_sql);
  loop_rows(state, [&] {
    reset_guard g{q.get()};
    sqlite3_bind_int64(q.get(), 1, 8);
    return all_rows<Shipment>(q.get());
  });
}

void count(benchmark::State& state, storage s) {
  raw_stmt q(fixture(dataset::docs_indexed, s).get(), count_sql);
  const auto& c = config();
  std::int64_t n = 0;
  for (auto _ : state) {
    reset_guard g{q.get()};
    sqlite3_bind_int64(q.get(), 1, c.range_lo);
    sqlite3_bind_int64(q.get(), 2, c.range_hi);
    raw_step(q.get());
    n = sqlite3_column_int64(q.get(), 0);
    benchmark::DoNotOptimize(n);
  }
  finish(state, n, 1);
}

void first(benchmark::State& state, storage s) {
  raw_stmt q(fixture(dataset::docs_indexed, s).get(), first_sql);
  const auto ids = probe_ids(config().docs);
  std::size_t k = 0;
  for (auto _ : state) {
    reset_guard g{q.get()};
    sqlite3_bind_int64(q.get(), 1, ids[k++ & 4095] - 1);  // the bounds of bench_read's first_bounds()
    std::optional<Doc> doc;
    if (raw_step(q.get())) doc = decode<Doc>(raw_text(q.get(), 0));
    benchmark::DoNotOptimize(doc);
  }
  finish(state, 1, 1);
}

void overhead_empty(benchmark::State& state, storage s) {
  raw_stmt q(fixture(dataset::docs_indexed, s).get(), equal_sql);
  loop_rows(
      state,
      [&] {
        reset_guard g{q.get()};
        sqlite3_bind_int64(q.get(), 1, -1);
        return all_rows<Doc>(q.get());
      },
      true);
}

void update_by_id(benchmark::State& state, storage s) {
  raw_db& db = fixture(dataset::docs_update, s);
  raw_stmt upd(db.get(), update_sql);
  const auto& data = docs_of(config().docs);
  static const std::vector<Doc> variant = [] {  // bench::docs_data_variant() in these types
    std::vector<Doc> out;
    for (const bench::Doc& d : docs_data_variant()) out.push_back(mirror(d));
    return out;
  }();
  const auto ids = probe_ids(data.size());
  std::size_t k = 0;
  for (auto _ : state) {
    const std::int64_t id = ids[k & 4095];
    const auto& src = ((k++ >> 12) & 1) != 0 ? variant : data;  // as bench::update_source
    const std::string text = encode(src[static_cast<std::size_t>(id - 1)]);
    reset_guard g{upd.get()};
    bind_text(upd.get(), 1, text);
    sqlite3_bind_int64(upd.get(), 2, id);
    raw_step(upd.get());
    if (sqlite3_changes64(db.get()) == 0) throw std::runtime_error("update: no such document");
  }
  finish(state, 1, 1);
}

// Without a patch operation a user loads the document, changes it and saves it back, in one
// transaction so no other writer slips in between.
void patch_inc(benchmark::State& state, storage s) {
  raw_db& db = fixture(dataset::docs_update, s);
  raw_stmt sel(db.get(), get_sql);
  raw_stmt upd(db.get(), update_sql);
  tx_statements tx_sql(db.get());
  const auto ids = probe_ids(config().docs);
  std::size_t k = 0;
  for (auto _ : state) {
    const std::int64_t id = ids[k++ & 4095];
    transaction tx(tx_sql);
    std::optional<Doc> doc = get_doc(sel.get(), id);
    if (!doc) throw std::runtime_error("patch: no such document");
    doc->child.id += 1;
    const std::string text = encode(*doc);
    {
      reset_guard g{upd.get()};
      bind_text(upd.get(), 1, text);
      sqlite3_bind_int64(upd.get(), 2, id);
      raw_step(upd.get());
    }
    tx.commit();
  }
  finish(state, 1, 1);
}

// All users, then their addresses in one query (the distinct ids bound as a JSON array).
void hydrate_refs(benchmark::State& state, storage s) {
  raw_db& db = fixture(dataset::users, s);
  raw_stmt uq(db.get(), users_sql);
  raw_stmt aq(db.get(), addresses_in_sql);
  std::int64_t rows = 0;
  for (auto _ : state) {
    std::vector<User> users;
    {
      reset_guard g{uq.get()};
      users = all_rows<User>(uq.get());
    }
    std::vector<std::int64_t> ids;
    ids.reserve(users.size());
    for (const User& u : users) ids.push_back(u.address_id);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    const std::string list = encode(ids);
    std::unordered_map<std::int64_t, std::shared_ptr<const Address>> by_id;
    by_id.reserve(ids.size());
    {
      reset_guard g{aq.get()};
      bind_text(aq.get(), 1, list);
      while (raw_step(aq.get()))
        by_id.emplace(sqlite3_column_int64(aq.get(), 0),
                      std::make_shared<const Address>(decode<Address>(raw_text(aq.get(), 1))));
    }
    for (User& u : users)
      if (auto it = by_id.find(u.address_id); it != by_id.end()) u.address = it->second;
    rows = loaded(users);
    benchmark::DoNotOptimize(users.data());
  }
  finish(state, rows, rows);
}

// The N+1 loop: the users, then one query per user.
void hydrate_loop(benchmark::State& state, storage s) {
  raw_db& db = fixture(dataset::users, s);
  raw_stmt uq(db.get(), users_sql);
  raw_stmt aq(db.get(), address_sql);
  std::int64_t rows = 0;
  for (auto _ : state) {
    std::vector<User> users;
    {
      reset_guard g{uq.get()};
      users = all_rows<User>(uq.get());
    }
    for (User& u : users) {
      reset_guard g{aq.get()};
      sqlite3_bind_int64(aq.get(), 1, u.address_id);
      if (raw_step(aq.get()))
        u.address = std::make_shared<const Address>(decode<Address>(raw_text(aq.get(), 0)));
    }
    rows = loaded(users);
    benchmark::DoNotOptimize(users.data());
  }
  finish(state, rows, rows);
}

}  // namespace bench::handwritten
