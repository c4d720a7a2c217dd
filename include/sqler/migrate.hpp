// sqler/migrate.hpp - evolving stored documents with ordered, numbered migration steps.
// db.migrate({{1, "add retries", [](sqler::migration_context& m) { ... }}, ...}) runs each step
// not yet applied once, in its own transaction, recording it in `sqler_migrations`.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "sqler/codec.hpp"
#include "sqler/detail/reflect.hpp"
#include "sqler/detail/text.hpp"
#include "sqler/detail/type_traits.hpp"
#include "sqler/error.hpp"
#include "sqler/query_event.hpp"

namespace sqler {

// What a migration step can do, inside the step's transaction, on any backend. Member paths are
// dotted member names ("address.zip"): the member may no longer exist in any struct. Each
// document a helper changes gets its _version bumped, so an optimistic writer holding an older
// copy fails with stale_version instead of writing the old shape back. A collection whose table
// does not exist yet has no documents to change: the helpers then do nothing and return 0.
class migration_context {
 public:
  migration_context(const migration_context&) = delete;
  migration_context& operator=(const migration_context&) = delete;

  // Moves the member at `from` to `to` in every document that has it (null included).
  std::int64_t rename_member(std::string_view table, std::string_view from, std::string_view to) {
    return rename_member_in(table, checked_path(from), checked_path(to));
  }
  template <class T>
  std::int64_t rename_member(std::string_view from, std::string_view to) {
    return rename_member(table_name<T>, from, to);
  }

  // Gives documents that lack the member (not those holding null) `value`, encoded as sqler
  // encodes it: set_default<Job>("retries", 3).
  template <class V>
  std::int64_t set_default(std::string_view table, std::string_view path, const V& value) {
    return set_default_in(table, checked_path(path), to_json(value));
  }
  template <class T, class V>
  std::int64_t set_default(std::string_view path, const V& value) {
    return set_default(table_name<T>, path, value);
  }

  // Removes the member from every document that has it.
  std::int64_t remove_member(std::string_view table, std::string_view path) {
    return remove_member_in(table, checked_path(path));
  }
  template <class T>
  std::int64_t remove_member(std::string_view path) {
    return remove_member(table_name<T>, path);
  }

  // Records T as the owner of its table, e.g. after moving the type to another namespace
  // (sqler refuses to open a table that another type owns).
  template <class T>
  void adopt_table() {
    set_owner(table_name<T>, detail::canonical_type_name_holder<T>::value);
  }

  // Any SQL: with parameters one statement, without them a script. Returns rows changed.
  template <class... P>
  std::int64_t execute(std::string_view sql, const P&... params) {
    if constexpr (sizeof...(P) == 0) {
      return execute_script(sql);
    } else {
      const std::vector<bound_value> values{to_bound(params)...};
      return execute_bound(sql, values);
    }
  }

 protected:
  migration_context() = default;
  ~migration_context() = default;

  virtual std::int64_t rename_member_in(std::string_view table, const std::string& from,
                                        const std::string& to) = 0;
  virtual std::int64_t set_default_in(std::string_view table, const std::string& path,
                                      const std::string& json) = 0;
  virtual std::int64_t remove_member_in(std::string_view table, const std::string& path) = 0;
  virtual void set_owner(std::string_view table, std::string_view type) = 0;
  virtual std::int64_t execute_script(std::string_view sql) = 0;
  virtual std::int64_t execute_bound(std::string_view sql,
                                     std::span<const bound_value> values) = 0;

 private:
  // A dotted path must name members: no empty part, and no character a path cannot spell.
  static std::string checked_path(std::string_view dotted) {
    if (dotted.empty()) throw usage_error("sqler: migration: an empty member path");
    std::size_t start = 0;
    while (true) {
      const std::size_t dot = dotted.find('.', start);
      const std::string_view key = dotted.substr(start, dot - start);
      if (key.empty() || key.find_first_of("\"[]\\'") != std::string_view::npos)
        throw usage_error(detail::str_cat({"sqler: migration: member path '", dotted,
                                           "' has an empty part or a character (\" ' [ ] \\) it "
                                           "cannot name"}));
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    return std::string(dotted);
  }

  template <class V>
  static bound_value to_bound(const V& v) {
    if constexpr (std::is_same_v<V, std::nullptr_t> || std::is_same_v<V, std::nullopt_t>)
      return nullptr;
    else if constexpr (std::is_integral_v<V> || std::is_enum_v<V>)
      return static_cast<std::int64_t>(v);
    else if constexpr (std::is_floating_point_v<V>)
      return static_cast<double>(v);
    else if constexpr (std::is_convertible_v<const V&, std::string_view>)
      return std::string(std::string_view(v));
    else if constexpr (detail::is_optional<V>)
      return v ? to_bound(*v) : bound_value{nullptr};
    else
      static_assert(detail::always_false<V>,
                    "sqler: migration_context::execute: parameters must be integers, floating "
                    "point, bool, enums, strings, std::optional of those, or nullptr");
  }
};

// One step: a version number (steps run in increasing order, each once), a name recorded with
// it, and what it does.
struct migration {
  std::int64_t version = 0;
  std::string name;
  std::function<void(migration_context&)> run;
};

}  // namespace sqler
