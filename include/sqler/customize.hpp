// sqler/customize.hpp - the customisation points of a document type, in one place.
// Each is a trait to specialise or a static member to declare; none needs a macro.
#pragma once

#include <concepts>
#include <string_view>
#include <type_traits>

namespace sqler {

// The table a document type is stored in. Either give the struct a
// `static constexpr std::string_view sqler_table = "...";` member or specialise this trait with
// a `static constexpr std::string_view value`. Default: the struct's unqualified name.
template <class T>
struct table_name_of;

// Strict decoding: a member missing from a stored document is a decode_error instead of taking
// its default member initializer. Declare `static constexpr bool sqler_strict = true;` in the
// struct or specialise this trait as std::true_type.
template <class T>
struct strict : std::bool_constant<requires {
  { T::sqler_strict } -> std::convertible_to<bool>;
  requires static_cast<bool>(T::sqler_strict);
}> {};

// Several C++ types that deliberately share one table (e.g. two views of the same documents).
// sqler records which type owns a table and refuses a different type on it unless that type
// declares `static constexpr bool sqler_shared_table = true;` or specialises this trait.
template <class T>
struct shares_table : std::bool_constant<requires {
  { T::sqler_shared_table } -> std::convertible_to<bool>;
  requires static_cast<bool>(T::sqler_shared_table);
}> {};

// Multikey indexes: an array member indexed one entry per element, kept exact by the database
// (a side table maintained by triggers), so contains(), contains_any(), contains_all() and
// any(element == v) / any(element.in(...)) search the index instead of scanning every document:
//   template <> struct sqler::multikey<User>
//       : sqler::multikey_list<sqler::elements<&User::tags>,                   // scalars
//                              sqler::elements<&User::items, &Item::sku>> {};  // a member
// The declaration changes the SQL of those predicates at compile time; the side tables are
// created (and filled from the existing documents) when the collection is opened.
template <auto Array, auto... Member>
struct elements {};

template <class... Elements>
struct multikey_list {};

template <class T>
struct multikey : multikey_list<> {};

// A type stored through its own JSON conversion instead of member-by-member reflection (a
// class with private members, a third-party type). Specialise with
//   static void to_json(const T& value, std::string& out);       // append one JSON value
//   static void from_json(std::string_view json, T& value);      // throw on bad input
// sqler::decode_error names the member when from_json throws. sqler/boost_json.hpp does this
// for every type with Boost.JSON tag_invoke overloads.
template <class T>
struct json_conversion;

// Promoted members: scalar members that also live in a real, typed column of the table, so
// filters, sorting and indexes on them use the column (see the README, "Promoted columns"):
//   template <> struct sqler::promoted<User> : sqler::columns<&User::email, &User::age> {};
// columns<...> are VIRTUAL (computed from the document when read: no space, but an unindexed
// filter parses every document); stored<...> are STORED (computed when a document is written
// and kept in the row: an unindexed filter reads the value without parsing JSON). Both lists
// may be given:
//   template <> struct sqler::promoted<User>
//       : sqler::columns<&User::email>, sqler::stored<&User::age> {};
// SQLite cannot add a STORED column to an existing table: opening the collection rebuilds the
// table once, in one transaction (rows, ids, versions, indexes and triggers kept).
template <auto... Ms>
struct columns {};

template <auto... Ms>
struct stored {};

template <class T>
struct promoted : columns<> {};

}  // namespace sqler
