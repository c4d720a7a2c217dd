// sqler/transaction.hpp - an RAII transaction: commit() or roll back on scope exit.
// database::transaction() returns one for any backend; nested ones are savepoints. The first
// level takes the write lock up front (SQLite: BEGIN IMMEDIATE).
#pragma once

#include <memory>
#include <utility>

namespace sqler {

class transaction;

namespace detail {
template <class Scope, class... Args>
transaction make_transaction(Args&&... args);
}  // namespace detail

class transaction {
 public:
  transaction(transaction&&) noexcept = default;
  transaction& operator=(transaction&&) noexcept = default;
  // Rolls back unless committed.
  ~transaction() = default;

  // Makes the changes permanent (or folds them into the enclosing transaction).
  void commit() { impl_->commit(); }
  // Undoes every change made since the transaction began.
  void rollback() { impl_->rollback(); }
  bool active() const noexcept { return impl_ && impl_->active(); }

 private:
  // A transaction costs a round trip to the database; one allocation and a virtual call do not
  // show next to that, and they let one type serve every backend.
  struct impl {
    virtual ~impl() = default;
    virtual void commit() = 0;
    virtual void rollback() = 0;
    virtual bool active() const noexcept = 0;
  };
  template <class Scope>
  struct holder final : impl {
    template <class... Args>
    explicit holder(Args&&... args) : scope(std::forward<Args>(args)...) {}
    void commit() override { scope.commit(); }
    void rollback() override { scope.rollback(); }
    bool active() const noexcept override { return scope.active(); }
    Scope scope;
  };

  explicit transaction(std::unique_ptr<impl> i) noexcept : impl_(std::move(i)) {}

  template <class Scope, class... Args>
  friend transaction detail::make_transaction(Args&&... args);

  std::unique_ptr<impl> impl_;
};

namespace detail {
template <class Scope, class... Args>
transaction make_transaction(Args&&... args) {
  return transaction(std::make_unique<transaction::holder<Scope>>(std::forward<Args>(args)...));
}
}  // namespace detail

}  // namespace sqler
