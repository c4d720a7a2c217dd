// sqler/detail/backend/sqlite/backend.hpp - what the generic layers use of the SQLite backend.
// Collections, queries, integrity and migrations are templates over a backend; this names the
// SQLite pieces they use and the SQLite-specific way a document table is made ready.
#pragma once

#include <string>
#include <string_view>

#include "sqler/backend.hpp"
#include "sqler/customize.hpp"
#include "sqler/detail/backend/sqlite/connection.hpp"
#include "sqler/detail/backend/sqlite/functions.hpp"
#include "sqler/detail/backend/sqlite/schema.hpp"
#include "sqler/detail/backend/sqlite/state.hpp"
#include "sqler/detail/backend/sqlite/transaction.hpp"
#include "sqler/detail/catalog.hpp"
#include "sqler/detail/merge.hpp"
#include "sqler/detail/multikey.hpp"
#include "sqler/detail/promoted.hpp"
#include "sqler/detail/ref_graph.hpp"
#include "sqler/detail/shapes.hpp"
#include "sqler/detail/sql/sqlite.hpp"

namespace sqler::detail {

template <class B>
struct backend_traits;

template <>
struct backend_traits<sqlite_backend> {
  using dialect = sqlite_dialect;
  using state = sqlite::db_state;
  using connection = sqlite::connection;
  using lease = sqlite::lease;
  using transaction_scope = sqlite::transaction_scope;
  using read_snapshot = sqlite::read_snapshot;
  using write_turn = sqlite::write_turn;

  // What sqler_merge needs to tell declared members from the rest: a pointer only sqler's own
  // SQL function can read.
  template <class S>
  static void bind_merge_schema(S& st, int i, const merge_schema& schema) {
    st.bind_pointer(i, &schema, sqlite::merge_schema_pointer);
  }

  // Creates the table of X, or brings an existing one up to today's layout (AUTOINCREMENT ids,
  // _version, promoted columns), then records X as its owner and which tables it refers to.
  template <class X>
  static void prepare_table(connection& c) {
    claim_table(c, table_name<X>, canonical_type_name_holder<X>::value, shares_table<X>::value);
    const std::string existing = sqlite::table_sql_of(c, table_name<X>);
    if (existing.empty())
      c.exec(create_table_shape<dialect, X>::sql);
    else
      sqlite::upgrade_table(c, table_name<X>, existing);
    if constexpr (promoted_count<X> > 0) add_promoted_columns<X>(c);
    if constexpr (multikey_count<X> > 0) ensure_multikeys<X>(c);
    register_refs(c, table_name<X>, ref_target_tables<X>());
  }

  // The side table and triggers of the multikey index E (an element_index) of T, created and
  // filled from the existing documents unless they exist; one transaction.
  template <class T, class E>
  static void ensure_multikey(connection& c) {
    static constexpr auto name = dialect::multikey_table_name<T, E::array_path, E::member>();
    if (table_exists(c, name.view()) || c.read_only()) return;
    const auto sql =
        dialect::multikey(table_name<T>, name.view(), E::array_path.view(), E::member.view());
    transaction_scope tx(c);
    if (!table_exists(c, name.view())) {  // another connection may have made it meanwhile
      c.exec(sql.create_table);
      c.exec(sql.create_id_index);
      for (const auto& trigger : sql.triggers) c.exec(trigger);
      c.exec(sql.fill);
    }
    tx.commit();
  }

  // Drops the side table and triggers of the multikey index E of T.
  template <class T, class E>
  static void drop_multikey(connection& c) {
    static constexpr auto name = dialect::multikey_table_name<T, E::array_path, E::member>();
    const auto sql =
        dialect::multikey(table_name<T>, name.view(), E::array_path.view(), E::member.view());
    transaction_scope tx(c);
    for (const auto& drop : sql.drop_triggers) c.exec(drop);
    c.exec(sql.drop_table);
    tx.commit();
  }

 private:
  template <class T>
  static void ensure_multikeys(connection& c) {
    [&]<class... Es>(const multikey_list<Es...>*) {
      (ensure_multikey<T, element_index<Es>>(c), ...);
    }(static_cast<const multikey<T>*>(nullptr));
  }

  // Tables created before a member was promoted get its generated column now. Also run for
  // tables reached only through refs: a through<> filter names the target's column
  // unqualified, and if the target table lacked it SQLite would resolve it against the outer
  // table instead.
  template <class T>
  static void add_promoted_columns(connection& c) {
    [&]<auto... Ms>(const columns<Ms...>*) {
      (([&] {
         // Static: bind_text binds without copying, so the name must outlive the step.
         static constexpr auto column = promoted_column_name<T, Ms>();
         auto st = c.acquire_oneoff(dialect::has_column);
         st->bind_text(1, table_name<T>);
         st->bind_text(2, column.view());
         if (st->step()) return;
         st.release();
         static constexpr auto ddl = dialect::promoted_column<T, Ms>();
         c.exec(dialect::add_column(table_name<T>, ddl.view()));
       }()),
       ...);
    }(static_cast<const promoted<T>*>(nullptr));
  }
};

}  // namespace sqler::detail
