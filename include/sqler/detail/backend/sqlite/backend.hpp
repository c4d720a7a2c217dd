// sqler/detail/backend/sqlite/backend.hpp - what the generic layers use of the SQLite backend.
// Collections, queries, integrity and migrations are templates over a backend; this names the
// SQLite pieces they use and the SQLite-specific way a document table is made ready.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "sqler/backend.hpp"
#include "sqler/customize.hpp"
#include "sqler/detail/backend/sqlite/connection.hpp"
#include "sqler/detail/backend/sqlite/functions.hpp"
#include "sqler/detail/backend/sqlite/schema.hpp"
#include "sqler/detail/backend/sqlite/state.hpp"
#include "sqler/detail/backend/sqlite/transaction.hpp"
#include "sqler/detail/catalog.hpp"
#include "sqler/detail/codec.hpp"
#include "sqler/detail/merge.hpp"
#include "sqler/detail/multikey.hpp"
#include "sqler/detail/promoted.hpp"
#include "sqler/detail/ref_graph.hpp"
#include "sqler/detail/scan_probe.hpp"
#include "sqler/detail/shapes.hpp"
#include "sqler/detail/sql/sqlite.hpp"
#include "sqler/detail/text.hpp"
#include "sqler/error.hpp"

namespace sqler {
class database;
}

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

  // While alive, the connection knows documents first .. first + count - 1 of buf (cut by
  // ends) as written by sqler's encoder for a T, so json_valid does not scan them again
  // (functions.hpp's encoded_documents); for a T whose encoding is not always readable
  // (codec.hpp) it does nothing. Made just before the statement they are bound to is stepped.
  template <class T>
  class encoded_scope {
   public:
    encoded_scope(connection& c, std::string_view buf, const std::size_t* ends, std::size_t first,
                  std::size_t count) noexcept {
      if constexpr (always_readable<T>) {
        c.encoded().set(buf, ends, first, count);
        c_ = &c;
      }
    }
    encoded_scope(const encoded_scope&) = delete;
    encoded_scope& operator=(const encoded_scope&) = delete;
    ~encoded_scope() {
      if (c_ != nullptr) c_->encoded().clear();
    }

   private:
    connection* c_ = nullptr;
  };

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
      c.upgrade_table(table_name<X>, existing);
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

  // Tables created before a member was promoted get its generated column now: a VIRTUAL one by
  // ALTER TABLE ADD COLUMN; a STORED one, or one whose kind (VIRTUAL or STORED) changed, by one
  // rebuild of the table (SQLite can neither add a STORED column nor change a column's kind).
  // Also run for tables reached only through refs: a through<> filter names the target's
  // column unqualified, and if the target table lacked it SQLite would resolve it against the
  // outer table instead. A column of the member's name that is not generated is left alone.
  template <class T>
  static void add_promoted_columns(connection& c) {
    std::vector<sqlite::promoted_change> rebuild;
    bool missing = false;
    for_each_promoted<T>([&]<auto M, bool Stored>() {
      // Static: bind_text binds without copying, so the name must outlive the step.
      static constexpr auto column = promoted_column_name<T, M>();
      static constexpr auto ddl = dialect::promoted_column_as<T, M, Stored>();
      static constexpr auto other = dialect::promoted_column_as<T, M, !Stored>();
      const int kind = sqlite::column_kind(c, table_name<T>, column.view());
      if (kind == dialect::virtual_generated || kind == dialect::stored_generated) {
        if ((kind == dialect::stored_generated) != Stored)
          rebuild.push_back({column.view(), ddl.view(), other.view()});
      } else if (kind < 0) {
        if constexpr (Stored) {
          rebuild.push_back({column.view(), ddl.view(), other.view()});
          missing = true;
        } else {
          c.exec(dialect::add_column(table_name<T>, ddl.view()));
        }
      }
    });
    if (rebuild.empty()) return;
    if (!c.read_only()) return sqlite::rebuild_promoted(c, table_name<T>, rebuild);
    // Read-only: a column of the other kind reads the same; a missing one cannot be read.
    if (missing)
      throw schema_error(str_cat({"sqler: table \"", table_name<T>,
                                  "\" lacks a STORED promoted column its type declares, and the "
                                  "database is read-only: open it writable once to add the "
                                  "column"}));
  }
};

// The profiler's full-scan check on SQLite: EXPLAIN QUERY PLAN and COUNT(*) run straight on
// this thread's connection (db.native_handle()), not through sqler's statements, so query hooks
// (the profiler among them) do not see the check's own queries.
template <>
struct scan_probe<sqler::database> {
  static constexpr bool supported = true;

  template <class Db>
  static std::vector<plan_scan> full_scans(Db& db, std::string_view sql) {
    using dialect = sqlite_dialect;
    std::vector<plan_scan> out;
    if (!dialect::filters(sql)) return out;
    sqlite3* h = db.native_handle();
    const std::string explain = dialect::explain_plan(sql);
    sqlite::statement plan(h, explain);
    while (plan.step()) {
      std::string table = dialect::scanned_table(plan.column_text(dialect::plan_detail_column));
      if (table.empty()) continue;
      // A name without columns is not a table (an alias): nothing to count or index.
      bool is_table = false;
      std::vector<std::string> generated;
      {
        sqlite::statement cols(h, dialect::table_columns);
        cols.bind_text(1, table);
        while (cols.step()) {
          is_table = true;
          if (cols.column_int64(1) != 0) generated.emplace_back(cols.column_text(0));
        }
      }
      if (!is_table) continue;
      plan_scan scan{std::move(table), {}, {}};
      const auto terms = dialect::filter_terms(sql, generated);
      for (const auto& t : terms) scan.paths.push_back(t.path);
      if (!terms.empty()) scan.index_sql = dialect::suggested_index(scan.table, terms);
      out.push_back(std::move(scan));
    }
    return out;
  }

  template <class Db>
  static std::int64_t rows(Db& db, std::string_view table) {
    const std::string sql = sqlite_dialect::count_rows(table);
    sqlite::statement count(db.native_handle(), sql);
    return count.step() ? count.column_int64(0) : 0;
  }
};

}  // namespace sqler::detail
