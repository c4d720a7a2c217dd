// sqler/detail/backend/postgres/statement.hpp - one statement: bound values, streamed rows.
// Sent on the first step in single-row mode, so a large result streams in bounded memory.
#pragma once

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "sqler/detail/sql/postgres.hpp"
#include "sqler/detail/backend/postgres/errors.hpp"
#include "sqler/detail/charconv.hpp"
#include "sqler/detail/float_bits.hpp"
#include "sqler/error.hpp"
#include "sqler/query_event.hpp"

namespace sqler::detail::postgres {

class statement;

// What the statements of one PGconn share. libpq runs one command at a time per connection, so
// the statement whose rows are still arriving is remembered: before anything else is sent, it
// reads the rest of its rows into memory (statement::buffer_rest).
struct session {
  PGconn* pg = nullptr;
  statement* streaming = nullptr;
  std::int64_t changes = 0;
  bool doomed = false;  // the server sent FATAL: it is closing the connection
  // The transaction status as of the last completed command: while one runs, libpq reports only
  // PQTRANS_ACTIVE, which does not say whether a transaction block is open.
  PGTransactionStatusType idle_status = PQTRANS_IDLE;

  inline void make_idle();
  void settled() noexcept {
    streaming = nullptr;
    idle_status = PQtransactionStatus(pg);
  }
  PGTransactionStatusType transaction_status() const noexcept {
    const auto s = PQtransactionStatus(pg);
    return s == PQTRANS_ACTIVE ? idle_status : s;
  }
};

// A completed command's row count becomes the connection's changes() for the commands that change
// rows; SELECT leaves it alone, as on SQLite. Returns whether this command changed rows.
inline bool note_command(session& s, PGresult* r) noexcept {
  const std::string_view tag = PQcmdStatus(r);
  if (std::none_of(std::begin(postgres_dialect::row_changing_tags),
                   std::end(postgres_dialect::row_changing_tags),
                   [&](std::string_view t) { return tag.starts_with(t); }))
    return false;
  std::int64_t n = 0;
  std::from_chars(tag.data() + tag.rfind(' ') + 1, tag.data() + tag.size(), n);  // "INSERT 0 5"
  s.changes = n;
  return true;
}

// A COPY result repeats until the copy ends; sqler sends and reads no COPY data, so end it.
inline void end_copy(PGconn* pg, PGresult* r) noexcept {
  const auto st = PQresultStatus(r);
  if (st == PGRES_COPY_IN) {
    PQputCopyEnd(pg, "sqler does not send COPY data");
  } else if (st == PGRES_COPY_OUT) {
    char* buf = nullptr;
    while (PQgetCopyData(pg, &buf, 0) > 0) PQfreemem(buf);
  }
}

class statement {
 public:
  // `name`: the server-side prepared statement it runs; empty for a one-off, sent with its text
  // as the unnamed statement. `params`: its parameter count, -1 when unknown (a one-off).
  statement(session& s, std::string name, std::string_view sql, int params = -1)
      : s_(&s), name_(std::move(name)), sql_(sql), declared_(params) {}
  statement(const statement&) = delete;  // the session points at the streaming one
  statement& operator=(const statement&) = delete;
  ~statement() { reset(); }

  const std::string& name() const noexcept { return name_; }
  std::string_view sql() const noexcept { return sql_; }
  const char* sql_cstr() const noexcept { return sql_.c_str(); }
  // A prepared statement's count comes from the server; a one-off's is what was bound.
  int parameter_count() const noexcept {
    return declared_ >= 0 ? declared_ : static_cast<int>(params_.size());
  }
  void set_parameter_count(int n) noexcept { declared_ = n; }

  // Nothing to check up front: the extended protocol refuses text holding more than one command
  // when it parses it, before anything runs, and errors.hpp turns that refusal (42601 without a
  // cursor position) into usage_error. Cached shapes meet it at prepare, one-offs at the first
  // step.
  void require_single_statement() const noexcept {}

