// sqler/detail/merge.hpp - saving a struct without losing what it does not declare.
// A stored document may hold members the struct lacks (written by a newer program or raw SQL).
// Saving keeps them, at every level of nested structs, while every declared member is replaced
// whole: maps lose removed keys and arrays are replaced, unlike RFC 7396 merge patches.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "sqler/detail/codec.hpp"
#include "sqler/detail/json_io.hpp"
#include "sqler/detail/reflect.hpp"

namespace sqler::detail {

struct merge_schema;

// A declared member; `nested` is set when the member is itself a struct (or an optional one)
// whose stored object may carry undeclared members of its own.
struct merge_member {
  std::string_view key;
  const merge_schema* nested = nullptr;
};

struct merge_schema {
  std::span<const merge_member> members;

  const merge_member* find(std::string_view key) const noexcept {
    for (const auto& m : members)
      if (m.key == key) return &m;
    return nullptr;
  }
  // The same, trying members[next] first and leaving next after the member found: a document
  // sqler wrote lists its members in declaration order, so each key is found at the first try.
  const merge_member* find(std::string_view key, std::size_t& next) const noexcept {
    if (next < members.size() && members[next].key == key) return &members[next++];
    const merge_member* m = find(key);
    if (m != nullptr) next = static_cast<std::size_t>(m - members.data()) + 1;
    return m;
  }
};

template <class M>
constexpr const merge_schema* nested_schema() noexcept;

template <class T>
struct merge_schema_of {
  static constexpr std::size_t n = member_count<T>;
  static constexpr auto members = []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<merge_member, n>{
        merge_member{member_name<T, I>, nested_schema<member_type<T, I>>()}...};
  }(std::make_index_sequence<n>{});
  static constexpr merge_schema value{members};
};

template <class M>
constexpr const merge_schema* nested_schema() noexcept {
  using U = unwrap_optional_t<M>;
  if constexpr (storable_aggregate<U> && !is_ref<U>)
    return &merge_schema_of<U>::value;
  else
    return nullptr;
}

// One JSON object member: its key and the exact text of its value.
struct json_member {
  std::string key;
  std::string_view value;
};

inline std::vector<json_member> read_members(json_reader& r) {
  std::vector<json_member> out;
  r.expect('{', nullptr);
  if (r.consume('}')) return out;
  std::string scratch;
  do {
    std::string key(r.read_key(scratch, nullptr));
    r.expect(':', nullptr);
    out.push_back({std::move(key), r.value_text(nullptr)});
  } while (r.consume(','));
  r.expect('}', nullptr);
  return out;
}

inline bool is_object_text(std::string_view v) noexcept { return !v.empty() && v.front() == '{'; }

// Does `old` (a stored object) hold a member that `schema` does not declare, at any depth
// reached through nested structs? The usual answer is no, found by one pass over the text.
// The object r is at, read up to its undeclared member if it has one (then r stops there), or
// to its end. Nested objects are read by the same reader, in the same pass.
inline bool has_undeclared(json_reader& r, const merge_schema& schema) {
  r.expect('{', nullptr);
  if (r.consume('}')) return false;
  std::string scratch;
  std::size_t next = 0;
  do {
    const std::string_view key = r.read_key(scratch, nullptr);
    r.expect(':', nullptr);
    const merge_member* d = schema.find(key, next);
    if (d == nullptr) return true;
    if (d->nested != nullptr && r.peek() == '{') {
      if (has_undeclared(r, *d->nested)) return true;
    } else {
      r.skip_value(nullptr);
    }
  } while (r.consume(','));
  r.expect('}', nullptr);
  return false;
}

inline bool has_undeclared(std::string_view old, const merge_schema& schema) {
  json_reader r(old);
  return r.peek() == '{' && has_undeclared(r, schema);
}

// `fresh` (what the struct encodes to) with the undeclared members of `old` added back, nested
// structs merged the same way. Both are JSON objects.
inline void merge_into(std::string& out, std::string_view old, std::string_view fresh,
                       const merge_schema& schema) {
  json_reader ro(old), rf(fresh);
  if (ro.peek() != '{' || rf.peek() != '{') {
    out.append(fresh);
    return;
  }
  const auto old_members = read_members(ro);
  const auto new_members = read_members(rf);
  auto old_value = [&](std::string_view key) -> std::optional<std::string_view> {
    for (const auto& m : old_members)
      if (m.key == key) return m.value;
    return std::nullopt;
  };
  out.push_back('{');
  bool first = true;
  auto emit = [&](std::string_view key, auto&& write_value) {
    if (!first) out.push_back(',');
    first = false;
    write_escaped(out, key);
    out.push_back(':');
    write_value();
  };
  for (const auto& m : new_members) {
    const merge_member* d = schema.find(m.key);
    const auto before = old_value(m.key);
    if (d != nullptr && d->nested != nullptr && before && is_object_text(*before) &&
        is_object_text(m.value))
      emit(m.key, [&] { merge_into(out, *before, m.value, *d->nested); });
    else
      emit(m.key, [&] { out.append(m.value); });
  }
  for (const auto& m : old_members)
    if (schema.find(m.key) == nullptr) emit(m.key, [&] { out.append(m.value); });
  out.push_back('}');
}

// The document to store when `fresh` replaces `old`: `fresh` itself unless `old` holds
// undeclared members (then nullopt is never returned: the merged text is).
inline std::optional<std::string> merged_document(std::string_view old, std::string_view fresh,
                                                  const merge_schema& schema) {
  try {
    if (!has_undeclared(old, schema)) return std::nullopt;
    std::string out;
    out.reserve(old.size() + fresh.size());
    merge_into(out, old, fresh, schema);
    return out;
  } catch (const decode_error&) {
    return std::nullopt;  // an unreadable stored document has nothing to keep: replace it
  }
}

}  // namespace sqler::detail
