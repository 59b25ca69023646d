// Copyright 2026 The eventpersist Authors.
//
// future.h: the one-shot Future/Promise pair that the plugin API returns.
//
// A journal or snapshot store answers each request with a Future. A plugin
// that talks to a blocking client completes it before returning (see
// SyncWriteJournal); one with an async client completes it later, from any
// thread. Values are usually absl::Status or absl::StatusOr<T>: errors are
// values, never exceptions.
//
// Thread-safety: Promise::Set and the Future methods may be called from any
// threads. A callback given to OnComplete runs exactly once: on the thread
// that completes the promise, or at once on the caller's thread when the
// value is already there. Callbacks must not block.
//
// Example:
//
//   Promise<absl::Status> done;
//   Future<absl::Status> f = done.GetFuture();
//   f.OnComplete([](const absl::Status& s) { LogIfError(s); });
//   pool.Execute([done]() mutable { done.Set(absl::OkStatus()); });
//   absl::Status s = f.Get();  // blocks until Set
#ifndef PERSISTENCE_API_FUTURE_H_
#define PERSISTENCE_API_FUTURE_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "persistence/api/burst.h"

namespace persistence {

namespace future_internal {

template <typename T>
class SharedState {
 public:
  // Returns false when a value was already set (the new one is dropped).
  bool Set(T value) {
    std::function<void(const T&)> first;
    std::vector<std::function<void(const T&)>> more;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (value_.has_value()) return false;
      value_.emplace(std::move(value));
      first.swap(first_);
      more.swap(more_);
    }
    // value_ never changes once set, so reading it unlocked is safe.
    if (first) first(*value_);
    for (auto& callback : more) callback(*value_);
    {
      // Waiters wake after the callbacks ran, so a thread that waited
      // sees their effects (and may then free what they captured).
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    ready_.notify_all();
    return true;
  }

  void OnComplete(std::function<void(const T&)> callback) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!value_.has_value()) {
        if (!first_) {
          first_ = std::move(callback);
        } else {
          more_.push_back(std::move(callback));
        }
        return;
      }
    }
    callback(*value_);
  }

  bool IsReady() const {
    std::lock_guard<std::mutex> lock(mu_);
    return value_.has_value();
  }

  // A thread that waits ends its burst first (burst.h): what it deferred
  // may be what it waits for.
  const T& Wait() {
    if (InBurst()) BurstThread::EndBurst();
    std::unique_lock<std::mutex> lock(mu_);
    ready_.wait(lock, [this] { return done_; });
    return *value_;
  }

  bool WaitFor(std::chrono::nanoseconds timeout) {
    if (InBurst()) BurstThread::EndBurst();
    std::unique_lock<std::mutex> lock(mu_);
    return ready_.wait_for(lock, timeout, [this] { return done_; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable ready_;
  std::optional<T> value_;
  bool done_ = false;  // value_ set and the callbacks registered before ran
  // Callbacks registered before the value, in order. Most futures get
  // exactly one: it needs no vector.
  std::function<void(const T&)> first_;
  std::vector<std::function<void(const T&)>> more_;
};

}  // namespace future_internal

// Future<T>: the read side. Copyable; copies share the same value.
template <typename T>
class Future {
 public:
  Future() = default;

  // Valid() is false for a default-constructed Future.
  bool Valid() const { return state_ != nullptr; }
  bool IsReady() const { return state_->IsReady(); }

  // Get blocks until the value is set and the callbacks registered before
  // it was set have run; it returns the value.
  const T& Get() const { return state_->Wait(); }

  // WaitFor blocks up to `timeout`; true when the value is there.
  bool WaitFor(std::chrono::nanoseconds timeout) const {
    return state_->WaitFor(timeout);
  }

  // OnComplete registers `callback` (see the file comment for its thread).
  void OnComplete(std::function<void(const T&)> callback) const {
    state_->OnComplete(std::move(callback));
  }

 private:
  template <typename>
  friend class Promise;
  explicit Future(std::shared_ptr<future_internal::SharedState<T>> state)
      : state_(std::move(state)) {}

  std::shared_ptr<future_internal::SharedState<T>> state_;
};

// Promise<T>: the write side. Copyable; copies complete the same Future.
template <typename T>
class Promise {
 public:
  Promise() : state_(std::make_shared<future_internal::SharedState<T>>()) {}

  Future<T> GetFuture() const { return Future<T>(state_); }

  // Set completes the future. Only the first Set (or TrySet) wins.
  void Set(T value) const { state_->Set(std::move(value)); }
  // TrySet is Set that says whether it won.
  bool TrySet(T value) const { return state_->Set(std::move(value)); }

 private:
  std::shared_ptr<future_internal::SharedState<T>> state_;
};

// MakeReadyFuture returns a Future that already holds `value`.
template <typename T>
Future<T> MakeReadyFuture(T value) {
  Promise<T> promise;
  promise.Set(std::move(value));
  return promise.GetFuture();
}

}  // namespace persistence

#endif  // PERSISTENCE_API_FUTURE_H_