  // Values travel in text format: binary would tie each bind to the server's idea of the
  // parameter's type (jsonb's binary form starts with a version byte). libpq reads a text
  // parameter with strlen() - paramLengths applies to binary ones only - so each value is copied,
  // NUL-terminated, into one buffer that keeps its capacity across executions: a string_view
  // need not be NUL-terminated. The copy also lets an embedded NUL be refused instead of
  // silently cutting the text short.
  void bind(int i, std::int64_t v) {
    if (recorder_ != nullptr) [[unlikely]]
      recorder_->bind(i, v);
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    put(i, std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
  }
  void bind(int i, double v) {
    if (!is_finite(v))
      throw encode_error(
          "sqler: cannot bind a NaN or infinite double: JSON has no such number, "
          "so sqler never stores or compares one",
          sql_);
    if (recorder_ != nullptr) [[unlikely]]
      recorder_->bind(i, v);
    char buf[32];
    const auto r = format_floating(buf, buf + sizeof buf, v);  // shortest text that reads back
    put(i, std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
  }
  void bind_null(int i) {
    if (recorder_ != nullptr) [[unlikely]]
      recorder_->bind_null(i);
    slot(i).state = param::null;
  }
  void bind_text(int i, std::string_view v) {
    if (!v.empty() && std::memchr(v.data(), 0, v.size()) != nullptr)
      throw encode_error("sqler: PostgreSQL text cannot hold a NUL character (parameter $" +
                             std::to_string(i) + ")",
                         sql_);
    if (recorder_ != nullptr) [[unlikely]]
      recorder_->bind_text(i, v);
    put(i, v);
  }
  void record_into(value_recorder* r) noexcept { recorder_ = r; }

  // Rows arrive one at a time (libpq's single-row mode) instead of as one result: for
  // iterating a large query in bounded memory. Everything else (all(), get(), counts, writes)
  // reads the whole result at once, which costs less per row (one PGresult, no per-row copy of
  // the column descriptors) and leaves the connection idle for nested statements at once.
  // Applies to the next execution.
  void stream_rows() noexcept { stream_ = true; }

  // True when a row is available, false when done. The first call sends the statement.
  bool step() {
    if (phase_ == phase::ready)
      send();
    else if (phase_ == phase::done)
      return false;
    release_row();
    if (phase_ == phase::whole) {
      if (next_ < stored_rows_) {
        cur_ = next_++;
        ++rows_;
        return true;
      }
      phase_ = phase::done;
      return false;
    }
    if (phase_ == phase::buffered) {
      if (next_ < stored_rows_) {
        cur_ = next_++;
        ++rows_;
        return true;
      }
      return conclude(result_ptr(std::exchange(tail_, nullptr)));
    }
    result_ptr r(PQgetResult(s_->pg));
    if (r && PQresultStatus(r.get()) == PGRES_SINGLE_TUPLE) {
      row_ = r.release();
      ++rows_;
      return true;
    }
    return conclude(std::move(r));
  }

  // Reads whatever is left of this execution, so the connection can run something else; a
  // final command tag still counts (an INSERT ... RETURNING released after its first row).
  // Abandoning a long stream reads its remaining rows off the socket: a cancel request would
  // end it sooner, but would also abort an enclosing transaction.
  void finish() noexcept {
    if (phase_ == phase::live) {
      while (PGresult* r = PQgetResult(s_->pg)) {
        const auto st = PQresultStatus(r);
        if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
          wrote_ = note_command(*s_, r) || wrote_;
        end_copy(s_->pg, r);
        PQclear(r);
      }
      if (s_->streaming == this) s_->settled();
    }
    if (phase_ != phase::ready) phase_ = phase::done;
  }

  // Ready to bind and run again: unread rows are discarded and every parameter is unbound.
  void reset() noexcept {
    finish();
    release_row();
    drop_buffer();
    params_.clear();
    arena_.clear();
    phase_ = phase::ready;
    rows_ = 0;
    wrote_ = false;
    stream_ = false;
  }

  // Another statement needs the connection while this one still has rows on the socket: they
  // are read now into one byte buffer (cells as offset+length, about 16 bytes each besides the
  // text) rather than kept as a PGresult per row (over 2 KB each in single-row mode). The
  // current row stays valid. Called by session::make_idle.
  void buffer_rest() {
    drop_buffer();
    while (PGresult* raw = PQgetResult(s_->pg)) {
      result_ptr r(raw);
      const auto st = PQresultStatus(raw);
      if (st != PGRES_SINGLE_TUPLE) {
        // The command completed now: its row count is changes() from here on.
        if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
          wrote_ = note_command(*s_, raw) || wrote_;
        end_copy(s_->pg, raw);
        if (tail_ == nullptr) tail_ = r.release();  // the command's end, or its error
        continue;
      }
      const int n = PQnfields(raw);
      columns_ = static_cast<std::size_t>(n);
      for (int c = 0; c < n; ++c) {
        if (PQgetisnull(raw, 0, c) != 0) {
          cells_.push_back({0, -1});
          continue;
        }
        const int len = PQgetlength(raw, 0, c);
        cells_.push_back({bytes_.size(), len});
        bytes_.append(PQgetvalue(raw, 0, c), static_cast<std::size_t>(len));
      }
      ++stored_rows_;
    }
    phase_ = phase::buffered;
    if (s_->streaming == this) s_->settled();
  }

  // Rows stepped since the last reset; whether the last execution changed rows.
  std::int64_t rows() const noexcept { return rows_; }
  bool wrote() const noexcept { return wrote_; }

  // Columns of the current row, read from PostgreSQL's text form; a view is valid until the next
  // step. Integers also accept the booleans 't'/'f' (EXISTS, comparisons) as 1/0.
  std::int64_t column_int64(int c) const {
    std::string_view v;
    if (!cell(c, v)) return 0;
    if (v == "t") return 1;
    if (v == "f") return 0;
    std::int64_t out = 0;
    const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (ec != std::errc{} || p != v.data() + v.size()) bad_column(c, v, "a 64-bit integer");
    return out;
  }
  double column_double(int c) const {
    std::string_view v;
    if (!cell(c, v)) return 0;
    if (v == "Infinity") return std::numeric_limits<double>::infinity();
    if (v == "-Infinity") return -std::numeric_limits<double>::infinity();
    if (v == "NaN") return std::numeric_limits<double>::quiet_NaN();
    double out = 0;
    const auto [p, ec] = parse_floating(v.data(), v.data() + v.size(), out);
    if (ec != std::errc{} || p != v.data() + v.size()) bad_column(c, v, "a number");
    return out;
  }
  std::string_view column_text(int c) const noexcept {
    std::string_view v;
    return cell(c, v) ? v : std::string_view{};
  }
  bool column_is_null(int c) const noexcept {
    std::string_view v;
    return !cell(c, v);
  }

 private:
  // live: rows streaming in (single-row mode); buffered: the rest of a stream read ahead for a
  // nested statement; whole: the complete result held, rows served from it.
  enum class phase { ready, live, buffered, whole, done };
  struct param {
    enum kind : unsigned char { unbound, null, value };  // unbound is sent as NULL, as on SQLite
    std::size_t offset = 0;
    kind state = unbound;
  };
  struct stored_cell {
    std::size_t offset;
    int length;  // -1: NULL
  };
  static constexpr std::size_t no_row = static_cast<std::size_t>(-1);

  param& slot(int i) {
    if (i < 1 || i > 65535 || (declared_ >= 0 && i > declared_))
      throw error(result_code::range,
                  "sqler: parameter $" + std::to_string(i) +
                      " is out of range (the statement has " +
                      std::to_string(std::max(declared_, 0)) + ")",
                  sql_);
    if (phase_ != phase::ready)
      throw usage_error("sqler: bind() on a statement that has run; reset() it first", sql_);
    const auto n = static_cast<std::size_t>(i);
    if (params_.size() < n) params_.resize(n);
    return params_[n - 1];
  }
  void put(int i, std::string_view v) {
    param& p = slot(i);
    p.offset = arena_.size();
    p.state = param::value;
    arena_.append(v);
    arena_.push_back('\0');
  }

  void send() {
    s_->make_idle();
    const int n = std::max(declared_, static_cast<int>(params_.size()));
    values_.assign(static_cast<std::size_t>(n), nullptr);
    for (std::size_t k = 0; k < params_.size(); ++k)
      if (params_[k].state == param::value) values_[k] = arena_.data() + params_[k].offset;
    const int ok = name_.empty() ? PQsendQueryParams(s_->pg, sql_.c_str(), n, nullptr,
                                                     values_.data(), nullptr, nullptr, 0)
                                 : PQsendQueryPrepared(s_->pg, name_.c_str(), n, values_.data(),
                                                       nullptr, nullptr, 0);
    if (ok == 0) throw_connection(s_->pg, sql_);
    phase_ = phase::live;
    s_->streaming = this;
    if (!stream_) {
      read_whole();
      return;
    }
    if (PQsetSingleRowMode(s_->pg) == 0) {  // only fails when not called right after the send
      finish();
      throw error(result_code::misuse, "sqler: libpq refused single-row mode", sql_);
    }
  }

  // The whole result of this execution, read now: rows are served from it by index.
  void read_whole() {
    result_ptr r(PQgetResult(s_->pg));
    if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) == 0) {
      conclude(std::move(r));  // a command, no rows, or an error (thrown)
      phase_ = phase::done;
      return;
    }
    wrote_ = note_command(*s_, r.get());  // INSERT ... RETURNING counts as a change
    finish();                             // reads the end of the execution: the connection idles
    whole_ = r.release();
    columns_ = static_cast<std::size_t>(PQnfields(whole_));
    stored_rows_ = static_cast<std::size_t>(PQntuples(whole_));
    next_ = 0;
    phase_ = phase::whole;
  }

