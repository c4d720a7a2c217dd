// sqler/detail/migrations.hpp - running migration steps on a backend connection.
// Each step not yet recorded in sqler_migrations runs in its own transaction, read and recorded
// under the write lock, so two processes migrating at once apply each step once.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sqler/detail/bind.hpp"
#include "sqler/detail/catalog.hpp"
#include "sqler/detail/text.hpp"
#include "sqler/error.hpp"
#include "sqler/migrate.hpp"

namespace sqler::detail {

// migration_context on connection C of backend traits B.
template <class B>
class migration_runner final : public migration_context {
  using connection = typename B::connection;
  using D = typename B::dialect;

 public:
  explicit migration_runner(connection& c) : c_(c) {}

 protected:
  std::int64_t rename_member_in(std::string_view table, const std::string& from,
                                const std::string& to) override {
    return update_documents(table, D::rename_member(table), D::member_json_path(from),
                            D::member_json_path(to));
  }
  std::int64_t set_default_in(std::string_view table, const std::string& path,
                              const std::string& json) override {
    return update_documents(table, D::set_default(table), D::member_json_path(path), json);
  }
  std::int64_t remove_member_in(std::string_view table, const std::string& path) override {
    return update_documents(table, D::remove_member(table), D::member_json_path(path));
  }
  void set_owner(std::string_view table, std::string_view type) override {
    set_table_owner(c_, table, type);
  }
  std::int64_t execute_script(std::string_view sql) override {
    c_.exec(sql);
    return c_.changes();
  }
  std::int64_t execute_bound(std::string_view sql, std::span<const bound_value> values) override {
    auto st = c_.acquire_oneoff(sql);
    st->require_single_statement();
    int i = 0;
    for (const auto& v : values) {
      ++i;
      std::visit([&](const auto& x) { bind_value(*st, i, x); }, v);
    }
    while (st->step()) {
    }
    return c_.changes();
  }

 private:
  template <class... Text>
  std::int64_t update_documents(std::string_view table, const std::string& sql,
                                const Text&... params) {
    if (!table_exists(c_, table)) return 0;
    auto st = c_.acquire_oneoff(sql);
    int i = 0;
    (st->bind_text(++i, params), ...);
    st->step();
    return c_.changes();
  }

  connection& c_;
};

template <class B>
std::int64_t run_migrations(typename B::connection& c, const std::vector<migration>& steps) {
  using D = typename B::dialect;
  for (std::size_t i = 1; i < steps.size(); ++i)
    if (steps[i].version <= steps[i - 1].version)
      throw usage_error(str_cat({"sqler: migrate(): step versions must increase (",
                                 std::to_string(steps[i - 1].version), " is followed by ",
                                 std::to_string(steps[i].version), ")"}));
  c.exec(D::create_migrations_table);
  std::int64_t ran = 0;
  for (const auto& step : steps) {
    if (step.version < 1) throw usage_error("sqler: migrate(): versions start at 1");
    typename B::transaction_scope tx(c);
    {
      auto st = c.acquire_oneoff(D::migration_name);
      st->bind(1, step.version);
      if (st->step()) {
        if (st->column_text(0) != step.name)
          throw schema_error(str_cat({"sqler: migrate(): version ", std::to_string(step.version),
                                      " was applied as \"", st->column_text(0),
                                      "\", but the code now calls it \"", step.name,
                                      "\": a step that has run must not change"}));
        continue;  // the scope rolls back: nothing was written
      }
    }
    migration_runner<B> m(c);
    if (step.run) step.run(m);
    auto rec = c.acquire_oneoff(D::record_migration);
    rec->bind(1, step.version);
    rec->bind_text(2, step.name);
    rec->step();
    rec.release();
    tx.commit();
    ++ran;
  }
  return ran;
}

template <class C>
std::int64_t schema_version(C& c) {
  if (!table_exists(c, "sqler_migrations")) return 0;
  auto st = c.acquire_oneoff(C::dialect::schema_version);
  st->step();
  return st->column_int64(0);
}

}  // namespace sqler::detail
