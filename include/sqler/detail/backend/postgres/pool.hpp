// sqler/detail/backend/postgres/pool.hpp - what a PostgreSQL database shares: a connection pool.
// Threads borrow per operation and keep a connection while anything they made still uses it.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sqler/detail/backend/postgres/connection.hpp"
#include "sqler/error.hpp"
#include "sqler/query_event.hpp"

namespace sqler::detail::postgres {

struct pool_options {
  std::string conninfo;           // libpq connection string or URI
  std::size_t size = 4;           // connections open at most
  int acquire_timeout_ms = 5000;  // how long a borrow waits for a free one: then busy_error
  bool read_only = false;         // default_transaction_read_only on every connection
  int probe_idle_ms = 500;        // an idle connection is checked before it is lent after this
};

// Ownership, in one place:
// - A borrowed connection is a std::shared_ptr<connection> whose deleter gives it back to the
//   pool: a checkout. connection_handle (what db_state::conn() returns, and the type generic code
//   knows as traits::connection) holds one share; every lease made through it holds another
//   (lease::share), and so does a transaction_scope or read_snapshot. The connection goes back
//   when the last of them is gone, so `auto&& c = db_->conn(); return c.acquire<S>();` hands the
//   caller a lease that keeps its connection after the handle `c` is destroyed.
// - The deleter and every checkout keep the pool's core alive: a lease or transaction may
//   outlive the database object.
// - Per thread, the pool remembers its checkout (weakly). While any share of it is alive, conn()
//   on that thread returns the same connection: inside a transaction that is what keeps the
//   thread on its transaction's connection, and outside one it means a thread never waits for
//   a second connection while holding a first, so nested use cannot deadlock the pool. Nested
//   queries on one connection are served by buffering the outer statement's unread rows
//   (statement::buffer_rest). A handle, lease or transaction belongs to the thread that made it.
class connection_handle {
 public:
  using dialect = postgres_dialect;

  connection_handle() = default;
  explicit connection_handle(std::shared_ptr<connection> c) noexcept : c_(std::move(c)) {}

  connection& get() const noexcept { return *c_; }
  const std::shared_ptr<connection>& share() const noexcept { return c_; }

  void exec(std::string_view sql) { c_->exec(sql); }
  template <class Shape>
  lease acquire() {
    lease l = c_->template acquire<Shape>();
    l.share(c_);
    return l;
  }
  lease acquire_oneoff(std::string_view sql) {
    lease l = c_->acquire_oneoff(sql);
    l.share(c_);
    return l;
  }
  std::int64_t changes() const { return c_->changes(); }
  std::int64_t last_insert_rowid() const { return c_->last_insert_rowid(); }
  bool autocommit() const noexcept { return c_->autocommit(); }
  PGTransactionStatusType transaction_status() const noexcept { return c_->transaction_status(); }
  int& transaction_depth() const noexcept { return c_->transaction_depth(); }
  bool begin_write() const noexcept { return c_->begin_write(); }
  void end_write() const noexcept { c_->end_write(); }
  std::string& encode_buffer() const noexcept { return c_->encode_buffer(); }
  bool read_only() const noexcept { return c_->read_only(); }
  const cache_stats& stats() const noexcept { return c_->stats(); }
  hook_registry* hooks() const noexcept { return c_->hooks(); }
  PGconn* handle() const noexcept { return c_->handle(); }

 private:
  std::shared_ptr<connection> c_;
};

class db_state {
 public:
  // Opens one connection now, so a bad conninfo or an unreachable server fails here, not at
  // first use; it stays in the pool.
  explicit db_state(pool_options opts) : core_(std::make_shared<core>(std::move(opts))) {
    if (core_->opts.size == 0) throw usage_error("sqler: a PostgreSQL pool needs size >= 1");
    auto first = core::checkout(core_);
  }
  db_state(const db_state&) = delete;
  db_state& operator=(const db_state&) = delete;

  // The calling thread's connection: the one it already holds, else one borrowed from the pool.
  connection_handle conn() {
    auto& mine = held();
    for (auto& e : mine)
      if (e.pool == core_.get())
        if (auto c = e.conn.lock()) return connection_handle(std::move(c));
    auto c = core::checkout(core_);
    std::erase_if(mine, [](const held_entry& e) { return e.conn.expired(); });
    mine.push_back({core_.get(), c});
    return connection_handle(std::move(c));
  }

  // Connections open now, borrowed or idle.
  std::size_t connection_count() {
    std::lock_guard<std::mutex> lock(core_->mu);
    return core_->open;
  }
  hook_registry& hooks() noexcept { return core_->hooks; }
  // The conninfo without its password.
  const std::string& path() const noexcept { return core_->path; }

