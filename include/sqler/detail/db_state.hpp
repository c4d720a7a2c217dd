// sqler/detail/db_state.hpp - what a sqler::database handle shares: how to open connections,
// and the connections themselves (one per thread for a file, one in all for :memory:).
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

#include "sqler/sqlite.hpp"

namespace sqler::detail {

class db_state {
 public:
  db_state(std::string path, int open_flags, connection_options opts, bool shared_single)
      : path_(std::move(path)), flags_(open_flags), opts_(opts), single_(shared_single),
        serial_(next_serial()) {
    // Open one connection now so a bad path fails at open(), not at first use.
    conns_.emplace_back(std::this_thread::get_id(), open_connection());
  }

  // The calling thread's connection. A few recently used (database, connection) pairs are
  // remembered per thread, so the common case is a short scan with no lock.
  connection& conn() {
    if (single_) return *conns_.front().second;
    for (auto& e : tls_cache())
      if (e.serial == serial_) return *e.conn;
    return conn_slow();
  }

  const std::string& path() const noexcept { return path_; }
  hook_registry& hooks() noexcept { return hooks_; }
  bool single_connection() const noexcept { return single_; }

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

  std::unique_ptr<connection> open_connection() {
    auto c = std::make_unique<connection>(path_, flags_, opts_);
    c->set_hooks(&hooks_);
    if (!single_) c->set_writer_queue(&writers_);  // one connection needs no queue
    return c;
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
  int flags_;
  connection_options opts_;
  bool single_;
  std::uint64_t serial_;
  std::mutex mu_;
  std::vector<std::pair<std::thread::id, std::unique_ptr<connection>>> conns_;
};

}  // namespace sqler::detail
