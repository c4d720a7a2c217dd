// sqler/ref.hpp - sqler::ref<T>, a reference from one document to another.
// Stored as {"_table":"Address","_id":3} (or null when empty); it may carry the loaded target
// after hydration, shared so copying a ref never copies the document.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>

namespace sqler {

template <class T>
class ref {
 public:
  using element_type = T;

  ref() = default;
  ref(std::int64_t id) : id_(id) {}  // NOLINT: a ref is naturally made from an id

  bool empty() const noexcept { return !id_.has_value(); }
  explicit operator bool() const noexcept { return id_.has_value(); }
  // The target's _id; throws std::logic_error when empty.
  std::int64_t id() const {
    if (!id_) throw std::logic_error("sqler: ref<T>::id() on an empty ref");
    return *id_;
  }
  std::optional<std::int64_t> id_or_null() const noexcept { return id_; }

  // True once hydration found the target.
  bool loaded() const noexcept { return target_ != nullptr; }
  // True when hydration looked for the target and it did not exist.
  bool dangling() const noexcept { return dangling_; }
  // The hydrated target; throws std::logic_error when not loaded.
  const T& get() const {
    if (!target_) throw std::logic_error("sqler: ref<T>::get() on a ref that was not hydrated");
    return *target_;
  }
  const T& operator*() const { return get(); }
  const T* operator->() const { return &get(); }

  void reset() noexcept {
    id_.reset();
    target_.reset();
    dangling_ = false;
  }

  // Used by hydration; users rarely need these.
  void set_target(std::shared_ptr<const T> target) noexcept {
    target_ = std::move(target);
    dangling_ = false;
  }
  void mark_dangling() noexcept {
    target_.reset();
    dangling_ = true;
  }

  // Two refs are equal when they point at the same document (the loaded value is ignored).
  friend bool operator==(const ref& a, const ref& b) noexcept { return a.id_ == b.id_; }

 private:
  std::optional<std::int64_t> id_;
  std::shared_ptr<const T> target_;
  bool dangling_ = false;
};

namespace detail {
template <class T>
inline constexpr bool is_ref = false;
template <class T>
inline constexpr bool is_ref<ref<T>> = true;
}  // namespace detail

}  // namespace sqler