 private:
  struct core {
    explicit core(pool_options o)
        : opts(std::move(o)), path(conninfo_without_password(opts.conninfo)) {
      idle.reserve(opts.size);  // give_back must not allocate: it runs in a deleter
    }

    hook_registry hooks;  // declared first: connections point at it until they close
    pool_options opts;
    std::string path;
    std::mutex mu;
    std::vector<std::unique_ptr<connection>> idle;  // most recently returned last
    std::size_t open = 0;                           // idle + borrowed
    // Borrowers waiting, first come first served: a returned connection (or a free place to
    // open one) is handed to the first, so a busy pool cannot starve a thread until its timeout.
    struct waiter {
      std::condition_variable cv;
      std::unique_ptr<connection> conn;  // handed over; null with `granted`: open a new one
      bool granted = false;
    };
    std::deque<waiter*> waiters;

    static std::shared_ptr<connection> checkout(const std::shared_ptr<core>& self) {
      std::unique_ptr<connection> c = self->take();
      connection* raw = c.release();
      // If the shared_ptr cannot allocate, it calls the deleter: the connection goes back.
      return std::shared_ptr<connection>(raw, returner{self});
    }

    // A validated connection, or a new one; throws busy_error after the timeout.
    std::unique_ptr<connection> take() {
      std::unique_ptr<connection> c;
      {
        std::unique_lock<std::mutex> lock(mu);
        if (waiters.empty() && !idle.empty()) {
          c = std::move(idle.back());
          idle.pop_back();
        } else if (waiters.empty() && open < opts.size) {
          ++open;
        } else {
          waiter w;
          waiters.push_back(&w);
          const auto deadline =
              std::chrono::steady_clock::now() + std::chrono::milliseconds(opts.acquire_timeout_ms);
          if (!w.cv.wait_until(lock, deadline, [&] { return w.granted; })) {
            waiters.erase(std::find(waiters.begin(), waiters.end(), &w));
            throw busy_error(result_code::busy, "sqler: waited acquire_timeout_ms (" +
                                                    std::to_string(opts.acquire_timeout_ms) +
                                                    ") for one of the " +
                                                    std::to_string(opts.size) +
                                                    " connections of the pool for '" + path + "'");
          }
          c = std::move(w.conn);
        }
      }
      // A connection back for less than probe_idle_ms is lent as it is: probing costs a system
      // call per borrow, a tenth of a fast query (HikariCP skips it for 500 ms too). If the
      // server dropped it within that window, the operation fails with the connection's error
      // and the pool replaces the connection afterwards.
      if (c && (std::chrono::steady_clock::now() - c->returned_at() <
                    std::chrono::milliseconds(opts.probe_idle_ms) ||
                c->alive()))
        return c;
      c.reset();  // closed by the server: its place in the pool is reused for a new one
      try {
        auto fresh =
            std::make_unique<connection>(opts.conninfo, connection_options{opts.read_only});
        fresh->set_hooks(&hooks);
        return fresh;
      } catch (...) {
        free_place();
        throw;
      }
    }

    void give_back(connection* raw) noexcept {
      std::unique_ptr<connection> c(raw);
      c->set_returned_at(std::chrono::steady_clock::now());
      if (!c->reusable()) {
        // A lost connection (a server restart, a terminated backend) says the idle ones may be
        // gone too: each is probed before it is lent again, whatever its idle time.
        if (c->lost()) {
          std::lock_guard<std::mutex> lock(mu);
          for (auto& idle_one : idle) idle_one->set_returned_at({});
        }
        c.reset();  // closed before the lock is taken
        free_place();
        return;
      }
      std::lock_guard<std::mutex> lock(mu);
      if (!waiters.empty()) {
        waiter* w = waiters.front();
        waiters.pop_front();
        w->conn = std::move(c);
        w->granted = true;
        w->cv.notify_one();
      } else {
        idle.push_back(std::move(c));  // capacity reserved: no allocation
      }
    }

    // A connection was closed: its place goes to the first waiter (who opens a new one), or
    // back to the pool.
    void free_place() noexcept {
      std::lock_guard<std::mutex> lock(mu);
      if (!waiters.empty()) {
        waiter* w = waiters.front();
        waiters.pop_front();
        w->granted = true;
        w->cv.notify_one();
      } else {
        --open;
      }
    }
  };

  struct returner {
    std::shared_ptr<core> pool;
    void operator()(connection* c) const noexcept { pool->give_back(c); }
  };

  struct held_entry {
    const core* pool;
    std::weak_ptr<connection> conn;
  };
  // This thread's checkouts, one per pool it holds a connection of.
  static std::vector<held_entry>& held() noexcept {
    thread_local std::vector<held_entry> entries;
    return entries;
  }

  std::shared_ptr<core> core_;
};

}  // namespace sqler::detail::postgres
