// sqler/detail/backend/postgres/backend.hpp - what the generic layers use of the PostgreSQL
// backend: its pieces, and how a document table (jsonb) and sqler's functions are made ready.
#pragma once

#include <string>
#include <string_view>

#include "sqler/backend.hpp"
#include "sqler/customize.hpp"
#include "sqler/detail/backend/postgres/connection.hpp"
#include "sqler/detail/backend/postgres/pool.hpp"
#include "sqler/detail/backend/postgres/transaction.hpp"
#include "sqler/detail/catalog.hpp"
#include "sqler/detail/merge.hpp"
#include "sqler/detail/multikey.hpp"
#include "sqler/detail/promoted.hpp"
#include "sqler/detail/ref_graph.hpp"
#include "sqler/detail/shapes.hpp"
#include "sqler/detail/sql/postgres.hpp"

namespace sqler::detail {

template <class B>
struct backend_traits;

template <>
struct backend_traits<postgres_backend> {
  using dialect = postgres_dialect;
  using state = postgres::db_state;
  using connection = postgres::connection_handle;
  using lease = postgres::lease;
  using transaction_scope = postgres::transaction_scope;
  using read_snapshot = postgres::read_snapshot;
  using write_turn = postgres::write_turn;

  // PostgreSQL parses every jsonb it is sent: there is no check for sqler's documents to skip.
  template <class T>
  struct encoded_scope {
    encoded_scope(const connection&, std::string_view, const std::size_t*, std::size_t,
                  std::size_t) noexcept {}
  };

  // sqler_merge's schema, as jsonb text built once per type.
  template <class S>
  static void bind_merge_schema(S& st, int i, const merge_schema& schema) {
    st.bind_text(i, schema_text(schema));
  }

  template <class X>
  static void prepare_table(connection& c) {
    claim_table(c, table_name<X>, canonical_type_name_holder<X>::value, shares_table<X>::value);
    // PostgreSQL refuses even CREATE ... IF NOT EXISTS in a read-only transaction: nothing is
    // created, and reading a table that does not exist fails when it is read.
    if (c.read_only()) return;
    c.exec(create_table_shape<dialect, X>::sql);
    if constexpr (promoted_count<X> > 0) add_promoted_columns<X>(c);
    if constexpr (multikey_count<X> > 0) ensure_multikeys<X>(c);
    register_refs(c, table_name<X>, ref_target_tables<X>());
  }

  // The GIN index (jsonb_path_ops) of the multikey index E of T.
  template <class T, class E>
  static void ensure_multikey(connection& c) {
    static constexpr auto name = dialect::multikey_index_name<T, E::array_path, E::member>();
    c.exec(dialect::create_multikey(table_name<T>, name.view(), E::array_path.view()));
  }
  template <class T, class E>
  static void drop_multikey(connection& c) {
    static constexpr auto name = dialect::multikey_index_name<T, E::array_path, E::member>();
    c.exec(dialect::drop_multikey(name.view()));
  }

  // sqler's SQL functions in the current schema, installed once.
  static void install_functions(connection& c) {
    auto st = c.acquire_oneoff(dialect::functions_present);
    const bool present = st->step() && st->column_int64(0) == 6;
    st.release();
    if (!present && !c.read_only()) c.exec(dialect::install_functions);
  }

 private:
  static const std::string& schema_text(const merge_schema& schema) {
    // One text per schema object (each document type has one, with static storage).
    thread_local const merge_schema* last = nullptr;
    thread_local std::string text;
    if (last != &schema) {
      text.clear();
      dialect::write_merge_schema(text, schema);
      last = &schema;
    }
    return text;
  }

  template <class T>
  static void ensure_multikeys(connection& c) {
    [&]<class... Es>(const multikey_list<Es...>*) {
      (ensure_multikey<T, element_index<Es>>(c), ...);
    }(static_cast<const multikey<T>*>(nullptr));
  }

  // A member promoted after its table was made gets its column (STORED: PostgreSQL 15 has no
  // other generated columns, so columns<> and stored<> are the same here).
  template <class T>
  static void add_promoted_columns(connection& c) {
    for_each_promoted<T>([&]<auto M, bool Stored>() {
      static constexpr auto ddl = dialect::promoted_column<T, M>();
      c.exec(dialect::add_column(table_name<T>, ddl.view()));
    });
  }
};

}  // namespace sqler::detail