  // The result that ends an execution: a command tag, the end of the rows, or an error.
  bool conclude(result_ptr r) {
    const bool live = phase_ == phase::live;  // a buffered end was counted by buffer_rest
    if (r && live) end_copy(s_->pg, r.get());
    finish();
    if (!r) {  // no result at all: libpq lost the connection without reporting an error
      if (PQstatus(s_->pg) != CONNECTION_OK) throw_connection(s_->pg, sql_);
      return false;
    }
    switch (PQresultStatus(r.get())) {
      case PGRES_TUPLES_OK:
      case PGRES_COMMAND_OK:
        if (live) wrote_ = note_command(*s_, r.get());
        return false;
      case PGRES_EMPTY_QUERY:
        return false;
      case PGRES_COPY_IN:
      case PGRES_COPY_OUT:
      case PGRES_COPY_BOTH:
        throw usage_error(
            "sqler: COPY ... FROM STDIN / TO STDOUT needs libpq's copy API, which "
            "sqler does not use",
            sql_);
      default:
        throw_result(r.get(), s_->pg, sql_);
    }
  }

  bool cell(int c, std::string_view& out) const noexcept {
    if (whole_ != nullptr) {
      if (cur_ == no_row || c < 0 || static_cast<std::size_t>(c) >= columns_) return false;
      const int r = static_cast<int>(cur_);
      if (PQgetisnull(whole_, r, c) != 0) return false;
      out = std::string_view(PQgetvalue(whole_, r, c),
                             static_cast<std::size_t>(PQgetlength(whole_, r, c)));
      return true;
    }
    if (row_ != nullptr) {
      if (c < 0 || c >= PQnfields(row_) || PQgetisnull(row_, 0, c) != 0) return false;
      out = std::string_view(PQgetvalue(row_, 0, c),
                             static_cast<std::size_t>(PQgetlength(row_, 0, c)));
      return true;
    }
    if (cur_ == no_row || c < 0 || static_cast<std::size_t>(c) >= columns_) return false;
    const stored_cell& k = cells_[cur_ * columns_ + static_cast<std::size_t>(c)];
    if (k.length < 0) return false;
    out = std::string_view(bytes_.data() + k.offset, static_cast<std::size_t>(k.length));
    return true;
  }

