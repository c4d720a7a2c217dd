// sqler/detail/backend/sqlite/writer_queue.hpp - first come, first served among one database's writers.
// SQLite's busy handler retries by sleeping, so the thread that just committed usually takes
// the write lock straight back while the others sleep: under load one writer can wait for
// seconds. Threads of one process that write through the same sqler::database queue here in
// arrival order instead; SQLite's own locking still arbitrates between processes.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

namespace sqler::detail::sqlite {

class writer_queue {
 public:
  // Waits for this thread's turn; false when `timeout` passed first (the turn is given up).
  bool acquire(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    const std::uint64_t me = next_ticket_++;
    waiting_.push_back(me);
    const bool ok = cv_.wait_for(lock, timeout, [&] { return !held_ && waiting_.front() == me; });
    if (!ok) {
      waiting_.erase(std::find(waiting_.begin(), waiting_.end(), me));
      lock.unlock();
      cv_.notify_all();  // the next in line may be free to go now
      return false;
    }
    waiting_.erase(waiting_.begin());
    held_ = true;
    return true;
  }

  void release() noexcept {
    {
      std::lock_guard<std::mutex> lock(mu_);
      held_ = false;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  // Tickets in arrival order, one per thread waiting to write. A vector rather than a deque: the
  // queue is as long as the writers waiting, and std::deque would be compiled into every
  // translation unit for this alone.
  std::vector<std::uint64_t> waiting_;
  std::uint64_t next_ticket_ = 0;
  bool held_ = false;
};

}  // namespace sqler::detail::sqlite
