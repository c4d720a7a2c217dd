// sqler/detail/shapes.hpp - the fixed statements of a collection, one type per statement.
// Each shape type holds its text, rendered by dialect D at compile time, and is the key of its
// cached prepared statement on a connection (one slot per shape type).
#pragma once

#include <cstddef>
#include <string_view>

namespace sqler::detail {

#define SQLER_DETAIL_SHAPE(NAME, CALL)                          \
  template <class D, class T>                                   \
  struct NAME {                                                 \
    static constexpr auto text = D::template CALL<T>();         \
    static constexpr std::string_view sql = text.view();        \
  };

SQLER_DETAIL_SHAPE(create_table_shape, create_table)
SQLER_DETAIL_SHAPE(insert_shape, insert)
SQLER_DETAIL_SHAPE(get_shape, get)
SQLER_DETAIL_SHAPE(replace_shape, replace)
SQLER_DETAIL_SHAPE(replace_versioned_shape, replace_versioned)
SQLER_DETAIL_SHAPE(upsert_shape, upsert)
SQLER_DETAIL_SHAPE(remove_shape, remove)
SQLER_DETAIL_SHAPE(size_shape, size)
SQLER_DETAIL_SHAPE(exists_id_shape, exists_id)
SQLER_DETAIL_SHAPE(get_many_shape, get_many)
#undef SQLER_DETAIL_SHAPE

// Fetches one row by key: what an N+1 loop repeats (the profiler looks for it).
template <class D, class T>
struct get_by_id_shape : get_shape<D, T> {
  static constexpr bool single_row = true;
};

template <class D, class T, class... Ops>
struct update_by_id_shape {
  static constexpr std::size_t id_param = (Ops::params + ...) + 1;
  static constexpr auto text = D::template update_by_id<T, Ops...>();
  static constexpr std::string_view sql = text.view();
};

template <class D, class T, bool Unique, class... Fs>
struct index_shape {
  static constexpr auto text = D::template create_index<T, Unique, Fs...>();
  static constexpr std::string_view sql = text.view();
};

template <class D, class T, bool Unique, class... Fs>
struct drop_index_shape {
  static constexpr auto text = D::template drop_index<T, Unique, Fs...>();
  static constexpr std::string_view sql = text.view();
};

}  // namespace sqler::detail