  [[noreturn]] void bad_column(int c, std::string_view v, const char* what) const {
    throw error(result_code::mismatch,
                "sqler: column " + std::to_string(c) + " holds '" + std::string(v.substr(0, 40)) +
                    "', not " + what,
                sql_);
  }

  void release_row() noexcept {
    PQclear(row_);
    row_ = nullptr;
    cur_ = no_row;
  }
  void drop_buffer() noexcept {
    PQclear(tail_);
    tail_ = nullptr;
    PQclear(whole_);
    whole_ = nullptr;
    bytes_.clear();
    cells_.clear();
    columns_ = 0;
    stored_rows_ = 0;
    next_ = 0;
    cur_ = no_row;
  }

  session* s_;
  std::string name_;
  std::string sql_;  // NUL-terminated: libpq takes C strings
  int declared_;
  std::vector<param> params_;
  std::string arena_;
  std::vector<const char*> values_;
  PGresult* row_ = nullptr;  // the current row while streaming
  // Rows read ahead by buffer_rest, and the result that ended them.
  std::string bytes_;
  std::vector<stored_cell> cells_;
  std::size_t columns_ = 0;
  std::size_t stored_rows_ = 0;
  std::size_t next_ = 0;
  std::size_t cur_ = no_row;
  PGresult* tail_ = nullptr;
  PGresult* whole_ = nullptr;  // the complete result (phase::whole)
  bool stream_ = false;
  phase phase_ = phase::ready;
  std::int64_t rows_ = 0;
  bool wrote_ = false;
  value_recorder* recorder_ = nullptr;
};

inline void session::make_idle() {
  if (streaming != nullptr) streaming->buffer_rest();
}

}  // namespace sqler::detail::postgres
