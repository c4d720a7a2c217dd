// sqler/detail/backend/sqlite/state.hpp - what a sqler::database shares with its collections,
// queries and iterators: how to open connections, and one connection per thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "sqler/detail/backend/sqlite/connection.hpp"
#include "sqler/detail/backend/sqlite/schema.hpp"

namespace sqler::detail::sqlite {

class db_state : public std::enable_shared_from_this<db_state> {
 public:
  // `anchor`: keep one extra connection open for the state's lifetime, which an in-memory
  // database (SQLite's memdb VFS) needs so that it outlives every thread that used it.
  // `path` is what SQLite opens (a file name or a file: URI), `name` what the user called it.
  db_state(std::string path, int open_flags, connection_options opts, bool anchor = false,
           std::string name = {})
      : path_(std::move(path)), name_(name.empty() ? path_ : std::move(name)), flags_(open_flags),
        opts_(opts), serial_(next_serial()), open_(&new_connection) {
    // Open one connection now so a bad path fails at open(), not at first use.
    if (anchor) anchor_ = open_connection();
  }

  // The calling thread's connection. A few recently used (database, connection) pairs are
  // remembered per thread, so the common case is a short scan with no lock.
  connection& conn() {
    for (auto& e : tls_cache())
      if (e.serial == serial_) return *e.conn;
    return conn_slow();
  }

  // Closes the connection of a thread that is exiting (called from its thread_local registry).
  void release_thread(std::thread::id tid) noexcept {
    std::unique_ptr<connection> gone;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto it = conns_.begin(); it != conns_.end(); ++it)
        if (it->first == tid) {
          gone = std::move(it->second);
          conns_.erase(it);
          break;
        }
    }
  }

  const std::string& path() const noexcept { return name_; }
  hook_registry& hooks() noexcept { return hooks_; }

  std::size_t connection_count() {
    std::lock_guard<std::mutex> lock(mu_);
    return conns_.size();
  }

  ~db_state() {
    // Forget this database in the calling thread's cache; other threads' entries are keyed by
    // serial numbers that are never reused, so they can never match again.
    for (auto& e : tls_cache())
      if (e.serial == serial_) e = {};
  }

 private:
  struct tls_entry {
    std::uint64_t serial = 0;
    connection* conn = nullptr;
  };
  static constexpr std::size_t tls_entries = 4;

  static std::array<tls_entry, tls_entries>& tls_cache() noexcept {
    thread_local std::array<tls_entry, tls_entries> cache{};
    return cache;
  }

  static std::uint64_t next_serial() noexcept {
    static std::atomic<std::uint64_t> counter{0};
    return counter.fetch_add(1, std::memory_order_relaxed) + 1;
  }

  // Opening a connection (its constructor, the SQL functions it registers with everything they
  // call, the table upgrade it is given) goes through open_, which only the constructor names:
  // a translation unit that uses a database without making one (collections, queries) does not
  // compile any of it.
  using opener = std::unique_ptr<connection> (*)(const std::string&, int, const connection_options&);

  static std::unique_ptr<connection> new_connection(const std::string& path, int flags,
                                                    const connection_options& opts) {
    auto c = std::make_unique<connection>(path, flags, opts);
    c->set_table_upgrade(&upgrade_table);
    return c;
  }

  std::unique_ptr<connection> open_connection() {
    auto c = open_(path_, flags_, opts_);
    c->set_hooks(&hooks_);
    c->set_writer_queue(&writers_);
    return c;
  }

  // Each thread remembers the databases it holds a connection in; when the thread exits, its
  // connections are closed, so a server that spawns many short-lived threads does not
  // accumulate them. weak_ptr: a database may be gone by then.
  struct thread_registry {
    std::vector<std::weak_ptr<db_state>> states;
    ~thread_registry() {
      const auto me = std::this_thread::get_id();
      for (auto& w : states)
        if (auto s = w.lock()) s->release_thread(me);
    }
  };
  static thread_registry& registry() {
    thread_local thread_registry r;
    return r;
  }

  connection& conn_slow() {
    const auto me = std::this_thread::get_id();
    connection* found = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& [tid, c] : conns_)
        if (tid == me) found = c.get();
      if (found == nullptr) {
        conns_.emplace_back(me, open_connection());
        found = conns_.back().second.get();
        auto& states = registry().states;
        std::erase_if(states, [](const auto& w) { return w.expired(); });
        states.push_back(weak_from_this());
      }
    }
    auto& cache = tls_cache();
    for (std::size_t i = tls_entries - 1; i > 0; --i) cache[i] = cache[i - 1];
    cache[0] = {serial_, found};
    return *found;
  }

  hook_registry hooks_;    // declared first: connections point at these until they close
  writer_queue writers_;
  std::string path_;
  std::string name_;
  int flags_;
  connection_options opts_;
  std::uint64_t serial_;
  opener open_;
  std::unique_ptr<connection> anchor_;
  std::mutex mu_;
  std::vector<std::pair<std::thread::id, std::unique_ptr<connection>>> conns_;
};

}  // namespace sqler::detail::sqlite
